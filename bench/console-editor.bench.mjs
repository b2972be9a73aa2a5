#!/usr/bin/env node
// The console's task sequence editor (issue 15, performance): opening the largest corpus file and a
// generated 5,000-step sequence in headless Chromium against a real `osd server` — time to render,
// time for a move and a save.
//   npx tsc -p tsconfig.build.json && npx vite build console && node bench/console-editor.bench.mjs [--runs 5] [--steps 5000]
//
// Each run opens the editor in a new browser profile (signed in first, outside the timed spans):
//   render: from navigation to /software-library/task-sequences/<id>/edit until every group and
//           step of the tree is drawn (GET of the task sequence and the step catalog included);
//   move:   Alt+↓ on the first step that has a next sibling, until the tree shows it moved;
//   save:   Save in the Save dialog until the page says which revision it saved (the editor sends
//           the whole document; the site checks and stores it as a new revision).
// Figures: min / median / max over the runs. The machine's other load skews them: note it beside
// any figure. OSD_CHROMIUM overrides the chromium binary (default /usr/lib/chromium/chromium);
// OSD_CORPUS the corpus folder (default ../shared/corpus/public).
// Method (bench/lib-ab.mjs, issue 16): each run is a pair, the browser's floor first
// (bench/lib-browser-floor.mjs: a bare page with one input field, same browser, new profile), then the
// editor; runs default to OSD_BENCH_PAIRS (≥ 5) unless --runs says. Per sequence the comparison is the
// time to render against the floor; move and save are medians over the runs (figures).
// Results: .tmp/bench/console-editor.json.
/* global document -- read inside page.evaluate / waitForFunction (the browser's) */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
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
const STEPS = Number(option('steps') ?? 5000);
const CHROMIUM = process.env.OSD_CHROMIUM ?? '/usr/lib/chromium/chromium';
const CORPUS = resolve(process.env.OSD_CORPUS ?? '../shared/corpus/public');

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

async function call(server, method, path, body) {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${server.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json).slice(0, 400)}`);
  return json;
}

/** A sequence of `steps` Run Command Line steps in groups of 100 (what an admin's big sequence has: many short steps). */
function generated(steps) {
  const groups = [];
  for (let g = 0; g * 100 < steps; g++) {
    const items = [];
    for (let s = g * 100; s < Math.min(steps, (g + 1) * 100); s++) {
      items.push({
        kind: 'step',
        type: 'SMS_TaskSequence_RunCommandLineAction',
        name: `Step ${String(s + 1).padStart(4, '0')}`,
        successCodeList: '0 3010',
        action: 'cmd /c exit 0',
      });
    }
    groups.push({ kind: 'group', name: `Group ${g + 1}`, items });
  }
  return JSON.stringify({ format: 'openosd.task-sequence', formatVersion: 1, sequence: { version: '3.10', items: groups } });
}

function largestCorpusFile() {
  const files = readdirSync(CORPUS)
    .filter((f) => f.endsWith('.xml'))
    .map((f) => ({ f, size: statSync(join(CORPUS, f)).size }));
  files.sort((a, b) => b.size - a.size);
  if (!files.length) throw new Error(`no corpus XML in ${CORPUS} (set OSD_CORPUS)`);
  return files[0];
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { min: s[0], median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, max: s[s.length - 1] };
};
const ms = (n) => `${n.toFixed(0)} ms`;

async function oneRun(server, id, items) {
  const profile = mkdtempSync(join(tmpdir(), 'openosd-editor-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 860 },
    args: ['--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
  });
  context.setDefaultTimeout(120_000);
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${server.url}/`);
    await page.getByLabel('API token').fill(server.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Task Sequences', level: 1 }).waitFor();

    const t0 = performance.now();
    await page.goto(`${server.url}/software-library/task-sequences/${id}/edit`);
    await page.waitForFunction((n) => document.querySelectorAll('[role="treeitem"]').length >= n, items, { polling: 'raf' });
    const renderMs = performance.now() - t0;

    // The first step with a next sibling: Alt+↓ moves it past that sibling.
    const uid = await page.evaluate(() => {
      for (const li of document.querySelectorAll('[role="treeitem"]')) {
        const next = li.nextElementSibling;
        if (next && !li.getAttribute('aria-expanded')) return li.getAttribute('data-uid');
      }
      return null;
    });
    if (!uid) throw new Error('no step with a next sibling to move');
    const moved = page.locator(`[data-uid="${uid}"]`);
    const before = Number(await moved.getAttribute('aria-posinset'));
    await moved.locator('> .ts-row').click();
    await page.waitForFunction((u) => document.activeElement?.getAttribute('data-uid') === u, uid);
    const t1 = performance.now();
    await page.keyboard.press('Alt+ArrowDown');
    await page.waitForFunction(([u, p]) => Number(document.querySelector(`[data-uid="${u}"]`)?.getAttribute('aria-posinset')) === p + 1, [uid, before], {
      polling: 'raf',
    });
    const moveMs = performance.now() - t1;

    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByLabel('Revision comment').fill('bench: one move');
    const t2 = performance.now();
    await page.getByRole('dialog').getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText(/Saved as revision \d+/).waitFor();
    const saveMs = performance.now() - t2;
    return { renderMs, moveMs, saveMs };
  } finally {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'openosd-editor-bench-'));
