#!/usr/bin/env node
// Fleet benchmark (issue 12, "Performance"): `osd bench fleet` — simulated computers against real
// `osd server` processes — on PGlite with one server, and on a throw-away PostgreSQL cluster with one
// and with two servers (a fresh database each time, made with CREATE DATABASE on the cluster).
//   npx tsc -p tsconfig.build.json && node bench/fleet.bench.mjs [--devices 5000] [--repeat 5]
//     [--steps 8] [--concurrency 100] [--batch 1] [--rate 2000] [--only pglite|pg1|pg2]
// Per configuration and repeat, one fleet: every computer registers, asks for policy, the sequence and
// content (each a phase, --concurrency computers at a time), then runs the deployment as fast as the
// site answers (the run phase: status messages/s sustained, the site's capacity; --batch 1 sends each
// message alone, as the real agent does while its steps outlast a round trip), then once more with
// the messages written at --rate per second by the whole fleet, every computer at work at once, and
// sent as the agent's outbox sends them — alone while the site keeps up, those written meanwhile
// together when it does not (src/agent/outbox.ts) — (the paced phase: the latency at that load; the
// goal is 2,000 messages/s with p99 under 100 ms on PostgreSQL), then uploads its smsts.log.
// The configurations alternate (their order reversed every other repeat: the machine's load drifts);
// each figure is printed per repeat with the load average, then min/median/max over the repeats, and
// the ratio PostgreSQL×2 / PostgreSQL×1 of the same repeat (does a second server add throughput?).
// The cpu% columns say who used the two cores during the run phase: the servers, this cluster's
// PostgreSQL processes, the load generator (this process: the fleet runs here) and everything else on
// the machine (other work skews every figure: look at it before comparing runs).
// Method (bench/lib-ab.mjs, issue 16): the repeats are the pairs, at least five by default (--repeat N,
// else OSD_BENCH_PAIRS); the comparison is PostgreSQL×2 against PostgreSQL×1 (baseline: one
// `osd server` on the same cluster) on the run phase's status messages/s, min / median / max of the
// ratio; each configuration's figures (the medians over the repeats) are kept for bench/compare.mjs.
// Results: .tmp/bench/fleet.json (openosd.bench/v1; every run's report under "fleet"), progress in
// .tmp/bench/fleet.partial.json while it runs. PostgreSQL is skipped (with a note) where initdb is missing.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFleet } from '../dist/fleet/fleet.js';
import { openPostgres } from '../dist/site/db/postgres.js';
import { startThrowawayPostgres } from './throwaway-postgres.mjs';
import { benchRun, pairCount, spread as spreadOf, summarizePairs } from './lib-ab.mjs';

const option = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const arg = (name, dflt) => (option(name) === undefined ? dflt : Number(option(name)));
const DEVICES = arg('devices', 5000);
const REPEAT = option('repeat') === undefined ? pairCount() : pairCount(arg('repeat'));
const STEPS = arg('steps', 8);
const CONCURRENCY = arg('concurrency', 100);
const BATCH = arg('batch', 1);
const RATE = arg('rate', 2000);
const ONLY = option('only');
const OSD = fileURLToPath(new URL('../bin/osd.js', import.meta.url));
const OUT = fileURLToPath(new URL('../.tmp/bench/fleet.partial.json', import.meta.url));
const bench = benchRun('fleet');

// ---------------------------------------------------------------------------------------------
// CPU from /proc (Linux), in % of one core (as bench/api.bench.mjs counts it).
const TICK = 100; // USER_HZ
function statFields(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
const ticks = (f, children = false) => (f ? Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0) : 0);
function postgresTicks(postmasterPid) {
  if (!postmasterPid) return 0;
  let n = ticks(statFields(postmasterPid), true);
  for (const p of readdirSync('/proc')) if (/^\d+$/.test(p) && statFields(p)?.[1] === String(postmasterPid)) n += ticks(statFields(p));
  return n;
}
function machineBusyTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return f.slice(0, 8).reduce((a, b) => a + b, 0) - f[3] - f[4];
}
function findPostmaster(url) {
  const port = new URL(url).port;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (argv[0].endsWith('/postgres') && argv.join(' ').includes(`-p ${port}`)) return Number(p);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}
