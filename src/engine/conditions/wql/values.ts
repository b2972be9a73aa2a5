/**
 * WQL values and comparisons (conditions-wql §2.3). Stored inventory values (§5 encoding: 64-bit
 * integers as decimal strings, datetimes as DMTF strings) and query constants are both brought
 * into one typed domain per CIM type, then compared: strings case-insensitively on their
 * upper-cased code units, integers exactly as bigint, reals as IEEE doubles, booleans by equality
 * only, datetimes as UTC instants (microseconds).
 */
import type { CimScalar, CimValue } from '../../inventory.js';
import type { WqlCompareOp, WqlConstant } from './ast.js';

export type Typed =
  | { t: 'string'; v: string }
  | { t: 'int'; v: bigint }
  | { t: 'real'; v: number }
  | { t: 'bool'; v: boolean }
  /** Microseconds since 1970-01-01T00:00:00Z; `raw` is the text it came from (LIKE matches it). */
  | { t: 'datetime'; v: bigint; raw: string };

export type TypeFamily = 'string' | 'int' | 'real' | 'bool' | 'datetime';

export function familyOf(type: CimScalar): TypeFamily {
  switch (type) {
    case 'string':
    case 'char16':
    case 'reference':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'datetime':
      return 'datetime';
    case 'real32':
    case 'real64':
      return 'real';
    default:
      return 'int';
  }
}

const INT_TEXT = /^[+-]?\d+$/;
const NUMBER_TEXT = /^[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** A decimal literal as an exact integer when it denotes one, else as a double. */
export function numberFromText(text: string): { t: 'int'; v: bigint } | { t: 'real'; v: number } | undefined {
  const s = text.trim();
  if (INT_TEXT.test(s)) return { t: 'int', v: BigInt(s) };
  if (!NUMBER_TEXT.test(s)) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n)) return undefined;
  return Number.isInteger(n) ? { t: 'int', v: BigInt(n) } : { t: 'real', v: n };
}

/** Canonical text of a value: what LIKE matches against a non-string property [I], and how a number constant reads against a string property. */
export function typedText(x: Typed): string {
  switch (x.t) {
    case 'string':
      return x.v;
    case 'int':
      return x.v.toString();
    case 'real':
      return String(x.v);
    case 'bool':
      return x.v ? 'TRUE' : 'FALSE';
    case 'datetime':
      return x.raw;
  }
}

// ---------------------------------------------------------------- datetimes

const MONTHS = 'january february march april may june july august september october november december'.split(' ');

function utcMicros(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, micro = 0): bigint | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(ms);
  // Date.UTC maps years 0–99 to 1900–1999; set the full year explicitly.
  if (y < 100) check.setUTCFullYear(y);
  if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return undefined;
  return BigInt(check.getTime()) * 1000n + BigInt(micro);
}

/** DMTF `yyyymmddHHMMSS.mmmmmmsUUU` (UUU = minutes east of UTC), also without the fraction/offset (UTC) [I]. */
export function parseDmtf(text: string): bigint | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{6})(?:([+-])(\d{3}))?)?$/.exec(text.trim());
  if (!m) return undefined;
  const base = utcMicros(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6], m[7] ? +m[7] : 0);
  if (base === undefined) return undefined;
  const offset = m[8] ? (m[8] === '-' ? -1 : 1) * +m[9] : 0;
  return base - BigInt(offset) * 60_000_000n;
}

/** A month spelled out or abbreviated to three letters [D]. */
function monthOf(word: string): number | undefined {
  const w = word.toLowerCase();
  const i = MONTHS.findIndex((m) => m === w || m.slice(0, 3) === w);
  return i >= 0 ? i + 1 : undefined;
}

/** Two-digit years are 19yy, as in Microsoft's examples (`Jan 21 32` = 1932) [D]. */
const fullYear = (y: string): number => (y.length <= 2 ? 1900 + +y : +y);

function parseTime(text: string): { h: number; mi: number; s: number; micro: number } | undefined {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?\s*(AM|PM)?$/i.exec(text.trim());
  if (!m) return undefined;
  let h = +m[1];
  if (m[5]) {
    if (h < 1 || h > 12) return undefined;
    h = (h % 12) + (m[5].toUpperCase() === 'PM' ? 12 : 0);
  }
  return { h, mi: +m[2], s: m[3] ? +m[3] : 0, micro: m[4] ? +m[4].padEnd(6, '0') : 0 };
}

