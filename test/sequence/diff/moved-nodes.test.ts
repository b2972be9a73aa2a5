/**
 * movedNodes finds the heaviest increasing run with a Fenwick tree (O(n log n)); it must choose
 * exactly what the quadratic dynamic programme it replaced chose, ties included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildTree, matchTrees, movedNodes, sameParent, type Matching, type TreeNode } from '../../../src/sequence/diff/match.js';
import type { Group, SequenceItem, Step, TaskSequence } from '../../../src/sequence/model/task-sequence.js';

/** The O(n²) original, kept as the reference. */
function reference(m: Matching): Map<TreeNode, 'parent' | 'order'> {
  const out = new Map<TreeNode, 'parent' | 'order'>();
  const byParent = new Map<TreeNode | undefined, Array<[TreeNode, TreeNode]>>();
  for (const [a, b] of m.ab) {
    if (!sameParent(m, a, b)) {
      out.set(b, 'parent');
      continue;
    }
    const list = byParent.get(b.parent);
    if (list) list.push([a, b]);
    else byParent.set(b.parent, [[a, b]]);
  }
  for (const pairs of byParent.values()) {
    pairs.sort((p, q) => p[1].index - q[1].index);
    const n = pairs.length;
    const best = new Array<number>(n);
    const prev = new Array<number>(n).fill(-1);
    for (let i = 0; i < n; i++) {
      const w = 1000 + (m.aligned.has(pairs[i]![0]) ? 1 : 0);
      best[i] = w;
      for (let j = 0; j < i; j++) {
        if (pairs[j]![0].index < pairs[i]![0].index && best[j]! + w > best[i]!) {
          best[i] = best[j]! + w;
          prev[i] = j;
        }
      }
    }
    let end = -1;
    for (let i = 0; i < n; i++) if (end === -1 || best[i]! > best[end]!) end = i;
    const keep = new Set<number>();
    for (let i = end; i !== -1; i = prev[i]!) keep.add(i);
    for (let i = 0; i < n; i++) if (!keep.has(i)) out.set(pairs[i]![1], 'order');
  }
  return out;
}

const step = (name: string, action: string): Step => ({ kind: 'step', name, type: 'SMS_TaskSequence_RunCommandLineAction', action });

/** Steps drawn from a few names and commands (duplicates on purpose), some in a group. */
function sequence(spec: Array<[number, number]>, grouped: number): TaskSequence {
  const steps: SequenceItem[] = spec.map(([n, c]) => step(`S${n}`, `cmd ${c}`));
  const inner = steps.splice(0, grouped);
  return { version: '3.10', items: [...steps, { kind: 'group', name: 'G', items: inner } as Group] };
}

describe('movedNodes', () => {
  it('equals the quadratic reference on shuffled, edited, duplicated items', () => {
    const spec = fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(spec, fc.nat(), fc.nat(), fc.nat(), (a, shuffleSeed, ga, gb) => {
        const b = [...a];
        // A deterministic shuffle and an edit, so some pairs cross and some do not pair.
        for (let i = b.length - 1; i > 0; i--) {
          const j = (shuffleSeed + i * 7919) % (i + 1);
          [b[i], b[j]] = [b[j]!, b[i]!];
        }
        if (b.length > 2) b[1] = [b[1]![0], (b[1]![1] + 1) % 4];
        const m = matchTrees(buildTree(sequence(a, ga % (a.length + 1)), 'a'), buildTree(sequence(b, gb % (b.length + 1)), 'b'));
        const got = [...movedNodes(m)].map(([n, how]) => [n.order, how]).sort();
        const want = [...reference(m)].map(([n, how]) => [n.order, how]).sort();
        expect(got).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it('is fast on 100,000 siblings in reverse order', () => {
    const n = 100_000;
    const a: TaskSequence = { version: '3.10', items: Array.from({ length: n }, (_, i) => step(`S${i}`, `c${i}`)) };
    const b: TaskSequence = { version: '3.10', items: [...a.items].reverse() };
    const m = matchTrees(buildTree(a, 'a'), buildTree(b, 'b'));
    const t = performance.now();
    expect(movedNodes(m).size).toBe(n - 1);
    expect(performance.now() - t).toBeLessThan(2000);
  });
});
