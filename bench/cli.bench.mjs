#!/usr/bin/env node
// `osd` start-up (issue 16 item 2), with the method of bench/lib-ab.mjs: baseline and ours alternate,
// A B A B, at least five pairs; each sample is RUNS processes started one after the other (default 5,
// OSD_BENCH_CLI_RUNS), as ms per process, with the processes' CPU time (user + system of the
// waited-for children, /proc/self/stat) as a detail, so the CPU-time ratio is printed too.
//  1. `node -e 0` vs `osd ts show FILE` (the linked bin, node_modules/.bin/osd, of a 3 KB task
//     sequence): goal ≤ 2 (the whole command: start-up, reading the file, printing the tree).
//  2. `node -e 0` vs `osd --version`: the start-up floor of the command line alone (no goal).
//  3. npx: "`npx osd` from the checkout no slower than the linked bin by more than npx's own cost".
//     For a bin of the project itself (osd is this package's bin), npm exec takes its "self-execution
//     of a local bin" path (libnpmexec): it loads the installed tree (node_modules, ~0.3-0.5 s here)
//     and links the project into its npx cache — the first `npx osd` of a checkout also runs the
//     package's `prepare`, a full build — and then runs the very same bin/osd.js. So npx's own cost is
//     measured on the same path: a throw-away package in a temp folder whose only bin is an empty
//     script, with node_modules linked to this checkout's (the same tree to load):
//     `npx --no -- osd-npx-probe` minus running the probe directly. Ours is `npx --no -- osd --version`
//     minus `node_modules/.bin/osd --version`. Each sample runs the two commands of its side back to
//     back, RUNS times, and is the mean difference in ms; goal: ratio ≤ 1 (npx adds no more to osd
//     than to the empty bin). `--` keeps npm from taking `--version` for its own. The probe is
//     always the same folder (osd-npx-probe in the temp folder): one entry in npm's npx cache.
// Prints times and ratios and writes .tmp/bench/cli.json; never fails on a number.
//   node bench/cli.bench.mjs            (after `make build`; OSD_BENCH_PAIRS=N, OSD_BENCH_CLI_RUNS=N)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchRun, comparePairs } from './lib-ab.mjs';

const root = new URL('..', import.meta.url).pathname;
const corpus = process.env.OSD_CORPUS ?? new URL('../../shared/corpus/public/', import.meta.url).pathname;
const FILE = join(corpus, 'mdt8456-lti-oem-template.xml');
const OSD = join(root, 'node_modules/.bin/osd');
const RUNS = Number(process.env.OSD_BENCH_CLI_RUNS ?? 5);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`OSD_BENCH_CLI_RUNS=${process.env.OSD_BENCH_CLI_RUNS}: a whole number ≥ 1 is needed`);
for (const [what, path] of [
  ['the built command line (make build)', join(root, 'dist/cli/main.js')],
  ['the linked bin (npm install links node_modules/.bin/osd)', OSD],
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

function run1(cmd, args, cwd = root) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20 });
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

/** One sample of what npx adds to a bin: RUNS × (npx --no -- NAME ARGS, then the bin run directly), the mean difference. */
function npxAdds(cwd, name, direct, args) {
  return () => {
    let npx = 0;
    let linked = 0;
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      run1('npx', ['--no', '--', name, ...args], cwd);
      npx += performance.now() - t;
      t = performance.now();
      run1(direct, args, cwd);
      linked += performance.now() - t;
    }
    return { value: (npx - linked) / RUNS, npxMs: npx / RUNS, directMs: linked / RUNS, runs: RUNS };
  };
}

/**
 * The throw-away package of npx's own cost (see the top of this file), removed at the end; always
 * the same folder, so that npx keeps one entry for it in its cache, not one per run.
 */
function npxProbe() {
  const dir = join(tmpdir(), 'osd-npx-probe');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'osd-npx-probe', version: '1.0.0', private: true, bin: { 'osd-npx-probe': 'probe.js' } })}\n`,
  );
  writeFileSync(join(dir, 'probe.js'), '#!/usr/bin/env node\n', { mode: 0o755 });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
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
const probe = npxProbe();
let npx;
try {
  npx = bench.add(
    await comparePairs({
      name: 'what npx adds',
      baseline: {
        label: 'npx --no -- osd-npx-probe minus the probe run directly (npx own cost for a project bin)',
        run: npxAdds(probe, 'osd-npx-probe', join(probe, 'probe.js'), []),
      },
      ours: { label: 'npx --no -- osd --version minus node_modules/.bin/osd --version', run: npxAdds(root, 'osd', OSD, ['--version']) },
      unit: 'ms',
      better: 'lower',
      goal: { op: '<=', value: 1 },
      warmup: true,
    }),
  );
} finally {
  rmSync(probe, { recursive: true, force: true });
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const npxOsd = med(npx.pairs.map((p) => p.ours.npxMs));
const linkedOsd = med(npx.pairs.map((p) => p.ours.directMs));
console.log(
  `  npx osd --version ${npxOsd.toFixed(0)} ms, linked osd --version ${linkedOsd.toFixed(0)} ms (medians): npx adds ${npx.oursSpread.median.toFixed(0)} ms to osd, ` +
    `${npx.baselineSpread.median.toFixed(0)} ms to an empty bin of a project (its own cost)`,
);
bench.figure('npx osd --version', npxOsd, 'ms', 'lower');
bench.figure('linked osd --version', linkedOsd, 'ms', 'lower');
bench.finish({ file: FILE, runsPerSample: RUNS });
