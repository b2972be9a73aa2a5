#!/usr/bin/env node
// Collection membership benchmark (osd-features §3.1; issue 16 item 4): 100,000 devices and 1,000
// collections (query rules on inventory properties, include/exclude, direct rules, limiting chains),
// on PGlite and on a throw-away PostgreSQL cluster, by the shared method (bench/lib-ab.mjs: A B
// pairs, min / median / max of the ratio, the baseline's spread, .tmp/bench/collections.json).
//   npx tsc -p tsconfig.build.json && node bench/collections.bench.mjs [devices] [collections] [--check]
//   OSD_BENCH_PAIRS=5 (default) pairs per comparison; PostgreSQL is skipped (with a note) where
//   /usr/lib/postgresql/*/bin/initdb is missing.
//
// Comparisons, each baseline named exactly:
//  1. full evaluation of every collection from an empty membership (evaluateAllCollections):
//     baseline "previous write: migration 004's collection_members (two foreign keys), rows inserted
//     through both indexes" — the same evaluation and the same rows, with the two foreign keys put
//     back on the table for the run and the index rebuild switched off (bulkRebuildMinRows:
//     Infinity); that is exactly how the site wrote them before migration 015. Ours: no foreign keys,
//     and a write that at least doubles the table rebuilds the indexes after it. Goals (absolute,
//     the median of ours): ≤ 5 s on PostgreSQL, ≤ 8 s on PGlite.
//  2. one device added to a query collection, visible in its members (insert the device, then the
//     collection's first members page, where its name sorts first; rolled back after each run —
//     the members page searched by name costs ~165 ms more on PGlite, whatever the membership):
//     baseline "Update Membership of the collection and its dependents" (evaluateWithDependents,
//     what an administrator ran before to see a new device in a query collection), ours
//     evaluateDevices([device]) (what importing or changing a device now runs). Goal: ≤ 100 ms.
//  3. re-evaluation of every collection (evaluateAllCollections) with nothing changed: baseline
//     "full evaluation again" ({ full: true }: every device and membership read, nothing written),
//     ours the tracked re-evaluation (migration 016: only what changed since, here nothing). Goal:
//     ≤ 1 s (the median of ours).
//  4. one device's inventory changed (committed, not timed), then every collection re-evaluated:
//     baseline the full evaluation ({ full: true }), ours the tracked re-evaluation (that device
//     evaluated on its own in every collection). The membership after ours is checked against the
//     full evaluation's once at the end.
//  Also the phases of one full evaluation.
// --check re-evaluates with every query rule in SQL and fails unless the membership is the same as
// the JS pass gave.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPglite } from '../dist/site/db/pglite.js';
import { openPostgres } from '../dist/site/db/postgres.js';
import { openSite } from '../dist/site/site.js';
import { listMembers } from '../dist/site/collections/collections.js';
import { evaluateAllCollections, evaluateDevices, evaluateWithDependents } from '../dist/site/collections/evaluate.js';
import { benchRun, comparePairs, timed } from './lib-ab.mjs';
import { startThrowawayPostgres } from './throwaway-postgres.mjs';

const args = process.argv.slice(2);
const numbers = args.filter((a) => !a.startsWith('--'));
const DEVICES = Number(numbers[0] ?? 100_000);
const COLLECTIONS = Number(numbers[1] ?? 1_000);
const CHECK = args.includes('--check');
if (!Number.isInteger(DEVICES) || DEVICES < 100 || !Number.isInteger(COLLECTIONS) || COLLECTIONS < 30) {
  console.error(`collections.bench: devices (≥ 100) and collections (≥ 30) are whole numbers; got ${numbers.join(' ')}`);
  process.exit(2);
}

const snapshot = async (db) =>
  (await db.query(`SELECT collection_id, count(*)::int AS n, sum(resource_id)::text AS s FROM collection_members GROUP BY 1 ORDER BY 1`)).rows
    .map((r) => `${r.collection_id}:${r.n}:${r.s}`)
    .join(' ');
const FIRST_RESOURCE = 16777220;
class Rollback extends Error {}

