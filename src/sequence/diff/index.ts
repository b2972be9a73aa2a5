/** Semantic diff of task sequences (see diff.ts) and readable conditions (condition-text.ts). */
export { diffSequences, type ChangeKind, type ChangeValue, type SequenceChange } from './diff.js';
export { formatChanges } from './format.js';
export { conditionKey, describeCondition, describeConditionNode, operatorName } from '../condition/describe.js';
export { isSecretVariable, SECRET_MASK } from './secrets.js';
