/**
 * The site's content as a SiteManifest (sequence/site-manifest.ts), built from the database: what
 * lint checks references against and what the wizard's pickers offer.
 */
import type { Queryable } from '../db/database.js';
import type { SiteManifest } from '../../sequence/site-manifest.js';
import { PACKAGE_TYPE, type BootImageProperties, type OsImageProperties } from './package-types.js';

interface Row {
  package_id: string;
  package_type: number;
  name: string;
  version: string;
  properties: Record<string, unknown>;
}

export async function buildSiteManifest(db: Queryable, siteCode: string): Promise<SiteManifest> {
  const m: SiteManifest = {
    site: siteCode,
    bootImages: [],
    imagePackages: [],
    upgradePackages: [],
    clientPackages: [],
    usmtPackages: [],
    driverPackages: [],
    packages: [],
    taskSequences: [],
    applications: [],
  };
  const { rows } = await db.query<Row>('SELECT package_id, package_type, name, version, properties FROM packages ORDER BY package_id');
  for (const r of rows) {
    const base = { id: r.package_id, name: r.name, ...(r.version ? { version: r.version } : {}) };
    switch (r.package_type) {
      case PACKAGE_TYPE.bootImage: {
        const p = r.properties as Partial<BootImageProperties>;
        m.bootImages.push({ ...base, architecture: p.architecture ?? 'x64', pxeEnabled: p.pxeEnabled ?? false });
        break;
      }
      case PACKAGE_TYPE.osImage: {
        const p = r.properties as Partial<OsImageProperties>;
        const images = (p.images ?? []).map((i) => ({
          index: i.index,
          name: i.name,
          ...(i.description ? { description: i.description } : {}),
          ...(['x86', 'x64', 'arm64'].includes(i.architecture) ? { architecture: i.architecture as 'x86' | 'x64' | 'arm64' } : {}),
          ...(i.edition ? { edition: i.edition } : {}),
          ...(i.version ? { version: i.version } : {}),
          ...(i.languages.length ? { languages: i.languages } : {}),
        }));
        if (images.length) m.imagePackages.push({ ...base, images });
        break;
      }
      case PACKAGE_TYPE.osUpgradePackage:
        m.upgradePackages.push(base);
        break;
      case PACKAGE_TYPE.driverPackage:
        m.driverPackages.push(base);
        break;
      case PACKAGE_TYPE.package: {
        const builtIn = (r.properties as { builtIn?: string }).builtIn;
        if (builtIn === 'client') m.clientPackages.push(base);
        else if (builtIn === 'usmt') m.usmtPackages.push(base);
        else {
          const programs = ((r.properties as { programs?: Array<{ name: string }> }).programs ?? []).map((p) => p.name);
          m.packages.push({ ...base, ...(programs.length ? { programs } : {}) });
        }
        break;
      }
      default:
        break;
    }
  }
  const ts = await db.query<{ package_id: string; name: string }>('SELECT package_id, name FROM task_sequences ORDER BY package_id');
  for (const t of ts.rows) m.taskSequences.push({ id: t.package_id, name: t.name });
  const apps = await db.query<{ model_name: string; name: string; allow_task_sequence_install: boolean; retired: boolean }>(
    'SELECT model_name, name, allow_task_sequence_install, retired FROM applications ORDER BY name',
  );
  for (const a of apps.rows) {
    if (a.retired) continue;
    m.applications.push({ modelName: a.model_name, name: a.name, allowTaskSequenceInstall: a.allow_task_sequence_install });
  }
  return m;
}
