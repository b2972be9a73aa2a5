/**
 * Building blocks for the wizard's generated task sequence: a step of a catalog type with
 * ConfigMgr 3.10's attribute conventions, variable conditions, groups. Spec: task-sequence-format
 * §4, §6, §9; osd-features §1.4.
 */
import { writeSettings, type StepTypeDefinition } from '../../catalog/index.js';
import type { Condition, ConditionExpression, Group, RunIn, SequenceItem, Step } from '../../model/task-sequence.js';

export interface StepOptions {
  description?: string;
  condition?: Condition;
  /** Overrides the catalog's runIn where ConfigMgr 3.10 writes something else (e.g. Release State Store). */
  runIn?: RunIn;
}

/**
 * A step as ConfigMgr 3.10 saves it (task-sequence-format §4, §9): `description=""` present,
 * runIn, successCodeList, retryCount (0, or 2 for Install Application / Install Software Updates)
 * and runFromNet="false" on every step; false disable/continueOnError left out. Variables, their
 * order, property names, hidden flags and the `<action>` come from the catalog (writeSettings).
 */
export function catalogStep<S>(type: StepTypeDefinition<S>, name: string, settings: S, options: StepOptions = {}): Step {
  const step: Step = {
    kind: 'step',
    type: type.type,
    name,
    description: options.description ?? '',
    runIn: options.runIn ?? type.runIn,
    successCodeList: type.successCodes,
    retryCount: type.retryCount ?? 0,
    runFromNet: false,
  };
  if (options.condition) step.condition = options.condition;
  return writeSettings(step, settings, type);
}

export function group(name: string, description: string, items: SequenceItem[], condition?: Condition): Group {
  const g: Group = { kind: 'group', name, description, items };
  if (condition) g.condition = condition;
  return g;
}

/**
 * A task sequence variable test. Properties in ConfigMgr's order (Operator, Value, Variable), and
 * no Value for exists/notExists [E: 19H2 export, osd-features §1.5].
 */
export function variableTest(variable: string, operator: string, value?: string): ConditionExpression {
  const properties = [{ name: 'Operator', value: operator }];
  if (value !== undefined) properties.push({ name: 'Value', value });
  properties.push({ name: 'Variable', value: variable });
  return { kind: 'expression', type: 'SMS_TaskSequence_VariableConditionExpression', properties };
}

/** One `<condition>`: its expressions are AND-ed (task-sequence-format §6). */
export function allOf(...expressions: ConditionExpression[]): Condition {
  return { operands: expressions };
}

/** Marks the named variables secret: kept in the model, written empty by every exporter. */
export function markSecret(step: Step, ...names: string[]): Step {
  const lower = names.map((n) => n.toLowerCase());
  return {
    ...step,
    variables: (step.variables ?? []).map((v) => (lower.includes(v.name.toLowerCase()) ? { ...v, secret: true as const } : v)),
  };
}
