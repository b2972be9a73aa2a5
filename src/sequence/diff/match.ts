/**
 * Pairs the groups and steps of two task sequences, so a diff can say "renamed" or "moved" instead
 * of "removed + added". Evidence is used strongest first:
 *
 * 1. top-down alignment: the children of two paired parents are aligned by a weighted LCS on
 *    kind + name + type (preferring identical content), so duplicates pair up positionally;
 * 2. then, for what is left, repeatedly until nothing more pairs:
 *    a. identity: kind + name + type + the names of all ancestors (reordered within its parent);
 *    b. content fingerprint of groups (condition + child names): renamed and/or moved groups;
 *    c. groups whose children mostly went to one unpaired group: renamed/moved groups with edits;
 *    d. content fingerprint of steps (type + action + properties + condition): renames, moves;
 *    e. kind + name anywhere: moved and edited;
 *    f. same parent, between the same paired neighbours, same kind and type, mostly the same
 *       content: renamed and edited in place.
 *    Each new pair of groups is followed by step 1 on their children.
 *
 * Then `movedNodes` decides which pairs moved: a different parent, or — within the same parent —
 * not on the longest increasing run of paired siblings (so siblings that merely shifted because of
 * an insertion, removal or another move are not reported).
 */
import type { Group, Step, TaskSequence } from '../model/task-sequence.js';
import { walkItems } from '../model/walk.js';
import { conditionKey } from './condition-text.js';
import {
  actionText,
  extraAttributesKey,
  groupFingerprint,
  isTrivial,
  optionsKey,
  stepFingerprint,
  typeKey,
  variablesKey,
} from './semantics.js';

export interface TreeNode {
  side: 'a' | 'b';
  /** Position in depth-first (execution) order. */
  order: number;
  item: Group | Step;
  /** As printed by walk.ts: names from the top with `[n]` on duplicate siblings. */
  path: string[];
  parent: TreeNode | undefined;
  children: TreeNode[];
  /** 0-based position among the group/step siblings (raw items not counted). */
  index: number;
  /** Raw names of the ancestors, top first (identity without `[n]`). */
  ancestry: string;
  /** kind + name + type. */
  key: string;
  /** Content fingerprint (see semantics.ts). */
  fp: string;
  trivial: boolean;
}

export interface Tree {
  roots: TreeNode[];
  nodes: TreeNode[];
}

export function buildTree(ts: TaskSequence, side: 'a' | 'b'): Tree {
  const roots: TreeNode[] = [];
  const nodes: TreeNode[] = [];
  // walk.ts addresses items by their raw `indexes`; key nodes the same way to find parents.
  const byIndexes = new Map<string, TreeNode>();
  for (const v of walkItems(ts)) {
    const parent = v.indexes.length > 1 ? byIndexes.get(v.indexes.slice(0, -1).join('.')) : undefined;
    const siblings = parent ? parent.children : roots;
    const node: TreeNode = {
      side,
      order: nodes.length,
      item: v.item,
      path: v.path,
      parent,
      children: [],
      index: siblings.length,
      ancestry: parent ? JSON.stringify([...JSON.parse(parent.ancestry), parent.item.name]) : '[]',
      key: JSON.stringify([v.item.kind, v.item.name, typeKey(v.item)]),
      fp: '',
      trivial: false,
    };
    siblings.push(node);
    nodes.push(node);
    byIndexes.set(v.indexes.join('.'), node);
  }
  for (const n of nodes) {
    n.fp = n.item.kind === 'step' ? stepFingerprint(n.item) : groupFingerprint(n.item, n.children.map((c) => c.key));
    n.trivial = isTrivial(n.item, n.children.length);
  }
  return { roots, nodes };
}

export interface Matching {
  a: Tree;
  b: Tree;
  ab: Map<TreeNode, TreeNode>;
  ba: Map<TreeNode, TreeNode>;
  /** A-side nodes paired by the top-down alignment (preferred to stay in place when deciding moves). */
  aligned: Set<TreeNode>;
}

export function matchTrees(a: Tree, b: Tree): Matching {
  const m: Matching = { a, b, ab: new Map(), ba: new Map(), aligned: new Set() };
  new Matcher(m).run();
  return m;
}

/** The parents of a and b are paired with each other (or both are top level). */
export function sameParent(m: Matching, a: TreeNode, b: TreeNode): boolean {
  if (!a.parent || !b.parent) return !a.parent && !b.parent;
  return m.ab.get(a.parent) === b.parent;
}

class Matcher {
  constructor(private readonly m: Matching) {}

