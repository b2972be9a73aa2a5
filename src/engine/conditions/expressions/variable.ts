/**
 * Task sequence variable conditions (engine-semantics §4, task-sequence-format §6): operator
 * names case-insensitive; `exists` ⇔ set and non-empty (Value ignored); comparisons against the
 * trimmed Value, an unset variable comparing as the empty string; integers and versions compare
 * numerically (compare.ts).
 */
import type { ConditionExpression } from '../../../sequence/model/task-sequence.js';
import { COMPARISON_NAMES, comparisonOperator, compareText, compareValues, prop, quote } from '../compare.js';
import type { ConditionContext, ExpressionProblem, ExpressionResult } from '../types.js';

export const VARIABLE_OPERATORS = ['exists', 'notExists', ...COMPARISON_NAMES];

export function checkVariable(ex: ConditionExpression): ExpressionProblem[] {
  const out: ExpressionProblem[] = [];
  if (!(prop(ex, 'Variable') ?? '').trim()) {
    out.push({
      construct: 'expression',
      message: 'the variable condition names no variable',
      hint: 'set the Variable property to the task sequence variable to test',
    });
  }
  const op = (prop(ex, 'Operator') ?? '').trim();
  const lower = op.toLowerCase();
  if (lower !== 'exists' && lower !== 'notexists' && !comparisonOperator(op)) {
    out.push({
      construct: 'operator',
      message: op ? `unknown variable condition operator "${op}"` : 'the variable condition has no operator',
      hint: `use one of ${VARIABLE_OPERATORS.join(', ')}${lower === 'like' ? ' (like is not a ConfigMgr operator)' : ''}`,
    });
  }
  return out;
}

export function evaluateVariable(ex: ConditionExpression, ctx: ConditionContext): ExpressionResult {
  const errors = checkVariable(ex);
  if (errors.length) return { value: false, observed: errors[0].message, errors };
  const name = prop(ex, 'Variable')!.trim();
  const opText = prop(ex, 'Operator')!.trim().toLowerCase();
  const actual = ctx.variable(name);
  const shown = actual === undefined ? undefined : ctx.isSecret?.(name) ? '********' : actual;
  const seen = shown === undefined ? `${name} is not set` : `${name} is ${quote(shown)}`;
  if (opText === 'exists' || opText === 'notexists') {
    // Setting a variable to "" deletes it (§4), so "set but empty" counts as not existing.
    const exists = actual !== undefined && actual !== '';
    return { value: opText === 'exists' ? exists : !exists, observed: seen };
  }
  const op = comparisonOperator(opText)!;
  const expected = (prop(ex, 'Value') ?? '').trim();
  const { result, mode } = compareValues(actual ?? '', expected, op);
  // Say how it compared when that decided the answer: ordering, or equality that text would have answered differently.
  const notable =
    mode !== 'text' && ((op !== 'equals' && op !== 'notEquals') || (compareText(actual ?? '', expected) === 0) !== (op === 'equals' ? result : !result));
  return { value: result, observed: notable ? `${seen} (compared as ${mode}s)` : seen };
}
