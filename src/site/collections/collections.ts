/**
 * Device collections (osd-features §3.1): name (unique, case-insensitive), comment, limiting
 * collection (user collections always have one; All Systems by default), collection variable
 * priority 1–9, rules and evaluated membership. The built-ins All Systems and All Unknown Computers
 * cannot be deleted, renamed, re-limited or have their rules changed.
 */
import { containsPattern } from '../db/like.js';
import { decodeDeviceCursor, encodeDeviceCursor } from '../devices/cursor.js';
import type { Database, Queryable } from '../db/database.js';
import { audit } from '../audit.js';
import { badInput, conflict, inUse, notFound } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import { checkName, checkText } from '../text-rules.js';
import { MAX_COMMENT_LENGTH, MAX_NAME_LENGTH, MAX_SEARCH_LENGTH } from './limits.js';
import { nextSiteId } from '../ids.js';
import { ALL_SYSTEMS } from '../seed.js';
import type { Actor } from '../security/roles.js';
import { EVALUATION_LOCK, evaluateWithDependents, type EvaluationResult } from './evaluate.js';
import { cycleIfLinked, loadCollectionGraph } from './graph.js';
import { builtInRefused, insertRules, requireCollection, type CollectionRule, type RuleInput } from './rules.js';

export interface Collection {
  collectionId: string;
  name: string;
  comment: string;
  limitingCollectionId: string | null;
  limitingCollectionName: string | null;
  builtIn: boolean;
  variablePriority: number;
  memberCount: number;
  evaluatedAt: string | null;
  ruleCount: number;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  collection_id: string;
  name: string;
  comment: string;
  limiting_collection_id: string | null;
  limiting_name: string | null;
  built_in: boolean;
  variable_priority: number;
  member_count: number;
  evaluated_at: Date | null;
  rule_count: number;
  created_at: Date;
  updated_at: Date;
}

const SELECT = `SELECT c.collection_id, c.name, c.comment, c.limiting_collection_id, l.name AS limiting_name, c.built_in, c.variable_priority,
  c.member_count, c.evaluated_at, c.created_at, c.updated_at,
  (SELECT count(*)::int FROM collection_rules r WHERE r.collection_id = c.collection_id) AS rule_count
  FROM collections c LEFT JOIN collections l ON l.collection_id = c.limiting_collection_id`;

