/**
 * The instruction list: the task sequence flattened in document order (pre-order: a group is an
 * instruction, followed by its children), as the ConfigMgr engine does (engine-semantics §1).
 * `end` is the index of a group's last descendant, so "skip this group" is `end + 1`.
 */
import { createHash } from 'node:crypto';
import type { Group, SequenceItem, Step, TaskSequence } from '../sequence/model/task-sequence.js';

export interface Instruction {
  index: number;
  item: Group | Step;
  kind: 'group' | 'step';
  /** Index of the parent group's instruction, -1 at the top. */
  parent: number;
  /** Index of the last instruction inside this one (itself for a step). */
  end: number;
  depth: number;
  /** Names from the top with `[n]` for repeated sibling names (as `ts show` and lint print them). */
  path: string;
  /**
   * The instruction's pointer as ConfigMgr numbers its instruction table, where every group also
   * has a closing instruction after its children (engine-semantics §11): what smsts.log prints.
   * `index` (the journal's and the status events' pointer) leaves the closing instructions out.
   */
  tablePointer: number;
  /** A group's closing instruction in that table ("The group (X) has been successfully completed"). */
  tableEnd?: number;
}

export interface Program {
  instructions: Instruction[];
  /** Identifies the task sequence a journal belongs to. */
  fingerprint: string;
  /** Instructions in ConfigMgr's table, group ends included (`_SMSTSInstructionTableSize`). */
  tableSize: number;
}

export function compileProgram(ts: TaskSequence): Program {
  const instructions: Instruction[] = [];
  let table = 0;
  const visit = (items: SequenceItem[], parent: number, depth: number, prefix: string): void => {
    const seen = new Map<string, number>();
    for (const item of items) {
      if (item.kind === 'raw') continue;
      const n = (seen.get(item.name) ?? 0) + 1;
      seen.set(item.name, n);
      const name = n > 1 ? `${item.name}[${n}]` : item.name;
      const path = prefix ? `${prefix} / ${name}` : name;
      const ins: Instruction = { index: instructions.length, item, kind: item.kind, parent, end: instructions.length, depth, path, tablePointer: table++ };
      instructions.push(ins);
      if (item.kind === 'group') {
        visit(item.items, ins.index, depth + 1, path);
        ins.end = instructions.length - 1;
        ins.tableEnd = table++;
      }
    }
  };
  visit(ts.items, -1, 0, '');
  const hash = createHash('sha256');
  for (const i of instructions) hash.update(`${i.kind}\u0000${i.path}\u0000${i.kind === 'step' ? ((i.item as Step).type ?? '') : ''}\n`);
  return { instructions, fingerprint: hash.digest('hex').slice(0, 32), tableSize: table };
}
