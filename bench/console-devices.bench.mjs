#!/usr/bin/env node
// Web console: the device list through 100,000 devices (issue 15, performance) in headless Chromium,
// against a real `osd server` serving the built console, without the page ever loading them all.
//   npx tsc -p tsconfig.build.json && npx vite build console && node bench/console-devices.bench.mjs [--runs 5] [--pages 200|all] [--devices 100000]
//
// Set-up (not timed): the site is created by `osd server`, stopped, and the devices are bulk-loaded
// with SQL into its PGlite database (bench/lib-api-populate.mjs, the admin API bench's loader: names
// PC-000001 …, a MAC, an SMBIOS GUID and inventory properties each), then the server starts again.
// Each run is a new browser profile, signed in through the sign-in page, then (timed):
//   1. first page: from navigating to /assets/devices to its 50 rows drawn with the total;
//   2. paging: "Next page" pressed --pages times (default 200 = 10,000 devices; `all` walks to the last
//      page): each page from the click to its rows drawn (the site answers GET /devices with the
//      cursor of the page before, so the last page costs what the first does).
// Measured: bytes of the device list's API answers (Chromium's encodedDataLength: headers + body),
// their count, the rows in the table (never more than a page), and the page's JS heap (DevTools
// Performance.getMetrics JSHeapUsedSize after a garbage collection) before and after paging.
// Figures: min / median / max over the runs. Other load on the machine skews them: note it.
// Method (bench/lib-ab.mjs, issue 16): each run is a pair, the browser's floor first
// (bench/lib-browser-floor.mjs: a bare page with one input field, same browser, new profile), then the
// device list; runs default to OSD_BENCH_PAIRS (≥ 5) unless --runs says. The comparison is the first
// page against the floor; paging, bytes and heap are medians over the runs (figures).
// Results: .tmp/bench/console-devices.json.
/* global document -- in the functions evaluated in the page */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { benchRun, pairCount, summarizePairs } from './lib-ab.mjs';
import { FLOOR_LABEL, floorRun, startFloorServer } from './lib-browser-floor.mjs';
import { openSite } from '../dist/site/site.js';
import { populate } from './lib-api-populate.mjs';

const option = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RUNS = option('runs') === undefined ? pairCount() : pairCount(Number(option('runs')));
const DEVICES = Number(option('devices') ?? 100_000);
const PAGES = option('pages') === 'all' ? Infinity : Number(option('pages') ?? 200);
const PAGE_SIZE = 50;
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
const stop = (proc) => new Promise((r) => (proc.exitCode !== null ? r() : (proc.once('exit', () => r()), proc.kill('SIGTERM'))));

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { min: s[0], median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, max: s[s.length - 1] };
};
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const ms = (n) => `${n.toFixed(1)} ms`;

async function heap(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN;
}

