/**
 * GET /devices/:resourceId's answer is written by the database (getDeviceJson, issue 16 item 3) and
 * sent without the route's response check: this holds it to that check and to getDevice. For any
 * device row (any text, MACs, inventory properties of every value kind, times to the microsecond,
 * memberships whose names sort case-insensitively with ties) on both databases:
 * - the text parses to exactly the fields of the route's response schema, in the schema's order
 *   (the collections' too), and the schema accepts it;
 * - parsed, it equals what the route answered before (getDevice through the schema), and written
 *   again by JSON.stringify it is that answer byte for byte (only spacing and the spelling of
 *   numbers differ in the raw text);
 * - over HTTP: the same body with the JSON content type, 404 / 400 as before.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDevice, getDeviceJson } from '../../../src/site/devices/devices.js';
import { deviceWithCollections } from '../../../src/server/api/routes/collection-routes.js';
import { DB_KINDS, startTestApi, type TestApi } from '../helpers/site.js';

const FIRST = 900_000_000; // test devices' ResourceIDs, far from the site's own
/** Collections whose names tie case-insensitively (ordered then by id) or differ only in accents. */
const COLLECTIONS: [string, string][] = [
  ['TST00001', 'Beta'],
  ['TST00002', 'alpha'],
  ['TST00003', 'Émile'],
  ['TST00004', 'zulu "quoted" \\ back'],
  ['TST00005', 'ALPHA two'],
  ['TST00006', 'Alpha Two '],
];

/** Text PostgreSQL can store (no NUL), with JSON's special characters and other planes. */
const text = fc
  .oneof(
    fc.string({ maxLength: 20 }),
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.constantFrom('', '"', '\\', '\n\t\r\b\f', '\u0001\u001f\u007f', '\u2028\u2029', '😀 ü ß', '</script>'),
  )
  .map((s) => s.replaceAll('\0', ''));
const number = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 1e21, 1e-7, 5e-324, 0.1 + 0.2, Number.MAX_SAFE_INTEGER, -1.5e300),
);
const propertyValue = fc.oneof(text, number, fc.boolean(), fc.constant(null));
/** Microseconds since 1970 up to 2200, and the fractions where truncation to milliseconds shows. */
const micros = fc.oneof(
  fc.bigInt({ min: 0n, max: 7_258_118_400_000_000n }),
  fc.constantFrom(0n, 999n, 1_000n, 999_999n, 1_765_152_055_123_456n, 1_765_152_055_999_999n, 1_765_152_055_001_000n),
);
const deviceRow = fc.record({
  name: text,
  smbiosGuid: fc.option(text, { nil: null }),
  macs: fc.array(text, { maxLength: 3 }),
  unknownComputer: fc.option(fc.constantFrom('x86', 'x64'), { nil: null }),
  isSiteSystem: fc.boolean(),
  isServer: fc.boolean(),
  client: fc.boolean(),
  properties: fc.dictionary(fc.oneof(text, fc.constantFrom('10', '9', 'a', 'B', 'model')), propertyValue, { maxKeys: 6 }),
  createdAt: micros,
  updatedAt: micros,
  memberOf: fc.subarray(COLLECTIONS.map(([id]) => id)),
});

describe.each(DB_KINDS)('the device read written by the database, on %s', (kind) => {
  let api: TestApi;
  let next = FIRST;
  beforeAll(async () => {
    api = await startTestApi(kind);
    // Times must come out in UTC whatever the session's time zone (PGlite has one session to set).
    if (kind === 'pglite') await api.site.db.exec("SET TimeZone = 'Asia/Kathmandu'");
    for (const [id, name] of COLLECTIONS) {
      await api.site.db.query('INSERT INTO collections (collection_id, name) VALUES ($1, $2)', [id, name]);
    }
  }, 60_000);
  afterAll(async () => api?.close());

  /** What the route answered before: getDevice through the response schema. */
  const before = async (id: number) => deviceWithCollections.parse(await getDevice(api.site.db, id));

  it('agrees with getDevice and the response schema for any device', async () => {
    await fc.assert(
      fc.asyncProperty(deviceRow, async (d) => {
        const id = ++next;
        await api.site.db.query(
          `INSERT INTO devices (resource_id, name, smbios_guid, mac_addresses, unknown_computer, is_site_system, is_server, client, properties, created_at, updated_at)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9::jsonb, 'epoch'::timestamptz + $10::bigint * interval '1 microsecond',
                   'epoch'::timestamptz + $11::bigint * interval '1 microsecond')`,
          [
            id,
            d.name,
            d.smbiosGuid,
            JSON.stringify(d.macs),
            d.unknownComputer,
            d.isSiteSystem,
            d.isServer,
            d.client,
            JSON.stringify(d.properties),
            String(d.createdAt),
            String(d.updatedAt),
          ],
        );
        for (const c of d.memberOf) await api.site.db.query('INSERT INTO collection_members (collection_id, resource_id) VALUES ($1, $2)', [c, id]);
        const json = await getDeviceJson(api.site.db, id);
        const parsed = JSON.parse(json) as Record<string, unknown> & { collections: Record<string, unknown>[] };
        expect(Object.keys(parsed)).toEqual(Object.keys(deviceWithCollections.shape));
        for (const c of parsed.collections) expect(Object.keys(c)).toEqual(['collectionId', 'name']);
        expect(deviceWithCollections.safeParse(parsed).success).toBe(true);
        const old = await before(id);
        expect(parsed).toEqual(old);
        expect(JSON.stringify(parsed)).toBe(JSON.stringify(old));
        expect(parsed.collections).toHaveLength(d.memberOf.length);
      }),
      { numRuns: 120, seed: 20261208 },
    );
  });

  it('answers the same over HTTP, with the JSON content type; 404 and 400 as before', async () => {
    const id = ++next;
    await api.site.db.query(`INSERT INTO devices (resource_id, name, properties) VALUES ($1, 'HTTP-1', '{"model": "Latitude 7440", "ramGb": 16.0}')`, [id]);
    await api.site.db.query(`INSERT INTO collection_members (collection_id, resource_id) VALUES ('TST00002', $1), ('TST00001', $1)`, [id]);
    const r = await api.call('GET', `/api/v1/devices/${id}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.json).toEqual(await before(id));
    expect(r.json.properties).toEqual({ model: 'Latitude 7440', ramGb: 16 });
    expect(r.json.collections).toEqual([
      { collectionId: 'TST00002', name: 'alpha' },
      { collectionId: 'TST00001', name: 'Beta' },
    ]);
    const missing = await api.call('GET', `/api/v1/devices/${id + 1_000_000}`);
    expect(missing.status).toBe(404);
    expect(missing.json.error).toBe('not-found');
    for (const bad of ['0', '-1', '1.5', 'abc', '9007199254740992']) {
      const r400 = await api.call('GET', `/api/v1/devices/${bad}`);
      expect(r400.status).toBe(400);
      expect(typeof r400.json.error).toBe('string');
    }
    // A read-only analyst may read it; no token may not.
    expect((await api.call('GET', `/api/v1/devices/${id}`, { token: api.tokens['read-only-analyst'] })).status).toBe(200);
    expect((await api.call('GET', `/api/v1/devices/${id}`, { token: null })).status).toBe(401);
  });

  it('refuses a ResourceID that is not an id before asking the database', async () => {
    for (const bad of [0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN]) {
      await expect(getDeviceJson(api.site.db, bad)).rejects.toMatchObject({ kind: 'bad-input' });
    }
  });
});
