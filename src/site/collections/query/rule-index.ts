/**
 * Many compiled query rules (predicate.ts) tested on one device at a time for far less than one
 * call per rule, with exactly the matches of calling every predicate on every device
 * (membership.ts, a full evaluation: 100,000 devices × hundreds of rules).
 *
 * Two ways of skipping work, each exact:
 *
 * - **Tuple cache.** A rule that reads only inventory properties and the true/false attributes
 *   (Client, IsSiteSystem, IsServer) gives the same answer on every device with the same values of
 *   what it reads. Such rules are grouped by what they read (their "signature"); per group, the
 *   device's values (the interned TextValues of FactsLayout.value, compared by identity, and the
 *   booleans) walk a trie to the list of the group's rules that matched the first device with
 *   these values. Fleets have few distinct model / OS / build tuples, so the group's rules run a
 *   few hundred times instead of once per device. A group whose devices turn out mostly distinct
 *   (a serial number in the tuple) stops caching and its rules join the indexed rules below.
 * - **Guard index.** Every other rule is filed under one necessary condition read off its query:
 *   a top-level AND conjunct (or the whole condition) that is `=` or `IN` (not negated) on a text
 *   attribute, an inventory property compared as text or MACAddresses, or a LIKE (not negated)
 *   whose pattern starts with literal characters. The device's values are looked up to find the
 *   rules whose guard it passes, and only those are tested in full; rules without a usable guard
 *   are tested on every device. The guard is only ever a necessary condition — the rule's whole
 *   predicate still decides, so SQL's three-valued logic is the predicate's, unchanged: a
 *   conjunct of an AND that is false or unknown makes the rule not select the device, so a device
 *   failing the guard is never selected by the rule.
 *
 * Why each guard is necessary, as predicate.ts evaluates the conjunct:
 * - text/property `= c` (c not a number against a property): true only when the value is not
 *   null and its lower-case form equals lower(c);
 * - text/property `IN (…)`: true only when the lower-case value is one of the constants' texts
 *   lower-cased;
 * - MACAddresses `=` / `IN`: true only when a device_macs row (DeviceFacts.macRows) equals one
 *   of the constants as constMac normalises them;
 * - `LIKE 'abc…'` on text/property: the regex is anchored and case-insensitive; on ASCII (the only
 *   text the predicate is offered) that is: the lower-case value starts with lower('abc');
 *   on MACAddresses: one element of mac_addresses (DeviceFacts.macAddresses) does.
 *
 * test/site/collections/rule-index.test.ts checks the pass against calling every predicate on
 * every device for random rules of the grammar's shapes and random devices.
 */
import type { WqlExpr } from '../../../engine/conditions/wql/ast.js';
import { parseLikePattern } from '../../../engine/conditions/wql/like.js';
import { column } from './attributes.js';
import { comparisonOp, constMac, constText } from './constants.js';
import type { DeviceFacts, FactsLayout, TextValue } from './facts.js';
import type { CollectionQuery } from './grammar.js';

export type CompiledRule = (d: DeviceFacts) => boolean;

export interface RulePassOptions {
  /** Devices a group looks up before it may give up caching; default 1,024. */
  cacheCheckEvery?: number;
  /** A group whose share of misses is above this stops caching; default 0.25. */
  maxMissRatio?: number;
  /** Groups of fewer rules than this are not cached (a lookup costs about one rule); default 2. */
  minGroupRules?: number;
}

/** Where a guard reads the device: a text attribute, an inventory property slot, or the MACs. */
type Field = { kind: 'name' } | { kind: 'smbiosGuid' } | { kind: 'slot'; slot: number } | { kind: 'macRows' } | { kind: 'macAddresses' };

export type Guard = { exact: true; field: Field; values: string[] } | { exact: false; field: Field; prefix: string };

/** What a rule reads of a device: inventory slots and true/false attributes only, or more. */
interface Reads {
  slots: Set<number>;
  booleans: Set<'client' | 'isSiteSystem' | 'isServer'>;
  /** Reads something that differs on (nearly) every device: ResourceId, Name, SMBIOSGUID, MACs. */
  perDevice: boolean;
}

