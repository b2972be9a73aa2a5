/**
 * What the console's collection pages need beyond the collection routes: checking a query rule
 * while it is typed (the WQL query editor of Device Collections › Membership Rules), with the
 * parser's error at its position — the same parse and compile a rule goes through when it is added,
 * so a query this accepts is one POST /collections/:id/rules accepts.
 */
import { z } from 'zod';
import { WqlError } from '../../../engine/conditions/wql/errors.js';
import { parseCollectionQuery, QUERY_CLASS } from '../../../site/collections/query/grammar.js';
import { compileCollectionQuery } from '../../../site/collections/query/sql.js';
import { MAX_QUERY_LENGTH } from '../../../site/collections/limits.js';
import { route } from '../route.js';

const problem = z.object({
  rule: z.string().describe('what is wrong, in the WQL parser’s words'),
  column: z.number().nullable().describe('1-based position in the query text (line breaks count as one character)'),
  length: z.number().nullable().describe('how many characters the problem covers from column'),
  expected: z.string().nullable().describe('what would have been right at column'),
  hint: z.string().nullable(),
});

export const consoleCollectionRoutes = [
  route({
    method: 'POST',
    path: '/collections/validate-query',
    tag: 'collections',
    summary: 'Check a query rule (WQL over SMS_R_System) without saving it: valid, or the problem at its position',
    description:
      'The same checks as adding a query rule (parse, then compile against the attributes and their types). A query that is not valid is answered 200 with `valid: false` and the problem; only a body that is not a query at all is a 400.',
    permission: 'read',
    body: z.object({ query: z.string().min(1).max(MAX_QUERY_LENGTH) }).strict(),
    response: z.object({ valid: z.boolean(), problem: problem.nullable() }),
    handler: async ({ body }) => {
      try {
        compileCollectionQuery(parseCollectionQuery(body.query), []);
        return { valid: true, problem: null };
      } catch (e) {
        if (!(e instanceof WqlError)) throw e;
        return {
          valid: false,
          problem: {
            rule: e.message,
            column: e.column ?? null,
            length: e.length ?? null,
            expected: e.expected ?? null,
            hint: e.hint ?? `e.g. select * from ${QUERY_CLASS} where ${QUERY_CLASS}.Name like 'PC%'`,
          },
        };
      }
    },
  }),
];
