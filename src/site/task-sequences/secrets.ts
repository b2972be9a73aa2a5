/**
 * Secret values of a task sequence at the site (osd-features §2.10: "Passwords and secret dynamic-
 * variable values are not exported"). A revision's `body` holds the sequence with every secret
 * emptied; the values themselves are kept in a map keyed by a stable address (item path + variable
 * name), encrypted with the site's secret box into the revision's `secrets` column. Only
 * `loadRevision(…, { withSecrets: true })` puts them back (for policy); everything an admin sees
 * shows `********` instead.
 *
 * What counts as secret: variables the model marks (`secret: true`, set by the wizard), names
 * that say so (sequence/secrets.ts), properties the step catalog flags secret, Set Task Sequence
 * Variable values with "Do not display this value" (sequence/diff/secrets.ts), and Set Dynamic
 * Variables rules holding `IsSecret="true"` values. A command line that repeats a secret value
 * (tsenv.exe "NAME=value") is kept whole in the map and stored with the values cut out.
 */
import { propertyOf, stepTypeOf } from '../../sequence/catalog/index.js';
import { isSecretVariable, secretVariablesOf } from '../../sequence/diff/secrets.js';
import type { Step, StepVariable, TaskSequence } from '../../sequence/model/task-sequence.js';
import { pathText, walkItems } from '../../sequence/model/walk.js';
import { MASK, replaceSecretRules, secretRuleMatches, tooManyToSearch } from '../../sequence/secrets.js';

/** Address → original value. Addresses are not secret; values are. */
export type SecretMap = Record<string, string>;

export const GLOBAL_VARIABLES = '(global variables)';
export const COMMAND_LINE = '(command line)';

/** `Install Operating System / Apply Windows Settings :: OSDLocalAdminPassword`. */
export function secretAddress(itemPath: string, name: string): string {
  return `${itemPath} :: ${name}`;
}

/** Rules values (`<Variable … IsSecret="true">`) are found in one pass (sequence/secrets.ts). */
function hasSecretRules(value: string): boolean {
  return /<Rules\b/i.test(value) && secretRuleMatches(value).some((m) => m.inner.trim() !== '');
}

function replaceRuleSecrets(value: string, replacement: string): string {
  return replaceSecretRules(value, (m) => m.open + (m.inner.trim() ? replacement : m.inner) + m.close);
}

/** Lower-cased names of the step's variables whose values are secret. */
function secretNamesOf(step: Step): Set<string> {
  const names = secretVariablesOf(step);
  const type = stepTypeOf(step.type);
  for (const v of step.variables ?? []) {
    if (v.secret || (type && propertyOf(type, v.name)?.secret)) names.add(v.name.toLowerCase());
  }
  return names;
}

/** Per-step addresses of its variables: a name used twice in one step gets `[2]`, like item paths. */
function variableAddresses(itemPath: string, variables: StepVariable[]): string[] {
  const seen = new Map<string, number>();
  return variables.map((v) => {
    const n = (seen.get(v.name.toLowerCase()) ?? 0) + 1;
    seen.set(v.name.toLowerCase(), n);
    return secretAddress(itemPath, n > 1 ? `${v.name}[${n}]` : v.name);
  });
}

function cutValues(action: string, values: string[], replacement: string): string {
  let out = action;
  // Thousands of values and a long command line: the whole line is the secret (sequence/secrets.ts).
  if (tooManyToSearch(action, values)) return replacement;
  for (const value of [...values].sort((x, y) => y.length - x.length)) {
    if (!out.includes(value)) continue;
    // A very short secret would cut unrelated characters; drop the whole line instead.
    if (value.length < 4) return replacement;
    out = out.split(value).join(replacement);
  }
  return out;
}

export interface Separated {
  /** A copy with every secret replaced (by '' for storage and exports, by ******** for display). */
  sequence: TaskSequence;
  secrets: SecretMap;
}

/**
 * Splits the secrets out of a sequence. `replacement` '' gives the stored body (as our JSON export
 * writes secrets), MASK the form shown to admins (a set secret shows as ********, an empty one as
 * empty). The `secret` flags are dropped: the copy holds no secret left to protect.
 */
