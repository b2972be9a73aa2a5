/**
 * WQL tokens (conditions-wql §2.1). Strings take `'…'` or `"…"`; inside them a backslash escapes
 * a backslash or either quote, any other backslash is kept literally [I]. Typographic quotes
 * outside a string are an error with a "replace smart quotes" hint [I].
 */
import { WqlError } from './errors.js';

export type TokenKind = 'ident' | 'string' | 'number' | 'op' | 'comma' | 'lparen' | 'rparen' | 'star' | 'dot' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Raw text for ident/op/number; the decoded value for strings. */
  text: string;
  start: number;
  end: number;
  /** Strings: raw offset of each decoded character, so errors inside a LIKE pattern point at the right column. */
  offsets?: number[];
}

const SMART_QUOTES = '\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2032\u2033\u00b4\u0060';
export const SMART_QUOTE_HINT = 'replace smart quotes (‘ ’ “ ”) with straight quotes (\' or "); they come from copying the query out of a document';

const NUMBER = /[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

const isIdentStart = (c: string): boolean => /[A-Za-z_]/.test(c);
const isIdentPart = (c: string): boolean => /[A-Za-z0-9_]/.test(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const err = (message: string, at: number, extra: { expected?: string; hint?: string; length?: number } = {}): WqlError =>
    new WqlError({
      codeName: 'WBEM_E_INVALID_QUERY',
      message,
      query: text,
      column: at + 1,
      length: extra.length ?? 1,
      expected: extra.expected,
      hint: extra.hint,
    });
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"') {
      let value = '';
      const offsets: number[] = [];
      i++;
      for (;;) {
        if (i >= text.length)
          throw err(`unterminated string starting at column ${start + 1}`, start, { expected: `a closing ${c}`, length: text.length - start });
        const d = text[i];
        if (d === c) break;
        if (d === '\\' && i + 1 < text.length && (text[i + 1] === '\\' || text[i + 1] === '"' || text[i + 1] === "'")) {
          offsets.push(i);
          value += text[i + 1];
          i += 2;
          continue;
        }
        offsets.push(i);
        value += d;
        i++;
      }
      i++;
      out.push({ kind: 'string', text: value, start, end: i, offsets });
      continue;
    }
    if (SMART_QUOTES.includes(c)) {
      throw err(`typographic quote ${c} is not a WQL string delimiter`, i, { expected: '\' or "', hint: SMART_QUOTE_HINT });
    }
    if (isIdentStart(c)) {
      while (i < text.length && isIdentPart(text[i])) i++;
      out.push({ kind: 'ident', text: text.slice(start, i), start, end: i });
      continue;
    }
    if (isDigit(c) || ((c === '-' || c === '+') && isDigit(text[i + 1]))) {
      // Sticky, from i: slicing the rest of the text for every number would be quadratic.
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text)!;
      i += m[0].length;
      out.push({ kind: 'number', text: m[0], start, end: i });
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '<>' || two === '!=' || two === '<=' || two === '>=') {
      i += 2;
      out.push({ kind: 'op', text: two, start, end: i });
      continue;
    }
    const single: Partial<Record<string, TokenKind>> = { '=': 'op', '<': 'op', '>': 'op', ',': 'comma', '(': 'lparen', ')': 'rparen', '*': 'star', '.': 'dot' };
    const kind = single[c];
    if (kind) {
      i++;
      out.push({ kind, text: c, start, end: i });
      continue;
    }
    if (c === '-' || c === '+' || c === '/') {
      throw err(`arithmetic (${c}) is not supported in WQL`, i, { hint: 'compare a property with a constant value' });
    }
    throw err(`unexpected character ${JSON.stringify(c)}`, i);
  }
  out.push({ kind: 'eof', text: '', start: text.length, end: text.length });
  return out;
}
