import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileLike, LikePatternError, likeMatches, likeToRegexSource } from '../../../src/engine/conditions/index.js';

describe('LIKE patterns (conditions-wql §2.2)', () => {
  const yes: Array<[string, string]> = [
    ['Dell Inc.', '%DELL%'],
    ['Dell Inc.', 'dell%'],
    ['Latitude E7270', '%Latitude E7270%'],
    ['HP', 'H_'],
    ['HP', '%'],
    ['', '%'],
    ['Model_1', '%[_]%'],
    ['100%', '100[%]'],
    ['[x]', '[[]x]'],
    ['b', '[abc]'],
    ['B', '[abc]'],
    ['e', '[a-f]'],
    ['E', '[a-f]'],
    ['z', '[^a-f]'],
    ['a.b', 'a.b'],
    ['a+b(c)', 'a+b(c)'],
    ['line1\nline2', 'line1_line2'],
    ['line1\nline2', 'line1%'],
    [']', '[]]'],
    ['x', '[^]]'],
    ['-', '[-a]'],
    ['-', '[a-]'],
    ['^', '[^]'],
    ['C:\\Windows', 'C:\\%'],
    ['$1.00', '$1.00'],
  ];
  const no: Array<[string, string]> = [
    ['Dell Inc.', '%HP%'],
    ['Latitude E7270', 'Latitude'],
    ['HP', 'H'],
    ['HP', '_'],
    ['Latitude E7270', '%[_]%'],
    ['100', '100[%]'],
    ['e', '[^a-f]'],
    ['g', '[a-f]'],
    ['abc', 'a.c'],
    [']', '[^]]'],
    ['Latitude E7270 ', 'Latitude E7270'],
  ];
  for (const [s, p] of yes) it(`${JSON.stringify(s)} LIKE ${JSON.stringify(p)}`, () => expect(likeMatches(s, p)).toBe(true));
  for (const [s, p] of no) it(`${JSON.stringify(s)} NOT LIKE ${JSON.stringify(p)}`, () => expect(likeMatches(s, p)).toBe(false));

  it('compiles to an anchored, case-insensitive, dot-all regex; runs of % collapse', () => {
    const re = compileLike('%a%%%b_');
    expect(re.flags).toContain('i');
    expect(re.flags).toContain('s');
    expect(re.source.startsWith('^')).toBe(true);
    expect(re.source.endsWith('$')).toBe(true);
    expect(likeToRegexSource('%%%')).toBe('[\\s\\S]*');
  });

  it('many % cannot make matching backtrack exponentially', () => {
    const t = Date.now();
    expect(likeMatches('a'.repeat(300), `${'%a'.repeat(40)}%b`)).toBe(false);
    expect(likeMatches(`${'a'.repeat(300)}b`, `${'%a'.repeat(40)}%b`)).toBe(true);
    expect(likeMatches('a'.repeat(30), `${'%a'.repeat(31)}%`)).toBe(false);
    expect(Date.now() - t).toBeLessThan(200);
  });

  it('an unterminated [ and a backwards range are errors with the index of the problem', () => {
    expect(() => likeToRegexSource('ab[cd')).toThrow(LikePatternError);
    try {
      likeToRegexSource('ab[cd');
    } catch (e) {
      expect((e as LikePatternError).index).toBe(2);
    }
    expect(() => likeToRegexSource('[z-a]')).toThrow(/backwards/);
    expect(() => likeToRegexSource('[')).toThrow(/unterminated/);
  });
});

// ---------------------------------------------------------------- reference matcher

type Tok = { k: 'any' } | { k: 'one' } | { k: 'lit'; c: string } | { k: 'set'; neg: boolean; members: Array<string | [string, string]> };

const eqCi = (a: string, b: string): boolean => a.toUpperCase() === b.toUpperCase();
const inRange = (c: string, [lo, hi]: [string, string]): boolean => [c, c.toUpperCase(), c.toLowerCase()].some((x) => x >= lo && x <= hi);