async function oneRun(server, total) {
  const profile = mkdtempSync(join(tmpdir(), 'openosd-console-devices-bench-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 860 },
    args: ['--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(30_000);
    await page.goto(`${server.url}/`);
    await page.getByLabel('API token').fill(server.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Workspaces' }).waitFor();

    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Performance.enable');
    const urls = new Map();
    const api = { bytes: 0, answers: 0, largest: 0 };
    cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
    cdp.on('Network.loadingFinished', (e) => {
      const url = urls.get(e.requestId);
      if (url && new URL(url).pathname === '/api/v1/devices') {
        api.bytes += e.encodedDataLength;
        api.answers += 1;
        api.largest = Math.max(api.largest, e.encodedDataLength);
      }
    });

    const grid = page.getByRole('grid', { name: 'Devices' });
    const pager = page.getByRole('navigation', { name: 'Pages of Devices' });
    const t0 = performance.now();
    await page.goto(`${server.url}/assets/devices`);
    await page.waitForFunction(
      (n) =>
        document.querySelectorAll('table[aria-label], table').length > 0 &&
        document.querySelectorAll('tbody tr[data-row]').length === 50 &&
        document.body.innerText.includes(`of ${n}`),
      total.toLocaleString(),
      { polling: 'raf' },
    );
    const firstMs = performance.now() - t0;
    const heapBefore = await heap(cdp);
    const firstBytes = api.bytes;

    const perPage = [];
    let maxRows = 0;
    const next = pager.getByRole('button', { name: 'Next page' });
    for (let p = 1; p <= PAGES; p++) {
      if (await next.isDisabled()) break;
      const before = await grid.locator('tbody tr[data-row]').first().innerText();
      const t = performance.now();
      await next.click();
      await page.waitForFunction(
        (b) => {
          const first = document.querySelector('tbody tr[data-row]');
          return first && first.textContent !== b.replace(/\t/g, '') && !document.querySelector('table[aria-busy="true"]');
        },
        before,
        { polling: 'raf' },
      );
      perPage.push(performance.now() - t);
      maxRows = Math.max(maxRows, await grid.locator('tbody tr[data-row]').count());
    }
    const heapAfter = await heap(cdp);
    const shown = (await pager.textContent()) ?? '';
    await cdp.detach().catch(() => {});
    return {
      firstMs,
      firstBytes,
      perPage,
      pagingBytes: api.bytes - firstBytes,
      answers: api.answers,
      largest: api.largest,
      maxRows,
      heapBefore,
      heapAfter,
      shown,
    };
  } finally {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'openosd-console-devices-bench-'));
let server;
try {
  let t = performance.now();
  const first = await startServer(dataDir);
  await stop(first.proc);
  const site = await openSite({ dataDir });
  try {
    await populate(site.db, { devices: DEVICES, collections: 0, membersPerCollection: 0 });
  } finally {
    await site.close();
  }
  server = await startServer(dataDir);
  const total = (await (await fetch(`${server.url}/api/v1/devices?limit=1`, { headers: { authorization: `Bearer ${server.token}` } })).json()).total;
  console.log(
    `console device list: ${total.toLocaleString()} devices (loaded in ${((performance.now() - t) / 1000).toFixed(1)} s), ${RUNS} runs of ${
      PAGES === Infinity ? 'every page' : `${PAGES} pages`
    } of ${PAGE_SIZE}; ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const runs = [];
  const floors = [];
  const floor = await startFloorServer();
  for (let i = 0; i < RUNS; i++) {
    const f = await floorRun(floor, CHROMIUM);
    floors.push(f);
    t = performance.now();
    const r = await oneRun(server, total);
    runs.push(r);
    const s = stats(r.perPage);
    console.log(
      `  run ${i + 1}: browser floor ${ms(f.value)}; first page ${ms(r.firstMs)} (${kb(r.firstBytes)}); ${r.perPage.length} pages: per page min ${ms(s.min)} median ${ms(s.median)} max ${ms(s.max)}, ` +
        `${kb(r.pagingBytes)} in ${r.answers - 1} answers (largest ${kb(r.largest)}), at most ${r.maxRows} rows drawn, JS heap ${mb(r.heapBefore)} → ${mb(r.heapAfter)}; pager "${r.shown}"`,
    );
  }
  const line = (label, xs, f) => {
    const s = stats(xs);
    console.log(`${label.padEnd(46)} min ${f(s.min).padStart(10)}  median ${f(s.median).padStart(10)}  max ${f(s.max).padStart(10)}`);
  };
  console.log('');
  line(
    'first page: navigation to 50 rows and total',
    runs.map((r) => r.firstMs),
    ms,
  );
  line(
    'first page: device list bytes',
    runs.map((r) => r.firstBytes),
    kb,
  );
  line(
    'next page: click to rows drawn (run medians)',
    runs.map((r) => stats(r.perPage).median),
    ms,
  );
  line(
    'next page: slowest page of a run',
    runs.map((r) => stats(r.perPage).max),
    ms,
  );
  line(
    'device list bytes per page',
    runs.map((r) => r.pagingBytes / Math.max(1, r.perPage.length)),
    kb,
  );
  line(
    'JS heap after paging',
    runs.map((r) => r.heapAfter),
    mb,
  );
  line(
    'JS heap growth while paging',
    runs.map((r) => r.heapAfter - r.heapBefore),
    mb,
  );
  await floor.close();
  const bench = benchRun('console-devices');
  bench.add(
    summarizePairs({
      name: 'first page: navigation to 50 rows and total',
      baseline: { label: FLOOR_LABEL },
      ours: { label: `the device list, ${total} devices` },
      unit: 'ms',
      better: 'lower',
      rows: runs.map((r, i) => ({ baseline: floors[i], ours: r.firstMs })),
    }),
  );
  const med = (xs) => stats(xs).median;
  bench.figure('first page: device list bytes (median)', med(runs.map((r) => r.firstBytes)), 'bytes', 'lower');
  bench.figure('next page: click to rows drawn ms (median of the run medians)', med(runs.map((r) => stats(r.perPage).median)), 'ms', 'lower');
  bench.figure('next page: slowest page of a run ms (median)', med(runs.map((r) => stats(r.perPage).max)), 'ms', 'lower');
  bench.figure('device list bytes per page (median)', med(runs.map((r) => r.pagingBytes / Math.max(1, r.perPage.length))), 'bytes', 'lower');
  bench.figure('JS heap after paging bytes (median)', med(runs.map((r) => r.heapAfter)), 'bytes', 'lower');
  bench.figure('rows in the table at most', Math.max(...runs.map((r) => r.maxRows)), 'rows', 'lower');
  bench.finish({ devices: total, pages: PAGES === Infinity ? 'all' : PAGES });
  console.log(
    `rows in the table at most: ${Math.max(...runs.map((r) => r.maxRows))}; devices paged through per run: ${runs[0].perPage.length * PAGE_SIZE + PAGE_SIZE}; load average at the end ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} finally {
  if (server) server.proc.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
}