const server = await startServer(dataDir);
const floor = await startFloorServer();
const bench = benchRun('console-editor');
try {
  const corpus = largestCorpusFile();
  const cases = [];
  {
    const r = await call(server, 'POST', '/task-sequences', {
      name: `corpus ${corpus.f}`,
      format: 'xml',
      content: readFileSync(join(CORPUS, corpus.f), 'utf8'),
    });
    cases.push({ key: 'largest corpus file', label: `${corpus.f} (${(corpus.size / 1024).toFixed(0)} KiB)`, id: r.taskSequence.id });
  }
  {
    const r = await call(server, 'POST', '/task-sequences', { name: `generated ${STEPS} steps`, format: 'json', content: generated(STEPS) });
    cases.push({ key: `generated ${STEPS} steps`, label: `generated: ${STEPS} steps in ${Math.ceil(STEPS / 100)} groups`, id: r.taskSequence.id });
  }
  for (const c of cases) {
    const detail = await call(server, 'GET', `/task-sequences/${c.id}`);
    let n = 0;
    const walk = (list) => {
      for (const i of list) {
        n++;
        if (i.items) walk(i.items);
      }
    };
    walk(detail.sequence.sequence.items);
    c.items = n;
  }
  console.log(
    `task sequence editor: ${RUNS} runs per sequence, ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`server ${server.url}, chromium ${CHROMIUM}`);
  for (const c of cases) {
    console.log(`\n${c.label}: ${c.items} tree items`);
    const runs = [];
    const floors = [];
    for (let i = 0; i < RUNS; i++) {
      const f = await floorRun(floor, CHROMIUM);
      floors.push(f);
      const r = await oneRun(server, c.id, c.items);
      runs.push(r);
      console.log(`  run ${i + 1}: browser floor ${ms(f.value)}; render ${ms(r.renderMs)}, move ${ms(r.moveMs)}, save ${ms(r.saveMs)}`);
    }
    bench.add(
      summarizePairs({
        name: `${c.key}: time to render`,
        baseline: { label: FLOOR_LABEL },
        ours: { label: 'the task sequence editor' },
        unit: 'ms',
        better: 'lower',
        rows: runs.map((r, i) => ({ baseline: floors[i], ours: r.renderMs })),
      }),
    );
    bench.figure(`${c.key}: time for a move ms (median)`, stats(runs.map((r) => r.moveMs)).median, 'ms', 'lower');
    bench.figure(`${c.key}: time for a save ms (median)`, stats(runs.map((r) => r.saveMs)).median, 'ms', 'lower');
    for (const [label, key] of [
      ['time to render', 'renderMs'],
      ['time for a move (Alt+Down)', 'moveMs'],
      ['time for a save', 'saveMs'],
    ]) {
      const s = stats(runs.map((r) => r[key]));
      console.log(`  ${label.padEnd(30)} min ${ms(s.min).padStart(9)}  median ${ms(s.median).padStart(9)}  max ${ms(s.max).padStart(9)}`);
    }
  }
  console.log(
    `\nload average at the end ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  bench.finish();
} finally {
  await floor.close();
  server.proc.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
}
