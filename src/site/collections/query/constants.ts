/**
 * What a query constant means against each kind of attribute (attributes.ts), and the comparison
 * operator as the compilers read it: the SQL (sql.ts) and the JS predicate (predicate.ts) coerce
 * through these same functions, so they accept the same constants and refuse the rest with the same
 * WqlError naming the attribute's column. Numbers stay exact decimals (the engine's decimal.ts).
 */
import { normalisedOp, type WqlCompare, type WqlConstant, type WqlPropertyRef } from '../../../engine/conditions/wql/ast.js';
import { decimalText, digitCount, parseDecimal, type Decimal } from '../../../engine/conditions/wql/decimal.js';
import { WqlError } from '../../../engine/conditions/wql/errors.js';
import { normaliseMac } from '../../devices/identity.js';
import { MAX_NUMBER_DIGITS } from '../limits.js';

/** A comparison with the attribute on the left, `!=` read as `<>`. */
export type CmpOp = '=' | '<>' | '<' | '>' | '<=' | '>=';

export function comparisonOp(e: WqlCompare): CmpOp {
  const op = normalisedOp(e);
  return op === '!=' ? '<>' : op;
}

/**
 * Text an inventory value must be to compare as a number (JSON numbers print this way too), as a
 * JS regex and as the PostgreSQL regex literal the SQL tests: the same rule in both languages.
 */
export const NUMERIC_TEXT_RE = /^\s*-?[0-9]+(\.[0-9]+)?\s*$/;
export const NUMERIC_TEXT_SQL = `'^\\s*-?[0-9]+(\\.[0-9]+)?\\s*$'`;

/** A constant as the text SQL compares: a string's value, a number as written, true/false. */
export function constText(c: WqlConstant): string {
  if (c.kind === 'string') return c.value;
  if (c.kind === 'number') return c.text;
  if (c.kind === 'boolean') return String(c.value);
  // The grammar refuses NULL anywhere but IS [NOT] NULL.
  throw new Error('NULL is not a comparable constant');
}

export function constError(attr: WqlPropertyRef, text: string, message: string): WqlError {
  return new WqlError({ codeName: 'WBEM_E_INVALID_QUERY', message, query: text, column: attr.start + 1, length: attr.end - attr.start });
}

/** A number constant's exact value (the grammar bounded its digits while parsing). */
export function constDecimal(c: WqlConstant & { kind: 'number' }, attr: WqlPropertyRef, text: string): Decimal {
  const d = parseDecimal(c.text);
  if (!d || digitCount(d) > MAX_NUMBER_DIGITS) throw constError(attr, text, `${attr.name} is compared with a number of more than ${MAX_NUMBER_DIGITS} digits`);
  return d;
}

/** A constant compared with a number attribute (ResourceId): a number or a numeric string, exactly. */
export function constNumber(c: WqlConstant, attr: WqlPropertyRef, text: string): Decimal {
  if (c.kind === 'number') return constDecimal(c, attr, text);
  if (c.kind === 'string' && NUMERIC_TEXT_RE.test(c.value)) {
    const d = parseDecimal(c.value);
    if (d && digitCount(d) <= MAX_NUMBER_DIGITS) return d;
    throw constError(attr, text, `${attr.name} is compared with a number of more than ${MAX_NUMBER_DIGITS} digits`);
  }
  throw constError(attr, text, `${attr.name} is a number; ${JSON.stringify(shorten(constText(c)))} is not`);
}

const shorten = (s: string): string => (s.length > 60 ? `${s.slice(0, 60)}…` : s);

/** A constant compared with a true/false attribute: TRUE/FALSE, 1/0 or their strings. */
export function constBoolean(c: WqlConstant, attr: WqlPropertyRef, text: string): boolean {
  if (c.kind === 'boolean') return c.value;
  if (c.kind === 'number') {
    const d = constDecimal(c, attr, text);
    if (d.sign === 0 || decimalText(d) === '1') return d.sign !== 0;
  }
  if (c.kind === 'string' && /^(true|false|0|1)$/i.test(c.value)) return /^(true|1)$/i.test(c.value);
  throw constError(attr, text, `${attr.name} is true/false (or 1/0); ${JSON.stringify(shorten(constText(c)))} is not`);
}

/** A MAC constant as stored (colon format, upper case) when it is one; else upper-cased as written. */
export const constMac = (c: WqlConstant): string => normaliseMac(constText(c)) ?? constText(c).toUpperCase();
