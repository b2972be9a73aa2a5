/**
 * The task sequence environment: variables with case-insensitive names, read-only `_` built-ins,
 * "empty deletes", secrets that never reach a log, and `%NAME%` expansion.
 * Spec: engine-semantics §2 (precedence), §6 (step defaults, expansion), §10 (built-ins, rules).
 */
import { isSecretVariable, MASK } from '../sequence/secrets.js';

export interface VariableEntry {
  /** The name as first set (display spelling); lookups ignore case. */
  name: string;
  value: string;
  secret: boolean;
}

export interface PersistedEnvironment {
  variables: VariableEntry[];
}

export class ReadOnlyVariableError extends Error {
  constructor(readonly variable: string) {
    super(`${variable} is read-only: variables that start with "_" are set by the task sequence engine only`);
    this.name = 'ReadOnlyVariableError';
  }
}

export class InvalidVariableNameError extends Error {
  constructor(readonly variable: string) {
    super(`"${variable}" is not a valid task sequence variable name: use 1–256 letters, digits, "_" or "-" (task-sequence-format §10)`);
    this.name = 'InvalidVariableNameError';
  }
}

const NAME = /^[A-Za-z0-9_-]{1,256}$/;

export function isReadOnlyName(name: string): boolean {
  return name.trim().startsWith('_');
}

/** Told of every change: the name as written, the new value (empty when deleted), whether it is a secret. */
export type EnvironmentObserver = (name: string, value: string, secret: boolean) => void;

export class Environment {
  private readonly vars = new Map<string, VariableEntry>();
  /** The secret values, kept until a secret variable changes (every log line is scrubbed with them). */
  private secrets: string[] | undefined;
  private observer?: EnvironmentObserver;

  /** The engine logs each change ("Set a global environment variable NAME=value", engine-semantics §11). */
  observe(observer: EnvironmentObserver | undefined): void {
    this.observer = observer;
  }

  static restore(persisted: PersistedEnvironment): Environment {
    const env = new Environment();
    for (const v of persisted.variables) env.vars.set(v.name.toLowerCase(), { ...v });
    return env;
  }

  persist(): PersistedEnvironment {
    return { variables: [...this.vars.values()].map((v) => ({ ...v })) };
  }

  get(name: string): string | undefined {
    return this.vars.get(name.trim().toLowerCase())?.value;
  }

  has(name: string): boolean {
    return this.vars.has(name.trim().toLowerCase());
  }

  isSecret(name: string): boolean {
    const e = this.vars.get(name.trim().toLowerCase());
    return e ? e.secret : isSecretVariable(name);
  }

  /** Sets a variable as a step or script would: `_` names are refused; an empty value deletes (§10). */
  set(name: string, value: string, options: { secret?: boolean } = {}): void {
    const n = name.trim();
    if (!NAME.test(n)) throw new InvalidVariableNameError(name);
    if (isReadOnlyName(n)) throw new ReadOnlyVariableError(n);
    this.write(n, value, options.secret);
  }

  /** Sets a built-in (engine-owned, read-only to steps); `secret` for a step's secret output (`_OSDStateStoreKey`). */
  setBuiltIn(name: string, value: string, secret = false): void {
    this.write(name.trim(), value, secret);
  }

  delete(name: string): void {
    const key = name.trim().toLowerCase();
    const existing = this.vars.get(key);
    if (existing?.secret) this.secrets = undefined;
    this.vars.delete(key);
    if (existing) this.observer?.(existing.name, '', existing.secret);
  }

  private write(name: string, value: string, secret: boolean | undefined): void {
    const key = name.toLowerCase();
    const existing = this.vars.get(key);
    if (existing?.secret) this.secrets = undefined;
    if (value === '') {
      this.vars.delete(key);
      this.observer?.(existing?.name ?? name, '', existing?.secret ?? false);
      return;
    }
    const entry = { name: existing?.name ?? name, value, secret: secret ?? existing?.secret ?? isSecretVariable(name) };
    if (entry.secret) this.secrets = undefined;
    this.vars.set(key, entry);
    this.observer?.(entry.name, value, entry.secret);
  }

  entries(): VariableEntry[] {
    return [...this.vars.values()];
  }

  /** Name → value, secrets masked: what may be shown to a person. */
  snapshot(options: { maskSecrets?: boolean } = { maskSecrets: true }): Record<string, string> {
    const out: Record<string, string> = {};
    const sorted = [...this.vars.values()].sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }));
    for (const v of sorted) out[v.name] = options.maskSecrets !== false && v.secret ? MASK : v.value;
    return out;
  }

  /** Every secret value currently set (for scrubbing text that is about to be logged). */
  secretValues(): string[] {
    this.secrets ??= [...this.vars.values()].filter((v) => v.secret && v.value.length > 0).map((v) => v.value);
    return [...this.secrets];
  }
}

/**
 * `%NAME%` expansion, single pass (§6): `lookup` answers first (task sequence variables, then the
 * step's defaults), then `fallback` (the process environment: %comspec%, %systemdrive%). Unknown
 * references and a lone `%` are left as written; `%%` stays `%%`.
 */
export function expandVariables(text: string, lookup: (name: string) => string | undefined, fallback?: (name: string) => string | undefined): string {
  if (text.indexOf('%') === -1) return text;
  return text.replace(/%([A-Za-z0-9_-]{1,256})%/g, (whole, name: string) => {
    const v = lookup(name) ?? fallback?.(name);
    return v === undefined ? whole : v;
  });
}

/** Replaces every secret value in `text` with the mask (longest first, so overlapping secrets are covered). */
export function scrubSecrets(text: string, secrets: string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s.length >= 1 && out.includes(s)) out = out.split(s).join(MASK);
  }
  return out;
}
