/**
 * Which step values must not be printed by a diff. A diff is pasted into tickets and change logs,
 * so anything that may hold a password or licence key is shown as `********`.
 */
import type { Step, StepVariable } from '../model/task-sequence.js';
import { isTrue, variableValue } from '../model/options.js';

export { MASK as SECRET_MASK, isSecretVariable } from '../secrets.js';
import { MASK as SECRET_MASK, isSecretVariable, replaceSecretRules, tooManyToSearch } from '../secrets.js';

/** Lower-cased names of the step's variables whose values are secret. */
export function secretVariablesOf(step: Step): Set<string> {
  const out = new Set<string>();
  for (const v of step.variables ?? []) if (isSecretVariable(v.name)) out.add(v.name.toLowerCase());
  // Set Task Sequence Variable: the value is secret when the admin ticked "Do not display this
  // value" or the variable being set is itself a secret (e.g. OSDJoinPassword).
  const target = variableValue(step, 'VariableName');
  if (isTrue(variableValue(step, 'DoNotShowVariableValue')) || (target !== undefined && isSecretVariable(target))) {
    out.add('variablevalue');
  }
  return out;
}

/** Set Dynamic Variables rules embed their own variables; mask those marked IsSecret="true" (one pass, ../secrets.ts). */
function maskRules(value: string): string {
  return replaceSecretRules(value, (m) => m.open + (m.inner.trim() ? SECRET_MASK : m.inner) + m.close);
}

/** A variable's value as a diff may show it. */
export function displayValue(v: StepVariable, secrets: Set<string>): string {
  if (secrets.has(v.name.toLowerCase())) return v.value.trim() ? SECRET_MASK : v.value;
  if (/<Rules\b/i.test(v.value)) return maskRules(v.value);
  return v.value;
}

/** Non-empty values of the step's secret variables, as they may appear in its command line. */
export function secretValuesOf(step: Step, secrets: Set<string>): string[] {
  return (step.variables ?? []).filter((v) => secrets.has(v.name.toLowerCase()) && v.value.trim()).map((v) => v.value.trim());
}

/**
 * The command line with secret values cut out: Set Task Sequence Variable writes its value into
 * `tsenv.exe "NAME=value"`, and custom steps may repeat a property in the action. `values` should
 * hold the secrets of both sides of a diff, so an old password left in a new command line is
 * still hidden.
 */
export function displayAction(action: string, values: string[]): string {
  let out = action;
  const unique = [...new Set(values)];
  // Searching a long command line for each of thousands of values is quadratic: hide it whole.
  if (tooManyToSearch(action, unique)) return SECRET_MASK;
  // Longest first, so a secret that contains another is masked whole.
  for (const value of unique.sort((x, y) => y.length - x.length)) {
    if (!out.includes(value)) continue;
    // A very short secret would mask unrelated characters; hide the whole line instead.
    if (value.length < 4) return SECRET_MASK;
    out = out.split(value).join(SECRET_MASK);
  }
  return out;
}
