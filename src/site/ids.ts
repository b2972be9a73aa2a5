/**
 * ConfigMgr-style identifiers (osd-features §2.1): a PackageID is the site code plus 5 hex digits
 * (PS100014); collections and deployments use the same shape. Numbers come from database
 * sequences, so concurrent servers never hand out the same id and never wait for each other.
 */
import type { Queryable } from './db/database.js';

export type IdScope = 'package' | 'collection' | 'deployment' | 'resource';

const SEQUENCE: Record<IdScope, string> = {
  package: 'package_id_seq',
  collection: 'collection_id_seq',
  deployment: 'deployment_id_seq',
  resource: 'resource_id_seq',
};

export async function nextNumber(db: Queryable, scope: IdScope): Promise<number> {
  const { rows } = await db.query<{ next: number }>(`SELECT nextval('${SEQUENCE[scope]}') AS next`);
  return Number(rows[0]!.next);
}

/** After a bulk load that chose its own numbers: the next id is above `used`. */
export async function reserveNumbersUpTo(db: Queryable, scope: IdScope, used: number): Promise<void> {
  await db.query(`SELECT setval('${SEQUENCE[scope]}', GREATEST($1::bigint, (SELECT last_value FROM ${SEQUENCE[scope]})))`, [used]);
}

/** `PS1` + 5 upper-case hex digits. */
export function siteId(siteCode: string, n: number): string {
  return `${siteCode}${n.toString(16).toUpperCase().padStart(5, '0')}`;
}

export async function nextSiteId(db: Queryable, siteCode: string, scope: Exclude<IdScope, 'resource'>): Promise<string> {
  return siteId(siteCode, await nextNumber(db, scope));
}

export const SITE_CODE_PATTERN = /^[A-Z0-9]{3}$/;
/** PackageID, CollectionID, deployment id. */
export const SITE_OBJECT_ID_PATTERN = /^[A-Z0-9]{3}[0-9A-F]{5}$/;
