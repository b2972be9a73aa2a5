/**
 * Pairs the groups and steps of two task sequences, so a diff can say "renamed" or "moved" instead
 * of "removed + added". Evidence is used strongest first:
 *
 * 1. top-down alignment: the children of two paired parents are aligned by an LCS, linking
 *    identical items (kind + name + type + content + options), so duplicates pair positionally;
 * 2. then, for what is left, repeatedly until nothing more pairs (starting over after each new
 *    pair of groups: that settles their children and changes the context of everything else):
 *    a. groups: same name + type + names of all ancestors, identical content, at least half of
 *       the children in common, or the same (non-empty) condition and options — one pool, solved
 *       as a maximum-weight assignment over `contextScore`;
 *    b. groups whose children now sit in one unpaired group (renamed/moved groups with edits);
 *    c. steps: same name + type + ancestor names (edited in place, or reordered), or identical
 *       content anywhere (renamed and/or moved) — again one assignment;
 *    d. kind + name anywhere, groups then steps: moved and edited;
 *    e. same parent, between the same paired neighbours, same kind and type, mostly the same
 *       content: renamed and edited in place.
 *    Each new pair of groups is followed by step 1 on their children.
 * 3. finally, same-named siblings paired crosswise are uncrossed when that costs nothing.
 *
 * Then `movedNodes` decides which pairs moved: a different parent, or — within the same parent —
 * not on the longest increasing run of paired siblings (so siblings that merely shifted because of
 * an insertion, removal or another move are not reported).
 *
 * Bounded work. The alignment is quadratic in the children of a group and the assignments are
 * cubic in the items left over, so the matching counts its work (table cells, pairs scored,
 * assignment size cubed) against DIFF_WORK_BUDGET, about a second. Real diffs — hundreds of items,
 * or thousands with a few edits — stay far inside it and are matched as described. Past it, or for
 * a children list whose alignment table would exceed ALIGN_MAX_CELLS, what is left is matched in
 * linear time: identical items in document order, then each bucket (same place, same content,
 * same name) first come first served, without the assignment, the restarts, step 2e and step 3.
 * That may report a rename as removed + added, never a wrong change; `movedNodes` is exact either
 * way (O(n log n)).
 */
