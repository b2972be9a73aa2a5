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
}

export interface Program {
  instructions: Instruction[];
  /** Identifies the task sequence a journal belongs to. */
  fingerprint: string;
}

export function compileProgram(ts: TaskSequence): Program {
  const instructions: Instruction[] = [];
  const visit = (items: SequenceItem[], parent: number, depth: number, prefix: string): void => {
    const seen = new Map<string, number>();
    for (const item of items) {
      if (item.kind === 'raw') continue;
      const n = (seen.get(item.name) ?? 0) + 1;
      seen.set(item.name, n);
      const name = n > 1 ? `${item.name}[${n}]` : item.name;
      const path = prefix ? `${prefix} / ${name}` : name;
      const ins: Instruction = { index: instructions.length, item, kind: item.kind, parent, end: instructions.length, depth, path };
      instructions.push(ins);
      if (item.kind === 'group') {
        visit(item.items, ins.index, depth + 1, path);
        ins.end = instructions.length - 1;
      }
    }
  };
  visit(ts.items, -1, 0, '');
  const hash = createHash('sha256');
  for (const i of instructions) hash.update(`${i.kind}\u0000${i.path}\u0000${i.kind === 'step' ? ((i.item as Step).type ?? '') : ''}\n`);
  return { instructions, fingerprint: hash.digest('hex').slice(0, 32) };
}
