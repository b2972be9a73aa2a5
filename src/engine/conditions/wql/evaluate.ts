/**
 * Runs a WQL query against a machine inventory (conditions-wql §2.6): parse, find the namespace
 * and class, check every named property and constant against the class schema, then look for an
 * instance that satisfies WHERE. The result says whether one matched (the condition is true iff
 * one did [D]), which, and otherwise the nearest miss: the instance that satisfied most
 * predicates and the first predicate it failed, with the value it had.
 */
import type { CimPropertyDecl, CimScalar, CimValue, MachineInventory, WmiClassData } from '../../inventory.js';
import { normalisedOp, propertiesOf, type WqlCompare, type WqlExpr, type WqlIn, type WqlLike, type WqlPropertyRef, type WqlQuery } from './ast.js';
import { ALWAYS_PRESENT_NAMESPACES, catalogClass } from './catalog.js';
import { WqlError } from './errors.js';
import { compileLike } from './like.js';
import { tryParseWql } from './parser.js';
import { applyOp, compareTyped, constantFor, fromStored, inferType, typedText, type Typed } from './values.js';

export interface WqlOptions {
  /**
   * Comparing an array property (`ChassisTypes = 10`): `any` (default) is true when some element
   * satisfies it; `error` fails the query with WBEM_E_INVALID_QUERY (§2.4, open question §9.1).
   */
  arrayMode?: 'any' | 'error';
  /** A class neither in the inventory nor in the built-in catalog: `invalid` (default) ⇒ WBEM_E_INVALID_CLASS; `empty` ⇒ no instances (§5). */
  unknownClass?: 'invalid' | 'empty';
}

export type WqlInstance = Record<string, CimValue>;

export interface WqlNearestMiss {
  instance: WqlInstance;
  /** The text of the first predicate the instance failed, as written in the query. */
  failedPredicate: string;
  /** The property that predicate tests (as spelled in the schema). */
  property: string;
  /** That property's value on the instance; null when NULL/absent. */
  actual: CimValue;
}

export interface WqlResult {
  matched: boolean;
  /** The first matching instance. */
  instance?: WqlInstance;
  /** For a non-match on a class with instances: the closest instance and why it failed. */
  nearestMiss?: WqlNearestMiss;
  /** The query could not run; `matched` is false. */
  error?: WqlError;
  /** Namespace and class as the inventory/catalog spell them (or as queried when unknown). */
  namespace: string;
  className?: string;
  /** Instances of the class that were examined. */
  instanceCount: number;
  /** Things that did not stop the query but that real WMI may treat differently (array comparisons, §2.4). */
  warnings: string[];
  query?: WqlQuery;
}

export const DEFAULT_NAMESPACE = 'root\\cimv2';

/**
 * `root\cimv2` spelled any way admins write it (§2.5): `/` for `\`, a `\\.\` or `\\localhost\`
 * prefix, doubled backslashes; an empty namespace is root\cimv2 [I]. Other machines are rejected.
 */
