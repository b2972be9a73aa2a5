// unattend.md §5 (encoding, test vectors, decoder rules) and §6 (random administrator password); §13 test 1.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePassword, encodePassword, generateRandomPassword, UnattendError } from '../../../src/actions/unattend/index.js';
import { RANDOM_PASSWORD_CLASSES } from '../../../src/actions/unattend/password.js';

const VECTORS: Array<[string, 'AdministratorPassword' | 'Password', string]> = [
  ['pw', 'AdministratorPassword', 'cAB3AEEAZABtAGkAbgBpAHMAdAByAGEAdABvAHIAUABhAHMAcwB3AG8AcgBkAA=='],
  ['Adm1n!Pass', 'AdministratorPassword', 'QQBkAG0AMQBuACEAUABhAHMAcwBBAGQAbQBpAG4AaQBzAHQAcgBhAHQAbwByAFAAYQBzAHMAdwBvAHIAZAA='],
  ['', 'AdministratorPassword', 'QQBkAG0AaQBuAGkAcwB0AHIAYQB0AG8AcgBQAGEAcwBzAHcAbwByAGQA'],
  ['pw', 'Password', 'cAB3AFAAYQBzAHMAdwBvAHIAZAA='],
  ['password', 'Password', 'cABhAHMAcwB3AG8AcgBkAFAAYQBzAHMAdwBvAHIAZAA='],
];

describe('password encoding (§5)', () => {
  it.each(VECTORS)('encodes %j as %s → the published value', (password, element, value) => {
    expect(encodePassword(password, element)).toBe(value);
  });

  it.each(VECTORS)('decodes the value of %j (%s)', (password, element, value) => {
    expect(decodePassword(value, element)).toBe(password);
  });

  it('accepts values without "=" padding', () => {
    expect(decodePassword('cAB3AEEAZABtAGkAbgBpAHMAdAByAGEAdABvAHIAUABhAHMAcwB3AG8AcgBkAA', 'AdministratorPassword')).toBe('pw');
    expect(decodePassword('cAB3AFAAYQBzAHMAdwBvAHIAZAA', 'Password')).toBe('pw');
  });

  it('refuses a value whose decoded text lacks the element suffix, or that is not base64 of UTF-16LE', () => {
    const wrongSuffix = () => decodePassword(encodePassword('pw', 'Password'), 'AdministratorPassword');
    expect(wrongSuffix).toThrow(UnattendError);
    expect(wrongSuffix).toThrow(/does not end with "AdministratorPassword"/);
    try {
      wrongSuffix();
    } catch (e) {
      expect((e as UnattendError).code).toBe(0x8007000d);
    }
    expect(() => decodePassword('not base64!', 'Password')).toThrow(/not base64/);
    expect(() => decodePassword('QQ==', 'Password')).toThrow(/odd number of bytes/);
  });

  it('property: decode(encode(p)) = p for any text, both elements', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 64 }), fc.constantFrom('AdministratorPassword' as const, 'Password' as const), (p, element) => {
        const value = encodePassword(p, element);
        expect(value).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
        expect(decodePassword(value, element)).toBe(p);
        expect(decodePassword(value.replace(/=+$/, ''), element)).toBe(p);
      }),
    );
  });
});

describe('random administrator password (§6)', () => {
  it('24 characters from the alphabet, at least one of each class, different each time', () => {
    const { UPPER, LOWER, DIGITS, SYMBOLS } = RANDOM_PASSWORD_CLASSES;
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = generateRandomPassword();
      expect(p).toHaveLength(24);
      for (const cls of [UPPER, LOWER, DIGITS, SYMBOLS]) expect([...p].some((c) => cls.includes(c))).toBe(true);
      expect([...p].every((c) => (UPPER + LOWER + DIGITS + SYMBOLS).includes(c))).toBe(true);
      seen.add(p);
    }
    expect(seen.size).toBe(200);
  });
});
