/**
 * ConfigMgr-style identifiers (osd-features §2.1): a PackageID is the site code plus 5 hex digits
 * (PS100014); collections and deployments use the same shape. Counters are bumped atomically in
 * the database, so concurrent servers never hand out the same id.
 */
import type { Queryable } from './db/database.js';

export type IdScope = 'package' | 'collection' | 'deployment' | 'resource';

/** First value of each counter. ResourceIDs of devices start where ConfigMgr's do. */
const FIRST: Record<IdScope, number> = { package: 1, collection: 0x14, deployment: 0x20000, resource: 16777220 };

export async function nextNumber(db: Queryable, scope: IdScope): Promise<number> {
  const { rows } = await db.query<{ next: number }>(
    `INSERT INTO id_counters (scope, next) VALUES ($1, $2)
     ON CONFLICT (scope) DO UPDATE SET next = id_counters.next + 1 RETURNING next`,
    [scope, FIRST[scope]],
  );
  return Number(rows[0]!.next);
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
