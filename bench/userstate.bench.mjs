#!/usr/bin/env node
// User state benchmark (issue 13 "Performance"), after `make build`:
//  1. Capture + restore of a user's files (thousands of small files and a few large ones, half of
//     the bytes incompressible) through our encrypted store against `tar -c | zstd` and
//     `zstd -dc | tar -x` of the same tree, in the same run, alternating A B A B (bench/lib-ab.mjs:
//     OSD_BENCH_PAIRS, default 5): ratio ours / tar+zstd per pair, min/median/max (goal ≤ 1.5), the
//     ratio of CPU time too (tar and zstd's from /usr/bin/time, ours from the child's rusage).
//  2. Peak RSS of the capture and the restore processes (goal < 300 MB: the store is streamed).
//  3. The hard-link capture of the same tree (expected: a small fraction of the copy's time).
//   node bench/userstate.bench.mjs              (256 MiB tree)
//   OSD_BENCH_USERSTATE_MB=1024 node bench/userstate.bench.mjs   (1 GiB, the size)
// The tree lives in .tmp/bench-userstate-<MB>/ (kept between runs); results in .tmp/bench/userstate.json.
import { execFileSync, execSync, spawnSync } from 'node:child_process';
import { randomBytes, createCipheriv, createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { benchRun, comparePairs, pairCount } from './lib-ab.mjs';

const root = new URL('..', import.meta.url).pathname;
const MB = Number(process.env.OSD_BENCH_USERSTATE_MB ?? 256);
// OSD_BENCH_USERSTATE_PAIRS, this benchmark's own older name, still wins over OSD_BENCH_PAIRS.
const PAIRS = process.env.OSD_BENCH_USERSTATE_PAIRS ? pairCount(Number(process.env.OSD_BENCH_USERSTATE_PAIRS)) : pairCount();
const tree = join(root, '.tmp', `bench-userstate-${MB}`);
const work = join(root, '.tmp', `bench-userstate-work-${process.pid}`);
const child = join(root, 'bench/userstate-child.mjs');

for (const tool of ['tar', 'zstd']) {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  } catch {
    console.error(`${tool} is missing: run scripts/system-packages.sh (Debian package ${tool})`);
    process.exit(2);
  }
}

/** Deterministic bytes: incompressible (AES-CTR) or text-like (words, compressible about 3:1). */
function bytesOf(n, seed, text) {
  if (!text) return createCipheriv('aes-256-ctr', createHash('sha256').update(String(seed)).digest(), Buffer.alloc(16)).update(Buffer.alloc(n));
  const words = ['report', 'quarter', 'budget', 'the', 'of', 'and', 'customer', 'invoice', 'total', 'meeting', 'project', 'plan', '2025', 'draft', 'final'];
  const parts = [];
  let len = 0;
  let x = seed * 2654435761;
  while (len < n) {
    x = (x * 1103515245 + 12345) >>> 0;
    const w = `${words[x % words.length]}${x % 7 === 0 ? '\r\n' : ' '}`;
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join('').slice(0, n));
}

function put(rel, data) {
  const p = join(tree, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, data);
}

function makeTree() {
  if (existsSync(join(tree, '.complete'))) return;
  rmSync(tree, { recursive: true, force: true });
  const total = MB * 1048576;
  // 40 % in 4 large files (2 incompressible, 2 text), 60 % in small files of 4–200 KiB (half text).
  const large = Math.floor((total * 0.4) / 4);
  for (let i = 0; i < 4; i++) {
    const p = `Users/bench/Videos/large-${i}.${i % 2 ? 'txt' : 'bin'}`;
    const fd = join(tree, p);
    mkdirSync(dirname(fd), { recursive: true });
    const chunk = 8 << 20;
    for (let at = 0; at < large; at += chunk) {
      const data = bytesOf(Math.min(chunk, large - at), i * 1000 + at, i % 2 === 1);
      writeFileSync(fd, data, { flag: at === 0 ? 'w' : 'a' });
    }
  }
  let left = total - 4 * large;
  let n = 0;
  while (left > 0) {
    const size = Math.min(left, 4096 + ((n * 7919) % (200 * 1024)));
    const folder = ['Documents', 'Desktop', 'Pictures', 'Downloads', 'Music'][n % 5];
    put(`Users/bench/${folder}/d${Math.floor(n / 100)}/f${n}.${n % 2 ? 'docx' : 'txt'}`, bytesOf(size, n, n % 2 === 0));
    left -= size;
    n++;
  }
  put('Users/bench/NTUSER.DAT', 'hive');
  put('Windows/System32/placeholder.txt', 'not captured');
  writeFileSync(join(tree, '.complete'), '');
}

function ours() {
  const store = join(work, 'store');
  const dst = join(work, 'dst');
  rmSync(store, { recursive: true, force: true });
  rmSync(dst, { recursive: true, force: true });
  mkdirSync(dst, { recursive: true });
  const key = randomBytes(32).toString('base64');
  const run = (...args) => JSON.parse(execFileSync(process.execPath, [child, ...args], { encoding: 'utf8' }));
  const c = run('capture', tree, store, key);
  execSync('sync');
  const r = run('restore', store, dst, key);
  const storeBytes = Number(execFileSync('du', ['-sb', store], { encoding: 'utf8' }).split('\t')[0]);
  const cpuMs = c.cpuMs !== undefined && r.cpuMs !== undefined ? c.cpuMs + r.cpuMs : undefined;
  return { value: c.ms + r.ms, capture: c, restore: r, storeBytes, ...(cpuMs !== undefined ? { cpuMs } : {}) };
}