export function normaliseNamespace(ns: string): string | WqlError {
  let s = ns.trim().replace(/\//g, '\\');
  if (s.startsWith('\\\\')) {
    const m = /^\\\\([^\\]*)\\?(.*)$/.exec(s)!;
    const host = m[1].toLowerCase();
    if (host !== '.' && host !== 'localhost') {
      return new WqlError({
        codeName: 'WBEM_E_INVALID_NAMESPACE',
        message: `the namespace names another computer (${m[1]})`,
        query: ns,
        hint: 'task sequence conditions query the local computer: write the namespace without a machine prefix, e.g. root\\cimv2',
      });
    }
    s = m[2];
  }
  s = s.replace(/\\{2,}/g, '\\').replace(/^\\+|\\+$/g, '');
  return s === '' ? DEFAULT_NAMESPACE : s;
}

export interface PropertyInfo {
  name: string;
  decl: CimPropertyDecl;
}

export interface ResolvedClass {
  namespace: string;
  name: string;
  instances: WqlInstance[];
  /** lower-cased name → declaration; undefined when nothing is known about the properties. */
  schema: Map<string, PropertyInfo>;
  /** Whether `schema` is complete enough to call a missing name unknown. */
  schemaKnown: boolean;
}

function findKey<T>(rec: Record<string, T> | undefined, name: string, norm: (s: string) => string = (s) => s): [string, T] | undefined {
  if (!rec) return undefined;
  const want = norm(name).toLowerCase();
  for (const [k, v] of Object.entries(rec)) if (norm(k).toLowerCase() === want) return [k, v];
  return undefined;
}

const nsKey = (k: string): string => {
  const n = normaliseNamespace(k);
  return typeof n === 'string' ? n : k;
};

/** System properties every instance has (a subset of WMI's). */
const SYSTEM_PROPERTIES: Record<string, CimScalar> = {
  __CLASS: 'string',
  __SUPERCLASS: 'string',
  __DYNASTY: 'string',
  __NAMESPACE: 'string',
  __SERVER: 'string',
  __RELPATH: 'string',
  __PATH: 'string',
  __GENUS: 'sint32',
  __PROPERTY_COUNT: 'sint32',
};

/** Finds the namespace and class (§2.5): WBEM_E_INVALID_NAMESPACE / WBEM_E_INVALID_CLASS when absent. */
export function resolveWqlClass(namespace: string, className: string, inventory: MachineInventory, options: WqlOptions = {}): ResolvedClass | WqlError {
  const ns = normaliseNamespace(namespace);
  if (ns instanceof WqlError) return ns;
  const invNs = findKey(inventory.wmi, ns, nsKey);
  const always = ALWAYS_PRESENT_NAMESPACES.find((a) => a.toLowerCase() === ns.toLowerCase());
  if (!invNs && !always) {
    return new WqlError({
      codeName: 'WBEM_E_INVALID_NAMESPACE',
      message: `namespace ${ns} does not exist on this machine`,
      query: namespace,
      hint: 'check the spelling (normally root\\cimv2); vendor and security namespaces exist only where the provider is installed',
    });
  }
  const nsName = invNs ? nsKey(invNs[0]) : always!;
  const invClass = findKey(invNs?.[1], className);
  const cat = catalogClass(nsName, className);
  let data: WmiClassData;
  let name: string;
  if (invClass) {
    [name, data] = invClass;
  } else if (cat || options.unknownClass === 'empty') {
    // A catalogued class the inventory did not capture exists with no instances (§5).
    name = cat?.name ?? className;
    data = { instances: [] };
  } else {
    return new WqlError({
      codeName: 'WBEM_E_INVALID_CLASS',
      message: `class ${className} does not exist in namespace ${nsName}`,
      query: className,
      hint: 'check the class name; vendor classes exist only where the vendor provider is installed',
    });
  }
  const schema = new Map<string, PropertyInfo>();
  for (const [p, decl] of Object.entries(cat?.properties ?? {})) schema.set(p.toLowerCase(), { name: p, decl });
  for (const [p, decl] of Object.entries(data.properties ?? {})) schema.set(p.toLowerCase(), { name: p, decl });
  // What the instances carry is part of the schema too: the agent captures every property (§5).
  for (const inst of data.instances) {
    for (const [p, v] of Object.entries(inst)) {
      if (!schema.has(p.toLowerCase()) && v !== null) schema.set(p.toLowerCase(), { name: p, decl: inferType(v) });
    }
  }
  for (const [p, type] of Object.entries(SYSTEM_PROPERTIES)) schema.set(p.toLowerCase(), { name: p, decl: { type } });
  const schemaKnown = !!cat || !!data.properties || data.instances.length > 0;
  return { namespace: nsName, name, instances: data.instances, schema, schemaKnown };
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}

function suggest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    // The distance is at least the difference in length: skip the O(|a|·|b|) table when it cannot win.
    if (Math.abs(name.length - c.length) >= bestD) continue;
    const dist = editDistance(name.toLowerCase(), c.toLowerCase());
    if (dist < bestD) [best, bestD] = [c, dist];
  }
  return best;
}

