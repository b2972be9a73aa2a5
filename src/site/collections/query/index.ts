/**
 * Collection query rules (osd-features §3.1), as the rest of the site uses them:
 *
 * - grammar.ts — the collection query grammar of the engine's one WQL parser, parseCollectionQuery
 * - check.ts — parse + compile as the services take a rule (400 for input, 409 for a stored rule)
 * - attributes.ts — the SMS_R_System attributes and the column each reads
 * - constants.ts — what a constant means against each kind of attribute (exact decimals)
 * - sql.ts — the SQL condition over `devices d`, LIKE as a PostgreSQL regex
 * - facts.ts, json.ts — what the JS predicate reads of a device, and the jsonb text reader
 * - predicate.ts — the same query as a JS predicate, exactly where it is offered
 * - rule-index.ts — many predicates on one device at a time: a cache per tuple of inventory values,
 *   an index of the other rules by a necessary condition
 */
export { checkCollectionQuery, queryError, storedCollectionQuery } from './check.js';
export { COLLECTION_QUERY_GRAMMAR, parseCollectionQuery, QUERY_CLASS, type CollectionQuery } from './grammar.js';
export { compileCollectionQuery, likeToPosixRegex } from './sql.js';
export { DEVICE_FACTS_SQL, deviceFacts, FactsLayout, type DeviceFacts, type DeviceRow, type TextValue } from './facts.js';
export { parseFlatJsonObject } from './json.js';
export { compileCollectionPredicate } from './predicate.js';
export { RulePass, ruleGuard, type RulePassOptions } from './rule-index.js';
