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

/** Depth-first, in execution order. */
export function* walkItems(ts: TaskSequence | { items: SequenceItem[] }): Generator<ItemVisit> {
  yield* walkList(ts.items, [], [], undefined, 0, false);
}

function* walkList(
  items: SequenceItem[],
  path: string[],
  indexes: number[],
  parent: Group | undefined,
  depth: number,
  underDisabled: boolean,
): Generator<ItemVisit> {
  const seen = new Map<string, number>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item.kind === 'raw') continue;
    const n = (seen.get(item.name) ?? 0) + 1;
    seen.set(item.name, n);
    const p = [...path, n > 1 ? `${item.name}[${n}]` : item.name];
    const idx = [...indexes, i];
    const disabled = underDisabled || item.disable === true;
    yield { item, path: p, indexes: idx, parent, depth, underDisabled: disabled };
    if (item.kind === 'group') yield* walkList(item.items, p, idx, item, depth + 1, disabled);
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
  for (const v of walkItems(ts)) v.item.kind === 'group' ? groups++ : steps++;
  return { groups, steps };
}
