/**
 * Evaluating many collections at once (osd-features §3.1): the membership of each collection in
 * dependency order, as (direct ∪ query ∪ include) − exclude, restricted to the limiting
 * collection's members; All Systems holds every device. The same result evaluateOne gives one
 * collection at a time, computed in memory:
 *
 * - the query rules of the collections being evaluated are decided in one pass over the devices
 *   table (compileCollectionPredicate: the same parsed query and semantics as the SQL), instead of
 *   one scan of the table per rule — and not each rule on each device: RulePass (query/rule-index.ts)
 *   decides inventory-only rules once per distinct tuple of values and files the others under a
 *   necessary condition looked up per device; a rule or a device the JS cannot evaluate exactly
 *   (text outside ASCII …) goes to the SQL, and a handful of rules go to the SQL anyway (cheaper
 *   than reading every device);
 * - the set algebra runs on bitsets over the devices, in topological order;
 * - only the difference from the stored membership is written, in a few large statements.
 *
 * 100,000 devices × 1,000 collections: seconds instead of minutes (bench/collections.bench.mjs).
 */
import type { Queryable } from '../db/database.js';
import { ALL_SYSTEMS, ALL_UNKNOWN_COMPUTERS } from '../seed.js';
import type { CollectionGraph } from './graph.js';
import {
  compileCollectionPredicate,
  compileCollectionQuery,
  DEVICE_FACTS_SQL,
  deviceFacts,
  FactsLayout,
  RulePass,
  storedCollectionQuery,
  type CollectionQuery,
  type DeviceRow,
} from './query/index.js';

export interface EvaluationResult {
  collectionId: string;
  memberCount: number;
}

export interface EvaluateOptions {
  /**
   * How query rules are evaluated: 'auto' (the default) reads the devices once when at least
   * JS_SCAN_MIN_RULES rules need evaluating, else runs one statement per rule; 'js' and 'sql' force
   * one way (tests compare them).
   */
  queries?: 'auto' | 'js' | 'sql';
  /** Called with each phase's duration in milliseconds (benchmarks). */
  onPhase?: (phase: string, ms: number) => void;
  /** Rows added from which the indexes are rebuilt instead (default BULK_REBUILD_MIN_ROWS; tests lower it). */
  bulkRebuildMinRows?: number;
}

/**
 * Evaluating only some devices (evaluate.ts evaluateDevices): membership is decided device by
 * device — a device's facts, the direct rules naming it and its membership of the collections a
 * rule refers to — so the same pass restricted to these devices gives exactly their rows of a full
 * evaluation. The member counts change by the difference; evaluated_at is left alone (the
 * collection as a whole was not evaluated).
 */
interface DeviceSubset {
  devices: readonly number[];
}

/** From this many query rules on, one pass over the devices in JS beats one scan per rule. */
export const JS_SCAN_MIN_RULES = 4;

/**
 * From this many devices read, the rule pass (RulePass) is built: building it for 600 rules costs
 * about what testing every rule on 40 devices does (~2 ms); evaluating one device tests every rule.
 */
export const RULE_PASS_MIN_DEVICES = 32;

const BUILT_IN = new Set([ALL_SYSTEMS, ALL_UNKNOWN_COMPUTERS]);

/** Rows per write statement. */
const WRITE_CHUNK = 50_000;

interface QueryRule {
  collectionId: string;
  query: CollectionQuery;
  matches: number[];
}

interface Plan {
  direct: number[];
  queries: QueryRule[];
  includes: string[];
  excludes: string[];
  limiting?: string;
}

/**
 * Evaluates the collections of `order` (dependencies first; those it does not name are read as
 * stored) in `tx` and stores their membership. The caller holds the evaluation lock.
 */
