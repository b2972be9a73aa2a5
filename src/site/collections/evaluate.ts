/**
 * Collection membership (osd-features §3.1): (direct ∪ query ∪ include) − exclude, restricted to
 * the limiting collection's members; the result is kept in collection_members with member_count
 * and evaluated_at on the collection's row. A collection and its dependents, or every collection,
 * are evaluated together in memory (membership.ts: one pass over the devices for all their query
 * rules, only the difference written); evaluateOne is the same result for one collection as one
 * SQL statement (importing devices uses it for All Systems; tests compare the two).
 *
 * All Systems holds every device, the two unknown-computer objects included [I]: ConfigMgr shows
 * them there (its All Systems has a rule for SMS_R_UnknownSystem), which is why a required
 * deployment to All Systems also reaches unknown computers booting from PXE — §4.5's high-risk
 * warning exists for that. Query rules read SMS_R_System and never match them.
 *
 * What can change membership is recorded by triggers (migration 016, collection_changes);
 * evaluateAllCollections evaluates only that, and each evaluation consumes the rows it covers.
 */
import type { Queryable } from '../db/database.js';
import { ALL_SYSTEMS } from '../seed.js';
import { allInOrder, loadCollectionGraph, withDependentsInOrder } from './graph.js';
import { evaluateInOrder, type EvaluateOptions, type EvaluationResult } from './membership.js';
import { compileCollectionQuery, storedCollectionQuery } from './query/index.js';

export type { EvaluateOptions, EvaluationResult } from './membership.js';

/** Serialises evaluations across servers sharing one database (pg_advisory_xact_lock key). */
export const EVALUATION_LOCK = 0x4f534443;

/**
 * Evaluates `roots` and every collection depending on them, in dependency order, in `tx`, and
 * consumes the recorded changes of those collections (migration 016).
 */
export async function evaluateWithDependents(tx: Queryable, roots: readonly string[], options: EvaluateOptions = {}): Promise<EvaluationResult[]> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [EVALUATION_LOCK]);
  // The change rows seen before anything is read, consumed once the order is known (only those:
  // a row committed after this statement may describe something the graph below does not show).
  const { rows: seen } = await tx.query<{ seq: string; collection_id: string }>(
    'SELECT seq::text AS seq, collection_id FROM collection_changes WHERE collection_id IS NOT NULL',
  );
  const graph = await loadCollectionGraph(tx);
  // A new site's All Systems has never been evaluated (the seed does not): do it first, once.
  const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM collections WHERE collection_id = $1 AND evaluated_at IS NULL', [ALL_SYSTEMS]);
  const first = rows[0]?.n ? [ALL_SYSTEMS] : [];
  const order = withDependentsInOrder(graph, [...first, ...roots]);
  const covered = new Set(order);
  const seqs = seen.filter((r) => covered.has(r.collection_id)).map((r) => r.seq);
  if (seqs.length) {
    await tx.query('DELETE FROM collection_changes c USING unnest($1::bigint[]) AS u(seq) WHERE c.seq = u.seq', [`{${seqs.join(',')}}`]);
  }
  return evaluateInOrder(tx, graph, order, options);
}

export interface EvaluateAllOptions extends EvaluateOptions {
  /**
   * Every collection from scratch, whatever was recorded — also what repairs a direct SQL edit of
   * collection_members, which is not recorded.
   */
  full?: boolean;
}

/**
 * From this many devices changed, evaluateAllCollections evaluates everything instead: the
 * device-subset pass costs more per device than the full pass (it reads each device's rows by
 * index, DEVICES_PER_PASS devices at a time).
 */
export const INCREMENTAL_MAX_DEVICES = 20_000;

/**
 * Brings every collection up to date; returns every collection with its member count, in
 * dependency order (All Systems first).
 *
 * Incremental, as ConfigMgr's incremental updates (migration 016 records what can change
 * membership): the collections changed since they were last evaluated are evaluated as a whole
 * with their dependents, the devices changed on their own in every collection (evaluateDevices'
 * path), and with nothing changed only the collection graph and the counts are read and nothing
 * is written. The full evaluation instead when asked (`full`), when one was recorded as needed
 * (migration 016 records one: what happened before it is unknown), when any collection was never
 * evaluated, when the changed collections with their dependents are every collection, and from
 * INCREMENTAL_MAX_DEVICES devices changed.
 *
 * Changed collections first, changed devices after, gives the full evaluation's rows: the first
 * step may read a changed device's stale rows in collections it does not evaluate, but the second
 * then decides that device's row in every collection, in dependency order, from its current facts
 * and rules; every other device's rows outside the changed collections were already right.
 */
