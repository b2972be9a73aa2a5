/**
 * Evaluates a step's or group's `<condition>` (engine-semantics §4, task-sequence-format §6): the
 * top-level operands are AND-ed; `and`/`or` as usual with empty and ⇒ true and empty or ⇒ false;
 * `not` with several operands is NOT(AND(operands)). Every operand is evaluated (no short
 * circuit — conditions have no side effects and the trace should show everything). Anything that
 * cannot be evaluated (bad WQL, unknown expression type or operator, unparsed XML) is false,
 * never true, and is reported in `errors`.
 */
import { describeConditionNode } from '../../sequence/condition/describe.js';
import type { Condition, ConditionExpression, ConditionNode, ConditionOperator, RawXml } from '../../sequence/model/task-sequence.js';
import { expressionKind, KNOWN_EXPRESSION_TYPES } from './expressions/kinds.js';
import type { ConditionContext, ConditionError, ConditionOutcome, ExpressionProblem, ExpressionTrace } from './types.js';

export const LOGICAL_OPERATORS = ['and', 'or', 'not'];

/**
 * Comments (and whitespace) inside a condition carry no meaning. Trimmed, that is empty or from a
 * `<!--` to a `-->` — the language of /^\s*(<!--[\s\S]*?-->\s*)*$/, tested without that regex's
 * exponential backtracking on `<!---->` repeated and then other text (a raw node from JSON).
 */
export function isIgnorableRaw(node: RawXml): boolean {
  const t = node.xml.trim();
  return t === '' || (t.length >= 7 && t.startsWith('<!--') && t.endsWith('-->'));
}

export function rawElementName(node: RawXml): string | undefined {
  return /^\s*<([A-Za-z_][\w:.-]*)/.exec(node.xml)?.[1];
}

/** The problem of an unparsed XML node, with a hint for the one we know (osConditionGroup, §6.5). */
export function rawProblem(node: RawXml): ExpressionProblem {
  const el = rawElementName(node);
  if (el?.toLowerCase() === 'osconditiongroup') {
    return {
      construct: 'raw XML',
      message: 'the ConfigMgr operating system version condition (<osConditionGroup>) is not supported yet',
      hint: 'replace it with a WMI condition on Win32_OperatingSystem, e.g. SELECT * FROM Win32_OperatingSystem WHERE Version LIKE "10.0%" AND ProductType = 1',
    };
  }
  return {
    construct: 'raw XML',
    message: el ? `unrecognised <${el}> element in the condition` : 'unrecognised content in the condition',
    hint: 'a condition holds <operator> and <expression> elements only',
  };
}

export function unknownTypeProblem(ex: ConditionExpression): ExpressionProblem {
  return {
    construct: 'expression type',
    message: ex.type.trim() ? `unknown condition expression type "${ex.type.trim()}"` : 'the expression has no type',
    hint: `known types: ${KNOWN_EXPRESSION_TYPES.join(', ')}`,
  };
}

export function unknownOperatorProblem(op: ConditionOperator): ExpressionProblem {
  return {
    construct: 'logical operator',
    message: op.operator.trim() ? `unknown logical operator "${op.operator.trim()}"` : 'the operator has no type',
    hint: 'use and, or or not',
  };
}

class Evaluation {
  readonly trace: ExpressionTrace[] = [];
  readonly errors: ConditionError[] = [];

  constructor(private readonly ctx: ConditionContext) {}

  private text(node: ConditionNode): string {
    try {
      return describeConditionNode(node);
    } catch {
      return node.kind === 'raw' ? node.xml : node.kind;
    }
  }

  private fail(entry: ExpressionTrace, problems: ExpressionProblem[]): void {
    for (const p of problems) {
      const e: ConditionError = { ...p, text: entry.text, path: entry.path, severity: 'error' };
      this.errors.push(e);
      entry.error ??= e;
    }
  }

  /** undefined: the node is a comment and does not count as an operand. */
  node(node: ConditionNode, path: number[], depth: number): boolean | undefined {
    if (node.kind === 'raw') {
      if (isIgnorableRaw(node)) return undefined;
      const p = rawProblem(node);
      const entry: ExpressionTrace = {
        path,
        depth,
        kind: 'raw',
        type: rawElementName(node) ?? 'raw',
        text: this.text(node),
        result: false,
        observed: p.message,
      };
      this.trace.push(entry);
      this.fail(entry, [p]);
      return false;
    }
    if (node.kind === 'operator') return this.operator(node, path, depth);
    return this.expression(node, path, depth);
  }

  /** Values of the operands, comments left out. */
  operands(nodes: ConditionNode[], path: number[], depth: number): boolean[] {
    const out: boolean[] = [];
    nodes.forEach((n, i) => {
      const v = this.node(n, [...path, i], depth);
      if (v !== undefined) out.push(v);
    });
    return out;
  }

