/**
 * How collections depend on each other: a collection's membership is computed from its limiting
 * collection and the collections it includes or excludes (osd-features §3.1). Those links must
 * never form a cycle, and a change to one collection is followed by its dependents, dependencies
 * first.
 */
import type { Queryable } from '../db/database.js';

export type LinkKind = 'limiting' | 'include' | 'exclude';

export interface CollectionNode {
  id: string;
  name: string;
  links: { to: string; kind: LinkKind }[];
}

export type CollectionGraph = Map<string, CollectionNode>;

export async function loadCollectionGraph(db: Queryable): Promise<CollectionGraph> {
  const graph: CollectionGraph = new Map();
  const { rows } = await db.query<{ collection_id: string; name: string; limiting_collection_id: string | null }>(
    'SELECT collection_id, name, limiting_collection_id FROM collections',
  );
  for (const r of rows) {
    graph.set(r.collection_id, { id: r.collection_id, name: r.name, links: r.limiting_collection_id ? [{ to: r.limiting_collection_id, kind: 'limiting' }] : [] });
  }
  const rules = await db.query<{ collection_id: string; kind: 'include' | 'exclude'; ref_collection_id: string }>(
    `SELECT collection_id, kind, ref_collection_id FROM collection_rules WHERE kind IN ('include', 'exclude') ORDER BY id`,
  );
  for (const r of rules.rows) graph.get(r.collection_id)?.links.push({ to: r.ref_collection_id, kind: r.kind });
  return graph;
}

const VERB: Record<LinkKind, string> = { limiting: 'is limited to', include: 'includes', exclude: 'excludes' };

/**
 * If adding the link `from → to` would close a cycle, the cycle in words
 * (`PS100015 "B" includes PS100016 "C", which is limited to PS100015 "B"`); otherwise undefined.
 */
export function cycleIfLinked(graph: CollectionGraph, from: string, to: string, kind: LinkKind): string | undefined {
  // Breadth-first from `to` along dependency links, looking for `from`.
  const parent = new Map<string, { via: string; kind: LinkKind }>();
  const queue = [to];
  const seen = new Set([to]);
  let found = to === from;
  while (queue.length && !found) {
    const id = queue.shift()!;
    for (const l of graph.get(id)?.links ?? []) {
      if (seen.has(l.to)) continue;
      seen.add(l.to);
      parent.set(l.to, { via: id, kind: l.kind });
      if (l.to === from) {
        found = true;
        break;
      }
      queue.push(l.to);
    }
  }
  if (!found) return undefined;
  const path: { id: string; kind: LinkKind }[] = [];
  for (let at = from; at !== to; ) {
    const p = parent.get(at)!;
    path.unshift({ id: at, kind: p.kind });
    at = p.via;
  }
  const label = (id: string): string => `${id} "${graph.get(id)?.name ?? id}"`;
  let text = `${label(from)} ${VERB[kind]} ${label(to)}`;
  for (const step of path) text += `, which ${VERB[step.kind]} ${label(step.id)}`;
  return text;
}

/** `roots` and every collection that depends on them (transitively), dependencies first. */
export function withDependentsInOrder(graph: CollectionGraph, roots: readonly string[]): string[] {
  const dependents = new Map<string, string[]>();
  for (const n of graph.values()) {
    for (const l of n.links) {
      const list = dependents.get(l.to) ?? [];
      list.push(n.id);
      dependents.set(l.to, list);
    }
  }
  const selected = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const id = stack.pop()!;
    if (selected.has(id) || !graph.has(id)) continue;
    selected.add(id);
    stack.push(...(dependents.get(id) ?? []));
  }
  return topologicalOrder(graph, selected);
}

/** Every collection, dependencies first (a full evaluation). */
export function allInOrder(graph: CollectionGraph): string[] {
  return topologicalOrder(graph, new Set(graph.keys()));
}

function topologicalOrder(graph: CollectionGraph, selected: Set<string>): string[] {
  const out: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  // Iterative depth-first post-order: a chain of 1,000 includes must not overflow the stack.
  for (const root of [...selected].sort()) {
    if (state.has(root)) continue;
    const stack: { id: string; i: number }[] = [{ id: root, i: 0 }];
    state.set(root, 'visiting');
    while (stack.length) {
      const top = stack[stack.length - 1];
      const links = graph.get(top.id)?.links ?? [];
      if (top.i < links.length) {
        const next = links[top.i++].to;
        if (selected.has(next) && !state.has(next)) {
          state.set(next, 'visiting');
          stack.push({ id: next, i: 0 });
        }
        continue;
      }
      state.set(top.id, 'done');
      out.push(top.id);
      stack.pop();
    }
  }
  return out;
}
