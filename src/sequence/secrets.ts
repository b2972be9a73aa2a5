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

/** A `<Variable … IsSecret="true" …>value</Variable>` of Set Dynamic Variables rules. */
export interface SecretRuleMatch {
  /** Offsets of the whole match in the text. */
  start: number;
  end: number;
  open: string;
  inner: string;
  close: string;
}

/**
 * The matches of /(<Variable\b[^>]*\bIsSecret\s*=\s*["']true["'][^>]*>)([^<]*)(<\/Variable>)/gi,
 * found in one pass. The regex itself is quadratic: for every `<Variable` without a `>` after it
 * (or whose tag lacks IsSecret) it rescans to the next `>`, and a 1 MB rules value of nothing but
 * `<Variable ` took minutes. Here each tag's text is searched once, whatever starts inside it.
 */
export function secretRuleMatches(text: string): SecretRuleMatch[] {
  const out: SecretRuleMatch[] = [];
  const start = /<Variable\b/gi;
  const secret = /\bIsSecret\s*=\s*["']true["']/gi;
  // The tag end (first '>') shared by every start before it, the last IsSecret start inside
  // [tagFrom, tagEnd), and the first '<' after the tag.
  let tagEnd = -1;
  let lastSecret = -1;
  let contentEnd = -1;
  let m: RegExpExecArray | null;
  while ((m = start.exec(text))) {
    const q = m.index;
    if (q >= tagEnd) {
      tagEnd = text.indexOf('>', q);
      if (tagEnd === -1) break;
      // The tag's own text only (tags do not overlap, so every character is searched once).
      const tag = text.slice(q, tagEnd);
      lastSecret = -1;
      secret.lastIndex = 0;
      let s: RegExpExecArray | null;
      while ((s = secret.exec(tag))) lastSecret = q + s.index;
      contentEnd = text.indexOf('<', tagEnd + 1);
    }
    // No '<' after the tag: no closing tag, here or for any later start.
    if (contentEnd === -1) break;
    // `[^>]*` before IsSecret: it must start after this `<Variable`, inside the same tag.
    if (lastSecret < q + 9) continue;
    if (text.slice(contentEnd, contentEnd + 11).toLowerCase() !== '</variable>') continue;
    const end = contentEnd + 11;
    out.push({ start: q, end, open: text.slice(q, tagEnd + 1), inner: text.slice(tagEnd + 1, contentEnd), close: text.slice(contentEnd, end) });
    start.lastIndex = end;
    tagEnd = -1;
  }
  return out;
}

/** `text` with each secret rule value replaced by what `replace` returns for its match. */
export function replaceSecretRules(text: string, replace: (m: SecretRuleMatch) => string): string {
  let out = '';
  let at = 0;
  for (const m of secretRuleMatches(text)) {
    out += text.slice(at, m.start) + replace(m);
    at = m.end;
  }
  return out + text.slice(at);
}
