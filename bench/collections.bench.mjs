#!/usr/bin/env node
// Collection membership benchmark (osd-features §3.1): 100,000 devices and 1,000 collections
// (query rules on inventory properties, include/exclude, direct rules, limiting chains), one full
// evaluation of every collection, on PGlite and on a throw-away PostgreSQL cluster.
//   npx tsc -p tsconfig.build.json && node bench/collections.bench.mjs [devices] [collections] [--baseline] [--check]
// PostgreSQL is skipped (with a note) where /usr/lib/postgresql/*/bin/initdb is missing.
// --baseline also times the previous way, one SQL statement per collection (evaluateOne in
// dependency order: minutes at full size); --check re-evaluates with every query rule in SQL and
// fails unless the membership is the same as the JS pass gave.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPglite } from '../dist/site/db/pglite.js';
import { openPostgres } from '../dist/site/db/postgres.js';
import { openSite } from '../dist/site/site.js';
import { evaluateAllCollections, evaluateOne, evaluateWithDependents } from '../dist/site/collections/evaluate.js';
import { allInOrder, loadCollectionGraph } from '../dist/site/collections/graph.js';
import { startThrowawayPostgres } from './throwaway-postgres.mjs';

const args = process.argv.slice(2);
const numbers = args.filter((a) => !a.startsWith('--'));
const DEVICES = Number(numbers[0] ?? 100_000);
const COLLECTIONS = Number(numbers[1] ?? 1_000);
const BASELINE = args.includes('--baseline');
const CHECK = args.includes('--check');

/** The previous evaluation, kept here as the baseline: one statement per collection, in order. */
async function evaluateAllBaseline(tx) {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [0x4f534443]);
  const graph = await loadCollectionGraph(tx);
  const out = [];
  for (const id of allInOrder(graph)) out.push(await evaluateOne(tx, id));
  return out;
}

const snapshot = async (db) =>
  (await db.query(`SELECT collection_id, count(*)::int AS n, sum(resource_id)::text AS s FROM collection_members GROUP BY 1 ORDER BY 1`)).rows
    .map((r) => `${r.collection_id}:${r.n}:${r.s}`)
    .join(' ');
const phases = (label) => {
  const list = [];
  return { onPhase: (name, ms) => list.push(`${name} ${(ms / 1000).toFixed(2)} s`), print: () => console.log(`  ${label}: ${list.join('; ')}`) };
};
const FIRST_RESOURCE = 16777220;

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

async function run(label, database) {
  const dataDir = mkdtempSync(join(tmpdir(), `openosd-bench-${label}-`));
  const site = await openSite({ dataDir, database });
  try {
    const { populateSeconds, ids } = await populate(site);
    let baseline;
    if (BASELINE) {
      const t = performance.now();
      await site.db.transaction((tx) => evaluateAllBaseline(tx));
      baseline = (performance.now() - t) / 1000;
      const reference = await snapshot(site.db);
      // Start the new evaluation from the same empty membership.
      await site.db.query('DELETE FROM collection_members');
      await site.db.query('UPDATE collections SET member_count = 0, evaluated_at = NULL');
      baseline = { seconds: baseline, reference };
    }
    const p1 = phases('full evaluation');
    const t0 = performance.now();
    const results = await site.db.transaction((tx) => evaluateAllCollections(tx, { onPhase: p1.onPhase }));
    const full = (performance.now() - t0) / 1000;
    const members = results.reduce((n, r) => n + r.memberCount, 0);
    // The same again, nothing changed: reads everything, writes nothing.
    const t2 = performance.now();
    await site.db.transaction((tx) => evaluateAllCollections(tx));
    const unchanged = (performance.now() - t2) / 1000;
    // One query collection and its dependents: what an admin waits for after a rule change.
    const p2 = phases('one and its dependents');
    const t1 = performance.now();
    const again = await site.db.transaction((tx) => evaluateWithDependents(tx, [ids[Math.min(25, ids.length - 1)]], { onPhase: p2.onPhase }));
    const one = (performance.now() - t1) / 1000;
    console.log(
      `${label}: populate ${populateSeconds.toFixed(1)} s; full evaluation of ${results.length} collections ${full.toFixed(1)} s (${members.toLocaleString('en-US')} memberships), again unchanged ${unchanged.toFixed(1)} s; re-evaluating one query collection and its ${again.length - 1} dependents ${one.toFixed(2)} s`,
    );
    p1.print();
    p2.print();
    if (baseline) {
      const same = (await snapshot(site.db)) === baseline.reference;
      console.log(
        `  baseline (one statement per collection) ${baseline.seconds.toFixed(1)} s: ${(baseline.seconds / full).toFixed(1)}× slower; same membership: ${same}`,
      );
      if (!same) process.exitCode = 1;
    }
    if (CHECK) {
      const before = await snapshot(site.db);
      const t3 = performance.now();
      await site.db.transaction((tx) => evaluateAllCollections(tx, { queries: 'sql' }));
      const same = (await snapshot(site.db)) === before;
      console.log(`  check: every query rule in SQL ${((performance.now() - t3) / 1000).toFixed(1)} s; same membership: ${same}`);
      if (!same) process.exitCode = 1;
    }
    return { full, one, baseline: baseline?.seconds };
  } finally {
    await site.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const pglite = await run('PGlite', await openPglite(undefined));
let postgres;
const pg = startThrowawayPostgres();
if (pg) {
  try {
    const admin = await openPostgres(pg.url);
    await admin.query('CREATE DATABASE bench');
    await admin.close();
    postgres = await run('PostgreSQL', await openPostgres(pg.url.replace(/\/postgres$/, '/bench')));
  } finally {
    pg.stop();
  }
} else {
  console.log('PostgreSQL: skipped (not installed: apt-get install postgresql)');
}
const n = (x) => x.toLocaleString('en-US');
const figure = (r) => `${r.full.toFixed(1)} s${r.baseline !== undefined ? ` (was ${r.baseline.toFixed(1)} s)` : ''}`;
console.log(
  `membership ${n(DEVICES)} devices × ${n(COLLECTIONS)} collections: PGlite ${figure(pglite)}` +
    (postgres ? `, PostgreSQL ${figure(postgres)} (ratio ${(postgres.full / pglite.full).toFixed(2)})` : '') +
    `; one collection and its dependents: PGlite ${pglite.one.toFixed(2)} s` +
    (postgres ? `, PostgreSQL ${postgres.one.toFixed(2)} s` : ''),
);
