/**
 * Collection query rules (osd-features §3.1): `select … from SMS_R_System [where …]`, compiled to a
 * parameterised SQL condition over the devices table, so one statement evaluates a rule for every
 * device (100,000 of them in well under a second on PostgreSQL) instead of a JS loop per device.
 *
 * The engine's WQL parser (src/engine/conditions/wql) is for task sequence conditions: it has no
 * IN (…) and refuses class-qualified names, which every console-written collection query uses
 * (`SMS_R_System.Name`), so this is a focused parser over the same lexer.
 *
 * Supported: =, <>, !=, <, >, <=, >=, [NOT] LIKE (%, _, [set]), [NOT] IN (…), IS [NOT] NULL, AND,
 * OR, NOT and parentheses, over ResourceId, Name, NetbiosName, MACAddresses (multi-valued: true when
 * any address matches), SMBIOSGUID, Client, IsSiteSystem, IsServer [I], and any inventory property of
 * the device by name (case-insensitive). String comparisons are case-insensitive, as in WQL.
 * The unknown-computer objects are not SMS_R_System instances (ConfigMgr keeps them as
 * SMS_R_UnknownSystem), so no query rule ever matches them.
 *
 * Every limit (length, nesting, comparisons, IN values, LIKE patterns, digits) is in limits.ts and
 * checked while parsing, before any work that grows with it; a query the parser accepts compiles
 * to SQL both PostgreSQL and PGlite run without error (test/site/collections/query-predicate.test.ts).
 */
import { tokenize, type Token } from '../../engine/conditions/wql/lexer.js';
import { WqlError } from '../../engine/conditions/wql/errors.js';
import { compileLike, LikePatternError, parseLikePattern, type LikeToken } from '../../engine/conditions/wql/like.js';
import { badInput, conflict, type SiteError } from '../errors.js';
import { textProblem } from '../text-rules.js';
import { normaliseMac } from '../devices/identity.js';
import { canonicalPropertyKey } from '../devices/properties.js';
import { MAX_IN_VALUES, MAX_LIKE_PATTERN_LENGTH, MAX_LIKE_SETS, MAX_NUMBER_DIGITS, MAX_QUERY_CONDITIONS, MAX_QUERY_DEPTH, MAX_QUERY_LENGTH } from './limits.js';

export const QUERY_CLASS = 'SMS_R_System';

/** A number keeps its exact decimal value: the SQL and the JS compare it exactly, whatever its size. */
type Const = { kind: 'string'; value: string } | { kind: 'number'; decimal: Decimal; text: string } | { kind: 'boolean'; value: boolean };
interface Attr {
  name: string;
  start: number;
}
type CmpOp = '=' | '<>' | '<' | '>' | '<=' | '>=';
export type QueryExpr =
  | { kind: 'or' | 'and'; operands: QueryExpr[] }
  | { kind: 'not'; operand: QueryExpr }
  | { kind: 'cmp'; attr: Attr; op: CmpOp; value: Const }
  | { kind: 'like'; attr: Attr; pattern: string; negated: boolean }
  | { kind: 'in'; attr: Attr; values: Const[]; negated: boolean }
  | { kind: 'null'; attr: Attr; negated: boolean };

export interface CollectionQuery {
  text: string;
  where?: QueryExpr;
}

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'LIKE', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE', 'SELECT', 'FROM', 'WHERE']);
const UNSUPPORTED = new Set(['JOIN', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'ORDER', 'GROUP', 'HAVING', 'UNION', 'WITHIN', 'ASSOCIATORS', 'REFERENCES']);

/**
 * Parses a query rule; throws WqlError with the 1-based column and what was expected. Refuses,
 * before tokenising, a query longer than MAX_QUERY_LENGTH or holding a NUL or a lone surrogate
 * (the database could not take it as a parameter), and while parsing whatever breaks a limit.
 */
export function parseCollectionQuery(text: string): CollectionQuery {
  if (text.length > MAX_QUERY_LENGTH) {
    throw new WqlError({
      codeName: 'WBEM_E_INVALID_QUERY',
      message: `the query is ${text.length} characters; a collection query has at most ${MAX_QUERY_LENGTH}`,
      query: text.slice(0, 100),
      column: MAX_QUERY_LENGTH + 1,
      hint: 'split it into several query rules, or use IN (…) instead of many ORs',
    });
  }
  const bad = textProblem(text);
  if (bad) throw new WqlError({ codeName: 'WBEM_E_INVALID_QUERY', message: `the query ${bad.rule}`, query: text, column: bad.index + 1, hint: bad.hint });
  return new Parser(text).query();
}

