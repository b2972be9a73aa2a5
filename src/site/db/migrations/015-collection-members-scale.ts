/**
 * Issue 16 item 4, collection membership at 100,000 devices × 1,000 collections: the evaluated
 * membership (collection_members, a million rows at that size) loses its two foreign keys. Each
 * inserted row checked both referenced tables once, which was half the cost of writing a full
 * evaluation (measured: PGlite 35 s → 16 s, PostgreSQL 21 s → 11 s for one million rows). What the
 * keys gave is kept:
 *  - ON DELETE CASCADE: a trigger per statement removes the rows of the devices and collections
 *    deleted (one DELETE joined with the statement's transition table, not one per row);
 *  - no row naming a device or collection that does not exist: only the evaluation (under the
 *    evaluation lock) and code that has just written or read the device in the same transaction
 *    insert rows, and deleting a device or a collection takes the same lock first
 *    (devices.ts deleteDevice, collections.ts deleteCollection), so none can come in between.
 *
 * Evaluating one device (a device imported or changed) reads its MACs: device_macs gets an index by
 * device (its key starts with the MAC).
 */
export const sql = `
CREATE INDEX device_macs_resource ON device_macs (resource_id);

ALTER TABLE collection_members DROP CONSTRAINT collection_members_collection_id_fkey;
ALTER TABLE collection_members DROP CONSTRAINT collection_members_resource_id_fkey;

CREATE FUNCTION collection_members_devices_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM collection_members m USING deleted_devices g WHERE m.resource_id = g.resource_id;
  RETURN NULL;
END
$$;
CREATE TRIGGER collection_members_devices_deleted AFTER DELETE ON devices
  REFERENCING OLD TABLE AS deleted_devices FOR EACH STATEMENT EXECUTE FUNCTION collection_members_devices_deleted();

CREATE FUNCTION collection_members_collections_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM collection_members m USING deleted_collections g WHERE m.collection_id = g.collection_id;
  RETURN NULL;
END
$$;
CREATE TRIGGER collection_members_collections_deleted AFTER DELETE ON collections
  REFERENCING OLD TABLE AS deleted_collections FOR EACH STATEMENT EXECUTE FUNCTION collection_members_collections_deleted();
`;