function tokMatches(t: Tok, c: string): boolean {
  if (t.k === 'one') return true;
  if (t.k === 'lit') return eqCi(t.c, c);
  if (t.k === 'set') {
    const hit = t.members.some((m) => (typeof m === 'string' ? eqCi(m, c) : inRange(c, m)));
    return hit !== t.neg;
  }
  return false;
}

/** Textbook DP wildcard matcher over the token list. */
function reference(tokens: Tok[], s: string): boolean {
  let row = new Array<boolean>(s.length + 1).fill(false);
  row[0] = true;
  for (const t of tokens) {
    const next = new Array<boolean>(s.length + 1).fill(false);
    if (t.k === 'any') {
      let seen = false;
      for (let j = 0; j <= s.length; j++) {
        seen ||= row[j];
        next[j] = seen;
      }
    } else {
      for (let j = 1; j <= s.length; j++) next[j] = row[j - 1] && tokMatches(t, s[j - 1]);
    }
    row = next;
  }
  return row[s.length];
}

function print(tokens: Tok[]): string {
  return tokens
    .map((t) => {
      if (t.k === 'any') return '%';
      if (t.k === 'one') return '_';
      if (t.k === 'lit') return t.c;
      return `[${t.neg ? '^' : ''}${t.members.map((m) => (typeof m === 'string' ? m : `${m[0]}-${m[1]}`)).join('')}]`;
    })
    .join('');
}

const ALPHA = ['a', 'A', 'b', 'B', 'z', '0', '9', '.', '*', '(', '\\', '$', ' ', '\n', ']', '-', '^'];
const litChar = fc.constantFrom(...ALPHA);
const endpoint = fc.constantFrom('a', 'c', 'f', 'x', 'A', 'F', 'Z', '0', '5', '9');
const range = fc.tuple(endpoint, endpoint).map(([x, y]): [string, string] => (x <= y ? [x, y] : [y, x]));
// Set members: no '-' or '^' as plain members (they would read as a range or a negation), ']' only first.
const member = fc.oneof(fc.constantFrom('a', 'B', '.', '*', '%', '_', '[', '\\', ' ', '$'), range);
const setTok = fc
  .record({ neg: fc.boolean(), first: fc.oneof(member, fc.constant(']')), rest: fc.array(member, { maxLength: 3 }) })
  .map((r): Tok => ({ k: 'set', neg: r.neg, members: [r.first, ...r.rest] }));
const tok: fc.Arbitrary<Tok> = fc.oneof(
  fc.constant<Tok>({ k: 'any' }),
  fc.constant<Tok>({ k: 'one' }),
  litChar.map((c): Tok => ({ k: 'lit', c })),
  setTok,
);
const subject = fc.string({ unit: fc.constantFrom(...ALPHA, '%', '_', '[', 'c', 'F', 'x'), maxLength: 10 });

describe('LIKE against a reference matcher (fast-check)', () => {
  it('random patterns with sets, ranges and wildcards', () => {
    fc.assert(
      fc.property(fc.array(tok, { maxLength: 6 }), subject, (tokens, s) => {
        expect(likeMatches(s, print(tokens))).toBe(reference(tokens, s));
      }),
      { numRuns: 2000 },
    );
  });

  it('a pattern matches the subject it was made from when every token is a literal or _', () => {
    fc.assert(
      fc.property(subject, (s) => {
        const pattern = [...s].map((c) => (c === '%' || c === '_' || c === '[' ? `[${c}]` : c)).join('');
        expect(likeMatches(s, pattern)).toBe(true);
        expect(likeMatches(s.toUpperCase(), pattern)).toBe(true);
        expect(likeMatches(s, '_'.repeat(s.length))).toBe(true);
        expect(likeMatches(`${s}x`, pattern)).toBe(false);
      }),
    );
  });
});
