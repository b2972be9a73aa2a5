/**
 * "Hide sensitive data" encoding of answer-file passwords (unattend.md §5) and the random local
 * administrator password (§6).
 */
import { randomInt } from 'node:crypto';
import { UNATTEND_ERRORS, UnattendError } from './errors.js';

/**
 * The element whose name is appended before encoding: `AdministratorPassword` for
 * `UserAccounts/AdministratorPassword`, `Password` for `LocalAccount/Password` and `AutoLogon/Password`.
 */
export type PasswordElement = 'AdministratorPassword' | 'Password';

/** base64(UTF-16LE(password + element name)), standard alphabet with padding (§5). Obfuscation, not encryption. */
export function encodePassword(password: string, element: PasswordElement): string {
  return Buffer.from(password + element, 'utf16le').toString('base64');
}

/**
 * The inverse of `encodePassword`. Accepts missing `=` padding (one Microsoft example omits it);
 * anything that is not base64 of UTF-16LE text ending with the element name is refused with
 * ERROR_INVALID_DATA — report, don't guess (§5).
 */
export function decodePassword(value: string, element: PasswordElement): string {
  const v = value.trim();
  const invalid = (why: string): UnattendError => new UnattendError(UNATTEND_ERRORS.invalidData, `the encoded ${element} value is invalid: ${why}`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 === 1) throw invalid('not base64');
  const padded = v.replace(/=+$/, '');
  const bytes = Buffer.from(padded + '='.repeat((4 - (padded.length % 4)) % 4), 'base64');
  if (bytes.length % 2 !== 0) throw invalid('not UTF-16LE text (odd number of bytes)');
  const plain = bytes.toString('utf16le');
  if (!plain.endsWith(element)) throw invalid(`the decoded text does not end with "${element}"`);
  return plain.slice(0, plain.length - element.length);
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const SYMBOLS = '!#%+-=?@_';
export const RANDOM_PASSWORD_LENGTH = 24;

/**
 * 24 characters from a CSPRNG over upper, lower, digits and `!#%+-=?@_`, at least one of each class
 * so that a domain's complexity policy accepts it (§6 [I]).
 */
export function generateRandomPassword(): string {
  const all = UPPER + LOWER + DIGITS + SYMBOLS;
  const pick = (from: string): string => from[randomInt(from.length)];
  const chars = [pick(UPPER), pick(LOWER), pick(DIGITS), pick(SYMBOLS)];
  while (chars.length < RANDOM_PASSWORD_LENGTH) chars.push(pick(all));
  // Fisher–Yates, so the guaranteed characters are not always first.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join('');
}

export const RANDOM_PASSWORD_CLASSES = { UPPER, LOWER, DIGITS, SYMBOLS } as const;
