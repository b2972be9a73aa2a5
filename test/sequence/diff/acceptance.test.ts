/**
 * The acceptance case: one step moved to another group, one step renamed, one condition value
 * changed ⇒ exactly those three changes, with the right paths.
 */
import { describe, expect, it } from 'vitest';
import { diffSequences, formatChanges, type SequenceChange } from '../../../src/sequence/diff/index.js';
import { findItem } from '../../../src/sequence/model/walk.js';
import { itemAt, loadCorpus, moveTo, setConditionValue } from './helpers.js';

interface Case {
  file: string;
  move: { path: string; to: string; index?: number; newPath: string };
  rename: { path: string; name: string; newPath: string };
  condition: { path: string; value: string; before: string; after: string };
}

const CASES: Case[] = [
  {
    file: 'mdt8456-sccm-client-template.xml',
    move: {
      path: 'Execute Task Sequence / State Restore / Tattoo',
      to: 'Execute Task Sequence / PostInstall',
      newPath: 'Execute Task Sequence / PostInstall / Tattoo',
    },
    rename: {
      path: 'Execute Task Sequence / Install / Apply Operating System Image',
      name: 'Apply OS image',
      newPath: 'Execute Task Sequence / Install / Apply OS image',
    },
    condition: {
      path: 'Execute Task Sequence / State Capture',
      value: 'true',
      before: '_SMSTSinWinPE equals "false"',
      after: '_SMSTSinWinPE equals "true"',
    },
  },
  {
    // A step whose name occurs five times in the file, moved between groups that both hold one.
    file: 'mdt8456-sccm-client-template.xml',
    move: {
      path: 'Execute Task Sequence / State Restore / Use Toolkit Package',
      to: 'Execute Task Sequence / PostInstall',
      index: 1,
      newPath: 'Execute Task Sequence / PostInstall / Use Toolkit Package',
    },
    rename: {
      path: 'Execute Task Sequence / State Restore / Gather',
      name: 'Gather again',
      newPath: 'Execute Task Sequence / State Restore / Gather again',
    },
    condition: {
      path: 'Execute Task Sequence / OSD Results and Branding / Branding to Reg x64',
      value: 'x64',
      before: 'OSDArchitecture equals "amd64"',
      after: 'OSDArchitecture equals "x64"',
    },
  },
  {
    file: 'cm-export-win10-inplace-upgrade.xml',
    move: {
      path: 'Upgrade the Operating System / Restart Computer',
      to: 'Post-Processing',
      index: 0,
      newPath: 'Post-Processing / Restart Computer',
    },
    rename: {
      path: 'Prepare for Upgrade / Upgrade Assessment',
      name: 'Setup compat scan',
      newPath: 'Prepare for Upgrade / Setup compat scan',
    },
    condition: {
      path: 'Rollback',
      value: 'false',
      before: '_SMSTSSetupRollback equals "true"',
      after: '_SMSTSSetupRollback equals "false"',
    },
  },
];

describe.each(CASES)('$file: move $move.path, rename $rename.path, condition of $condition.path', (c) => {
  const a = loadCorpus(c.file);
  const b = structuredClone(a);
  const moved = itemAt(b, c.move.path);
  moveTo(b, c.move.path, c.move.to, c.move.index);
  itemAt(b, c.rename.path).name = c.rename.name;
  setConditionValue(b, c.condition.path, c.condition.value);
  const changes = diffSequences(a, b);

  it('edited the model as intended', () => {
    expect(findItem(b, c.move.newPath)?.item).toBe(moved);
    expect(findItem(b, c.rename.newPath)).toBeDefined();
  });

  it('reports exactly the three edits', () => {
    expect(changes.map((x) => x.kind).sort()).toEqual(['condition-changed', 'moved', 'renamed']);
  });

  it('reports the move with both paths and parents', () => {
    const m = changes.find((x) => x.kind === 'moved')!;
    expect(m).toMatchObject<Partial<SequenceChange>>({
      itemKind: 'step',
      pathA: c.move.path,
      pathB: c.move.newPath,
      after: c.move.to,
    });
    expect(m.message).toBe(`step "${moved.name}" moved from "${c.move.path.split(' / ').slice(0, -1).join(' / ')}" to "${c.move.to}"`);
  });

  it('reports the rename', () => {
    const r = changes.find((x) => x.kind === 'renamed')!;
    const old = c.rename.path.split(' / ').pop();
    expect(r).toMatchObject({ itemKind: 'step', pathA: c.rename.path, pathB: c.rename.newPath, before: old, after: c.rename.name });
    expect(r.message).toBe(`step "${old}" renamed to "${c.rename.name}"`);
  });

  it('reports the condition as readable text', () => {
    const k = changes.find((x) => x.kind === 'condition-changed')!;
    expect(k).toMatchObject({ pathA: c.condition.path, pathB: c.condition.path, before: c.condition.before, after: c.condition.after });
    const item = itemAt(b, c.condition.path);
    expect(k.itemKind).toBe(item.kind);
    expect(k.message).toBe(`condition of ${item.kind} "${item.name}" changed: ${c.condition.before} → ${c.condition.after}`);
  });

  it('formats the three changes', () => {
    const text = formatChanges(changes);
    expect(text.split('\n')[0]).toBe('3 changes: 1 moved, 1 renamed, 1 condition');
    for (const x of changes) expect(text).toContain(x.message);
  });
});
