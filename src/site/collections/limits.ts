/**
 * The limits of collections and their query rules (issue 10 "Site hardening"), in one place. Each
 * is checked before the work it bounds and answered with a 400 that names the field and the
 * limit. The values are generous for real use: ConfigMgr query rules are usually well under a few
 * KB, nest a handful of levels and name a few dozen values.
 */

/** Characters in a collection query rule (the admin API's body limit for `query` is the same). */
export const MAX_QUERY_LENGTH = 16_000;

/**
 * Deepest nesting of parentheses and NOT in a query's WHERE clause. Parsing, compiling to SQL and
 * the JS predicate recurse once per level, so `((((…))))` and `NOT NOT NOT …` are refused here
 * instead of overflowing a stack (ours, or the database's).
 */
export const MAX_QUERY_DEPTH = 100;

/**
 * Comparisons (=, LIKE, IN, IS NULL …) in one query. Each is at most one statement parameter, and
 * evaluating a collection's query rules in one statement must stay under PostgreSQL's 65,535
 * parameters: MAX_QUERY_CONDITIONS × MAX_QUERY_RULES_PER_COLLECTION is 50,000.
 */
export const MAX_QUERY_CONDITIONS = 1_000;

/** Values in one IN (…) list. */
export const MAX_IN_VALUES = 5_000;

/**
 * Characters in one LIKE pattern. A pattern with a [set] becomes a regular expression, and
 * PostgreSQL's regex compiler is not linear in the pattern's length (PGlite's aborts the whole
 * transaction somewhere above 12,000 atoms).
 */
export const MAX_LIKE_PATTERN_LENGTH = 1_000;

/**
 * [sets] in all the LIKE patterns of one query: a case-insensitive range costs PostgreSQL up to
 * a millisecond per set to compile (it visits every character of the range).
 */
export const MAX_LIKE_SETS = 100;

/** Digits of a number in a query (after its exponent is applied: 1e999 has 1,000). */
export const MAX_NUMBER_DIGITS = 1_000;

/** Rules of one collection, all kinds (direct membership lists can be long). */
export const MAX_RULES_PER_COLLECTION = 10_000;

/** Query rules of one collection (see MAX_QUERY_CONDITIONS). */
export const MAX_QUERY_RULES_PER_COLLECTION = 50;

/** Characters in a collection's name and in a rule's name. */
export const MAX_NAME_LENGTH = 256;

/** Characters in a collection's comment. */
export const MAX_COMMENT_LENGTH = 4_000;

/** Characters in a search (`?search=`) of collections or devices. */
export const MAX_SEARCH_LENGTH = 256;
