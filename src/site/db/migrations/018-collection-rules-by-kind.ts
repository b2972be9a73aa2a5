/**
 * Issue 16 (the regression check against its base, ffac202): evaluating one imported device
 * (evaluateDevices) read its collections' rules with `kind <> 'direct' OR resource_id = ANY(…)`
 * and the graph's include/exclude rules with `kind IN (…)` — both scans of every rule, 20,000
 * direct rules on the benchmark's site, 11 ms of a 24 ms import on PGlite. Partial indexes: the
 * rules that are not direct (query, include, exclude: few) by collection, and direct rules by device.
 */
export const sql = `
CREATE INDEX collection_rules_not_direct ON collection_rules (collection_id) WHERE kind <> 'direct';
CREATE INDEX collection_rules_direct_device ON collection_rules (resource_id) WHERE kind = 'direct';
`;
