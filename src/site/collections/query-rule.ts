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
 */
import { tokenize, type Token } from '../../engine/conditions/wql/lexer.js';
import { WqlError } from '../../engine/conditions/wql/errors.js';
import { LikePatternError, likeToRegexSource } from '../../engine/conditions/wql/like.js';
import { badInput, type SiteError } from '../errors.js';
import { normaliseMac } from '../devices/identity.js';
import { canonicalPropertyKey } from '../devices/properties.js';

export const QUERY_CLASS = 'SMS_R_System';

type Const = { kind: 'string'; value: string } | { kind: 'number'; value: number; text: string } | { kind: 'boolean'; value: boolean };
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

/** Parses a query rule; throws WqlError with the 1-based column and what was expected. */
export function parseCollectionQuery(text: string): CollectionQuery {
  return new Parser(text).query();
}

class Parser {
  private readonly toks: Token[];
  private pos = 0;
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
  private not(): QueryExpr {
    if (this.is(this.peek(), 'NOT')) {
      this.next();
      return { kind: 'not', operand: this.not() };
    }
    if (this.peek().kind === 'lparen') {
      this.next();
      const inner = this.or();
      const close = this.peek();
      if (close.kind !== 'rparen') throw this.err(`expected ) but found ${this.describe(close)}`, close, ')');
      this.next();
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
    if (t.kind === 'number') return { kind: 'number', value: Number(t.text), text: t.text };
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
      try {
        likeToRegexSource(p.text);
      } catch (e) {
        if (!(e instanceof LikePatternError)) throw e;
        const at = p.offsets?.[e.index] ?? p.start;
        throw new WqlError({ codeName: 'WBEM_E_INVALID_QUERY', message: e.message, query: this.text, column: at + 1, hint: 'write a literal [ as [[], a literal % as [%] and a literal _ as [_]' });
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
        this.next();
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

// ---------------------------------------------------------------------------------------------
// Compilation to SQL over `devices d`.

type Column =
  | { kind: 'number'; sql: string }
  | { kind: 'text'; sql: string }
  | { kind: 'boolean'; sql: string }
  | { kind: 'mac' }
  | { kind: 'property'; sql: string };

const COLUMNS: Record<string, Column> = {
  resourceid: { kind: 'number', sql: 'd.resource_id' },
  name: { kind: 'text', sql: 'd.name' },
  netbiosname: { kind: 'text', sql: 'd.name' },
  smbiosguid: { kind: 'text', sql: 'd.smbios_guid' },
  macaddresses: { kind: 'mac' },
  client: { kind: 'boolean', sql: 'd.client' },
  issitesystem: { kind: 'boolean', sql: 'd.is_site_system' },
  isserver: { kind: 'boolean', sql: 'd.is_server' },
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

function compileExpr(e: QueryExpr, params: unknown[], text: string): string {
  const p = (v: unknown, cast: string): string => `$${params.push(v)}::${cast}`;
  const fail = (attr: Attr, message: string, hint?: string): WqlError =>
    new WqlError({ codeName: 'WBEM_E_INVALID_QUERY', message, query: text, column: attr.start + 1, length: attr.name.length, hint });
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
  const constText = (c: Const): string => (c.kind === 'string' ? c.value : c.kind === 'number' ? c.text : String(c.value));
  const asNumber = (c: Const): number => {
    if (c.kind === 'number') return c.value;
    if (c.kind === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(c.value)) return Number(c.value);
    throw fail(e.attr, `${e.attr.name} is a number; ${JSON.stringify(constText(c))} is not`);
  };
  const asBoolean = (c: Const): boolean => {
    if (c.kind === 'boolean') return c.value;
    if (c.kind === 'number' && (c.value === 0 || c.value === 1)) return c.value === 1;
    if (c.kind === 'string' && /^(true|false|0|1)$/i.test(c.value)) return /^(true|1)$/i.test(c.value);
    throw fail(e.attr, `${e.attr.name} is true/false (or 1/0); ${JSON.stringify(constText(c))} is not`);
  };
  /** A text expression of the attribute, for LIKE and string comparisons. */
  const textOf = (c: Column, macVar = 'm.mac'): string =>
    c.kind === 'mac' ? macVar : c.kind === 'number' || c.kind === 'boolean' ? `${c.sql}::text` : c.sql;
  const macAny = (cond: string): string => `EXISTS (SELECT 1 FROM jsonb_array_elements_text(d.mac_addresses) AS m(mac) WHERE ${cond})`;
  const likeSql = (target: string, pattern: string): string => {
    if (!pattern.includes('[')) {
      // LIKE's own wildcards; only the escape character needs escaping.
      return `${target} ILIKE ${p(pattern.replace(/\\/g, '\\\\'), 'text')}`;
    }
    return `${target} ~* ${p(likeToPosixRegex(pattern), 'text')}`;
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
        const macs = e.values.map((v) => normaliseMac(constText(v)) ?? constText(v).toUpperCase());
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
        const mac = normaliseMac(constText(v)) ?? constText(v).toUpperCase();
        // Equality uses the device_macs index; the other operators look at each address.
        if (op === '=') return `d.resource_id IN (SELECT resource_id FROM device_macs WHERE mac = ${p(mac, 'text')})`;
        return macAny(`m.mac ${op} ${p(mac, 'text')}${ordering(op)}`);
      }
      if (col.kind === 'property' && v.kind === 'number') {
        // Inventory values may be JSON numbers or numeric strings; anything else is no match.
        return `(CASE WHEN ${col.sql} ~ ${NUMERIC_TEXT} THEN (${col.sql})::numeric END) ${op} ${p(v.value, 'numeric')}`;
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
  if (key) return { kind: 'property', sql: `(d.properties->>'${key}')` };
  // Any other inventory property: found by name, case-insensitively. Names are WQL identifiers
  // ([A-Za-z_][A-Za-z0-9_]*), so quoting them as a literal is safe.
  return { kind: 'property', sql: `(SELECT e.value FROM jsonb_each_text(d.properties) AS e WHERE lower(e.key) = '${name.toLowerCase()}' LIMIT 1)` };
}

/** A WQL LIKE pattern with [sets] as an anchored POSIX regular expression (PostgreSQL `~*`). */
export function likeToPosixRegex(pattern: string): string {
  let out = '^';
  let i = 0;
  const esc = (c: string): string => (/[\\^$.*+?()[\]{}|]/.test(c) ? `\\${c}` : c);
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '%') out += '.*';
    else if (c === '_') out += '.';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      let body = pattern.slice(i + 1, close);
      let neg = '';
      if (body.startsWith('^') && body.length > 1) {
        neg = '^';
        body = body.slice(1);
      }
      // Inside a POSIX bracket only \, ] at the start and ^ at the start are special.
      out += `[${neg}${body.replace(/\\/g, '\\\\')}]`;
      i = close + 1;
      continue;
    } else out += esc(c);
    i++;
  }
  return `${out}$`;
}
