#!/usr/bin/env node
// Web console first load (issue 15, performance): bytes transferred and time to interactive in
// headless Chromium, against a real `osd server` serving the built console (dist/console).
//   npx tsc -p tsconfig.build.json && npx vite build console && node bench/console-load.bench.mjs [--runs 7]
//
// Each run is a FIRST load: a new browser profile (empty HTTP cache), then
//   1. sign-in page: from navigation start to the API token field being visible and enabled
//      (the app's scripts loaded, parsed and rendered; the page answers input);
//   2. first page after sign-in: from the Sign in click to the Task Sequences list drawn (its grid
//      visible and its rows loaded: the node's chunk fetched, GET /site, /me, /task-sequences answered).
// Bytes are what went over the wire (Chromium's encodedDataLength per response through the DevTools
// protocol: headers + the compressed body), split into the console's files and the API's answers.
// The browser starts before the timed span (its start-up is not the console's). Figures: min /
// median / max over the runs. The machine's other load skews them: note it beside any figure.
// OSD_CHROMIUM overrides the chromium binary (default /usr/lib/chromium/chromium).
// Method (bench/lib-ab.mjs, issue 16): each run is a pair, the browser's floor first
// (bench/lib-browser-floor.mjs: a bare page with one input field, same browser, new profile), then the
// console's first load; runs default to OSD_BENCH_PAIRS (≥ 5) unless --runs says. The comparison is
// the sign-in page's time to interactive against the floor; the other figures are medians over the
// runs. Results: .tmp/bench/console-load.json.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { benchRun, pairCount, summarizePairs } from './lib-ab.mjs';
import { FLOOR_LABEL, floorRun, startFloorServer } from './lib-browser-floor.mjs';

const option = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RUNS = option('runs') === undefined ? pairCount() : pairCount(Number(option('runs')));
const CHROMIUM = process.env.OSD_CHROMIUM ?? '/usr/lib/chromium/chromium';

if (!existsSync(resolve('dist/console/index.html'))) {
  console.error('the console is not built (dist/console/index.html is missing): run `npx vite build console` (or make build) first');
  process.exit(2);
}
if (!existsSync(CHROMIUM)) {
  console.error(`chromium is not installed (${CHROMIUM}): apt-get install chromium, or set OSD_CHROMIUM`);
  process.exit(2);
}

function startServer(dataDir) {
  const proc = spawn(process.execPath, [resolve('bin/osd.js'), 'server', '--data', dataDir, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  return new Promise((resolveStarted, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      try {
        const { url } = JSON.parse(out.slice(0, nl));
        resolveStarted({ proc, url, token: readFileSync(join(dataDir, 'admin.token'), 'utf8').trim() });
      } catch {
        // not the start-up line
      }
    });
    proc.on('exit', (code) => reject(new Error(`osd server exited with ${code}: ${err}`)));
  });
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { min: s[0], median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, max: s[s.length - 1] };
};
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const ms = (n) => `${n.toFixed(0)} ms`;

async function oneRun(server) {
  const profile = mkdtempSync(join(tmpdir(), 'openosd-console-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 860 },
    args: ['--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
    const urls = new Map();
    let bytes = { files: 0, api: 0, requests: 0 };
    cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
    cdp.on('Network.loadingFinished', (e) => {
      const url = urls.get(e.requestId) ?? '';
      bytes.requests += 1;
      if (new URL(url, server.url).pathname.startsWith('/api/')) bytes.api += e.encodedDataLength;
      else bytes.files += e.encodedDataLength;
    });

    const t0 = performance.now();
    await page.goto(`${server.url}/`, { waitUntil: 'commit' });
    const tokenField = page.getByLabel('API token');
    await tokenField.waitFor({ state: 'visible' });
    if (!(await tokenField.isEnabled())) throw new Error('the sign-in page drew the API token field disabled');
    const signInMs = performance.now() - t0;
    const nav = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0];
      return n ? { domContentLoaded: n.domContentLoadedEventEnd, load: n.loadEventEnd } : undefined;
    });
    const signInBytes = { ...bytes };

    bytes = { files: 0, api: 0, requests: 0 };
    await tokenField.fill(server.token);
    const t1 = performance.now();
    await page.getByRole('button', { name: 'Sign in' }).click();
    const grid = page.getByRole('grid', { name: 'Task Sequences' });
    await grid.waitFor({ state: 'visible' });
    await page.getByText('There are no task sequences').waitFor();
    const firstPageMs = performance.now() - t1;
    const firstPageBytes = { ...bytes };
    await cdp.detach().catch(() => {});
    return { signInMs, firstPageMs, nav, signInBytes, firstPageBytes };
  } finally {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'openosd-console-bench-'));