function parseDatePart(text: string): [number, number, number] | undefined {
  const s = text.trim();
  let m = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  if (m) return [+m[1], +m[2], +m[3]];
  // yyyy{sep}MM{sep}dd (ISO order), then the en-US [M]M{sep}dd{sep}[yy]yy; separators must match [D].
  m = /^(\d{4})([/.-])(\d{1,2})\2(\d{1,2})$/.exec(s);
  if (m) return [+m[1], +m[3], +m[4]];
  m = /^(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})$/.exec(s);
  if (m) return [fullYear(m[4]), +m[1], +m[3]];
  // Month-name forms: Mon[th] dd[,] [yy]yy, dd Mon[th][,] [yy]yy, yyyy Mon[th] dd, Mon[th][,] yyyy, …
  const parts = s.split(/[\s,]+|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])/).filter(Boolean);
  const mi = parts.findIndex((p) => /^[A-Za-z]+$/.test(p));
  if (mi < 0 || parts.some((p, i) => i !== mi && !/^\d+$/.test(p)) || parts.length < 2 || parts.length > 3) return undefined;
  const month = monthOf(parts[mi]);
  if (!month) return undefined;
  const nums = parts.filter((_, i) => i !== mi);
  if (nums.length === 1) return nums[0].length === 4 ? [+nums[0], month, 1] : undefined;
  let [a, b] = nums;
  // The four-digit number is the year; otherwise the first number is the day (§ WQL date formats).
  if (a.length === 4 || (b.length !== 4 && +a > 31)) [a, b] = [b, a];
  return [fullYear(b), month, +a];
}

/** A WQL date/time constant: DMTF or one of the WQL-supported date formats, read as UTC [I: no locale or zone]. */
export function parseWqlDateTime(text: string): bigint | undefined {
  const dmtf = parseDmtf(text);
  if (dmtf !== undefined) return dmtf;
  const s = text.trim();
  const iso = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?Z?$/i.exec(s);
  if (iso) return utcMicros(+iso[1], +iso[2], +iso[3], +iso[4], +iso[5], iso[6] ? +iso[6] : 0, iso[7] ? +iso[7].padEnd(6, '0') : 0);
  const withTime = /^(.*?)[\sT]+(\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:\s*[AP]M)?)$/i.exec(s);
  const datePart = withTime ? withTime[1] : s;
  const time = withTime ? parseTime(withTime[2]) : { h: 0, mi: 0, s: 0, micro: 0 };
  if (!time) return undefined;
  const d = parseDatePart(datePart);
  if (!d) return undefined;
  return utcMicros(d[0], d[1], d[2], time.h, time.mi, time.s, time.micro);
}

