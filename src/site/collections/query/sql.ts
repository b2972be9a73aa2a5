/**
 * A parsed query rule compiled to a parameterised SQL condition over `devices d`, so one statement
 * evaluates a rule for every device (100,000 of them in well under a second on PostgreSQL) instead
 * of a JS loop per device. The same SQL runs on PostgreSQL and PGlite: a query the grammar accepts
 * compiles to SQL both run without error (test/site/collections/query-predicate.test.ts).
 *
 * String comparisons are case-insensitive, as in WQL. The unknown-computer objects are not
 * SMS_R_System instances (ConfigMgr keeps them as SMS_R_UnknownSystem), so no query rule ever
 * matches them.
 */
import type { WqlConstant, WqlExpr } from '../../../engine/conditions/wql/ast.js';
import { decimalText } from '../../../engine/conditions/wql/decimal.js';
import { parseLikePattern, type LikeToken } from '../../../engine/conditions/wql/like.js';
import { column, type Column } from './attributes.js';
import { comparisonOp, constBoolean, constDecimal, constError, constMac, constNumber, constText, NUMERIC_TEXT_SQL, type CmpOp } from './constants.js';
import type { CollectionQuery } from './grammar.js';

/**
 * The SQL condition (over `devices d`) of a parsed query; values go into `params` (numbered from
 * params.length + 1). Throws WqlError for a constant of the wrong type for its attribute.
 */
export function compileCollectionQuery(q: CollectionQuery, params: unknown[]): string {
  const where = q.where ? compileExpr(q.where, params, q.text) : 'true';
  return `(d.unknown_computer IS NULL AND ${where})`;
}

function compileExpr(e: WqlExpr, params: unknown[], text: string): string {
  const p = (v: unknown, cast: string): string => `$${params.push(v)}::${cast}`;
  switch (e.kind) {
    case 'or':
    case 'and':
      return `(${e.operands.map((o) => compileExpr(o, params, text)).join(e.kind === 'or' ? ' OR ' : ' AND ')})`;
    case 'not':
      return `(NOT ${compileExpr(e.operand, params, text)})`;
    default:
      break;
  }
  const attr = e.property;
  const col = column(attr.name);
  const asNumber = (c: WqlConstant): string => decimalText(constNumber(c, attr, text));
  const asBoolean = (c: WqlConstant): boolean => constBoolean(c, attr, text);
  /** A text expression of the attribute, for LIKE and string comparisons. */
  const textOf = (c: Column, macVar = 'm.mac'): string => (c.kind === 'mac' ? macVar : c.kind === 'number' || c.kind === 'boolean' ? `${c.sql}::text` : c.sql);
  const macAny = (cond: string): string => `EXISTS (SELECT 1 FROM jsonb_array_elements_text(d.mac_addresses) AS m(mac) WHERE ${cond})`;
  const likeSql = (target: string, pattern: string): string => {
    const tokens = parseLikePattern(pattern);
    if (!tokens.some((t) => t.kind === 'set')) {
      // LIKE's own wildcards; only the escape character needs escaping.
      return `${target} ILIKE ${p(pattern.replace(/\\/g, '\\\\'), 'text')}`;
    }
    return `${target} ~* ${p(posixRegex(tokens), 'text')}`;
  };

  switch (e.kind) {
    case 'isNull': {
      const sql = col.kind === 'mac' ? `jsonb_array_length(d.mac_addresses) = 0` : `${col.sql} IS NULL`;
      return e.negated ? `(NOT ${sql})` : sql;
    }
    case 'like': {
      const sql = col.kind === 'mac' ? macAny(likeSql('m.mac', e.pattern.value)) : `COALESCE(${likeSql(textOf(col), e.pattern.value)}, false)`;
      return e.negated ? `(NOT ${sql})` : sql;
    }
    case 'in': {
      let sql: string;
      if (col.kind === 'number') sql = `${col.sql} = ANY(${p(e.values.map(asNumber), 'numeric[]')})`;
      else if (col.kind === 'boolean') sql = `${col.sql} = ANY(${p(e.values.map(asBoolean), 'boolean[]')})`;
      else if (col.kind === 'mac') {
        const macs = e.values.map(constMac);
        sql = `d.resource_id IN (SELECT resource_id FROM device_macs WHERE mac = ANY(${p(macs, 'text[]')}))`;
      } else
        sql = `lower(${col.sql}) = ANY(${p(
          e.values.map((v) => constText(v).toLowerCase()),
          'text[]',
        )})`;
      sql = `COALESCE(${sql}, false)`;
      return e.negated ? `(NOT ${sql})` : sql;
    }
    case 'compare': {
      const op = comparisonOp(e);
      const v = e.value;
      if (col.kind === 'number') return `${col.sql} ${op} ${p(asNumber(v), 'numeric')}`;
      if (col.kind === 'boolean') {
        if (op !== '=' && op !== '<>') throw constError(attr, text, `${attr.name} is true/false: compare it with = or <>`);
        return `${col.sql} ${op} ${p(asBoolean(v), 'boolean')}`;
      }
      if (col.kind === 'mac') {
        const mac = constMac(v);
        // Equality uses the device_macs index; the other operators look at each address.
        if (op === '=') return `d.resource_id IN (SELECT resource_id FROM device_macs WHERE mac = ${p(mac, 'text')})`;
        return macAny(`m.mac ${op} ${p(mac, 'text')}${ordering(op)}`);
      }
      if (col.kind === 'property' && v.kind === 'number') {
        // Inventory values may be JSON numbers or numeric strings; anything else is no match.
        return `(CASE WHEN ${col.sql} ~ ${NUMERIC_TEXT_SQL} THEN (${col.sql})::numeric END) ${op} ${p(decimalText(constDecimal(v, attr, text)), 'numeric')}`;
      }
      return `lower(${col.sql}) ${op} ${p(constText(v).toLowerCase(), 'text')}${ordering(op)}`;
    }
  }
}

/** Orderings compare code points, the same on every server whatever its locale; equality keeps the index. */
const ordering = (op: CmpOp): string => (op === '=' || op === '<>' ? '' : ' COLLATE "C"');

/**
 * A WQL LIKE pattern as an anchored PostgreSQL regular expression (advanced syntax, for `~*`),
 * built from the same tokens as the JavaScript matcher (parseLikePattern): throws
 * LikePatternError for what the parser refuses, and everything it accepts compiles.
 */
export function likeToPosixRegex(pattern: string): string {
  return posixRegex(parseLikePattern(pattern));
}

/**
 * ASCII punctuation is escaped with a backslash inside and outside brackets: in PostgreSQL's
 * advanced regular expressions `\` before a non-alphanumeric character is always that character,
 * so `]`, `-`, `^`, `[` (`[:`, `[.`, `[=`) and `\` never mean anything in a set. Letters, digits,
 * spaces and characters outside ASCII are never special and go as they are.
 */
const posixChar = (c: string): string => (/[!-/:-@[-`{-~]/.test(c) ? `\\${c}` : c);

function posixRegex(tokens: readonly LikeToken[]): string {
  let out = '^';
  for (const t of tokens) {
    if (t.kind === 'any') out += '.*';
    else if (t.kind === 'one') out += '.';
    else if (t.kind === 'char') out += posixChar(t.char);
    else out += `[${t.negated ? '^' : ''}${t.items.map((m) => (typeof m === 'string' ? posixChar(m) : `${posixChar(m[0])}-${posixChar(m[1])}`)).join('')}]`;
  }
  return `${out}$`;
}