const fieldKey = (f: Field): string => (f.kind === 'slot' ? `slot:${f.slot}` : f.kind);

/** The query's top-level conjuncts (nested ANDs flattened); the whole condition when it is no AND. */
function conjuncts(e: WqlExpr, out: WqlExpr[] = []): WqlExpr[] {
  if (e.kind === 'and') for (const o of e.operands) conjuncts(o, out);
  else out.push(e);
  return out;
}

function readsOf(e: WqlExpr, layout: FactsLayout, into: Reads): Reads {
  switch (e.kind) {
    case 'and':
    case 'or':
      for (const o of e.operands) readsOf(o, layout, into);
      return into;
    case 'not':
      return readsOf(e.operand, layout, into);
    default: {
      const col = column(e.property.name);
      if (col.kind === 'property') into.slots.add(layout.slot(col));
      else if (col.kind === 'boolean') into.booleans.add(col.field);
      else into.perDevice = true;
      return into;
    }
  }
}

/** A necessary condition of one conjunct, or undefined when it has no usable one. */
function guardOf(e: WqlExpr, layout: FactsLayout): Guard | undefined {
  if (e.kind === 'and' || e.kind === 'or' || e.kind === 'not' || e.kind === 'isNull') return undefined;
  if (e.kind !== 'compare' && e.negated) return undefined;
  const col = column(e.property.name);
  const textField = (): Field | undefined =>
    col.kind === 'text' ? { kind: col.field } : col.kind === 'property' ? { kind: 'slot', slot: layout.slot(col) } : undefined;
  if (e.kind === 'compare') {
    if (comparisonOp(e) !== '=') return undefined;
    if (col.kind === 'mac') return { exact: true, field: { kind: 'macRows' }, values: [constMac(e.value)] };
    // A number against a property compares as a decimal (1.50 = 1.5): no text to look up.
    if (col.kind === 'property' && e.value.kind === 'number') return undefined;
    const field = textField();
    return field && { exact: true, field, values: [constText(e.value).toLowerCase()] };
  }
  if (e.kind === 'in') {
    if (col.kind === 'mac') return { exact: true, field: { kind: 'macRows' }, values: e.values.map(constMac) };
    const field = textField();
    return field && { exact: true, field, values: e.values.map((v) => constText(v).toLowerCase()) };
  }
  // LIKE: the literal characters before the first wildcard or set.
  let prefix = '';
  for (const t of parseLikePattern(e.pattern.value)) {
    if (t.kind !== 'char') break;
    prefix += t.char;
  }
  if (!prefix) return undefined;
  const field: Field | undefined = col.kind === 'mac' ? { kind: 'macAddresses' } : textField();
  return field && { exact: false, field, prefix: prefix.toLowerCase() };
}

/** Exact guards first, then the longest prefix; on a tie a per-device field over a property. */
function better(a: Guard, b: Guard): boolean {
  if (a.exact !== b.exact) return a.exact;
  const perDevice = (g: Guard): number => (g.field.kind === 'slot' ? 0 : 1);
  if (!a.exact && !b.exact && a.prefix.length !== b.prefix.length) return a.prefix.length > b.prefix.length;
  if (a.exact && b.exact && a.values.length !== b.values.length) return a.values.length < b.values.length;
  return perDevice(a) > perDevice(b);
}

/** The rule's best guard, or undefined (tested on every device). */
export function ruleGuard(q: CollectionQuery, layout: FactsLayout): Guard | undefined {
  if (!q.where) return undefined;
  let best: Guard | undefined;
  for (const c of conjuncts(q.where)) {
    let g: Guard | undefined;
    try {
      g = guardOf(c, layout);
    } catch {
      // A constant the compilers refuse (the rule would not have compiled) or a pattern the
      // parser refuses: no guard, the predicate alone decides.
      g = undefined;
    }
    if (g && (!best || better(g, best))) best = g;
  }
  return best;
}

