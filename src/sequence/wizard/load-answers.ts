/**
 * Reading a wizard answers file (JSON or YAML, docs/wizard-answers.md) into WizardAnswers with the
 * console's defaults. Shape errors (unknown keys, wrong types) are all reported at once with their
 * path and line; the wizard's own rules are validate.ts's job.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document } from 'yaml';
import type { z } from 'zod';
import { InputError, locate, type InputLocation } from '../input-error.js';
import { formatBytes, MAX_ANSWERS_BYTES } from '../limits.js';
import { answersSchema, type WizardAnswers } from './answers.js';

const MAX_ISSUES = 20;

/** JSON when the text starts with `{` (JSON.parse's errors are the clearer ones there), YAML otherwise. */
export function parseAnswers(text: string, input: string): WizardAnswers {
  // Before parsing: YAML parsing is linear but slow (about 3 µs a byte), and answers are small.
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_ANSWERS_BYTES) {
    throw new InputError({ input, rule: `the answers file is ${bytes.toLocaleString('en-US')} bytes; at most ${formatBytes(MAX_ANSWERS_BYTES)} are allowed`, hint: 'an answers file lists a few dozen settings (docs/wizard-answers.md)' });
  }
  const source = text.replace(/^\uFEFF/, '');
  const data = /^\s*\{/.test(source) ? parseJson(source, input) : parseYaml(source, input);
  const parsed = answersSchema.safeParse(data.value);
  if (!parsed.success) {
    throw new InputError({
      input,
      rule: `not a valid answers file:\n${describeIssues(parsed.error.issues, data.locate)}`,
      hint: 'see docs/wizard-answers.md for every key, its type and default',
    });
  }
  return parsed.data;
}

interface Parsed {
  value: unknown;
  /** Where a path is in the source, when known. */
  locate: (path: PropertyKey[]) => InputLocation | undefined;
}

function parseJson(source: string, input: string): Parsed {
  try {
    return { value: JSON.parse(source), locate: () => undefined };
  } catch (e) {
    const message = (e as Error).message;
    const at = /position (\d+)/.exec(message);
    throw new InputError({ input, rule: `malformed JSON: ${message}`, location: at ? locate(source, Number(at[1])) : undefined });
  }
}

function parseYaml(source: string, input: string): Parsed {
  const lineCounter = new LineCounter();
  // Duplicate keys are found below in one pass: the yaml package's uniqueKeys compares every key
  // with every other (quadratic: 10,000 keys take seconds).
  const doc = parseDocument(source, { lineCounter, uniqueKeys: false, prettyErrors: true });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    throw new InputError({
      input,
      rule: `malformed YAML: ${first.message.split('\n')[0]}`,
      location: pos ? { line: pos.line, column: pos.col } : undefined,
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
  if (alias) throw new InputError({ input, rule: 'YAML aliases (*name) are not allowed in an answers file', location: alias, hint: 'write the value out in full' });
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
  if (duplicate) throw new InputError({ input, rule: `malformed YAML: Map keys must be unique ("${duplicate.key}" appears twice)`, location: duplicate.at });
  return { value: doc.toJS({ maxAliasCount: 0 }), locate: (path) => locateInYaml(doc, lineCounter, path) };
}

function toLocation(lc: LineCounter, offset: number): InputLocation {
  const pos = lc.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function locateInYaml(doc: Document, lc: LineCounter, path: PropertyKey[]): InputLocation | undefined {
  let node: unknown = doc.contents;
  let last: unknown = node;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
      if (!pair) break;
      last = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
    } else break;
    if (node && !isAlias(node)) last = node;
  }
  const range = (last as { range?: [number, number, number] } | undefined)?.range;
  return range ? toLocation(lc, range[0]) : undefined;
}

function describeIssues(issues: z.core.$ZodIssue[], where: Parsed['locate']): string {
  const lines = issues.slice(0, MAX_ISSUES).map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(document)';
    // Point at the unknown key itself; a missing key has no line of its own.
    const unknown = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
    const loc = missing ? undefined : where(unknown === undefined ? issue.path : [...issue.path, unknown]);
    const message = missing ? `missing: ${issue.message.replace(/^Invalid input: /, '').replace(/, received undefined$/, '')}` : issue.message;
    return `  ${path}${loc ? ` (line ${loc.line})` : ''}: ${message}`;
  });
  if (issues.length > MAX_ISSUES) lines.push(`  … and ${issues.length - MAX_ISSUES} more`);
  return lines.join('\n');
}
