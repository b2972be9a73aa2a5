/**
 * A parsed query rule as a JS predicate over one device's facts (facts.ts), so a full evaluation
 * reads the devices once and tests every query rule on each (membership.ts) instead of scanning
 * the table once per rule. Built from the same AST, attribute catalog (attributes.ts) and constant
 * coercions (constants.ts) as the SQL (sql.ts), and exact where it is offered: SQL's three-valued
 * logic (a comparison with a missing value is unknown, NOT unknown is unknown, LIKE and IN are
 * COALESCEd to false, only true selects), numbers compared as the decimals PostgreSQL compares.
 * What only the database can answer exactly is left to it: compileCollectionPredicate returns
 * undefined for a query with text outside ASCII (lower(), ILIKE and ~* follow the database's locale
 * there), and deviceFacts does for such a device. LIKE patterns are read once (parseLikePattern)
 * and both regexes built from those tokens. test/site/collections/query-predicate.test.ts checks
 * all of it against the SQL on both databases.
 */
import type { WqlExpr } from '../../../engine/conditions/wql/ast.js';
import { compareDecimal, parseDecimal, type Decimal } from '../../../engine/conditions/wql/decimal.js';
import { compileLike } from '../../../engine/conditions/wql/like.js';
import { column, type Column } from './attributes.js';
import { comparisonOp, constBoolean, constDecimal, constError, constMac, constNumber, constText, NUMERIC_TEXT_RE, type CmpOp } from './constants.js';
import { ASCII, textValue, type DeviceFacts, type FactsLayout, type TextValue } from './facts.js';
import type { CollectionQuery } from './grammar.js';

const numericOf = (v: TextValue): Decimal | null => {
  if (v.numeric === undefined) v.numeric = NUMERIC_TEXT_RE.test(v.text) ? (parseDecimal(v.text) ?? null) : null;
  return v.numeric;
};

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const holds = (c: number, op: CmpOp): boolean =>
  op === '=' ? c === 0 : op === '<>' ? c !== 0 : op === '<' ? c < 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : c >= 0;

type Tri = boolean | null;
type Pred = (d: DeviceFacts) => Tri;

class NotExact extends Error {}

/**
 * The query as a predicate over one device's facts (true when the SQL condition is true), or
 * undefined when the JS could not be exact for it and the SQL must evaluate it. Throws WqlError as
 * compileCollectionQuery does.
 */
export function compileCollectionPredicate(q: CollectionQuery, layout: FactsLayout): ((d: DeviceFacts) => boolean) | undefined {
  try {
    const where = q.where ? predicate(q.where, q.text, layout) : (): Tri => true;
    return (d) => !d.unknownComputer && where(d) === true;
  } catch (e) {
    if (e instanceof NotExact) return undefined;
    throw e;
  }
}