export async function evaluateInOrder(
  tx: Queryable,
  graph: CollectionGraph,
  order: readonly string[],
  options: EvaluateOptions & Partial<DeviceSubset> = {},
): Promise<EvaluationResult[]> {
  if (!order.length) return [];
  const subset = options.devices ? new Set(options.devices) : undefined;
  const subsetParam = options.devices ? `{${options.devices.join(',')}}` : undefined;
  let t = performance.now();
  const phase = (name: string): void => {
    const now = performance.now();
    options.onPhase?.(name, now - t);
    t = now;
  };
  const selected = new Set(order);

  // 1. The rules of the collections evaluated.
  const { rows: ruleRows } = await tx.query<{
    id: number;
    collection_id: string;
    kind: string;
    resource_id: number | null;
    query: string | null;
    ref_collection_id: string | null;
  }>(
    subsetParam
      ? // Two halves, each on a partial index of migration 018: the rules that are not direct (few),
        // and the direct rules of these devices — not the other devices' direct rules, most of the
        // table. No list of collections: with a subset the order is every collection (evaluateDevices,
        // evaluateAllCollections), and a long list cost more to plan (8 ms for 1,000) than to read;
        // rules of collections outside the order are skipped below.
        `SELECT id, collection_id, kind, resource_id, query, ref_collection_id FROM collection_rules WHERE kind <> 'direct'
         UNION ALL
         SELECT id, collection_id, kind, resource_id, query, ref_collection_id FROM collection_rules WHERE kind = 'direct' AND resource_id = ANY($1::bigint[])
         ORDER BY id`
      : `SELECT id, collection_id, kind, resource_id, query, ref_collection_id FROM collection_rules WHERE collection_id = ANY($1::text[]) ORDER BY id`,
    subsetParam ? [subsetParam] : [textArray(order)],
  );
  const plans = new Map<string, Plan>();
  for (const id of order) {
    const limiting = graph.get(id)?.links.find((l) => l.kind === 'limiting')?.to;
    plans.set(id, { direct: [], queries: [], includes: [], excludes: [], limiting });
  }
  const queryRules: QueryRule[] = [];
  for (const r of ruleRows) {
    const plan = plans.get(r.collection_id);
    if (!plan || r.collection_id === ALL_SYSTEMS) continue;
    if (r.kind === 'direct' && r.resource_id !== null) {
      if (!subset || subset.has(Number(r.resource_id))) plan.direct.push(Number(r.resource_id));
    } else if (r.kind === 'query' && r.query !== null) {
      // A stored rule that no longer compiles is a conflict naming it, as in evaluateOne.
      const rule = { collectionId: r.collection_id, query: parsedRule(r.query, r.collection_id, Number(r.id)), matches: [] };
      plan.queries.push(rule);
      queryRules.push(rule);
    } else if (r.kind === 'include' && r.ref_collection_id !== null) plan.includes.push(r.ref_collection_id);
    else if (r.kind === 'exclude' && r.ref_collection_id !== null) plan.excludes.push(r.ref_collection_id);
  }
  phase('rules');

  // 2. Query rules: one pass over the devices in JS, or one statement per rule.
  const mode = options.queries ?? 'auto';
  const layout = new FactsLayout();
  const predicates = mode === 'sql' ? [] : queryRules.map((r) => compileCollectionPredicate(r.query, layout));
  const jsRules = queryRules.filter((_, i) => predicates[i]);
  // A few devices: their rows in JS, whatever the number of rules (matchInSql takes the rest).
  const useJs = mode === 'js' || (mode === 'auto' && (subset !== undefined || jsRules.length >= JS_SCAN_MIN_RULES));
  let allDevices: number[] | undefined;
  const sqlRules: QueryRule[] = [];
  if (useJs) {
    const { rows: macRows } = subsetParam
      ? await tx.query<{ resource_id: number; mac: string }>('SELECT resource_id, mac FROM device_macs WHERE resource_id = ANY($1::bigint[])', [subsetParam])
      : await tx.query<{ resource_id: number; mac: string }>('SELECT resource_id, mac FROM device_macs');
    const macs = new Map<number, string[]>();
    for (const m of macRows) {
      const rid = Number(m.resource_id);
      const list = macs.get(rid);
      if (list) list.push(m.mac);
      else macs.set(rid, [m.mac]);
    }
    const { rows } = subsetParam
      ? await tx.query<DeviceRow>(`${DEVICE_FACTS_SQL} WHERE d.resource_id = ANY($1::bigint[])`, [subsetParam])
      : await tx.query<DeviceRow>(DEVICE_FACTS_SQL);
    phase('read devices');
    allDevices = new Array<number>(rows.length);
    const preds = predicates.filter((p) => p !== undefined);
    // Not every rule on every device: rules reading only inventory and true/false attributes once
    // per distinct tuple of values, the others only on devices passing a guard (query/rule-index.ts).
    // A few devices (evaluateDevices) test every rule: building the pass would cost more.
    const pass =
      rows.length >= RULE_PASS_MIN_DEVICES
        ? new RulePass(
            jsRules.map((r) => r.query),
            preds,
            layout,
          )
        : undefined;
    const leftToSql: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      const rid = Number(rows[i].resource_id);
      allDevices[i] = rid;
      const facts = deviceFacts(rows[i], macs.get(rid) ?? [], layout);
      if (!facts) {
        leftToSql.push(rid);
        continue;
      }
      if (pass) for (const k of pass.match(facts)) jsRules[k].matches.push(rid);
      else for (let k = 0; k < preds.length; k++) if (preds[k](facts)) jsRules[k].matches.push(rid);
    }
    if (leftToSql.length) await matchInSql(tx, jsRules, leftToSql);
    const cached = pass ? `, ${pass.stats.cachedRules} of them cached in ${pass.stats.cachedGroups} groups` : '';
    phase(`query rules in JS (${jsRules.length} rules${cached}, ${leftToSql.length} devices left to SQL)`);
    // Loops, not push(...list): spreading a long list as arguments can overflow the stack.
    for (let i = 0; i < queryRules.length; i++) if (!predicates[i]) sqlRules.push(queryRules[i]);
  } else {
    for (const rule of queryRules) sqlRules.push(rule);
  }
  if (subset && sqlRules.length) await matchInSql(tx, sqlRules, options.devices!);
  for (const rule of subset ? [] : sqlRules) {
    const params: unknown[] = [];
    const cond = compileCollectionQuery(rule.query, params);
    const { rows } = await tx.query<{ resource_id: number }>(`SELECT d.resource_id FROM devices d WHERE ${cond}`, params);
    for (const r of rows) rule.matches.push(Number(r.resource_id));
  }
  if (sqlRules.length) phase(`query rules in SQL (${sqlRules.length} rules)`);
  if (selected.has(ALL_SYSTEMS) && !allDevices) {
    const { rows } = subsetParam
      ? await tx.query<{ resource_id: number }>('SELECT resource_id FROM devices WHERE resource_id = ANY($1::bigint[])', [subsetParam])
      : await tx.query<{ resource_id: number }>('SELECT resource_id FROM devices');
    allDevices = rows.map((r) => Number(r.resource_id));
  }

  // 3. The stored membership: of the collections evaluated (to write only the difference) and of
  // the ones they depend on but are not evaluated.
  const stored = new Set<string>(order);
  for (const plan of plans.values()) {
    for (const ref of [...plan.includes, ...plan.excludes, ...(plan.limiting ? [plan.limiting] : [])]) stored.add(ref);
  }
  // A few devices: their rows by the device index, whatever collections they are in (by collection
  // the planner would walk every evaluated collection's rows).
  const { rows: memberRows } = subsetParam
    ? await tx.query<{ collection_id: string; ids: string }>(
        `SELECT collection_id, string_agg(resource_id::text, ',') AS ids FROM collection_members WHERE resource_id = ANY($1::bigint[]) GROUP BY collection_id`,
        [subsetParam],
      )
    : await tx.query<{ collection_id: string; ids: string }>(
        `SELECT collection_id, string_agg(resource_id::text, ',') AS ids FROM collection_members WHERE collection_id = ANY($1::text[]) GROUP BY collection_id`,
        [textArray([...stored])],
      );
  const before = new Map<string, number[]>();
  for (const r of memberRows) if (stored.has(r.collection_id)) before.set(r.collection_id, r.ids.split(',').map(Number));
  phase('read memberships');

  // 4. The set algebra on bitsets over every device seen (indexed in resource id order, so the
  // rows written come out sorted).
  const seen: number[] = [...(allDevices ?? [])];
  for (const plan of plans.values()) for (const rid of plan.direct) seen.push(rid);
  for (const rule of queryRules) for (const rid of rule.matches) seen.push(rid);
  for (const list of before.values()) for (const rid of list) seen.push(rid);
  const rids = Float64Array.from(new Set(seen)).sort();
  const index = new Map<number, number>();
  for (let i = 0; i < rids.length; i++) index.set(rids[i], i);
  const words = (rids.length + 31) >>> 5;
  const bits = (list: readonly number[], into = new Uint32Array(words)): Uint32Array<ArrayBuffer> => {
    for (const rid of list) {
      const i = index.get(rid)!;
      into[i >>> 5] |= 1 << (i & 31);
    }
    return into;
  };
  const empty = new Uint32Array(words);
  const computed = new Map<string, Uint32Array>();
  const beforeBits = new Map<string, Uint32Array>();
  const storedBits = (id: string): Uint32Array => {
    let b = beforeBits.get(id);
    if (!b) beforeBits.set(id, (b = before.has(id) ? bits(before.get(id)!) : empty));
    return b;
  };
  // A collection not evaluated yet (only in a cycle, which the graph refuses) reads as stored.
  const membersOf = (id: string): Uint32Array => computed.get(id) ?? storedBits(id);

  const results: EvaluationResult[] = [];
  const inserts: { id: string; rids: number[] }[] = [];
  const deletes: { id: string; rids: number[] }[] = [];
  for (const id of order) {
    const plan = plans.get(id)!;
    let set: Uint32Array<ArrayBuffer>;
    if (id === ALL_SYSTEMS) set = bits(allDevices ?? []);
    else {
      set = bits(plan.direct);
      for (const rule of plan.queries) bits(rule.matches, set);
      for (const inc of plan.includes) orInto(set, membersOf(inc));
      for (const exc of plan.excludes) andNotInto(set, membersOf(exc));
      if (plan.limiting) andInto(set, membersOf(plan.limiting));
    }
    computed.set(id, set);
    const old = storedBits(id);
    const added: number[] = [];
    const removed: number[] = [];
    let count = 0;
    for (let w = 0; w < words; w++) {
      const n = set[w];
      const o = old[w];
      if (n) count += popcount(n);
      if (n === o) continue;
      collect(n & ~o, w, rids, added);
      collect(o & ~n, w, rids, removed);
    }
    if (added.length) inserts.push({ id, rids: added });
    if (removed.length) deletes.push({ id, rids: removed });
    results.push({ collectionId: id, memberCount: count });
  }
  phase('set algebra');

  // 5. Write the difference and the counts.
  for (const chunk of chunks(deletes)) {
    await tx.query(
      `DELETE FROM collection_members m USING unnest($1::text[], $2::bigint[]) AS u(collection_id, resource_id)
       WHERE m.collection_id = u.collection_id AND m.resource_id = u.resource_id`,
      chunk,
    );
  }
  // Only evaluations (under the lock) write a user collection's members; importing devices adds to
  // All Systems and opening a site to All Unknown Computers, so a row there may already be in.
  inserts.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const bulk = !subset && (await withoutMemberIndexes(tx, sum(inserts), options.bulkRebuildMinRows ?? BULK_REBUILD_MIN_ROWS));
  for (const builtIn of [true, false]) {
    // Without the primary key ON CONFLICT has nothing to go by: an anti-join instead.
    const conflict = !builtIn
      ? ''
      : bulk
        ? ' WHERE NOT EXISTS (SELECT 1 FROM collection_members m WHERE m.collection_id = u.c AND m.resource_id = u.r)'
        : ' ON CONFLICT DO NOTHING';
    for (const chunk of chunks(inserts.filter((i) => BUILT_IN.has(i.id) === builtIn))) {
      await tx.query(
        `INSERT INTO collection_members (collection_id, resource_id) SELECT u.c, u.r FROM unnest($1::text[], $2::bigint[]) AS u(c, r)${conflict}`,
        chunk,
      );
    }
  }
  if (bulk) await restoreMemberIndexes(tx);
  if (subset) {
    // The counts move by the difference; the results are the collections whose membership changed.
    const delta = new Map<string, number>();
    for (const { id, rids: list } of inserts) delta.set(id, (delta.get(id) ?? 0) + list.length);
    for (const { id, rids: list } of deletes) delta.set(id, (delta.get(id) ?? 0) - list.length);
    if (!delta.size) return [];
    const { rows } = await tx.query<{ collection_id: string; member_count: number }>(
      `UPDATE collections c SET member_count = GREATEST(c.member_count + u.d, 0) FROM unnest($1::text[], $2::int[]) AS u(id, d)
       WHERE c.collection_id = u.id RETURNING c.collection_id, c.member_count`,
      [textArray([...delta.keys()]), `{${[...delta.values()].join(',')}}`],
    );
    const counts = new Map(rows.map((r) => [r.collection_id, Number(r.member_count)]));
    phase(`write (${sum(inserts)} added, ${sum(deletes)} removed)`);
    return order.filter((id) => counts.has(id)).map((id) => ({ collectionId: id, memberCount: counts.get(id)! }));
  }
  await tx.query(
    `UPDATE collections c SET member_count = u.n, evaluated_at = now() FROM unnest($1::text[], $2::int[]) AS u(id, n) WHERE c.collection_id = u.id`,
    [textArray(results.map((r) => r.collectionId)), `{${results.map((r) => r.memberCount).join(',')}}`],
  );
  phase(`write (${sum(inserts)} added, ${sum(deletes)} removed)`);
  return results;
}