async function populate(site) {
  const db = site.db;
  const t0 = performance.now();
  // Bulk insert in one statement each: inventory spread over 5 makers, 20 models, 4 OS versions.
  await db.query(
    `INSERT INTO devices (resource_id, name, mac_addresses, smbios_guid, client, properties)
     SELECT $1 + i, 'PC-' || lpad(i::text, 6, '0'),
       jsonb_build_array('02:00:' || upper(lpad(to_hex(i), 8, '0')) ),
       upper(md5(i::text)::uuid::text), i % 3 <> 0,
       jsonb_build_object(
         'manufacturer', (ARRAY['Dell Inc.','HP','LENOVO','Microsoft Corporation','VMware, Inc.'])[1 + i % 5],
         'model', (ARRAY['Latitude','OptiPlex','EliteBook','ProDesk','ThinkPad','ThinkCentre','Surface','Virtual'])[1 + i % 8] || ' ' || (i % 20),
         'operatingSystemNameandVersion', (ARRAY['Microsoft Windows NT Workstation 10.0','Microsoft Windows NT Workstation 6.3','Microsoft Windows NT Server 10.0','Microsoft Windows NT Workstation 10.0 (Tablet Edition)'])[1 + i % 4],
         'build', 19041 + (i % 7) * 500,
         'systemType', CASE WHEN i % 11 = 0 THEN 'X86-based PC' ELSE 'X64-based PC' END)
     FROM generate_series(1, $2::int) AS i`,
    [FIRST_RESOURCE, DEVICES],
  );
  await db.query(`INSERT INTO device_macs (mac, resource_id) SELECT d.mac_addresses->>0, d.resource_id FROM devices d WHERE d.unknown_computer IS NULL`);
  await db.query(`SELECT setval('resource_id_seq', $1)`, [FIRST_RESOURCE + DEVICES]);

  // Mostly selective rules, as real collections are (a model, a department's names, a handful of
  // MACs), and every 50th a broad one (a whole manufacturer).
  const families = ['Latitude', 'OptiPlex', 'EliteBook', 'ProDesk', 'ThinkPad', 'ThinkCentre', 'Surface', 'Virtual'];
  const mac = (n) =>
    `02:00:${((n % DEVICES) + 1)
      .toString(16)
      .toUpperCase()
      .padStart(8, '0')
      .replace(/(..)(?=.)/g, '$1:')}`;
  const queries = [
    (i) => `select * from SMS_R_System where SMS_R_System.Model = '${families[i % 8]} ${i % 20}'`,
    (i) => `select * from SMS_R_System where Manufacturer = 'HP' and Model like 'EliteBook%' and Build >= ${19041 + (i % 7) * 500}`,
    (i) => `select * from SMS_R_System where Name like 'PC-0${String(i % 100).padStart(2, '0')}%'`,
    (i) => `select * from SMS_R_System where MACAddresses in (${Array.from({ length: 10 }, (_, k) => `'${mac(i * 37 + k * 1009)}'`).join(', ')})`,
    (i) => `select * from SMS_R_System where Manufacturer in ('HP', 'LENOVO') and SystemType = 'X86-based PC' and not (Model like '%${i % 10}')`,
    (i) => `select * from SMS_R_System where OperatingSystemNameandVersion like '%Server%' and Model like '%${i % 20}'`,
  ];
  const broad = (i) => `select * from SMS_R_System where Manufacturer = '${['Dell Inc.', 'HP', 'LENOVO', 'Microsoft Corporation', 'VMware, Inc.'][i % 5]}'`;
  const ids = [];
  for (let i = 0; i < COLLECTIONS; i++) {
    const id = `PS1${(0x100 + i).toString(16).toUpperCase().padStart(5, '0')}`;
    const kind = i % 10;
    // Every 5th of the later collections is limited to an earlier user collection (chains).
    const limiting = i > 20 && i % 5 === 0 ? ids[i - 7] : 'SMS00001';
    await db.query('INSERT INTO collections (collection_id, name, limiting_collection_id) VALUES ($1, $2, $3)', [id, `Bench ${i}`, limiting]);
    if (kind <= 5 || i < 20) {
      await db.query(`INSERT INTO collection_rules (collection_id, kind, query) VALUES ($1, 'query', $2)`, [
        id,
        i % 50 === 0 ? broad(i / 50) : queries[i % queries.length](i),
      ]);
    } else if (kind <= 7) {
      await db.query(
        `INSERT INTO collection_rules (collection_id, kind, ref_collection_id) VALUES ($1, 'include', $2), ($1, 'include', $3), ($1, 'exclude', $4)`,
        [id, ids[i - 1], ids[i - 3], ids[i - 10]],
      );
    } else {
      await db.query(
        `INSERT INTO collection_rules (collection_id, kind, resource_id) SELECT $1, 'direct', $2 + (g * 4099 + $3) % $4 + 1 FROM generate_series(1, 20) AS g`,
        [id, FIRST_RESOURCE, i, DEVICES],
      );
    }
    ids.push(id);
  }
  return { populateSeconds: (performance.now() - t0) / 1000, ids };
}

