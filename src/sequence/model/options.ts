/**
 * Effective values of step and group options, with the defaults real files rely on
 * (task-sequence-format §3–§5).
 */
import type { Group, RunIn, Step, StepVariable } from './task-sequence.js';

export const DEFAULT_SUCCESS_CODES = [0, 3010];

export function isDisabled(item: Group | Step): boolean {
  return item.disable === true;
}

export function continuesOnError(item: Group | Step): boolean {
  return item.continueOnError === true;
}

/** Absent `successCodeList` ⇒ "0 3010" [I, §4]. Unparsable entries are ignored (lint reports them). */
export function successCodesOf(step: Step): number[] {
  if (step.successCodeList === undefined) return DEFAULT_SUCCESS_CODES;
  const out: number[] = [];
  for (const tok of step.successCodeList.trim().split(/\s+/)) {
    if (/^-?\d+$/.test(tok)) out.push(Number(tok));
  }
  return out;
}

/** Absent `runIn` ⇒ WinPEandFullOS (SDK default, §4). Case-insensitive. */
export function runInOf(step: Step): RunIn {
  const v = (step.runIn ?? '').toLowerCase();
  if (v === 'winpe') return 'WinPE';
  if (v === 'fullos') return 'FullOS';
  return 'WinPEandFullOS';
}

/** Case-insensitive lookup of a step property by variable name. */
export function variableOf(step: Step, name: string): StepVariable | undefined {
  const lower = name.toLowerCase();
  return step.variables?.find((v) => v.name.toLowerCase() === lower);
}

export function variableValue(step: Step, name: string): string | undefined {
  return variableOf(step, name)?.value;
}

/** Lenient boolean (true/True/TRUE; anything else false). */
export function isTrue(value: string | undefined): boolean {
  return value !== undefined && value.trim().toLowerCase() === 'true';
}
