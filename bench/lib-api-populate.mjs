// Bulk load for bench/api.bench.mjs, straight into the site's tables with SQL: devices (unique names
// and MACs, inventory properties, a device_macs row per MAC) and user collections with
// `membersPerCollection` direct rules each and their evaluated members; All Systems evaluated with
// every device, as on a site that has run its evaluation. Counters are moved past what is loaded.
export const FIRST_RESOURCE = 16777220; // ResourceIDs start here (src/site/ids.ts); loaded devices are FIRST+1 … FIRST+devices
export const FIRST_COLLECTION = 0x100; // loaded collections are PS100100 …

export const collectionId = (i) => `PS1${(FIRST_COLLECTION + i).toString(16).toUpperCase().padStart(5, '0')}`;

export async function populate(db, { devices, collections, membersPerCollection }) {
  await db.query(
    `INSERT INTO devices (resource_id, name, mac_addresses, smbios_guid, client, properties)
     SELECT $1::bigint + i, 'PC-' || lpad(i::text, 6, '0'),
       jsonb_build_array('02:00:' || regexp_replace(upper(lpad(to_hex(i), 8, '0')), '(..)(?!$)', '\\1:', 'g')),
       upper(md5(i::text)::uuid::text), i % 3 <> 0,
       jsonb_build_object(
         'manufacturer', (ARRAY['Dell Inc.','HP','LENOVO','Microsoft Corporation','VMware, Inc.'])[1 + i % 5],
         'model', (ARRAY['Latitude','OptiPlex','EliteBook','ProDesk','ThinkPad','ThinkCentre','Surface','Virtual'])[1 + i % 8] || ' ' || (i % 20),
         'operatingSystemNameandVersion', (ARRAY['Microsoft Windows NT Workstation 10.0','Microsoft Windows NT Server 10.0'])[1 + i % 2],
         'build', 19041 + (i % 7) * 500)
     FROM generate_series(1, $2::int) AS i`,
    [FIRST_RESOURCE, devices],
  );
  await db.query(`INSERT INTO device_macs (mac, resource_id) SELECT d.mac_addresses->>0, d.resource_id FROM devices d WHERE d.unknown_computer IS NULL`);
  await db.query(
    `INSERT INTO collections (collection_id, name, comment, limiting_collection_id, evaluated_at)
     SELECT 'PS1' || lpad(upper(to_hex($1::int + i)), 5, '0'), 'Bench collection ' || lpad(i::text, 4, '0'), 'bulk-loaded', 'SMS00001', now()
     FROM generate_series(0, $2::int - 1) AS i`,
    [FIRST_COLLECTION, collections],
  );
  await db.query(
    `INSERT INTO collection_rules (collection_id, kind, name, resource_id)
     SELECT 'PS1' || lpad(upper(to_hex($1::int + i)), 5, '0'), 'direct', 'PC-' || lpad(r::text, 6, '0'), $2::bigint + r
     FROM generate_series(0, $3::int - 1) AS i, generate_series(1, $4::int) AS g, LATERAL (SELECT (i * 4099 + g * 7919) % $5::int + 1 AS r) x`,
    [FIRST_COLLECTION, FIRST_RESOURCE, collections, membersPerCollection, devices],
  );
  await db.query(
    `INSERT INTO collection_members (collection_id, resource_id) SELECT collection_id, resource_id FROM collection_rules WHERE kind = 'direct' AND collection_id LIKE 'PS1%' ON CONFLICT DO NOTHING`,
  );
  await db.query(
    `INSERT INTO collection_members (collection_id, resource_id) SELECT 'SMS00001', resource_id FROM devices WHERE unknown_computer IS NULL ON CONFLICT DO NOTHING`,
  );
  await db.query(
    `UPDATE collections c SET member_count = (SELECT count(*) FROM collection_members m WHERE m.collection_id = c.collection_id), evaluated_at = now()
     WHERE c.collection_id = 'SMS00001' OR c.collection_id LIKE 'PS1%'`,
  );
  for (const [scope, next] of [
    ['resource', FIRST_RESOURCE + devices],
    ['collection', FIRST_COLLECTION + collections],
  ]) {
    await db.query(`SELECT setval('${scope}_id_seq', $1)`, [next]);
  }
  // A site that has been running has statistics; right after a bulk load it would not yet.
  await db.exec('ANALYZE');
}
