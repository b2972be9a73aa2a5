/**
 * Query rules as the services take them: parsed and compiled (which checks each constant against
 * its attribute's type), with a WqlError answered as the API's 400 naming the input, or, for a rule
 * stored before a rule it breaks existed, as a 409 naming the collection and the rule.
 */
import { WqlError } from '../../../engine/conditions/wql/errors.js';
import { badInput, conflict, type SiteError } from '../../errors.js';
import { nextSteps } from '../../next-steps.js';
import { parseCollectionQuery, QUERY_CLASS, type CollectionQuery } from './grammar.js';
import { compileCollectionQuery } from './sql.js';

/** A parse error as the API's 400: the input, the column and the problem. */
export function queryError(e: WqlError, input: string): SiteError {
  return badInput(
    input,
    `${e.column !== undefined ? `column ${e.column}: ` : ''}${e.message}${e.expected ? ` (expected ${e.expected})` : ''}`,
    e.hint ?? `e.g. select * from ${QUERY_CLASS} where ${QUERY_CLASS}.Name like 'PC%'`,
    {
      column: e.column,
      expected: e.expected,
    },
  );
}

/** Parses or throws the API's 400 naming `input`. */
export function checkCollectionQuery(text: string, input: string): CollectionQuery {
  try {
    const q = parseCollectionQuery(text);
    // Compiling checks the constants' types against the attributes too.
    compileCollectionQuery(q, []);
    return q;
  } catch (e) {
    if (e instanceof WqlError) throw queryError(e, input);
    throw e;
  }
}

/**
 * A stored query rule, parsed and checked by compiling it. A rule stored before a limit or a
 * syntax rule it breaks existed is answered as a conflict naming the collection and the rule (so
 * an admin can see which one to remove), not as a server error.
 */
export function storedCollectionQuery(text: string, collectionId: string, ruleId: number): CollectionQuery {
  try {
    const q = parseCollectionQuery(text);
    compileCollectionQuery(q, []);
    return q;
  } catch (e) {
    if (!(e instanceof WqlError)) throw e;
    throw conflict(
      `collection ${collectionId} rule ${ruleId}`,
      `the stored query rule no longer passes the query rules: ${e.column !== undefined ? `column ${e.column}: ` : ''}${e.message}`,
      'remove the rule and add it again corrected',
      nextSteps({ step: 'remove-collection-rule', ids: { collectionId, ruleId: String(ruleId) } }),
    );
  }
}