/** Rules filed by guard; `candidates` gives, for a device, every rule whose guard it passes (once). */
class GuardIndex {
  private readonly exact = new Map<string, { field: Field; map: Map<string, number[]> }>();
  private readonly prefix = new Map<string, { field: Field; lengths: number[]; map: Map<string, number[]> }>();
  private readonly always: number[] = [];
  /** Per rule, the device number it was last a candidate for (a device's two MACs may both pass). */
  private stamp: Int32Array;
  private device = 0;
  size = 0;

  constructor(rules: number) {
    this.stamp = new Int32Array(rules).fill(-1);
  }

  add(k: number, guard: Guard | undefined): void {
    this.size++;
    if (!guard) {
      this.always.push(k);
      return;
    }
    const key = fieldKey(guard.field);
    if (guard.exact) {
      let e = this.exact.get(key);
      if (!e) this.exact.set(key, (e = { field: guard.field, map: new Map() }));
      for (const v of new Set(guard.values)) push(e.map, v, k);
    } else {
      let p = this.prefix.get(key);
      if (!p) this.prefix.set(key, (p = { field: guard.field, lengths: [], map: new Map() }));
      if (!p.lengths.includes(guard.prefix.length)) p.lengths.push(guard.prefix.length);
      push(p.map, guard.prefix, k);
    }
  }

  /** Appends to `out` each rule whose guard the device passes, each once. */
  candidates(d: DeviceFacts, out: number[]): void {
    const n = ++this.device;
    const stamp = this.stamp;
    const take = (list: number[] | undefined): void => {
      if (!list) return;
      for (const k of list) {
        if (stamp[k] === n) continue;
        stamp[k] = n;
        out.push(k);
      }
    };
    for (const k of this.always) out.push(k);
    for (const { field, map } of this.exact.values()) {
      // MACs compare as stored (constMac normalised the constants); text in lower case.
      if (field.kind === 'macRows') for (const m of d.macRows) take(map.get(m));
      else {
        const v = textOf(d, field);
        if (v) take(map.get(v.lower));
      }
    }
    for (const { field, lengths, map } of this.prefix.values()) {
      if (field.kind === 'macAddresses') {
        for (const m of d.macAddresses) {
          const lower = m.toLowerCase();
          for (const len of lengths) if (len <= lower.length) take(map.get(lower.slice(0, len)));
        }
      } else {
        const v = textOf(d, field);
        if (v) for (const len of lengths) if (len <= v.lower.length) take(map.get(v.lower.slice(0, len)));
      }
    }
  }
}

