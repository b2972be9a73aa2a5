import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WqlError } from '../../../src/engine/conditions/wql/errors.js';
import {
  compileCollectionPredicate,
  deviceFacts,
  FactsLayout,
  parseCollectionQuery,
  RulePass,
  ruleGuard,
  type CollectionQuery,
  type DeviceFacts,
  type DeviceRow,
  type RulePassOptions,
} from '../../../src/site/collections/query/index.js';

// Few distinct values, so devices share inventory tuples (the cache hits) and names share prefixes
// (the guards find candidates); a few names and values outside ASCII (left to the SQL: no facts).
const NAMES = ['PC-001', 'pc-002', 'PC-010', 'PC_1', 'Srv-01', 'Lab%1', 'A[b]', 'back\\slash', 'ÉCOLE-1', 'x', '^up]', 'a-z:=.', 'pc', ''];
const VALUES = ['Dell Inc.', 'dell inc.', 'HP', 'Latitude 7440', 'latitude', 'Latitude', '19041', ' 22631 ', '1.50', '-3', '10', 'abc', '', 'Zürich'];
const MACS = ['00:11:22:00:00:01', '00:11:22:00:00:02', 'AA:BB:CC:DD:EE:0F', '02:00:00:00:00:10'];
const KEYS = ['manufacturer', 'model', 'build', 'Colour', 'colour', 'chassis', 'serialNumber'];

interface Device {
  name: string;
  guid: string | null;
  macs: string[];
  macRows: string[];
  unknown: boolean;
  client: boolean;
  siteSystem: boolean;
  server: boolean;
  properties: Record<string, string | number | boolean | null>;
}