/** Per-query facts computed once before looking at instances. */
interface Checked {
  cls: ResolvedClass;
  /** Constant of each comparison in the property's type. */
  constants: Map<WqlCompare, Typed>;
  /** Constants of each IN list in the property's type (an AST from a grammar with IN). */
  inLists: Map<WqlIn, Typed[]>;
  props: Map<WqlPropertyRef, PropertyInfo>;
  warnings: string[];
}

/**
 * Checks a parsed query against a class schema (§2.3, §2.4): unknown properties, constants that
 * cannot be of the property's type, booleans compared with < or >, array comparisons in `error` mode.
 */
function checkQuery(q: WqlQuery, cls: ResolvedClass, options: WqlOptions, unknownProperty: 'error' | 'warn' = 'error'): Checked | WqlError {
  const err = (message: string, at: { start: number; end: number }, hint?: string, expected?: string): WqlError =>
    new WqlError({ codeName: 'WBEM_E_INVALID_QUERY', message, query: q.text, column: at.start + 1, length: at.end - at.start, hint, expected });
  const props = new Map<WqlPropertyRef, PropertyInfo>();
  const warnings: string[] = [];
  for (const ref of propertiesOf(q)) {
    const info = cls.schema.get(ref.name.toLowerCase());
    if (info) {
      props.set(ref, info);
      continue;
    }
    if (cls.schemaKnown) {
      const guess = suggest(
        ref.name,
        [...cls.schema.values()].map((p) => p.name).filter((n) => !n.startsWith('__')),
      );
      const message = `${cls.name} has no property ${ref.name}`;
      if (unknownProperty === 'error') return err(message, ref, guess ? `did you mean ${guess}?` : undefined);
      warnings.push(`${message}${guess ? ` (did you mean ${guess}?)` : ''}`);
      props.set(ref, { name: ref.name, decl: { type: 'string' } });
      continue;
    }
    // Nothing is known about this class (not catalogued, no instances): its properties are NULL.
    props.set(ref, { name: ref.name, decl: { type: 'string' } });
  }
  const constants = new Map<WqlCompare, Typed>();
  const inLists = new Map<WqlIn, Typed[]>();
  const visit = (e: WqlExpr): WqlError | undefined => {
    switch (e.kind) {
      case 'or':
      case 'and':
        for (const o of e.operands) {
          const r = visit(o);
          if (r) return r;
        }
        return undefined;
      case 'not':
        return visit(e.operand);
      case 'isNull':
        return undefined;
      case 'compare':
      case 'like':
      case 'in': {
        const info = props.get(e.property)!;
        if (info.decl.array) {
          if (options.arrayMode === 'error') {
            return err(
              `${info.name} is an array (${info.decl.type}[]); comparing it is not supported in arrayMode "error"`,
              e,
              'test the array with a different class or property, e.g. Win32_Battery or PCSystemType',
            );
          }
          warnings.push(`${info.name} is an array: true when any element matches (real WMI may return an error or no rows)`);
        }
        if (e.kind === 'like') return undefined;
        if (e.kind === 'in') {
          const list: Typed[] = [];
          for (const v of e.values) {
            const c = constantFor(v, info.decl.type, '=');
            if ('error' in c) return err(c.error, v, c.hint);
            list.push(c);
          }
          inLists.set(e, list);
          return undefined;
        }
        const c = constantFor(e.value, info.decl.type, normalisedOp(e));
        if ('error' in c) return err(c.error, e.value, c.hint);
        constants.set(e, c);
        return undefined;
      }
    }
  };
  const bad = q.where ? visit(q.where) : undefined;
  return bad ?? { cls, constants, inLists, props, warnings };
}

