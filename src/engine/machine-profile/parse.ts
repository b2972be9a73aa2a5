/**
 * Reading a machine profile: JSON with positions, then the schema. Every problem becomes an
 * InputError naming the file, line:column, the JSON path and the rule — never a stack trace.
 */
import { readInputText } from '../../sequence/read-input.js';
import type { z } from 'zod';
import { InputError, locate } from '../../sequence/input-error.js';
import { JsonSyntaxError, parseJsonSource, positionOf, type JsonSource } from './json-source.js';
import { MACHINE_PROFILE_SCHEMA, machineProfileSchema, type MachineProfile } from './schema.js';

const HINT = 'the format is described in docs/machine-profile.md; examples/machines/ has complete profiles';

export function parseMachineProfile(text: string, input: string): MachineProfile {
  let src: JsonSource;
  try {
    src = parseJsonSource(text);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    throw new InputError({ input, location: locate(text, e.offset), rule: `malformed JSON: ${e.message}` });
  }
  if (typeof src.value !== 'object' || src.value === null || Array.isArray(src.value)) {
    throw new InputError({ input, location: locate(text, positionOf(src, []) ?? 0), rule: 'a machine profile is a JSON object', hint: HINT });
  }
  const schema = (src.value as Record<string, unknown>).schema;
  if (schema !== MACHINE_PROFILE_SCHEMA) {
    throw new InputError({
      input,
      location: locate(text, positionOf(src, ['schema']) ?? positionOf(src, []) ?? 0),
      rule:
        schema === undefined
          ? `schema: missing; a machine profile starts with "schema": "${MACHINE_PROFILE_SCHEMA}"`
          : `schema: ${JSON.stringify(schema)} is not a machine profile; expected "${MACHINE_PROFILE_SCHEMA}"`,
      hint: HINT,
    });
  }
  const parsed = machineProfileSchema.safeParse(src.value);
  if (parsed.success) return parsed.data;

  const found = parsed.error.issues.flatMap((i) => explain(i, [], src.value));
  const located = found.map((p) => ({ ...p, offset: positionOf(src, p.path, p.atKey) ?? 0, order: 0 }));
  // A missing key is often the consequence of a misspelt one next to it: list it after its siblings' problems.
  for (const p of located) {
    if (!p.missing) continue;
    const parent = JSON.stringify(p.path.slice(0, -1)).slice(0, -1);
    const siblings = located.filter((q) => q !== p && JSON.stringify(q.path).startsWith(parent));
    p.order = Math.max(p.offset, ...siblings.map((q) => q.offset)) + 0.5;
  }
  const problems = located.map((p) => ({ ...p, order: p.order || p.offset })).sort((a, b) => a.order - b.order);
  const lines = problems.map((p) => `${formatPath(p.path)}: ${p.message}`);
  const more = lines.length > 8 ? `\n  … and ${lines.length - 8} more` : '';
  throw new InputError({
    input,
    location: locate(text, problems[0].offset),
    rule: lines.length === 1 ? lines[0] : `${lines[0]}\n  also:\n  ${lines.slice(1, 8).join('\n  ')}${more}`,
    hint: HINT,
  });
}

/** Reads and parses a profile file; a missing or unreadable file is an InputError too. */
export function loadMachineProfile(path: string): MachineProfile {
  return parseMachineProfile(readInputText(path, 'machine profile'), path);
}

/** `disks[0].partitions[1].size`; keys that are not identifiers in brackets: `wmi["root\\cimv2"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(p))) out += out ? `.${String(p)}` : String(p);
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out || '(document)';
}

interface Problem {
  path: PropertyKey[];
  message: string;
  atKey?: boolean;
  missing?: boolean;
}

type Issue = z.core.$ZodIssue;

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur = data;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p as string];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (v !== null && typeof v === 'object') return 'an object';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
  bigint: 'a number',
  literal: 'a fixed value',
};

/** zod's own messages start like this; ours are written for people and kept as they are. */
const ZOD_DEFAULT = /^(Invalid|Too (small|big)|Unrecognized|Expected)/;

