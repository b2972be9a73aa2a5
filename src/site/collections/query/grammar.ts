/**
 * The grammar of collection query rules (osd-features §3.1): `select … from SMS_R_System [where …]`
 * parsed by the engine's one WQL front end (src/engine/conditions/wql) with these options. Unlike a
 * task sequence condition a query rule reads one class, SMS_R_System, names its attributes
 * class-qualified as the console writes them (`SMS_R_System.Name`, `SMS_R_System.*`), may list
 * values with [NOT] IN (…), and may order booleans like any other value (`Name > TRUE` compares
 * text); its keywords are SQL's few, so `Group` or `Of` is an inventory property here. Every limit
 * of limits.ts is checked while parsing, before any work that grows with it, and so are the site's
 * text rules (no NUL or lone surrogate: the database could not take the query as a parameter).
 */
import type { WqlQuery } from '../../../engine/conditions/wql/ast.js';
import type { WqlGrammar } from '../../../engine/conditions/wql/grammar.js';
import { parseWql } from '../../../engine/conditions/wql/parser.js';
import { textProblem } from '../../text-rules.js';
import {
  MAX_IN_VALUES,
  MAX_LIKE_PATTERN_LENGTH,
  MAX_LIKE_SETS,
  MAX_NUMBER_DIGITS,
  MAX_QUERY_CONDITIONS,
  MAX_QUERY_DEPTH,
  MAX_QUERY_LENGTH,
} from '../limits.js';

export const QUERY_CLASS = 'SMS_R_System';

/** A parsed query rule: the engine's WQL AST, in the collection query grammar. */
export type CollectionQuery = WqlQuery;

export const COLLECTION_QUERY_GRAMMAR: WqlGrammar = {
  noun: 'query',
  context: 'a collection query',
  nameNoun: 'attribute',
  nameExpected: `an attribute of ${QUERY_CLASS}`,
  keywords: new Set(['AND', 'OR', 'NOT', 'LIKE', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE', 'SELECT', 'FROM', 'WHERE']),
  unsupportedClauses: new Set(['JOIN', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'ORDER', 'GROUP', 'HAVING', 'UNION', 'WITHIN', 'ASSOCIATORS', 'REFERENCES']),
  unsupported: {
    suffix: ' in a collection query',
    hint: `query ${QUERY_CLASS} alone: inventory classes are read through the device's properties (e.g. ${QUERY_CLASS}.Model)`,
  },
  splitInto: 'several query rules',
  classes: { names: [QUERY_CLASS], readers: 'collection queries', hint: `write "select * from ${QUERY_CLASS} where …"` },
  qualifiedNames: { joinHint: `joins to inventory classes are not supported: name the property directly (e.g. ${QUERY_CLASS}.Manufacturer)` },
  allowIn: true,
  orderBooleans: true,
  textRule: (text) => textProblem(text),
  limits: {
    maxLength: MAX_QUERY_LENGTH,
    maxDepth: MAX_QUERY_DEPTH,
    maxConditions: MAX_QUERY_CONDITIONS,
    maxInValues: MAX_IN_VALUES,
    maxLikePatternLength: MAX_LIKE_PATTERN_LENGTH,
    maxLikeSets: MAX_LIKE_SETS,
    maxNumberDigits: MAX_NUMBER_DIGITS,
  },
};

/**
 * Parses a query rule; throws WqlError with the 1-based column and what was expected. Refuses,
 * before tokenising, a query longer than MAX_QUERY_LENGTH or holding a NUL or a lone surrogate,
 * and while parsing whatever breaks a limit.
 */
export function parseCollectionQuery(text: string): CollectionQuery {
  return parseWql(text, COLLECTION_QUERY_GRAMMAR);
}
