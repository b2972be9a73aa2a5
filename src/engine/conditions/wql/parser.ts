/**
 * Recursive-descent parser for the WQL subset of conditions-wql §2.1. Keywords are
 * case-insensitive, OR binds looser than AND, NOT may precede any predicate, exactly one side of a
 * comparison is a property. Constructs real WQL has but task sequence conditions cannot use
 * (ASSOCIATORS OF, REFERENCES OF, WITHIN, GROUP, HAVING, ISA, KEYSONLY, event and schema queries,
 * embedded-object properties) are rejected with WBEM_E_INVALID_QUERY and a hint.
 */
import type { WqlCompareOp, WqlConstant, WqlExpr, WqlPropertyRef, WqlQuery } from './ast.js';
import { UNSUPPORTED_HINT, WqlError } from './errors.js';
import { tokenize, type Token } from './lexer.js';
import { LikePatternError, likeToRegexSource } from './like.js';

/** WQL keywords (wql-sql-for-wmi.md); using one as a name makes the query unparsable [D]. */
export const WQL_KEYWORDS = new Set([
  'AND', 'ASSOCIATORS', 'BY', 'FALSE', 'FROM', 'GROUP', 'HAVING', 'IS', 'ISA', 'KEYSONLY', 'LIKE', 'NOT', 'NULL', 'OF', 'OR',
  'REFERENCES', 'SELECT', 'TRUE', 'WHERE', 'WITHIN',
]);

/**
 * Deepest nesting of parentheses and NOT in a WHERE clause. The parser, the printer and the
 * evaluator recurse once per level, so a pathological `((((…))))` or `NOT NOT NOT …` is refused
 * with WBEM_E_INVALID_QUERY instead of overflowing the stack; real conditions nest a handful.
 */
export const MAX_WQL_DEPTH = 100;

const UNSUPPORTED_CLAUSES = new Set(['WITHIN', 'GROUP', 'HAVING', 'KEYSONLY', 'BY']);

export function parseWql(text: string): WqlQuery {
  // Checked before tokenising: their object paths ({Win32_LogicalDisk.DeviceID="C:"}) are not WQL-subset tokens.
  const m = /^(\s*)(ASSOCIATORS|REFERENCES)\b/i.exec(text);
  if (m) {
    throw new WqlError({
      codeName: 'WBEM_E_INVALID_QUERY',
      message: `${m[2].toUpperCase()} OF is not supported`,
      query: text,
      column: m[1].length + 1,
      length: m[2].length,
      hint: UNSUPPORTED_HINT,
    });
  }
  return new Parser(text).query();
}

export type WqlParseResult = { ok: true; query: WqlQuery } | { ok: false; error: WqlError };

/** parseWql without throwing; anything unexpected still comes back as a WqlError. */
export function tryParseWql(text: string): WqlParseResult {
  try {
    return { ok: true, query: parseWql(text) };
  } catch (e) {
    if (e instanceof WqlError) return { ok: false, error: e };
    return { ok: false, error: new WqlError({ codeName: 'WBEM_E_INVALID_QUERY', message: `cannot parse the query: ${String(e)}`, query: text }) };
  }
}

class Parser {
  private readonly toks: Token[];
  private pos = 0;
  private depth = 0;

  constructor(private readonly text: string) {
    this.toks = tokenize(text);
  }

