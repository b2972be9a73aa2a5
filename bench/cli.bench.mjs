#!/usr/bin/env node
// `osd` start-up (issue 16 item 2), with the method of bench/lib-ab.mjs: baseline and ours alternate,
// A B A B, at least five pairs; each sample is RUNS processes started one after the other (default 5,
// OSD_BENCH_CLI_RUNS), as ms per process, with the processes' CPU time (user + system of the
// waited-for children, /proc/self/stat) as a detail, so the CPU-time ratio is printed too.
//  1. `node -e 0` vs `osd ts show FILE` (the linked bin, node_modules/.bin/osd, of a 3 KB task
//     sequence): goal ≤ 2 (the whole command: start-up, reading the file, printing the tree).
//  2. `node -e 0` vs `osd --version`: the start-up floor of the command line alone (no goal).
//  3. npx: "`npx osd` from the checkout no slower than the linked bin by more than npx's own cost".
//     npx's own cost is what it adds to any local bin: measured on another package's bin of this
//     checkout (semver, a one-file CLI), `npx --no -- semver 1.2.3` minus
//     `node_modules/.bin/semver 1.2.3`; ours is the same difference for osd. Each sample runs the
//     two commands of its side back to back and is their difference, in ms; goal: ratio ≤ 1 (npx adds
//     no more to osd than to semver). `--` keeps npm from taking `--version` for its own.
// Prints times and ratios and writes .tmp/bench/cli.json; never fails on a number.
//   node bench/cli.bench.mjs            (after `make build`; OSD_BENCH_PAIRS=N, OSD_BENCH_CLI_RUNS=N)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchRun, comparePairs } from './lib-ab.mjs';

const root = new URL('..', import.meta.url).pathname;
const corpus = process.env.OSD_CORPUS ?? new URL('../../shared/corpus/public/', import.meta.url).pathname;
const FILE = join(corpus, 'mdt8456-lti-oem-template.xml');
const OSD = join(root, 'node_modules/.bin/osd');
const SEMVER = join(root, 'node_modules/.bin/semver');
const RUNS = Number(process.env.OSD_BENCH_CLI_RUNS ?? 5);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`OSD_BENCH_CLI_RUNS=${process.env.OSD_BENCH_CLI_RUNS}: a whole number ≥ 1 is needed`);
for (const [what, path] of [
  ['the built command line (make build)', join(root, 'dist/cli/main.js')],
  ['the linked bin (npm install links node_modules/.bin/osd)', OSD],
  ['semver, the other local bin npx is measured on', SEMVER],
  ['the task sequence corpus (OSD_CORPUS)', FILE],
]) {
  if (!existsSync(path)) throw new Error(`missing ${what}: ${path}`);
}

// CPU time of this process's waited-for children (utime + stime of the children, fields 16-17 of
// /proc/self/stat, in clock ticks); undefined where there is no /proc.
const TICK_MS = (() => {
  try {
    return 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  } catch {
    return 10;
  }
})();
function childrenCpuMs() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
    return (Number(f[13]) + Number(f[14])) * TICK_MS;
  } catch {
    return undefined;
  }
}

function run1(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status ?? r.signal}\n${r.stderr}`);
  return r.stdout;
}

/** One sample: RUNS processes of cmd one after the other, as ms (wall) and CPU ms per process. */
function processes(cmd, args) {
  return () => {
    const c0 = childrenCpuMs();
    const t = performance.now();
    for (let i = 0; i < RUNS; i++) run1(cmd, args);
    const value = (performance.now() - t) / RUNS;
    const c1 = childrenCpuMs();
    return c0 === undefined || c1 === undefined ? { value, runs: RUNS } : { value, runs: RUNS, cpuMs: (c1 - c0) / RUNS };
  };
}

/** One sample of what npx adds to a local bin: RUNS × (npx --no -- BIN ARGS, then the linked BIN ARGS), the mean difference. */
function npxAdds(bin, args) {
  return () => {
    let npx = 0;
    let linked = 0;
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      run1('npx', ['--no', '--', bin, ...args]);
      npx += performance.now() - t;
      t = performance.now();
      run1(join(root, 'node_modules/.bin', bin), args);
      linked += performance.now() - t;
    }
    return { value: (npx - linked) / RUNS, npxMs: npx / RUNS, linkedMs: linked / RUNS, runs: RUNS };
  };
}

// The commands must do what they are named for before they are timed.
if (!/^Litetouch OEM Task Sequence — /.test(run1(OSD, ['ts', 'show', FILE]))) throw new Error(`osd ts show ${FILE}: unexpected output`);
const version = run1(OSD, ['--version']).trim();
if (run1('npx', ['--no', '--', 'osd', '--version']).trim() !== version) throw new Error("npx --no -- osd --version does not run the checkout's osd");

console.log(`osd start-up: ${RUNS} process(es) per sample; ${FILE} (${readFileSync(FILE).length} bytes)`);
const bench = benchRun('cli');
const node0 = { label: 'node -e 0', run: processes(process.execPath, ['-e', '0']) };
bench.add(
  await comparePairs({
    name: 'osd ts show (3 KB)',
    baseline: node0,
    ours: { label: 'osd ts show FILE', run: processes(OSD, ['ts', 'show', FILE]) },
    unit: 'ms',
    better: 'lower',
    goal: { op: '<=', value: 2 },
    warmup: true,
  }),
);
bench.add(
  await comparePairs({
    name: 'osd --version',
    baseline: node0,
    ours: { label: 'osd --version', run: processes(OSD, ['--version']) },
    unit: 'ms',
    better: 'lower',
    warmup: true,
  }),
);
const npx = bench.add(
  await comparePairs({
    name: 'what npx adds',
    baseline: { label: 'npx --no -- semver 1.2.3 minus node_modules/.bin/semver 1.2.3', run: npxAdds('semver', ['1.2.3']) },
    ours: { label: 'npx --no -- osd --version minus node_modules/.bin/osd --version', run: npxAdds('osd', ['--version']) },
    unit: 'ms',
    better: 'lower',
    goal: { op: '<=', value: 1 },
    warmup: true,
  }),
);
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const npxOsd = med(npx.pairs.map((p) => p.ours.npxMs));
const linkedOsd = med(npx.pairs.map((p) => p.ours.linkedMs));
console.log(
  `  npx osd --version ${npxOsd.toFixed(0)} ms, linked osd --version ${linkedOsd.toFixed(0)} ms (medians): npx adds ${npx.oursSpread.median.toFixed(0)} ms to osd, ` +
    `${npx.baselineSpread.median.toFixed(0)} ms to semver (its own cost)`,
);
bench.figure('npx osd --version', npxOsd, 'ms', 'lower');
bench.figure('linked osd --version', linkedOsd, 'ms', 'lower');
bench.finish({ file: FILE, runsPerSample: RUNS });