/** Significant digits of a decimal (what MAX_NUMBER_DIGITS counts). */
const digitCount = (d: Decimal): number => d.int.length + d.frac.length;

/** A decimal as PostgreSQL's numeric input reads it, exactly: `-12.5`, `0`, `1000000000000000000000`. */
export const decimalText = (d: Decimal): string => `${d.sign < 0 ? '-' : ''}${d.int || '0'}${d.frac ? `.${d.frac}` : ''}`;

class Parser {
  private readonly toks: Token[];
  private pos = 0;
  private depth = 0;
  private conditions = 0;
  private likeSets = 0;
  constructor(private readonly text: string) {
    this.toks = tokenize(text);
  }
  private peek(o = 0): Token {
    return this.toks[Math.min(this.pos + o, this.toks.length - 1)];
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.pos++;
    return t;
  }
  private is(t: Token, kw: string): boolean {
    return t.kind === 'ident' && t.text.toUpperCase() === kw;
  }
  private err(message: string, t: Token, expected?: string, hint?: string): WqlError {
    return new WqlError({ codeName: 'WBEM_E_INVALID_QUERY', message, query: this.text, column: t.start + 1, length: Math.max(1, t.end - t.start), expected, hint });
  }
  private describe(t: Token): string {
    if (t.kind === 'eof') return 'the end of the query';
    if (t.kind === 'string') return `the string ${JSON.stringify(t.text)}`;
    return `"${this.text.slice(t.start, t.end)}"`;
  }
  private keyword(kw: string): void {
    const t = this.peek();
    if (!this.is(t, kw)) throw this.err(`expected ${kw} but found ${this.describe(t)}`, t, kw);
    this.next();
  }
  private unsupported(t: Token): WqlError {
    return this.err(`${t.text.toUpperCase()} is not supported in a collection query`, t, undefined, `query ${QUERY_CLASS} alone: inventory classes are read through the device's properties (e.g. SMS_R_System.Model)`);
  }

  query(): CollectionQuery {
    this.keyword('SELECT');
    this.selectList();
    this.keyword('FROM');
    const cls = this.peek();
    if (cls.kind !== 'ident' || KEYWORDS.has(cls.text.toUpperCase())) throw this.err(`expected a class name but found ${this.describe(cls)}`, cls, QUERY_CLASS);
    if (cls.text.toLowerCase() !== QUERY_CLASS.toLowerCase()) {
      throw this.err(`collection queries read ${QUERY_CLASS}, not ${cls.text}`, cls, QUERY_CLASS, `write "select * from ${QUERY_CLASS} where …"`);
    }
    this.next();
    let where: QueryExpr | undefined;
    const t = this.peek();
    if (t.kind === 'ident' && UNSUPPORTED.has(t.text.toUpperCase())) throw this.unsupported(t);
    if (this.is(t, 'WHERE')) {
      this.next();
      where = this.or();
    }
    const end = this.peek();
    if (end.kind === 'ident' && UNSUPPORTED.has(end.text.toUpperCase())) throw this.unsupported(end);
    if (end.kind !== 'eof') throw this.err(`unexpected ${this.describe(end)}`, end, where ? 'AND, OR or the end of the query' : 'WHERE or the end of the query');
    return { text: this.text, where };
  }

  private selectList(): void {
    if (this.peek().kind === 'star') {
      this.next();
      return;
    }
    for (;;) {
      this.attr(true);
      if (this.peek().kind !== 'comma') return;
      this.next();
    }
  }

