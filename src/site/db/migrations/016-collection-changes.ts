/**
 * Issue 16 item 4, re-evaluating collections with nothing changed in well under a second at
 * 100,000 devices × 1,000 collections: the site records what can change membership, as
 * ConfigMgr's incremental updates do, and evaluateAllCollections (collections/evaluate.ts)
 * evaluates only that. One row per change in collection_changes, written by triggers per
 * statement (transition tables: one INSERT … SELECT per statement, however many rows it touched):
 *
 *  - resource_id: a device whose membership may have changed. Membership is decided device by
 *    device (membership.ts), so such a device is evaluated on its own in every collection.
 *      · devices inserted, and updated where a column the evaluation reads changed (the columns of
 *        DEVICE_FACTS_SQL: name, smbios_guid, unknown_computer, client, is_site_system, is_server,
 *        mac_addresses, properties — and resource_id itself, which query rules can read). An
 *        update of anything else (last_contact_at, approval, updated_at …) is not a change.
 *      · device_macs rows inserted, deleted or updated (MACAddresses = … reads them), for devices
 *        that still exist.
 *      · direct rules added, removed or changed: one device's row in one collection, so the device
 *        (evaluated on its own in every collection), not the whole collection — with the collection
 *        too: evaluating that collection with its dependents (evaluateWithDependents, what adding
 *        a rule through the site runs) also covers the row, and consumes it.
 *    A device deleted is not recorded: its rows go with it (migration 015's trigger) and no other
 *    device's membership depends on it.
 *  - collection_id alone: a collection whose membership must be evaluated as a whole, with its
 *    dependents: a new collection, its limiting collection changed, a query, include or exclude
 *    rule added, removed or changed (also when the collection it referred to is deleted: the rule
 *    goes by ON DELETE CASCADE and the trigger sees it).
 *  - neither: everything (a full evaluation). This migration writes one: what happened before it
 *    was not recorded.
 *
 * Not recorded (documented in docs/site.md): a direct SQL edit of collection_members or of a
 * collection's member_count — only a full evaluation repairs those.
 *
 * Evaluations consume exactly the rows they saw (evaluate.ts), never `seq <= max`: on PostgreSQL a
 * lower seq can still be uncommitted when a higher one is visible.
 */
export const sql = `
CREATE TABLE collection_changes (
  seq bigserial PRIMARY KEY,
  resource_id bigint,
  collection_id text
);
INSERT INTO collection_changes DEFAULT VALUES;

CREATE FUNCTION collection_changes_devices_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO collection_changes (resource_id) SELECT n.resource_id FROM new_devices n;
  RETURN NULL;
END
$$;
CREATE TRIGGER collection_changes_devices_inserted AFTER INSERT ON devices
  REFERENCING NEW TABLE AS new_devices FOR EACH STATEMENT EXECUTE FUNCTION collection_changes_devices_inserted();

-- Transition tables cannot go with a column list (UPDATE OF …): the columns are compared here.
CREATE FUNCTION collection_changes_devices_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO collection_changes (resource_id)
  SELECT n.resource_id FROM new_devices n LEFT JOIN old_devices o ON o.resource_id = n.resource_id
  WHERE o.resource_id IS NULL
     OR (n.name, n.smbios_guid, n.unknown_computer, n.client, n.is_site_system, n.is_server, n.mac_addresses, n.properties)
        IS DISTINCT FROM (o.name, o.smbios_guid, o.unknown_computer, o.client, o.is_site_system, o.is_server, o.mac_addresses, o.properties)
  UNION ALL
  SELECT o.resource_id FROM old_devices o WHERE NOT EXISTS (SELECT 1 FROM new_devices n WHERE n.resource_id = o.resource_id);
  RETURN NULL;
END
$$;
CREATE TRIGGER collection_changes_devices_updated AFTER UPDATE ON devices
  REFERENCING OLD TABLE AS old_devices NEW TABLE AS new_devices FOR EACH STATEMENT EXECUTE FUNCTION collection_changes_devices_updated();

CREATE FUNCTION collection_changes_device_macs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO collection_changes (resource_id) SELECT DISTINCT n.resource_id FROM new_macs n;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    -- A device deleted takes its MACs with it (ON DELETE CASCADE): nothing to evaluate for it.
    INSERT INTO collection_changes (resource_id) SELECT DISTINCT o.resource_id FROM old_macs o
    WHERE EXISTS (SELECT 1 FROM devices d WHERE d.resource_id = o.resource_id);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER collection_changes_device_macs_inserted AFTER INSERT ON device_macs
  REFERENCING NEW TABLE AS new_macs FOR EACH STATEMENT EXECUTE FUNCTION collection_changes_device_macs();
CREATE TRIGGER collection_changes_device_macs_updated AFTER UPDATE ON device_macs
  REFERENCING OLD TABLE AS old_macs NEW TABLE AS new_macs FOR EACH STATEMENT EXECUTE FUNCTION collection_changes_device_macs();
CREATE TRIGGER collection_changes_device_macs_deleted AFTER DELETE ON device_macs
  REFERENCING OLD TABLE AS old_macs FOR EACH STATEMENT EXECUTE FUNCTION collection_changes_device_macs();

CREATE FUNCTION collection_changes_collections() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO collection_changes (collection_id) SELECT n.collection_id FROM new_collections n;
  ELSE
    -- Every evaluation updates member_count and evaluated_at: only the limiting collection counts.
    INSERT INTO collection_changes (collection_id)
    SELECT n.collection_id FROM new_collections n LEFT JOIN old_collections o ON o.collection_id = n.collection_id
    WHERE o.collection_id IS NULL OR n.limiting_collection_id IS DISTINCT FROM o.limiting_collection_id;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER collection_changes_collections_inserted AFTER INSERT ON collections
  REFERENCING NEW TABLE AS new_collections FOR EACH STATEMENT EXECUTE FUNCTION collection_changes_collections();
CREATE TRIGGER collection_changes_collections_updated AFTER UPDATE ON collections
  REFERENCING OLD TABLE AS old_collections NEW TABLE AS new_collections FOR EACH STATEMENT EXECUTE FUNCTION collection_changes_collections();

-- A direct rule is one device's row in one collection: the device and the collection. The others:
-- the collection.
CREATE FUNCTION collection_changes_rules() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO collection_changes (resource_id, collection_id)
    SELECT DISTINCT CASE WHEN r.kind = 'direct' THEN r.resource_id END, r.collection_id FROM new_rules r;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    INSERT INTO collection_changes (resource_id, collection_id)
    SELECT DISTINCT CASE WHEN r.kind = 'direct' THEN r.resource_id END, r.collection_id FROM old_rules r;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER collection_changes_rules_inserted AFTER INSERT ON collection_rules
  REFERENCING NEW TABLE AS new_rules FOR EACH STATEMENT EXECUTE FUNCTION collection_changes_rules();
CREATE TRIGGER collection_changes_rules_updated AFTER UPDATE ON collection_rules
  REFERENCING OLD TABLE AS old_rules NEW TABLE AS new_rules FOR EACH STATEMENT EXECUTE FUNCTION collection_changes_rules();
CREATE TRIGGER collection_changes_rules_deleted AFTER DELETE ON collection_rules
  REFERENCING OLD TABLE AS old_rules FOR EACH STATEMENT EXECUTE FUNCTION collection_changes_rules();
`;
