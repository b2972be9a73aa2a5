/**
 * A request that does not fit its schema, as one SiteError that lists every problem: each wrong
 * value, and each unknown key on its own with the key it most likely stands for ("did you mean"),
 * so a caller fixes the whole request in one go rather than one refusal at a time.
 */
import type { z } from 'zod';
import { didYouMean } from '../common/did-you-mean.js';
import { knownKeysAt } from '../common/zod-keys.js';
import { SiteError } from './errors.js';
import { nextSteps } from './next-steps.js';

/** One problem of a request: the field (`body.rules.1.query`), the rule it broke and, where there is one, a fix. */
export interface InputProblem {
  input: string;
  rule: string;
  hint?: string;
}

/** How many known keys a hint lists when no single one is near. */
const MAX_KEYS_LISTED = 12;
/** How many problems an answer lists (a body can hold any number of unknown keys). */
export const MAX_LISTED_INPUT_PROBLEMS = 100;

/** `body.rules.1.query` from 'body' and ['rules', 1, 'query'] (the spelling the admin API has always answered with). */
function field(where: string, path: readonly PropertyKey[]): string {
  return [where, ...path.map(String)].join('.');
}

/**
 * The problems of a zod error: an unrecognized_keys issue becomes one problem per key, with a
 * "did you mean" from the keys the schema knows there (when the schema and the value are given).
 */
export function inputProblems(e: z.ZodError, where: string, schema?: z.ZodType, value?: unknown): InputProblem[] {
  const out: InputProblem[] = [];
  for (const issue of e.issues) {
    if (issue.code !== 'unrecognized_keys') {
      out.push({ input: field(where, issue.path), rule: issue.message });
      continue;
    }
    const known = schema ? knownKeysAt(schema, issue.path, value) : undefined;
    for (const key of issue.keys) {
      const near = known ? didYouMean(key, known) : undefined;
      const listed = known?.length
        ? `the keys here are ${known.slice(0, MAX_KEYS_LISTED).join(', ')}${known.length > MAX_KEYS_LISTED ? ', …' : ''}`
        : undefined;
      out.push({ input: field(where, [...issue.path, key]), rule: `unknown key "${key}"`, hint: near ?? listed });
    }
  }
  return out;
}

/**
 * Every problem of a request as one 400: the first names the input, rule and hint of the answer;
 * `problems` lists them all (the first 100, and `problemCount` past that); the next step is the
 * interface's reference of what a request holds (the admin API's OpenAPI document).
 */
export function inputProblemsError(e: z.ZodError, where: string, options: { schema?: z.ZodType; value?: unknown } = {}): SiteError {
  const { schema, value } = options;
  const problems = inputProblems(e, where, schema, value);
  const first = problems[0] ?? { input: where, rule: 'does not match the schema' };
  const more = problems.length > 1 ? `${problems.length} problems in all, each listed` : undefined;
  return new SiteError('bad-input', {
    input: first.input,
    rule: first.rule,
    hint: [first.hint, more].filter(Boolean).join('; ') || undefined,
    details: {
      ...(problems.length > MAX_LISTED_INPUT_PROBLEMS
        ? { problems: problems.slice(0, MAX_LISTED_INPUT_PROBLEMS), problemCount: problems.length }
        : { problems }),
      ...nextSteps('read-reference'),
    },
  });
}