  /** `Name` or `SMS_R_System.Name` (or `SMS_R_System.*` in the select list). */
  private attr(inSelect = false): Attr {
    const t = this.peek();
    if (t.kind !== 'ident' || KEYWORDS.has(t.text.toUpperCase())) throw this.err(`expected an attribute name but found ${this.describe(t)}`, t, 'an attribute of SMS_R_System');
    this.next();
    if (this.peek().kind !== 'dot') return { name: t.text, start: t.start };
    if (t.text.toLowerCase() !== QUERY_CLASS.toLowerCase()) {
      throw this.err(`${t.text} is not ${QUERY_CLASS}; a collection query reads one class`, t, QUERY_CLASS, 'joins to inventory classes are not supported: name the property directly (e.g. SMS_R_System.Manufacturer)');
    }
    this.next();
    const p = this.peek();
    if (inSelect && p.kind === 'star') {
      this.next();
      return { name: '*', start: p.start };
    }
    if (p.kind !== 'ident') throw this.err(`expected an attribute name after "${t.text}." but found ${this.describe(p)}`, p, 'an attribute name');
    this.next();
    return { name: p.text, start: p.start };
  }

  private or(): QueryExpr {
    const ops = [this.and()];
    while (this.is(this.peek(), 'OR')) {
      this.next();
      ops.push(this.and());
    }
    return ops.length === 1 ? ops[0] : { kind: 'or', operands: ops };
  }
  private and(): QueryExpr {
    const ops = [this.not()];
    while (this.is(this.peek(), 'AND')) {
      this.next();
      ops.push(this.not());
    }
    return ops.length === 1 ? ops[0] : { kind: 'and', operands: ops };
  }
  /** One more level of NOT or parentheses at `t`: refused beyond MAX_QUERY_DEPTH (everything after recurses per level). */
  private enter(t: Token): void {
    if (++this.depth > MAX_QUERY_DEPTH) {
      throw this.err(`the query nests deeper than ${MAX_QUERY_DEPTH} levels of parentheses and NOT`, t, undefined, 'simplify it: NOT NOT cancels out, and a single comparison needs no parentheses');
    }
  }
  private not(): QueryExpr {
    const t = this.peek();
    if (this.is(t, 'NOT')) {
      this.enter(t);
      this.next();
      const operand = this.not();
      this.depth--;
      return { kind: 'not', operand };
    }
    if (t.kind === 'lparen') {
      this.enter(t);
      this.next();
      const inner = this.or();
      const close = this.peek();
      if (close.kind !== 'rparen') throw this.err(`expected ) but found ${this.describe(close)}`, close, ')');
      this.next();
      this.depth--;
      return inner;
    }
    return this.predicate();
  }
  private isConstStart(t: Token): boolean {
    return t.kind === 'string' || t.kind === 'number' || this.is(t, 'TRUE') || this.is(t, 'FALSE');
  }
  private constant(): Const {
    const t = this.peek();
    if (this.is(t, 'NULL')) throw this.err('NULL can only be tested with IS NULL or IS NOT NULL', t, 'a string, number, TRUE or FALSE');
    if (!this.isConstStart(t)) throw this.err(`expected a constant but found ${this.describe(t)}`, t, 'a string, number, TRUE or FALSE');
    this.next();
    if (t.kind === 'string') return { kind: 'string', value: t.text };
    if (t.kind === 'number') {
      const decimal = parseDecimal(t.text);
      if (!decimal || digitCount(decimal) > MAX_NUMBER_DIGITS) {
        throw this.err(`the number ${t.text.length > 40 ? `${t.text.slice(0, 40)}…` : t.text} is out of range: a number in a collection query has at most ${MAX_NUMBER_DIGITS} digits`, t, undefined, 'write the number without such a large exponent');
      }
      return { kind: 'number', decimal, text: t.text };
    }
    return { kind: 'boolean', value: t.text.toUpperCase() === 'TRUE' };
  }
  private op(): CmpOp | undefined {
    const t = this.peek();
    if (t.kind !== 'op') return undefined;
    this.next();
    return t.text === '!=' ? '<>' : (t.text as CmpOp);
  }
  private predicate(): QueryExpr {
    const t = this.peek();
    if (++this.conditions > MAX_QUERY_CONDITIONS) {
      throw this.err(`the query has more than ${MAX_QUERY_CONDITIONS} comparisons`, t, undefined, 'use IN (…) for a list of values, or split the query into several rules');
    }
    if (this.isConstStart(t)) {
      const value = this.constant();
      const op = this.op();
      if (!op) throw this.err(`expected a comparison operator after the constant, found ${this.describe(this.peek())}`, this.peek(), '=, <>, !=, <, >, <= or >=');
      const attr = this.attr();
      const flipped: Record<CmpOp, CmpOp> = { '=': '=', '<>': '<>', '<': '>', '>': '<', '<=': '>=', '>=': '<=' };
      return { kind: 'cmp', attr, op: flipped[op], value };
    }
    const attr = this.attr();
    const op = this.op();
    if (op) {
      const v = this.peek();
      if (v.kind === 'ident' && !this.isConstStart(v) && !this.is(v, 'NULL')) throw this.err('comparing two attributes is not supported', v, 'a constant');
      return { kind: 'cmp', attr, op, value: this.constant() };
    }
    const k = this.peek();
    if (this.is(k, 'IS')) {
      this.next();
      let negated = false;
      if (this.is(this.peek(), 'NOT')) {
        this.next();
        negated = true;
      }
      const n = this.peek();
      if (!this.is(n, 'NULL')) throw this.err(`IS can only be followed by NULL or NOT NULL, found ${this.describe(n)}`, n, 'NULL');
      this.next();
      return { kind: 'null', attr, negated };
    }
    let negated = false;
    if (this.is(k, 'NOT') && (this.is(this.peek(1), 'LIKE') || this.is(this.peek(1), 'IN'))) {
      this.next();
      negated = true;
    }
    const w = this.peek();
    if (this.is(w, 'LIKE')) {
      this.next();
      const p = this.peek();
      if (p.kind !== 'string') throw this.err(`LIKE needs a string pattern, found ${this.describe(p)}`, p, 'a string pattern');
      this.next();
      if (p.text.length > MAX_LIKE_PATTERN_LENGTH) {
        throw this.err(`the LIKE pattern is ${p.text.length} characters; at most ${MAX_LIKE_PATTERN_LENGTH}`, p, undefined, 'compare a shorter prefix or part of the value');
      }
      let tokens: LikeToken[];
      try {
        tokens = parseLikePattern(p.text);
      } catch (e) {
        if (!(e instanceof LikePatternError)) throw e;
        const at = p.offsets?.[e.index] ?? p.start;
        throw new WqlError({
          codeName: 'WBEM_E_INVALID_QUERY',
          message: e.message,
          query: this.text,
          column: at + 1,
          expected: e.message.startsWith('unterminated') ? ']' : undefined,
          hint: 'write a literal [ as [[], a literal % as [%], a literal _ as [_], and a literal - first or last in a set',
        });
      }
      for (const tok of tokens) {
        if (tok.kind === 'set' && ++this.likeSets > MAX_LIKE_SETS) {
          throw this.err(`the query's LIKE patterns hold more than ${MAX_LIKE_SETS} [sets]`, p, undefined, 'use fewer [sets]: _ matches any one character');
        }
      }
      return { kind: 'like', attr, pattern: p.text, negated };
    }
    if (this.is(w, 'IN')) {
      this.next();
      const open = this.peek();
      if (open.kind !== 'lparen') throw this.err(`IN needs a list in parentheses, found ${this.describe(open)}`, open, '(');
      this.next();
      const values = [this.constant()];
      while (this.peek().kind === 'comma') {
        const comma = this.next();
        if (values.length >= MAX_IN_VALUES) throw this.err(`an IN list holds at most ${MAX_IN_VALUES} values`, comma, undefined, 'split the list over several query rules');
        values.push(this.constant());
      }
      const close = this.peek();
      if (close.kind !== 'rparen') throw this.err(`expected , or ) in the IN list but found ${this.describe(close)}`, close, ', or )');
      this.next();
      return { kind: 'in', attr, values, negated };
    }
    throw this.err(`expected a comparison after ${attr.name}, found ${this.describe(w)}`, w, '=, <>, !=, <, >, <=, >=, LIKE, IN or IS [NOT] NULL');
  }
}

