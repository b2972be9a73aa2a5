#!/usr/bin/env node
// Admin API benchmark (issue 16 items 1 and 3), on the shared method (bench/lib-ab.mjs): for every
// scenario, A B pairs of bare Fastify (the baseline: the same Fastify version, one unauthenticated
// route GET /ping → {}, no database) and the real site server (Fastify + authentication + the site
// services) with 100,000 devices and 1,000 collections, on PGlite and on a throw-away PostgreSQL
// cluster. Each run is a closed-loop load for --seconds after a --warmup; its value is the
// throughput (2xx answers per second), so the ratio is ours / bare, higher is better. Goals (issue 16
// item 3): a trivial authenticated request (GET /site) ≥ 0.6× bare on PostgreSQL and ≥ 0.4× on
// PGlite; a device read (GET /devices/:id) ≥ 0.3× and ≥ 0.15×. Latency (p50, p99), errors and the
// CPU split of every run are printed and kept in .tmp/bench/api.json.
//   npx tsc -p tsconfig.build.json && node bench/api.bench.mjs [--seconds 2] [--warmup 0.5] [--prime 0.5]
//     [--concurrency 16] [--devices 100000] [--collections 1000] [--only TEXT] [--db pglite|postgres]
//   OSD_BENCH_PAIRS=N: pairs per scenario (default 5).
// Both servers run in child processes (bench/lib-api-server-child.mjs, bench/lib-api-bare-child.mjs),
// started once per database and kept for every pair, so the load generator here does not share
// their event loop; the load is N keep-alive connections, each a worker sending its next request
// when the previous one answered. Only 2xx count as successes; every other status (and every
// connection error) is an error. The data is bulk-loaded with SQL (it is the API being measured,
// not the loading). PostgreSQL is skipped (with a note) where /usr/lib/postgresql/*/bin/initdb is
// missing. On a 2-core machine the load generator, the server and the PostgreSQL backends share the
// cores: the cpu% column says who used them (server child / this cluster's PostgreSQL processes /
// the load generator / everything else on the machine: other work running at the same time skews
// every figure, so look at it before comparing runs).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgres } from '../dist/site/db/postgres.js';
import { openSite } from '../dist/site/site.js';
import { collectionId, FIRST_RESOURCE, populate } from './lib-api-populate.mjs';
import { startThrowawayPostgres } from './throwaway-postgres.mjs';
import { benchRun, comparePairs, pairCount } from './lib-ab.mjs';

const option = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const arg = (name, dflt) => (option(name) === undefined ? dflt : Number(option(name)));
/** --only TEXT: just the scenarios whose name contains TEXT; --db pglite|postgres: just that database. */
const ONLY = option('only');
const DB = option('db')?.toLowerCase();
const SECONDS = arg('seconds', 2);
const WARMUP = arg('warmup', 0.5);
const PRIME = arg('prime', 0.5);
const CONCURRENCY = arg('concurrency', 16);
const DEVICES = arg('devices', 100_000);
const COLLECTIONS = arg('collections', 1_000);
const MEMBERS_PER_COLLECTION = 20;
const bench = new URL('.', import.meta.url).pathname;

