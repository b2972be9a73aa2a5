/**
 * The grammars of the one WQL front end (lexer.ts → parser.ts → ast.ts). Task sequence conditions
 * (conditions-wql §2.1) and collection query rules (osd-features §3.1; the site's grammar is in
 * src/site/collections/query/grammar.ts) are parsed by the same code into the same AST; what one
 * accepts and the other refuses, its limits and the words its messages use are the options below.
 */
import { UNSUPPORTED_HINT } from './errors.js';

/** Bounds checked while parsing, before any work that grows with them. Absent: no bound. */
export interface WqlLimits {
  /** Characters in the query text, checked before tokenising. */
  maxLength?: number;
  /** Deepest nesting of parentheses and NOT: the parser and everything after it recurse once per level. */
  maxDepth: number;
  /** Comparisons (=, LIKE, IN, IS NULL …) in the WHERE clause. */
  maxConditions?: number;
  /** Values in one IN (…) list. */
  maxInValues?: number;
  /** Characters in one LIKE pattern. */
  maxLikePatternLength?: number;
  /** [sets] in all the LIKE patterns of one query. */
  maxLikeSets?: number;
  /** Significant digits of a number constant, its exponent applied (1e999 has 1,000). */
  maxNumberDigits?: number;
}

/** A problem of the raw text found before tokenising (e.g. a NUL the database could not take). */
export interface WqlTextProblem {
  /** e.g. `contains a NUL character (U+0000) at character 4` */
  rule: string;
  /** 0-based index of the offending character. */
  index: number;
  hint?: string;
}

export interface WqlGrammar {
  /** What messages call the text: "the condition nests deeper …", "the query has more than …". */
  noun: string;
  /** The text with its article, for limits: "a number in a collection query has at most …". */
  context: string;
  /** What messages call a name the query tests: "comparing two attributes", "not a property name". */
  nameNoun: 'property' | 'attribute';
  /** What is expected where a name goes: "a property name", "an attribute of SMS_R_System". */
  nameExpected: string;
  /** Words that cannot be names (WQL has no way to quote one). */
  keywords: ReadonlySet<string>;
  /** Words refused after the class or the WHERE clause ("GROUP is not supported"). */
  unsupportedClauses: ReadonlySet<string>;
  /** "X is not supported" + suffix, and the hint every unsupported construct carries. */
  unsupported: { suffix: string; hint: string };
  /** Where to split an oversized query, for the limits' hints: "several query rules". */
  splitInto: string;
  /** The only classes a query may read, what reads them ("collection queries") and the hint for any other; absent: any class. */
  classes?: { names: readonly string[]; readers: string; hint: string };
  /**
   * `Class.Name` (the class of the FROM clause, case-insensitively) as a name, and `Class.*` in
   * the select list; `joinHint` answers any other class before the dot. Absent: a dot after a
   * name is refused as an embedded-object property.
   */
  qualifiedNames?: { joinHint: string };
  /** `Name [NOT] IN ('a', 'b')`. */
  allowIn: boolean;
  /** `x > TRUE`: booleans ordered (true), or compared only with =, <> and != (false). */
  orderBooleans: boolean;
  /** Checked on the raw text after its length and before tokenising. */
  textRule?: (text: string) => WqlTextProblem | undefined;
  limits: WqlLimits;
}

/** WQL keywords (wql-sql-for-wmi.md); using one as a name makes the query unparsable [D]. */
export const WQL_KEYWORDS: ReadonlySet<string> = new Set([
  'AND',
  'ASSOCIATORS',
  'BY',
  'FALSE',
  'FROM',
  'GROUP',
  'HAVING',
  'IS',
  'ISA',
  'KEYSONLY',
  'LIKE',
  'NOT',
  'NULL',
  'OF',
  'OR',
  'REFERENCES',
  'SELECT',
  'TRUE',
  'WHERE',
  'WITHIN',
]);

/**
 * Deepest nesting of parentheses and NOT in a WHERE clause. The parser, the printer and the
 * evaluator recurse once per level, so a pathological `((((…))))` or `NOT NOT NOT …` is refused
 * with WBEM_E_INVALID_QUERY instead of overflowing the stack; real conditions nest a handful.
 */
export const MAX_WQL_DEPTH = 100;

/**
 * Task sequence conditions (conditions-wql §2.1): any class, one at a time; no IN, no qualified
 * names; booleans only with =, <>, !=; the WQL keyword list; nesting bounded by MAX_WQL_DEPTH.
 */
export const CONDITION_GRAMMAR: WqlGrammar = {
  noun: 'condition',
  context: 'a task sequence condition',
  nameNoun: 'property',
  nameExpected: 'a property name',
  keywords: WQL_KEYWORDS,
  unsupportedClauses: new Set(['WITHIN', 'GROUP', 'HAVING', 'KEYSONLY', 'BY']),
  unsupported: { suffix: '', hint: UNSUPPORTED_HINT },
  splitInto: 'several conditions',
  allowIn: false,
  orderBooleans: false,
  limits: { maxDepth: MAX_WQL_DEPTH },
};