export async function evaluateAllCollections(tx: Queryable, options: EvaluateAllOptions = {}): Promise<EvaluationResult[]> {
  const { full: forced, ...evaluateOptions } = options;
  await tx.query('SELECT pg_advisory_xact_lock($1)', [EVALUATION_LOCK]);
  // Consumed first, before anything else is read, and exactly the rows this statement sees: a
  // change committed after it is read by this evaluation too (harmless) or left for the next; one
  // still uncommitted (on PostgreSQL a lower seq can be) is neither seen nor deleted. Never
  // `seq <= max`. Rolled back with the evaluation if it fails.
  const { rows: changes } = await tx.query<{ resource_id: string | null; collection_id: string | null }>(
    'DELETE FROM collection_changes RETURNING resource_id::text AS resource_id, collection_id',
  );
  const graph = await loadCollectionGraph(tx);
  const everything = allInOrder(graph);
  let full = forced === true || changes.some((c) => c.resource_id === null && c.collection_id === null);
  if (!full) {
    const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM collections WHERE evaluated_at IS NULL');
    full = Number(rows[0]?.n ?? 0) > 0;
  }
  const devices = new Set<number>();
  const roots = new Set<string>();
  for (const c of changes) {
    // A resource id beyond 2^53 (never issued by the site) cannot be named exactly: everything.
    if (c.resource_id !== null) {
      const rid = Number(c.resource_id);
      if (Number.isSafeInteger(rid)) devices.add(rid);
      else full = true;
    } else if (c.collection_id !== null && graph.has(c.collection_id)) roots.add(c.collection_id);
  }
  const order = full ? everything : withDependentsInOrder(graph, [...roots]);
  if (full || order.length === everything.length || devices.size >= INCREMENTAL_MAX_DEVICES) {
    return evaluateInOrder(tx, graph, everything, evaluateOptions);
  }
  if (order.length) await evaluateInOrder(tx, graph, order, evaluateOptions);
  const ids = [...devices].sort((a, b) => a - b);
  for (let i = 0; i < ids.length; i += DEVICES_PER_PASS) {
    await evaluateInOrder(tx, graph, everything, { ...evaluateOptions, devices: ids.slice(i, i + DEVICES_PER_PASS) });
  }
  const { rows } = await tx.query<{ collection_id: string; member_count: number }>('SELECT collection_id, member_count FROM collections');
  const counts = new Map(rows.map((r) => [r.collection_id, Number(r.member_count)]));
  return everything.filter((id) => counts.has(id)).map((id) => ({ collectionId: id, memberCount: counts.get(id)! }));
}

/** Devices evaluated per pass of evaluateDevices (their rows and memberships read at once). */
const DEVICES_PER_PASS = 5_000;

/**
 * Brings the membership of these devices up to date in every collection (devices imported,
 * created or changed): the full evaluation's result for their rows, without reading the other
 * devices — what makes a device added or changed show in its query collections at once.
 * Returns the collections whose membership changed, with their new member counts. Consumes the
 * recorded changes of these devices (migration 016).
 */
export async function evaluateDevices(tx: Queryable, resourceIds: readonly number[], options: EvaluateOptions = {}): Promise<EvaluationResult[]> {
  for (const rid of resourceIds) {
    if (!Number.isSafeInteger(rid) || rid <= 0) throw new TypeError(`evaluateDevices: ${String(rid)} is not a resource id`);
  }
  const unique = [...new Set(resourceIds)];
  if (!unique.length) return [];
  await tx.query('SELECT pg_advisory_xact_lock($1)', [EVALUATION_LOCK]);
  // Consumed before the devices are read: exactly the rows this statement sees (see evaluateAllCollections).
  await tx.query('DELETE FROM collection_changes c USING unnest($1::bigint[]) AS u(rid) WHERE c.resource_id = u.rid', [`{${unique.join(',')}}`]);
  const graph = await loadCollectionGraph(tx);
  const order = allInOrder(graph);
  const changed = new Map<string, EvaluationResult>();
  for (let i = 0; i < unique.length; i += DEVICES_PER_PASS) {
    for (const r of await evaluateInOrder(tx, graph, order, { ...options, devices: unique.slice(i, i + DEVICES_PER_PASS) })) changed.set(r.collectionId, r);
  }
  return order.filter((id) => changed.has(id)).map((id) => changed.get(id)!);
}

