/**
 * Which task sequence values are secrets. ConfigMgr never exports them (task-sequence-format §1);
 * we never print them: `ts show`, diffs, logs and status all mask them as `********`.
 */

export const MASK = '********';

/** Secrets whose names do not say "password". */
const SECRET_NAMES = new Set(['osdproductkey', 'osdupgradeosproductkey', 'productkey', 'osdbitlockerpin', 'smsconnectnetworkfolderpassword']);

/** Flags that say "Password" in their name but hold no secret (true/false, AD/TPM). */
const NOT_SECRET = new Set(['osdrandomadminpassword', 'osdbitlockercreaterecoverypassword']);

export function isSecretVariable(name: string): boolean {
  const n = name.trim().toLowerCase();
  if (NOT_SECRET.has(n)) return false;
  return n.includes('password') || n.includes('passwd') || SECRET_NAMES.has(n);
}

/** Empty stays empty (so "no password given" is visible); anything else is masked. */
export function maskSecret(value: string): string {
  return value === '' ? '' : MASK;
}

/** Values × text length past which a text is not searched for each secret value (see below). */
const SEARCH_BUDGET = 32 * 1024 * 1024;

/**
 * Whether cutting `values` out of `text` one by one would be too much work (each search scans
 * the text: thousands of secret variables and a long command line are quadratic). Callers then
 * treat the whole text as secret, which is always the safe side.
 */
export function tooManyToSearch(text: string, values: readonly string[]): boolean {
  return values.length * text.length > SEARCH_BUDGET;
}
