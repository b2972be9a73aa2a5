/**
 * WMI query conditions (conditions-wql §1): true iff the query returns at least one instance.
 * The Query is NOT %VAR%-expanded (§1: `%` is also the LIKE wildcard). An empty Namespace means
 * root\cimv2 [I].
 */
import type { CimValue } from '../../inventory.js';
import type { ConditionExpression } from '../../../sequence/model/task-sequence.js';
import { prop } from '../compare.js';
import type { ConditionContext, ExpressionProblem, ExpressionResult } from '../types.js';
import { checkWqlAgainstCatalog, evaluateWql, normaliseNamespace, type WqlResult } from '../wql/evaluate.js';
import { WqlError } from '../wql/errors.js';
import { tryParseWql } from '../wql/parser.js';
import { SMART_QUOTE_HINT } from '../wql/lexer.js';

export function formatCimValue(v: CimValue | undefined): string {
  if (v === null || v === undefined) return 'NULL';
  if (Array.isArray(v)) return `[${v.map((x) => formatCimValue(x)).join(', ')}]`;
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

export function wqlProblem(e: WqlError): ExpressionProblem {
  const construct = e.codeName === 'WBEM_E_INVALID_NAMESPACE' ? 'WMI namespace' : e.codeName === 'WBEM_E_INVALID_CLASS' ? 'WMI class' : 'WQL query';
  const rule =
    e.hint === SMART_QUOTE_HINT
      ? 'WQL_SMART_QUOTES'
      : construct === 'WQL query'
        ? /has no property/.test(e.message)
          ? 'WQL_UNKNOWN_PROPERTY'
          : 'WQL_SYNTAX'
        : undefined;
  return {
    construct,
    message: `${e.codeHex} ${e.codeName}${e.column !== undefined ? ` at column ${e.column}` : ''}: ${e.message}`,
    hint: e.hint,
    code: e.code,
    codeName: e.codeName,
    column: e.column,
    expected: e.expected,
    rule,
  };
}

/** Static problems: no query, syntax, remote namespace, constants of the wrong type for a catalogued class. */
export function checkWmi(ex: ConditionExpression): ExpressionProblem[] {
  const query = prop(ex, 'Query');
  if (!query || !query.trim())
    return [{ construct: 'WQL query', message: 'the WMI condition has no query', hint: 'set Query to a SELECT statement', rule: 'WQL_SYNTAX' }];
  const parsed = tryParseWql(query);
  if (!parsed.ok) return [wqlProblem(parsed.error)];
  const ns = normaliseNamespace(prop(ex, 'Namespace') ?? '');
  if (ns instanceof WqlError) return [wqlProblem(ns)];
  const cat = checkWqlAgainstCatalog(ns, parsed.query, { unknownProperty: 'warn' });
  return cat.error ? [wqlProblem(cat.error)] : [];
}

function propertyList(r: WqlResult, inst: Record<string, CimValue>): string {
  const names: string[] = [];
  const q = r.query;
  const want = new Set<string>();
  if (q?.where) {
    const visit = (e: NonNullable<typeof q.where>): void => {
      if (e.kind === 'and' || e.kind === 'or') e.operands.forEach(visit);
      else if (e.kind === 'not') visit(e.operand);
      else want.add(e.property.name.toLowerCase());
    };
    visit(q.where);
  }
  for (const [k, v] of Object.entries(inst)) {
    if (want.size ? want.has(k.toLowerCase()) : names.length < 3) names.push(`${k} ${formatCimValue(v)}`);
  }
  return names.join(', ');
}

export function describeWqlResult(r: WqlResult): string {
  const cls = r.className ?? 'the class';
  if (r.error) return `WMI error ${wqlProblem(r.error).message}`;
  const warn = r.warnings.length ? `; note: ${r.warnings.join('; ')}` : '';
  if (r.matched && r.instance) {
    const props = propertyList(r, r.instance);
    return `${cls} instance matched${props ? `: ${props}` : ''}${warn}`;
  }
  if (r.instanceCount === 0) return `${r.namespace} has no ${cls} instances on this machine${warn}`;
  const m = r.nearestMiss;
  const many = r.instanceCount > 1 ? `none of ${r.instanceCount} ${cls} instances matches; nearest: ` : '';
  if (!m) return `no ${cls} instance matches${warn}`;
  return `${many}${cls}.${m.property} is ${formatCimValue(m.actual)}, which fails ${m.failedPredicate}${warn}`;
}

export function evaluateWmi(ex: ConditionExpression, ctx: ConditionContext): ExpressionResult {
  const query = prop(ex, 'Query');
  if (!query || !query.trim()) {
    const errors = checkWmi(ex);
    return { value: false, observed: errors[0].message, errors };
  }
  const r = evaluateWql(prop(ex, 'Namespace') ?? '', query, ctx.inventory, ctx.options);
  const observed = describeWqlResult(r);
  if (r.error) return { value: false, observed, errors: [wqlProblem(r.error)], wql: r };
  return { value: r.matched, observed, wql: r };
}
