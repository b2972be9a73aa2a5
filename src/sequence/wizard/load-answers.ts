/**
 * Reading a wizard answers file (JSON or YAML, docs/wizard-answers.md) into WizardAnswers with the
 * console's defaults. A syntax error stops the reading (with the whole message: what was expected,
 * the line and column, and the line itself with a caret); every other problem — unknown keys,
 * wrong types, and the wizard's own rules — is reported at once, with its path and line
 * (check-answers.ts).
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Pair } from 'yaml';
import { InputError, locate, type InputLocation } from '../input-error.js';
import { formatBytes, MAX_ANSWERS_BYTES } from '../limits.js';
import type { SiteManifest } from '../site-manifest.js';
import type { WizardAnswers } from './answers.js';
import { checkAnswers, type CheckedAnswers } from './check-answers.js';
import { formatWizardErrors } from './validate.js';

/** How many problems a refusal lists (an answers file can list thousands of unknown keys). */
export const MAX_LISTED_PROBLEMS = 100;

/** The answers in a file, as parsed (before any check), and where each path is in it. */
export interface AnswersDocument {
  value: unknown;
  /** Where a path is in the source, when known (YAML). */
  locate: (path: PropertyKey[]) => InputLocation | undefined;
}

/** JSON when the text starts with `{` (JSON.parse's errors are the clearer ones there), YAML otherwise. Throws on a syntax error only. */
export function readAnswersDocument(text: string, input: string): AnswersDocument {
  // Before parsing: YAML parsing is linear but slow (about 3 µs a byte), and answers are small.
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_ANSWERS_BYTES) {
    throw new InputError({
      input,
      rule: `the answers file is ${bytes.toLocaleString('en-US')} bytes; at most ${formatBytes(MAX_ANSWERS_BYTES)} are allowed`,
      hint: 'an answers file lists a few dozen settings (docs/wizard-answers.md)',
    });
  }
  const source = text.replace(/^\uFEFF/, '');
  return /^\s*\{/.test(source) ? parseJson(source, input) : parseYaml(source, input);
}

/** Every problem of an answers file (shape and the wizard's rules, against `site` when given), and the answers when their shape is right. */
export function checkAnswersText(text: string, input: string, site?: SiteManifest): CheckedAnswers {
  const doc = readAnswersDocument(text, input);
  return checkAnswers(doc.value, site, doc.locate);
}

/** The answers of a file whose shape is right (the wizard's rules are validate.ts's job); every shape problem at once otherwise. */
export function parseAnswers(text: string, input: string): WizardAnswers {
  const doc = readAnswersDocument(text, input);
  const checked = checkAnswers(doc.value, undefined, doc.locate, { rules: false });
  if (!checked.answers) {
    const errors = checked.problems.filter((p) => p.severity === 'error');
    throw new InputError({
      input,
      rule: `not a valid answers file (${errors.length} problem${errors.length === 1 ? '' : 's'}):\n${formatWizardErrors(errors, MAX_LISTED_PROBLEMS)}`,
      hint: 'see docs/wizard-answers.md for every key, its type and default',
    });
  }
  return checked.answers;
}

/**
 * The line of a syntax error and the one before it, numbered, with a caret under the column:
 *
 *       5 |   imagePackageId: [PS100010
 *       6 |   imageIndex: 2
 *         |   ^
 */
export function sourceExcerpt(source: string, at: InputLocation): string {
  const lines = source.split(/\r?\n/);
  const width = String(at.line).length;
  const row = (n: number): string => `    ${String(n).padStart(width)} | ${lines[n - 1]!.replace(/\t/g, ' ')}`;
  const out: string[] = [];
  if (at.line > 1 && lines[at.line - 2]!.trim() !== '') out.push(row(at.line - 1));
  if (at.line <= lines.length) out.push(row(at.line));
  out.push(`    ${' '.repeat(width)} | ${' '.repeat(Math.max(0, at.column - 1))}^`);
  return out.join('\n');
}