/** Case-insensitive property lookup on an instance, with the system properties filled in. */
function valueOf(inst: WqlInstance, info: PropertyInfo, cls: ResolvedClass): CimValue {
  const lower = info.name.toLowerCase();
  if (lower.startsWith('__')) {
    switch (lower) {
      case '__class':
      case '__dynasty':
        return cls.name;
      case '__namespace':
        return cls.namespace;
      case '__genus':
        return 2;
      case '__property_count':
        return [...cls.schema.keys()].filter((k) => !k.startsWith('__')).length;
    }
  }
  if (info.name in inst) return inst[info.name] ?? null;
  for (const [k, v] of Object.entries(inst)) if (k.toLowerCase() === lower) return v ?? null;
  return null;
}

function typedValues(raw: CimValue, decl: CimPropertyDecl): Typed[] | undefined {
  if (raw === null) return undefined;
  const items = Array.isArray(raw) ? raw : [raw];
  return items.flatMap((x) => {
    if (x === null) return [];
    const t = fromStored(x, decl.type);
    return t ? [t] : [];
  });
}

interface Verdict {
  value: boolean;
  /** Satisfied leaf predicates: picks the nearest miss. */
  score: number;
  fail?: { at: { start: number; end: number }; ref: WqlPropertyRef };
}

function firstProperty(e: WqlExpr): WqlPropertyRef {
  if (e.kind === 'and' || e.kind === 'or') return firstProperty(e.operands[0]);
  if (e.kind === 'not') return firstProperty(e.operand);
  return e.property;
}

function leaf(value: boolean, e: WqlExpr & { property: WqlPropertyRef }): Verdict {
  return value ? { value, score: 1 } : { value, score: 0, fail: { at: e, ref: e.property } };
}

function judge(e: WqlExpr, inst: WqlInstance, ck: Checked): Verdict {
  switch (e.kind) {
    case 'and': {
      const vs = e.operands.map((o) => judge(o, inst, ck));
      const failed = vs.find((v) => !v.value);
      return { value: !failed, score: vs.reduce((s, v) => s + v.score, 0), fail: failed?.fail };
    }
    case 'or': {
      const vs = e.operands.map((o) => judge(o, inst, ck));
      if (vs.some((v) => v.value)) return { value: true, score: Math.max(...vs.map((v) => v.score)) };
      const best = vs.reduce((a, b) => (b.score > a.score ? b : a));
      return { value: false, score: best.score, fail: best.fail };
    }
    case 'not': {
      const inner = judge(e.operand, inst, ck);
      return inner.value ? { value: false, score: 0, fail: { at: e, ref: firstProperty(e.operand) } } : { value: true, score: 1 };
    }
    case 'isNull': {
      const info = ck.props.get(e.property)!;
      const isNull = valueOf(inst, info, ck.cls) === null;
      return leaf(isNull !== e.negated, e);
    }
    case 'compare': {
      const info = ck.props.get(e.property)!;
      const values = typedValues(valueOf(inst, info, ck.cls), info.decl);
      // NULL compares false with everything, <> included (§2.3).
      if (!values) return leaf(false, e);
      const c = ck.constants.get(e)!;
      const op = normalisedOp(e);
      return leaf(
        values.some((v) => applyOp(op, compareTyped(v, c))),
        e,
      );
    }
    case 'like':
      return judgeLike(e, inst, ck);
    case 'in': {
      const info = ck.props.get(e.property)!;
      const values = typedValues(valueOf(inst, info, ck.cls), info.decl);
      if (!values) return leaf(false, e);
      const list = ck.inLists.get(e)!;
      // Like LIKE: arrays match when some element does (§2.4); NOT IN when some element is not listed.
      return leaf(
        values.some((v) => list.some((c) => compareTyped(v, c) === 0) !== e.negated),
        e,
      );
    }
  }
}

function judgeLike(e: WqlLike, inst: WqlInstance, ck: Checked): Verdict {
  const info = ck.props.get(e.property)!;
  const values = typedValues(valueOf(inst, info, ck.cls), info.decl);
  if (!values) return leaf(false, e);
  const re = compileLike(e.pattern.value);
  // Non-string values match on their canonical text (§2.3 [I]); arrays: any element (§2.4).
  return leaf(
    values.some((v) => re.test(typedText(v)) !== e.negated),
    e,
  );
}

