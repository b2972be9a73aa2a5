/**
 * Rules every request to the admin API meets before any route sees it, so that the same bad input
 * gets the same answer on every route (issue 10 §8): the URL's length and percent-encoding, the
 * JSON body's encoding and nesting, and every string in params, query and body free of NUL and
 * lone surrogates (PostgreSQL refuses NUL in text; a lone surrogate would be stored as U+FFFD).
 * Each refusal is a 400 (414 for the URL) that names the field and the rule. The limits are listed
 * in docs/site.md § Security.
 */
import { SiteError, badInput } from '../../site/errors.js';
import { textProblem } from '../../site/text-rules.js';

/** Longest request target (path and query) the API reads. */
export const MAX_URL_BYTES = 8 * 1024;
/** Deepest nesting of arrays and objects in a JSON body (a task sequence's canonical JSON stays far below). */
export const MAX_BODY_DEPTH = 512;

/** Refuses an over-long URL or a query string whose percent-encoding is not UTF-8. */
export function checkRequestUrl(url: string): void {
  if (url.length > MAX_URL_BYTES) {
    throw new SiteError('uri-too-long', {
      input: 'URL',
      rule: `the request URL is ${url.length} bytes; the limit is ${MAX_URL_BYTES}`,
      hint: 'send long values (queries, lists) in a JSON body instead',
    });
  }
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  try {
    decodeURIComponent(path);
  } catch {
    throw badInput('URL path', 'the path is not valid percent-encoded UTF-8', 'encode each path segment with encodeURIComponent');
  }
  if (q === -1) return;
  for (const part of url.slice(q + 1).split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    try {
      decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      throw badInput(`query.${safeKey(key)}`, 'the query string is not valid percent-encoded UTF-8', 'encode each value with encodeURIComponent');
    }
  }
}

function safeKey(key: string): string {
  try {
    return decodeURIComponent(key).replace(/[^\x20-\x7e]/g, '?');
  } catch {
    return key.replace(/[^\x20-\x7e]/g, '?');
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A JSON body as text: valid UTF-8 (no silent U+FFFD) and not nested deeper than MAX_BODY_DEPTH. */
export function jsonBodyText(body: Buffer): string {
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    throw badInput('request body', 'the body is not valid UTF-8', 'send JSON encoded as UTF-8');
  }
  checkJsonDepth(text);
  return text;
}

/** One linear pass over the text, counting brackets outside strings (JSON.parse itself recurses). */
function checkJsonDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_BODY_DEPTH) {
        throw badInput('request body', `the JSON nests deeper than ${MAX_BODY_DEPTH} levels of arrays and objects`, 'flatten the structure');
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

/**
 * The first string (or object key) in `value` that holds a NUL or a lone surrogate, as a field
 * path (`body.rules[2].query`), with what is wrong; undefined when all are clean. Iterative, so a
 * deep value cannot overflow the stack.
 */
export function findBadString(value: unknown, where: string): { input: string; rule: string } | undefined {
  const stack: Array<[unknown, string]> = [[value, where]];
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      const bad = badCharacter(v);
      if (bad) return { input: path, rule: bad };
    } else if (ArrayBuffer.isView(v)) {
      // A raw body (a zip, a file): bytes, not text; its reader checks what it decodes.
      continue;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}[${i}]`]);
    } else if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        const bad = badCharacter(k);
        if (bad) return { input: `${path} (a key)`, rule: bad };
        stack.push([(v as Record<string, unknown>)[k], `${path}.${k}`]);
      }
    }
  }
  return undefined;
}

/** What is wrong with a string's characters for storage as text (NUL, lone surrogate), or undefined. */
export function badCharacter(s: string): string | undefined {
  return textProblem(s, 'text')?.rule;
}

/** Throws the 400 for the first bad string of params, query and body. */
export function checkRequestStrings(parts: ReadonlyArray<[unknown, string]>): void {
  for (const [value, where] of parts) {
    const bad = findBadString(value, where);
    if (bad) throw badInput(bad.input, bad.rule, 'remove the character, or send valid Unicode text');
  }
}
