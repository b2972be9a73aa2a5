/**
 * The identities a PXE or media boot is matched on (osd-features §3.2): the computer's NetBIOS name,
 * its MAC addresses and its SMBIOS GUID. Each is checked and brought to the one form the site stores:
 * MACs in colon upper-case form (the spec: other formats stop the client getting policy, so we accept
 * the usual spellings and store the colon form), GUIDs as upper-case 8-4-4-4-12.
 */

import { badInput } from '../errors.js';

/**
 * A ResourceID (or another row number: a rule, an association) as the services take it: a whole
 * number from 1 to 2^53 − 1, so it is exact in JavaScript and in range for the database's bigint.
 * Returns it; throws badInput naming `field` (1e300, -1, 1.5 and NaN are the caller's mistake).
 */
export function checkResourceId(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw badInput(field, `${String(value)} is not an id: ids are whole numbers from 1 to ${Number.MAX_SAFE_INTEGER}`, 'use the id the site handed out');
  }
  return value;
}

/** The MAC in `00:11:22:AA:BB:CC` form, or undefined if `text` is not a MAC in an accepted spelling. */
export function normaliseMac(text: string): string | undefined {
  const t = text.trim();
  let hex: string | undefined;
  if (/^[0-9A-Fa-f]{2}([-:])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}$/.test(t)) hex = t.replace(/[-:]/g, '');
  else if (/^[0-9A-Fa-f]{12}$/.test(t)) hex = t;
  else if (/^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$/.test(t)) hex = t.replace(/\./g, '');
  if (!hex) return undefined;
  return hex.toUpperCase().match(/../g)!.join(':');
}

export const MAC_FORMATS = '00:11:22:33:44:55, 00-11-22-33-44-55, 001122334455 or 0011.2233.4455';

/** Why a normalised MAC cannot identify one computer, or undefined when it can. */
export function macProblem(mac: string): string | undefined {
  // [I] placeholders that would match every computer whose firmware reports nothing useful.
  if (mac === '00:00:00:00:00:00') return 'the all-zero MAC does not identify a computer';
  if (mac === 'FF:FF:FF:FF:FF:FF') return 'the broadcast MAC does not identify a computer';
  return undefined;
}

/** The GUID in upper-case 8-4-4-4-12 form (braces dropped), or undefined. */
export function normaliseSmbiosGuid(text: string): string | undefined {
  const m = /^\{?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\}?$/.exec(text.trim());
  return m ? m[1].toUpperCase() : undefined;
}

export function smbiosGuidProblem(guid: string): string | undefined {
  // [I] firmware placeholders: importing one would claim every computer that reports it.
  if (/^[0]{8}-[0]{4}-[0]{4}-[0]{4}-[0]{12}$/.test(guid)) return 'the all-zero SMBIOS GUID does not identify a computer';
  if (/^[F]{8}-[F]{4}-[F]{4}-[F]{4}-[F]{12}$/.test(guid)) return 'the all-F SMBIOS GUID does not identify a computer';
  return undefined;
}

/** Characters Windows refuses in a NetBIOS computer name, plus space (§3.2 [I]). */
const NETBIOS_FORBIDDEN = /[\\/:*?"<>|\s]/;

/** Why `name` is not a valid NetBIOS computer name, or undefined. */
export function netbiosNameProblem(name: string): string | undefined {
  if (!name.length) return 'a computer name is required';
  if (name.length > 15) return `"${name}" is ${name.length} characters; a NetBIOS computer name has at most 15`;
  const bad = NETBIOS_FORBIDDEN.exec(name);
  if (bad) return `"${name}" contains ${bad[0] === ' ' ? 'a space' : `"${bad[0]}"`}, which a NetBIOS computer name cannot hold`;
  if (name.startsWith('.')) return `"${name}" starts with a period`;
  if (/^[0-9]+$/.test(name)) return `"${name}" is all digits; Windows refuses an all-numeric computer name`;
  return undefined;
}