/** A parse error as the API's 400: the input, the column and the problem. */
export function queryError(e: WqlError, input: string): SiteError {
  return badInput(input, `${e.column !== undefined ? `column ${e.column}: ` : ''}${e.message}${e.expected ? ` (expected ${e.expected})` : ''}`, e.hint ?? `e.g. select * from ${QUERY_CLASS} where ${QUERY_CLASS}.Name like 'PC%'`, {
    column: e.column,
    expected: e.expected,
  });
}

/** Parses or throws the API's 400 naming `input`. */
export function checkCollectionQuery(text: string, input: string): CollectionQuery {
  try {
    const q = parseCollectionQuery(text);
    // Compiling checks the constants' types against the attributes too.
    compileCollectionQuery(q, []);
    return q;
  } catch (e) {
    if (e instanceof WqlError) throw queryError(e, input);
    throw e;
  }
}

/**
 * A stored query rule, parsed and checked by compiling it. A rule stored before a limit or a
 * syntax rule it breaks existed is answered as a conflict naming the collection and the rule (so
 * an admin can see which one to remove), not as a server error.
 */
export function storedCollectionQuery(text: string, collectionId: string, ruleId: number): CollectionQuery {
  try {
    const q = parseCollectionQuery(text);
    compileCollectionQuery(q, []);
    return q;
  } catch (e) {
    if (!(e instanceof WqlError)) throw e;
    throw conflict(
      `collection ${collectionId} rule ${ruleId}`,
      `the stored query rule no longer passes the query rules: ${e.column !== undefined ? `column ${e.column}: ` : ''}${e.message}`,
      `remove it (DELETE /api/v1/collections/${collectionId}/rules/${ruleId}) and add it again corrected`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Compilation to SQL over `devices d`.

type Column =
  | { kind: 'number'; sql: string }
  | { kind: 'text'; sql: string; field: 'name' | 'smbiosGuid' }
  | { kind: 'boolean'; sql: string; field: 'client' | 'isSiteSystem' | 'isServer' }
  | { kind: 'mac' }
  /** An inventory property: `key` is its canonical spelling (an exact jsonb key), else found by `lowerName`. */
  | { kind: 'property'; sql: string; key?: string; lowerName: string };

const COLUMNS: Record<string, Column> = {
  resourceid: { kind: 'number', sql: 'd.resource_id' },
  name: { kind: 'text', sql: 'd.name', field: 'name' },
  netbiosname: { kind: 'text', sql: 'd.name', field: 'name' },
  smbiosguid: { kind: 'text', sql: 'd.smbios_guid', field: 'smbiosGuid' },
  macaddresses: { kind: 'mac' },
  client: { kind: 'boolean', sql: 'd.client', field: 'client' },
  issitesystem: { kind: 'boolean', sql: 'd.is_site_system', field: 'isSiteSystem' },
  isserver: { kind: 'boolean', sql: 'd.is_server', field: 'isServer' },
};

const NUMERIC_TEXT = `'^\\s*-?[0-9]+(\\.[0-9]+)?\\s*$'`;

/**
 * The SQL condition (over `devices d`) of a parsed query; values go into `params` (numbered from
 * params.length + 1). Throws WqlError for a constant of the wrong type for its attribute.
 */
export function compileCollectionQuery(q: CollectionQuery, params: unknown[]): string {
  const where = q.where ? compileExpr(q.where, params, q.text) : 'true';
  return `(d.unknown_computer IS NULL AND ${where})`;
}

/** A constant as the text SQL compares: a string's value, a number as written, true/false. */
const constText = (c: Const): string => (c.kind === 'string' ? c.value : c.kind === 'number' ? c.text : String(c.value));

function constError(attr: Attr, text: string, message: string): WqlError {
  return new WqlError({ codeName: 'WBEM_E_INVALID_QUERY', message, query: text, column: attr.start + 1, length: attr.name.length });
}

/** A constant compared with a number attribute (ResourceId): a number or a numeric string, exactly. */
function constNumber(c: Const, attr: Attr, text: string): Decimal {
  if (c.kind === 'number') return c.decimal;
  if (c.kind === 'string' && NUMERIC_TEXT_RE.test(c.value)) {
    const d = parseDecimal(c.value);
    if (d && digitCount(d) <= MAX_NUMBER_DIGITS) return d;
    throw constError(attr, text, `${attr.name} is compared with a number of more than ${MAX_NUMBER_DIGITS} digits`);
  }
  throw constError(attr, text, `${attr.name} is a number; ${JSON.stringify(shorten(constText(c)))} is not`);
}

const shorten = (s: string): string => (s.length > 60 ? `${s.slice(0, 60)}…` : s);

/** A constant compared with a true/false attribute: TRUE/FALSE, 1/0 or their strings. */
function constBoolean(c: Const, attr: Attr, text: string): boolean {
  if (c.kind === 'boolean') return c.value;
  if (c.kind === 'number' && (c.decimal.sign === 0 || decimalText(c.decimal) === '1')) return c.decimal.sign !== 0;
  if (c.kind === 'string' && /^(true|false|0|1)$/i.test(c.value)) return /^(true|1)$/i.test(c.value);
  throw constError(attr, text, `${attr.name} is true/false (or 1/0); ${JSON.stringify(shorten(constText(c)))} is not`);
}

/** A MAC constant as stored (colon format, upper case) when it is one; else upper-cased as written. */
const constMac = (c: Const): string => normaliseMac(constText(c)) ?? constText(c).toUpperCase();

function compileExpr(e: QueryExpr, params: unknown[], text: string): string {
  const p = (v: unknown, cast: string): string => `$${params.push(v)}::${cast}`;
  const fail = (attr: Attr, message: string): WqlError => constError(attr, text, message);
  switch (e.kind) {
    case 'or':
    case 'and':
      return `(${e.operands.map((o) => compileExpr(o, params, text)).join(e.kind === 'or' ? ' OR ' : ' AND ')})`;
    case 'not':
      return `(NOT ${compileExpr(e.operand, params, text)})`;
    default:
      break;
  }
  const col = column(e.attr.name);
  const asNumber = (c: Const): string => decimalText(constNumber(c, e.attr, text));
  const asBoolean = (c: Const): boolean => constBoolean(c, e.attr, text);
  /** A text expression of the attribute, for LIKE and string comparisons. */
  const textOf = (c: Column, macVar = 'm.mac'): string =>
    c.kind === 'mac' ? macVar : c.kind === 'number' || c.kind === 'boolean' ? `${c.sql}::text` : c.sql;
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
    case 'null': {
      const sql =
        col.kind === 'mac'
          ? `jsonb_array_length(d.mac_addresses) = 0`
          : col.kind === 'property'
            ? `${col.sql} IS NULL`
            : `${col.sql} IS NULL`;
      return e.negated ? `(NOT ${sql})` : sql;
    }
    case 'like': {
      const sql = col.kind === 'mac' ? macAny(likeSql('m.mac', e.pattern)) : `COALESCE(${likeSql(textOf(col), e.pattern)}, false)`;
      return e.negated ? `(NOT ${sql})` : sql;
    }
    case 'in': {
      let sql: string;
      if (col.kind === 'number') sql = `${col.sql} = ANY(${p(e.values.map(asNumber), 'numeric[]')})`;
      else if (col.kind === 'boolean') sql = `${col.sql} = ANY(${p(e.values.map(asBoolean), 'boolean[]')})`;
      else if (col.kind === 'mac') {
        const macs = e.values.map(constMac);
        sql = `d.resource_id IN (SELECT resource_id FROM device_macs WHERE mac = ANY(${p(macs, 'text[]')}))`;
      } else sql = `lower(${col.sql}) = ANY(${p(e.values.map((v) => constText(v).toLowerCase()), 'text[]')})`;
      sql = `COALESCE(${sql}, false)`;
      return e.negated ? `(NOT ${sql})` : sql;
    }
    case 'cmp': {
      const op = e.op;
      const v = e.value;
      if (col.kind === 'number') return `${col.sql} ${op} ${p(asNumber(v), 'numeric')}`;
      if (col.kind === 'boolean') {
        if (op !== '=' && op !== '<>') throw fail(e.attr, `${e.attr.name} is true/false: compare it with = or <>`);
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
        return `(CASE WHEN ${col.sql} ~ ${NUMERIC_TEXT} THEN (${col.sql})::numeric END) ${op} ${p(decimalText(v.decimal), 'numeric')}`;
      }
      return `lower(${col.sql}) ${op} ${p(constText(v).toLowerCase(), 'text')}${ordering(op)}`;
    }
  }
}

/** Orderings compare code points, the same on every server whatever its locale; equality keeps the index. */
const ordering = (op: CmpOp): string => (op === '=' || op === '<>' ? '' : ' COLLATE "C"');

function column(name: string): Column {
  const known = COLUMNS[name.toLowerCase()];
  if (known) return known;
  const key = canonicalPropertyKey(name);
  if (key) return { kind: 'property', sql: `(d.properties->>'${key}')`, key, lowerName: name.toLowerCase() };
  // Any other inventory property: found by name, case-insensitively. Names are WQL identifiers
  // ([A-Za-z_][A-Za-z0-9_]*), so quoting them as a literal is safe.
  return { kind: 'property', sql: `(SELECT e.value FROM jsonb_each_text(d.properties) AS e WHERE lower(e.key) = '${name.toLowerCase()}' LIMIT 1)`, lowerName: name.toLowerCase() };
}

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

// ---------------------------------------------------------------------------------------------
// The same conditions as a JS predicate over one device, so a full evaluation reads the devices
// once and tests every query rule on each (evaluate.ts) instead of scanning the table once per
// rule. Built from the same AST, column map and constant coercions as the SQL above, and exact
// where it is offered: SQL's three-valued logic (a comparison with a missing value is unknown, NOT
// unknown is unknown, LIKE and IN are COALESCEd to false, only true selects), numbers compared as
// the decimals PostgreSQL compares. What only the database can answer exactly is left to it:
// compileCollectionPredicate returns undefined for a query with text outside ASCII (lower(), ILIKE
// and ~* follow the database's locale there), and deviceFacts returns undefined for a device with
// text outside ASCII or inventory that is not flat. LIKE patterns are read once (parseLikePattern)
// and both regexes built from those tokens. test/site/collections/query-predicate.test.ts checks
// all of it against the SQL on both databases.

/** A text value and its lower-case form. */
export interface TextValue {
  text: string;
  lower: string;
  /** The value as a decimal when it passes NUMERIC_TEXT (null when not), computed on first use. */
  numeric?: Decimal | null;
}

/** What the SQL condition reads of a device (ASCII text only). */
export interface DeviceFacts {
  resourceId: number;
  /** resource_id::text */
  resourceIdText: TextValue;
  name: TextValue;
  smbiosGuid: TextValue | null;
  unknownComputer: boolean;
  client: boolean;
  isSiteSystem: boolean;
  isServer: boolean;
  /** The elements of mac_addresses (LIKE, orderings and IS NULL read the jsonb array). */
  macAddresses: readonly string[];
  /** The device_macs rows (= and IN read that table, as the SQL does). */
  macRows: readonly string[];
  /**
   * The inventory properties the predicates read, by FactsLayout slot: properties->>key for a
   * canonical key, the first key in jsonb order with the lower-case name for another (undefined
   * when missing, null for a JSON null).
   */
  slots: (TextValue | null | undefined)[];
}

/** Where deviceFacts puts each property the predicates compiled with this layout read. */
export class FactsLayout {
  readonly exact = new Map<string, number>();
  readonly lower = new Map<string, number>();
  /** Equal property values share one TextValue, so lower() and the decimal are computed once. */
  readonly values = new Map<string, TextValue>();
  private size = 0;
  slot(c: Column & { kind: 'property' }): number {
    const [map, name] = c.key !== undefined ? [this.exact, c.key] : [this.lower, c.lowerName];
    let n = map.get(name);
    if (n === undefined) map.set(name, (n = this.size++));
    return n;
  }
  value(text: string): TextValue {
    let v = this.values.get(text);
    if (!v) this.values.set(text, (v = textValue(text)));
    return v;
  }
}

/** A row of DEVICE_FACTS_SQL. */
export interface DeviceRow {
  resource_id: number;
  name: string;
  smbios_guid: string | null;
  unknown: boolean;
  client: boolean;
  is_site_system: boolean;
  is_server: boolean;
  macs: string;
  props: string;
}

export const DEVICE_FACTS_SQL = `SELECT d.resource_id, d.name, d.smbios_guid, d.unknown_computer IS NOT NULL AS unknown, d.client, d.is_site_system, d.is_server,
  d.mac_addresses::text AS macs, d.properties::text AS props FROM devices d`;

const ASCII = /^[\x00-\x7f]*$/;
const textValue = (text: string): TextValue => ({ text, lower: text.toLowerCase() });

/**
 * A device's facts from its row and device_macs rows, or undefined when the JS predicate could not
 * be exact for it (text outside ASCII, a resource id beyond 2^53, non-string MACs, inventory
 * values that are objects or arrays): such a device is left to the SQL.
 */
export function deviceFacts(row: DeviceRow, macRows: readonly string[], layout: FactsLayout): DeviceFacts | undefined {
  const rid = Number(row.resource_id);
  if (!Number.isSafeInteger(rid)) return undefined;
  if (!ASCII.test(row.name) || (row.smbios_guid !== null && !ASCII.test(row.smbios_guid)) || !ASCII.test(row.macs) || !ASCII.test(row.props)) return undefined;
  const macs: unknown = JSON.parse(row.macs);
  if (!Array.isArray(macs) || !macs.every((m) => typeof m === 'string')) return undefined;
  const pairs = parseFlatJsonObject(row.props);
  if (!pairs) return undefined;
  const slots: (TextValue | null | undefined)[] = [];
  for (const [key, value] of pairs) {
    const exact = layout.exact.get(key);
    const lower = layout.lower.size ? layout.lower.get(key.toLowerCase()) : undefined;
    if (exact === undefined && lower === undefined) continue;
    const v = value === null ? null : layout.value(value);
    if (exact !== undefined) slots[exact] = v;
    if (lower !== undefined && slots[lower] === undefined) slots[lower] = v;
  }
  return {
    resourceId: rid,
    resourceIdText: textValue(String(rid)),
    name: textValue(row.name),
    smbiosGuid: row.smbios_guid === null ? null : textValue(row.smbios_guid),
    unknownComputer: row.unknown,
    client: row.client,
    isSiteSystem: row.is_site_system,
    isServer: row.is_server,
    macAddresses: macs as string[],
    macRows,
    slots,
  };
}

/**
 * `{"key": value, …}` as jsonb prints it, to [key, value as ->> gives it] pairs in order: strings
 * unescaped, numbers as printed (so 1.50 stays 1.50), true/false, null as null. Undefined for
 * anything else (nested objects or arrays, which ->> would print in jsonb's own format).
 */
export function parseFlatJsonObject(text: string): [string, string | null][] | undefined {
  const out: [string, string | null][] = [];
  let i = 0;
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\t' || text[i] === '\r')) i++;
  };
  const str = (): string | undefined => {
    if (text[i] !== '"') return undefined;
    let j = i + 1;
    let escaped = false;
    while (j < text.length && text[j] !== '"') {
      if (text[j] === '\\') {
        escaped = true;
        j++;
      }
      j++;
    }
    if (j >= text.length) return undefined;
    const raw = text.slice(i, j + 1);
    i = j + 1;
    return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  };
  ws();
  if (text[i] !== '{') return undefined;
  i++;
  ws();
  if (text[i] === '}') return i + 1 === text.trimEnd().length ? out : undefined;
  for (;;) {
    ws();
    const key = str();
    if (key === undefined) return undefined;
    ws();
    if (text[i] !== ':') return undefined;
    i++;
    ws();
    let value: string | null;
    const c = text[i];
    if (c === '"') {
      const s = str();
      if (s === undefined) return undefined;
      value = s;
    } else {
      const m = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
      if (!m) return undefined;
      i += m[0].length;
      value = m[0] === 'null' ? null : m[0];
      // jsonb prints numbers without exponents; a stray one is left to the SQL.
      if (/[eE]/.test(m[0]) && m[0] !== 'true' && m[0] !== 'false') return undefined;
    }
    out.push([key, value]);
    ws();
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '}') {
      i++;
      ws();
      return i === text.length ? out : undefined;
    }
    return undefined;
  }
}

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

const NUMERIC_TEXT_RE = /^\s*-?[0-9]+(\.[0-9]+)?\s*$/;
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

function predicate(e: QueryExpr, text: string, layout: FactsLayout): Pred {
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
  const col = column(e.attr.name);
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
    case 'null': {
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
      const re = compileLike(ascii(e.pattern));
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
        const values = e.values.map((v) => constNumber(v, e.attr, text));
        p = (d) => {
          const rid = numericOf(d.resourceIdText)!;
          return values.some((v) => compareDecimal(rid, v) === 0);
        };
      } else if (col.kind === 'boolean') {
        const values = e.values.map((v) => constBoolean(v, e.attr, text));
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
    case 'cmp': {
      const op = e.op;
      const v = e.value;
      if (col.kind === 'number') {
        const n = constNumber(v, e.attr, text);
        return (d) => holds(compareDecimal(numericOf(d.resourceIdText)!, n), op);
      }
      if (col.kind === 'boolean') {
        if (op !== '=' && op !== '<>') throw constError(e.attr, text, `${e.attr.name} is true/false: compare it with = or <>`);
        const b = constBoolean(v, e.attr, text);
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
        const n = v.decimal;
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