/** One collection, assuming the collections it depends on are up to date. */
export async function evaluateOne(tx: Queryable, collectionId: string): Promise<EvaluationResult> {
  const params: unknown[] = [collectionId];
  let candidates: string;
  let restrictions = '';
  if (collectionId === ALL_SYSTEMS) {
    candidates = 'SELECT resource_id FROM devices';
  } else {
    const { rows: c } = await tx.query<{ limiting_collection_id: string | null }>('SELECT limiting_collection_id FROM collections WHERE collection_id = $1', [
      collectionId,
    ]);
    const { rows: rules } = await tx.query<{ id: number; kind: string; query: string | null }>(
      `SELECT id, kind, query FROM collection_rules WHERE collection_id = $1 AND kind IN ('query', 'include', 'exclude') ORDER BY id`,
      [collectionId],
    );
    const parts = [`SELECT resource_id FROM collection_rules WHERE collection_id = $1 AND kind = 'direct'`];
    const queries = rules
      .filter((r) => r.kind === 'query')
      .map((r) => compileCollectionQuery(storedCollectionQuery(r.query!, collectionId, Number(r.id)), params));
    // All query rules in one scan of the devices table.
    if (queries.length) parts.push(`SELECT d.resource_id FROM devices d WHERE ${queries.join(' OR ')}`);
    if (rules.some((r) => r.kind === 'include')) {
      parts.push(`SELECT m.resource_id FROM collection_members m
        WHERE m.collection_id IN (SELECT ref_collection_id FROM collection_rules WHERE collection_id = $1 AND kind = 'include')`);
    }
    candidates = parts.join(' UNION ');
    const limiting = c[0]?.limiting_collection_id;
    if (limiting) {
      restrictions += ` AND EXISTS (SELECT 1 FROM collection_members l WHERE l.collection_id = $${params.push(limiting)} AND l.resource_id = c.resource_id)`;
    }
    if (rules.some((r) => r.kind === 'exclude')) {
      restrictions += ` AND NOT EXISTS (SELECT 1 FROM collection_members x
        WHERE x.collection_id IN (SELECT ref_collection_id FROM collection_rules WHERE collection_id = $1 AND kind = 'exclude') AND x.resource_id = c.resource_id)`;
    }
  }
  // One statement: the CTEs see the same snapshot, so removing leavers and adding joiners cannot
  // disturb each other, and members that stay are not touched (an anti-join finds the joiners:
  // much cheaper than letting ON CONFLICT probe the index for every member that stays).
  const { rows } = await tx.query<{ member_count: number }>(
    `WITH cand AS (${candidates}),
     newset AS (SELECT c.resource_id FROM cand c WHERE c.resource_id IS NOT NULL${restrictions}),
     del AS (DELETE FROM collection_members cm WHERE cm.collection_id = $1
             AND NOT EXISTS (SELECT 1 FROM newset n WHERE n.resource_id = cm.resource_id)),
     ins AS (INSERT INTO collection_members (collection_id, resource_id) SELECT $1, n.resource_id FROM newset n
             WHERE NOT EXISTS (SELECT 1 FROM collection_members cm WHERE cm.collection_id = $1 AND cm.resource_id = n.resource_id)
             ON CONFLICT DO NOTHING)
     UPDATE collections SET member_count = (SELECT count(*)::int FROM newset), evaluated_at = now()
     WHERE collection_id = $1 RETURNING member_count`,
    params,
  );
  return { collectionId, memberCount: Number(rows[0]?.member_count ?? 0) };
}
