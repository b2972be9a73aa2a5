/**
 * Task sequence conditions: evaluation against a machine inventory with a readable trace,
 * static validation, and the WQL subset of WMI conditions (conditions-wql.md, engine-semantics §4).
 */
export { evaluateCondition, explainFalse, LOGICAL_OPERATORS } from './evaluate.js';
export { conditionWarnings, validateCondition, type WarningOptions } from './validate.js';
export type { ConditionConstruct, ConditionContext, ConditionError, ConditionOptions, ConditionOutcome, ExpressionResult, ExpressionTrace } from './types.js';
export { compareValues, type ComparisonMode, type ComparisonOperator } from './compare.js';
export { KNOWN_EXPRESSION_TYPES } from './expressions/kinds.js';
export { VARIABLE_OPERATORS } from './expressions/variable.js';
export { normalisePath } from './expressions/filesystem.js';
export { normaliseKey } from './expressions/registry.js';
export { describeWqlResult, formatCimValue } from './expressions/wmi.js';
export * from './wql/index.js';
