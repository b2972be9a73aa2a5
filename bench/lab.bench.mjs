#!/usr/bin/env node
// Lab benchmark (issues 5 and 16 item 6), on the shared method (bench/lib-ab.mjs: A B pairs, ≥ 5 by
// default, min/median/max of the ratio, JSON in .tmp/bench/lab.json). After `make build`:
//  1. Format + Apply Operating System of a ~500 MB WIM (image 2) into the NTFS partition of a 4 GiB lab
//     disk image, as the lab does it (bench/lab-apply-child.mjs, one process per run: NTFS formatted and
//     applied in place through the offsetio shim, docs/lab.md "In place"), against the bare
//     `truncate -s SIZE part.img && mkntfs -F -Q part.img && wimlib-imagex apply X.wim 2 part.img`
//     into an image file of the same partition's size: ratio ours / bare, goal ≤ 1.10.
//  2. The whole WinPE phase of the wizard's task sequence on that disk, split by step (one run).
//  3. Peak RSS of the process running the task sequence for a ~100 MB and a ~1 GB image (goal
//     < 300 MiB both, and flat: images and disks are streamed, never loaded whole).
//
//   node bench/lab.bench.mjs [--keep]
//   OSD_BENCH_PAIRS=N (default 5)  OSD_BENCH_LAB_MB=500 (content size for 1 and 2)
//   OSD_BENCH_LAB_RSS=0 skips 3    OSD_BENCH_DIST=DIR (a build other than dist/, e.g. for a smoke run)
// Content is cached in .tmp/bench-content-<MB>.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchRun, comparePairs, timed } from './lib-ab.mjs';

const root = new URL('..', import.meta.url).pathname;
const dist = resolve(process.env.OSD_BENCH_DIST ?? join(root, 'dist'));
const { makeTestContent } = await import(pathToFileURL(join(dist, 'lab/test-content/index.js')).href);
const work = mkdtempSync(join(tmpdir(), 'osd-lab-bench-'));
const mib = (n) => `${(n / 1048576).toFixed(0)} MiB`;
const PATH = `${process.env.PATH}:/usr/local/sbin:/usr/sbin:/sbin`;
const contentMB = Number(process.env.OSD_BENCH_LAB_MB ?? 500);
if (!Number.isInteger(contentMB) || contentMB < 30) throw new Error(`OSD_BENCH_LAB_MB=${process.env.OSD_BENCH_LAB_MB}: a whole number of MB ≥ 30 is needed`);

async function content(totalMB) {
  return makeTestContent(join(root, '.tmp', `bench-content-${totalMB}`), { imageSizeMB: Math.round(totalMB / 3) });
}

function child(script, args) {
  return JSON.parse(
    execFileSync(process.execPath, [join(root, 'bench', script), ...args], { encoding: 'utf8', maxBuffer: 16 << 20, env: { ...process.env, PATH } }),
  );
}

function boot(contentDir, name, disk) {
  const r = child('lab-boot-child.mjs', [contentDir, join(work, 'labs'), name, disk]);
  if (r.result !== 'success') throw new Error(`boot ${name} failed: ${r.message}`);
  rmSync(join(work, 'labs', name), { recursive: true, force: true });
  return r;
}

let runs = 0;
/** Ours: format + apply + flush into the lab disk's Windows partition, in its own process. */
function ours(wim) {
  const name = `apply-${++runs}`;
  const r = child('lab-apply-child.mjs', [dist, wim, join(work, 'labs'), name, '4G']);
  rmSync(join(work, 'labs', name), { recursive: true, force: true });
  return r;
}

/** The bare commands a user would run, into an image file of the partition's size. */
function bare(wim, partitionBytes) {
  const img = join(work, 'part.img');
  rmSync(img, { force: true });
  const env = { ...process.env, PATH };
  return timed(() => {
    execFileSync('truncate', ['-s', String(partitionBytes), img], { env });
    execFileSync('mkntfs', ['-F', '-Q', img], { stdio: 'ignore', env });
    execFileSync('wimlib-imagex', ['apply', wim, '2', img], { stdio: 'ignore', env });
  }).finally(() => rmSync(img, { force: true }));
}

const run = benchRun('lab');
try {
  console.log(`Lab benchmark; building test content (cached under .tmp/bench-content-${contentMB})…`);
  const c = await content(contentMB);
  const wimSize = statSync(c.wimPath).size;
  // The partition's size, from a first run of ours (also the warm-up: page cache, the shim, the WIM).
  const first = ours(c.wimPath);
  console.log(
    `\n1. Format + Apply Operating System, WIM ${mib(wimSize)} (image 2), 4 GiB disk, Windows partition ${mib(first.partitionBytes)}` +
      ` — ${first.direct ? 'in place through the offsetio shim' : 'SIDE IMAGE (the offsetio shim is missing: make deps, or OSD_OFFSETIO)'}`,
  );
  const apply = run.add(
    await comparePairs({
      name: `format + apply ${mib(wimSize)} WIM`,
      baseline: { label: 'truncate + mkntfs -F -Q + wimlib-imagex apply', run: () => bare(c.wimPath, first.partitionBytes) },
      ours: { label: 'lab format + applyImage + flush', run: () => ours(c.wimPath) },
      unit: 'ms',
      better: 'lower',
      goal: { op: '<=', value: 1.1 },
    }),
  );
  const rss = apply.pairs.map((p) => p.ours.maxRssMiB);
  run.figure('apply.peakRssMiB', Math.max(...rss), 'MiB', 'lower');
  console.log(`   peak RSS of the lab process while applying: ${Math.max(...rss).toFixed(0)} MiB (wimlib runs as its own process)`);

  const winpe = boot(c.root, 'winpe', '4G');
  console.log(`\n2. Whole WinPE phase of the wizard's task sequence on a 4 GiB disk: ${winpe.totalMs.toFixed(0)} ms (one run)`);
  for (const s of winpe.steps) console.log(`   ${s.step.padEnd(40)} ${s.ms.toFixed(0).padStart(7)} ms`);
  run.figure('winpe.totalMs', winpe.totalMs, 'ms', 'lower');
  for (const s of winpe.steps) run.figure(`winpe.step.${s.step}`, s.ms, 'ms', 'lower');

  if (process.env.OSD_BENCH_LAB_RSS !== '0') {
    console.log('\n3. Peak RSS of the process running the task sequence (wimlib runs as its own process)');
    for (const total of [100, 1000]) {
      const cc = await content(total);
      const r = boot(cc.root, `rss-${total}`, total > 500 ? '6G' : '4G');
      console.log(
        `   image ~${total} MB (WIM ${mib(statSync(cc.wimPath).size)}): peak RSS ${r.maxRssMiB.toFixed(0)} MiB (goal < 300 MiB), ${r.totalMs.toFixed(0)} ms`,
      );
      run.figure(`rss.${total}MB.peakRssMiB`, r.maxRssMiB, 'MiB', 'lower');
    }
  }
  run.finish({ contentMB, wimBytes: wimSize, partitionBytes: first.partitionBytes, direct: first.direct });
} finally {
  if (!process.argv.includes('--keep')) rmSync(work, { recursive: true, force: true });
}