/**
 * From this many rows added, when they at least double the table, the two indexes of
 * collection_members are dropped for the write and built again after it: building an index from
 * the sorted rows is several times cheaper than inserting a million entries one by one into it
 * (one million rows, measured: PGlite 16 s → 7 s, PostgreSQL 11 s → 3.6 s; bench/collections.bench.mjs).
 */
export const BULK_REBUILD_MIN_ROWS = 200_000;

/**
 * Drops collection_members' indexes for a large write, when it pays and the table can be had at
 * once: the rebuild needs the table to itself (ACCESS EXCLUSIVE, until the transaction ends —
 * readers of the membership wait for the evaluation, seconds, on PostgreSQL; PGlite has one
 * connection). NOWAIT, inside a savepoint, so that a transaction already reading the table (the
 * management point evaluating one device reads it before waiting for the evaluation lock) can
 * never deadlock with this one: the write then goes through the indexes, slower but the same.
 */
async function withoutMemberIndexes(tx: Queryable, adding: number, minRows: number): Promise<boolean> {
  if (adding < minRows) return false;
  const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM collection_members');
  if (adding < Number(rows[0]?.n ?? 0)) return false;
  await tx.query('SAVEPOINT osd_members_bulk');
  try {
    await tx.query('LOCK TABLE collection_members IN ACCESS EXCLUSIVE MODE NOWAIT');
  } catch {
    await tx.query('ROLLBACK TO SAVEPOINT osd_members_bulk');
    return false;
  }
  await tx.query('RELEASE SAVEPOINT osd_members_bulk');
  await tx.query('ALTER TABLE collection_members DROP CONSTRAINT collection_members_pkey');
  await tx.query('DROP INDEX collection_members_resource');
  return true;
}