import type { Group, Step, TaskSequence } from '../model/task-sequence.js';
import { walkItems } from '../model/walk.js';
import { maxWeightMatching } from './assignment.js';
import { conditionKey } from '../condition/describe.js';
import { actionText, extraAttributesKey, groupFingerprint, isTrivial, optionsKey, stepFingerprint, typeKey, variablesKey } from './semantics.js';

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
  /** fp plus options and unknown attributes: equal ⇔ nothing to report for the pair itself. */
  exact: string;
  trivial: boolean;
  /** Normalised parts compared by `similarity`, computed once. */
  facets: { condition: string; options: string; extra: string; action: string; variables: string };
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
      exact: '',
      trivial: false,
      facets: {
        condition: conditionKey(v.item.condition),
        options: optionsKey(v.item),
        extra: extraAttributesKey(v.item),
        action: v.item.kind === 'step' ? actionText(v.item) : '',
        variables: v.item.kind === 'step' ? variablesKey(v.item.variables) : '',
      },
    };
    siblings.push(node);
    nodes.push(node);
    byIndexes.set(v.indexes.join('.'), node);
  }
  for (const n of nodes) {
    n.fp =
      n.item.kind === 'step'
        ? stepFingerprint(n.item)
        : groupFingerprint(
            n.item,
            n.children.map((c) => c.key),
          );
    n.exact = JSON.stringify([n.fp, n.facets.options, n.facets.extra]);
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

/** Work units the exact matching may spend (see the header); deterministic, not a time limit. */
export const DIFF_WORK_BUDGET = 60_000_000;
/** Largest alignment table (children of A × children of B) computed exactly. */
export const ALIGN_MAX_CELLS = 4_000_000;
/** Linear mode: candidates tried per item in one bucket before giving up on it. */
const LINEAR_TRIES = 8;

interface Bucket {
  /** Nodes (of one kind) with equal bucket values are candidates for each other; absent = all pairs. */
  of?: (n: TreeNode) => string;
  accept?: (a: TreeNode, b: TreeNode) => boolean;
}

class Matcher {
  /** Work spent so far (DIFF_WORK_BUDGET). */
  private work = 0;
  /** The budget ran out: everything from here on is linear. */
  private linear = false;
  /** inGap bounds of an A node, valid while no pair is linked (one scoring pass). */
  private gaps = new Map<TreeNode, [number, number]>();

  constructor(private readonly m: Matching) {}

  /** Spends `cost` if the budget allows it; otherwise switches to linear matching. */
  private afford(cost: number): boolean {
    if (this.linear) return false;
    if (this.work + cost > DIFF_WORK_BUDGET) {
      this.linear = true;
      return false;
    }
    this.work += cost;
    return true;
  }

  /** Whether work counted while doing it has passed the budget (then linear from here on). */
  private exhausted(): boolean {
    if (!this.linear && this.work > DIFF_WORK_BUDGET) this.linear = true;
    return this.linear;
  }

  run(): void {
    this.align(undefined, undefined);
    const identity: Bucket = { of: (n) => `${n.key}\u0000${n.ancestry}` };
    // Identical content; an empty group or a bare step is no evidence unless it stayed in its parent.
    const content: Bucket = { of: (n) => n.fp, accept: (a, b) => !a.trivial || sameParent(this.m, a, b) };
    const name: Bucket = { of: (n) => JSON.stringify([n.item.kind, n.item.name]) };
    // A group keeps most of its children through a rename or move, even when one of them changed.
    const similarChildren: Bucket = { accept: (a, b) => this.childOverlap(a, b, 'max') >= 0.5 };
    // …or, when its children changed too, its condition and options (an empty conditional group
    // that was renamed, moved and filled).
    const settings: Bucket = {
      of: (n) => JSON.stringify([n.facets.condition, n.facets.options, n.facets.extra]),
      accept: (a) => a.facets.condition !== '',
    };
    const sameType = (a: TreeNode, b: TreeNode): number => (typeKey(a.item) === typeKey(b.item) ? 1_000_000 : 0);
    // Groups before steps: a pair of groups gives their contents a parent to be compared against.
    const phases = [
      // Same place and name vs. identical content compete in one pool, so a step whose name was
      // taken over by another step still finds its content twin (see contextScore).
      () => this.byBucket('group', [identity, content, similarChildren, settings]),
      () => this.groupsByChildren(),
      () => this.byBucket('step', [identity, content]),
      () => this.byBucket('group', [name]),
      () => this.byBucket('step', [name], sameType),
      () => this.inGaps(),
    ];
    // Restart from the strongest evidence after every success: a new pair of groups may settle
    // its children, which in turn is evidence for the next phases.
    for (let i = 0; i < phases.length && !this.linear;) i = phases[i]() ? 0 : i + 1;
    if (this.linear) {
      // Same evidence, strongest first, each pass once and first come first served.
      this.linearByBucket('group', [identity, content, settings]);
      this.groupsByChildren();
      this.linearByBucket('step', [identity, content]);
      this.linearByBucket('group', [name]);
      this.linearByBucket('step', [{ of: (n) => n.key }, name]);
      return;
    }
    this.uncross();
  }

  /**
   * Linear matching: per bucket, free B nodes queue by bucket value in document order, and each
   * free A node (document order) takes the first acceptable one among the next few.
   */
  private linearByBucket(kind: 'group' | 'step', buckets: Bucket[]): void {
    for (const bucket of buckets) {
      if (!bucket.of) continue;
      const queues = new Map<string, { list: TreeNode[]; next: number }>();
      for (const y of this.m.b.nodes) {
        if (y.item.kind !== kind || !this.free(y)) continue;
        const k = bucket.of(y);
        const q = queues.get(k);
        if (q) q.list.push(y);
        else queues.set(k, { list: [y], next: 0 });
      }
      for (const x of this.m.a.nodes) {
        if (x.item.kind !== kind || !this.free(x)) continue;
        const q = queues.get(bucket.of(x));
        if (!q) continue;
        while (q.next < q.list.length && !this.free(q.list[q.next])) q.next++;
        for (let k = q.next, tries = 0; k < q.list.length && tries < LINEAR_TRIES; k++) {
          const y = q.list[k];
          if (!this.free(y)) continue;
          tries++;
          if (bucket.accept && !bucket.accept(x, y)) continue;
          this.link(x, y);
          break;
        }
      }
    }
  }

  /**
   * Same-named siblings paired crosswise (a1 before a2, but b1 after b2) read as moves of both;
   * if pairing them in order costs no more (moves + pairs whose content differs), prefer it.
   * Identical groups that really swapped places keep their pairing: uncrossing would move all
   * their children.
   */
  private uncross(): void {
    const cost = (): number => {
      let c = movedNodes(this.m).size;
      for (const [x, y] of this.m.ab) if (x.exact !== y.exact) c++;
      return c;
    };
    const parents: Array<[TreeNode | undefined, TreeNode | undefined]> = [[undefined, undefined]];
    for (const [x, y] of this.m.ab) if (x.item.kind === 'group') parents.push([x, y]);
    for (const [pa, pb] of parents) {
      const byKey = new Map<string, Array<[TreeNode, TreeNode]>>();
      for (const x of pa ? pa.children : this.m.a.roots) {
        const y = this.m.ab.get(x);
        if (!y || y.parent !== pb || y.key !== x.key) continue;
        const list = byKey.get(x.key);
        if (list) list.push([x, y]);
        else byKey.set(x.key, [[x, y]]);
      }
      for (const pairs of byKey.values()) {
        const bs = pairs.map((p) => p[1]).sort((p, q) => p.index - q.index);
        if (pairs.every((p, k) => p[1] === bs[k])) continue;
        // Two costs of the whole matching: stop uncrossing when the budget is spent.
        if (!this.afford(2 * 20 * (this.m.ab.size + 1))) return;
        const before = cost();
        const relink = (list: Array<[TreeNode, TreeNode]>): void => {
          for (const [x, y] of list) {
            this.m.ab.set(x, y);
            this.m.ba.set(y, x);
          }
        };
        relink(pairs.map((p, k): [TreeNode, TreeNode] => [p[0], bs[k]]));
        if (cost() > before) relink(pairs);
      }
    }
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

  /**
   * LCS of the children, linking identical items (same key, content and options). Items that
   * share a name but differ in content are left to the later phases: pairing them here could take
   * the name-twin of an item whose identical copy merely moved. Children paired earlier (a nested
   * group found before its parent) weigh heavily, so the rest is aligned around them.
   */
  private align(pa: TreeNode | undefined, pb: TreeNode | undefined): void {
    const la = pa ? pa.children : this.m.a.roots;
    const lb = pb ? pb.children : this.m.b.roots;
    if (!la.length || !lb.length) return;
    const cells = la.length * lb.length;
    if (cells > ALIGN_MAX_CELLS || !this.afford(cells)) {
      this.alignLinear(la, lb);
      return;
    }
    // Only identical pairs are linked here; likely pairs (same key but edited, or same content but
    // renamed) weigh a little, so that of two equally long alignments the one that keeps such an
    // item in order wins.
    const weight = (x: TreeNode, y: TreeNode): number => {
      if (this.m.ab.get(x) === y) return 1_000_000;
      if (!this.free(x) || !this.free(y) || x.item.kind !== y.item.kind) return 0;
      if (x.key === y.key && x.exact === y.exact) return 1_000;
      return x.key === y.key || x.fp === y.fp ? 1 : 0;
    };
    const cols = lb.length + 1;
    const dp = new Float64Array((la.length + 1) * cols);
    for (let i = la.length - 1; i >= 0; i--) {
      for (let j = lb.length - 1; j >= 0; j--) {
        const w = weight(la[i], lb[j]);
        const skip = Math.max(dp[(i + 1) * cols + j], dp[i * cols + j + 1]);
        dp[i * cols + j] = w > 0 ? Math.max(skip, w + dp[(i + 1) * cols + j + 1]) : skip;
      }
    }
    const pairs: Array<[TreeNode, TreeNode]> = [];
    let i = 0;
    let j = 0;
    while (i < la.length && j < lb.length) {
      const w = weight(la[i], lb[j]);
      if (w > 0 && dp[i * cols + j] === w + dp[(i + 1) * cols + j + 1]) {
        if (w === 1_000) pairs.push([la[i], lb[j]]);
        i++;
        j++;
      } else if (dp[(i + 1) * cols + j] >= dp[i * cols + j + 1]) i++;
      else j++;
    }
    // Link after the whole list is aligned: linking recurses into the children.
    for (const [x, y] of pairs) this.link(x, y, true);
  }

  /**
   * Alignment in linear time, for lists too long for the table: identical free items (same key,
   * content and options) paired in document order. Not necessarily an increasing run — movedNodes
   * reports what crosses as moved.
   */
  private alignLinear(la: TreeNode[], lb: TreeNode[]): void {
    const queues = new Map<string, { list: TreeNode[]; next: number }>();
    for (const y of lb) {
      if (!this.free(y)) continue;
      const k = `${y.key}\u0000${y.exact}`;
      const q = queues.get(k);
      if (q) q.list.push(y);
      else queues.set(k, { list: [y], next: 0 });
    }
    const pairs: Array<[TreeNode, TreeNode]> = [];
    for (const x of la) {
      if (!this.free(x)) continue;
      const q = queues.get(`${x.key}\u0000${x.exact}`);
      if (q && q.next < q.list.length) pairs.push([x, q.list[q.next++]]);
    }
    for (const [x, y] of pairs) this.link(x, y, true);
  }

  /**
   * How well b fits where a was (> 0), summing: identical content (most), same name, similar
   * content (as much as a name: a name taken over by another item is weak evidence when nothing
   * else matches), same parent (paired parents; less when both parents are still unpaired, as
   * they may yet turn out to be the same group), still between the same paired neighbours, and
   * nearby position as a tie-break. Identical
   * content beats name and place: a step whose name and place were taken over by another step is
   * found where its content went. Pools are solved as an assignment, so twins pair sensibly.
   */
  private contextScore(a: TreeNode, b: TreeNode): number {
    const same = sameParent(this.m, a, b);
    const parent = same ? 2 : a.parent && b.parent && this.free(a.parent) && this.free(b.parent) ? 1 : 0;
    return (
      (a.fp === b.fp ? 400_000 : 0) +
      (a.item.name === b.item.name ? 300_000 : 0) +
      parent * 100_000 +
      Math.round(this.similarity(a, b) * 300_000) +
      // Still between the same paired neighbours: pairing here reports no move.
      (same && this.inGap(a, b) ? 50_000 : 0) +
      (1_000 - Math.min(Math.abs(a.index - b.index), 999))
    );
  }

  /**
   * b (a child of a's parent's partner) lies between the partners of a's nearest paired siblings.
   * The bounds depend on a alone (b's parent is a's parent's partner) and on the pairs, which do
   * not change while a pass scores candidates: they are computed once per A node and pass.
   */
  private inGap(a: TreeNode, b: TreeNode): boolean {
    let gap = this.gaps.get(a);
    if (!gap) {
      const la = a.parent ? a.parent.children : this.m.a.roots;
      const partnerIndex = (n: TreeNode): number | undefined => {
        const p = this.m.ab.get(n);
        return p && p.parent === b.parent ? p.index : undefined;
      };
      let lo = -1;
      let k = a.index - 1;
      for (; k >= 0 && lo === -1; k--) lo = partnerIndex(la[k]) ?? -1;
      let hi = Infinity;
      let j = a.index + 1;
      for (; j < la.length && hi === Infinity; j++) hi = partnerIndex(la[j]) ?? Infinity;
      this.work += a.index - k + j - a.index;
      gap = [lo, hi];
      this.gaps.set(a, gap);
    }
    return gap[0] < b.index && b.index < gap[1];
  }

  /**
   * Pairs unpaired nodes of one kind that share a bucket (any of `buckets`), maximising the total
   * context score. Groups: only the best pair is linked (its children then change the context of
   * the rest, so the caller starts over).
   */
  private byBucket(kind: 'group' | 'step', buckets: Bucket[], bonus?: (a: TreeNode, b: TreeNode) => number): boolean {
    const as = this.m.a.nodes.filter((n) => n.item.kind === kind && this.free(n));
    const bs = this.m.b.nodes.filter((n) => n.item.kind === kind && this.free(n));
    if (!as.length || !bs.length) return false;
    // Weights for every pair and every bucket, and the assignment (cubic in the larger side).
    const size = Math.max(as.length, bs.length);
    if (!this.afford(as.length * bs.length * (buckets.length + 1) + size * size * size)) return false;
    this.gaps.clear();
    const weights = as.map(() => new Array<number>(bs.length).fill(0));
    let any = false;
    for (const bucket of buckets) {
      const byValue = new Map<string, number[]>();
      const all = bs.map((_, j) => j);
      if (bucket.of) {
        bs.forEach((y, j) => {
          const k = bucket.of!(y);
          const list = byValue.get(k);
          if (list) list.push(j);
          else byValue.set(k, [j]);
        });
      }
      for (let i = 0; i < as.length; i++) {
        const x = as[i];
        for (const j of bucket.of ? (byValue.get(bucket.of(x)) ?? []) : all) {
          if (weights[i][j] > 0 || (bucket.accept && !bucket.accept(x, bs[j]))) continue;
          weights[i][j] = this.contextScore(x, bs[j]) + (bonus ? bonus(x, bs[j]) : 0);
          any = true;
        }
        // Scores of groups compare their children: counted as they go.
        if (this.exhausted()) return false;
      }
    }
    if (!any) return false;
    const pairs = maxWeightMatching(weights).map(([i, j]): [number, TreeNode, TreeNode] => [weights[i][j], as[i], bs[j]]);
    return this.greedy(pairs);
  }

  /**
   * Highest score first, then document order. A new pair of groups changes the context of
   * everything inside them (same parent, children now paired), so stop there and let the caller
   * start over with fresh scores.
   */
  private greedy(candidates: Array<[number, TreeNode, TreeNode]>): boolean {
    candidates.sort((p, q) => q[0] - p[0] || p[1].order - q[1].order || p[2].order - q[2].order);
    let linked = false;
    for (const [, x, y] of candidates) {
      if (!this.free(x) || !this.free(y)) continue;
      this.link(x, y);
      linked = true;
      // Linear mode does not start over: it takes every pair in one pass.
      if (x.item.kind === 'group' && !this.linear) break;
    }
    return linked;
  }

  /** An unpaired group whose children now sit in one unpaired group of B is that group. */
  private groupsByChildren(): boolean {
    const candidates: Array<[number, TreeNode, TreeNode]> = [];
    const linear = this.linear;
    this.gaps.clear();
    for (const ga of this.m.a.nodes) {
      if (ga.item.kind !== 'group' || !this.free(ga) || !ga.children.length) continue;
      const tally = new Map<TreeNode, number>();
      for (const c of ga.children) {
        const p = this.m.ab.get(c)?.parent;
        if (p && this.free(p)) tally.set(p, (tally.get(p) ?? 0) + 1);
      }
      this.work += ga.children.length;
      // Most of ga's children went to gb, or most of gb's came from ga (ga also lost some
      // elsewhere); more shared children first.
      for (const [gb, count] of tally) {
        if (count * 2 >= Math.min(ga.children.length, gb.children.length)) {
          // Linear mode ranks by shared children alone (the context score compares children).
          candidates.push([count * 1_000_000 + (linear ? 0 : this.contextScore(ga, gb)), ga, gb]);
        }
      }
      // Out of budget while scoring: this pass was not linear, so it is dropped (the caller goes on linearly).
      if (!linear && this.exhausted()) return false;
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
      // The partners of the nearest paired neighbours bound where la[i] may have stayed: the
      // nearest anchors before and after each position, in two passes.
      const before = new Array<number>(la.length);
      const after = new Array<number>(la.length);
      for (let i = 0, last = -1; i < la.length; i++) {
        before[i] = last;
        if (anchor[i] !== undefined) last = anchor[i]!;
      }
      for (let i = la.length - 1, next = lb.length; i >= 0; i--) {
        after[i] = next;
        if (anchor[i] !== undefined) next = anchor[i]!;
      }
      let pairs = 0;
      for (let i = 0; i < la.length; i++) if (this.free(la[i])) pairs += Math.max(0, after[i] - before[i] - 1);
      if (!this.afford(la.length + pairs * 20)) return false;
      for (let i = 0; i < la.length; i++) {
        if (!this.free(la[i])) continue;
        const lo = before[i];
        const hi = after[i];
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

  /**
   * Weighted share of equal facets, 0…1. What an item does (command line and properties, or its
   * children) weighs double, so a rename plus an option and a condition edit still pairs, while two
   * different command lines of the same type never do.
   */
  private similarity(a: TreeNode, b: TreeNode): number {
    const x = a.facets;
    const y = b.facets;
    const facets: Array<[boolean, number]> = [
      [a.item.name === b.item.name, 1],
      [x.condition === y.condition, 1],
      [x.options === y.options, 1],
      [x.extra === y.extra, 1],
    ];
    if (a.item.kind === 'step') facets.push([x.action === y.action, 2], [x.variables === y.variables, 2]);
    else facets.push([this.childOverlap(a, b) >= 0.5, 2]);
    const total = facets.reduce((t, [, w]) => t + w, 0);
    return facets.reduce((t, [eq, w]) => t + (eq ? w : 0), 0) / total;
  }

  /**
   * Share of the children found in the other group (paired into it, or by key), relative to the
   * smaller group ('min': a group that kept its place but lost or gained children is still the
   * same group) or the larger one ('max': evidence strong enough on its own).
   */
  private childOverlap(a: TreeNode, b: TreeNode, relativeTo: 'min' | 'max' = 'min'): number {
    const base = relativeTo === 'min' ? Math.min(a.children.length, b.children.length) : Math.max(a.children.length, b.children.length);
    // An empty group is contained in anything (it only gained children); two empty groups are no
    // evidence on their own.
    if (base === 0) return relativeTo === 'min' ? 1 : 0;
    this.work += a.children.length + b.children.length;
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
    return Math.max(paired, common) / base;
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
    // best[i] = w(i) + the best of the earlier pairs (j < i) with a smaller A position, the
    // earliest such j on ties: a prefix maximum over A positions in a Fenwick tree, O(n log n).
    const n = pairs.length;
    const best = new Array<number>(n);
    const prev = new Array<number>(n).fill(-1);
    let positions = 0;
    for (const p of pairs) positions = Math.max(positions, p[0].index + 1);
    const treeBest = new Float64Array(positions + 1);
    const treeAt = new Int32Array(positions + 1).fill(-1);
    // (value, index) pairs: the larger value, then the smaller index.
    const better = (v: number, j: number, bv: number, bj: number): boolean => bj === -1 || v > bv || (v === bv && j < bj);
    for (let i = 0; i < n; i++) {
      const w = 1000 + (m.aligned.has(pairs[i][0]) ? 1 : 0);
      let bv = 0;
      let bj = -1;
      for (let k = pairs[i][0].index; k > 0; k -= k & -k) {
        if (treeAt[k] !== -1 && better(treeBest[k], treeAt[k], bv, bj)) {
          bv = treeBest[k];
          bj = treeAt[k];
        }
      }
      best[i] = w + (bj === -1 ? 0 : bv);
      prev[i] = bj;
      for (let k = pairs[i][0].index + 1; k <= positions; k += k & -k) {
        if (better(best[i], i, treeBest[k], treeAt[k])) {
          treeBest[k] = best[i];
          treeAt[k] = i;
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