/** Inventory timestamps: ISO 8601 (`modifiedUtc`) or DMTF. */
export function parseTimestamp(text: string): bigint | undefined {
  const dmtf = parseDmtf(text);
  if (dmtf !== undefined) return dmtf;
  // ISO 8601 only: Date.parse alone would read almost anything ("1" is a year).
  if (!/^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i.test(text.trim())) return undefined;
  const t = text.trim();
  // Without a zone JavaScript reads a date-time as local time; inventory times are UTC (§5).
  const ms = Date.parse(/[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/i.test(t) ? `${t.replace(' ', 'T')}Z` : t);
  return Number.isNaN(ms) ? undefined : BigInt(ms) * 1000n;
}

// ---------------------------------------------------------------- stored values

/** A stored scalar as the property's type; undefined when it cannot be one (treated as NULL). */
export function fromStored(value: string | number | boolean, type: CimScalar): Typed | undefined {
  switch (familyOf(type)) {
    case 'string':
      return { t: 'string', v: typeof value === 'boolean' ? (value ? 'TRUE' : 'FALSE') : String(value) };
    case 'int':
      if (typeof value === 'number') return Number.isInteger(value) ? { t: 'int', v: BigInt(value) } : undefined;
      if (typeof value === 'string' && INT_TEXT.test(value.trim())) return { t: 'int', v: BigInt(value.trim()) };
      return undefined;
    case 'real':
      if (typeof value === 'number') return { t: 'real', v: value };
      if (typeof value === 'string' && NUMBER_TEXT.test(value.trim())) return { t: 'real', v: Number(value) };
      return undefined;
    case 'bool':
      if (typeof value === 'boolean') return { t: 'bool', v: value };
      if (typeof value === 'number') return { t: 'bool', v: value !== 0 };
      if (/^\s*(true|false)\s*$/i.test(value)) return { t: 'bool', v: value.trim().toLowerCase() === 'true' };
      return undefined;
    case 'datetime': {
      if (typeof value !== 'string') return undefined;
      const v = parseTimestamp(value);
      return v === undefined ? undefined : { t: 'datetime', v, raw: value };
    }
  }
}

/** The CIM type of a value in an inventory without a schema [I]: integers ⇒ sint64, other numbers ⇒ real64. */
export function inferType(value: CimValue): { type: CimScalar; array?: boolean } {
  if (Array.isArray(value)) return { ...inferType(value.find((x) => x !== null) ?? ''), array: true };
  if (typeof value === 'boolean') return { type: 'boolean' };
  if (typeof value === 'number') return { type: Number.isInteger(value) ? 'sint64' : 'real64' };
  return { type: 'string' };
}

// ---------------------------------------------------------------- constants

/** A query constant brought into the property's type, or the reason it cannot be (§2.3 ⇒ WBEM_E_INVALID_QUERY). */
export function constantFor(c: WqlConstant, type: CimScalar, op: WqlCompareOp | 'LIKE'): Typed | { error: string; hint?: string } {
  const fam = familyOf(type);
  if (c.kind === 'null') return { error: 'NULL can only be tested with IS NULL' };
  if (fam === 'bool') {
    if (op !== '=' && op !== '<>' && op !== '!=')
      return { error: `a boolean property can only be compared with =, <> or != (not ${op})`, hint: 'write "= TRUE" or "= FALSE"' };
    if (c.kind === 'boolean') return { t: 'bool', v: c.value };
    if (c.kind === 'number') return { t: 'bool', v: c.value !== 0 };
    const n = numberFromText(c.value);
    if (n) return { t: 'bool', v: n.t === 'int' ? n.v !== 0n : n.v !== 0 };
    if (/^\s*(true|false)\s*$/i.test(c.value)) return { t: 'bool', v: c.value.trim().toLowerCase() === 'true' };
    return { error: `'${c.value}' is not a boolean`, hint: 'use TRUE or FALSE' };
  }
  if (fam === 'string') {
    if (c.kind === 'string') return { t: 'string', v: c.value };
    if (c.kind === 'boolean') return { t: 'string', v: c.value ? 'TRUE' : 'FALSE' };
    const n = numberFromText(c.text);
    return { t: 'string', v: n ? typedText(n) : c.text };
  }
  if (fam === 'int' || fam === 'real') {
    if (c.kind === 'boolean') return { error: `a ${type} property cannot be compared with ${c.value ? 'TRUE' : 'FALSE'}`, hint: 'compare with 1 or 0' };
    const n = numberFromText(c.kind === 'number' ? c.text : c.value);
    if (!n)
      return {
        error: `'${c.kind === 'string' ? c.value : c.text}' is not a number (the property is ${type})`,
        hint: 'compare a numeric property with a number',
      };
    if (fam === 'real') return { t: 'real', v: n.t === 'int' ? Number(n.v) : n.v };
    return n;
  }
  // datetime
  if (c.kind !== 'string')
    return {
      error: `a datetime property needs a date string, not ${c.kind === 'number' ? c.text : String(c.value).toUpperCase()}`,
      hint: "write a DMTF datetime such as '20240131120000.000000+000'",
    };
  const v = parseWqlDateTime(c.value);
  if (v === undefined)
    return { error: `'${c.value}' is not a date/time WQL understands`, hint: "write a DMTF datetime such as '20240131120000.000000+000' or '2024-01-31'" };
  return { t: 'datetime', v, raw: c.value };
}

// ---------------------------------------------------------------- comparison

const fold = (s: string): string => s.toUpperCase();

function cmp<T extends bigint | number | string>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** bigint vs double, exactly. */
function cmpIntReal(a: bigint, b: number): number {
  if (Number.isNaN(b)) return NaN;
  if (b === Infinity) return -1;
  if (b === -Infinity) return 1;
  const fl = Math.floor(b);
  const c = cmp(a, BigInt(fl));
  if (c !== 0) return c;
  return b === fl ? 0 : -1;
}

/** Ordering of a property value and a constant of the same family (see constantFor); NaN when incomparable. */
export function compareTyped(a: Typed, b: Typed): number {
  if (a.t === 'string' && b.t === 'string') return cmp(fold(a.v), fold(b.v));
  if (a.t === 'int' && b.t === 'int') return cmp(a.v, b.v);
  if (a.t === 'int' && b.t === 'real') return cmpIntReal(a.v, b.v);
  if (a.t === 'real' && b.t === 'int') return -cmpIntReal(b.v, a.v);
  if (a.t === 'real' && b.t === 'real') return Number.isNaN(a.v) || Number.isNaN(b.v) ? NaN : cmp(a.v, b.v);
  if (a.t === 'bool' && b.t === 'bool') return a.v === b.v ? 0 : NaN;
  if (a.t === 'datetime' && b.t === 'datetime') return cmp(a.v, b.v);
  return NaN;
}

export function applyOp(op: WqlCompareOp, c: number): boolean {
  if (Number.isNaN(c)) return op === '<>' || op === '!=';
  switch (op) {
    case '=':
      return c === 0;
    case '<>':
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '>':
      return c > 0;
    case '<=':
      return c <= 0;
    case '>=':
      return c >= 0;
  }
}
