/**
 * Driver packages (PackageType 3, osd-features §2.6): a set of enabled catalog drivers whose content
 * is their folders side by side, each under its driver's CI id (`<ci_id>/<path>`) — what Apply
 * Driver Package stages with DISM /recurse. The content is composed from blobs already in the
 * library, so changing the drivers only records a new manifest and bumps the source version.
 */
import { z } from 'zod';
import { objectName } from '../name-schema.js';
import { audit } from '../audit.js';
import type { Queryable } from '../db/database.js';
import { recordContent } from '../content/library.js';
import { makeManifest, type ContentFile } from '../../transfer/hash.js';
import { badInput, notFound } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import { PACKAGE_TYPE } from './package-types.js';
import { getPackage, insertPackage, setContentInTx, type PackageView } from './packages.js';

export const createDriverPackageSchema = z.object({
  name: objectName(256),
  manufacturer: z.string().max(128).optional(),
  /** Drives pre-cache (§4.4). */
  model: z.string().max(128).optional(),
  description: z.string().max(512).optional(),
  version: z.string().max(64).optional(),
  ciIds: z.array(z.number().int().positive()).optional(),
});
export type CreateDriverPackageInput = z.infer<typeof createDriverPackageSchema>;

export interface DriverPackageView extends PackageView {
  drivers: Array<{ ciId: number; name: string; enabled: boolean }>;
}

export async function getDriverPackage(db: Queryable, packageId: string): Promise<DriverPackageView> {
  const p = await getPackage(db, packageId, PACKAGE_TYPE.driverPackage);
  const { rows } = await db.query<{ ci_id: number; name: string; enabled: boolean }>(
    'SELECT d.ci_id, d.name, d.enabled FROM package_drivers pd JOIN drivers d ON d.ci_id = pd.ci_id WHERE pd.package_id = $1 ORDER BY d.ci_id',
    [p.packageId],
  );
  return { ...p, drivers: rows.map((r) => ({ ciId: Number(r.ci_id), name: r.name, enabled: r.enabled })) };
}

export async function listDriverPackages(db: Queryable): Promise<DriverPackageView[]> {
  const { rows } = await db.query<{ package_id: string }>('SELECT package_id FROM packages WHERE package_type = $1 ORDER BY package_id', [
    PACKAGE_TYPE.driverPackage,
  ]);
  const out: DriverPackageView[] = [];
  for (const r of rows) out.push(await getDriverPackage(db, r.package_id));
  return out;
}

/**
 * Recomputes a driver package's content from its drivers (inside the caller's transaction): a new
 * manifest → new content id, source version + 1, source date now (§2.1). No drivers → no content.
 */
export async function recomposeDriverPackage(tx: Queryable, packageId: string): Promise<boolean> {
  const { rows } = await tx.query<{ ci_id: number; files: ContentFile[] }>(
    `SELECT d.ci_id, c.files FROM package_drivers pd JOIN drivers d ON d.ci_id = pd.ci_id JOIN content c ON c.id = d.content_id
      WHERE pd.package_id = $1 ORDER BY d.ci_id`,
    [packageId],
  );
  if (!rows.length) return setContentInTx(tx, packageId, null);
  const files = rows.flatMap((r) => r.files.map((f) => ({ path: `${Number(r.ci_id)}/${f.path}`, size: f.size, sha256: f.sha256 })));
  const manifest = makeManifest(files);
  await recordContent(tx, manifest);
  return setContentInTx(tx, packageId, manifest.sha256);
}

/** Only enabled catalog drivers may be added (§2.6); `field` names the list in errors. */
export async function addDriversInTx(tx: Queryable, packageId: string, ciIds: number[], field: string): Promise<void> {
  for (const [i, ciId] of ciIds.entries()) {
    const { rows } = await tx.query<{ name: string; enabled: boolean }>('SELECT name, enabled FROM drivers WHERE ci_id = $1', [ciId]);
    const d = rows[0];
    if (!d) throw badInput(`${field}[${i}]`, `no driver has the id ${ciId}`, 'list the drivers in the catalog to find its id', nextSteps('list-drivers'));
    if (!d.enabled)
      throw badInput(
        `${field}[${i}]`,
        `driver ${ciId} (${d.name}) is disabled; a driver package holds only enabled drivers`,
        'enable the driver first',
        nextSteps({ step: 'edit-driver', ids: { ciId: String(ciId) } }),
      );
    await tx.query('INSERT INTO package_drivers (package_id, ci_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [packageId, ciId]);
  }
}

export async function createDriverPackage(site: Site, actor: Actor, input: CreateDriverPackageInput): Promise<DriverPackageView> {
  const id = await site.db.transaction(async (tx) => {
    const packageId = await insertPackage(tx, site.siteCode, {
      packageType: PACKAGE_TYPE.driverPackage,
      name: input.name,
      manufacturer: input.manufacturer,
      description: input.description,
      version: input.version,
      properties: { model: input.model ?? '' },
    });
    if (input.ciIds?.length) {
      await addDriversInTx(tx, packageId, input.ciIds, 'body.ciIds');
      await recomposeDriverPackage(tx, packageId);
      // The first content is version 1, as for any new package.
      await tx.query('UPDATE packages SET source_version = 1 WHERE package_id = $1', [packageId]);
    }
    await audit(tx, actor, 'create', 'driver-package', packageId, { name: input.name, ciIds: input.ciIds ?? [] });
    return packageId;
  });
  return getDriverPackage(site.db, id);
}

export async function addDriversToPackage(site: Site, actor: Actor, packageId: string, ciIds: number[]): Promise<DriverPackageView> {
  const p = await getPackage(site.db, packageId, PACKAGE_TYPE.driverPackage);
  await site.db.transaction(async (tx) => {
    await addDriversInTx(tx, p.packageId, ciIds, 'body.ciIds');
    const changed = await recomposeDriverPackage(tx, p.packageId);
    await audit(tx, actor, 'add-drivers', 'driver-package', p.packageId, { ciIds, contentChanged: changed });
  });
  return getDriverPackage(site.db, p.packageId);
}

export async function removeDriverFromPackage(site: Site, actor: Actor, packageId: string, ciId: number): Promise<DriverPackageView> {
  const p = await getPackage(site.db, packageId, PACKAGE_TYPE.driverPackage);
  await site.db.transaction(async (tx) => {
    const r = await tx.query('DELETE FROM package_drivers WHERE package_id = $1 AND ci_id = $2', [p.packageId, ciId]);
    if (r.rowCount === 0)
      throw notFound(
        `driver in driver package ${p.packageId}`,
        ciId,
        'the driver package lists its drivers',
        nextSteps({ step: 'show-driver-package', ids: { packageId: p.packageId } }),
      );
    await recomposeDriverPackage(tx, p.packageId);
    await audit(tx, actor, 'remove-driver', 'driver-package', p.packageId, { ciId });
  });
  return getDriverPackage(site.db, p.packageId);
}
