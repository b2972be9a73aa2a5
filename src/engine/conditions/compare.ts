/**
 * Comparisons shared by the non-WQL condition types (engine-semantics §4): integers (decimal or
 * `0x` hex) compare as numbers, dotted versions component-wise with zero padding, anything else
 * as case-insensitive text. Plus the small helpers every expression needs.
 */
import type { ConditionExpression } from '../../sequence/model/task-sequence.js';

export type ComparisonOperator = 'equals' | 'notEquals' | 'less' | 'lessEqual' | 'greater' | 'greaterEqual';
export type ComparisonMode = 'number' | 'version' | 'text';

const COMPARISONS: Record<string, ComparisonOperator> = {
  equals: 'equals',
  notequals: 'notEquals',
  less: 'less',
  lessequal: 'lessEqual',
  greater: 'greater',
  greaterequal: 'greaterEqual',
};

export const COMPARISON_NAMES = Object.values(COMPARISONS);

/** An operator name as ConfigMgr spells it, looked up case-insensitively (`Equals` occurs, §6). */
export function comparisonOperator(name: string | undefined): ComparisonOperator | undefined {
  return name === undefined ? undefined : COMPARISONS[name.trim().toLowerCase()];
}

export function parseInteger(text: string): bigint | undefined {
  const s = text.trim();
  if (/^[+-]?\d+$/.test(s)) return BigInt(s);
  if (/^0x[0-9a-f]+$/i.test(s)) return BigInt(s);
  return undefined;
}

export function parseVersion(text: string): bigint[] | undefined {
  const s = text.trim();
  if (!/^\d+(\.\d+)*$/.test(s)) return undefined;
  return s.split('.').map((p) => BigInt(p));
}

export function compareVersions(a: bigint[], b: bigint[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? 0n;
    const y = b[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function compareText(a: string, b: string): number {
  const x = a.toUpperCase();
  const y = b.toUpperCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

export function holds(op: ComparisonOperator, c: number): boolean {
  switch (op) {
    case 'equals':
      return c === 0;
    case 'notEquals':
      return c !== 0;
    case 'less':
      return c < 0;
    case 'lessEqual':
      return c <= 0;
    case 'greater':
      return c > 0;
    case 'greaterEqual':
      return c >= 0;
  }
}

/**
 * engine-semantics §4: both integers ⇒ numeric; for ordering operators both dotted versions ⇒
 * component-wise (`10.0.19045 greaterEqual 6`); else case-insensitive text. `equals` uses the
 * version rule only when `versionsForEquality` (File/OS versions), so `1.0 equals 1.00` stays text
 * for variables as the spec says.
 */
export function compareValues(
  actual: string,
  expected: string,
  op: ComparisonOperator,
  versionsForEquality = false,
): { result: boolean; mode: ComparisonMode } {
  const a = parseInteger(actual);
  const b = parseInteger(expected);
  if (a !== undefined && b !== undefined) return { result: holds(op, a < b ? -1 : a > b ? 1 : 0), mode: 'number' };
  if (versionsForEquality || (op !== 'equals' && op !== 'notEquals')) {
    const va = parseVersion(actual);
    const vb = parseVersion(expected);
    if (va && vb) return { result: holds(op, compareVersions(va, vb)), mode: 'version' };
  }
  return { result: holds(op, compareText(actual, expected)), mode: 'text' };
}

/** An expression property by name, case-insensitively (property order varies, §1). */
export function prop(ex: ConditionExpression, name: string): string | undefined {
  const lower = name.toLowerCase();
  return ex.properties.find((p) => p.name.trim().toLowerCase() === lower)?.value;
}

export const quote = (s: string): string => `"${s}"`;

/** `%Name%` references in a path whose variable is not set — worth naming when a path test is false (§6.2). */
export function unsetReferences(text: string, variable: (name: string) => string | undefined): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/%([A-Za-z0-9_-]{1,256})%/g)) {
    if (variable(m[1]) === undefined && !out.includes(m[1])) out.push(m[1]);
  }
  return out;
}

export function unsetNote(names: string[]): string {
  return names.length ? ` (${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} not set)` : '';
}
