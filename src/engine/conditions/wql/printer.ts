/**
 * Prints a WQL AST back as query text: canonical keyword case, single spaces, parentheses only
 * where the tree needs them, strings in single quotes with `\` and `'` escaped. `parseWql(printWql(q))`
 * gives the same tree (positions aside).
 */
import type { WqlConstant, WqlExpr, WqlQuery } from './ast.js';

export function printWql(q: WqlQuery): string {
  const select = q.select === '*' ? '*' : q.select.map((p) => p.name).join(', ');
  return `SELECT ${select} FROM ${q.className}${q.where ? ` WHERE ${printWqlExpr(q.where)}` : ''}`;
}

export function printWqlConstant(c: WqlConstant): string {
  switch (c.kind) {
    case 'string':
      return `'${c.value.replace(/[\\']/g, (m) => `\\${m}`)}'`;
    case 'number':
      return c.text;
    case 'boolean':
      return c.value ? 'TRUE' : 'FALSE';
    case 'null':
      return 'NULL';
  }
}

export function printWqlExpr(e: WqlExpr): string {
  switch (e.kind) {
    case 'or':
      // A nested OR only exists when it was parenthesised; keep it that way.
      return e.operands.map((o) => (o.kind === 'or' ? `(${printWqlExpr(o)})` : printWqlExpr(o))).join(' OR ');
    case 'and':
      return e.operands.map((o) => (o.kind === 'or' || o.kind === 'and' ? `(${printWqlExpr(o)})` : printWqlExpr(o))).join(' AND ');
    case 'not':
      return `NOT ${e.operand.kind === 'or' || e.operand.kind === 'and' ? `(${printWqlExpr(e.operand)})` : printWqlExpr(e.operand)}`;
    case 'compare':
      return e.constantFirst
        ? `${printWqlConstant(e.value)} ${e.op} ${e.property.name}`
        : `${e.property.name} ${e.op} ${printWqlConstant(e.value)}`;
    case 'isNull':
      return `${e.property.name} IS ${e.negated ? 'NOT ' : ''}NULL`;
    case 'like':
      return `${e.property.name} ${e.negated ? 'NOT ' : ''}LIKE ${printWqlConstant(e.pattern)}`;
  }
}