const toCollection = (r: Row): Collection => ({
  collectionId: r.collection_id,
  name: r.name,
  comment: r.comment,
  limitingCollectionId: r.limiting_collection_id,
  limitingCollectionName: r.limiting_name,
  builtIn: r.built_in,
  variablePriority: r.variable_priority,
  memberCount: Number(r.member_count),
  evaluatedAt: r.evaluated_at ? r.evaluated_at.toISOString() : null,
  ruleCount: Number(r.rule_count),
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** The list counts rules once for all collections (a count per row costs a lookup per collection). */
const LIST = `SELECT c.collection_id, c.name, c.comment, c.limiting_collection_id, l.name AS limiting_name, c.built_in, c.variable_priority,
  c.member_count, c.evaluated_at, c.created_at, c.updated_at, coalesce(rc.n, 0) AS rule_count
  FROM collections c LEFT JOIN collections l ON l.collection_id = c.limiting_collection_id
  LEFT JOIN (SELECT collection_id, count(*)::int AS n FROM collection_rules GROUP BY collection_id) rc ON rc.collection_id = c.collection_id`;

export async function listCollections(db: Queryable, filter: { search?: string; limit?: number; offset?: number } = {}): Promise<Collection[]> {
  const params: unknown[] = [];
  const search = filter.search === undefined ? undefined : checkSearch(filter.search, 'query.search');
  const where = search ? `WHERE c.name ILIKE $${params.push(containsPattern(search))}` : '';
  const limit = filter.limit === undefined ? undefined : checkPageNumber(filter.limit, 'query.limit');
  const offset = checkPageNumber(filter.offset ?? 0, 'query.offset');
  const page = limit ? ` LIMIT ${Math.min(Math.max(limit, 1), 10_000)} OFFSET ${offset}` : '';
  const { rows } = await db.query<Row>(`${LIST} ${where} ORDER BY c.built_in DESC, lower(c.name), c.collection_id${page}`, params);
  return rows.map(toCollection);
}

export async function getCollection(db: Queryable, collectionId: string): Promise<Collection> {
  checkText(collectionId, 'params.collectionId');
  const { rows } = await db.query<Row>(`${SELECT} WHERE c.collection_id = $1`, [collectionId]);
  if (!rows[0]) throw notFound('collection', collectionId, 'list the collections to find its id', nextSteps('list-collections'));
  return toCollection(rows[0]);
}

export interface CreateCollectionInput {
  name: string;
  comment?: string;
  limitingCollectionId?: string;
  variablePriority?: number;
  rules?: RuleInput[];
}

export async function createCollection(
  db: Database,
  actor: Actor,
  siteCode: string,
  input: CreateCollectionInput,
): Promise<{ collection: Collection; rules: CollectionRule[] }> {
  const name = checkCollectionName(input.name, 'body.name');
  const priority = checkPriority(input.variablePriority ?? 1, 'body.variablePriority');
  const comment = input.comment === undefined ? '' : checkComment(input.comment, 'body.comment');
  if (input.limitingCollectionId !== undefined) checkText(input.limitingCollectionId, 'body.limitingCollectionId');
  return db.transaction(async (tx) => {
    await uniqueName(tx, name, 'body.name');
    const limiting = input.limitingCollectionId ?? ALL_SYSTEMS;
    const graph = await loadCollectionGraph(tx);
    if (!graph.has(limiting))
      throw badInput(
        'body.limitingCollectionId',
        `no collection has the id ${limiting}`,
        'every user collection is limited to an existing collection, All Systems (SMS00001) by default',
      );
    const id = await nextSiteId(tx, siteCode, 'collection');
    await tx.query(`INSERT INTO collections (collection_id, name, comment, limiting_collection_id, variable_priority) VALUES ($1, $2, $3, $4, $5)`, [
      id,
      name,
      comment,
      limiting,
      priority,
    ]);
    graph.set(id, { id, name, links: [{ to: limiting, kind: 'limiting' }] });
    const rules = await insertRules(tx, id, input.rules ?? [], (i) => `body.rules[${i}]`, graph);
    await audit(tx, actor, 'create', 'collection', id, { name, limitingCollectionId: limiting, variablePriority: priority, rules: rules.length });
    await evaluateWithDependents(tx, [id]);
    return { collection: await getCollection(tx, id), rules };
  });
}

export interface UpdateCollectionInput {
  name?: string;
  comment?: string;
  limitingCollectionId?: string;
  variablePriority?: number;
}

export async function updateCollection(db: Database, actor: Actor, collectionId: string, input: UpdateCollectionInput): Promise<Collection> {
  const name = input.name === undefined ? undefined : checkCollectionName(input.name, 'body.name');
  const priority = input.variablePriority === undefined ? undefined : checkPriority(input.variablePriority, 'body.variablePriority');
  if (input.comment !== undefined) checkComment(input.comment, 'body.comment');
  if (input.limitingCollectionId !== undefined) checkText(input.limitingCollectionId, 'body.limitingCollectionId');
  return db.transaction(async (tx) => {
    const c = await requireCollection(tx, collectionId);
    const limitingChanges = input.limitingCollectionId !== undefined && input.limitingCollectionId !== c.limiting_collection_id;
    if (c.built_in && name !== undefined && name !== c.name) throw builtInRefused(collectionId, c.name, 'it cannot be renamed');
    if (c.built_in && limitingChanges) throw builtInRefused(collectionId, c.name, 'its limiting collection cannot be changed');
    if (name !== undefined && name.toLowerCase() !== c.name.toLowerCase()) await uniqueName(tx, name, 'body.name');
    if (limitingChanges) {
      const graph = await loadCollectionGraph(tx);
      const to = input.limitingCollectionId!;
      if (!graph.has(to))
        throw badInput('body.limitingCollectionId', `no collection has the id ${to}`, 'list the collections to find its id', nextSteps('list-collections'));
      graph.get(collectionId)!.links = graph.get(collectionId)!.links.filter((l) => l.kind !== 'limiting');
      const cycle = cycleIfLinked(graph, collectionId, to, 'limiting');
      if (cycle)
        throw badInput(
          'body.limitingCollectionId',
          `this limiting collection would make a cycle: ${cycle}`,
          'a collection cannot depend on itself through include, exclude or limiting collections',
        );
    }
    await tx.query(
      `UPDATE collections SET name = COALESCE($2, name), comment = COALESCE($3, comment), limiting_collection_id = COALESCE($4, limiting_collection_id),
         variable_priority = COALESCE($5, variable_priority), updated_at = now() WHERE collection_id = $1`,
      [collectionId, name ?? null, input.comment ?? null, input.limitingCollectionId ?? null, priority ?? null],
    );
    await audit(tx, actor, 'update', 'collection', collectionId, { ...input });
    if (limitingChanges) await evaluateWithDependents(tx, [collectionId]);
    return getCollection(tx, collectionId);
  });
}

export async function deleteCollection(db: Database, actor: Actor, collectionId: string): Promise<Collection> {
  return db.transaction(async (tx) => {
    const before = await getCollection(tx, collectionId);
    if (before.builtIn) throw builtInRefused(collectionId, before.name, 'it cannot be deleted');
    const users: string[] = [];
    const deployments = await tx.query<{ deployment_id: string }>('SELECT deployment_id FROM deployments WHERE collection_id = $1 ORDER BY 1', [collectionId]);
    for (const d of deployments.rows) users.push(`task sequence deployment ${d.deployment_id}`);
    const updates = await tx.query<{ deployment_id: string; name: string }>(
      'SELECT deployment_id, name FROM software_update_deployments WHERE collection_id = $1 ORDER BY 1',
      [collectionId],
    );
    for (const d of updates.rows) users.push(`software update deployment ${d.deployment_id} "${d.name}"`);
    const limited = await tx.query<{ collection_id: string; name: string }>(
      'SELECT collection_id, name FROM collections WHERE limiting_collection_id = $1 ORDER BY 1',
      [collectionId],
    );
    for (const c of limited.rows) users.push(`collection ${c.collection_id} "${c.name}" (limiting collection)`);
    const refs = await tx.query<{ collection_id: string; name: string; kind: string }>(
      `SELECT r.collection_id, c.name, r.kind FROM collection_rules r JOIN collections c ON c.collection_id = r.collection_id
       WHERE r.ref_collection_id = $1 ORDER BY 1`,
      [collectionId],
    );
    for (const r of refs.rows) users.push(`collection ${r.collection_id} "${r.name}" (${r.kind} rule)`);
    if (users.length) {
      throw inUse(collectionId, `"${before.name}" is in use by ${users.join(', ')}`, 'delete those deployments, or change those collections, first', {
        usedBy: users,
      });
    }
    // Its rules and variables go with it (ON DELETE CASCADE, §3.3), its members by a trigger
    // (migration 015); under the evaluation lock, so no evaluation writes members for it after.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [EVALUATION_LOCK]);
    await tx.query('DELETE FROM collections WHERE collection_id = $1', [collectionId]);
    await audit(tx, actor, 'delete', 'collection', collectionId, { name: before.name });
    return before;
  });
}

export async function evaluateCollection(db: Database, actor: Actor, collectionId: string): Promise<EvaluationResult[]> {
  return db.transaction(async (tx) => {
    await requireCollection(tx, collectionId);
    const evaluated = await evaluateWithDependents(tx, [collectionId]);
    await audit(tx, actor, 'evaluate', 'collection', collectionId, { collections: evaluated.length });
    return evaluated;
  });
}

export interface CollectionMember {
  resourceId: number;
  name: string;
  smbiosGuid: string | null;
  macAddresses: string[];
  unknownComputer: string | null;
  client: boolean;
}

/**
 * A collection's members in name order. `total` is the collection's member count; `search` (part
 * of a name) narrows the list and `matching` counts what it matches (first page only). Page with
 * `cursor` (the previous answer's nextCursor): the same cost on every page, where `offset` walks
 * past every earlier member.
 */
export async function listMembers(
  db: Queryable,
  collectionId: string,
  page: { limit?: number; offset?: number; cursor?: string; search?: string } = {},
): Promise<{ total: number; matching: number | null; members: CollectionMember[]; nextCursor: string | null }> {
  const c = await getCollection(db, collectionId);
  const limit = Math.min(Math.max(checkPageNumber(page.limit ?? 100, 'query.limit'), 1), 1000);
  const offset = checkPageNumber(page.offset ?? 0, 'query.offset');
  const params: unknown[] = [c.collectionId];
  let where = 'm.collection_id = $1';
  if (page.search) where += ` AND d.name ILIKE $${params.push(containsPattern(checkSearch(page.search, 'query.search').trim()))}`;
  const matching =
    page.search && !page.cursor
      ? Number(
          (
            await db.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM collection_members m JOIN devices d ON d.resource_id = m.resource_id WHERE ${where}`,
              params,
            )
          ).rows[0]!.n,
        )
      : null;
  let tail = `ORDER BY lower(d.name), d.resource_id LIMIT ${limit}`;
  if (page.cursor) {
    const [name, id] = decodeDeviceCursor(page.cursor);
    where += ` AND (lower(d.name), d.resource_id) > ($${params.push(name)}, $${params.push(id)})`;
  } else tail += ` OFFSET ${offset}`;
  const { rows } = await db.query<{
    resource_id: number;
    name: string;
    sort_key: string;
    smbios_guid: string | null;
    mac_addresses: string[];
    unknown_computer: string | null;
    client: boolean;
  }>(
    `SELECT d.resource_id, d.name, lower(d.name) AS sort_key, d.smbios_guid, d.mac_addresses, d.unknown_computer, d.client
     FROM collection_members m JOIN devices d ON d.resource_id = m.resource_id
     WHERE ${where} ${tail}`,
    params,
  );
  return {
    total: c.memberCount,
    matching,
    members: rows.map((r) => ({
      resourceId: Number(r.resource_id),
      name: r.name,
      smbiosGuid: r.smbios_guid,
      macAddresses: r.mac_addresses,
      unknownComputer: r.unknown_computer,
      client: r.client,
    })),
    nextCursor: rows.length === limit ? encodeDeviceCursor(rows[rows.length - 1]!) : null,
  };
}

function checkCollectionName(name: string, input: string): string {
  // Surrounding white space is trimmed as before; what is left must be a name.
  const n = checkName(name.trim(), input);
  if (!n) throw badInput(input, 'a collection needs a name');
  if (n.length > MAX_NAME_LENGTH) throw badInput(input, `the name is ${n.length} characters; at most ${MAX_NAME_LENGTH}`);
  return n;
}

function checkComment(comment: string, input: string): string {
  checkText(comment, input);
  if (comment.length > MAX_COMMENT_LENGTH) throw badInput(input, `the comment is ${comment.length} characters; at most ${MAX_COMMENT_LENGTH}`);
  return comment;
}

/** A search of names: text (no NUL, no lone surrogate) of at most MAX_SEARCH_LENGTH characters. */
export function checkSearch(search: string, input: string): string {
  checkText(search, input);
  if (search.length > MAX_SEARCH_LENGTH)
    throw badInput(input, `the search is ${search.length} characters; at most ${MAX_SEARCH_LENGTH}`, 'search for part of a name');
  return search;
}

/** A page's limit or offset: a whole number from 0 to 2^53 − 1 (it is written into the SQL). */
export function checkPageNumber(n: number, input: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw badInput(input, `${String(n)} is not a page position: a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`);
  return n;
}

function checkPriority(p: number, input: string): number {
  if (!Number.isInteger(p) || p < 1 || p > 9)
    throw badInput(input, `collection variable priority is 1 (lowest) to 9 (highest), not ${p}`, 'higher priority collection variables win');
  return p;
}

async function uniqueName(tx: Queryable, name: string, input: string): Promise<void> {
  const { rows } = await tx.query<{ collection_id: string; name: string }>('SELECT collection_id, name FROM collections WHERE lower(name) = lower($1)', [name]);
  if (rows[0])
    throw conflict(input, `collection ${rows[0].collection_id} is already named "${rows[0].name}"`, 'collection names are unique, whatever their case');
}