function textOf(d: DeviceFacts, f: Field): TextValue | null | undefined {
  return f.kind === 'name' ? d.name : f.kind === 'smbiosGuid' ? d.smbiosGuid : f.kind === 'slot' ? d.slots[f.slot] : undefined;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** A trie node: one level per slot, then per boolean read; the leaf is the rules that matched. */
type Trie = Map<unknown, Trie | number[]>;

interface Group {
  rules: number[];
  slots: number[];
  booleans: ('client' | 'isSiteSystem' | 'isServer')[];
  /** undefined once the group stopped caching (its rules are then in the guard index). */
  trie: Trie | undefined;
  /** The leaf of a group that reads nothing (every device gives the same answer). */
  constant?: number[];
  lookups: number;
  misses: number;
}

/**
 * The rule pass: built from the parsed rules and their compiled predicates (same order, every
 * predicate compiled with `layout`), then `match` once per device (facts from deviceFacts with the
 * same layout), giving the indices of the rules that select it.
 */
export class RulePass {
  private readonly index: GuardIndex;
  private readonly groups: Group[] = [];
  private readonly guards: (Guard | undefined)[];
  private readonly out: number[] = [];
  private readonly candidates: number[] = [];
  private readonly checkEvery: number;
  private readonly maxMissRatio: number;

  constructor(
    queries: readonly CollectionQuery[],
    private readonly predicates: readonly CompiledRule[],
    layout: FactsLayout,
    options: RulePassOptions = {},
  ) {
    if (queries.length !== predicates.length) throw new Error('RulePass: one predicate per query');
    this.checkEvery = options.cacheCheckEvery ?? 1024;
    this.maxMissRatio = options.maxMissRatio ?? 0.25;
    const minGroupRules = options.minGroupRules ?? 2;
    this.index = new GuardIndex(queries.length);
    this.guards = queries.map((q) => ruleGuard(q, layout));
    const bySignature = new Map<string, { reads: Reads; rules: number[] }>();
    for (let k = 0; k < queries.length; k++) {
      const q = queries[k];
      const reads = q.where
        ? readsOf(q.where, layout, { slots: new Set(), booleans: new Set(), perDevice: false })
        : { slots: new Set<number>(), booleans: new Set<never>(), perDevice: false };
      if (reads.perDevice) {
        this.index.add(k, this.guards[k]);
        continue;
      }
      const slots = [...reads.slots].sort((a, b) => a - b);
      const booleans = [...reads.booleans].sort();
      const signature = `${slots.join(',')}|${booleans.join(',')}`;
      const group = bySignature.get(signature);
      if (group) group.rules.push(k);
      else bySignature.set(signature, { reads, rules: [k] });
    }
    for (const { reads, rules } of bySignature.values()) {
      if (rules.length < minGroupRules) {
        for (const k of rules) this.index.add(k, this.guards[k]);
        continue;
      }
      this.groups.push({
        rules,
        slots: [...reads.slots].sort((a, b) => a - b),
        booleans: [...reads.booleans].sort(),
        trie: new Map(),
        lookups: 0,
        misses: 0,
      });
    }
  }

  /** What the pass did so far (phase notes, tests). */
  get stats(): { cachedGroups: number; cachedRules: number; indexedRules: number } {
    const cached = this.groups.filter((g) => g.trie);
    return { cachedGroups: cached.length, cachedRules: cached.reduce((n, g) => n + g.rules.length, 0), indexedRules: this.index.size };
  }

  /** The indices of the rules that select this device (a list reused by the next call). */
  match(d: DeviceFacts): readonly number[] {
    const out = this.out;
    out.length = 0;
    // No query rule selects an unknown computer (compileCollectionPredicate's first test).
    if (d.unknownComputer) return out;
    // The index first: a group giving up caching below moves its rules into it, for the next device.
    const candidates = this.candidates;
    candidates.length = 0;
    this.index.candidates(d, candidates);
    for (const k of candidates) if (this.predicates[k](d)) out.push(k);
    for (const g of this.groups) {
      if (g.trie) this.lookup(g, d, out);
    }
    return out;
  }

  private lookup(g: Group, d: DeviceFacts, out: number[]): void {
    g.lookups++;
    let node: Trie = g.trie!;
    let leaf: number[] | undefined;
    const levels = g.slots.length + g.booleans.length;
    if (levels === 0) leaf = g.constant;
    else {
      for (let i = 0; i < levels; i++) {
        // Interned values compare by identity: equal texts are one TextValue (FactsLayout.value).
        const key = i < g.slots.length ? d.slots[g.slots[i]] : d[g.booleans[i - g.slots.length]];
        const next = node.get(key);
        if (i === levels - 1) leaf = next as number[] | undefined;
        else if (next) node = next as Trie;
        else {
          for (let j = i; j < levels - 1; j++) {
            const k2 = j < g.slots.length ? d.slots[g.slots[j]] : d[g.booleans[j - g.slots.length]];
            const child: Trie = new Map();
            node.set(k2, child);
            node = child;
          }
          break;
        }
      }
    }
    if (leaf) {
      for (const k of leaf) out.push(k);
      return;
    }
    g.misses++;
    leaf = [];
    for (const k of g.rules) if (this.predicates[k](d)) leaf.push(k);
    for (const k of leaf) out.push(k);
    if (levels === 0) g.constant = leaf;
    else {
      const i = levels - 1;
      node.set(i < g.slots.length ? d.slots[g.slots[i]] : d[g.booleans[i - g.slots.length]], leaf);
    }
    // Mostly distinct tuples: the cache costs more than it saves; the rules join the index (the
    // devices from the next one on are tested there, each rule still once per device).
    if (g.lookups >= this.checkEvery && g.misses > g.lookups * this.maxMissRatio) {
      g.trie = undefined;
      for (const k of g.rules) this.index.add(k, this.guards[k]);
    }
  }
}