function explain(issue: Issue, prefix: PropertyKey[], data: unknown): Problem[] {
  const path = [...prefix, ...issue.path];
  const value = valueAt(data, path);
  const custom = !ZOD_DEFAULT.test(issue.message);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => {
        const near = closest(k, knownKeysAt(path));
        return { path: [...path, k], atKey: true, message: `unknown key${near ? `; did you mean "${near}"?` : ''}` };
      });
    case 'invalid_type':
      if (value === undefined) return [{ path, missing: true, message: `missing (${EXPECTED[issue.expected] ?? issue.expected} is required)` }];
      return [{ path, message: `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${show(value)}` }];
    case 'invalid_value': {
      const vals = issue.values.map((v) => JSON.stringify(v));
      return [{ path, message: vals.length === 1 ? `must be ${vals[0]}, got ${show(value)}` : `${show(value)} is not one of ${vals.join(', ')}` }];
    }
    case 'invalid_union': {
      // Prefer the branch that got past its type check (e.g. the object form of "battery").
      const deep = issue.errors.find((errs) => errs.some((e) => e.path.length > 0 || e.code !== 'invalid_type'));
      if (deep) return deep.flatMap((e) => explain(e, path, data));
      const types = issue.errors.flatMap((errs) => errs.map((e) => (e.code === 'invalid_type' ? (EXPECTED[e.expected] ?? e.expected) : '')));
      const expected = [...new Set(types.filter(Boolean))].join(' or ');
      if (value === undefined) return [{ path, missing: true, message: `missing (${expected} is required)` }];
      return [{ path, message: `expected ${expected}, got ${show(value)}` }];
    }
    case 'too_small':
    case 'too_big': {
      if (custom) return [{ path, message: issue.message }];
      const limit = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const word = issue.code === 'too_small' ? 'minimum' : 'maximum';
      if (issue.origin === 'array') return [{ path, message: `needs ${issue.code === 'too_small' ? 'at least' : 'at most'} ${limit} item(s)` }];
      if (issue.origin === 'string')
        return [{ path, message: `${show(value)} is too ${issue.code === 'too_small' ? 'short' : 'long'} (${word} ${limit} characters)` }];
      return [{ path, message: `${show(value)} is out of range (${word} ${limit})` }];
    }
    default:
      if (custom) return [{ path, message: /^(is|must) /.test(issue.message) ? `${show(value)} ${issue.message}` : issue.message }];
      return [{ path, message: `${show(value)}: ${issue.message.toLowerCase()}` }];
  }
}

// ───────────────────────────── "did you mean" ─────────────────────────────

/** Just enough of zod's internal definitions to walk the schema by path. */
interface Node {
  _zod: { def: { type: string; shape?: Record<string, Node>; element?: Node; innerType?: Node; in?: Node; options?: Node[]; valueType?: Node } };
}

function peel(n: Node): Node[] {
  const d = n._zod.def;
  if (d.innerType) return peel(d.innerType);
  if (d.type === 'pipe' && d.in) return peel(d.in);
  if (d.type === 'union' && d.options) return d.options.flatMap(peel);
  return [n];
}

function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let nodes: Node[] = [machineProfileSchema as unknown as Node];
  for (const seg of path) {
    nodes = nodes.flatMap(peel).flatMap((n): Node[] => {
      const d = n._zod.def;
      if (d.type === 'object' && typeof seg === 'string' && d.shape?.[seg]) return [d.shape[seg]];
      if (d.type === 'array' && typeof seg === 'number' && d.element) return [d.element];
      if (d.type === 'record' && d.valueType) return [d.valueType];
      return [];
    });
  }
  return nodes.flatMap(peel).flatMap((n) => (n._zod.def.type === 'object' ? Object.keys(n._zod.def.shape ?? {}) : []));
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const a = word.toLowerCase();
    const b = c.toLowerCase();
    const score = a === b ? 0 : b.startsWith(a) || a.startsWith(b) ? 1 : distance(a, b);
    if (score < bestScore) [best, bestScore] = [c, score];
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
