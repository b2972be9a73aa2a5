/**
 * The AST of the WQL subset task sequence conditions and collection query rules use
 * (conditions-wql §2.1, osd-features §3.1); one AST for both grammars (grammar.ts). Every node records
 * where it came from (`start`/`end`: 0-based offsets into the query text, end exclusive) so the
 * evaluator can quote the exact predicate that failed; `printWql` ignores positions.
 */

export interface Span {
  start: number;
  end: number;
}

export interface WqlPropertyRef extends Span {
  /**
   * As written (property names are case-insensitive). `*` only in a select list, as `Class.*`.
   * The span is the name's alone, after any qualifier.
   */
  name: string;
  /** `SMS_R_System.Name`: the class written before the dot (grammars with qualifiedNames only). */
  qualifier?: { name: string } & Span;
}

export type WqlCompareOp = '=' | '<>' | '!=' | '<' | '>' | '<=' | '>=';

export type WqlConstant =
  | ({ kind: 'string'; value: string } & Span)
  /** `text` keeps the literal as written so 64-bit integers stay exact (§2.3). */
  | ({ kind: 'number'; text: string; value: number } & Span)
  | ({ kind: 'boolean'; value: boolean } & Span)
  | ({ kind: 'null' } & Span);

export type WqlExpr = WqlOr | WqlAnd | WqlNot | WqlCompare | WqlIsNull | WqlLike | WqlIn;

export interface WqlOr extends Span {
  kind: 'or';
  operands: WqlExpr[];
}

export interface WqlAnd extends Span {
  kind: 'and';
  operands: WqlExpr[];
}

export interface WqlNot extends Span {
  kind: 'not';
  operand: WqlExpr;
}

export interface WqlCompare extends Span {
  kind: 'compare';
  property: WqlPropertyRef;
  op: WqlCompareOp;
  value: WqlConstant;
  /** `3 = DriveType`: the constant was written first; `op` is kept as written. */
  constantFirst: boolean;
}

export interface WqlIsNull extends Span {
  kind: 'isNull';
  property: WqlPropertyRef;
  /** `IS NOT NULL` */
  negated: boolean;
}

export interface WqlLike extends Span {
  kind: 'like';
  property: WqlPropertyRef;
  pattern: WqlConstant & { kind: 'string' };
  /** `prop NOT LIKE 'x'` (as opposed to `NOT prop LIKE 'x'`, which is a WqlNot). */
  negated: boolean;
}

/** `prop [NOT] IN (c1, c2, …)` (grammars with allowIn only): true when the value equals one of the constants. */
export interface WqlIn extends Span {
  kind: 'in';
  property: WqlPropertyRef;
  /** Never NULL (the parser refuses it). */
  values: WqlConstant[];
  negated: boolean;
}

export interface WqlQuery {
  kind: 'select';
  /** `'*'` or the listed properties. */
  select: '*' | WqlPropertyRef[];
  className: string;
  classSpan: Span;
  where?: WqlExpr;
  /** The query text that was parsed. */
  text: string;
}

/** Every property the query names (select list first, then WHERE), in order of appearance; not `Class.*`. */
export function propertiesOf(q: WqlQuery): WqlPropertyRef[] {
  const out: WqlPropertyRef[] = q.select === '*' ? [] : q.select.filter((p) => p.name !== '*');
  const visit = (e: WqlExpr): void => {
    switch (e.kind) {
      case 'or':
      case 'and':
        e.operands.forEach(visit);
        break;
      case 'not':
        visit(e.operand);
        break;
      default:
        out.push(e.property);
    }
  };
  if (q.where) visit(q.where);
  return out;
}

/** The comparison with the property on the left: `3 < x` means `x > 3`. */
export function normalisedOp(c: WqlCompare): WqlCompareOp {
  if (!c.constantFirst) return c.op;
  switch (c.op) {
    case '<':
      return '>';
    case '>':
      return '<';
    case '<=':
      return '>=';
    case '>=':
      return '<=';
    default:
      return c.op;
  }
}