// ---------------------------------------------------------------------------------------------
// Clean-up: children, the cluster and temp dirs go on every exit path, also on Ctrl+C.
const cleanups = [];
async function cleanUp() {
  while (cleanups.length) {
    try {
      await cleanups.pop()();
    } catch (e) {
      process.stderr.write(`clean-up: ${e.message}\n`);
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
}
// Output piped into `head` (EPIPE) or an unexpected failure: clean up before leaving.
process.stdout.on('error', () => void cleanUp().finally(() => process.exit(1)));
process.once('uncaughtException', (e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  void cleanUp().finally(() => process.exit(1));
});

function tempDir(label) {
  const dir = mkdtempSync(join(tmpdir(), `openosd-api-bench-${label}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts a child that prints one JSON line when ready; stopped (SIGTERM, then SIGKILL) at clean-up. */
async function startChild(script, args, timeoutMs = 180_000) {
  const child = spawn(process.execPath, [join(bench, script), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.length > 64_000) stderr = stderr.slice(-32_000);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  cleanups.push(stop);
  const facts = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${script} did not start in ${timeoutMs / 1000} s: ${stderr}`)), timeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(out.slice(0, nl)));
        } catch (e) {
          reject(new Error(`${script} printed ${out.slice(0, nl)}: ${e.message}`));
        }
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code ?? signal}) before it was ready: ${stderr}`));
    });
  });
  return { ...facts, pid: child.pid, stop, stderr: () => stderr };
}

// ---------------------------------------------------------------------------------------------
// CPU accounting from /proc (Linux), in % of one core: the server child, this cluster's PostgreSQL
// processes (the postmaster, its live children, and what its exited children used), this process
// (the load generator), and everything else on the machine (other users' work skews the figures).
const TICK = 100; // USER_HZ
function statFields(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' '); // [0] = state, [1] = ppid, [11..14] = utime stime cutime cstime
  } catch {
    return undefined;
  }
}
const ticks = (f, children = false) => (f ? Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0) : 0);
function postgresTicks(postmasterPid) {
  if (!postmasterPid) return 0;
  let n = ticks(statFields(postmasterPid), true);
  for (const p of readdirSync('/proc')) {
    if (/^\d+$/.test(p) && statFields(p)?.[1] === String(postmasterPid)) n += ticks(statFields(p));
  }
  return n;
}
function machineBusyTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return f.slice(0, 8).reduce((a, b) => a + b, 0) - f[3] - f[4]; // all but idle and iowait (guest time is in user)
}
/** The postmaster of the cluster listening on the URL's port, found by its command line. */
function findPostmaster(url) {
  const port = new URL(url).port;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (argv[0].endsWith('/postgres') && argv.includes('-D') && argv.join(' ').includes(`-p ${port}`)) return Number(p);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}
function cpuSampler(serverPid, postmasterPid) {
  const own = process.cpuUsage();
  const srv = ticks(statFields(serverPid));
  const pg = postgresTicks(postmasterPid);
  const busy = machineBusyTicks();
  const t = performance.now();
  return () => {
    const s = (performance.now() - t) / 1000;
    const u = process.cpuUsage(own);
    const server = ((ticks(statFields(serverPid)) - srv) / TICK / s) * 100;
    const postgres = ((postgresTicks(postmasterPid) - pg) / TICK / s) * 100;
    const generator = ((u.user + u.system) / 1e6 / s) * 100;
    const all = ((machineBusyTicks() - busy) / TICK / s) * 100;
    return { server, postgres, generator, other: Math.max(0, all - server - postgres - generator) };
  };
}

// ---------------------------------------------------------------------------------------------
// Load generator: CONCURRENCY workers on keep-alive connections, closed loop.
function send(agent, base, headers, req) {
  return new Promise((resolve) => {
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const r = http.request(
      `${base}${req.path}`,
      {
        method: req.method,
        agent,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
        res.on('error', (e) => resolve({ status: 0, body: Buffer.from(e.message) }));
      },
    );
    r.on('error', (e) => resolve({ status: 0, body: Buffer.from(e.message) }));
    r.end(body);
  });
}

/**
 * CONCURRENCY keep-alive connections to the server, all opened (and used once) before anything is
 * timed, and kept for every scenario. A fresh connection to a saturated Node server waits: while the
 * event loop is busy, new connections are taken one at a time between rounds of work for the open
 * ones (seen here: up to 6.5 s on PGlite's slowest endpoint), which would be timed as latency.
 */
async function connect(server, token, path) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  server.agent = agent;
  server.headers = token ? { authorization: `Bearer ${token}` } : {};
  cleanups.push(() => agent.destroy());
  let sockets = 0;
  const create = agent.createConnection.bind(agent);
  agent.createConnection = (...a) => (sockets++, create(...a));
  server.socketsOpened = () => sockets;
  await Promise.all(Array.from({ length: CONCURRENCY }, () => send(agent, server.url, server.headers, { method: 'GET', path })));
  if (sockets !== CONCURRENCY) throw new Error(`opened ${sockets} connections, not ${CONCURRENCY}`);
}

async function measure(server, scenario, { seconds = SECONDS, warmup = WARMUP } = {}) {
  const { agent, headers } = server;
  const socketsBefore = server.socketsOpened();
  // One request first: a scenario that does not work at all is reported, not timed.
  const probe = await send(agent, server.url, headers, scenario.next(0));
  let probeError;
  if (probe.status < 200 || probe.status >= 300) probeError = `${probe.status} ${probe.body.toString('utf8').slice(0, 300)}`;
  const t0 = performance.now();
  const measureFrom = t0 + warmup * 1000;
  const endAt = measureFrom + seconds * 1000;
  let latencies = new Float64Array(1 << 16);
  let n = 0;
  const errors = new Map();
  let firstError = probeError;
  let cpu;
  let cpuDone;
  const warm = setTimeout(() => (cpu = cpuSampler(server.pid, server.postmasterPid)), warmup * 1000);
  const worker = async (w) => {
    for (let i = 0; performance.now() < endAt; i++) {
      const start = performance.now();
      const res = await send(agent, server.url, headers, scenario.next(w));
      const end = performance.now();
      if (end < measureFrom || end > endAt) continue;
      if (res.status >= 200 && res.status < 300) {
        if (n === latencies.length) {
          const grown = new Float64Array(n * 2);
          grown.set(latencies);
          latencies = grown;
        }
        latencies[n++] = end - start;
      } else {
        errors.set(res.status, (errors.get(res.status) ?? 0) + 1);
        firstError ??= `${res.status} ${res.body.toString('utf8').slice(0, 300)}`;
      }
    }
  };
  const done = setTimeout(() => (cpuDone = cpu?.()), endAt - t0);
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  clearTimeout(warm);
  clearTimeout(done);
  cpuDone ??= cpu?.();
  const sorted = latencies.subarray(0, n).sort();
  const pct = (p) => (n ? sorted[Math.min(n - 1, Math.ceil((p / 100) * n) - 1)] : NaN);
  const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
  return {
    rps: n / seconds,
    p50: pct(50),
    p99: pct(99),
    ok: n,
    errors: errorCount,
    errorsByStatus: Object.fromEntries(errors),
    firstError: errorCount || probeError ? firstError : undefined,
    cpu: cpuDone,
    newConnections: server.socketsOpened() - socketsBefore,
  };
}

// ---------------------------------------------------------------------------------------------
// Scenarios: each `next(worker)` gives the worker's next request.
const rand = (n) => Math.floor(Math.random() * n);
const randomDevice = () => FIRST_RESOURCE + 1 + rand(DEVICES);
const randomCollection = () => collectionId(rand(COLLECTIONS));
let imported = 0;
const mac = (n) =>
  `06:00:${n
    .toString(16)
    .toUpperCase()
    .padStart(8, '0')
    .replace(/(..)(?!$)/g, '$1:')}`;
let variable = 0;

/** The goals of issue 16 item 3 on the median ratio ours / bare Fastify, by database. */
const SCENARIOS = [
  {
    name: 'GET /site (auth + trivial handler)',
    goal: { PGlite: 0.4, PostgreSQL: 0.6 },
    next: () => ({ method: 'GET', path: '/api/v1/site' }),
  },
  { name: 'GET /devices/:id', goal: { PGlite: 0.15, PostgreSQL: 0.3 }, next: () => ({ method: 'GET', path: `/api/v1/devices/${randomDevice()}` }) },
  { name: 'GET /devices?limit=50&offset=rnd', next: () => ({ method: 'GET', path: `/api/v1/devices?limit=50&offset=${rand(DEVICES - 50)}` }) },
  {
    // The same page as above, reached by the cursor of the device before it (keyset paging).
    name: 'GET /devices?limit=50&cursor=rnd',
    next: () => {
      const i = 1 + rand(DEVICES - 50);
      const cursor = Buffer.from(JSON.stringify([`pc-${String(i).padStart(6, '0')}`, FIRST_RESOURCE + i])).toString('base64url');
      return { method: 'GET', path: `/api/v1/devices?limit=50&cursor=${cursor}` };
    },
  },
  { name: 'GET /collections (all of them)', next: () => ({ method: 'GET', path: '/api/v1/collections' }) },
  { name: 'GET /collections/:id/members?limit=100', next: () => ({ method: 'GET', path: `/api/v1/collections/${randomCollection()}/members?limit=100` }) },
  {
    name: 'POST /devices (import a computer)',
    write: true,
    next: () => {
      const n = ++imported;
      return { method: 'POST', path: '/api/v1/devices', body: { name: `BN-${n.toString(36).toUpperCase().padStart(7, '0')}`, mac: mac(n) } };
    },
  },
  {
    name: 'PUT /devices/:id/variables/:name',
    write: true,
    next: () => ({ method: 'PUT', path: `/api/v1/devices/${randomDevice()}/variables/BenchVar`, body: { value: `v${++variable}` } }),
  },
].filter((s) => !ONLY || s.name.includes(ONLY));

// ---------------------------------------------------------------------------------------------
const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : '—');
const cpuText = (c) => (c ? `${fmt(c.server)}/${fmt(c.postgres)}/${fmt(c.generator)}/${fmt(c.other)}` : '—');
const runText = (r) => `${fmt(r.value)} req/s  p50 ${fmt(r.p50, 2)} ms  p99 ${fmt(r.p99, 2)} ms  errors ${r.errors}  cpu% srv/pg/gen/other ${cpuText(r.cpu)}`;
/** A run as comparePairs takes it: the throughput as the value, the rest kept as details. */
const asRun = (r) => ({
  value: r.rps,
  p50: r.p50,
  p99: r.p99,
  ok: r.ok,
  errors: r.errors,
  errorsByStatus: r.errorsByStatus,
  firstError: r.firstError,
  cpu: r.cpu,
});

const results = benchRun('api');
const allRuns = [];

async function runDatabase(label, databaseUrl) {
  const dataDir = tempDir(label.toLowerCase());
  imported = 0;
  let t = performance.now();
  const site = await openSite({ dataDir, databaseUrl });
  try {
    await populate(site.db, { devices: DEVICES, collections: COLLECTIONS, membersPerCollection: MEMBERS_PER_COLLECTION });
  } finally {
    await site.close();
  }
  const loadS = (performance.now() - t) / 1000;
  t = performance.now();
  const server = await startChild('lib-api-server-child.mjs', databaseUrl ? [dataDir, databaseUrl] : [dataDir]);
  if (databaseUrl) server.postmasterPid = findPostmaster(databaseUrl);
  const token = readFileSync(server.adminTokenFile ?? join(dataDir, 'admin.token'), 'utf8').trim();
  const bare = await startChild('lib-api-bare-child.mjs', []);
  console.log(
    `${label}: created the site and loaded ${fmt(DEVICES)} devices, ${fmt(COLLECTIONS)} collections in ${loadS.toFixed(1)} s; servers up in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  results.figure(`${label}: load ${DEVICES} devices, ${COLLECTIONS} collections`, loadS, 's', 'lower');
  const ping = { next: () => ({ method: 'GET', path: '/ping' }) };
  const baseline = {
    label: 'bare Fastify GET /ping',
    run: async () => {
      const r = await measure(bare, ping);
      allRuns.push(r);
      return asRun(r);
    },
  };
  try {
    // A fresh process is slow for its first seconds (JIT, the database's caches): every scenario runs
    // briefly, untimed, before any is measured.
    await connect(server, token, '/api/v1/site');
    await connect(bare, undefined, '/ping');
    await measure(bare, ping, { seconds: PRIME, warmup: 0 });
    for (const s of SCENARIOS) await measure(server, s, { seconds: PRIME, warmup: 0 });
    for (const s of SCENARIOS) {
      const goal = s.goal?.[label];
      const result = await comparePairs({
        name: `${label}: ${s.name}`,
        baseline,
        ours: {
          label: 'ours',
          run: async () => {
            const r = await measure(server, s);
            allRuns.push(r);
            return asRun(r);
          },
        },
        unit: 'req/s',
        better: 'higher',
        ...(goal ? { goal: { op: '>=', value: goal } } : {}),
        log: (line) => console.log(line),
      });
      results.add(result);
      const last = result.pairs.at(-1);
      console.log(`    last pair: bare ${runText(last.baseline)}`);
      console.log(`               ours ${runText(last.ours)}`);
      const errors = result.pairs.reduce((n, p) => n + p.ours.errors + p.baseline.errors, 0);
      if (errors) {
        const first = result.pairs.map((p) => p.ours.firstError ?? p.baseline.firstError).find(Boolean);
        console.log(`    ${errors} error(s) in the runs (only 2xx count); first: ${first}`);
      }
      for (const sv of [server, bare]) {
        const reopened = sv.socketsOpened() - CONCURRENCY;
        if (reopened > 0)
          console.log(
            `    note: ${reopened} connection(s) to ${sv === bare ? 'bare Fastify' : 'the site server'} were reopened so far (the server closed some)`,
          );
      }
    }
    // The state the writes left, as a check that they did what they say.
    const check = await send(server.agent, server.url, server.headers, { method: 'GET', path: '/api/v1/collections/SMS00001' });
    if (check.status === 200) {
      const members = JSON.parse(check.body).memberCount;
      console.log(
        `${label}: All Systems has ${fmt(members)} members after the run: ${fmt(DEVICES)} loaded + ${fmt(members - DEVICES)} imported (${fmt(imported)} import requests sent)`,
      );
    }
    const internal = server
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('osd server: internal error'));
    if (internal.length) console.log(`  server log: ${internal.length} internal error(s), first: ${internal[0].slice(0, 300)}`);
  } finally {
    await server.stop();
    await bare.stop();
  }
}

