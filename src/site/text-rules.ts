/**
 * The string rules every site service applies to text before it reaches the database (issue 10),
 * whatever path called it (the admin API checks requests too, but services are called by other
 * paths). One place, so every object refuses the same things with the same words:
 *
 * - all text (`checkText`): no NUL (PostgreSQL cannot store U+0000 in text or jsonb: SQLSTATE
 *   22021 / 22P05) and no lone surrogate (U+D800–U+DFFF without its pair is not Unicode; the
 *   drivers would silently store U+FFFD instead);
 * - names (`checkName`), which consoles, logs and terminals show: additionally no control
 *   character (C0 U+0000–U+001F, DEL U+007F, C1 U+0080–U+009F) and no invisible format character
 *   (Unicode category Cf: the bidirectional overrides and isolates U+202A–U+202E and U+2066–U+2069,
 *   the zero-width characters and marks U+200B–U+200F, U+FEFF, soft hyphen, tags …), nor the line
 *   and paragraph separators U+2028/U+2029, any of which can make one name look like another.
 *
 * Each check throws `badInput(field, rule, hint)` (the API's 400) naming the field, the character
 * (as U+XXXX, never raw) and where it is; `textProblem` gives the same finding without throwing,
 * for callers that collect every problem first (CSV import); `quoteForMessage` quotes a refused
 * value in a message without passing such characters on.
 */
import { badInput } from './errors.js';

/** What a text is checked as: any stored text, or a name shown to people. */
export type TextKind = 'text' | 'name';

export interface TextProblem {
  /** The rule broken, e.g. `contains a NUL character (U+0000) at character 4`. */
  rule: string;
  hint: string;
  /** 0-based UTF-16 index of the offending character. */
  index: number;
}

// With the u flag a lone surrogate is one code point of category Cs; a valid pair never matches.
const TEXT_BAD = /[\0\p{Cs}]/u;
const NAME_BAD = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/u;

const hex = (cp: number): string => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

function describe(cp: number): string {
  if (cp === 0) return 'a NUL character (U+0000)';
  if (cp >= 0xd800 && cp <= 0xdfff) return `a lone surrogate (${hex(cp)}), which is not valid Unicode`;
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp <= 0x9f)) return `the control character ${hex(cp)}`;
  if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0x200e || cp === 0x200f || cp === 0x061c) {
    return `the bidirectional formatting character ${hex(cp)}`;
  }
  if (cp === 0x2028 || cp === 0x2029) return `the line/paragraph separator ${hex(cp)}`;
  return `the invisible formatting character ${hex(cp)}`;
}

function hintFor(cp: number, kind: TextKind): string {
  if (cp === 0) return 'the site cannot store NUL characters in text: remove it';
  if (cp >= 0xd800 && cp <= 0xdfff) return 'send well-formed Unicode (a surrogate only as part of a pair)';
  return kind === 'name' ? 'names are shown in consoles, logs and terminals: use visible characters only' : 'remove the character';
}

/** The first problem of `value` as `kind`, or undefined when it is acceptable. One linear pass. */
export function textProblem(value: string, kind: TextKind = 'text'): TextProblem | undefined {
  const m = (kind === 'name' ? NAME_BAD : TEXT_BAD).exec(value);
  if (!m) return undefined;
  const cp = m[0].codePointAt(0)!;
  return { rule: `contains ${describe(cp)} at character ${m.index + 1}`, hint: hintFor(cp, kind), index: m.index };
}

/**
 * `value` in double quotes for an error message: cut at `max` characters (with …), and every
 * character a name may not hold (controls, invisible formatting, lone surrogates) written as
 * \uXXXX, so echoing a refused input can never spoof a terminal.
 */
export function quoteForMessage(value: string, max = 60): string {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return `"${cut.replace(new RegExp(NAME_BAD.source, 'gu'), (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`)}"`;
}

/** Refuses NUL and lone surrogates in any stored text; returns `value`. Throws badInput naming `field`. */
export function checkText(value: string, field: string): string {
  const p = textProblem(value, 'text');
  if (p) throw badInput(field, p.rule, p.hint);
  return value;
}

/**
 * Refuses in a name what checkText refuses and also control and invisible formatting characters;
 * returns `value`. Length, emptiness and trimming stay the caller's (they differ per object).
 */
export function checkName(value: string, field: string): string {
  const p = textProblem(value, 'name');
  if (p) throw badInput(field, p.rule, p.hint);
  return value;
}
