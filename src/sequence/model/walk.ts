/**
 * Walking the tree, and addressing items the way an admin reads them: a path of names from the
 * top, e.g. `Execute Task Sequence / Install Operating System / Apply Operating System Image`.
 * Duplicate sibling names get a 1-based occurrence suffix (`Restart Computer[2]`) so a path always
 * names exactly one item.
 */
import type { Group, SequenceItem, Step, TaskSequence } from './task-sequence.js';

export interface ItemVisit {
  item: Group | Step;
  /** Names from the top, with `[n]` on the n-th (n ≥ 2) sibling of the same name. */
  path: string[];
  /** Positions from the top (indexes into `items`, raw items counted). */
  indexes: number[];
  parent: Group | undefined;
  depth: number;
  /** True when this item or an ancestor is disabled. */
  underDisabled: boolean;
}

export function pathText(path: string[]): string {
  return path.join(' / ');
}

/**
 * Depth-first, in execution order. Iterative: a generator per level (yield*) would cost every item
 * a resumption per enclosing group.
 */
export function* walkItems(ts: TaskSequence | { items: SequenceItem[] }): Generator<ItemVisit> {
  interface Level {
    items: SequenceItem[];
    next: number;
    path: string[];
    indexes: number[];
    parent: Group | undefined;
    depth: number;
    underDisabled: boolean;
    seen: Map<string, number>;
  }
  const stack: Level[] = [{ items: ts.items, next: 0, path: [], indexes: [], parent: undefined, depth: 0, underDisabled: false, seen: new Map() }];
  while (stack.length) {
    const level = stack[stack.length - 1];
    if (level.next >= level.items.length) {
      stack.pop();
      continue;
    }
    const i = level.next++;
    const item = level.items[i];
    if (item.kind === 'raw') continue;
    const n = (level.seen.get(item.name) ?? 0) + 1;
    level.seen.set(item.name, n);
    const p = [...level.path, n > 1 ? `${item.name}[${n}]` : item.name];
    const idx = [...level.indexes, i];
    const disabled = level.underDisabled || item.disable === true;
    yield { item, path: p, indexes: idx, parent: level.parent, depth: level.depth, underDisabled: disabled };
    if (item.kind === 'group') {
      stack.push({ items: item.items, next: 0, path: p, indexes: idx, parent: item, depth: level.depth + 1, underDisabled: disabled, seen: new Map() });
    }
  }
}

export function allSteps(ts: TaskSequence): Step[] {
  const out: Step[] = [];
  for (const v of walkItems(ts)) if (v.item.kind === 'step') out.push(v.item);
  return out;
}

/** Finds an item by its path text (as printed by `pathText`). */
export function findItem(ts: TaskSequence, path: string): ItemVisit | undefined {
  for (const v of walkItems(ts)) if (pathText(v.path) === path) return v;
  return undefined;
}

export function countItems(ts: TaskSequence): { groups: number; steps: number } {
  let groups = 0;
  let steps = 0;
  for (const v of walkItems(ts)) {
    if (v.item.kind === 'group') groups++;
    else steps++;
  }
  return { groups, steps };
}