try {
  console.log(
    `Admin API benchmark: ${fmt(DEVICES)} devices, ${fmt(COLLECTIONS)} collections (${MEMBERS_PER_COLLECTION} direct members each); ${CONCURRENCY} keep-alive connections, ` +
      `${WARMUP} s warm-up + ${SECONDS} s per run, ${pairCount()} pairs (bare Fastify, ours) per scenario; node ${process.version}, servers in child processes`,
  );
  if (DB !== 'postgres') await runDatabase('PGlite');
  const pg = DB === 'pglite' ? undefined : startThrowawayPostgres();
  if (pg) {
    cleanups.push(() => pg.stop());
    const admin = await openPostgres(pg.url);
    await admin.query('CREATE DATABASE api_bench');
    await admin.close();
    await runDatabase('PostgreSQL', pg.url.replace(/\/postgres$/, '/api_bench'));
  } else if (DB !== 'pglite') {
    console.log('PostgreSQL: skipped (not installed: apt-get install postgresql)');
  }
  const others = allRuns.map((r) => r.cpu?.other).filter(Number.isFinite);
  const otherMean = others.reduce((a, b) => a + b, 0) / (others.length || 1);
  if (otherMean > 15) {
    console.log(
      `note: other processes on this machine used ${fmt(otherMean)} % of a core on average while this ran (${os.cpus().length} cores): every figure is lower than on an idle machine`,
    );
  }
  results.finish({ options: { seconds: SECONDS, warmup: WARMUP, concurrency: CONCURRENCY, devices: DEVICES, collections: COLLECTIONS } });
} finally {
  await cleanUp();
}
