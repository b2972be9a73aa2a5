/**
 * What lint can know about a condition without a machine: the variable tests that must all hold
 * for it to be true (the top-level AND chain, engine-semantics §4), and the value domains of the
 * built-in variables whose values are fixed by the engine (engine-semantics §10).
 */
import type { Condition, ConditionExpression, ConditionNode } from '../model/task-sequence.js';

export interface VariableTest {
  variable: string;
  operator: string;
  value: string;
  expression: ConditionExpression;
}

export const VARIABLE_EXPRESSION = 'SMS_TaskSequence_VariableConditionExpression';

export const VARIABLE_OPERATORS = ['exists', 'notexists', 'equals', 'notequals', 'less', 'lessequal', 'greater', 'greaterequal'];

export function propertyOf(ex: ConditionExpression, name: string): string | undefined {
  const lower = name.toLowerCase();
  return ex.properties.find((p) => p.name.toLowerCase() === lower)?.value;
}

export function variableTestOf(ex: ConditionExpression): VariableTest | undefined {
  if (ex.type !== VARIABLE_EXPRESSION) return undefined;
  return {
    variable: (propertyOf(ex, 'Variable') ?? '').trim(),
    operator: (propertyOf(ex, 'Operator') ?? '').trim(),
    value: (propertyOf(ex, 'Value') ?? '').trim(),
    expression: ex,
  };
}

/** Tests that must all be true for the condition to be true (operands and nested `and`s). */
export function requiredTests(condition: Condition | undefined): VariableTest[] {
  const out: VariableTest[] = [];
  const visit = (nodes: ConditionNode[]): void => {
    for (const n of nodes) {
      if (n.kind === 'expression') {
        const t = variableTestOf(n);
        if (t) out.push(t);
      } else if (n.kind === 'operator' && n.operator.toLowerCase() === 'and') visit(n.operands);
    }
  };
  if (condition) visit(condition.operands);
  return out;
}

/**
 * Every node of the condition in document order (pre-order), without recursion. The stack holds
 * the nodes still to visit in reverse, so each step is a pop and a push per child (shift/unshift
 * would make a condition with many operands quadratic, and spreading them can overflow the stack).
 */
function* allNodes(condition: Condition | undefined): Generator<ConditionNode> {
  const stack: ConditionNode[] = [];
  const pushReversed = (nodes: ConditionNode[]): void => {
    for (let i = nodes.length - 1; i >= 0; i--) stack.push(nodes[i]);
  };
  if (condition) pushReversed(condition.operands);
  while (stack.length) {
    const n = stack.pop()!;
    yield n;
    if (n.kind === 'operator') pushReversed(n.operands);
  }
}

/** Every expression anywhere in the condition, in document order. */
export function* allExpressions(condition: Condition | undefined): Generator<ConditionExpression> {
  for (const n of allNodes(condition)) if (n.kind === 'expression') yield n;
}

export function* allOperators(condition: Condition | undefined): Generator<ConditionNode & { kind: 'operator' }> {
  for (const n of allNodes(condition)) if (n.kind === 'operator') yield n;
}

/** Is the condition made of nothing but the given tests (so it is false exactly when one of them is)? */
export function isOnlyVariableTests(condition: Condition | undefined): boolean {
  if (!condition) return true;
  const ok = (nodes: ConditionNode[]): boolean =>
    nodes.every(
      (n) => (n.kind === 'expression' && n.type === VARIABLE_EXPRESSION) || (n.kind === 'operator' && n.operator.toLowerCase() === 'and' && ok(n.operands)),
    );
  return ok(condition.operands);
}

const BOOLEAN = ['true', 'false'];

/**
 * Values the engine itself gives these variables (engine-semantics §10). Case-insensitive.
 * `_SMSTSMediaType`'s boot-media and PXE spellings are only described informally (spec §11.10):
 * we use the names in Microsoft's variable reference.
 */
export const VARIABLE_DOMAINS: Record<string, string[]> = {
  _smstsinwinpe: BOOLEAN,
  _smstsbootuefi: BOOLEAN,
  _smstslastactionsucceeded: BOOLEAN,
  _smstsuserstarted: BOOLEAN,
  _smstsdownloadondemand: BOOLEAN,
  _smstsrunfromdp: BOOLEAN,
  _smstsusessl: BOOLEAN,
  _smstsusecrl: BOOLEAN,
  _smstswtg: BOOLEAN,
  _smstssetuprollback: BOOLEAN,
  _osdmigrateusehardlinks: BOOLEAN,
  _smststype: ['1', '2'],
  _smstslaunchmode: ['SMS', 'UFD', 'UFD+FORMAT', 'CD', 'DVD', 'PXE', 'HD'],
  _smstsmediatype: ['BootMedia', 'FullMedia', 'PXE', 'OEMMedia'],
  _tssecureboot: ['NA', 'Enabled', 'Disabled'],
};

export function domainOf(variable: string): string[] | undefined {
  return VARIABLE_DOMAINS[variable.toLowerCase()];
}

/** Which environments a set of required tests allows, judged by `_SMSTSInWinPE`. */
export function environmentsAllowed(tests: VariableTest[]): { winpe: boolean; fullos: boolean } {
  let winpe = true;
  let fullos = true;
  for (const t of tests) {
    if (t.variable.toLowerCase() !== '_smstsinwinpe') continue;
    const v = t.value.toLowerCase();
    const op = t.operator.toLowerCase();
    if (op === 'equals') {
      if (v === 'true') fullos = false;
      else if (v === 'false') winpe = false;
    } else if (op === 'notequals') {
      if (v === 'true') winpe = false;
      else if (v === 'false') fullos = false;
    }
  }
  return { winpe, fullos };
}
