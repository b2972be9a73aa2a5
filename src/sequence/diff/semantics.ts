/**
 * What of an item counts for a diff: effective option values (absent ≡ default, per options.ts),
 * trimmed text, and content fingerprints used to recognise an item after a rename or move.
 * Layout hints (`xml`) never enter here, so formatting cannot produce a change.
 */
import type { Group, Step, StepVariable } from '../model/task-sequence.js';
import { continuesOnError, isDisabled, runInOf, successCodesOf } from '../model/options.js';
import { conditionKey } from '../condition/describe.js';

export type OptionValue = string | number | boolean | null;

export type OptionField =
  'disable' | 'continueOnError' | 'successCodeList' | 'runIn' | 'timeout' | 'retryCount' | 'runFromNet' | 'startIn' | 'description' | 'expand' | 'type';

/** Effective option values, in the order an admin sees them on the Options/Properties tabs. */
export function optionValues(item: Group | Step): Array<[OptionField, OptionValue]> {
  const common: Array<[OptionField, OptionValue]> = [
    ['disable', isDisabled(item)],
    ['continueOnError', continuesOnError(item)],
    ['description', (item.description ?? '').trim()],
  ];
  if (item.kind === 'group') return [...common, ['expand', item.expand === true]];
  return [
    ['type', stepType(item) || null],
    ...common,
    // Success codes are a set: "3010 0" means the same as "0 3010".
    ['successCodeList', [...new Set(successCodesOf(item))].sort((x, y) => x - y).join(' ')],
    ['runIn', runInOf(item)],
    ['timeout', item.timeout ?? null],
    // ConfigMgr writes retryCount="0" where MDT omits it.
    ['retryCount', item.retryCount ?? 0],
    ['runFromNet', item.runFromNet === true],
    ['startIn', (item.startIn ?? '').trim()],
  ];
}

/** WMI class names are case-insensitive; compare on this, show the written form. */
export function typeKey(item: Group | Step): string {
  return item.kind === 'step' ? stepType(item).toLowerCase() : '';
}

function stepType(step: Step): string {
  return (step.type ?? '').trim();
}

export function sameOption(field: OptionField, x: OptionValue, y: OptionValue): boolean {
  if (field === 'type' && typeof x === 'string' && typeof y === 'string') return x.toLowerCase() === y.toLowerCase();
  return x === y;
}

export function actionText(step: Step): string {
  return (step.action ?? '').trim();
}

/** Variable values: surrounding whitespace is not meaningful (whitespace-only ≡ empty, §5). */
export function variableText(v: StepVariable): string {
  return v.value.trim();
}

export function variablesKey(vars: StepVariable[] | undefined): string {
  const entries = (vars ?? []).map((v) => [v.name.trim().toLowerCase(), variableText(v), v.hidden === true, (v.property ?? '').trim()] as const);
  entries.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return JSON.stringify(entries);
}

/** Everything that makes a step do what it does, except where it is and what it is called. */
export function stepFingerprint(step: Step): string {
  return JSON.stringify([typeKey(step), actionText(step), variablesKey(step.variables), conditionKey(step.condition)]);
}

/** A group is recognised by its condition and the items directly inside it. */
export function groupFingerprint(group: Group, childKeys: string[]): string {
  return JSON.stringify([conditionKey(group.condition), childKeys]);
}

/** Nothing to recognise the item by: an empty unconditional group, a step with no command or properties. */
export function isTrivial(item: Group | Step, childCount: number): boolean {
  if (conditionKey(item.condition) !== '') return false;
  if (item.kind === 'group') return childCount === 0;
  return actionText(item) === '' && (item.variables ?? []).length === 0;
}

export function optionsKey(item: Group | Step): string {
  return JSON.stringify(optionValues(item).map(([f, v]) => (f === 'type' && typeof v === 'string' ? v.toLowerCase() : v)));
}

export function extraAttributesKey(item: Group | Step): string {
  const e = item.extraAttributes ?? {};
  return JSON.stringify(
    Object.keys(e)
      .sort()
      .map((k) => [k, e[k]]),
  );
}
