import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateAllCollections, evaluateDevices, evaluateOne, evaluateWithDependents } from '../../../src/site/collections/evaluate.js';
import { allInOrder, loadCollectionGraph } from '../../../src/site/collections/graph.js';
import {
  checkCollectionQuery,
  compileCollectionPredicate,
  compileCollectionQuery,
  DEVICE_FACTS_SQL,
  deviceFacts,
  FactsLayout,
  parseCollectionQuery,
  type DeviceFacts,
  type DeviceRow,
} from '../../../src/site/collections/query/index.js';
import { WqlError } from '../../../src/engine/conditions/wql/errors.js';
import { compileLike, parseLikePattern } from '../../../src/engine/conditions/wql/like.js';
import { SiteError } from '../../../src/site/errors.js';
import { DB_KINDS, openTestSite, type TestSite } from '../helpers/site.js';

// Devices with values that make the semantics matter: case, NULLs, numbers written several ways,
// a property spelled in two cases, several MACs, and a few names outside ASCII (left to the SQL).
const NAMES = ['PC-001', 'pc-002', 'PC_1', 'Srv-01', 'Lab%1', 'A[b]', 'back\\slash', 'ÉCOLE-1', 'straße', 'x', '^up]', 'a-z:=.', 'Z~`{'];
const VALUES = ['Dell Inc.', 'dell inc.', 'HP', 'Latitude 7440', 'latitude', '19041', ' 22631 ', '1.50', '-3', '10', '9', 'abc', '', 'Zürich'];
const MACS = ['00:11:22:00:00:01', '00:11:22:00:00:02', 'AA:BB:CC:DD:EE:0F', '02:00:00:00:00:10'];

const deviceArb = fc.record({
  name: fc.constantFrom(...NAMES),
  guid: fc.option(fc.constantFrom('4C4C4544-0042-3510-8051-B4C04F4A4D31', '00000000-0000-0000-0000-000000000001'), { nil: null }),
  macs: fc.subarray(MACS),
  client: fc.boolean(),
  server: fc.boolean(),
  properties: fc.dictionary(
    fc.constantFrom('manufacturer', 'model', 'build', 'Colour', 'colour', 'chassis'),
    fc.oneof(fc.constantFrom(...VALUES), fc.constantFrom(19041, 22631, 1.5, -3, 0, 10, 9.75), fc.boolean(), fc.constant(null)),
    { maxKeys: 5 },
  ),
});

const ATTRS = [
  'Name',
  'NetbiosName',
  'SMBIOSGUID',
  'MACAddresses',
  'ResourceId',
  'Client',
  'IsServer',
  'Manufacturer',
  'SMS_R_System.Model',
  'Build',
  'Colour',
  'Chassis',
  'Missing',
];
const constArb = fc.oneof(
  fc.constantFrom(...VALUES, ...NAMES, ...MACS, '00-11-22-00-00-02', 'aabbccddee0f', 'true', '1', '16777221').map((s) => `'${s.replace(/'/g, "''")}'`),
  fc.constantFrom('19041', '22631', '1.5', '1.50', '-3', '0', '10', '9.75', '16777220', '16777222', '1', 'TRUE', 'FALSE'),
);
// LIKE patterns: characters that matter inside and outside [sets] (], ^, -, [, \, :, =, ., a
// character outside ASCII and one outside the BMP), raw (mostly invalid) and as sets and ranges
// (valid, backwards, ambiguous), so both what the parser accepts and what it refuses are covered.
const LIKE_CHARS = ['a', 'B', 'p', 'z', '0', '9', '-', '^', ']', '[', '%', '_', '\\', '.', ':', '=', '`', '~', ' ', 'é', '😀'];
const likeChar = fc.constantFrom(...LIKE_CHARS);
const likeSetArb = fc
  .tuple(
    fc.boolean(),
    fc.array(
      fc.oneof(
        likeChar,
        fc.tuple(likeChar, likeChar).map(([a, b]) => `${a}-${b}`),
      ),
      { maxLength: 3 },
    ),
  )
  .map(([neg, items]) => `[${neg ? '^' : ''}${items.join('')}]`);
