/** Shared by the diff tests: corpus loading and model edits addressed by path. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { importXmlText } from '../../../src/sequence/codec/xml-import.js';
import type { Condition, ConditionNode, Group, SequenceItem, Step, TaskSequence } from '../../../src/sequence/model/task-sequence.js';
import { isDisabled } from '../../../src/sequence/model/options.js';
import { findItem, pathText, walkItems } from '../../../src/sequence/model/walk.js';

export const CORPUS = '/work/shared/corpus/public';

export function corpusFiles(): string[] {
  return readdirSync(CORPUS)
    .filter((f) => f.endsWith('.xml'))
    .sort();
}

export function loadCorpus(file: string): TaskSequence {
  return importXmlText(readFileSync(join(CORPUS, file), 'utf8'), file).sequence;
}

/** The item at a path (as printed by pathText); throws so a typo in a test fails loudly. */
export function itemAt(ts: TaskSequence, path: string): Group | Step {
  const v = findItem(ts, path);
  if (!v) throw new Error(`no item at ${path}`);
  return v.item;
}

/** The list that holds the item at `path`, and its index there. */
function slotOf(ts: TaskSequence, path: string): [SequenceItem[], number] {
  const v = findItem(ts, path);
  if (!v) throw new Error(`no item at ${path}`);
  let list = ts.items;
  for (const i of v.indexes.slice(0, -1)) list = (list[i] as Group).items;
  return [list, v.indexes[v.indexes.length - 1]];
}

export function removeAt(ts: TaskSequence, path: string): Group | Step {
  const [list, i] = slotOf(ts, path);
  return list.splice(i, 1)[0] as Group | Step;
}

/** Inserts into the group at `groupPath` ('' = top level) before raw index `index` (default: at the end). */
export function insertAt(ts: TaskSequence, groupPath: string, item: SequenceItem, index?: number): void {
  const list = groupPath === '' ? ts.items : (itemAt(ts, groupPath) as Group).items;
  list.splice(index ?? list.length, 0, item);
}

export function moveTo(ts: TaskSequence, path: string, groupPath: string, index?: number): void {
  insertAt(ts, groupPath, removeAt(ts, path), index);
}

/** Sets the Value of the first variable expression of the item's condition. */
export function setConditionValue(ts: TaskSequence, path: string, value: string): void {
  const cond = itemAt(ts, path).condition;
  const ex = cond && firstVariableExpression(cond.operands);
  const prop = ex?.properties.find((p) => p.name === 'Value');
  if (!prop) throw new Error(`no variable condition at ${path}`);
  prop.value = value;
}

function firstVariableExpression(nodes: ConditionNode[]): Extract<ConditionNode, { kind: 'expression' }> | undefined {
  for (const n of nodes) {
    if (n.kind === 'expression' && /VariableConditionExpression$/.test(n.type)) return n;
    if (n.kind === 'operator') {
      const found = firstVariableExpression(n.operands);
      if (found) return found;
    }
  }
  return undefined;
}

export function paths(ts: TaskSequence): string[] {
  return [...walkItems(ts)].map((v) => pathText(v.path));
}

export function variableCondition(variable: string, operator: string, value: string): Condition {
  return {
    operands: [
      {
        kind: 'expression',
        type: 'SMS_TaskSequence_VariableConditionExpression',
        properties: [
          { name: 'Variable', value: variable },
          { name: 'Operator', value: operator },
          { name: 'Value', value },
        ],
      },
    ],
  };
}

export type Edit =
  { op: 'rename'; target: number; name: number } | { op: 'move'; target: number; dest: number; pos: number } | { op: 'toggle'; target: number };

function listOf(ts: TaskSequence, indexes: number[]): SequenceItem[] {
  let list = ts.items;
  for (const i of indexes) list = (list[i] as Group).items;
  return list;
}

/**
 * Applies one random edit (indexes are taken modulo what there is to pick from). Renames take
 * another item's name two times in three (duplicates, collisions) unless `freshNames`.
 */
export function applyEdit(ts: TaskSequence, e: Edit, freshNames = false): void {
  const visits = [...walkItems(ts)];
  if (!visits.length) return;
  const v = visits[e.target % visits.length];
  if (e.op === 'toggle') {
    v.item.disable = !isDisabled(v.item);
  } else if (e.op === 'rename') {
    v.item.name = freshNames || e.name % 3 === 0 ? `Edited ${e.name}` : visits[e.name % visits.length].item.name;
  } else {
    const parentList = listOf(ts, v.indexes.slice(0, -1));
    parentList.splice(v.indexes[v.indexes.length - 1], 1);
    // Any group outside the moved subtree, or the top level.
    const inside = new Set<Group | Step>();
    if (v.item.kind === 'group') for (const w of walkItems(v.item)) inside.add(w.item);
    const dests: SequenceItem[][] = [ts.items];
    for (const w of walkItems(ts)) if (w.item.kind === 'group' && !inside.has(w.item)) dests.push(w.item.items);
    const dest = dests[e.dest % dests.length];
    dest.splice(e.pos % (dest.length + 1), 0, v.item);
  }
}

/** Independent of the diff code: names, effective disable, order, and everything else verbatim. */
export function meaning(items: SequenceItem[]): unknown[] {
  return items
    .filter((i): i is Group | Step => i.kind !== 'raw')
    .map((i) => {
      const rest: Record<string, unknown> = { ...i };
      for (const k of ['name', 'disable', 'xml', 'items']) delete rest[k];
      const children = i.kind === 'group' ? meaning(i.items) : [];
      return [i.name, isDisabled(i), JSON.stringify(rest), children];
    });
}