  run(): void {
    this.align(undefined, undefined);
    const phases = [
      () => this.byBucket((n) => `${n.key}\u0000${n.ancestry}`),
      () => this.byBucket((n) => (n.item.kind === 'group' ? n.fp : undefined), (a, b) => !a.trivial || sameParent(this.m, a, b)),
      () => this.groupsByChildren(),
      () => this.byBucket((n) => (n.item.kind === 'step' ? n.fp : undefined), (a, b) => !a.trivial || sameParent(this.m, a, b)),
      () => this.byBucket((n) => JSON.stringify([n.item.kind, n.item.name]), undefined, (a, b) => (typeKey(a.item) === typeKey(b.item) ? 16 : 0)),
      () => this.inGaps(),
    ];
    // Restart from the strongest evidence after every success: a new pair of groups may settle
    // its children, which in turn is evidence for the next phases.
    for (let i = 0; i < phases.length; ) i = phases[i]() ? 0 : i + 1;
  }

  private link(a: TreeNode, b: TreeNode, aligned = false): void {
    this.m.ab.set(a, b);
    this.m.ba.set(b, a);
    if (aligned) this.m.aligned.add(a);
    if (a.item.kind === 'group' && b.item.kind === 'group') this.align(a, b);
  }

  private free(n: TreeNode): boolean {
    return n.side === 'a' ? !this.m.ab.has(n) : !this.m.ba.has(n);
  }

  /** Weighted LCS of the unpaired children; pairs need the same key, identical content weighs a little more. */
  private align(pa: TreeNode | undefined, pb: TreeNode | undefined): void {
    const la = (pa ? pa.children : this.m.a.roots).filter((n) => this.free(n));
    const lb = (pb ? pb.children : this.m.b.roots).filter((n) => this.free(n));
    if (!la.length || !lb.length) return;
    const weight = (x: TreeNode, y: TreeNode): number => (x.key !== y.key ? -1 : x.fp === y.fp ? 1001 : 1000);
    const rows = la.length + 1;
    const cols = lb.length + 1;
    const dp = new Float64Array(rows * cols);
    for (let i = la.length - 1; i >= 0; i--) {
      for (let j = lb.length - 1; j >= 0; j--) {
        const w = weight(la[i], lb[j]);
        let best = Math.max(dp[(i + 1) * cols + j], dp[i * cols + j + 1]);
        if (w > 0) best = Math.max(best, w + dp[(i + 1) * cols + j + 1]);
        dp[i * cols + j] = best;
      }
    }
    const pairs: Array<[TreeNode, TreeNode]> = [];
    let i = 0;
    let j = 0;
    while (i < la.length && j < lb.length) {
      const w = weight(la[i], lb[j]);
      if (w > 0 && dp[i * cols + j] === w + dp[(i + 1) * cols + j + 1]) {
        pairs.push([la[i], lb[j]]);
        i++;
        j++;
      } else if (dp[i * cols + j] === dp[(i + 1) * cols + j]) i++;
      else j++;
    }
    // Link after the whole list is aligned: linking recurses into the children.
    for (const [x, y] of pairs) this.link(x, y, true);
  }

  /** How well b fits where a was: same parent first, then same name, same content, same position. */
  private contextScore(a: TreeNode, b: TreeNode): number {
    return (
      (sameParent(this.m, a, b) ? 8 : 0) + (a.item.name === b.item.name ? 4 : 0) + (a.fp === b.fp ? 2 : 0) + (a.index === b.index ? 1 : 0)
    );
  }

  /** Pairs unpaired nodes that share a bucket, best context first. */
  private byBucket(
    bucket: (n: TreeNode) => string | undefined,
    accept?: (a: TreeNode, b: TreeNode) => boolean,
    bonus?: (a: TreeNode, b: TreeNode) => number,
  ): boolean {
    const groupBy = (nodes: TreeNode[]): Map<string, TreeNode[]> => {
      const out = new Map<string, TreeNode[]>();
      for (const n of nodes) {
        if (!this.free(n)) continue;
        const k = bucket(n);
        if (k === undefined) continue;
        const list = out.get(k);
        if (list) list.push(n);
        else out.set(k, [n]);
      }
      return out;
    };
    const ba = groupBy(this.m.a.nodes);
    const bb = groupBy(this.m.b.nodes);
    const candidates: Array<[number, TreeNode, TreeNode]> = [];
    for (const [k, as] of ba) {
      const bs = bb.get(k);
      if (!bs) continue;
      for (const x of as) {
        for (const y of bs) {
          if (accept && !accept(x, y)) continue;
          candidates.push([this.contextScore(x, y) + (bonus ? bonus(x, y) : 0), x, y]);
        }
      }
    }
    return this.greedy(candidates);
  }

  /** Highest score first, then document order; skips nodes paired meanwhile (linking aligns children). */
  private greedy(candidates: Array<[number, TreeNode, TreeNode]>): boolean {
    candidates.sort((p, q) => q[0] - p[0] || p[1].order - q[1].order || p[2].order - q[2].order);
    let linked = false;
    for (const [, x, y] of candidates) {
      if (!this.free(x) || !this.free(y)) continue;
      this.link(x, y);
      linked = true;
    }
    return linked;
  }