  private peek(offset = 0): Token {
    return this.toks[Math.min(this.pos + offset, this.toks.length - 1)];
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  private isKeyword(t: Token, kw: string): boolean {
    return t.kind === 'ident' && t.text.toUpperCase() === kw;
  }

  private err(message: string, t: Token, extra: { expected?: string; hint?: string } = {}): WqlError {
    return new WqlError({
      codeName: 'WBEM_E_INVALID_QUERY',
      message,
      query: this.text,
      column: t.start + 1,
      length: Math.max(1, t.end - t.start),
      ...extra,
    });
  }

  private describe(t: Token): string {
    if (t.kind === 'eof') return 'the end of the query';
    if (t.kind === 'string') return `the string ${JSON.stringify(t.text)}`;
    return `"${this.text.slice(t.start, t.end)}"`;
  }

  private expectKeyword(kw: string): Token {
    const t = this.peek();
    if (!this.isKeyword(t, kw)) throw this.err(`expected ${kw} but found ${this.describe(t)}`, t, { expected: kw });
    return this.next();
  }

  private unsupported(t: Token, what: string): WqlError {
    return this.err(`${what} is not supported`, t, { hint: UNSUPPORTED_HINT });
  }

  query(): WqlQuery {
    this.expectKeyword('SELECT');
    const select = this.selectList();
    this.expectKeyword('FROM');
    const classTok = this.peek();
    if (classTok.kind !== 'ident') throw this.err(`expected a class name but found ${this.describe(classTok)}`, classTok, { expected: 'a class name' });
    if (WQL_KEYWORDS.has(classTok.text.toUpperCase())) {
      throw this.err(`${classTok.text} is a WQL keyword, not a class name`, classTok, { expected: 'a class name' });
    }
    // Event and schema queries need a notification sink or return class definitions, not instances.
    if (/^__\w*event$/i.test(classTok.text) || /^meta_class$/i.test(classTok.text)) {
      throw this.unsupported(classTok, `the ${classTok.text} query (event or schema query)`);
    }
    this.next();
    if (this.peek().kind === 'comma') throw this.err('WQL queries one class at a time', this.peek(), { expected: 'WHERE or the end of the query' });
    if (this.peek().kind === 'dot') throw this.err('a class name cannot contain "."', this.peek(), { expected: 'WHERE or the end of the query' });
    this.rejectClause();
    let where: WqlExpr | undefined;
    if (this.isKeyword(this.peek(), 'WHERE')) {
      this.next();
      where = this.orExpr();
      this.rejectClause();
    }
    const end = this.peek();
    if (end.kind !== 'eof') {
      throw this.err(`unexpected ${this.describe(end)}`, end, { expected: where ? 'AND, OR or the end of the query' : 'WHERE or the end of the query' });
    }
    return { kind: 'select', select, className: classTok.text, classSpan: { start: classTok.start, end: classTok.end }, where, text: this.text };
  }

  private rejectClause(): void {
    const t = this.peek();
    if (t.kind === 'ident' && UNSUPPORTED_CLAUSES.has(t.text.toUpperCase())) throw this.unsupported(t, t.text.toUpperCase());
  }

  private selectList(): '*' | WqlPropertyRef[] {
    if (this.peek().kind === 'star') {
      this.next();
      return '*';
    }
    const props: WqlPropertyRef[] = [this.property()];
    while (this.peek().kind === 'comma') {
      this.next();
      props.push(this.property());
    }
    return props;
  }

  private property(): WqlPropertyRef {
    const t = this.peek();
    if (t.kind !== 'ident') throw this.err(`expected a property name but found ${this.describe(t)}`, t, { expected: 'a property name' });
    if (WQL_KEYWORDS.has(t.text.toUpperCase())) {
      throw this.err(`${t.text} is a WQL keyword, not a property name`, t, {
        expected: 'a property name',
        hint: 'WQL has no way to quote a keyword used as a name',
      });
    }
    this.next();
    if (this.peek().kind === 'dot') {
      throw this.err('embedded-object properties (a.b) are not supported', this.peek(), { hint: UNSUPPORTED_HINT });
    }
    return { name: t.text, start: t.start, end: t.end };
  }

  private orExpr(): WqlExpr {
    const first = this.andExpr();
    const operands = [first];
    while (this.isKeyword(this.peek(), 'OR')) {
      this.next();
      operands.push(this.andExpr());
    }
    if (operands.length === 1) return first;
    return { kind: 'or', operands, start: first.start, end: operands[operands.length - 1].end };
  }

  private andExpr(): WqlExpr {
    const first = this.notExpr();
    const operands = [first];
    while (this.isKeyword(this.peek(), 'AND')) {
      this.next();
      operands.push(this.notExpr());
    }
    if (operands.length === 1) return first;
    return { kind: 'and', operands, start: first.start, end: operands[operands.length - 1].end };
  }

  /** Enters one level of NOT or parentheses at `t`; refused beyond MAX_WQL_DEPTH. */
  private enter(t: Token): void {
    if (++this.depth > MAX_WQL_DEPTH) {
      throw this.err(`the condition nests deeper than ${MAX_WQL_DEPTH} levels of parentheses and NOT`, t, {
        hint: 'simplify the condition: NOT NOT cancels out, and parentheses around a single comparison are not needed',
      });
    }
  }

  private notExpr(): WqlExpr {
    const t = this.peek();
    if (this.isKeyword(t, 'NOT')) {
      this.enter(t);
      this.next();
      const operand = this.notExpr();
      this.depth--;
      return { kind: 'not', operand, start: t.start, end: operand.end };
    }
    return this.primary();
  }

  private primary(): WqlExpr {
    const t = this.peek();
    if (t.kind === 'lparen') {
      this.enter(t);
      this.next();
      const inner = this.orExpr();
      const close = this.peek();
      if (close.kind !== 'rparen') throw this.err(`expected ) but found ${this.describe(close)}`, close, { expected: ')' });
      this.next();
      this.depth--;
      // The span takes the parentheses in, so a quoted failing predicate reads as written.
      return { ...inner, start: t.start, end: close.end };
    }
    return this.comparison();
  }

  private isConstantStart(t: Token): boolean {
    return t.kind === 'string' || t.kind === 'number' || this.isKeyword(t, 'TRUE') || this.isKeyword(t, 'FALSE') || this.isKeyword(t, 'NULL');
  }

  private constant(): WqlConstant {
    const t = this.next();
    const span = { start: t.start, end: t.end };
    if (t.kind === 'string') return { kind: 'string', value: t.text, ...span };
    if (t.kind === 'number') return { kind: 'number', text: t.text, value: Number(t.text), ...span };
    const kw = t.text.toUpperCase();
    if (kw === 'NULL') return { kind: 'null', ...span };
    return { kind: 'boolean', value: kw === 'TRUE', ...span };
  }

  private compareOp(): { op: WqlCompareOp; tok: Token } | undefined {
    const t = this.peek();
    if (t.kind !== 'op') return undefined;
    this.next();
    return { op: t.text as WqlCompareOp, tok: t };
  }

  private checkConstant(c: WqlConstant, op: WqlCompareOp, property: WqlPropertyRef): void {
    const tok = { kind: 'string' as const, text: '', start: c.start, end: c.end };
    if (c.kind === 'null') {
      throw this.err('NULL can only be tested with IS NULL or IS NOT NULL', tok, {
        expected: 'a constant',
        hint: `write "${property.name} IS ${op === '=' ? '' : 'NOT '}NULL"`,
      });
    }
    if (c.kind === 'boolean' && op !== '=' && op !== '<>' && op !== '!=') {
      throw this.err(`booleans can only be compared with =, <> or != (not ${op})`, tok, { expected: '=, <> or !=' });
    }
  }

  private comparison(): WqlExpr {
    const t = this.peek();
    if (this.isConstantStart(t)) {
      const value = this.constant();
      const op = this.compareOp();
      if (!op) {
        const n = this.peek();
        throw this.err(`expected a comparison operator after the constant, found ${this.describe(n)}`, n, {
          expected: '=, <>, !=, <, >, <= or >=',
          hint: this.isKeyword(n, 'LIKE') || this.isKeyword(n, 'IS') ? `${n.text.toUpperCase()} needs the property on the left` : undefined,
        });
      }
      const p = this.peek();
      if (this.isConstantStart(p)) throw this.err('one side of a comparison must be a property', p, { expected: 'a property name' });
      const property = this.property();
      this.checkConstant(value, op.op, property);
      return { kind: 'compare', property, op: op.op, value, constantFirst: true, start: value.start, end: property.end };
    }
    if (t.kind !== 'ident') {
      throw this.err(`expected a property name but found ${this.describe(t)}`, t, { expected: 'a property name, NOT or (' });
    }
    const property = this.property();
    const op = this.compareOp();
    if (op) {
      const v = this.peek();
      if (v.kind === 'ident' && !this.isConstantStart(v)) {
        throw this.err('comparing two properties is not supported', v, { expected: 'a constant', hint: 'WQL compares a property with a constant value [D]' });
      }
      if (!this.isConstantStart(v)) throw this.err(`expected a constant but found ${this.describe(v)}`, v, { expected: 'a string, number, TRUE or FALSE' });
      const value = this.constant();
      this.checkConstant(value, op.op, property);
      return { kind: 'compare', property, op: op.op, value, constantFirst: false, start: property.start, end: value.end };
    }
    const k = this.peek();
    if (this.isKeyword(k, 'IS')) {
      this.next();
      let negated = false;
      if (this.isKeyword(this.peek(), 'NOT')) {
        this.next();
        negated = true;
      }
      const n = this.peek();
      if (!this.isKeyword(n, 'NULL')) {
        throw this.err(`IS can only be followed by NULL or NOT NULL, found ${this.describe(n)}`, n, {
          expected: 'NULL',
          hint: n.kind === 'eof' ? undefined : `to compare values write "${property.name} ${negated ? '<>' : '='} …"`,
        });
      }
      this.next();
      return { kind: 'isNull', property, negated, start: property.start, end: n.end };
    }
    let negated = false;
    if (this.isKeyword(k, 'NOT') && this.isKeyword(this.peek(1), 'LIKE')) {
      this.next();
      negated = true;
    }
    const like = this.peek();
    if (this.isKeyword(like, 'LIKE')) {
      this.next();
      const p = this.peek();
      if (p.kind !== 'string') throw this.err(`LIKE needs a string pattern, found ${this.describe(p)}`, p, { expected: 'a string pattern' });
      this.next();
      try {
        likeToRegexSource(p.text);
      } catch (e) {
        if (!(e instanceof LikePatternError)) throw e;
        const at = p.offsets?.[e.index] ?? p.start;
        throw new WqlError({
          codeName: 'WBEM_E_INVALID_QUERY',
          message: e.message,
          query: this.text,
          column: at + 1,
          expected: e.message.startsWith('unterminated') ? ']' : undefined,
          hint: 'write a literal [ as [[], a literal % as [%] and a literal _ as [_]',
        });
      }
      return { kind: 'like', property, pattern: { kind: 'string', value: p.text, start: p.start, end: p.end }, negated, start: property.start, end: p.end };
    }
    if (this.isKeyword(k, 'ISA')) {
      throw this.unsupported(k, 'ISA (embedded-object queries)');
    }
    throw this.err(`expected a comparison after ${property.name}, found ${this.describe(k)}`, k, {
      expected: '=, <>, !=, <, >, <=, >=, LIKE, NOT LIKE or IS [NOT] NULL',
    });
  }
}
