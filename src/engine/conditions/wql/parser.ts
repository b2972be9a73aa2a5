/**
 * The one WQL parser: recursive descent over lexer.ts's tokens into ast.ts's tree, for every
 * grammar of grammar.ts (task sequence conditions by default; the site's collection query rules
 * pass theirs). Keywords are case-insensitive, OR binds looser than AND, NOT may precede any
 * predicate, exactly one side of a comparison is a property. Constructs real WQL has but a
 * grammar cannot use (ASSOCIATORS OF, REFERENCES OF, WITHIN, GROUP, HAVING, ISA, KEYSONLY, event
 * and schema queries, embedded-object properties, and whatever the grammar adds) are refused with
 * WBEM_E_INVALID_QUERY and a hint; every limit of the grammar is checked while parsing, before
 * any work that grows with it. Every error names the column, what was expected there and, where
 * one helps, a hint.
 */
import type { WqlCompareOp, WqlConstant, WqlExpr, WqlPropertyRef, WqlQuery } from './ast.js';
import { digitCount, parseDecimal } from './decimal.js';
import { WqlError } from './errors.js';
import { CONDITION_GRAMMAR, type WqlGrammar } from './grammar.js';
import { tokenize, type Token } from './lexer.js';
import { LikePatternError, parseLikePattern } from './like.js';

export { CONDITION_GRAMMAR, MAX_WQL_DEPTH, WQL_KEYWORDS, type WqlGrammar, type WqlLimits } from './grammar.js';

const CONSTANT_EXPECTED = 'a string, number, TRUE or FALSE';

/** Parses `text` in `grammar` (task sequence conditions unless told); throws WqlError. */
export function parseWql(text: string, grammar: WqlGrammar = CONDITION_GRAMMAR): WqlQuery {
  const err = (message: string, column: number, hint?: string, query = text): WqlError =>
    new WqlError({ codeName: 'WBEM_E_INVALID_QUERY', message, query, column, hint });
  // Checked before tokenising: nothing that grows with an oversized text runs.
  const maxLength = grammar.limits.maxLength;
  if (maxLength !== undefined && text.length > maxLength) {
    const orIn = grammar.allowIn ? ', or use IN (…) instead of many ORs' : '';
    throw err(
      `the ${grammar.noun} is ${text.length} characters; ${grammar.context} has at most ${maxLength}`,
      maxLength + 1,
      `split it into ${grammar.splitInto}${orIn}`,
      text.slice(0, 100),
    );
  }
  const bad = grammar.textRule?.(text);
  if (bad) throw err(`the ${grammar.noun} ${bad.rule}`, bad.index + 1, bad.hint);
  // Checked before tokenising: their object paths ({Win32_LogicalDisk.DeviceID="C:"}) are not WQL-subset tokens.
  const m = /^(\s*)(ASSOCIATORS|REFERENCES)\b/i.exec(text);
  if (m) {
    throw new WqlError({
      codeName: 'WBEM_E_INVALID_QUERY',
      message: `${m[2].toUpperCase()} OF is not supported${grammar.unsupported.suffix}`,
      query: text,
      column: m[1].length + 1,
      length: m[2].length,
      hint: grammar.unsupported.hint,
    });
  }
  return new Parser(text, grammar).query();
}

export type WqlParseResult = { ok: true; query: WqlQuery } | { ok: false; error: WqlError };

/** parseWql without throwing; anything unexpected still comes back as a WqlError. */
export function tryParseWql(text: string, grammar: WqlGrammar = CONDITION_GRAMMAR): WqlParseResult {
  try {
    return { ok: true, query: parseWql(text, grammar) };
  } catch (e) {
    if (e instanceof WqlError) return { ok: false, error: e };
    return { ok: false, error: new WqlError({ codeName: 'WBEM_E_INVALID_QUERY', message: `cannot parse the query: ${String(e)}`, query: text }) };
  }
}

const startOf = (p: WqlPropertyRef): number => p.qualifier?.start ?? p.start;

class Parser {
  private readonly toks: Token[];
  private pos = 0;
  private depth = 0;
  private conditions = 0;
  private likeSets = 0;
  /** Qualifiers read before the class was known (the select list), checked against it after FROM. */
  private readonly qualifiers: NonNullable<WqlPropertyRef['qualifier']>[] = [];
  /** The FROM class once known (qualifiers in WHERE are checked against it as they are read). */
  private className?: string;
  private readonly g: WqlGrammar;
  /** `a property` / `an attribute`, for messages. */
  private readonly aName: string;
  private readonly names: string;

