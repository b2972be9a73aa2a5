/**
 * Site objects for the task sequence and deployment tests, inserted as rows (the package and
 * collection services belong to other areas): boot images, OS images, driver packages, packages
 * with content rows, distribution points with their status, collections and devices.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addContent } from '../../../src/site/content/library.js';
import type { Queryable } from '../../../src/site/db/database.js';
import { nextNumber, nextSiteId } from '../../../src/site/ids.js';
import type { Site } from '../../../src/site/site.js';

export const LOCAL_ADMIN_PASSWORD = 'Local-Adm1n-Secret!';
export const JOIN_PASSWORD = 'Join-Acc0unt-Secret!';
export const SECRETS = [LOCAL_ADMIN_PASSWORD, JOIN_PASSWORD];

export interface SiteObjects {
  bootX64: string;
  bootX86: string;
  osImage: string;
  osImageDe: string;
  driverSurface: string;
  driverAny: string;
  toolsX86: string;
  client: string;
  usmt: string;
  dps: string[];
}

async function content(db: Queryable, id: string, size: number, files: number): Promise<string> {
  const list = Array.from({ length: files }, (_, i) => ({ path: `f${i}.bin`, size: Math.floor(size / files), sha256: `${id}${i}`.padEnd(64, '0') }));
  await db.query('INSERT INTO content (id, size, file_count, files) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
    id.padEnd(64, '0'),
    size,
    files,
    JSON.stringify(list),
  ]);
  return id.padEnd(64, '0');
}

async function pkg(
  db: Queryable,
  siteCode: string,
  type: number,
  name: string,
  properties: Record<string, unknown>,
  extra: { contentId?: string; copyToShare?: boolean; language?: string } = {},
): Promise<string> {
  const id = await nextSiteId(db, siteCode, 'package');
  await db.query(
    'INSERT INTO packages (package_id, package_type, name, properties, content_id, copy_to_share, language, source_version) VALUES ($1, $2, $3, $4, $5, $6, $7, 2)',
    [id, type, name, JSON.stringify(properties), extra.contentId ?? null, extra.copyToShare ?? false, extra.language ?? ''],
  );
  return id;
}

const image = (index: number, name: string, architecture: string, languages: string[]) => ({
  index,
  name,
  description: name,
  displayName: name,
  edition: 'Enterprise',
  architecture,
  version: '10.0.22631.2428',
  productName: 'Windows 11',
  productType: 'WinNT',
  installationType: 'Client',
  hal: 'acpiapic',
  languages,
  defaultLanguage: languages[0] ?? '',
  sizeBytes: 1000,
  createdAt: null,
});

const boot = (architecture: 'x86' | 'x64') => ({
  wimFile: 'boot.wim',
  imageIndex: 1,
  architecture,
  osVersion: '10.0.22621.1',
  winPeVersion: '10',
  pxeEnabled: true,
  scratchSpaceMb: 512,
  commandSupport: false,
  optionalComponents: [],
  prestartCommand: '',
  clientVersion: '5.00.9128.1000',
});

/** Packages, content, DPs and distribution status. */
export async function addSiteObjects(site: Site): Promise<SiteObjects> {
  const db = site.db;
  const code = site.siteCode;
  // One real content folder (the client package), the rest recorded with realistic sizes.
  const dir = mkdtempSync(join(tmpdir(), 'osd-ts-fixture-'));
  let clientContent: string;
  try {
    mkdirSync(join(dir, 'x64'), { recursive: true });
    writeFileSync(join(dir, 'ccmsetup.exe'), Buffer.alloc(4096, 1));
    writeFileSync(join(dir, 'x64', 'client.msi'), Buffer.alloc(8192, 2));
    clientContent = (await addContent(site, dir)).sha256;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const bootX64 = await pkg(db, code, 258, 'Boot image (x64)', boot('x64'), { contentId: await content(db, 'b0064', 400_000_000, 3) });
  const bootX86 = await pkg(db, code, 258, 'Boot image (x86)', boot('x86'), { contentId: await content(db, 'b0086', 350_000_000, 3) });
  const osImage = await pkg(
    db,
    code,
    257,
    'Windows 11 23H2 en-US',
    {
      wimFile: 'install.wim',
      architecture: 'x64',
      language: 'en-US',
      images: [image(1, 'Windows 11 Education', 'x64', ['en-US']), image(2, 'Windows 11 Enterprise', 'x64', ['en-US'])],
    },
    { contentId: await content(db, 'a0001', 5_000_000_000, 1) },
  );
  const osImageDe = await pkg(
    db,
    code,
    257,
    'Windows 11 23H2 de-DE',
    { wimFile: 'install.wim', architecture: 'x64', language: 'de-DE', images: [image(1, 'Windows 11 Enterprise', 'x64', ['de-DE'])] },
    { contentId: await content(db, 'a0002', 5_100_000_000, 1) },
  );
  const driverSurface = await pkg(db, code, 3, 'Surface Laptop drivers', { model: 'Surface' }, { contentId: await content(db, 'd0001', 700_000_000, 40) });
  const driverAny = await pkg(db, code, 3, 'Common drivers', { model: '' }, { contentId: await content(db, 'd0002', 50_000_000, 12) });
  const toolsX86 = await pkg(
    db,
    code,
    0,
    'Tools (x86)',
    { architecture: 'x86', language: '', programs: [{ name: 'Install', commandLine: 'setup.cmd' }] },
    { contentId: await content(db, 'c0001', 20_000_000, 5) },
  );
  const builtIns = await db.query<{ package_id: string; role: string }>(
    `SELECT package_id, properties->>'builtIn' AS role FROM packages WHERE built_in ORDER BY package_id`,
  );
  const client = builtIns.rows.find((r) => r.role === 'client')!.package_id;
  const usmt = builtIns.rows.find((r) => r.role === 'usmt')!.package_id;
  await db.query('UPDATE packages SET content_id = $2 WHERE package_id = $1', [client, clientContent]);
  await db.query('UPDATE packages SET content_id = $2 WHERE package_id = $1', [usmt, await content(db, 'e0001', 80_000_000, 100)]);

  const dps = ['DP01.contoso.com', 'DP02.contoso.com'];
  for (const dp of dps) {
    await db.query('INSERT INTO distribution_points (name, url, push_token, pxe_enabled, unknown_computer_support) VALUES ($1, $2, $3, true, true)', [
      dp,
      `https://${dp}:8451`,
      site.secrets.seal('push-token'),
    ]);
  }
  const status = async (packageId: string, dp: string, state: string, version = 2): Promise<void> => {
    await db.query('INSERT INTO distribution_status (package_id, dp_name, source_version, state) VALUES ($1, $2, $3, $4)', [packageId, dp, version, state]);
  };
  for (const p of [bootX64, osImage]) for (const dp of dps) await status(p, dp, 'success');
  // The built-in packages are at source version 1.
  for (const dp of dps) await status(client, dp, 'success', 1);
  await status(usmt, dps[0]!, 'success', 1);
  await status(usmt, dps[1]!, 'in-progress', 1);
  await status(driverSurface, dps[0]!, 'success', 1); // an old version only: not distributed
  await status(driverAny, dps[1]!, 'success');
  await status(toolsX86, dps[1]!, 'error');
  return { bootX64, bootX86, osImage, osImageDe, driverSurface, driverAny, toolsX86, client, usmt, dps };
}

export interface DeviceSpec {
  name: string;
  siteSystem?: boolean;
  server?: boolean;
}

/** A custom collection with evaluated members (member_count set as the collection service would). */
export async function addCollection(site: Site, name: string, devices: DeviceSpec[], memberCount?: number): Promise<string> {
  const db = site.db;
  const id = await nextSiteId(db, site.siteCode, 'collection');
  await db.query(`INSERT INTO collections (collection_id, name, limiting_collection_id, member_count, evaluated_at) VALUES ($1, $2, 'SMS00001', $3, now())`, [
    id,
    name,
    memberCount ?? devices.length,
  ]);
  for (const d of devices) {
    const rid = await nextNumber(db, 'resource');
    await db.query('INSERT INTO devices (resource_id, name, is_site_system, is_server, client) VALUES ($1, $2, $3, $4, true)', [
      rid,
      d.name,
      d.siteSystem ?? false,
      d.server ?? false,
    ]);
    await db.query('INSERT INTO collection_members (collection_id, resource_id) VALUES ($1, $2)', [id, rid]);
  }
  return id;
}

/** Wizard answers (as examples/wizard/domain-join-ou.yaml) for this site, with both passwords. */
export function wizardAnswers(o: SiteObjects, name = 'Windows 11 Enterprise - contoso.com'): Record<string, unknown> {
  return {
    taskSequence: { name, description: 'Joins contoso.com into the Workstations OU.', bootImageId: o.bootX64 },
    installWindows: {
      imagePackageId: o.osImage,
      imageIndex: 2,
      configureBitLocker: false,
      localAdministrator: { mode: 'enabled', password: LOCAL_ADMIN_PASSWORD, confirmPassword: LOCAL_ADMIN_PASSWORD },
    },
    configureNetwork: {
      join: 'domain',
      domain: 'contoso.com',
      domainOU: 'OU=Workstations,OU=Computers,DC=contoso,DC=com',
      account: 'CONTOSO\\svc-osdjoin',
      password: JOIN_PASSWORD,
      confirmPassword: JOIN_PASSWORD,
    },
    stateMigration: { captureUserSettings: false, captureNetworkSettings: false, captureWindowsSettings: false },
  };
}

/** Fails with the place when any secret appears in `text`. */
export function expectNoSecret(text: string, where: string, secrets: readonly string[] = SECRETS): void {
  for (const s of secrets) {
    if (text.includes(s)) throw new Error(`${where} contains the secret value ${s.slice(0, 3)}…`);
  }
}
