/**
 * Which step values must not be printed by a diff. A diff is pasted into tickets and change logs,
 * so anything that may hold a password or licence key is shown as `********`.
 */
import type { Step, StepVariable } from '../model/task-sequence.js';
import { isTrue, variableValue } from '../model/options.js';

export const SECRET_MASK = '********';

/** Secrets whose names do not contain "password" (lower case). */
const SECRET_NAMES = new Set([
  'osdproductkey',
  'osdupgradeosproductkey',
  'productkey',
  'osdbitlockerpin',
]);

/** Flags that contain "Password" in their name but hold no secret (values like true/false, AD/TPM). */
const NOT_SECRET = new Set(['osdrandomadminpassword', 'osdbitlockercreaterecoverypassword']);

export function isSecretVariable(name: string): boolean {
  const n = name.trim().toLowerCase();
  if (NOT_SECRET.has(n)) return false;
  return n.includes('password') || SECRET_NAMES.has(n);
}

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

/** Set Dynamic Variables rules embed their own variables; mask those marked IsSecret="true". */
function maskRules(value: string): string {
  return value.replace(
    /(<Variable\b[^>]*\bIsSecret\s*=\s*["']true["'][^>]*>)([^<]*)(<\/Variable>)/gi,
    (_m, open: string, inner: string, close: string) => open + (inner.trim() ? SECRET_MASK : inner) + close,
  );
}

/** A variable's value as a diff may show it. */
export function displayValue(v: StepVariable, secrets: Set<string>): string {
  if (secrets.has(v.name.toLowerCase())) return v.value.trim() ? SECRET_MASK : v.value;
  if (/<Rules\b/i.test(v.value)) return maskRules(v.value);
  return v.value;
}

/**
 * The command line with secret values cut out: Set Task Sequence Variable writes its value into
 * `tsenv.exe "NAME=value"`, and custom steps may repeat a property in the action.
 */
export function displayAction(step: Step, secrets: Set<string>): string {
  let action = step.action ?? '';
  for (const v of step.variables ?? []) {
    if (!secrets.has(v.name.toLowerCase())) continue;
    const value = v.value.trim();
    if (!value || !action.includes(value)) continue;
    // A very short secret would mask unrelated characters; hide the whole line instead.
    if (value.length < 4) return SECRET_MASK;
    action = action.split(value).join(SECRET_MASK);
  }
  return action;
}
