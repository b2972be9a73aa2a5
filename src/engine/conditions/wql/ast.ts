/**
 * The AST of the WQL subset task sequence conditions use (conditions-wql §2.1). Every node records
 * where it came from (`start`/`end`: 0-based offsets into the query text, end exclusive) so the
 * evaluator can quote the exact predicate that failed; `printWql` ignores positions.
 */

export interface Span {
  start: number;
  end: number;
}

export interface WqlPropertyRef extends Span {
  /** As written (property names are case-insensitive). */
  name: string;
}

export type WqlCompareOp = '=' | '<>' | '!=' | '<' | '>' | '<=' | '>=';

export type WqlConstant =
  | ({ kind: 'string'; value: string } & Span)
  /** `text` keeps the literal as written so 64-bit integers stay exact (§2.3). */
  | ({ kind: 'number'; text: string; value: number } & Span)
  | ({ kind: 'boolean'; value: boolean } & Span)
  | ({ kind: 'null' } & Span);

export type WqlExpr = WqlOr | WqlAnd | WqlNot | WqlCompare | WqlIsNull | WqlLike;

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

/** Every property the query names (select list first, then WHERE), in order of appearance. */
export function propertiesOf(q: WqlQuery): WqlPropertyRef[] {
  const out: WqlPropertyRef[] = q.select === '*' ? [] : [...q.select];
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