const likePatternArb = fc.oneof(
  fc.string({ unit: likeChar, maxLength: 8 }),
  fc.array(fc.oneof(likeSetArb, fc.constantFrom('%', '_', 'p', 'C', '-', '1', ':', 'e')), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('')),
);
/** A pattern as a WQL string literal's body (the lexer reads \\ as one backslash). */
const likeLiteral = (p: string): string => p.replace(/\\/g, '\\\\');
const patternArb = fc.oneof(
  fc.constantFrom(
    '%',
    'pc%',
    'PC-00_',
    '%1',
    '[a-p]%',
    '[^p]%',
    '%[0-9]',
    'lab[%]%',
    'a[[]%',
    '%dell%',
    '1_50',
    '%.%',
    '%\\%',
    '00:11%',
    '%:0f',
    '[]]%',
    'é%',
    '%e',
  ),
  likePatternArb.map(likeLiteral),
);
const leafArb = fc.oneof(
  fc.tuple(fc.constantFrom(...ATTRS), fc.constantFrom('=', '<>', '!=', '<', '>', '<=', '>='), constArb).map(([a, op, c]) => `${a} ${op} ${c}`),
  fc.tuple(fc.constantFrom(...ATTRS), fc.boolean(), patternArb).map(([a, not, p]) => `${a} ${not ? 'not ' : ''}like '${p}'`),
  fc
    .tuple(fc.constantFrom(...ATTRS), fc.boolean(), fc.array(constArb, { minLength: 1, maxLength: 3 }))
    .map(([a, not, cs]) => `${a} ${not ? 'not ' : ''}in (${cs.join(', ')})`),
  fc.tuple(fc.constantFrom(...ATTRS), fc.boolean()).map(([a, not]) => `${a} is ${not ? 'not ' : ''}null`),
);
const { expr: exprArb } = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.tuple(tie('expr'), fc.constantFrom('and', 'or'), tie('expr')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('expr').map((a) => `not ${a}`),
  ),
}));

