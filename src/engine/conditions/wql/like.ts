/**
 * WQL LIKE patterns (conditions-wql §2.2): `%` any run, `_` one character, `[abc]` / `[a-f]` one of
 * a set, `[^…]` none of it. A literal `%`, `_` or `[` is written in brackets (`[%]`, `[_]`, `[[]`).
 * Compiled to an anchored regular expression with the `i` (comparisons are case-insensitive [D])
 * and `s` (`_` and `%` match line breaks too) flags; everything else is escaped.
 *
 * Inside brackets the first character is literal even when it is `]` (so `[]]` is a `]`), `-`
 * between two characters is a range and literal at either end [I]; `^` first negates the set
 * when another `]` follows (so `[^]` is a `^` and `[^]]` anything but `]`) [I]. Syntax errors
 * [I]: an unterminated `[` (`[`, `[]`, `%[`), a range written backwards (`[z-a]`), a range
 * followed by `-` and another character (`[a-c-e]`, `[a-a-a]`: ambiguous), and a character
 * outside the Basic Multilingual Plane inside a set (it is two UTF-16 units, which a set cannot
 * hold as one character).
 *
 * parseLikePattern is the one reading of a pattern: the JavaScript regex here and the site's
 * PostgreSQL regex (src/site/collections/query/sql.ts) are both built from its tokens, so a
 * pattern the parser accepts means the same everywhere.
 */

export class LikePatternError extends Error {
  /** 0-based index into the pattern of the offending character. */
  readonly index: number;
  constructor(message: string, index: number) {
    super(message);
    this.name = 'LikePatternError';
    this.index = index;
  }
}

/** One element of a set: a character, or an inclusive range [lo, hi] (UTF-16 units, BMP only). */
export type LikeSetItem = string | readonly [string, string];

export type LikeToken =
  /** `%` (a run of them is one token) */
  | { kind: 'any' }
  /** `_` */
  | { kind: 'one' }
  | { kind: 'char'; char: string }
  | { kind: 'set'; negated: boolean; items: LikeSetItem[] };

const isSurrogate = (c: string): boolean => {
  const u = c.charCodeAt(0);
  return u >= 0xd800 && u <= 0xdfff;
};

/** The tokens of a LIKE pattern; throws LikePatternError with the index of the problem. Linear in the pattern's length. */
export function parseLikePattern(pattern: string): LikeToken[] {
  const out: LikeToken[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '%') {
      while (pattern[i] === '%') i++;
      out.push({ kind: 'any' });
      continue;
    }
    if (c === '_') {
      out.push({ kind: 'one' });
      i++;
      continue;
    }
    if (c !== '[') {
      out.push({ kind: 'char', char: c });
      i++;
      continue;
    }
    const open = i;
    i++;
    // `^` negates only when a `]` can still close the set after the (literal) first member.
    let negated = false;
    if (pattern[i] === '^' && i + 1 < pattern.length && pattern.indexOf(']', i + 2) !== -1) {
      negated = true;
      i++;
    }
    const items: LikeSetItem[] = [];
    let first = true;
    for (;;) {
      if (i >= pattern.length) throw new LikePatternError('unterminated [ in LIKE pattern', open);
      const d = pattern[i];
      if (d === ']' && !first) break;
      first = false;
      if (isSurrogate(d)) throw new LikePatternError('a LIKE set can hold only characters up to U+FFFF', i);
      if (pattern[i + 1] === '-' && i + 2 < pattern.length && pattern[i + 2] !== ']') {
        const hi = pattern[i + 2];
        if (isSurrogate(hi)) throw new LikePatternError('a LIKE set can hold only characters up to U+FFFF', i + 2);
        if (hi < d) throw new LikePatternError(`range ${d}-${hi} in a LIKE set is backwards`, i);
        if (pattern[i + 3] === '-' && i + 4 < pattern.length && pattern[i + 4] !== ']') {
          throw new LikePatternError(`range ${d}-${hi} in a LIKE set is followed by -${pattern[i + 4]}: a - after a range is ambiguous`, i + 3);
        }
        items.push([d, hi]);
        i += 3;
        continue;
      }
      items.push(d);
      i++;
    }
    i++;
    out.push({ kind: 'set', negated, items });
  }
  return out;
}

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/-]/g;
const escapeChar = (c: string): string => c.replace(REGEX_SPECIAL, (m) => `\\${m}`);

function tokenSource(t: LikeToken): string {
  if (t.kind === 'one') return '[\\s\\S]';
  if (t.kind === 'char') return escapeChar(t.char);
  if (t.kind === 'set') {
    const items = t.items.map((m) => (typeof m === 'string' ? escapeChar(m) : `${escapeChar(m[0])}-${escapeChar(m[1])}`));
    return `[${t.negated ? '^' : ''}${items.join('')}]`;
  }
  throw new Error('% has no single-token source');
}

/**
 * The regular-expression source (without anchors) of a LIKE pattern; throws LikePatternError.
 *
 * Between `%`s every atom matches exactly one character, so matching each middle segment at its
 * earliest position is correct; the regex does that atomically (`(?=([\s\S]*?seg))\1`) so
 * patterns such as `%a%a%a%a%b` cannot make the engine backtrack exponentially.
 */
export function likeToRegexSource(pattern: string): string {
  const segments: string[][] = [[]];
  for (const t of parseLikePattern(pattern)) {
    if (t.kind === 'any') segments.push([]);
    else segments[segments.length - 1].push(tokenSource(t));
  }
  if (segments.length === 1) return segments[0].join('');
  let out = segments[0].join('');
  let group = 0;
  for (const seg of segments.slice(1, -1)) {
    if (!seg.length) continue;
    group++;
    out += `(?=([\\s\\S]*?${seg.join('')}))\\${group}`;
  }
  return `${out}[\\s\\S]*${segments[segments.length - 1].join('')}`;
}

const cache = new Map<string, RegExp>();

/** The compiled, anchored, case-insensitive matcher of a LIKE pattern; throws LikePatternError. */
export function compileLike(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${likeToRegexSource(pattern)})$`, 'is');
    if (cache.size > 500) cache.clear();
    cache.set(pattern, re);
  }
  return re;
}

export function likeMatches(value: string, pattern: string): boolean {
  return compileLike(pattern).test(value);
}
