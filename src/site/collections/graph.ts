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
    graph.set(r.collection_id, {
      id: r.collection_id,
      name: r.name,
      links: r.limiting_collection_id ? [{ to: r.limiting_collection_id, kind: 'limiting' }] : [],
    });
  }
  const rules = await db.query<{ collection_id: string; kind: 'include' | 'exclude'; ref_collection_id: string }>(
    // `kind <> 'direct'` matches the partial index of migration 018 (the direct rules are most of them).
    `SELECT collection_id, kind, ref_collection_id FROM collection_rules WHERE kind <> 'direct' AND kind IN ('include', 'exclude') ORDER BY id`,
  );
  for (const r of rules.rows) graph.get(r.collection_id)?.links.push({ to: r.ref_collection_id, kind: r.kind });
  return graph;
}

const VERB: Record<LinkKind, string> = { limiting: 'is limited to', include: 'includes', exclude: 'excludes' };

/**
 * If adding the link `from → to` would close a cycle, the cycle in words
 * (`PS100015 "B" includes PS100016 "C", which is limited to PS100015 "B"`); otherwise undefined.
 * Linear in the graph; a long cycle is described by its first and last links.
 */
export function cycleIfLinked(graph: CollectionGraph, from: string, to: string, kind: LinkKind): string | undefined {
  // Breadth-first from `to` along dependency links, looking for `from` (a read index, not
  // queue.shift(), which may copy the queue every time).
  const parent = new Map<string, { via: string; kind: LinkKind }>();
  const queue = [to];
  const seen = new Set([to]);
  let found = to === from;
  for (let head = 0; head < queue.length && !found; head++) {
    const id = queue[head];
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
  for (let at = from; at !== to;) {
    const p = parent.get(at)!;
    path.push({ id: at, kind: p.kind });
    at = p.via;
  }
  path.reverse();
  const label = (id: string): string => `${id} "${graph.get(id)?.name ?? id}"`;
  const step = (s: { id: string; kind: LinkKind }): string => `, which ${VERB[s.kind]} ${label(s.id)}`;
  let text = `${label(from)} ${VERB[kind]} ${label(to)}`;
  if (path.length <= CYCLE_STEPS_SHOWN * 2) for (const s of path) text += step(s);
  else {
    for (const s of path.slice(0, CYCLE_STEPS_SHOWN)) text += step(s);
    text += `, … ${path.length - CYCLE_STEPS_SHOWN * 2} more …`;
    for (const s of path.slice(-CYCLE_STEPS_SHOWN)) text += step(s);
  }
  return text;
}

/** Links of a cycle shown at each end of its description. */
const CYCLE_STEPS_SHOWN = 10;

/**
 * Every collection from which `target` can be reached along dependency links (its dependents,
 * transitively), `target` not included unless it is on a cycle. Linking `target → x` closes a
 * cycle exactly when x is `target` or in this set, and such links never change the set, so one
 * call answers for many new links of the same collection.
 */
export function dependentsOf(graph: CollectionGraph, target: string): Set<string> {
  const reverse = new Map<string, string[]>();
  for (const n of graph.values()) {
    for (const l of n.links) {
      const list = reverse.get(l.to);
      if (list) list.push(n.id);
      else reverse.set(l.to, [n.id]);
    }
  }
  const out = new Set<string>();
  const stack = [target];
  while (stack.length) {
    for (const d of reverse.get(stack.pop()!) ?? []) {
      if (out.has(d)) continue;
      out.add(d);
      stack.push(d);
    }
  }
  return out;
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
    // A loop, not push(...list): All Systems' dependents may be too many to spread as arguments.
    for (const d of dependents.get(id) ?? []) stack.push(d);
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