function predicate(e: WqlExpr, text: string, layout: FactsLayout): Pred {
  switch (e.kind) {
    case 'and': {
      const ops = e.operands.map((o) => predicate(o, text, layout));
      return (d) => {
        let r: Tri = true;
        for (const op of ops) {
          const v = op(d);
          if (v === false) return false;
          if (v === null) r = null;
        }
        return r;
      };
    }
    case 'or': {
      const ops = e.operands.map((o) => predicate(o, text, layout));
      return (d) => {
        let r: Tri = false;
        for (const op of ops) {
          const v = op(d);
          if (v === true) return true;
          if (v === null) r = null;
        }
        return r;
      };
    }
    case 'not': {
      const op = predicate(e.operand, text, layout);
      return (d) => {
        const v = op(d);
        return v === null ? null : !v;
      };
    }
    default:
      break;
  }
  const attr = e.property;
  const col = column(attr.name);
  const ascii = (s: string): string => {
    if (!ASCII.test(s)) throw new NotExact();
    return s;
  };
  const negate = (p: (d: DeviceFacts) => boolean, negated: boolean): Pred => (negated ? (d) => !p(d) : p);
  /** The attribute's text (what textOf gives the SQL), for LIKE and string comparisons. */
  const textOf = (c: Column): ((d: DeviceFacts) => TextValue | null) => {
    switch (c.kind) {
      case 'number':
        return (d) => d.resourceIdText;
      case 'boolean': {
        const get = boolOf(c);
        const t = textValue('true');
        const f = textValue('false');
        return (d) => (get(d) ? t : f);
      }
      case 'text': {
        const field = c.field;
        return (d) => d[field];
      }
      case 'property': {
        const slot = layout.slot(c);
        return (d) => d.slots[slot] ?? null;
      }
      case 'mac':
        throw new Error('MACAddresses has no single text');
    }
  };

  switch (e.kind) {
    case 'isNull': {
      let p: (d: DeviceFacts) => boolean;
      if (col.kind === 'mac') p = (d) => d.macAddresses.length === 0;
      else if (col.kind === 'number' || col.kind === 'boolean') p = () => false;
      else {
        const get = textOf(col);
        p = (d) => get(d) === null;
      }
      return negate(p, e.negated);
    }
    case 'like': {
      // Built from the same tokens as the SQL's regex; exact on ASCII (JS and PostgreSQL fold case alike there).
      const re = compileLike(ascii(e.pattern.value));
      let p: (d: DeviceFacts) => boolean;
      if (col.kind === 'mac') p = (d) => d.macAddresses.some((m) => re.test(m));
      else {
        const get = textOf(col);
        p = (d) => {
          const v = get(d);
          return v !== null && re.test(v.text);
        };
      }
      return negate(p, e.negated);
    }
    case 'in': {
      let p: (d: DeviceFacts) => boolean;
      if (col.kind === 'number') {
        const values = e.values.map((v) => constNumber(v, attr, text));
        p = (d) => {
          const rid = numericOf(d.resourceIdText)!;
          return values.some((v) => compareDecimal(rid, v) === 0);
        };
      } else if (col.kind === 'boolean') {
        const values = e.values.map((v) => constBoolean(v, attr, text));
        const get = boolOf(col);
        p = (d) => values.includes(get(d));
      } else if (col.kind === 'mac') {
        const macs = new Set(e.values.map((v) => ascii(constMac(v))));
        p = (d) => d.macRows.some((m) => macs.has(m));
      } else {
        const values = new Set(e.values.map((v) => ascii(constText(v)).toLowerCase()));
        const get = textOf(col);
        p = (d) => {
          const v = get(d);
          return v !== null && values.has(v.lower);
        };
      }
      return negate(p, e.negated);
    }
    case 'compare': {
      const op = comparisonOp(e);
      const v = e.value;
      if (col.kind === 'number') {
        const n = constNumber(v, attr, text);
        return (d) => holds(compareDecimal(numericOf(d.resourceIdText)!, n), op);
      }
      if (col.kind === 'boolean') {
        if (op !== '=' && op !== '<>') throw constError(attr, text, `${attr.name} is true/false: compare it with = or <>`);
        const b = constBoolean(v, attr, text);
        const get = boolOf(col);
        return (d) => (get(d) === b) === (op === '=');
      }
      if (col.kind === 'mac') {
        const mac = ascii(constMac(v));
        if (op === '=') return (d) => d.macRows.includes(mac);
        return (d) => d.macAddresses.some((m) => holds(compareText(m, mac), op));
      }
      const get = textOf(col);
      if (col.kind === 'property' && v.kind === 'number') {
        const n = constDecimal(v, attr, text);
        return (d) => {
          const x = get(d);
          const dec = x === null ? null : numericOf(x);
          return dec === null ? null : holds(compareDecimal(dec, n), op);
        };
      }
      const c = ascii(constText(v)).toLowerCase();
      return (d) => {
        const x = get(d);
        return x === null ? null : holds(compareText(x.lower, c), op);
      };
    }
  }
}

function boolOf(c: Column & { kind: 'boolean' }): (d: DeviceFacts) => boolean {
  const field = c.field;
  return (d) => d[field];
}