  /** An unpaired group whose children now mostly sit in one unpaired group of B is that group. */
  private groupsByChildren(): boolean {
    const candidates: Array<[number, TreeNode, TreeNode]> = [];
    for (const ga of this.m.a.nodes) {
      if (ga.item.kind !== 'group' || !this.free(ga) || !ga.children.length) continue;
      const tally = new Map<TreeNode, number>();
      for (const c of ga.children) {
        const p = this.m.ab.get(c)?.parent;
        if (p && this.free(p)) tally.set(p, (tally.get(p) ?? 0) + 1);
      }
      for (const [gb, count] of tally) {
        if (count * 2 >= Math.max(ga.children.length, gb.children.length)) {
          candidates.push([count * 100 + this.contextScore(ga, gb), ga, gb]);
        }
      }
    }
    return this.greedy(candidates);
  }

  /** Renamed and edited in place: same parent, between the same paired neighbours, similar content. */
  private inGaps(): boolean {
    const candidates: Array<[number, TreeNode, TreeNode]> = [];
    const parents: Array<[TreeNode | undefined, TreeNode | undefined]> = [[undefined, undefined]];
    for (const [x, y] of this.m.ab) if (x.item.kind === 'group') parents.push([x, y]);
    for (const [pa, pb] of parents) {
      const la = pa ? pa.children : this.m.a.roots;
      const lb = pb ? pb.children : this.m.b.roots;
      // Position in lb of the partner of la[i], when that partner is a child of pb.
      const anchor = la.map((n) => {
        const p = this.m.ab.get(n);
        return p && p.parent === pb ? p.index : undefined;
      });
      for (let i = 0; i < la.length; i++) {
        if (!this.free(la[i])) continue;
        let lo = -1;
        for (let k = i - 1; k >= 0; k--) if (anchor[k] !== undefined) { lo = anchor[k]!; break; }
        let hi = lb.length;
        for (let k = i + 1; k < la.length; k++) if (anchor[k] !== undefined) { hi = anchor[k]!; break; }
        for (let j = lo + 1; j < hi; j++) {
          const y = lb[j];
          if (!this.free(y) || y.item.kind !== la[i].item.kind || typeKey(y.item) !== typeKey(la[i].item)) continue;
          const s = this.similarity(la[i], y);
          if (s > 0.5) candidates.push([s, la[i], y]);
        }
      }
    }
    return this.greedy(candidates);
  }

  /** Share of equal facets (name, content, options …), 0…1. */
  private similarity(a: TreeNode, b: TreeNode): number {
    const x = a.item;
    const y = b.item;
    const facets = [
      x.name === y.name,
      conditionKey(x.condition) === conditionKey(y.condition),
      optionsKey(x) === optionsKey(y),
      extraAttributesKey(x) === extraAttributesKey(y),
    ];
    if (x.kind === 'step' && y.kind === 'step') {
      facets.push(actionText(x) === actionText(y), variablesKey(x.variables) === variablesKey(y.variables));
    } else {
      facets.push(this.childOverlap(a, b) >= 0.5);
    }
    return facets.filter(Boolean).length / facets.length;
  }

  private childOverlap(a: TreeNode, b: TreeNode): number {
    const total = Math.max(a.children.length, b.children.length);
    if (total === 0) return 1;
    const paired = a.children.filter((c) => this.m.ab.get(c)?.parent === b).length;
    const keys = new Map<string, number>();
    for (const c of a.children) keys.set(c.key, (keys.get(c.key) ?? 0) + 1);
    let common = 0;
    for (const c of b.children) {
      const n = keys.get(c.key) ?? 0;
      if (n > 0) {
        common++;
        keys.set(c.key, n - 1);
      }
    }
    return Math.max(paired, common) / total;
  }
}

/**
 * Pairs (B-side node → how) that moved: 'parent' when the parent changed, 'order' when it stayed
 * in the same parent but left the longest run of siblings that kept their relative order.
 */
export function movedNodes(m: Matching): Map<TreeNode, 'parent' | 'order'> {
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
    // Heaviest increasing run of A positions, in B order; aligned pairs weigh slightly more so
    // that, of two equally long runs, the one the alignment chose stays and the other "moved".
    const n = pairs.length;
    const best = new Array<number>(n);
    const prev = new Array<number>(n).fill(-1);
    for (let i = 0; i < n; i++) {
      const w = 1000 + (m.aligned.has(pairs[i][0]) ? 1 : 0);
      best[i] = w;
      for (let j = 0; j < i; j++) {
        if (pairs[j][0].index < pairs[i][0].index && best[j] + w > best[i]) {
          best[i] = best[j] + w;
          prev[i] = j;
        }
      }
    }
    let end = -1;
    for (let i = 0; i < n; i++) if (end === -1 || best[i] > best[end]) end = i;
    const keep = new Set<number>();
    for (let i = end; i !== -1; i = prev[i]) keep.add(i);
    for (let i = 0; i < n; i++) if (!keep.has(i)) out.set(pairs[i][1], 'order');
  }
  return out;
}