function tarZstd() {
  const archive = join(work, 'tree.tar.zst');
  const dst = join(work, 'dst-tar');
  rmSync(archive, { force: true });
  rmSync(dst, { recursive: true, force: true });
  mkdirSync(dst, { recursive: true });
  // CPU time of the pipeline too (user + system of tar and zstd, from /usr/bin/time's view of the shell's children).
  const timed = (cmd) => {
    const t = performance.now();
    const p = spawnSync('/usr/bin/time', ['-f', '%U %S', 'sh', '-c', cmd], { encoding: 'utf8' });
    if (p.status !== 0) throw new Error(`${cmd}: ${p.stderr}`);
    const [u, s] = p.stderr.trim().split('\n').pop().split(' ').map(Number);
    return { ms: performance.now() - t, cpuMs: (u + s) * 1000 };
  };
  const c = timed(`tar -c -C '${tree}' Users | zstd -q -o '${archive}'`);
  execSync('sync');
  const r = timed(`zstd -q -dc '${archive}' | tar -x -C '${dst}'`);
  return {
    value: c.ms + r.ms,
    capture: c.ms,
    restore: r.ms,
    captureCpuMs: c.cpuMs,
    restoreCpuMs: r.cpuMs,
    cpuMs: c.cpuMs + r.cpuMs,
    archiveBytes: statSync(archive).size,
  };
}

function hardlink() {
  // A fresh copy would cost the copy; the links are made in the tree and removed afterwards.
  const r = JSON.parse(execFileSync(process.execPath, [child, 'hardlink', tree], { encoding: 'utf8' }));
  rmSync(join(tree, '_SMSTaskSequence'), { recursive: true, force: true });
  return r;
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
};
const f2 = (x) => x.toFixed(2);

mkdirSync(work, { recursive: true });
console.log(`User state benchmark: a ${MB} MiB tree (${tree}), ${PAIRS} pairs, alternating tar|zstd / ours…`);
makeTree();
const bench = benchRun('userstate');
const cmp = bench.add(
  await comparePairs({
    name: `capture + restore, ${MB} MiB`,
    baseline: { label: 'tar -c | zstd, then zstd -dc | tar -x', run: tarZstd },
    ours: { label: 'osd capture + restore (encrypted store)', run: ours },
    unit: 'ms',
    better: 'lower',
    goal: { op: '<=', value: 1.5 },
    pairs: PAIRS,
  }),
);
const pairs = cmp.pairs.map((p) => ({ a: p.ours, b: p.baseline, ratio: p.ratio }));
for (const [i, { a, b }] of pairs.entries())
  console.log(
    `  pair ${i + 1}: ours capture ${(a.capture.ms / 1000).toFixed(2)} s + restore ${(a.restore.ms / 1000).toFixed(2)} s (peak RSS ${a.capture.peakRssMB.toFixed(0)} / ${a.restore.peakRssMB.toFixed(0)} MB, store ${(a.storeBytes / 1048576).toFixed(0)} MiB); tar|zstd ${(b.capture / 1000).toFixed(2)} s + ${(b.restore / 1000).toFixed(2)} s (${(b.archiveBytes / 1048576).toFixed(0)} MiB)`,
  );
const hl = [hardlink(), hardlink(), hardlink()];
const ratio = cmp.ratio;
const captureRatio = stats(pairs.map((p) => p.a.capture.ms / p.b.capture));
const restoreRatio = stats(pairs.map((p) => p.a.restore.ms / p.b.restore));
const cpuRatio = cmp.cpuRatio ?? {};
const peak = Math.max(...pairs.flatMap((p) => [p.a.capture.peakRssMB, p.a.restore.peakRssMB]));
const hlMs = stats(hl.map((h) => h.ms));
const copyMs = stats(pairs.map((p) => p.a.capture.ms));
const result = {
  treeMB: MB,
  files: pairs[0].a.capture.files,
  pairs: PAIRS,
  ratio,
  cpuRatio,
  captureRatio,
  restoreRatio,
  peakRssMB: peak,
  hardlinkCaptureMs: hlMs,
  copyCaptureMs: copyMs,
  hardlinkShareOfCopy: hlMs.median / copyMs.median,
};
console.log(`  ${result.files} files; ratio ours/tar|zstd (capture+restore) min ${f2(ratio.min)} median ${f2(ratio.median)} max ${f2(ratio.max)} (goal ≤ 1.5)`);
if (cpuRatio.median !== undefined)
  console.log(`  CPU time ours/tar|zstd min ${f2(cpuRatio.min)} median ${f2(cpuRatio.median)} max ${f2(cpuRatio.max)} (less sensitive to a loaded machine)`);
console.log(`  capture alone ${f2(captureRatio.median)}×, restore alone ${f2(restoreRatio.median)}× (medians)`);
console.log(`  peak RSS ${peak.toFixed(0)} MB (goal < 300)`);
console.log(
  `  hard-link capture ${(hlMs.median / 1000).toFixed(2)} s median = ${(result.hardlinkShareOfCopy * 100).toFixed(1)} % of the encrypted capture's ${(copyMs.median / 1000).toFixed(2)} s`,
);
bench.figure('capture alone: median ratio ours / tar | zstd', captureRatio.median, '×', 'lower');
bench.figure('restore alone: median ratio ours / zstd -dc | tar -x', restoreRatio.median, '×', 'lower');
bench.figure('peak RSS MB', peak, 'MB', 'lower');
bench.figure('hard-link capture ms (median of 3)', hlMs.median, 'ms', 'lower');
bench.figure('hard-link capture share of the encrypted capture', result.hardlinkShareOfCopy, '×', 'lower');
bench.finish({ userstate: result });
rmSync(work, { recursive: true, force: true });