describe.each(DB_KINDS)('query rules in JS agree with the SQL on %s', (kind) => {
  let t: TestSite;
  let facts: { rid: number; facts: DeviceFacts | undefined }[] = [];
  let rows: DeviceRow[] = [];
  let macRows: { resource_id: number; mac: string }[] = [];
  const factsFor = (layout: FactsLayout): { rid: number; facts: DeviceFacts | undefined }[] =>
    rows.map((r) => ({
      rid: Number(r.resource_id),
      facts: deviceFacts(
        r,
        macRows.filter((m) => Number(m.resource_id) === Number(r.resource_id)).map((m) => m.mac),
        layout,
      ),
    }));

  beforeAll(async () => {
    t = await openTestSite(kind);
    const devices = fc.sample(deviceArb, { numRuns: 40, seed: 7 });
    let rid = 16777220;
    for (const d of devices) {
      await t.site.db.query(
        `INSERT INTO devices (resource_id, name, smbios_guid, mac_addresses, client, is_server, properties) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [rid, d.name, d.guid, JSON.stringify(d.macs), d.client, d.server, JSON.stringify(d.properties)],
      );
      for (const mac of d.macs) await t.site.db.query('INSERT INTO device_macs (mac, resource_id) VALUES ($1, $2)', [mac, rid]);
      rid++;
    }
    rows = (await t.site.db.query<DeviceRow>(DEVICE_FACTS_SQL)).rows;
    macRows = (await t.site.db.query<{ resource_id: number; mac: string }>('SELECT resource_id, mac FROM device_macs')).rows;
    facts = factsFor(new FactsLayout());
    // The unknown computers, the ASCII devices and the others (left to the SQL) are all there.
    expect(facts.filter((f) => f.facts?.unknownComputer)).toHaveLength(2);
    expect(facts.filter((f) => !f.facts).length).toBeGreaterThan(0);
    expect(facts.filter((f) => f.facts && !f.facts.unknownComputer).length).toBeGreaterThan(20);
  });
  afterAll(async () => t?.close());

  it('for random queries over random devices', async () => {
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(exprArb, async (where) => {
        const text = `select * from SMS_R_System where ${where}`;
        let sql: string;
        const params: unknown[] = [];
        let q;
        try {
          q = parseCollectionQuery(text);
          sql = compileCollectionQuery(q, params);
        } catch (e) {
          if (e instanceof WqlError) return; // refused alike: checkCollectionQuery keeps it out
          throw e;
        }
        const layout = new FactsLayout();
        const predicate = compileCollectionPredicate(q, layout);
        if (!predicate) return; // left to the SQL
        const facts = factsFor(layout);
        // Whatever the parser accepts, the database runs (an error here is the 500 of issue 10).
        const inSql = new Set(
          (await t.site.db.query<{ resource_id: number }>(`SELECT d.resource_id FROM devices d WHERE ${sql}`, params)).rows.map((r) => Number(r.resource_id)),
        );
        const inJs = new Set(facts.filter((f) => f.facts && predicate(f.facts)).map((f) => f.rid));
        const comparable = new Set(facts.filter((f) => f.facts).map((f) => f.rid));
        expect([...inJs].sort(), text).toEqual([...inSql].filter((rid) => comparable.has(rid)).sort());
        compared++;
      }),
      { numRuns: 300, seed: 42 },
    );
    expect(compared).toBeGreaterThan(150);
  });

  it('every LIKE pattern the parser accepts runs on the database and the JS agrees; every other is a 400 naming the field', async () => {
    let accepted = 0;
    let refused = 0;
    let compared = 0;
    const attrs = ['Name', 'Manufacturer', 'Colour', 'MACAddresses', 'ResourceId', 'Client', 'SMBIOSGUID'];
    await fc.assert(
      fc.asyncProperty(likePatternArb, fc.constantFrom(...attrs), fc.boolean(), async (pattern, attr, not) => {
        const text = `select * from SMS_R_System where ${attr} ${not ? 'not ' : ''}like '${likeLiteral(pattern)}'`;
        let q;
        try {
          q = checkCollectionQuery(text, 'body.query');
        } catch (e) {
          expect(e, text).toBeInstanceOf(SiteError);
          expect((e as SiteError).status).toBe(400);
          expect((e as SiteError).input).toBe('body.query');
          expect((e as SiteError).rule).toMatch(/^column \d+: /);
          expect(() => parseLikePattern(pattern), text).toThrow();
          refused++;
          return;
        }
        accepted++;
        const params: unknown[] = [];
        const sql = compileCollectionQuery(q, params);
        const inSql = new Set(
          (await t.site.db.query<{ resource_id: number }>(`SELECT d.resource_id FROM devices d WHERE ${sql}`, params)).rows.map((r) => Number(r.resource_id)),
        );
        const layout = new FactsLayout();
        const predicate = compileCollectionPredicate(q, layout);
        if (!predicate) return; // text outside ASCII: the SQL's alone
        const facts = factsFor(layout);
        const inJs = facts.filter((f) => f.facts && predicate(f.facts)).map((f) => f.rid);
        const comparable = new Set(facts.filter((f) => f.facts).map((f) => f.rid));
        expect(inJs.sort(), text).toEqual([...inSql].filter((rid) => comparable.has(rid)).sort());
        compared++;
      }),
      { numRuns: 400, seed: 10 },
    );
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(50);
    expect(compared).toBeGreaterThan(80);
  });

  it('every printable ASCII character, in and out of sets and ranges, matches on the database as in JS', async () => {
    const ascii = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i));
    const subjects = [...ascii, 'ab', 'A-', '^]', ''];
    let checked = 0;
    for (const c of ascii) {
      for (const pattern of [c, `[${c}]`, `[^${c}]`, `[${c}-${c}]`, `[${c}-~]`, `[ -${c}]`, `%${c}%`, `_${c}`, `[]${c}]`, `[${c}]]`, `[a${c}]`, `[${c}a-c]`]) {
        let q;
        try {
          q = checkCollectionQuery(`select * from SMS_R_System where Name like '${likeLiteral(pattern).replace(/'/g, "\\'")}'`, 'body.query');
        } catch (e) {
          expect(e).toBeInstanceOf(SiteError);
          continue;
        }
        const params: unknown[] = [subjects];
        const cond = compileCollectionQuery(q, params);
        const { rows } = await t.site.db.query<{ name: string }>(
          `SELECT d.name FROM (SELECT unnest($1::text[]) AS name, NULL::text AS unknown_computer) d WHERE ${cond}`,
          params,
        );
        const re = compileLike(pattern);
        expect(rows.map((r) => r.name).sort(), pattern).toEqual(subjects.filter((s) => re.test(s)).sort());
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(95 * 10);
  });

  it('evaluates collections in memory exactly as one statement per collection does', async () => {
    const db = t.site.db;
    const queries = [
      `Name like 'pc%'`,
      `Manufacturer = 'dell inc.' or Build >= 19041`,
      `not (Colour is null) and Client = 1`,
      `MACAddresses in ('00-11-22-00-00-01', 'aabbccddee0f')`,
      `Name like '[a-s]%' and not (Model like '%7440')`,
    ];
    const ids: string[] = [];
    const add = async (limiting: string, rules: [string, string | number][]): Promise<string> => {
      const id = `PS1${String(ids.length).padStart(5, '0')}`;
      await db.query('INSERT INTO collections (collection_id, name, limiting_collection_id) VALUES ($1, $2, $3)', [id, `C ${id}`, limiting]);
      for (const [kind, value] of rules) {
        const column = kind === 'query' ? 'query' : kind === 'direct' ? 'resource_id' : 'ref_collection_id';
        await db.query(`INSERT INTO collection_rules (collection_id, kind, ${column}) VALUES ($1, $2, $3)`, [id, kind, value]);
      }
      ids.push(id);
      return id;
    };
    for (const q of queries) await add('SMS00001', [['query', `select * from SMS_R_System where ${q}`]]);
    await add(ids[0], [
      ['query', `select * from SMS_R_System`],
      ['direct', facts[3].rid],
    ]);
    await add('SMS00001', [
      ['include', ids[1]],
      ['include', ids[2]],
      ['exclude', ids[3]],
      ['direct', facts[0].rid],
    ]);
    await add(ids[6], [
      ['include', ids[4]],
      ['include', ids[5]],
    ]);
    await add('SMS000US', [['include', 'SMS00001']]);
    const snapshot = async (): Promise<string[]> =>
      (await db.query<{ c: string; r: number }>('SELECT collection_id AS c, resource_id AS r FROM collection_members ORDER BY 1, 2')).rows.map(
        (r) => `${r.c}:${r.r}`,
      );
    const counts = async (): Promise<string[]> =>
      (await db.query<{ c: string; n: number }>('SELECT collection_id AS c, member_count AS n FROM collections ORDER BY 1')).rows.map((r) => `${r.c}:${r.n}`);

    // The reference: one statement per collection, dependencies first.
    await db.transaction(async (tx) => {
      for (const id of allInOrder(await loadCollectionGraph(tx))) await evaluateOne(tx, id);
    });
    const reference = await snapshot();
    const referenceCounts = await counts();
    expect(reference.filter((m) => m.startsWith('PS1')).length).toBeGreaterThan(20);
    for (const queriesIn of ['js', 'sql', 'auto'] as const) {
      await db.query('DELETE FROM collection_members WHERE collection_id LIKE $1', ['PS1%']);
      await db.query(
        `DELETE FROM collection_members WHERE collection_id = 'SMS00001' AND resource_id IN (SELECT resource_id FROM devices WHERE name LIKE 'PC%')`,
      );
      await db.query(`INSERT INTO collection_members (collection_id, resource_id) VALUES ($1, $2)`, [ids[7], facts[1].rid]);
      const results = await db.transaction((tx) => evaluateAllCollections(tx, { queries: queriesIn, full: true }));
      expect(await snapshot(), queriesIn).toEqual(reference);
      expect(await counts(), queriesIn).toEqual(referenceCounts);
      expect(results.map((r) => `${r.collectionId}:${r.memberCount}`).sort()).toEqual(referenceCounts);
    }
    // A collection and its dependents: the ones not evaluated are read as stored.
    await db.query(`DELETE FROM collection_members WHERE collection_id = $1`, [ids[1]]);
    const again = await db.transaction((tx) => evaluateWithDependents(tx, [ids[1]], { queries: 'js' }));
    expect(again.map((r) => r.collectionId)).toEqual([ids[1], ids[6], ids[7]]);
    expect(await snapshot()).toEqual(reference);

    // Device by device (evaluateDevices, what a changed or imported device runs): nothing to do
    // when nothing changed; after devices change, exactly the rows and counts a full evaluation
    // then gives (JS facts, and the devices the JS leaves to the SQL, both among them).
    expect(
      await db.transaction((tx) =>
        evaluateDevices(
          tx,
          facts.map((f) => f.rid),
        ),
      ),
    ).toEqual([]);
    const changed = [facts[0].rid, facts[3].rid, ...facts.filter((f) => !f.facts).map((f) => f.rid)];
    await db.query(
      `UPDATE devices SET properties = properties || '{"manufacturer": "Dell Inc.", "build": 19041}'::jsonb, name = upper(name), client = NOT client
       WHERE resource_id = ANY($1::bigint[])`,
      [changed],
    );
    await db.query(`DELETE FROM device_macs WHERE resource_id = $1`, [facts[3].rid]);
    const byDevice = await db.transaction((tx) => evaluateDevices(tx, changed));
    expect(byDevice.length).toBeGreaterThan(0);
    const afterDevices = await snapshot();
    const afterDevicesCounts = await counts();
    expect(afterDevices).not.toEqual(reference);
    await db.transaction((tx) => evaluateAllCollections(tx, { full: true }));
    expect(afterDevices).toEqual(await snapshot());
    expect(afterDevicesCounts).toEqual(await counts());

    // A write that at least doubles the table drops its indexes and builds them again after
    // (BULK_REBUILD_MIN_ROWS, lowered here): the same rows, and the same indexes after.
    const indexes = async (): Promise<string[]> =>
      (await db.query<{ d: string }>(`SELECT indexdef AS d FROM pg_indexes WHERE tablename = 'collection_members' ORDER BY 1`)).rows.map((r) => r.d);
    const indexesBefore = await indexes();
    expect(indexesBefore).toHaveLength(2);
    await db.query('DELETE FROM collection_members');
    await db.transaction((tx) => evaluateAllCollections(tx, { bulkRebuildMinRows: 1, full: true }));
    expect(await snapshot()).toEqual(afterDevices);
    expect(await counts()).toEqual(afterDevicesCounts);
    expect(await indexes()).toEqual(indexesBefore);
    // All Systems rows already in (as a device imported meanwhile has) are not written twice.
    await db.query(`DELETE FROM collection_members WHERE collection_id <> 'SMS00001' OR resource_id > $1`, [facts[2].rid]);
    await db.transaction((tx) => evaluateAllCollections(tx, { bulkRebuildMinRows: 1, full: true }));
    expect(await snapshot()).toEqual(afterDevices);
    expect(await indexes()).toEqual(indexesBefore);
  });
});