/** The indexes of migration 004, as they were. */
async function restoreMemberIndexes(tx: Queryable): Promise<void> {
  await tx.query('ALTER TABLE collection_members ADD CONSTRAINT collection_members_pkey PRIMARY KEY (collection_id, resource_id)');
  await tx.query('CREATE INDEX collection_members_resource ON collection_members (resource_id)');
}

/**
 * Stored query rules parsed before, by their text (a parse depends on nothing else; the parsed
 * query is only read). Evaluating one device reads every rule: at 1,000 collections parsing them
 * all again was most of its time. A rule that does not parse is not kept, and fails each time.
 */
const parsed = new Map<string, CollectionQuery>();
const PARSED_MAX = 20_000;

function parsedRule(text: string, collectionId: string, ruleId: number): CollectionQuery {
  let q = parsed.get(text);
  if (!q) {
    q = storedCollectionQuery(text, collectionId, ruleId);
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(text, q);
  }
  return q;
}

/** Query rules on devices the JS cannot evaluate exactly, in SQL: a few statements of many rules each. */
async function matchInSql(tx: Queryable, rules: readonly QueryRule[], devices: readonly number[]): Promise<void> {
  for (let i = 0; i < rules.length;) {
    const params: unknown[] = [`{${devices.join(',')}}`];
    const parts: string[] = [];
    const batch: QueryRule[] = [];
    for (; i < rules.length && batch.length < 100 && params.length < 20_000; i++) {
      parts.push(
        `SELECT ${batch.length} AS k, d.resource_id FROM devices d WHERE d.resource_id = ANY($1::bigint[]) AND ${compileCollectionQuery(rules[i].query, params)}`,
      );
      batch.push(rules[i]);
    }
    const { rows } = await tx.query<{ k: number; resource_id: number }>(parts.join(' UNION ALL '), params);
    for (const r of rows) batch[r.k].matches.push(Number(r.resource_id));
  }
}