function cpuSampler(serverPids, postmasterPid) {
  const own = process.cpuUsage();
  const srv = serverPids.reduce((n, p) => n + ticks(statFields(p)), 0);
  const pg = postgresTicks(postmasterPid);
  const busy = machineBusyTicks();
  const t = performance.now();
  return () => {
    const s = (performance.now() - t) / 1000;
    const u = process.cpuUsage(own);
    const servers = ((serverPids.reduce((n, p) => n + ticks(statFields(p)), 0) - srv) / TICK / s) * 100;
    const postgres = ((postgresTicks(postmasterPid) - pg) / TICK / s) * 100;
    const generator = ((u.user + u.system) / 1e6 / s) * 100;
    const all = ((machineBusyTicks() - busy) / TICK / s) * 100;
    return { servers, postgres, generator, other: Math.max(0, all - servers - postgres - generator) };
  };
}
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

// ---------------------------------------------------------------------------------------------
let pg;
const cleanUp = () => {
  try {
    pg?.stop();
  } catch (e) {
    process.stderr.write(`clean-up: ${e.message}\n`);
  }
  pg = undefined;
};
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => (cleanUp(), process.exit(130)));

let databases = 0;
async function freshDatabase() {
  const name = `fleet_bench_${++databases}`;
  const admin = await openPostgres(pg.url);
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  return pg.url.replace(/\/postgres$/, `/${name}`);
}

async function runConfiguration(config) {
  const database = config.db === 'postgresql' ? await freshDatabase() : undefined;
  const postmaster = database ? findPostmaster(pg.url) : undefined;
  const cpu = {};
  let sample;
  const loadBefore = loadavg();
  const r = await runFleet({
    osd: OSD,
    devices: DEVICES,
    servers: config.servers,
    database,
    concurrency: CONCURRENCY,
    steps: STEPS,
    logBytes: 65536,
    batch: BATCH,
    ...(RATE ? { rate: RATE } : {}),
    onProgress: (line) => process.stderr.write(`  ${config.name}: ${line}\n`),
    onPhase: (phase, event, pids) => {
      if (event === 'start') sample = cpuSampler(pids, postmaster);
      else cpu[phase] = sample();
    },
  });
  return { config: config.name, loadBefore, loadAfter: loadavg(), cpu, report: r };
}

const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : '—');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const spread = (xs, d = 0) => (xs.length ? `${fmt(Math.min(...xs), d)} / ${fmt(median(xs), d)} / ${fmt(Math.max(...xs), d)}` : '—');
const cpuText = (c) => (c ? `${fmt(c.servers)}/${fmt(c.postgres)}/${fmt(c.generator)}/${fmt(c.other)}` : '—');

function printRun(x) {
  const r = x.report;
  const q = r.requests;
  const lat = (k) => (q[k] ? `${fmt(q[k].p50, 1)}/${fmt(q[k].p99, 1)}` : '—');
  console.log(
    `  ${x.config.padEnd(13)} load ${x.loadBefore} → ${x.loadAfter}: status ${fmt(r.statusMessagesPerSecond).padStart(6)} msgs/s (p50/p99 ${lat('status')} ms), ` +
      `paced ${fmt(r.pacedStatusMessagesPerSecond ?? NaN)} of ${fmt(RATE)} msgs/s, ${fmt(r.pacedMessagesPerRequest ?? NaN, 2)} a request (p50/p99 ${lat('status-paced')} ms), policy ${fmt(r.policyRequestsPerSecond)} req/s ` +
      `(p50/p99 ${lat('policy')} ms), register ${fmt(r.phases.register.requestsPerSecond)} req/s; peak memory ${r.serverPeakMemoryBytes.map((b) => `${fmt(b / 1048576)} MiB`).join(', ')}; ` +
      `cpu% srv/pg/gen/other run ${cpuText(x.cpu.run)} paced ${cpuText(x.cpu.paced)}${r.agentsFailed ? `; ${r.agentsFailed} computers FAILED: ${r.firstFailure}` : ''}`,
  );
}

