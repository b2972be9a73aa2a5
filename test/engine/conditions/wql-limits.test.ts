/**
 * Issue 10 "Site hardening" for the engine's WQL: LIKE patterns read one way (parseLikePattern)
 * with every ambiguous or unrepresentable form refused with its index, nesting bounded so nothing
 * recurses without limit, and lexing and suggestions linear in the query's size.
 */
import { describe, expect, it } from 'vitest';
import { evaluateWql, LikePatternError, likeMatches, MAX_WQL_DEPTH, parseLikePattern, parseWql, tryParseWql } from '../../../src/engine/conditions/index.js';
import { exampleInventory } from './fixtures.js';

const likeError = (p: string): LikePatternError => {
  try {
    parseLikePattern(p);
  } catch (e) {
    if (e instanceof LikePatternError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(p)} to be refused`);
};

describe('LIKE patterns: one reading, invalid sets refused with their index', () => {
  it('refuses unterminated sets, backwards ranges, a range followed by -x, and astral characters in sets', () => {
    const cases: [string, RegExp, number][] = [
      ['[', /unterminated/, 0],
      ['[]', /unterminated/, 0],
      ['%[', /unterminated/, 1],
      ['ab[cd', /unterminated/, 2],
      ['[^', /unterminated/, 0],
      ['[z-a]', /backwards/, 1],
      ['x[9-0]', /backwards/, 2],
      ['[a-a-a]', /ambiguous/, 4],
      ['[a-c-e]', /ambiguous/, 4],
      ['[0-9-a-z]', /ambiguous/, 4],
      ['[😀]', /U\+FFFF/, 1],
      ['[a-😀]', /U\+FFFF/, 3],
    ];
    for (const [p, message, index] of cases) {
      const e = likeError(p);
      expect(e.message, p).toMatch(message);
      expect(e.index, p).toBe(index);
    }
  });

  it('reads ], ^ and - by position, as documented', () => {
    expect(parseLikePattern('[^]')).toEqual([{ kind: 'set', negated: false, items: ['^'] }]);
    expect(parseLikePattern('[^]]')).toEqual([{ kind: 'set', negated: true, items: [']'] }]);
    expect(parseLikePattern('[]]')).toEqual([{ kind: 'set', negated: false, items: [']'] }]);
    expect(parseLikePattern('[]-a]')).toEqual([{ kind: 'set', negated: false, items: [[']', 'a']] }]);
    expect(parseLikePattern('[a-c-]')).toEqual([{ kind: 'set', negated: false, items: [['a', 'c'], '-'] }]);
    expect(parseLikePattern('[-a]')).toEqual([{ kind: 'set', negated: false, items: ['-', 'a'] }]);
    expect(parseLikePattern('%%a_😀')).toEqual([
      { kind: 'any' },
      { kind: 'char', char: 'a' },
      { kind: 'one' },
      { kind: 'char', char: '\ud83d' },
      { kind: 'char', char: '\ude00' },
    ]);
    expect(likeMatches('-', '[a-c-]')).toBe(true);
    expect(likeMatches('x😀', 'x😀')).toBe(true);
  });

  it('parses long patterns in linear time', () => {
    const t = Date.now();
    for (const p of ['[^a'.repeat(20_000), `[${'^'.repeat(50_000)}`, `${'[a]'.repeat(20_000)}`, `${'[^]'.repeat(20_000)}`]) {
      try {
        parseLikePattern(p);
      } catch (e) {
        expect(e).toBeInstanceOf(LikePatternError);
      }
    }
    expect(Date.now() - t).toBeLessThan(1000);
  });
});

describe(`WQL nesting is limited to ${MAX_WQL_DEPTH} levels`, () => {
  const cond = (open: string, close: string, n: number): string => `SELECT * FROM Win32_BIOS WHERE ${open.repeat(n)}Version = 'x'${close.repeat(n)}`;

  it('accepts the limit and refuses one more, for parentheses and NOT alike', () => {
    expect(tryParseWql(cond('(', ')', MAX_WQL_DEPTH)).ok).toBe(true);
    expect(tryParseWql(cond('NOT ', '', MAX_WQL_DEPTH)).ok).toBe(true);
    expect(tryParseWql(cond('NOT (', ')', MAX_WQL_DEPTH / 2)).ok).toBe(true);
    for (const text of [cond('(', ')', MAX_WQL_DEPTH + 1), cond('NOT ', '', MAX_WQL_DEPTH + 1), cond('NOT (', ')', MAX_WQL_DEPTH / 2 + 1)]) {
      const r = tryParseWql(text);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.codeName).toBe('WBEM_E_INVALID_QUERY');
        expect(r.error.message).toMatch(/nests deeper than 100/);
        expect(r.error.column).toBeGreaterThan(1);
      }
    }
  });

  it('refuses 100,000 levels quickly and without overflowing the stack; evaluation answers an error, not a throw', () => {
    const t = Date.now();
    for (const text of [cond('(', ')', 100_000), cond('NOT ', '', 100_000)]) {
      const r = tryParseWql(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.message).toMatch(/nests deeper/);
      const result = evaluateWql('root\\cimv2', text, exampleInventory());
      expect(result.error?.codeName).toBe('WBEM_E_INVALID_QUERY');
    }
    expect(Date.now() - t).toBeLessThan(2000);
  });

  it('AND/OR chains are flat: 20,000 comparisons parse without recursion', () => {
    const text = `SELECT * FROM Win32_BIOS WHERE ${Array.from({ length: 20_000 }, (_, i) => `Version = '${i}'`).join(' OR ')}`;
    const q = parseWql(text);
    expect(q.where?.kind).toBe('or');
  });
});

describe('WQL lexing and suggestions are linear', () => {
  it('tokenises 50,000 numbers in well under a second (no slice of the rest per number)', () => {
    const text = `SELECT * FROM Win32_BIOS WHERE ${Array.from({ length: 50_000 }, (_, i) => `${i}.5e3 = Version`).join(' OR ')}`;
    const t = Date.now();
    expect(parseWql(text).where?.kind).toBe('or');
    expect(Date.now() - t).toBeLessThan(1500);
  });

  it('an unknown 100,000-character property name does not make the "did you mean" search quadratic', () => {
    const t = Date.now();
    const result = evaluateWql('root\\cimv2', `SELECT * FROM Win32_ComputerSystem WHERE ${'M'.repeat(100_000)} = 'x'`, exampleInventory());
    expect(result.error?.codeName).toBe('WBEM_E_INVALID_QUERY');
    expect(Date.now() - t).toBeLessThan(1000);
  });
});