const server = await startServer(dataDir);
const floor = await startFloorServer();
try {
  console.log(
    `console first load: ${RUNS} runs, ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`server ${server.url}, chromium ${CHROMIUM}`);
  const runs = [];
  const floors = [];
  for (let i = 0; i < RUNS; i++) {
    const f = await floorRun(floor, CHROMIUM);
    floors.push(f);
    const r = await oneRun(server);
    runs.push(r);
    console.log(`  run ${i + 1}: browser floor ${ms(f.value)}`);
    console.log(
      `  run ${i + 1}: sign-in page interactive ${ms(r.signInMs)} (${kb(r.signInBytes.files + r.signInBytes.api)} in ${r.signInBytes.requests} responses; ` +
        `DOMContentLoaded ${ms(r.nav?.domContentLoaded ?? NaN)}), first page after sign-in ${ms(r.firstPageMs)} (${kb(r.firstPageBytes.files)} files + ${kb(r.firstPageBytes.api)} API in ${r.firstPageBytes.requests} responses)`,
    );
  }
  const line = (label, xs, f) => {
    const s = stats(xs);
    console.log(`${label.padEnd(44)} min ${f(s.min).padStart(10)}  median ${f(s.median).padStart(10)}  max ${f(s.max).padStart(10)}`);
  };
  console.log('');
  line(
    'sign-in page: time to interactive',
    runs.map((r) => r.signInMs),
    ms,
  );
  line(
    'sign-in page: bytes transferred',
    runs.map((r) => r.signInBytes.files + r.signInBytes.api),
    kb,
  );
  line(
    'sign-in page: DOMContentLoaded',
    runs.map((r) => r.nav?.domContentLoaded ?? NaN),
    ms,
  );
  line(
    'first page after sign-in: time to drawn',
    runs.map((r) => r.firstPageMs),
    ms,
  );
  line(
    'first page after sign-in: console files',
    runs.map((r) => r.firstPageBytes.files),
    kb,
  );
  line(
    'first page after sign-in: API answers',
    runs.map((r) => r.firstPageBytes.api),
    kb,
  );
  line(
    'first load in all: bytes transferred',
    runs.map((r) => r.signInBytes.files + r.signInBytes.api + r.firstPageBytes.files + r.firstPageBytes.api),
    kb,
  );
  const bench = benchRun('console-load');
  bench.add(
    summarizePairs({
      name: 'sign-in page: time to interactive',
      baseline: { label: FLOOR_LABEL },
      ours: { label: 'the console, first load' },
      unit: 'ms',
      better: 'lower',
      rows: runs.map((r, i) => ({ baseline: floors[i], ours: { value: r.signInMs, bytes: r.signInBytes } })),
    }),
  );
  const med = (xs) => stats(xs).median;
  bench.figure('sign-in page: bytes transferred (median)', med(runs.map((r) => r.signInBytes.files + r.signInBytes.api)), 'bytes', 'lower');
  bench.figure('sign-in page: DOMContentLoaded ms (median)', med(runs.map((r) => r.nav?.domContentLoaded ?? NaN)), 'ms', 'lower');
  bench.figure('first page after sign-in: time to drawn ms (median)', med(runs.map((r) => r.firstPageMs)), 'ms', 'lower');
  bench.figure('first page after sign-in: console files bytes (median)', med(runs.map((r) => r.firstPageBytes.files)), 'bytes', 'lower');
  bench.figure('first page after sign-in: API answers bytes (median)', med(runs.map((r) => r.firstPageBytes.api)), 'bytes', 'lower');
  bench.figure(
    'first load in all: bytes transferred (median)',
    med(runs.map((r) => r.signInBytes.files + r.signInBytes.api + r.firstPageBytes.files + r.firstPageBytes.api)),
    'bytes',
    'lower',
  );
  bench.finish();
  console.log(
    `load average at the end ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} finally {
  await floor.close();
  server.proc.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
}
