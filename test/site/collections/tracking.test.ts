/**
 * Change tracking (migration 016, evaluate.ts evaluateAllCollections): what can change membership
 * is recorded by triggers, and the incremental pass evaluates only that — with exactly the rows and
 * counts a full evaluation gives, on both databases.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Queryable } from '../../../src/site/db/database.js';
import { evaluateAllCollections, evaluateDevices, evaluateWithDependents, type EvaluationResult } from '../../../src/site/collections/evaluate.js';
import { deleteDevice } from '../../../src/site/devices/devices.js';
import { SYSTEM_ACTOR } from '../../../src/site/security/roles.js';
import { DB_KINDS, openTestSite, type TestSite } from '../helpers/site.js';

const FIRST = 16777220;
const MAKERS = ['Dell Inc.', 'HP', 'LENOVO', 'hp'];
const mac = (n: number): string => `02:00:00:00:${(n >> 8).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`.toUpperCase();

// C0…C6, each referring only to collections before it (no change below can close a cycle).
const COLLECTIONS: { id: string; limiting: string; rules: [kind: string, value: string | number][] }[] = [
  { id: 'PS100000', limiting: 'SMS00001', rules: [['query', `select * from SMS_R_System where Manufacturer = 'HP'`]] },
  {
    id: 'PS100001',
    limiting: 'SMS00001',
    rules: [['query', `select * from SMS_R_System where MACAddresses in ('${mac(1)}', '${mac(2)}', '${mac(3)}', '${mac(50)}')`]],
  },
  { id: 'PS100002', limiting: 'PS100000', rules: [['query', `select * from SMS_R_System where Name like 'PC-1%' or Client = 1`]] },
  {
    id: 'PS100003',
    limiting: 'SMS00001',
    rules: [
      ['include', 'PS100000'],
      ['include', 'PS100001'],
      ['exclude', 'PS100002'],
    ],
  },
  {
    id: 'PS100004',
    limiting: 'PS100003',
    rules: [
      ['direct', FIRST + 1],
      ['direct', FIRST + 4],
      ['direct', FIRST + 7],
      ['direct', FIRST + 2],
    ],
  },
  { id: 'PS100005', limiting: 'PS100001', rules: [['query', `select * from SMS_R_System where Build >= 19045 or IsServer = 1`]] },
  { id: 'PS100006', limiting: 'SMS00001', rules: [['include', 'PS100004']] },
];
const IDS = COLLECTIONS.map((c) => c.id);
const ALL = ['SMS00001', 'SMS000US', ...IDS];

/** A Queryable that keeps the text of every statement run through it. */
function recording(tx: Queryable, statements: string[]): Queryable {
  return {
    query: (sql, params, options) => {
      statements.push(sql);
      return tx.query(sql, params, options);
    },
    exec: (sql) => {
      statements.push(sql);
      return tx.exec(sql);
    },
  };
}

const WRITES_MEMBERSHIP = /\b(INSERT INTO|DELETE FROM|UPDATE)\s+(collection_members|collections)\b/i;

