/** The expression types a condition may contain (task-sequence-format §6), found by `type` case-insensitively. */
import type { ConditionExpression } from '../../../sequence/model/task-sequence.js';
import type { ConditionContext, ExpressionProblem, ExpressionResult } from '../types.js';
import { evaluateComputer } from './computer.js';
import { checkFile, checkFolder, evaluateFile, evaluateFolder } from './filesystem.js';
import { checkOsVersion, evaluateOsVersion } from './os-version.js';
import { checkRegistry, evaluateRegistry } from './registry.js';
import { checkSoftware, evaluateSoftware } from './software.js';
import { checkVariable, evaluateVariable } from './variable.js';
import { checkWmi, evaluateWmi } from './wmi.js';

export interface ExpressionKind {
  /** Short name used in traces. */
  kind: string;
  /** Static problems (no machine needed). */
  check(ex: ConditionExpression): ExpressionProblem[];
  evaluate(ex: ConditionExpression, ctx: ConditionContext): ExpressionResult;
}

const KINDS: Record<string, ExpressionKind> = {
  SMS_TaskSequence_VariableConditionExpression: { kind: 'Variable', check: checkVariable, evaluate: evaluateVariable },
  SMS_TaskSequence_WMIConditionExpression: { kind: 'WMI', check: checkWmi, evaluate: evaluateWmi },
  SMS_TaskSequence_FileConditionExpression: { kind: 'File', check: checkFile, evaluate: evaluateFile },
  SMS_TaskSequence_FolderConditionExpression: { kind: 'Folder', check: checkFolder, evaluate: evaluateFolder },
  SMS_TaskSequence_RegistryConditionExpression: { kind: 'Registry', check: checkRegistry, evaluate: evaluateRegistry },
  SMS_TaskSequence_SoftwareConditionExpression: { kind: 'Software', check: checkSoftware, evaluate: evaluateSoftware },
  SMS_TaskSequence_OSConditionExpression: { kind: 'OS', check: checkOsVersion, evaluate: evaluateOsVersion },
  SMS_TaskSequence_ComputerConditionExpression: { kind: 'Computer', check: () => [], evaluate: evaluateComputer },
};

export const KNOWN_EXPRESSION_TYPES = Object.keys(KINDS);

const BY_LOWER = new Map(Object.entries(KINDS).map(([k, v]) => [k.toLowerCase(), v]));

/** Types are matched case-insensitively; the SMS_TaskSequence_ prefix may be omitted [I]. */
export function expressionKind(type: string): ExpressionKind | undefined {
  const t = type.trim().toLowerCase();
  return BY_LOWER.get(t) ?? BY_LOWER.get(`sms_tasksequence_${t}`);
}