export function separateSecrets(ts: TaskSequence, replacement: '' | typeof MASK): Separated {
  const copy = structuredClone(ts);
  const secrets: SecretMap = {};
  for (const visit of walkItems(copy)) {
    if (visit.item.kind !== 'step') continue;
    const step = visit.item;
    const path = pathText(visit.path);
    const names = secretNamesOf(step);
    const variables = step.variables ?? [];
    const addresses = variableAddresses(path, variables);
    const found = new Set<string>();
    for (const v of variables) {
      if (names.has(v.name.toLowerCase())) {
        if (v.value.trim() !== '') found.add(v.value.trim());
      } else if (hasSecretRules(v.value)) {
        for (const m of secretRuleMatches(v.value)) if (m.inner.trim()) found.add(m.inner.trim());
      }
    }
    const values = [...found];
    const action = step.action;
    if (action !== undefined && values.length && (tooManyToSearch(action, values) || values.some((x) => action.includes(x)))) {
      secrets[secretAddress(path, COMMAND_LINE)] = action;
      step.action = cutValues(action, values, replacement);
    }
    variables.forEach((v, i) => {
      if (names.has(v.name.toLowerCase())) {
        if (v.value !== '') secrets[addresses[i]] = v.value;
        v.value = v.value === '' ? '' : replacement;
      } else if (hasSecretRules(v.value)) {
        secrets[addresses[i]] = v.value;
        v.value = replaceRuleSecrets(v.value, replacement);
      }
      delete v.secret;
    });
  }
  const globals = copy.globalVariables ?? [];
  const globalAddresses = variableAddresses(GLOBAL_VARIABLES, globals);
  globals.forEach((v, i) => {
    if (v.secret || isSecretVariable(v.name)) {
      if (v.value !== '') secrets[globalAddresses[i]] = v.value;
      v.value = v.value === '' ? '' : replacement;
    }
    delete v.secret;
  });
  return { sequence: copy, secrets };
}

/** Visits every address a secret can have, with a way to read and write its value. */
function forEachSlot(
  ts: TaskSequence,
  fn: (address: string, slot: { get(): string | undefined; set(v: string): void; variable?: StepVariable }) => void,
): void {
  for (const visit of walkItems(ts)) {
    if (visit.item.kind !== 'step') continue;
    const step = visit.item;
    const path = pathText(visit.path);
    const variables = step.variables ?? [];
    variableAddresses(path, variables).forEach((address, i) => {
      const v = variables[i];
      fn(address, { get: () => v.value, set: (x) => (v.value = x), variable: v });
    });
    fn(secretAddress(path, COMMAND_LINE), { get: () => step.action, set: (x) => (step.action = x) });
  }
  const globals = ts.globalVariables ?? [];
  variableAddresses(GLOBAL_VARIABLES, globals).forEach((address, i) => {
    const v = globals[i];
    fn(address, { get: () => v.value, set: (x) => (v.value = x), variable: v });
  });
}

/**
 * Puts the secrets back into a stored body. Restored plain values are flagged `secret`, so any
 * exporter given this model still writes them empty.
 */
export function restoreSecrets(body: TaskSequence, secrets: SecretMap): TaskSequence {
  const copy = structuredClone(body);
  forEachSlot(copy, (address, slot) => {
    const value = secrets[address];
    if (value === undefined) return;
    slot.set(value);
    if (slot.variable && !/<Rules\b/i.test(value)) slot.variable.secret = true;
  });
  return copy;
}

/**
 * A new revision from an edited copy keeps the secrets the admin could not see: where the
 * incoming value is what we showed (******** or, from an export, empty) and the previous revision
 * has a secret at the same address, the previous value is kept, like the console keeps a password
 * nobody retyped. `clear` lists addresses whose secret the admin wants removed.
 */
export function carryOverSecrets(incoming: TaskSequence, previousFull: TaskSequence | undefined, clear: readonly string[] = []): TaskSequence {
  const copy = structuredClone(incoming);
  const clearSet = new Set(clear);
  if (previousFull) {
    const stored = separateSecrets(previousFull, '');
    const shown = separateSecrets(previousFull, MASK);
    const shownValues = new Map<string, string | undefined>();
    const storedValues = new Map<string, string | undefined>();
    forEachSlot(stored.sequence, (a, s) => storedValues.set(a, s.get()));
    forEachSlot(shown.sequence, (a, s) => shownValues.set(a, s.get()));
    forEachSlot(copy, (address, slot) => {
      const old = stored.secrets[address];
      if (old === undefined || clearSet.has(address)) return;
      const now = slot.get();
      if (now === undefined) return;
      const plainSecret = slot.variable !== undefined && !/<Rules\b/i.test(old);
      if (plainSecret ? now === '' || now === MASK : now === storedValues.get(address) || now === shownValues.get(address)) {
        slot.set(old);
        if (slot.variable && plainSecret) slot.variable.secret = true;
      }
    });
  }
  // Cleared plain values become empty; a cleared rule or command line keeps its shown form minus the value.
  if (clearSet.size) {
    forEachSlot(copy, (address, slot) => {
      if (!clearSet.has(address)) return;
      const now = slot.get();
      if (now === MASK) slot.set('');
      else if (now !== undefined && now.includes(MASK)) slot.set(now.split(MASK).join(''));
    });
  }
  return copy;
}

export interface SecretChange {
  address: string;
  change: 'set' | 'changed' | 'cleared';
  message: string;
}

/** Which secrets differ between two revisions, by address, never by value. */
export function secretChanges(from: SecretMap, to: SecretMap): SecretChange[] {
  const out: SecretChange[] = [];
  const addresses = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
  for (const address of addresses) {
    const a = from[address];
    const b = to[address];
    if (a === b) continue;
    const change = a === undefined ? 'set' : b === undefined ? 'cleared' : 'changed';
    out.push({ address, change, message: `${address}: secret value ${change} (${MASK})` });
  }
  return out;
}
