/**
 * WQL: the one front end (lexer, parser and AST, with the grammars of task sequence conditions and,
 * in the site, of collection query rules as options), the printer, exact decimals, LIKE patterns,
 * and the evaluator of task sequence WMI conditions over an inventory (conditions-wql §2).
 */
export type {
  Span,
  WqlCompare,
  WqlCompareOp,
  WqlConstant,
  WqlExpr,
  WqlIn,
  WqlIsNull,
  WqlLike,
  WqlNot,
  WqlAnd,
  WqlOr,
  WqlPropertyRef,
  WqlQuery,
} from './ast.js';
export { normalisedOp, propertiesOf } from './ast.js';
export { hexCode, WBEM, WqlError, type WbemCodeName, type WqlErrorInit } from './errors.js';
export { SMART_QUOTE_HINT } from './lexer.js';
export { compileLike, likeMatches, likeToRegexSource, LikePatternError, parseLikePattern, type LikeSetItem, type LikeToken } from './like.js';
export { parseWql, tryParseWql, type WqlParseResult } from './parser.js';
export { CONDITION_GRAMMAR, MAX_WQL_DEPTH, WQL_KEYWORDS, type WqlGrammar, type WqlLimits, type WqlTextProblem } from './grammar.js';
export { compareDecimal, decimalText, digitCount, parseDecimal, type Decimal } from './decimal.js';
export { printWql, printWqlConstant, printWqlExpr, printWqlProperty } from './printer.js';
export { ALWAYS_PRESENT_NAMESPACES, catalogClass, catalogClasses, catalogNamespaces, type CatalogClass } from './catalog.js';
export { parseDmtf, parseWqlDateTime } from './values.js';
export {
  checkWqlAgainstCatalog,
  DEFAULT_NAMESPACE,
  evaluateWql,
  normaliseNamespace,
  resolveWqlClass,
  type PropertyInfo,
  type ResolvedClass,
  type WqlInstance,
  type WqlNearestMiss,
  type WqlOptions,
  type WqlResult,
} from './evaluate.js';
