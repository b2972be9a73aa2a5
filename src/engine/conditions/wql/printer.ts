/**
 * Prints a WQL AST back as query text: canonical keyword case, single spaces, parentheses only
 * where the tree needs them, strings in single quotes with `\` and `'` escaped. `parseWql(printWql(q))`
 * gives the same tree (positions aside), in the grammar it was parsed in.
 */
import type { WqlConstant, WqlExpr, WqlPropertyRef, WqlQuery } from './ast.js';

export function printWql(q: WqlQuery): string {
  const select = q.select === '*' ? '*' : q.select.map(printWqlProperty).join(', ');
  return `SELECT ${select} FROM ${q.className}${q.where ? ` WHERE ${printWqlExpr(q.where)}` : ''}`;
}

/** `Name`, or `Class.Name` as written. */
export function printWqlProperty(p: WqlPropertyRef): string {
  return p.qualifier ? `${p.qualifier.name}.${p.name}` : p.name;
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
        ? `${printWqlConstant(e.value)} ${e.op} ${printWqlProperty(e.property)}`
        : `${printWqlProperty(e.property)} ${e.op} ${printWqlConstant(e.value)}`;
    case 'isNull':
      return `${printWqlProperty(e.property)} IS ${e.negated ? 'NOT ' : ''}NULL`;
    case 'like':
      return `${printWqlProperty(e.property)} ${e.negated ? 'NOT ' : ''}LIKE ${printWqlConstant(e.pattern)}`;
    case 'in':
      return `${printWqlProperty(e.property)} ${e.negated ? 'NOT ' : ''}IN (${e.values.map(printWqlConstant).join(', ')})`;
  }
}