/** (collection_id[], resource_id[]) parameter pairs of at most WRITE_CHUNK rows. */
function* chunks(lists: readonly { id: string; rids: number[] }[]): Generator<[string, string]> {
  let ids: string[] = [];
  let rids: number[] = [];
  for (const { id, rids: list } of lists) {
    for (let i = 0; i < list.length; i++) {
      ids.push(id);
      rids.push(list[i]);
      if (rids.length >= WRITE_CHUNK) {
        yield [textArray(ids), `{${rids.join(',')}}`];
        ids = [];
        rids = [];
      }
    }
  }
  if (rids.length) yield [textArray(ids), `{${rids.join(',')}}`];
}

const sum = (lists: readonly { rids: number[] }[]): number => lists.reduce((n, l) => n + l.rids.length, 0);

/** A text[] literal (elements quoted, so any text is safe). */
function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

function orInto(a: Uint32Array, b: Uint32Array): void {
  for (let i = 0; i < a.length; i++) a[i] |= b[i];
}
function andInto(a: Uint32Array, b: Uint32Array): void {
  for (let i = 0; i < a.length; i++) a[i] &= b[i];
}
function andNotInto(a: Uint32Array, b: Uint32Array): void {
  for (let i = 0; i < a.length; i++) a[i] &= ~b[i];
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Appends the resource ids of the bits set in `word` (word number `w`). */
function collect(word: number, w: number, rids: ArrayLike<number>, out: number[]): void {
  while (word) {
    const low = word & -word;
    out.push(rids[(w << 5) + 31 - Math.clz32(low)]);
    word ^= low;
  }
}