  constructor(
    private readonly text: string,
    grammar: WqlGrammar,
  ) {
    this.g = grammar;
    this.aName = grammar.nameNoun === 'attribute' ? 'an attribute' : 'a property';
    this.names = grammar.nameNoun === 'attribute' ? 'attributes' : 'properties';
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

  private isReserved(t: Token): boolean {
    return t.kind === 'ident' && this.g.keywords.has(t.text.toUpperCase());
  }

  private err(message: string, t: { start: number; end: number }, extra: { expected?: string; hint?: string } = {}): WqlError {
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
    return this.err(`${what} is not supported${this.g.unsupported.suffix}`, t, { hint: this.g.unsupported.hint });
  }

  private sameClass(a: string, b: string): boolean {
    return a.toLowerCase() === b.toLowerCase();
  }

  query(): WqlQuery {
    this.expectKeyword('SELECT');
    const select = this.selectList();
    this.expectKeyword('FROM');
    const classes = this.g.classes;
    const classExpected = classes ? classes.names.join(' or ') : 'a class name';
    const classTok = this.peek();
    if (classTok.kind !== 'ident') throw this.err(`expected a class name but found ${this.describe(classTok)}`, classTok, { expected: classExpected });
    if (this.isReserved(classTok)) {
      throw this.err(`${classTok.text} is a WQL keyword, not a class name`, classTok, { expected: classExpected });
    }
    if (classes && !classes.names.some((n) => this.sameClass(n, classTok.text))) {
      throw this.err(`${classes.readers} read ${classes.names.join(' or ')}, not ${classTok.text}`, classTok, { expected: classExpected, hint: classes.hint });
    }
    // Event and schema queries need a notification sink or return class definitions, not instances.
    if (/^__\w*event$/i.test(classTok.text) || /^meta_class$/i.test(classTok.text)) {
      throw this.unsupported(classTok, `the ${classTok.text} query (event or schema query)`);
    }
    this.next();
    for (const q of this.qualifiers) if (!this.sameClass(q.name, classTok.text)) throw this.notTheClass(q, classTok.text);
    if (this.peek().kind === 'comma') throw this.err('WQL queries one class at a time', this.peek(), { expected: 'WHERE or the end of the query' });
    if (this.peek().kind === 'dot') throw this.err('a class name cannot contain "."', this.peek(), { expected: 'WHERE or the end of the query' });
    this.rejectClause();
    let where: WqlExpr | undefined;
    if (this.isKeyword(this.peek(), 'WHERE')) {
      this.next();
      this.className = classTok.text;
      where = this.orExpr();
      this.rejectClause();
    }
    const end = this.peek();
    if (end.kind !== 'eof') {
      throw this.err(`unexpected ${this.describe(end)}`, end, { expected: where ? 'AND, OR or the end of the query' : 'WHERE or the end of the query' });
    }
    return { kind: 'select', select, className: classTok.text, classSpan: { start: classTok.start, end: classTok.end }, where, text: this.text };
  }

  private notTheClass(q: { name: string; start: number; end: number }, cls: string): WqlError {
    return this.err(`${q.name} is not ${cls}; ${this.g.context} reads one class`, q, { expected: cls, hint: this.g.qualifiedNames?.joinHint });
  }

  private rejectClause(): void {
    const t = this.peek();
    if (t.kind === 'ident' && this.g.unsupportedClauses.has(t.text.toUpperCase())) throw this.unsupported(t, t.text.toUpperCase());
  }

  private selectList(): '*' | WqlPropertyRef[] {
    if (this.peek().kind === 'star') {
      this.next();
      return '*';
    }
    const props: WqlPropertyRef[] = [this.property(true)];
    while (this.peek().kind === 'comma') {
      this.next();
      props.push(this.property(true));
    }
    return props;
  }

  /** `Name`, or in a grammar with qualified names `Class.Name` (and `Class.*` in the select list). */
  private property(inSelect = false): WqlPropertyRef {
    const t = this.peek();
    const expected = this.g.nameExpected;
    if (t.kind !== 'ident') throw this.err(`expected ${this.aName} name but found ${this.describe(t)}`, t, { expected });
    if (this.isReserved(t)) {
      throw this.err(`${t.text} is a WQL keyword, not ${this.aName} name`, t, {
        expected,
        hint: 'WQL has no way to quote a keyword used as a name',
      });
    }
    this.next();
    if (this.peek().kind !== 'dot') return { name: t.text, start: t.start, end: t.end };
    if (!this.g.qualifiedNames) {
      throw this.err('embedded-object properties (a.b) are not supported', this.peek(), { hint: this.g.unsupported.hint });
    }
    const qualifier = { name: t.text, start: t.start, end: t.end };
    // A join is refused as soon as it is read: in WHERE the class is known; in the select list the
    // grammar's classes may already exclude it, and the class of FROM is checked once read.
    const classes = this.g.classes?.names;
    if (this.className !== undefined) {
      if (!this.sameClass(t.text, this.className)) throw this.notTheClass(qualifier, this.className);
    } else {
      if (classes && !classes.some((n) => this.sameClass(n, t.text))) throw this.notTheClass(qualifier, classes.join(' or '));
      this.qualifiers.push(qualifier);
    }
    this.next();
    const p = this.peek();
    if (inSelect && p.kind === 'star') {
      this.next();
      return { name: '*', start: p.start, end: p.end, qualifier };
    }
    // After a dot a name cannot be read as anything else, so a keyword is a name there.
    if (p.kind !== 'ident')
      throw this.err(`expected ${this.aName} name after "${t.text}." but found ${this.describe(p)}`, p, { expected: `${this.aName} name` });
    this.next();
    return { name: p.text, start: p.start, end: p.end, qualifier };
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

  /** Enters one level of NOT or parentheses at `t`; refused beyond the grammar's maxDepth. */
  private enter(t: Token): void {
    const max = this.g.limits.maxDepth;
    if (++this.depth > max) {
      throw this.err(`the ${this.g.noun} nests deeper than ${max} levels of parentheses and NOT`, t, {
        hint: `simplify the ${this.g.noun}: NOT NOT cancels out, and parentheses around a single comparison are not needed`,
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

  /** The constant at the current token (isConstantStart holds); a number within the grammar's digits. */
  private constant(): WqlConstant {
    const t = this.next();
    const span = { start: t.start, end: t.end };
    if (t.kind === 'string') return { kind: 'string', value: t.text, ...span };
    if (t.kind === 'number') {
      const max = this.g.limits.maxNumberDigits;
      if (max !== undefined) {
        const d = parseDecimal(t.text);
        if (!d || digitCount(d) > max) {
          throw this.err(
            `the number ${t.text.length > 40 ? `${t.text.slice(0, 40)}…` : t.text} is out of range: a number in ${this.g.context} has at most ${max} digits`,
            t,
            {
              hint: 'write the number without such a large exponent',
            },
          );
        }
      }
      return { kind: 'number', text: t.text, value: Number(t.text), ...span };
    }
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

  /** NULL is tested with IS [NOT] NULL only; booleans are ordered only where the grammar says so. */
  private checkConstant(c: WqlConstant, op: WqlCompareOp, property: WqlPropertyRef): void {
    if (c.kind === 'null') {
      throw this.err('NULL can only be tested with IS NULL or IS NOT NULL', c, {
        expected: CONSTANT_EXPECTED,
        hint: `write "${property.name} IS ${op === '=' ? '' : 'NOT '}NULL"`,
      });
    }
    if (c.kind === 'boolean' && !this.g.orderBooleans && op !== '=' && op !== '<>' && op !== '!=') {
      throw this.err(`booleans can only be compared with =, <> or != (not ${op})`, c, { expected: '=, <> or !=' });
    }
  }

  /** One comparison (counted against the grammar's maxConditions). */
  private comparison(): WqlExpr {
    const t = this.peek();
    const max = this.g.limits.maxConditions;
    if (max !== undefined && ++this.conditions > max) {
      throw this.err(`the ${this.g.noun} has more than ${max} comparisons`, t, {
        hint: `${this.g.allowIn ? 'use IN (…) for a list of values, or ' : ''}split it into ${this.g.splitInto}`,
      });
    }
    if (this.isConstantStart(t)) {
      const value = this.constant();
      const op = this.compareOp();
      if (!op) {
        const n = this.peek();
        throw this.err(`expected a comparison operator after the constant, found ${this.describe(n)}`, n, {
          expected: '=, <>, !=, <, >, <= or >=',
          hint:
            this.isKeyword(n, 'LIKE') || this.isKeyword(n, 'IS') || (this.g.allowIn && this.isKeyword(n, 'IN'))
              ? `${n.text.toUpperCase()} needs the ${this.g.nameNoun} on the left`
              : undefined,
        });
      }
      const p = this.peek();
      if (this.isConstantStart(p)) throw this.err(`one side of a comparison must be ${this.aName}`, p, { expected: this.g.nameExpected });
      const property = this.property();
      this.checkConstant(value, op.op, property);
      return { kind: 'compare', property, op: op.op, value, constantFirst: true, start: value.start, end: property.end };
    }
    if (t.kind !== 'ident') {
      throw this.err(`expected ${this.aName} name but found ${this.describe(t)}`, t, { expected: `${this.g.nameExpected}, NOT or (` });
    }
    const property = this.property();
    const start = startOf(property);
    const op = this.compareOp();
    if (op) {
      const v = this.peek();
      if (v.kind === 'ident' && !this.isConstantStart(v)) {
        throw this.err(`comparing two ${this.names} is not supported`, v, {
          expected: 'a constant',
          hint: `WQL compares ${this.aName} with a constant value [D]`,
        });
      }
      if (!this.isConstantStart(v)) throw this.err(`expected a constant but found ${this.describe(v)}`, v, { expected: CONSTANT_EXPECTED });
      const value = this.constant();
      this.checkConstant(value, op.op, property);
      return { kind: 'compare', property, op: op.op, value, constantFirst: false, start, end: value.end };
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
      return { kind: 'isNull', property, negated, start, end: n.end };
    }
    let negated = false;
    if (this.isKeyword(k, 'NOT') && (this.isKeyword(this.peek(1), 'LIKE') || (this.g.allowIn && this.isKeyword(this.peek(1), 'IN')))) {
      this.next();
      negated = true;
    }
    const w = this.peek();
    if (this.isKeyword(w, 'LIKE')) {
      this.next();
      const pattern = this.likePattern();
      return { kind: 'like', property, pattern, negated, start, end: pattern.end };
    }
    if (this.g.allowIn && this.isKeyword(w, 'IN')) {
      this.next();
      return this.inList(property, negated, start);
    }
    if (this.isKeyword(w, 'ISA')) {
      throw this.unsupported(w, 'ISA (embedded-object queries)');
    }
    const inHint = !this.g.allowIn && (this.isKeyword(w, 'IN') || (this.isKeyword(w, 'NOT') && this.isKeyword(this.peek(1), 'IN')));
    throw this.err(`expected a comparison after ${property.name}, found ${this.describe(w)}`, w, {
      expected: this.g.allowIn ? '=, <>, !=, <, >, <=, >=, LIKE, IN or IS [NOT] NULL' : '=, <>, !=, <, >, <=, >=, LIKE, NOT LIKE or IS [NOT] NULL',
      hint: inHint ? `IN (…) is not supported in ${this.g.context}: write ${property.name} = … OR ${property.name} = …` : undefined,
    });
  }

  /** The string after LIKE, read once by parseLikePattern; its length and [sets] within the grammar's limits. */
  private likePattern(): WqlConstant & { kind: 'string' } {
    const p = this.peek();
    if (p.kind !== 'string') throw this.err(`LIKE needs a string pattern, found ${this.describe(p)}`, p, { expected: 'a string pattern' });
    this.next();
    const { maxLikePatternLength, maxLikeSets } = this.g.limits;
    if (maxLikePatternLength !== undefined && p.text.length > maxLikePatternLength) {
      throw this.err(`the LIKE pattern is ${p.text.length} characters; at most ${maxLikePatternLength}`, p, {
        hint: 'compare a shorter prefix or part of the value',
      });
    }
    let tokens;
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
    if (maxLikeSets !== undefined) {
      for (const tok of tokens) {
        if (tok.kind === 'set' && ++this.likeSets > maxLikeSets) {
          throw this.err(`the ${this.g.noun}'s LIKE patterns hold more than ${maxLikeSets} [sets]`, p, {
            hint: 'use fewer [sets]: _ matches any one character',
          });
        }
      }
    }
    return { kind: 'string', value: p.text, start: p.start, end: p.end };
  }

  /** `(c1, c2, …)` after IN: constants only (no NULL), at most the grammar's maxInValues. */
  private inList(property: WqlPropertyRef, negated: boolean, start: number): WqlExpr {
    const open = this.peek();
    if (open.kind !== 'lparen') throw this.err(`IN needs a list in parentheses, found ${this.describe(open)}`, open, { expected: '(' });
    this.next();
    const max = this.g.limits.maxInValues;
    const values = [this.inValue(property, negated)];
    while (this.peek().kind === 'comma') {
      const comma = this.next();
      if (max !== undefined && values.length >= max)
        throw this.err(`an IN list holds at most ${max} values`, comma, { hint: `split the list over ${this.g.splitInto}` });
      values.push(this.inValue(property, negated));
    }
    const close = this.peek();
    if (close.kind !== 'rparen') throw this.err(`expected , or ) in the IN list but found ${this.describe(close)}`, close, { expected: ', or )' });
    this.next();
    return { kind: 'in', property, values, negated, start, end: close.end };
  }

  private inValue(property: WqlPropertyRef, negated: boolean): WqlConstant {
    const t = this.peek();
    if (!this.isConstantStart(t)) throw this.err(`expected a constant but found ${this.describe(t)}`, t, { expected: CONSTANT_EXPECTED });
    const c = this.constant();
    this.checkConstant(c, negated ? '<>' : '=', property);
    return c;
  }
}