  private operator(op: ConditionOperator, path: number[], depth: number): boolean {
    const type = op.operator.trim().toLowerCase();
    const entry: ExpressionTrace = { path, depth, kind: 'operator', type, text: this.text(op), result: false, observed: '' };
    this.trace.push(entry);
    if (!LOGICAL_OPERATORS.includes(type)) {
      const p = unknownOperatorProblem(op);
      entry.observed = p.message;
      this.fail(entry, [p]);
      return false;
    }
    const values = this.operands(op.operands, path, depth + 1);
    const trues = values.filter(Boolean).length;
    if (type === 'and') {
      entry.result = trues === values.length;
      entry.observed = values.length === 0 ? 'an empty AND is true' : `${trues} of ${values.length} operands true`;
    } else if (type === 'or') {
      entry.result = trues > 0;
      entry.observed = values.length === 0 ? 'an empty OR is false' : `${trues} of ${values.length} operands true`;
    } else {
      // NOT with several operands is NOT(AND(operands)) (task-sequence-format §6).
      entry.result = trues !== values.length;
      entry.observed =
        values.length === 0
          ? 'an empty NOT is false (NOT of an empty AND)'
          : values.length === 1
            ? `its operand is ${values[0]}`
            : `${trues} of ${values.length} operands true`;
    }
    return entry.result;
  }

  private expression(ex: ConditionExpression, path: number[], depth: number): boolean {
    const kind = expressionKind(ex.type);
    const entry: ExpressionTrace = { path, depth, kind: 'expression', type: kind?.kind ?? ex.type.trim(), text: this.text(ex), result: false, observed: '' };
    this.trace.push(entry);
    if (!kind) {
      const p = unknownTypeProblem(ex);
      entry.observed = p.message;
      this.fail(entry, [p]);
      return false;
    }
    let r;
    try {
      r = kind.evaluate(ex, this.ctx);
    } catch (e) {
      // Defensive: the engine loop must get an answer, not an exception.
      r = {
        value: false,
        observed: `evaluation failed: ${String(e)}`,
        errors: [{ construct: 'expression' as const, message: `evaluation failed: ${String(e)}` }],
      };
    }
    // An expression that could not be evaluated is false, never true (engine-semantics §4).
    entry.result = r.errors?.length ? false : r.value;
    entry.observed = r.observed;
    if (r.wql) entry.wql = r.wql;
    if (r.errors?.length) this.fail(entry, r.errors);
    return entry.result;
  }
}

/** Evaluates a condition; no condition (or no operands) is true. Never throws. */
export function evaluateCondition(condition: Condition | undefined, ctx: ConditionContext): ConditionOutcome {
  if (!condition) return { value: true, trace: [], errors: [] };
  const ev = new Evaluation(ctx);
  const values = ev.operands(condition.operands, [], 0);
  let value = values.every(Boolean);
  if (ctx.options?.onError === 'condition' && ev.errors.length) value = false;
  return { value, trace: ev.trace, errors: ev.errors };
}

// ---------------------------------------------------------------- explanations

interface Node {
  entry: ExpressionTrace;
  children: Node[];
}

function treeOf(trace: ExpressionTrace[]): Node[] {
  const roots: Node[] = [];
  const stack: Node[] = [];
  for (const entry of trace) {
    const node: Node = { entry, children: [] };
    while (stack.length && stack[stack.length - 1].entry.depth >= entry.depth) stack.pop();
    (stack.length ? stack[stack.length - 1].children : roots).push(node);
    stack.push(node);
  }
  return roots;
}

function leafWords(e: ExpressionTrace): string {
  if (e.error) return `${e.text} cannot be evaluated (${e.error.message}), which counts as false`;
  return `${e.text} is ${e.result} (${e.observed})`;
}

function explainNode(n: Node): string {
  const e = n.entry;
  if (e.kind !== 'operator' || e.error) return leafWords(e);
  if (e.type === 'and') {
    const f = n.children.find((c) => !c.entry.result);
    return f ? explainNode(f) : `${e.text} is ${e.result}`;
  }
  if (e.type === 'or') {
    if (!n.children.length) return 'an empty OR is always false';
    return `none of these is true: ${n.children.map(explainNode).join('; ')}`;
  }
  // not: its operands were all true.
  if (!n.children.length) return 'an empty NOT is always false';
  return `NOT is false because ${n.children.map((c) => leafWords(c.entry)).join('; ')}`;
}

/**
 * The first decisive false part of a false condition, in words, e.g.
 * `_SMSTSInWinPE equals "false" is false (_SMSTSInWinPE is "true")`.
 */
export function explainFalse(outcome: ConditionOutcome): string {
  if (outcome.value) return 'the condition is true';
  const roots = treeOf(outcome.trace);
  const f = roots.find((r) => !r.entry.result);
  if (f) return explainNode(f);
  // Every operand was true: only onError 'condition' can make that false.
  const e = outcome.errors[0];
  return e ? `${e.text} cannot be evaluated (${e.message})` : 'the condition is false';
}
