/**
 * WQL LIKE patterns (conditions-wql §2.2): `%` any run, `_` one character, `[abc]` / `[a-f]` one of
 * a set, `[^…]` none of it. A literal `%`, `_` or `[` is written in brackets (`[%]`, `[_]`, `[[]`).
 * Compiled to an anchored regular expression with the `i` (comparisons are case-insensitive [D])
 * and `s` (`_` and `%` match line breaks too) flags; everything else is escaped.
 *
 * Inside brackets the first character is literal even when it is `]` (so `[]]` is a `]`), `-`
 * between two characters is a range and literal at either end [I]; a range written backwards
 * (`[z-a]`) and an unterminated `[` are syntax errors [I].
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

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/-]/g;
const escapeChar = (c: string): string => c.replace(REGEX_SPECIAL, (m) => `\\${m}`);

/**
 * The regular-expression source (without anchors) of a LIKE pattern; throws LikePatternError.
 *
 * Between `%`s every atom matches exactly one character, so matching each middle segment at its
 * earliest position is correct; the regex does that atomically (`(?=([\s\S]*?seg))\1`) so
 * patterns such as `%a%a%a%a%b` cannot make the engine backtrack exponentially.
 */
export function likeToRegexSource(pattern: string): string {
  const segments: string[][] = [[]];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '%') {
      while (pattern[i] === '%') i++;
      segments.push([]);
      continue;
    }
    const seg = segments[segments.length - 1];
    if (c === '_') {
      seg.push('[\\s\\S]');
      i++;
      continue;
    }
    if (c === '[') {
      const open = i;
      i++;
      let negated = false;
      if (pattern[i] === '^' && i + 1 < pattern.length && pattern.indexOf(']', i + 2) !== -1) {
        negated = true;
        i++;
      }
      const members: string[] = [];
      let first = true;
      for (;;) {
        if (i >= pattern.length) throw new LikePatternError('unterminated [ in LIKE pattern', open);
        const d = pattern[i];
        if (d === ']' && !first) break;
        first = false;
        if (pattern[i + 1] === '-' && i + 2 < pattern.length && pattern[i + 2] !== ']') {
          const hi = pattern[i + 2];
          if (hi < d) throw new LikePatternError(`range ${d}-${hi} in a LIKE set is backwards`, i);
          members.push(`${escapeChar(d)}-${escapeChar(hi)}`);
          i += 3;
          continue;
        }
        members.push(escapeChar(d));
        i++;
      }
      i++;
      seg.push(`[${negated ? '^' : ''}${members.join('')}]`);
      continue;
    }
    seg.push(escapeChar(c));
    i++;
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