const emptyMembership = async (db) => {
  await db.query('TRUNCATE collection_members');
  await db.query('UPDATE collections SET member_count = 0, evaluated_at = NULL');
};
const FOREIGN_KEYS_004 = `ALTER TABLE collection_members
  ADD CONSTRAINT collection_members_collection_id_fkey FOREIGN KEY (collection_id) REFERENCES collections(collection_id) ON DELETE CASCADE,
  ADD CONSTRAINT collection_members_resource_id_fkey FOREIGN KEY (resource_id) REFERENCES devices(resource_id) ON DELETE CASCADE`;
const DROP_FOREIGN_KEYS_004 = `ALTER TABLE collection_members DROP CONSTRAINT collection_members_collection_id_fkey,
  DROP CONSTRAINT collection_members_resource_id_fkey`;

async function run(label, database, bench) {
  const dataDir = mkdtempSync(join(tmpdir(), `openosd-bench-${label}-`));
  const site = await openSite({ dataDir, database });
  const db = site.db;
  try {
    const { populateSeconds, ids } = await populate(site);
    console.log(
      `${label}: populated ${DEVICES.toLocaleString('en-US')} devices and ${COLLECTIONS.toLocaleString('en-US')} collections in ${populateSeconds.toFixed(1)} s`,
    );
    let reference;
    let memberships = 0;
    const phases = [];
    const full = bench.add(
      await comparePairs({
        name: `${label} full evaluation`,
        unit: 'ms',
        better: 'lower',
        baseline: {
          label: 'previous write (004 foreign keys, through both indexes)',
          run: async () => {
            await emptyMembership(db);
            await db.query(FOREIGN_KEYS_004);
            try {
              return await timed(async () => {
                await db.transaction((tx) => evaluateAllCollections(tx, { bulkRebuildMinRows: Infinity, full: true }));
              });
            } finally {
              reference ??= await snapshot(db);
              await db.query(DROP_FOREIGN_KEYS_004);
            }
          },
        },
        ours: {
          label: 'ours',
          run: async () => {
            await emptyMembership(db);
            const list = [];
            const r = await timed(async () => {
              const results = await db.transaction((tx) =>
                evaluateAllCollections(tx, { full: true, onPhase: (name, ms) => list.push(`${name} ${(ms / 1000).toFixed(2)} s`) }),
              );
              memberships = results.reduce((n, x) => n + x.memberCount, 0);
            });
            phases.push(list.join('; '));
            const same = (await snapshot(db)) === reference;
            if (!same) {
              console.log(`  ${label}: the membership differs from the baseline's`);
              process.exitCode = 1;
            }
            return { ...r, same };
          },
        },
      }),
    );
    console.log(`  ${label} full evaluation: ${memberships.toLocaleString('en-US')} memberships; phases of the last: ${phases.at(-1)}`);
    const fullMedian = full.oursSpread.median / 1000;
    const fullGoal = label === 'PostgreSQL' ? 5 : 8;
    console.log(`  ${label} full evaluation: median ${fullMedian.toFixed(2)} s (goal ≤ ${fullGoal} s: ${fullMedian <= fullGoal ? 'met' : 'NOT met'})`);
    bench.figure(`${label} full evaluation s`, +fullMedian.toFixed(3), 's', 'lower');

    // Every collection re-evaluated with nothing changed: the full pass reads everything and writes
    // nothing; the tracked one reads the (empty) change log and the collection graph.
    const evaluateAll = (options) => async () => timed(() => db.transaction((tx) => evaluateAllCollections(tx, options)));
    const unchanged = bench.add(
      await comparePairs({
        name: `${label} re-evaluation, nothing changed`,
        unit: 'ms',
        better: 'lower',
        baseline: { label: 'full evaluation again', run: evaluateAll({ full: true }) },
        ours: { label: 'tracked re-evaluation', run: evaluateAll({}) },
      }),
    );
    const u = unchanged.oursSpread.median / 1000;
    console.log(`  ${label} re-evaluation, nothing changed: median ${u.toFixed(3)} s (goal ≤ 1 s: ${u <= 1 ? 'met' : 'NOT met'})`);
    bench.figure(`${label} re-evaluation unchanged s`, +u.toFixed(3), 's', 'lower');

    // One device's inventory changed (a different model each run, committed before the clock
    // starts), then every collection re-evaluated.
    let changes = 0;
    const oneChanged = (options) => async () => {
      const i = changes++;
      await db.query(`UPDATE devices SET properties = properties || jsonb_build_object('model', $2::text) WHERE resource_id = $1`, [
        FIRST_RESOURCE + 1 + ((i * 7919) % DEVICES),
        `EliteBook ${i % 20}`,
      ]);
      return evaluateAll(options)();
    };
    const changed = bench.add(
      await comparePairs({
        name: `${label} one device changed, re-evaluation`,
        unit: 'ms',
        better: 'lower',
        baseline: { label: 'full evaluation', run: oneChanged({ full: true }) },
        ours: { label: 'tracked re-evaluation', run: oneChanged({}) },
      }),
    );
    const c1 = changed.oursSpread.median;
    console.log(`  ${label} one device changed, re-evaluation: median ${c1.toFixed(0)} ms`);
    bench.figure(`${label} one device changed re-evaluation ms`, +c1.toFixed(1), 'ms', 'lower');
    {
      const tracked = await snapshot(db);
      await db.transaction((tx) => evaluateAllCollections(tx, { full: true }));
      if ((await snapshot(db)) !== tracked) {
        console.log(`  ${label}: the tracked re-evaluation's membership differs from the full evaluation's`);
        process.exitCode = 1;
      }
    }

    // One device added to a query collection (HP EliteBook, build ≥ …: kind 1 of populate's rules,
    // limited to All Systems), seen in its members; rolled back after each run.
    const target = ids[1];
    let n = 0;
    const addOne = (evaluate) => async () => {
      let seen = false;
      const r = await timed(async () => {
        try {
          await db.transaction(async (tx) => {
            const rid = FIRST_RESOURCE + DEVICES + 1 + n++;
            const name = `BENCH-NEW-${rid}`;
            await tx.query(
              `INSERT INTO devices (resource_id, name, properties) VALUES ($1, $2, '{"manufacturer": "HP", "model": "EliteBook 840", "build": 30000}')`,
              [rid, name],
            );
            await tx.query('INSERT INTO collection_members (collection_id, resource_id) VALUES ($1, $2)', ['SMS00001', rid]);
            await evaluate(tx, rid);
            // The members page in name order: BENCH-… sorts before every PC-… of the population.
            seen = (await listMembers(tx, target, { limit: 50 })).members.some((m) => m.name === name);
            throw new Rollback();
          });
        } catch (e) {
          if (!(e instanceof Rollback)) throw e;
        }
      });
      if (!seen) {
        console.log(`  ${label}: the new device is not among ${target}'s members`);
        process.exitCode = 1;
      }
      return r;
    };
    const one = bench.add(
      await comparePairs({
        name: `${label} one device added, in members`,
        unit: 'ms',
        better: 'lower',
        warmup: true,
        baseline: { label: 'Update Membership (the collection and its dependents)', run: addOne((tx) => evaluateWithDependents(tx, [target])) },
        ours: { label: 'evaluateDevices([device])', run: addOne((tx, rid) => evaluateDevices(tx, [rid])) },
      }),
    );
    const oneMedian = one.oursSpread.median;
    console.log(`  ${label} one device added, in members: median ${oneMedian.toFixed(0)} ms (goal ≤ 100 ms: ${oneMedian <= 100 ? 'met' : 'NOT met'})`);
    bench.figure(`${label} one device added ms`, +oneMedian.toFixed(1), 'ms', 'lower');

    if (CHECK) {
      const before = await snapshot(db);
      const t3 = performance.now();
      await db.transaction((tx) => evaluateAllCollections(tx, { queries: 'sql', full: true }));
      const same = (await snapshot(db)) === before;
      console.log(`  ${label} check: every query rule in SQL ${((performance.now() - t3) / 1000).toFixed(1)} s; same membership: ${same}`);
      if (!same) process.exitCode = 1;
    }
  } finally {
    await site.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const bench = benchRun('collections');
console.log(`collection membership, ${DEVICES.toLocaleString('en-US')} devices × ${COLLECTIONS.toLocaleString('en-US')} collections`);
await run('PGlite', await openPglite(undefined), bench);
const pg = startThrowawayPostgres();
if (pg) {
  try {
    const admin = await openPostgres(pg.url);
    await admin.query('CREATE DATABASE bench');
    await admin.close();
    await run('PostgreSQL', await openPostgres(pg.url.replace(/\/postgres$/, '/bench')), bench);
  } finally {
    pg.stop();
  }
} else {
  console.log('PostgreSQL: skipped (not installed: apt-get install postgresql)');
}
bench.finish({ devices: DEVICES, collections: COLLECTIONS });
