/**
 * Collection membership re-evaluated for one device, before its policy is computed
 * (docs/management-point.md § Policy): a device that a query rule now matches gets the
 * deployment at once, without waiting for the next evaluation of every collection. The same rule
 * as collections/evaluate.ts — (direct ∪ query ∪ include) − exclude, within the limiting
 * collection; All Systems holds every device — computed for this device only, collections in
 * dependency order, query rules compiled to the same SQL; only this device's rows change.
 */
import type { Queryable } from '../db/database.js';
import { SiteError } from '../errors.js';
import { ALL_SYSTEMS } from '../seed.js';
import { allInOrder, loadCollectionGraph } from '../collections/graph.js';
import { EVALUATION_LOCK } from '../collections/evaluate.js';
import { compileCollectionQuery, storedCollectionQuery, type CollectionQuery } from '../collections/query/index.js';

/** Query rules tested per statement. */
const RULES_PER_STATEMENT = 100;

export interface DeviceMembershipChange {
  joined: string[];
  left: string[];
}

/**
 * Re-evaluates every collection's membership of `resourceId` in `tx` (the caller's transaction).
 * Most policy requests change nothing: the membership is computed first without the evaluation
 * lock, and only a device whose membership changed takes it (serialised with every evaluation)
 * and computes again under it before writing, so thousands of computers polling do not queue.
 */
export async function evaluateDeviceMembership(tx: Queryable, resourceId: number): Promise<DeviceMembershipChange> {
  const first = await membershipChange(tx, resourceId);
  if (!first.joined.length && !first.left.length) return first;
  await tx.query('SELECT pg_advisory_xact_lock($1)', [EVALUATION_LOCK]);
  const { joined, left } = await membershipChange(tx, resourceId);
  if (joined.length) {
    await tx.query('INSERT INTO collection_members (collection_id, resource_id) SELECT unnest($1::text[]), $2 ON CONFLICT DO NOTHING', [joined, resourceId]);
    await tx.query('UPDATE collections SET member_count = member_count + 1 WHERE collection_id = ANY($1::text[])', [joined]);
  }
  if (left.length) {
    await tx.query('DELETE FROM collection_members WHERE resource_id = $1 AND collection_id = ANY($2::text[])', [resourceId, left]);
    await tx.query('UPDATE collections SET member_count = GREATEST(member_count - 1, 0) WHERE collection_id = ANY($1::text[])', [left]);
  }
  return { joined, left };
}

/** The collections the device should join and leave, from the rules and the stored membership (reads only). */
async function membershipChange(tx: Queryable, resourceId: number): Promise<DeviceMembershipChange> {
  const graph = await loadCollectionGraph(tx);
  const { rows: rules } = await tx.query<{
    id: string | number;
    collection_id: string;
    kind: string;
    resource_id: string | number | null;
    query: string | null;
  }>(
    `SELECT id, collection_id, kind, resource_id, query FROM collection_rules
     WHERE (kind = 'direct' AND resource_id = $1) OR kind = 'query' ORDER BY id`,
    [resourceId],
  );
  const direct = new Set<string>();
  // A stored rule that no longer compiles: its collection keeps the membership it has (the full
  // evaluation reports the rule); one broken rule must not take every device's policy down.
  const unreadable = new Set<string>();
  const queryRules: Array<{ collectionId: string; query: CollectionQuery }> = [];
  for (const r of rules) {
    if (r.collection_id === ALL_SYSTEMS) continue;
    if (r.kind === 'direct') direct.add(r.collection_id);
    else if (r.query !== null) {
      try {
        queryRules.push({ collectionId: r.collection_id, query: storedCollectionQuery(r.query, r.collection_id, Number(r.id)) });
      } catch (e) {
        if (!(e instanceof SiteError)) throw e;
        unreadable.add(r.collection_id);
      }
    }
  }
  const byQuery = new Set<string>();
  for (let i = 0; i < queryRules.length; i += RULES_PER_STATEMENT) {
    const chunk = queryRules.slice(i, i + RULES_PER_STATEMENT);
    const params: unknown[] = [resourceId];
    // Each rule's values are added to this statement's parameters as it is compiled.
    const columns = chunk.map((q, j) => `(${compileCollectionQuery(q.query, params)}) AS r${j}`);
    const { rows } = await tx.query<Record<string, boolean>>(`SELECT ${columns.join(', ')} FROM devices d WHERE d.resource_id = $1`, params);
    const row = rows[0];
    if (!row) continue;
    chunk.forEach((q, j) => {
      if (row[`r${j}`]) byQuery.add(q.collectionId);
    });
  }
  const { rows: stored } = await tx.query<{ collection_id: string }>('SELECT collection_id FROM collection_members WHERE resource_id = $1', [resourceId]);
  const was = new Set(stored.map((r) => r.collection_id));
  const member = new Map<string, boolean>();
  for (const id of allInOrder(graph)) {
    if (unreadable.has(id)) {
      member.set(id, was.has(id));
      continue;
    }
    if (id === ALL_SYSTEMS) {
      member.set(id, true);
      continue;
    }
    const links = graph.get(id)?.links ?? [];
    let inIt = direct.has(id) || byQuery.has(id) || links.some((l) => l.kind === 'include' && member.get(l.to));
    const limiting = links.find((l) => l.kind === 'limiting');
    if (inIt && limiting && !member.get(limiting.to)) inIt = false;
    if (inIt && links.some((l) => l.kind === 'exclude' && member.get(l.to))) inIt = false;
    member.set(id, inIt);
  }
  const joined = [...member].filter(([id, m]) => m && !was.has(id)).map(([id]) => id);
  const left = [...was].filter((id) => member.has(id) && !member.get(id));
  return { joined, left };
}
