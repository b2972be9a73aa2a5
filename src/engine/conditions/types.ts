/**
 * What condition evaluation needs from its caller and what it reports back: the value, a trace of
 * every expression and operator with what it saw (so the simulator can say which test was false
 * and why), and the constructs that could not be evaluated (each counts as false, engine-semantics §4).
 */
import type { MachineInventory } from '../inventory.js';
import type { WqlOptions, WqlResult } from './wql/evaluate.js';

export interface ConditionOptions extends WqlOptions {
  /**
   * `expression` (default, engine-semantics §4): a construct that cannot be evaluated is false and
   * the rest of the condition is evaluated as usual — so `not` around it is true. `condition`: any
   * such error makes the whole condition false (for callers that prefer to skip rather than guess).
   */
  onError?: 'expression' | 'condition';
}

export interface ConditionContext {
  /** A task sequence variable; names are case-insensitive; undefined when unset. */
  variable(name: string): string | undefined;
  /** `%VAR%` expansion as the engine does it (used for File/Folder/Registry paths, §6). */
  expand(text: string): string;
  inventory: MachineInventory;
  /** Optional: secret variables are shown as ******** in the trace. */
  isSecret?(name: string): boolean;
  options?: ConditionOptions;
}

export type ConditionConstruct = 'WQL query' | 'WMI namespace' | 'WMI class' | 'expression type' | 'expression' | 'operator' | 'logical operator' | 'raw XML';

export interface ConditionError {
  /** What kind of thing is wrong. */
  construct: ConditionConstruct;
  /** The readable text of the expression or operator it is in. */
  text: string;
  message: string;
  hint?: string;
  /** WMI error code (unsigned) for WQL problems, e.g. 0x80041017, and its name. */
  code?: number;
  codeName?: string;
  /** 1-based column in the WQL query. */
  column?: number;
  /** What the WQL parser expected at `column`. */
  expected?: string;
  /** Position in the condition: operand indexes from the top (`[2, 0]` = first child of the third operand). */
  path: number[];
  /** `error`: the construct cannot be evaluated (counts as false). `warning`: only from conditionWarnings. */
  severity: 'error' | 'warning';
  /** Lint rule id (conditions-wql §8), when one applies. */
  rule?: string;
}

export interface ExpressionTrace {
  path: number[];
  depth: number;
  kind: 'operator' | 'expression' | 'raw';
  /** `and` / `or` / `not`, or the expression kind: `Variable`, `WMI`, `File`, `Folder`, `Registry`, `Software`, `OS`, `Computer`. */
  type: string;
  /** Readable form, e.g. `_SMSTSInWinPE equals "false"`. */
  text: string;
  result: boolean;
  /** What it saw, e.g. `_SMSTSInWinPE is "true"`, `Win32_ComputerSystem.Model is "Latitude 7420"`. */
  observed: string;
  error?: ConditionError;
  /** WMI expressions: the full query result (matching instance or nearest miss). */
  wql?: WqlResult;
}

export interface ConditionOutcome {
  value: boolean;
  /** Pre-order: an operator comes before its operands. */
  trace: ExpressionTrace[];
  errors: ConditionError[];
}

/** What one expression evaluator returns. */
export interface ExpressionResult {
  value: boolean;
  observed: string;
  /** Problems that make the expression unevaluable (it is then false). */
  errors?: Array<Omit<ConditionError, 'text' | 'path' | 'severity'>>;
  wql?: WqlResult;
}

export type ExpressionProblem = Omit<ConditionError, 'text' | 'path' | 'severity'>;
