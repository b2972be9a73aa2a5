/**
 * Membership rules (osd-features §3.1): direct (one device), query (WQL over SMS_R_System),
 * include and exclude (another collection's members). Built-in collections keep their rules.
 */
import type { Database, Queryable } from '../db/database.js';
import { audit } from '../audit.js';
import { badInput, conflict, notFound, SiteError } from '../errors.js';
import type { Actor } from '../security/roles.js';
import { evaluateWithDependents, type EvaluationResult } from './evaluate.js';
import { cycleIfLinked, loadCollectionGraph, type CollectionGraph } from './graph.js';
import { checkCollectionQuery } from './query-rule.js';

export type RuleInput =
  | { kind: 'direct'; resourceId: number; name?: string }
  | { kind: 'query'; query: string; name?: string }
  | { kind: 'include' | 'exclude'; collectionId: string; name?: string };

export interface CollectionRule {
  ruleId: number;
  kind: 'direct' | 'query' | 'include' | 'exclude';
  name: string;
  resourceId: number | null;
  query: string | null;
  collectionId: string | null;
}

interface RuleRow {
  id: number;
  kind: CollectionRule['kind'];
  name: string;
  resource_id: number | null;
  query: string | null;
  ref_collection_id: string | null;
}

const toRule = (r: RuleRow): CollectionRule => ({
  ruleId: Number(r.id),
  kind: r.kind,
  name: r.name,
  resourceId: r.resource_id === null ? null : Number(r.resource_id),
  query: r.query,
  collectionId: r.ref_collection_id,
});

export async function listRules(db: Queryable, collectionId: string): Promise<CollectionRule[]> {
  await requireCollection(db, collectionId);
  const { rows } = await db.query<RuleRow>('SELECT id, kind, name, resource_id, query, ref_collection_id FROM collection_rules WHERE collection_id = $1 ORDER BY id', [collectionId]);
  return rows.map(toRule);
}

export async function requireCollection(db: Queryable, collectionId: string): Promise<{ collection_id: string; name: string; built_in: boolean; limiting_collection_id: string | null }> {
  const { rows } = await db.query<{ collection_id: string; name: string; built_in: boolean; limiting_collection_id: string | null }>(
    'SELECT collection_id, name, built_in, limiting_collection_id FROM collections WHERE collection_id = $1',
    [collectionId],
  );
  if (!rows[0]) throw notFound('collection', collectionId, 'list collections with GET /api/v1/collections');
  return rows[0];
}

export function builtInRefused(collectionId: string, name: string, what: string): SiteError {
  return new SiteError('conflict', {
    input: collectionId,
    rule: `"${name}" is a built-in collection: ${what}`,
    hint: 'create your own collection limited to it and change that one',
  });
}

/**
 * Checks rules about to be added to `collectionId` (in `tx`, before any write) and inserts them.
 * `graph` is updated with the new links so several rules are checked together for cycles.
 */