const deviceArb: fc.Arbitrary<Device> = fc.record({
  name: fc.constantFrom(...NAMES),
  guid: fc.option(fc.constantFrom('4C4C4544-0042-3510-8051-B4C04F4A4D31', '00000000-0000-0000-0000-000000000001'), { nil: null }),
  macs: fc.subarray(MACS),
  macRows: fc.subarray(MACS),
  // About one device in five is an unknown computer (drawn by fast-check, so a failure replays and shrinks).
  unknown: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  client: fc.boolean(),
  siteSystem: fc.boolean(),
  server: fc.boolean(),
  properties: fc.dictionary(
    fc.constantFrom(...KEYS),
    fc.oneof(fc.constantFrom(...VALUES), fc.constantFrom(19041, 22631, 1.5, -3, 0, 10), fc.boolean(), fc.constant(null)),
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
  'IsSiteSystem',
  'Manufacturer',
  'SMS_R_System.Model',
  'Build',
  'Colour',
  'Chassis',
  'SerialNumber',
  'Missing',
];
const constArb = fc.oneof(
  fc
    .constantFrom(...VALUES, ...NAMES, ...MACS, '00-11-22-00-00-02', 'aabbccddee0f', 'true', '1', '16777221')
    .map((s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`),
  fc.constantFrom('19041', '22631', '1.5', '1.50', '-3', '0', '10', '16777220', '16777222', '1', 'TRUE', 'FALSE'),
);
const patternArb = fc.constantFrom(
  '%',
  'pc%',
  'PC-0%',
  'PC-00_',
  'pc-01%',
  'pc',
  '%1',
  '[a-p]%',
  'p[c]%',
  'lab[%]%',
  'dell%',
  'DELL INC_',
  'lat%',
  'Latitude%7440',
  '1_50',
  '00:11%',
  '00:11:22:00:00:0_',
  'aa:bb%',
  '%:0f',
  '19%',
  't%',
  'é%',
);
const leafArb = fc.oneof(
  fc
    .tuple(fc.constantFrom(...ATTRS), fc.constantFrom('=', '=', '=', '<>', '<', '>='), constArb, fc.boolean())
    .map(([a, op, c, flip]) => (flip ? `${c} ${op} ${a}` : `${a} ${op} ${c}`)),
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
    // ANDs most: their conjuncts are where guards come from.
    fc.tuple(tie('expr'), fc.constantFrom('and', 'and', 'or'), tie('expr')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('expr').map((a) => `not ${a}`),
  ),
}));
const ruleArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant('select * from SMS_R_System') },
  { weight: 12, arbitrary: exprArb.map((w) => `select * from SMS_R_System where ${w}`) },
);

const row = (d: Device, rid: number): DeviceRow => ({
  resource_id: rid,
  name: d.name,
  smbios_guid: d.guid,
  unknown: d.unknown,
  client: d.client,
  is_site_system: d.siteSystem,
  is_server: d.server,
  macs: JSON.stringify(d.macs),
  props: JSON.stringify(d.properties),
});

interface Compiled {
  queries: CollectionQuery[];
  predicates: ((d: DeviceFacts) => boolean)[];
  layout: FactsLayout;
}

/** The rules that compile to a JS predicate, all with one layout (as membership.ts does). */
function compile(texts: readonly string[]): Compiled {
  const layout = new FactsLayout();
  const queries: CollectionQuery[] = [];
  const predicates: ((d: DeviceFacts) => boolean)[] = [];
  for (const text of texts) {
    let q: CollectionQuery;
    let p: ((d: DeviceFacts) => boolean) | undefined;
    try {
      q = parseCollectionQuery(text);
      p = compileCollectionPredicate(q, layout);
    } catch (e) {
      if (e instanceof WqlError) continue;
      throw e;
    }
    if (!p) continue;
    queries.push(q);
    predicates.push(p);
  }
  return { queries, predicates, layout };
}

/** Per device, the sorted indices of the rules the pass gives and of every predicate called on it. */
function both(c: Compiled, devices: readonly Device[], options?: RulePassOptions): { pass: string[]; every: string[]; rulePass: RulePass } {
  const facts = devices.map((d, i) => deviceFacts(row(d, 16777220 + i), d.macRows, c.layout)).filter((f) => f !== undefined);
  const rulePass = new RulePass(c.queries, c.predicates, c.layout, options);
  const pass = facts.map((f) => `${f.resourceId}:${[...rulePass.match(f)].sort((a, b) => a - b).join(',')}`);
  const every = facts.map(
    (f) =>
      `${f.resourceId}:${c.predicates
        .map((p, k) => (p(f) ? k : -1))
        .filter((k) => k >= 0)
        .join(',')}`,
  );
  return { pass, every, rulePass };
}

describe('the rule pass (query/rule-index.ts)', () => {
  it('gives exactly the matches of testing every rule on every device, for random rules and devices', () => {
    let rulesCompared = 0;
    let matchesCompared = 0;
    fc.assert(
      fc.property(
        fc.array(ruleArb, { minLength: 1, maxLength: 40, size: 'max' }),
        fc.array(deviceArb, { minLength: 1, maxLength: 60, size: 'max' }),
        fc.record({
          cacheCheckEvery: fc.constantFrom(1, 3, 1024),
          maxMissRatio: fc.constantFrom(0, 0.25, 1),
          minGroupRules: fc.constantFrom(1, 2, 1000),
        }),
        (texts, devices, options) => {
          const c = compile(texts);
          const { pass, every } = both(c, devices, options);
          expect(pass).toEqual(every);
          rulesCompared += c.queries.length;
          matchesCompared += every.reduce((n, s) => n + (s.split(':')[1] ? s.split(':')[1].split(',').length : 0), 0);
        },
      ),
      { numRuns: 400, seed: 16 },
    );
    // The property saw real work: thousands of rules and matches.
    expect(rulesCompared).toBeGreaterThan(2000);
    expect(matchesCompared).toBeGreaterThan(2000);
  });

  it('reads a necessary condition off each rule: = / IN on text, properties and MACs, LIKE with a literal prefix', () => {
    const guard = (where: string): unknown => {
      const layout = new FactsLayout();
      const q = parseCollectionQuery(`select * from SMS_R_System where ${where}`);
      return ruleGuard(q, layout);
    };
    expect(guard(`Name = 'PC-01'`)).toEqual({ exact: true, field: { kind: 'name' }, values: ['pc-01'] });
    expect(guard(`'PC-01' = Name`)).toEqual({ exact: true, field: { kind: 'name' }, values: ['pc-01'] });
    expect(guard(`Model in ('A', 'b') and Name like 'PC%'`)).toEqual({ exact: true, field: { kind: 'slot', slot: 0 }, values: ['a', 'b'] });
    expect(guard(`MACAddresses in ('00-11-22-00-00-02')`)).toEqual({ exact: true, field: { kind: 'macRows' }, values: ['00:11:22:00:00:02'] });
    expect(guard(`MACAddresses like '00:11%'`)).toEqual({ exact: false, field: { kind: 'macAddresses' }, prefix: '00:11' });
    // The longest literal prefix of the conjuncts; a set or wildcard ends it.
    expect(guard(`Name like 'PC%' and (Build = 1) and Manufacturer like 'Dell[ ]%'`)).toEqual({
      exact: false,
      field: { kind: 'slot', slot: 0 },
      prefix: 'dell',
    });
    // Nothing necessary: negations, OR, orderings, a number against a property (1.50 = 1.5), IS NULL.
    for (const where of [
      `Name not like 'PC%'`,
      `not (Name = 'x')`,
      `Name = 'a' or Name = 'b'`,
      `Name >= 'a'`,
      `Build = 19041`,
      `Model is not null`,
      `Name like '%x'`,
      `Name like '_x%'`,
      `Client = 1`,
      `ResourceId = 16777220`,
    ]) {
      expect(guard(where), where).toBeUndefined();
    }
  });

  it('on a fleet of few inventory tuples, calls far fewer predicates than rules × devices', () => {
    const families = ['Latitude', 'OptiPlex', 'EliteBook', 'ProDesk'];
    const texts: string[] = [];
    for (let i = 0; i < 60; i++) {
      texts.push(
        [
          `select * from SMS_R_System where Model = '${families[i % 4]} ${i % 10}'`,
          `select * from SMS_R_System where Manufacturer = 'HP' and Model like 'EliteBook%' and Build >= ${19041 + (i % 7) * 500}`,
          `select * from SMS_R_System where Name like 'PC-0${String(i % 100).padStart(2, '0')}%'`,
          `select * from SMS_R_System where MACAddresses in ('02:00:00:00:00:${String(i % 100).padStart(2, '0')}')`,
          `select * from SMS_R_System where Manufacturer in ('HP', 'LENOVO') and Client = 1 and not (Model like '%${i % 10}')`,
        ][i % 5],
      );
    }
    const c = compile(texts);
    expect(c.queries).toHaveLength(60);
    let calls = 0;
    const counted = { ...c, predicates: c.predicates.map((p) => (d: DeviceFacts) => (calls++, p(d))) };
    const devices: Device[] = Array.from({ length: 2000 }, (_, i) => ({
      name: `PC-${String(i).padStart(6, '0')}`,
      guid: null,
      macs: [`02:00:00:00:00:${String(i % 100).padStart(2, '0')}`],
      macRows: [`02:00:00:00:00:${String(i % 100).padStart(2, '0')}`],
      unknown: false,
      client: i % 3 !== 0,
      siteSystem: false,
      server: false,
      properties: {
        manufacturer: ['Dell Inc.', 'HP', 'LENOVO'][i % 3],
        model: `${families[i % 4]} ${i % 10}`,
        build: 19041 + (i % 7) * 500,
        serialNumber: `SN${i}`,
      },
    }));
    const facts = devices.map((d, i) => deviceFacts(row(d, 16777220 + i), d.macRows, c.layout)!);
    const rulePass = new RulePass(counted.queries, counted.predicates, c.layout);
    const got = facts.map((f) => [...rulePass.match(f)].sort((a, b) => a - b).join(','));
    const passCalls = calls;
    const want = facts.map((f) =>
      c.predicates
        .map((p, k) => (p(f) ? k : -1))
        .filter((k) => k >= 0)
        .join(','),
    );
    expect(got).toEqual(want);
    expect(got.filter((m) => m).length).toBeGreaterThan(1000);
    expect(rulePass.stats).toEqual({ cachedGroups: 3, cachedRules: 36, indexedRules: 24 });
    // One call per distinct tuple and rule of a group, and the guarded rules on the devices passing
    // their guard: about 5 % of the 120,000 calls of testing every rule on every device.
    expect(passCalls).toBeLessThan((60 * 2000) / 10);
  });

  it('a group whose devices are mostly distinct stops caching, and the matches stay exact', () => {
    const c = compile([
      `select * from SMS_R_System where SerialNumber like 'SN1%' and Model = 'A'`,
      `select * from SMS_R_System where SerialNumber = 'SN7' or Model = 'B'`,
      `select * from SMS_R_System where Model = 'A'`,
    ]);
    const devices: Device[] = Array.from({ length: 3000 }, (_, i) => ({
      name: `PC-${i}`,
      guid: null,
      macs: [],
      macRows: [],
      unknown: false,
      client: true,
      siteSystem: false,
      server: false,
      properties: { model: i % 2 ? 'A' : 'B', serialNumber: `SN${i}` },
    }));
    const { pass, every, rulePass } = both(c, devices);
    expect(pass).toEqual(every);
    // The two rules reading SerialNumber and Model gave up caching; the third, alone in its group, was never cached.
    expect(rulePass.stats).toEqual({ cachedGroups: 0, cachedRules: 0, indexedRules: 3 });
  });
});