function parseJson(source: string, input: string): AnswersDocument {
  try {
    return { value: JSON.parse(source), locate: () => undefined };
  } catch (e) {
    const message = (e as Error).message;
    const at = /position (\d+)/.exec(message);
    const location = at ? locate(source, Number(at[1])) : undefined;
    const what = message.replace(/ in JSON at position \d+.*$/s, '');
    throw new InputError({ input, rule: `malformed JSON: ${what}${location ? `\n${sourceExcerpt(source, location)}` : ''}`, location });
  }
}

function parseYaml(source: string, input: string): AnswersDocument {
  const lineCounter = new LineCounter();
  // Duplicate keys are found below in one pass: the yaml package's uniqueKeys compares every key
  // with every other (quadratic: 10,000 keys take seconds).
  const doc = parseDocument(source, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const location = toLocation(lineCounter, first.pos[0]);
    const atEnd = first.pos[0] >= source.trimEnd().length ? ', at the end of the file' : '';
    const more = doc.errors.length > 1 ? ` (the first of ${doc.errors.length} syntax errors)` : '';
    throw new InputError({
      input,
      rule: `malformed YAML: ${first.message}${atEnd}${more}\n${sourceExcerpt(source, location)}`,
      location,
      hint: 'YAML nests by indentation with spaces; quote values that hold ": " or start with [ { * & ! | > \' " % @',
    });
  }
  // Aliases (&a / *a) are refused: an answers file has no use for them, and they are the way to
  // make a small file expand into a huge one.
  let alias: InputLocation | undefined;
  visit(doc, {
    Alias(_key, node) {
      alias = node.range ? toLocation(lineCounter, node.range[0]) : { line: 1, column: 1 };
      return visit.BREAK;
    },
  });
  if (alias)
    throw new InputError({ input, rule: 'YAML aliases (*name) are not allowed in an answers file', location: alias, hint: 'write the value out in full' });
  let duplicate: { key: string; at: InputLocation } | undefined;
  visit(doc, {
    Map(_key, node) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key === undefined) continue;
        if (seen.has(key)) {
          const range = (pair.key as { range?: [number, number, number] }).range;
          duplicate = { key, at: range ? toLocation(lineCounter, range[0]) : { line: 1, column: 1 } };
          return visit.BREAK;
        }
        seen.add(key);
      }
      return undefined;
    },
  });
  if (duplicate)
    throw new InputError({
      input,
      rule: `malformed YAML: Map keys must be unique ("${duplicate.key}" appears twice)\n${sourceExcerpt(source, duplicate.at)}`,
      location: duplicate.at,
    });
  const index = new WeakMap<object, Map<unknown, Pair>>();
  return { value: doc.toJS({ maxAliasCount: 0 }), locate: (path) => locateInYaml(doc, lineCounter, path, index) };
}

function toLocation(lc: LineCounter, offset: number): InputLocation {
  const pos = lc.linePos(offset);
  return { line: pos.line, column: pos.col };
}

/**
 * The line and column of the node at `path` (of a key: the key's), when the file has it. Each map's
 * keys are indexed once (`index`), so locating every one of thousands of problems stays linear.
 */
function locateInYaml(doc: Document, lc: LineCounter, path: PropertyKey[], index: WeakMap<object, Map<unknown, Pair>>): InputLocation | undefined {
  let node: unknown = doc.contents;
  let at: unknown = node;
  for (const key of path) {
    if (isMap(node)) {
      let keys = index.get(node);
      if (!keys) {
        keys = new Map();
        for (const p of node.items) {
          const k = (p.key as { value?: unknown } | null)?.value;
          if (!keys.has(k)) keys.set(k, p);
        }
        index.set(node, keys);
      }
      const pair = keys.get(key);
      if (!pair) return undefined;
      at = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      at = node;
    } else return undefined;
    if (isAlias(node)) return undefined;
  }
  const range = (at as { range?: [number, number, number] } | undefined)?.range;
  return range ? toLocation(lc, range[0]) : undefined;
}