describe.each(DB_KINDS)('collection change tracking on %s', (kind) => {
  let t: TestSite;
  let db: Database;
  let nextRid = FIRST;

  const addDevice = async (q: Queryable, n: number): Promise<number> => {
    const rid = nextRid++;
    await q.query(`INSERT INTO devices (resource_id, name, mac_addresses, client, is_server, properties) VALUES ($1, $2, $3, $4, $5, $6)`, [
      rid,
      `PC-${n}`,
      JSON.stringify([mac(n)]),
      n % 3 === 0,
      n % 7 === 0,
      JSON.stringify({ manufacturer: MAKERS[n % MAKERS.length], build: 19041 + (n % 4) * 2 }),
    ]);
    await q.query('INSERT INTO device_macs (mac, resource_id) VALUES ($1, $2)', [mac(n), rid]);
    return rid;
  };
  const snapshot = async (): Promise<{ members: string[]; counts: string[] }> => ({
    members: (await db.query<{ c: string; r: number }>('SELECT collection_id AS c, resource_id AS r FROM collection_members ORDER BY 1, 2')).rows.map(
      (r) => `${r.c}:${r.r}`,
    ),
    counts: (await db.query<{ c: string; n: number }>('SELECT collection_id AS c, member_count AS n FROM collections ORDER BY 1')).rows.map(
      (r) => `${r.c}:${r.n}`,
    ),
  });
  const pending = async (): Promise<{ resource_id: number | null; collection_id: string | null }[]> =>
    (
      await db.query<{ resource_id: number | null; collection_id: string | null }>('SELECT resource_id, collection_id FROM collection_changes ORDER BY seq')
    ).rows.map((r) => ({ resource_id: r.resource_id === null ? null : Number(r.resource_id), collection_id: r.collection_id }));
  const evaluatedAt = async (): Promise<Map<string, string>> =>
    new Map(
      (await db.query<{ c: string; at: string | null }>('SELECT collection_id AS c, evaluated_at::text AS at FROM collections')).rows.map((r) => [
        r.c,
        r.at ?? '',
      ]),
    );
  /**
   * The incremental pass, then the full one from its result: the same rows and counts (a full pass
   * gives the same whatever is stored), the change rows consumed. Returns the incremental pass's
   * statements and results, and the collections whose evaluated_at it moved.
   */
  const incrementalMatchesFull = async (): Promise<{ statements: string[]; results: EvaluationResult[]; evaluated: string[] }> => {
    const before = await evaluatedAt();
    const statements: string[] = [];
    const results = await db.transaction((tx) => evaluateAllCollections(recording(tx, statements)));
    expect(await pending()).toEqual([]);
    const after = await evaluatedAt();
    const evaluated = [...after].filter(([id, at]) => before.get(id) !== at).map(([id]) => id);
    const incremental = await snapshot();
    const full = await db.transaction((tx) => evaluateAllCollections(tx, { full: true }));
    expect(incremental).toEqual(await snapshot());
    expect(results).toEqual(full);
    return { statements, results, evaluated };
  };

  beforeAll(async () => {
    t = await openTestSite(kind);
    db = t.site.db;
    for (let n = 0; n < 40; n++) await addDevice(db, n);
    for (const c of COLLECTIONS) {
      await db.query('INSERT INTO collections (collection_id, name, limiting_collection_id) VALUES ($1, $2, $3)', [c.id, `Tracked ${c.id}`, c.limiting]);
      for (const [ruleKind, value] of c.rules) {
        const column = ruleKind === 'query' ? 'query' : ruleKind === 'direct' ? 'resource_id' : 'ref_collection_id';
        await db.query(`INSERT INTO collection_rules (collection_id, kind, ${column}) VALUES ($1, $2, $3)`, [c.id, ruleKind, value]);
      }
    }
  });
  afterAll(async () => t?.close());

  it('a site never evaluated gets the full evaluation, and every change row is consumed', async () => {
    // The migration's row (everything), the seed's collections and devices, the ones above.
    const rows = await pending();
    expect(rows.some((r) => r.resource_id === null && r.collection_id === null)).toBe(true);
    expect(rows.some((r) => r.collection_id === 'PS100003')).toBe(true);
    expect(rows.some((r) => r.resource_id === FIRST + 5)).toBe(true);
    const results = await db.transaction((tx) => evaluateAllCollections(tx));
    expect(results.map((r) => r.collectionId).sort()).toEqual([...ALL].sort());
    expect(results[0].collectionId).toBe('SMS00001');
    expect(await pending()).toEqual([]);
    const at = await evaluatedAt();
    for (const id of ALL) expect(at.get(id), id).not.toBe('');
    // Every user collection has members and not every device: the changes below can show.
    const counts = new Map(results.map((r) => [r.collectionId, r.memberCount]));
    for (const id of IDS) expect(counts.get(id), id).toBeGreaterThan(0);
    for (const id of IDS) expect(counts.get(id), id).toBeLessThan(40);
  });

  it('with nothing changed, reads no device, writes nothing and returns what the full evaluation does', async () => {
    const before = await snapshot();
    const statements: string[] = [];
    const results = await db.transaction((tx) => evaluateAllCollections(recording(tx, statements)));
    expect(statements.filter((s) => WRITES_MEMBERSHIP.test(s))).toEqual([]);
    expect(statements.filter((s) => /\bdevices\b|\bdevice_macs\b|\bcollection_members\b/.test(s))).toEqual([]);
    expect(await snapshot()).toEqual(before);
    expect(results).toEqual(await db.transaction((tx) => evaluateAllCollections(tx, { full: true })));
    expect(await snapshot()).toEqual(before);
  });

  it('an update that changes nothing the evaluation reads records nothing', async () => {
    await db.query('UPDATE devices SET last_contact_at = now(), updated_at = now(), approval = $1', ['approved']);
    await db.query('UPDATE collections SET comment = $1, variable_priority = 2 WHERE collection_id = $2', ['x', IDS[0]]);
    await db.query('UPDATE devices SET properties = properties WHERE resource_id = $1', [FIRST + 3]);
    expect(await pending()).toEqual([]);
  });

  it('a device property changed: that device alone, evaluated in every collection', async () => {
    // A LENOVO that becomes an HP: it joins PS100000 and what follows from it.
    const rid = FIRST + 6;
    const before = await snapshot();
    await db.query(`UPDATE devices SET properties = properties || '{"manufacturer": "HP", "build": 19999}'::jsonb WHERE resource_id = $1`, [rid]);
    expect(await pending()).toEqual([{ resource_id: rid, collection_id: null }]);
    const { evaluated, statements } = await incrementalMatchesFull();
    expect((await snapshot()).members).toContain(`${IDS[0]}:${rid}`);
    expect(before.members).not.toContain(`${IDS[0]}:${rid}`);
    // No collection evaluated as a whole; the device read by its id.
    expect(evaluated).toEqual([]);
    expect(statements.some((s) => /FROM devices d WHERE d\.resource_id = ANY/.test(s))).toBe(true);
  });

  it('name, client and server flags, SMBIOS GUID and mac_addresses changed: the devices', async () => {
    await db.query(`UPDATE devices SET name = 'PC-1' || name WHERE resource_id = $1`, [FIRST + 8]);
    await db.query(`UPDATE devices SET client = NOT client, is_server = NOT is_server WHERE resource_id IN ($1, $2)`, [FIRST + 9, FIRST + 10]);
    await db.query(`UPDATE devices SET smbios_guid = '4C4C4544-0042-3510-8051-B4C04F4A4D31' WHERE resource_id = $1`, [FIRST + 11]);
    await db.query(`UPDATE devices SET mac_addresses = '[]'::jsonb WHERE resource_id = $1`, [FIRST + 12]);
    expect((await pending()).map((r) => r.resource_id).sort()).toEqual([8, 9, 10, 11, 12].map((n) => FIRST + n));
    expect((await incrementalMatchesFull()).evaluated).toEqual([]);
    // PC-9, an HP client, is no longer a client: it leaves PS100002.
    expect((await snapshot()).members).not.toContain(`${IDS[2]}:${FIRST + 9}`);
  });

  it('a MAC row added, removed or changed: that device', async () => {
    await db.query('DELETE FROM device_macs WHERE resource_id = $1', [FIRST + 1]);
    await db.query('INSERT INTO device_macs (mac, resource_id) VALUES ($1, $2)', [mac(50), FIRST + 20]);
    await db.query('UPDATE device_macs SET mac = $1 WHERE resource_id = $2', [mac(2).replace('02:', '0A:'), FIRST + 2]);
    expect([...new Set((await pending()).map((r) => r.resource_id))].sort()).toEqual([FIRST + 1, FIRST + 2, FIRST + 20]);
    const before = await snapshot();
    expect((await incrementalMatchesFull()).evaluated).toEqual([]);
    expect(await snapshot()).not.toEqual(before);
  });

  it('a query rule added or removed: that collection and its dependents, as a whole', async () => {
    await db.query(`INSERT INTO collection_rules (collection_id, kind, query) VALUES ($1, 'query', $2)`, [
      IDS[1],
      `select * from SMS_R_System where Name like 'PC-2%'`,
    ]);
    expect(await pending()).toEqual([{ resource_id: null, collection_id: IDS[1] }]);
    const added = await incrementalMatchesFull();
    // PS100001, PS100003 includes it, PS100004 is limited to PS100003, PS100005 to PS100001, PS100006 includes PS100004.
    expect(added.evaluated.sort()).toEqual([IDS[1], IDS[3], IDS[4], IDS[5], IDS[6]]);
    await db.query(`DELETE FROM collection_rules WHERE collection_id = $1 AND kind = 'query' AND query LIKE '%PC-2%'`, [IDS[1]]);
    expect(await pending()).toEqual([{ resource_id: null, collection_id: IDS[1] }]);
    expect((await incrementalMatchesFull()).evaluated.sort()).toEqual([IDS[1], IDS[3], IDS[4], IDS[5], IDS[6]]);
  });

  it('a direct rule added or removed: that device', async () => {
    await db.query(`INSERT INTO collection_rules (collection_id, kind, resource_id) VALUES ($1, 'direct', $2)`, [IDS[4], FIRST + 30]);
    await db.query(`DELETE FROM collection_rules WHERE collection_id = $1 AND kind = 'direct' AND resource_id = $2`, [IDS[4], FIRST + 1]);
    expect(await pending()).toEqual([
      { resource_id: FIRST + 30, collection_id: IDS[4] },
      { resource_id: FIRST + 1, collection_id: IDS[4] },
    ]);
    expect((await incrementalMatchesFull()).evaluated).toEqual([]);
  });

  it('an include or exclude rule removed, and a limiting collection changed: the collection and its dependents', async () => {
    await db.query(`DELETE FROM collection_rules WHERE collection_id = $1 AND kind = 'exclude'`, [IDS[3]]);
    expect((await incrementalMatchesFull()).evaluated.sort()).toEqual([IDS[3], IDS[4], IDS[6]]);
    await db.query(`UPDATE collections SET limiting_collection_id = $1 WHERE collection_id = $2`, [IDS[0], IDS[5]]);
    expect(await pending()).toEqual([{ resource_id: null, collection_id: IDS[5] }]);
    expect((await incrementalMatchesFull()).evaluated).toEqual([IDS[5]]);
  });

  it('a device added by SQL and a device deleted: their rows', async () => {
    const rid = await addDevice(db, 2);
    await addDevice(db, 100);
    expect((await pending()).length).toBeGreaterThan(0);
    const before = await snapshot();
    expect((await incrementalMatchesFull()).evaluated).toEqual([]);
    expect((await snapshot()).members.filter((m) => m.endsWith(`:${rid}`)).length).toBeGreaterThan(1);
    expect(await snapshot()).not.toEqual(before);
    // Deleting a device (the site's way: its rows and the counts go with it) needs no evaluation.
    await deleteDevice(db, SYSTEM_ACTOR, rid);
    expect(await pending()).toEqual([]);
    expect((await snapshot()).members.filter((m) => m.endsWith(`:${rid}`))).toEqual([]);
    await incrementalMatchesFull();
  });

  it('a new collection inserted by SQL (never evaluated): the full evaluation', async () => {
    await db.query(`INSERT INTO collections (collection_id, name, limiting_collection_id) VALUES ('PS100010', 'Tracked new', $1)`, [IDS[3]]);
    await db.query(`INSERT INTO collection_rules (collection_id, kind, query) VALUES ('PS100010', 'query', $1)`, [
      `select * from SMS_R_System where Client = 0`,
    ]);
    const { evaluated } = await incrementalMatchesFull();
    expect(evaluated.sort()).toEqual([...ALL, 'PS100010'].sort());
    expect((await db.query<{ n: number }>(`SELECT member_count AS n FROM collections WHERE collection_id = 'PS100010'`)).rows[0].n).toBeGreaterThan(0);
  });

  it('{ full: true } evaluates everything and repairs a direct edit of collection_members (not recorded)', async () => {
    const right = await snapshot();
    await db.query(`DELETE FROM collection_members WHERE collection_id = $1`, [IDS[0]]);
    expect(await pending()).toEqual([]);
    await db.transaction((tx) => evaluateAllCollections(tx));
    expect((await snapshot()).members).not.toEqual(right.members);
    const before = await evaluatedAt();
    await db.transaction((tx) => evaluateAllCollections(tx, { full: true }));
    expect(await snapshot()).toEqual(right);
    const after = await evaluatedAt();
    for (const id of after.keys()) expect(after.get(id), id).not.toBe(before.get(id));
  });

  it('evaluateDevices and evaluateWithDependents consume the change rows they cover, and only those', async () => {
    await db.query(`UPDATE devices SET name = name || 'x' WHERE resource_id IN ($1, $2)`, [FIRST + 14, FIRST + 15]);
    await db.query(`INSERT INTO collection_rules (collection_id, kind, query) VALUES ($1, 'query', $2), ($3, 'query', $2)`, [
      IDS[2],
      `select * from SMS_R_System where Name like '%x'`,
      IDS[0],
    ]);
    // A direct rule: the device and the collection, consumed by either evaluation.
    await db.query(`INSERT INTO collection_rules (collection_id, kind, resource_id) VALUES ($1, 'direct', $2)`, [IDS[2], FIRST + 16]);
    expect((await pending()).filter((r) => r.resource_id === FIRST + 16)).toEqual([{ resource_id: FIRST + 16, collection_id: IDS[2] }]);
    await db.transaction((tx) => evaluateDevices(tx, [FIRST + 14]));
    expect((await pending()).filter((r) => r.resource_id !== null)).toEqual([
      { resource_id: FIRST + 15, collection_id: null },
      { resource_id: FIRST + 16, collection_id: IDS[2] },
    ]);
    // PS100002 (nothing depends on it since PS100003's exclude rule went): PS100000's row stays.
    await db.transaction((tx) => evaluateWithDependents(tx, [IDS[2]]));
    expect(await pending()).toEqual([
      { resource_id: FIRST + 15, collection_id: null },
      { resource_id: null, collection_id: IDS[0] },
    ]);
    await incrementalMatchesFull();
  });

  it('random changes: the incremental pass gives exactly the full evaluation each time', async () => {
    const change = fc.oneof(
      fc.record({ k: fc.constant('property' as const), d: fc.nat(39), v: fc.constantFrom(...MAKERS, 'Acer'), b: fc.integer({ min: 19040, max: 19050 }) }),
      fc.record({ k: fc.constant('name' as const), d: fc.nat(39), v: fc.constantFrom('PC-1', 'PC-2', 'SRV-') }),
      fc.record({ k: fc.constant('flags' as const), d: fc.nat(39) }),
      fc.record({ k: fc.constant('mac' as const), d: fc.nat(39), v: fc.constantFrom(1, 2, 3, 50, 77) }),
      fc.record({ k: fc.constant('query' as const), c: fc.nat(6), v: fc.constantFrom(`Manufacturer = 'LENOVO'`, `Name like 'PC-3%'`, `Build < 19043`) }),
      fc.record({ k: fc.constant('unrule' as const), c: fc.nat(6) }),
      fc.record({ k: fc.constant('include' as const), c: fc.integer({ min: 1, max: 6 }), r: fc.nat(5), exclude: fc.boolean() }),
      fc.record({ k: fc.constant('limiting' as const), c: fc.integer({ min: 1, max: 6 }), r: fc.nat(5), all: fc.boolean() }),
      fc.record({ k: fc.constant('direct' as const), c: fc.nat(6), d: fc.nat(39) }),
      fc.record({ k: fc.constant('device' as const), n: fc.integer({ min: 200, max: 260 }) }),
      fc.record({ k: fc.constant('delete' as const), d: fc.nat(39) }),
    );
    const existing = async (d: number): Promise<number | undefined> =>
      (
        await db.query<{ r: number }>(
          'SELECT resource_id AS r FROM devices WHERE resource_id >= $1 AND unknown_computer IS NULL ORDER BY 1 OFFSET $2 LIMIT 1',
          [FIRST, d],
        )
      ).rows[0]?.r;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(change, { minLength: 1, maxLength: 4 }), async (changes) => {
        for (const ch of changes) {
          switch (ch.k) {
            case 'property': {
              const rid = await existing(ch.d);
              await db.query(
                `UPDATE devices SET properties = properties || jsonb_build_object('manufacturer', $2::text, 'build', $3::int) WHERE resource_id = $1`,
                [rid, ch.v, ch.b],
              );
              break;
            }
            case 'name':
              await db.query(`UPDATE devices SET name = $2 || resource_id WHERE resource_id = $1`, [await existing(ch.d), ch.v]);
              break;
            case 'flags':
              await db.query(`UPDATE devices SET client = NOT client, is_server = NOT client WHERE resource_id = $1`, [await existing(ch.d)]);
              break;
            case 'mac': {
              const rid = await existing(ch.d);
              await db.query('DELETE FROM device_macs WHERE mac = $1', [mac(ch.v)]);
              if (rid !== undefined) await db.query('INSERT INTO device_macs (mac, resource_id) VALUES ($1, $2)', [mac(ch.v), rid]);
              break;
            }
            case 'query':
              await db.query(`INSERT INTO collection_rules (collection_id, kind, query) VALUES ($1, 'query', $2)`, [
                IDS[ch.c],
                `select * from SMS_R_System where ${ch.v}`,
              ]);
              break;
            case 'unrule':
              await db.query(`DELETE FROM collection_rules WHERE id = (SELECT max(id) FROM collection_rules WHERE collection_id = $1)`, [IDS[ch.c]]);
              break;
            case 'include': {
              // Only to a collection before it: no cycle.
              const ref = IDS[ch.r % ch.c];
              await db.query(`INSERT INTO collection_rules (collection_id, kind, ref_collection_id) VALUES ($1, $2, $3)`, [
                IDS[ch.c],
                ch.exclude ? 'exclude' : 'include',
                ref,
              ]);
              break;
            }
            case 'limiting':
              await db.query(`UPDATE collections SET limiting_collection_id = $1 WHERE collection_id = $2`, [
                ch.all ? 'SMS00001' : IDS[ch.r % ch.c],
                IDS[ch.c],
              ]);
              break;
            case 'direct': {
              const rid = await existing(ch.d);
              if (rid !== undefined)
                await db.query(`INSERT INTO collection_rules (collection_id, kind, resource_id) VALUES ($1, 'direct', $2)`, [IDS[ch.c], rid]);
              break;
            }
            case 'device':
              await addDevice(db, ch.n);
              break;
            case 'delete': {
              const rid = await existing(ch.d);
              if (rid !== undefined) await deleteDevice(db, SYSTEM_ACTOR, rid);
              break;
            }
          }
        }
        await incrementalMatchesFull();
        runs++;
      }),
      { numRuns: 25, seed: 16 },
    );
    expect(runs).toBe(25);
  });

  it.runIf(kind === 'postgres')('a change still uncommitted when an evaluation runs is left for the next one (PostgreSQL, two connections)', async () => {
    const before = await snapshot();
    let rid = 0;
    await db.transaction(async (writer) => {
      rid = await addDevice(writer, 300);
      // Another connection evaluates meanwhile: it neither sees nor consumes the uncommitted rows.
      await db.transaction((tx) => evaluateAllCollections(tx));
      expect(await snapshot()).toEqual(before);
    });
    expect(await pending()).toEqual([
      { resource_id: rid, collection_id: null },
      { resource_id: rid, collection_id: null },
    ]);
    await incrementalMatchesFull();
    expect((await snapshot()).members).toContain(`SMS00001:${rid}`);
  });
});
