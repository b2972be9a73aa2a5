/**
 * Exact decimal numbers: what a WQL number constant denotes, whatever its size. The collection
 * query grammar bounds a number's digits while parsing (WqlLimits.maxNumberDigits) and the site's
 * SQL and JS compilers compare with these, exactly as PostgreSQL's numeric does (2^63, 1e300 and
 * 0.1000000000000000000001 are what they say). The engine's own evaluator reads numbers as CIM
 * values instead (values.ts: integers as bigint, reals as doubles, as WMI does).
 */

/** A decimal number, exactly: sign, integer digits without leading zeros, fraction digits without trailing zeros. */
export interface Decimal {
  sign: -1 | 0 | 1;
  int: string;
  frac: string;
  /** The value as a double when that is exact (an integer of at most 15 digits), for a fast comparison. */
  exact?: number;
}

/** Parses `  -0012.500 `, `1e+21` or `5e-7` (what PostgreSQL's numeric input reads); undefined if none of these. */
export function parseDecimal(text: string): Decimal | undefined {
  // Trimmed first: a leading and a trailing \s* around an empty middle would backtrack quadratically.
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m || (!m[2] && !m[3])) return undefined;
  const digits = m[2] + (m[3] ?? '');
  const point = m[2].length + Number(m[4] ?? 0);
  if (!Number.isSafeInteger(point) || Math.abs(point) > 100_000) return undefined;
  let int: string;
  let frac: string;
  if (point <= 0) {
    int = '';
    frac = '0'.repeat(-point) + digits;
  } else if (point >= digits.length) {
    int = digits + '0'.repeat(point - digits.length);
    frac = '';
  } else {
    int = digits.slice(0, point);
    frac = digits.slice(point);
  }
  int = int.replace(/^0+/, '');
  frac = frac.replace(/0+$/, '');
  const sign = !int && !frac ? 0 : m[1] === '-' ? -1 : 1;
  const d: Decimal = { sign, int, frac };
  if (!frac && int.length <= 15) d.exact = sign * Number(int || '0');
  return d;
}

export function compareDecimal(a: Decimal, b: Decimal): number {
  if (a.exact !== undefined && b.exact !== undefined) return a.exact < b.exact ? -1 : a.exact > b.exact ? 1 : 0;
  if (a.sign !== b.sign) return a.sign < b.sign ? -1 : 1;
  let m = 0;
  if (a.int.length !== b.int.length) m = a.int.length < b.int.length ? -1 : 1;
  else if (a.int !== b.int) m = a.int < b.int ? -1 : 1;
  else if (a.frac !== b.frac) m = a.frac < b.frac ? -1 : 1;
  return a.sign < 0 ? -m : m;
}

/** Significant digits of a decimal (what WqlLimits.maxNumberDigits counts). */
export const digitCount = (d: Decimal): number => d.int.length + d.frac.length;

/** A decimal as PostgreSQL's numeric input reads it, exactly: `-12.5`, `0`, `1000000000000000000000`. */
export const decimalText = (d: Decimal): string => `${d.sign < 0 ? '-' : ''}${d.int || '0'}${d.frac ? `.${d.frac}` : ''}`;
