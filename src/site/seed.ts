/**
 * What a new site has before anyone adds anything (osd-features §2.1, §3.1, §3.2): the built-in
 * collections All Systems and All Unknown Computers with the two unknown-computer objects, and
 * the built-in Configuration Manager Client Package and User State Migration Tool package
 * (content added by the administrator, as setup would copy it from the site server).
 * Idempotent: runs on every start and only adds what is missing.
 */
import type { Queryable } from './db/database.js';
import { nextSiteId } from './ids.js';
import type { Site } from './site.js';

export const ALL_SYSTEMS = 'SMS00001';
export const ALL_UNKNOWN_COMPUTERS = 'SMS000US';
/** ResourceIDs of "x86 Unknown Computer" and "x64 Unknown Computer" as ConfigMgr numbers them. */
export const UNKNOWN_X86_RESOURCE_ID = 2046820352;
export const UNKNOWN_X64_RESOURCE_ID = 2046820353;

export const CLIENT_PACKAGE_NAME = 'Configuration Manager Client Package';
export const USMT_PACKAGE_NAME = 'User State Migration Tool for Windows';

export async function seedSite(site: Site): Promise<void> {
  await site.db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [0x4f534453]);
    await seedCollections(tx);
    await seedBuiltInPackage(tx, site.siteCode, CLIENT_PACKAGE_NAME, 'The Configuration Manager client installation files.', 'client');
    await seedBuiltInPackage(tx, site.siteCode, USMT_PACKAGE_NAME, 'This package is created during setup.', 'usmt');
  });
}

async function seedCollections(tx: Queryable): Promise<void> {
  await tx.query(
    `INSERT INTO collections (collection_id, name, comment, built_in) VALUES
       ($1, 'All Systems', 'All Systems', true),
       ($2, 'All Unknown Computers', 'All Unknown Computers', true)
     ON CONFLICT DO NOTHING`,
    [ALL_SYSTEMS, ALL_UNKNOWN_COMPUTERS],
  );
  await tx.query(
    `INSERT INTO devices (resource_id, name, unknown_computer) VALUES ($1, 'x86 Unknown Computer (x86 Unknown Computer)', 'x86'),
       ($2, 'x64 Unknown Computer (x64 Unknown Computer)', 'x64') ON CONFLICT DO NOTHING`,
    [UNKNOWN_X86_RESOURCE_ID, UNKNOWN_X64_RESOURCE_ID],
  );
  await tx.query(
    `INSERT INTO collection_rules (collection_id, kind, name, resource_id)
     SELECT $1, 'direct', d.name, d.resource_id FROM devices d
     WHERE d.unknown_computer IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM collection_rules r WHERE r.collection_id = $1 AND r.resource_id = d.resource_id)`,
    [ALL_UNKNOWN_COMPUTERS],
  );
  await tx.query(
    `INSERT INTO collection_members (collection_id, resource_id)
     SELECT $1, resource_id FROM devices WHERE unknown_computer IS NOT NULL ON CONFLICT DO NOTHING`,
    [ALL_UNKNOWN_COMPUTERS],
  );
  await tx.query(
    `UPDATE collections c SET member_count = (SELECT count(*) FROM collection_members m WHERE m.collection_id = c.collection_id), evaluated_at = now()
     WHERE c.collection_id = $1 AND c.evaluated_at IS NULL`,
    [ALL_UNKNOWN_COMPUTERS],
  );
}

async function seedBuiltInPackage(tx: Queryable, siteCode: string, name: string, description: string, role: string): Promise<void> {
  const { rows } = await tx.query(`SELECT 1 FROM packages WHERE built_in AND properties->>'builtIn' = $1`, [role]);
  if (rows.length) return;
  const id = await nextSiteId(tx, siteCode, 'package');
  await tx.query(`INSERT INTO packages (package_id, package_type, name, description, built_in, properties) VALUES ($1, 0, $2, $3, true, $4)`, [
    id,
    name,
    description,
    JSON.stringify({ builtIn: role }),
  ]);
}
