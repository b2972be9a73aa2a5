/**
 * Membership rules (osd-features §3.1): direct (one device), query (WQL over SMS_R_System),
 * include and exclude (another collection's members). Built-in collections keep their rules.
 */
import type { Database, Queryable } from '../db/database.js';
import { audit } from '../audit.js';
import { badInput, conflict, notFound, SiteError } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import type { Actor } from '../security/roles.js';
import { evaluateWithDependents, type EvaluationResult } from './evaluate.js';
import { cycleIfLinked, dependentsOf, loadCollectionGraph, type CollectionGraph } from './graph.js';
import { MAX_NAME_LENGTH, MAX_QUERY_RULES_PER_COLLECTION, MAX_RULES_PER_COLLECTION } from './limits.js';
import { checkCollectionQuery } from './query/index.js';
import { checkResourceId } from '../devices/identity.js';
import { checkName, checkText } from '../text-rules.js';

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
  const { rows } = await db.query<RuleRow>(
    'SELECT id, kind, name, resource_id, query, ref_collection_id FROM collection_rules WHERE collection_id = $1 ORDER BY id',
    [collectionId],
  );
  return rows.map(toRule);
}

export async function requireCollection(
  db: Queryable,
  collectionId: string,
): Promise<{ collection_id: string; name: string; built_in: boolean; limiting_collection_id: string | null }> {
  checkText(collectionId, 'params.collectionId');
  const { rows } = await db.query<{ collection_id: string; name: string; built_in: boolean; limiting_collection_id: string | null }>(
    'SELECT collection_id, name, built_in, limiting_collection_id FROM collections WHERE collection_id = $1',
    [collectionId],
  );
  if (!rows[0]) throw notFound('collection', collectionId, 'list the collections to find its id', nextSteps('list-collections'));
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
 * Linear in the rules and the graph: the devices of direct rules are looked up in one statement,
 * duplicates found in sets, and cycles against one set of the collection's dependents.
 */
export async function insertRules(
  tx: Queryable,
  collectionId: string,
  rules: readonly RuleInput[],
  inputPath: (i: number) => string,
  graph: CollectionGraph,
): Promise<CollectionRule[]> {
  const prepared: { kind: string; name: string; resourceId: number | null; query: string | null; ref: string | null }[] = [];
  const { rows: counts } = await tx.query<{ kind: string; n: number }>(
    'SELECT kind, count(*)::int AS n FROM collection_rules WHERE collection_id = $1 GROUP BY kind',
    [collectionId],
  );
  const existingCount = counts.reduce((n, r) => n + Number(r.n), 0);
  let queryCount = Number(counts.find((r) => r.kind === 'query')?.n ?? 0);
  if (existingCount + rules.length > MAX_RULES_PER_COLLECTION) {
    throw badInput(
      rules.length > 1 ? inputPath(0).replace(/\[\d+\]$/, '') : inputPath(0),
      `a collection has at most ${MAX_RULES_PER_COLLECTION} rules; it has ${existingCount} and ${rules.length} more were asked for`,
      'use an include rule of another collection, or a query rule, instead of many direct rules',
    );
  }
  // Every input is checked before the database is asked anything about it.
  for (const [i, rule] of rules.entries()) {
    const at = inputPath(i);
    if (rule.name !== undefined) checkRuleName(rule.name, `${at}.name`);
    if (rule.kind === 'direct') checkResourceId(rule.resourceId, `${at}.resourceId`);
    else if (rule.kind === 'query') {
      if (++queryCount > MAX_QUERY_RULES_PER_COLLECTION) {
        throw badInput(
          `${at}.query`,
          `a collection has at most ${MAX_QUERY_RULES_PER_COLLECTION} query rules`,
          'combine conditions with OR, or IN (…), in one query rule',
        );
      }
      checkCollectionQuery(rule.query, `${at}.query`);
    } else checkText(rule.collectionId, `${at}.collectionId`);
  }
  const directIds = rules.flatMap((r) => (r.kind === 'direct' ? [r.resourceId] : []));
  const deviceNames = new Map<number, string>();
  const directExisting = new Set<number>();
  if (directIds.length) {
    const { rows } = await tx.query<{ resource_id: number; name: string }>('SELECT resource_id, name FROM devices WHERE resource_id = ANY($1::bigint[])', [
      `{${directIds.join(',')}}`,
    ]);
    for (const r of rows) deviceNames.set(Number(r.resource_id), r.name);
    const { rows: existing } = await tx.query<{ resource_id: number }>(
      `SELECT resource_id FROM collection_rules WHERE collection_id = $1 AND kind = 'direct'`,
      [collectionId],
    );
    for (const r of existing) directExisting.add(Number(r.resource_id));
  }
  const node = graph.get(collectionId);
  const links = new Set((node?.links ?? []).map((l) => `${l.kind} ${l.to}`));
  let dependents: Set<string> | undefined;
  for (const [i, rule] of rules.entries()) {
    const at = inputPath(i);
    if (rule.kind === 'direct') {
      const name = deviceNames.get(rule.resourceId);
      if (name === undefined)
        throw badInput(`${at}.resourceId`, `no device has ResourceID ${rule.resourceId}`, 'list the devices to find its ResourceID', nextSteps('list-devices'));
      if (directExisting.has(rule.resourceId))
        throw conflict(`${at}.resourceId`, `the collection already has a direct rule for ResourceID ${rule.resourceId}`, 'nothing to add');
      directExisting.add(rule.resourceId);
      prepared.push({ kind: 'direct', name: rule.name ?? name, resourceId: rule.resourceId, query: null, ref: null });
    } else if (rule.kind === 'query') {
      prepared.push({ kind: 'query', name: rule.name ?? 'Query', resourceId: null, query: rule.query, ref: null });
    } else {
      const ref = graph.get(rule.collectionId);
      if (!ref)
        throw badInput(
          `${at}.collectionId`,
          `no collection has the id ${rule.collectionId}`,
          'list the collections to find its id',
          nextSteps('list-collections'),
        );
      if (links.has(`${rule.kind} ${rule.collectionId}`))
        throw conflict(`${at}.collectionId`, `the collection already ${rule.kind}s ${rule.collectionId}`, 'nothing to add');
      dependents ??= dependentsOf(graph, collectionId);
      if (rule.collectionId === collectionId || dependents.has(rule.collectionId)) {
        const cycle = cycleIfLinked(graph, collectionId, rule.collectionId, rule.kind);
        throw badInput(
          `${at}.collectionId`,
          `this rule would make a cycle: ${cycle}`,
          'a collection cannot depend on itself through include, exclude or limiting collections',
        );
      }
      links.add(`${rule.kind} ${rule.collectionId}`);
      node?.links.push({ to: rule.collectionId, kind: rule.kind });
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

function checkRuleName(name: string, input: string): void {
  checkName(name, input);
  if (name.length > MAX_NAME_LENGTH) throw badInput(input, `the rule name is ${name.length} characters; at most ${MAX_NAME_LENGTH}`);
}

export async function addRule(
  db: Database,
  actor: Actor,
  collectionId: string,
  rule: RuleInput,
): Promise<{ rule: CollectionRule; evaluated: EvaluationResult[] }> {
  return db.transaction(async (tx) => {
    const c = await requireCollection(tx, collectionId);
    if (c.built_in) throw builtInRefused(collectionId, c.name, 'its rules cannot be changed');
    const graph = await loadCollectionGraph(tx);
    const [added] = await insertRules(tx, collectionId, [rule], () => 'body', graph);
    await touch(tx, collectionId);
    await audit(tx, actor, 'add-rule', 'collection', collectionId, {
      ruleId: added.ruleId,
      kind: added.kind,
      resourceId: added.resourceId,
      query: added.query,
      collectionId: added.collectionId,
    });
    const evaluated = await evaluateWithDependents(tx, [collectionId]);
    return { rule: added, evaluated };
  });
}

export async function removeRule(
  db: Database,
  actor: Actor,
  collectionId: string,
  ruleId: number,
): Promise<{ rule: CollectionRule; evaluated: EvaluationResult[] }> {
  checkResourceId(ruleId, 'params.ruleId');
  return db.transaction(async (tx) => {
    const c = await requireCollection(tx, collectionId);
    if (c.built_in) throw builtInRefused(collectionId, c.name, 'its rules cannot be changed');
    const { rows } = await tx.query<RuleRow>(
      'DELETE FROM collection_rules WHERE collection_id = $1 AND id = $2 RETURNING id, kind, name, resource_id, query, ref_collection_id',
      [collectionId, ruleId],
    );
    if (!rows[0])
      throw notFound(
        'membership rule',
        ruleId,
        "list the collection's rules to find its id",
        nextSteps({ step: 'list-collection-rules', ids: { collectionId } }),
      );
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
