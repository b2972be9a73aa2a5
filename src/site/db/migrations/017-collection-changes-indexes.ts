/**
 * Issue 16 (a regression the quiet measurement found): every device created or changed through the
 * API consumes its rows of collection_changes (evaluateDevices: `DELETE … WHERE resource_id = …`),
 * and evaluateWithDependents reads the rows naming collections. Without an index both scanned the
 * whole log — 100,000 rows after a bulk load by SQL, or between two of the server's incremental
 * passes on a busy site — and `POST /devices` ran at 0.4× its rate before migration 016
 * (bench/api.bench.mjs, 100,000 devices). Partial indexes: a row names a device, a collection, or both.
 */
export const sql = `
CREATE INDEX collection_changes_resource ON collection_changes (resource_id) WHERE resource_id IS NOT NULL;
CREATE INDEX collection_changes_collection ON collection_changes (collection_id) WHERE collection_id IS NOT NULL;
`;
