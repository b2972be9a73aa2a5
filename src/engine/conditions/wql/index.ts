/** The WQL subset of task sequence WMI conditions: parse, print, evaluate (conditions-wql §2). */
export type { Span, WqlCompare, WqlCompareOp, WqlConstant, WqlExpr, WqlIsNull, WqlLike, WqlNot, WqlAnd, WqlOr, WqlPropertyRef, WqlQuery } from './ast.js';
export { normalisedOp, propertiesOf } from './ast.js';
export { hexCode, WBEM, WqlError, type WbemCodeName, type WqlErrorInit } from './errors.js';
export { SMART_QUOTE_HINT } from './lexer.js';
export { compileLike, likeMatches, likeToRegexSource, LikePatternError, parseLikePattern, type LikeSetItem, type LikeToken } from './like.js';
export { MAX_WQL_DEPTH, parseWql, tryParseWql, WQL_KEYWORDS, type WqlParseResult } from './parser.js';
export { printWql, printWqlConstant, printWqlExpr } from './printer.js';
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
