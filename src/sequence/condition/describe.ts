export { describeCondition, describeConditionNode } from '../diff/condition-text.js';