export async function insertRules(tx: Queryable, collectionId: string, rules: readonly RuleInput[], inputPath: (i: number) => string, graph: CollectionGraph): Promise<CollectionRule[]> {
  const prepared: { kind: string; name: string; resourceId: number | null; query: string | null; ref: string | null }[] = [];
  const { rows: existingRows } = await tx.query<RuleRow>('SELECT id, kind, name, resource_id, query, ref_collection_id FROM collection_rules WHERE collection_id = $1', [collectionId]);
  const existing = existingRows.map(toRule);
  for (const [i, rule] of rules.entries()) {
    const at = inputPath(i);
    if (rule.kind === 'direct') {
      const { rows } = await tx.query<{ name: string }>('SELECT name FROM devices WHERE resource_id = $1', [rule.resourceId]);
      if (!rows[0]) throw badInput(`${at}.resourceId`, `no device has ResourceID ${rule.resourceId}`, 'list devices with GET /api/v1/devices');
      const dup = existing.find((r) => r.kind === 'direct' && r.resourceId === rule.resourceId) ?? prepared.find((r) => r.kind === 'direct' && r.resourceId === rule.resourceId);
      if (dup) throw conflict(`${at}.resourceId`, `the collection already has a direct rule for ResourceID ${rule.resourceId}`, 'nothing to add');
      prepared.push({ kind: 'direct', name: rule.name ?? rows[0].name, resourceId: rule.resourceId, query: null, ref: null });
    } else if (rule.kind === 'query') {
      checkCollectionQuery(rule.query, `${at}.query`);
      prepared.push({ kind: 'query', name: rule.name ?? 'Query', resourceId: null, query: rule.query, ref: null });
    } else {
      const ref = graph.get(rule.collectionId);
      if (!ref) throw badInput(`${at}.collectionId`, `no collection has the id ${rule.collectionId}`, 'list collections with GET /api/v1/collections');
      const dup = graph.get(collectionId)?.links.find((l) => l.to === rule.collectionId && l.kind === rule.kind);
      if (dup) throw conflict(`${at}.collectionId`, `the collection already ${rule.kind}s ${rule.collectionId}`, 'nothing to add');
      const cycle = cycleIfLinked(graph, collectionId, rule.collectionId, rule.kind);
      if (cycle) throw badInput(`${at}.collectionId`, `this rule would make a cycle: ${cycle}`, 'a collection cannot depend on itself through include, exclude or limiting collections');
      graph.get(collectionId)?.links.push({ to: rule.collectionId, kind: rule.kind });
      prepared.push({ kind: rule.kind, name: rule.name ?? ref.name, resourceId: null, query: null, ref: rule.collectionId });
    }
  }
  const out: CollectionRule[] = [];
  for (const p of prepared) {
    const { rows } = await tx.query<RuleRow>(
      `INSERT INTO collection_rules (collection_id, kind, name, resource_id, query, ref_collection_id) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING id, kind, name, resource_id, query, ref_collection_id`,
      [collectionId, p.kind, p.name, p.resourceId, p.query, p.ref],
    );
    out.push(toRule(rows[0]));
  }
  return out;
}

export async function addRule(db: Database, actor: Actor, collectionId: string, rule: RuleInput): Promise<{ rule: CollectionRule; evaluated: EvaluationResult[] }> {
  return db.transaction(async (tx) => {
    const c = await requireCollection(tx, collectionId);
    if (c.built_in) throw builtInRefused(collectionId, c.name, 'its rules cannot be changed');
    const graph = await loadCollectionGraph(tx);
    const [added] = await insertRules(tx, collectionId, [rule], () => 'body', graph);
    await touch(tx, collectionId);
    await audit(tx, actor, 'add-rule', 'collection', collectionId, { ruleId: added.ruleId, kind: added.kind, resourceId: added.resourceId, query: added.query, collectionId: added.collectionId });
    const evaluated = await evaluateWithDependents(tx, [collectionId]);
    return { rule: added, evaluated };
  });
}

export async function removeRule(db: Database, actor: Actor, collectionId: string, ruleId: number): Promise<{ rule: CollectionRule; evaluated: EvaluationResult[] }> {
  return db.transaction(async (tx) => {
    const c = await requireCollection(tx, collectionId);
    if (c.built_in) throw builtInRefused(collectionId, c.name, 'its rules cannot be changed');
    const { rows } = await tx.query<RuleRow>(
      'DELETE FROM collection_rules WHERE collection_id = $1 AND id = $2 RETURNING id, kind, name, resource_id, query, ref_collection_id',
      [collectionId, ruleId],
    );
    if (!rows[0]) throw notFound('membership rule', ruleId, `list the rules with GET /api/v1/collections/${collectionId}/rules`);
    const rule = toRule(rows[0]);
    await touch(tx, collectionId);
    await audit(tx, actor, 'remove-rule', 'collection', collectionId, { ruleId, kind: rule.kind });
    const evaluated = await evaluateWithDependents(tx, [collectionId]);
    return { rule, evaluated };
  });
}

async function touch(tx: Queryable, collectionId: string): Promise<void> {
  await tx.query('UPDATE collections SET updated_at = now() WHERE collection_id = $1', [collectionId]);
}