/**
 * Evaluates a WMI query condition. Never throws for bad input: parse, namespace, class and type
 * errors come back in `error` with `matched: false` (§1: an expression that cannot be evaluated is false).
 */
export function evaluateWql(namespace: string, query: string | WqlQuery, inventory: MachineInventory, options: WqlOptions = {}): WqlResult {
  const base: WqlResult = { matched: false, namespace, instanceCount: 0, warnings: [] };
  let q: WqlQuery;
  if (typeof query === 'string') {
    const parsed = tryParseWql(query);
    if (!parsed.ok) return { ...base, error: parsed.error };
    q = parsed.query;
  } else {
    q = query;
  }
  base.query = q;
  try {
    const cls = resolveWqlClass(namespace, q.className, inventory, options);
    if (cls instanceof WqlError) {
      if (cls.codeName === 'WBEM_E_INVALID_CLASS') {
        // Point at the class name in the query.
        return {
          ...base,
          className: q.className,
          error: new WqlError({
            codeName: cls.codeName,
            message: cls.message,
            query: q.text,
            column: q.classSpan.start + 1,
            length: q.classSpan.end - q.classSpan.start,
            hint: cls.hint,
          }),
        };
      }
      return { ...base, error: cls };
    }
    const res: WqlResult = { ...base, namespace: cls.namespace, className: cls.name, instanceCount: cls.instances.length };
    const ck = checkQuery(q, cls, options);
    if (ck instanceof WqlError) return { ...res, error: ck };
    res.warnings = ck.warnings;
    if (!q.where) return cls.instances.length ? { ...res, matched: true, instance: cls.instances[0] } : res;
    let nearest: { v: Verdict; inst: WqlInstance } | undefined;
    for (const inst of cls.instances) {
      const v = judge(q.where, inst, ck);
      if (v.value) return { ...res, matched: true, instance: inst };
      if (!nearest || v.score > nearest.v.score) nearest = { v, inst };
    }
    if (nearest?.v.fail) {
      const { at, ref } = nearest.v.fail;
      const info = ck.props.get(ref)!;
      res.nearestMiss = {
        instance: nearest.inst,
        failedPredicate: q.text.slice(at.start, at.end),
        property: info.name,
        actual: valueOf(nearest.inst, info, cls),
      };
    }
    return res;
  } catch (e) {
    // Defensive: a bug must not turn into a thrown exception inside the engine loop.
    return { ...base, error: new WqlError({ codeName: 'WBEM_E_INVALID_QUERY', message: `query evaluation failed: ${String(e)}`, query: q.text }) };
  }
}

/**
 * Static check of a parsed query against the built-in catalog only (no machine): unknown
 * properties and constant types on catalogued classes. Returns undefined when the class is not
 * catalogued (vendor classes are legitimate, §8 WQL_UNKNOWN_CLASS is a warning).
 */
export function checkWqlAgainstCatalog(
  namespace: string,
  q: WqlQuery,
  options: WqlOptions & { unknownProperty?: 'error' | 'warn' } = {},
): { error?: WqlError; warnings: string[]; catalogued: boolean } {
  const ns = normaliseNamespace(namespace);
  if (ns instanceof WqlError) return { error: ns, warnings: [], catalogued: false };
  const cat = catalogClass(ns, q.className);
  if (!cat) return { warnings: [], catalogued: false };
  const schema = new Map<string, PropertyInfo>();
  for (const [p, decl] of Object.entries(cat.properties)) schema.set(p.toLowerCase(), { name: p, decl });
  for (const [p, type] of Object.entries(SYSTEM_PROPERTIES)) schema.set(p.toLowerCase(), { name: p, decl: { type } });
  const ck = checkQuery(q, { namespace: cat.namespace, name: cat.name, instances: [], schema, schemaKnown: true }, options, options.unknownProperty);
  return ck instanceof WqlError ? { error: ck, warnings: [], catalogued: true } : { warnings: ck.warnings, catalogued: true };
}