try {
  const configs = [
    { name: 'PGlite×1', key: 'pglite', db: 'pglite', servers: 1 },
    { name: 'PostgreSQL×1', key: 'pg1', db: 'postgresql', servers: 1 },
    { name: 'PostgreSQL×2', key: 'pg2', db: 'postgresql', servers: 2 },
  ].filter((c) => !ONLY || ONLY.split(',').includes(c.key));
  if (configs.some((c) => c.db === 'postgresql')) {
    pg = startThrowawayPostgres();
    if (!pg) {
      console.log('PostgreSQL: skipped (not installed: apt-get install postgresql)');
      configs.splice(0, configs.length, ...configs.filter((c) => c.db !== 'postgresql'));
    }
  }
  console.log(
    `Fleet benchmark: ${fmt(DEVICES)} computers, ${STEPS} steps (${2 * STEPS + 4} status messages a run), ${BATCH} message(s) per request, ` +
      `${CONCURRENCY} at a time, then ${fmt(RATE)} msgs/s offered; ${REPEAT} repeat(s); node ${process.version}; load average ${loadavg()}`,
  );
  const runs = [];
  for (let rep = 0; rep < REPEAT; rep++) {
    console.log(`repeat ${rep + 1}:`);
    const order = rep % 2 ? [...configs].reverse() : configs;
    for (const c of order) {
      const x = await runConfiguration(c);
      x.repeat = rep;
      runs.push(x);
      printRun(x);
      mkdirSync(join(OUT, '..'), { recursive: true });
      writeFileSync(OUT, `${JSON.stringify({ devices: DEVICES, steps: STEPS, batch: BATCH, concurrency: CONCURRENCY, rate: RATE, runs }, null, 1)}\n`);
    }
  }
  console.log('\nSummary (min / median / max over the repeats)');
  for (const c of configs) {
    const mine = runs.filter((x) => x.config === c.name).map((x) => x.report);
    console.log(
      `  ${c.name.padEnd(13)} status ${spread(mine.map((r) => r.statusMessagesPerSecond))} msgs/s, p99 ${spread(
        mine.map((r) => r.requests.status?.p99),
        1,
      )} ms; paced ${spread(mine.map((r) => r.pacedStatusMessagesPerSecond ?? NaN))} msgs/s, p50 ${spread(
        mine.map((r) => r.requests['status-paced']?.p50 ?? NaN),
        1,
      )} ms, p99 ${spread(
        mine.map((r) => r.requests['status-paced']?.p99 ?? NaN),
        1,
      )} ms; policy ${spread(mine.map((r) => r.policyRequestsPerSecond))} req/s; peak memory per server ${spread(
        mine.flatMap((r) => r.serverPeakMemoryBytes.map((b) => b / 1048576)),
      )} MiB`,
    );
  }
  const ratios = [];
  for (let rep = 0; rep < REPEAT; rep++) {
    const one = runs.find((x) => x.repeat === rep && x.config === 'PostgreSQL×1');
    const two = runs.find((x) => x.repeat === rep && x.config === 'PostgreSQL×2');
    if (one && two) ratios.push(two.report.statusMessagesPerSecond / one.report.statusMessagesPerSecond);
  }
  if (ratios.length) console.log(`  PostgreSQL×2 / PostgreSQL×1 status msgs/s (run phase): ${spread(ratios, 2)} (min / median / max)`);
  const rows = [];
  for (let rep = 0; rep < REPEAT; rep++) {
    const one = runs.find((x) => x.repeat === rep && x.config === 'PostgreSQL×1');
    const two = runs.find((x) => x.repeat === rep && x.config === 'PostgreSQL×2');
    if (one && two) rows.push({ baseline: one.report.statusMessagesPerSecond, ours: two.report.statusMessagesPerSecond });
  }
  if (rows.length)
    bench.add(
      summarizePairs({
        name: 'status msgs/s, run phase: a second server',
        baseline: { label: 'osd server ×1 on PostgreSQL' },
        ours: { label: 'osd server ×2 on PostgreSQL' },
        unit: 'msgs/s',
        better: 'higher',
        rows,
      }),
    );
  const med = (xs) => spreadOf(xs).median;
  for (const c of configs) {
    const mine = runs.filter((x) => x.config === c.name).map((x) => x.report);
    bench.figure(`${c.name}: status msgs/s, run phase (median)`, med(mine.map((r) => r.statusMessagesPerSecond)), 'msgs/s', 'higher');
    bench.figure(`${c.name}: paced status msgs/s (median; ${RATE} offered)`, med(mine.map((r) => r.pacedStatusMessagesPerSecond ?? NaN)), 'msgs/s', 'higher');
    bench.figure(`${c.name}: paced p99 ms (median; goal < 100 on PostgreSQL)`, med(mine.map((r) => r.requests['status-paced']?.p99 ?? NaN)), 'ms', 'lower');
    bench.figure(`${c.name}: policy req/s (median)`, med(mine.map((r) => r.policyRequestsPerSecond)), 'req/s', 'higher');
    bench.figure(`${c.name}: peak memory per server MiB (median)`, med(mine.flatMap((r) => r.serverPeakMemoryBytes.map((b) => b / 1048576))), 'MiB', 'lower');
  }
  bench.finish({ fleet: { devices: DEVICES, steps: STEPS, batch: BATCH, concurrency: CONCURRENCY, rate: RATE, runs, ratios } });
  rmSync(OUT, { force: true });
} finally {
  cleanUp();
}
