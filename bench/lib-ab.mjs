// The benchmark method (issue 16 item 1), shared by every benchmark in bench/:
//  - a comparison runs its baseline and ours alternately, A B A B …, at least five pairs (a first,
//    unrecorded warm-up pair when asked), so that a slow spell of a shared machine hits both;
//  - each pair gives one ratio; the summary prints min / median / max of the ratios and the
//    baseline's own spread (min / median / max of its values), so noise is visible next to the
//    result;
//  - the result is written as JSON to .tmp/bench/<name>.json (bench/compare.mjs OLD NEW compares two
//    runs), with the commit, the machine's load average before and after, and every pair's values.
//
// A ratio is "ours relative to the baseline" in the direction the goal is written:
//  - `better: 'lower'` (times): ratio = ours / baseline, e.g. "within 1.5× of tar | zstd" is ratio ≤ 1.5;
//  - `better: 'higher'` (throughputs): ratio = ours / baseline, e.g. "≥ 0.95× curl -o" is ratio ≥ 0.95.
// A run's values are whatever `run()` returns: a number, or { value, ...details } (details kept in JSON).
// An operation of a few milliseconds is not a run on its own: sampleLoop(fn, N) times N calls as one
// sample (after a GC), with N from calibrate(fn) (after a warm-up) so a sample lasts ~250 ms; both
// sides then report their CPU time as well, and the summary gives the CPU-time ratio beside the wall
// one. A benchmark that must run its pairs itself hands them to summarizePairs. docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const root = new URL('..', import.meta.url).pathname;
export const BENCH_DIR = join(root, '.tmp', 'bench');

/** min / median / max (the median of an even count is the mean of the middle two). */
export function spread(xs) {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return { min: NaN, median: NaN, max: NaN, n: 0 };
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { min: s[0], median, max: s[s.length - 1], n: s.length };
}

/** Pairs from the environment (OSD_BENCH_PAIRS), never fewer than 5 unless OSD_BENCH_PAIRS says so explicitly. */
export function pairCount(dflt = 5) {
  const n = Number(process.env.OSD_BENCH_PAIRS ?? dflt);
  if (!Number.isInteger(n) || n < 1) throw new Error(`OSD_BENCH_PAIRS=${process.env.OSD_BENCH_PAIRS}: a whole number of pairs ≥ 1 is needed`);
  return n;
}

const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
const valueOf = (r) => (typeof r === 'number' ? r : (r?.value ?? NaN));

/**
 * Runs one comparison: `pairs` pairs of (baseline, ours), the baseline first in every pair, so the
 * runs go A B A B … and a slow spell of the machine falls on both.
 * @param {object} c
 * @param {string} c.name         what is compared, e.g. 'download 1 GiB'
 * @param {{label: string, run: () => Promise<number|object>|number|object}} c.baseline  named exactly, e.g. 'curl -s -o FILE'
 * @param {{label: string, run: () => Promise<number|object>|number|object}} c.ours
 * @param {string} c.unit         'ms', 'MB/s', 'req/s' …
 * @param {'lower'|'higher'} c.better  which direction of the value is better
 * @param {{op: '<='|'>=', value: number}} [c.goal]  the goal on the median ratio, when the issue sets one
 * @param {number} [c.pairs]     default pairCount()
 * @param {boolean} [c.warmup]   run one unrecorded pair first (caches, JIT)
 * @param {(line: string) => void} [c.log]
 */
export async function comparePairs(c) {
  const pairs = c.pairs ?? pairCount();
  const log = c.log ?? ((l) => console.log(l));
  if (c.warmup) {
    await c.baseline.run();
    await c.ours.run();
  }
  const rows = [];
  for (let i = 0; i < pairs; i++) {
    const a = await c.baseline.run();
    const b = await c.ours.run();
    const ratio = valueOf(b) / valueOf(a);
    rows.push({ baseline: a, ours: b, ratio });
    log(`  ${c.name}, pair ${i + 1}/${pairs}: ${c.baseline.label} ${fmt(valueOf(a))} ${c.unit}, ours ${fmt(valueOf(b))} ${c.unit}, ratio ${fmt(ratio)}`);
  }
  return summarizePairs({ ...c, pairs: undefined, rows, log });
}

/**
 * The summary of pairs measured elsewhere: for a benchmark that must run its pairs itself (e.g. the
 * baseline needs what ours just made, so each pair runs ours first), with comparePairs' printout and
 * result. `rows` are { baseline, ours } run values (numbers or { value, ... }); a row's ratio is
 * computed here (ours / baseline) unless given.
 */
export function summarizePairs(c) {
  const log = c.log ?? ((l) => console.log(l));
  const rows = c.rows.map((r) => ({ ...r, ratio: r.ratio ?? valueOf(r.ours) / valueOf(r.baseline) }));
  const ratio = spread(rows.map((r) => r.ratio));
  const baselineSpread = spread(rows.map((r) => valueOf(r.baseline)));
  const oursSpread = spread(rows.map((r) => valueOf(r.ours)));
  const met = c.goal ? (c.goal.op === '<=' ? ratio.median <= c.goal.value : ratio.median >= c.goal.value) : undefined;
  log(
    `  ${c.name}: ratio ours/${c.baseline.label} min ${fmt(ratio.min)} median ${fmt(ratio.median)} max ${fmt(ratio.max)}` +
      ` (${c.better} is better${c.goal ? `; goal ${c.goal.op} ${c.goal.value}: ${met ? 'met' : 'NOT met'} at the median` : ''})`,
  );
  log(
    `  ${c.name}: baseline ${fmt(baselineSpread.min)} / ${fmt(baselineSpread.median)} / ${fmt(baselineSpread.max)} ${c.unit}` +
      ` (spread ${fmt(baselineSpread.max / baselineSpread.min)}×), ours ${fmt(oursSpread.min)} / ${fmt(oursSpread.median)} / ${fmt(oursSpread.max)} ${c.unit}`,
  );
  // When both sides report their CPU time (sampleLoop does), its ratio too: on a shared machine the
  // CPU time is not inflated by waiting for a core, so it separates "slower" from "descheduled".
  const cpuRows = rows.filter((r) => Number.isFinite(r.baseline?.cpuMs) && Number.isFinite(r.ours?.cpuMs));
  const cpuRatio = cpuRows.length === rows.length && rows.length ? spread(cpuRows.map((r) => r.ours.cpuMs / r.baseline.cpuMs)) : undefined;
  if (cpuRatio) log(`  ${c.name}: CPU-time ratio min ${fmt(cpuRatio.min)} median ${fmt(cpuRatio.median)} max ${fmt(cpuRatio.max)}`);
  return {
    name: c.name,
    baseline: c.baseline.label,
    ours: c.ours.label,
    unit: c.unit,
    better: c.better,
    ...(c.goal ? { goal: c.goal, met } : {}),
    ratio,
    baselineSpread,
    oursSpread,
    ...(cpuRatio ? { cpuRatio } : {}),
    pairs: rows,
  };
}

/** Times one run of fn in milliseconds (wall), returning { value: ms, ...whatever fn returned as an object }. */
export async function timed(fn) {
  const t = performance.now();
  const r = await fn();
  const value = performance.now() - t;
  return r && typeof r === 'object' ? { ...r, value } : { value };
}

/**
 * Asks V8 for a full garbage collection, when it can be had without a command-line flag (node's
 * --expose-gc, set here through v8.setFlagsFromString and fetched from a fresh context). Called
 * before each sample of a CPU-bound comparison so that one side's garbage is not collected (and
 * charged) during the other side's sample. Returns whether a collection ran.
 */
export function collectGarbage() {
  if (!gcFn) {
    try {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc');
    } catch {
      gcFn = () => false;
    }
  }
  return gcFn() !== false;
}
let gcFn;

// Calls fn, awaiting only what is a promise: a synchronous operation is not charged a microtask per call.
function call(fn) {
  const r = fn();
  return r && typeof r.then === 'function' ? r : undefined;
}

/**
 * One sample of a short synchronous or asynchronous operation: `iterations` calls of fn timed
 * together (after a garbage collection), as ms per call, with the process's CPU time per call
 * (user + system, which a shared machine's descheduling does not inflate) as a detail.
 * A call of a few milliseconds is too short to be a sample on its own: the scheduler's time slice,
 * one GC pause or one JIT tier-up is as long as the call (issue 16: the round trip of a 100 KiB file
 * swung 0.11–1.16× when each call was a sample). Use calibrate() to choose `iterations`.
 */
export async function sampleLoop(fn, iterations) {
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`sampleLoop: iterations must be a whole number ≥ 1 (got ${iterations})`);
  collectGarbage();
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  for (let i = 0; i < iterations; i++) {
    const p = call(fn);
    if (p) await p;
  }
  const wall = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  return { value: wall / iterations, iterations, cpuMs: (cpu.user + cpu.system) / 1000 / iterations };
}

/**
 * Warms fn up (calls it for at least `warmupMs`, so that V8 has tiered it up: a 100 KiB round trip
 * runs 2-5× slower for its first ~50 calls) and returns how many calls make one sample last about
 * `sampleMs`, at least 1.
 */
export async function calibrate(fn, { sampleMs = 250, warmupMs = 500 } = {}) {
  let calls = 0;
  const t = performance.now();
  while (performance.now() - t < warmupMs || calls < 3) {
    const p = call(fn);
    if (p) await p;
    calls++;
  }
  // The per-call time of the last, warm calls.
  const probe = Math.max(3, Math.ceil(calls / 4));
  const t1 = performance.now();
  for (let i = 0; i < probe; i++) {
    const p = call(fn);
    if (p) await p;
  }
  const perCall = (performance.now() - t1) / probe;
  return Math.max(1, Math.round(sampleMs / Math.max(perCall, 1e-6)));
}

function commit() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return dirty ? `${head}+changes` : head;
  } catch {
    return 'unknown';
  }
}

/**
 * A benchmark's run: call start() at its beginning, add() each comparison (or extra figures), and
 * finish() at its end, which writes .tmp/bench/<name>.json and returns its path.
 */
export function benchRun(name) {
  const started = new Date();
  const load0 = loadavg();
  const comparisons = [];
  const figures = {};
  return {
    add(result) {
      comparisons.push(result);
      return result;
    },
    /** A figure that is not a comparison (peak RSS, a count): kept in JSON and compared by value. */
    figure(key, value, unit, better) {
      figures[key] = { value, unit, ...(better ? { better } : {}) };
    },
    finish(extra = {}) {
      const out = {
        format: 'openosd.bench/v1',
        bench: name,
        started: started.toISOString(),
        seconds: (Date.now() - started.getTime()) / 1000,
        commit: commit(),
        machine: { cpus: cpus().length, loadavgBefore: load0.map((x) => +x.toFixed(2)), loadavgAfter: loadavg().map((x) => +x.toFixed(2)) },
        comparisons,
        figures,
        ...extra,
      };
      mkdirSync(BENCH_DIR, { recursive: true });
      const file = join(BENCH_DIR, `${name}.json`);
      writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
      console.log(`  results: ${file} (load average ${out.machine.loadavgBefore[0]} → ${out.machine.loadavgAfter[0]} on ${out.machine.cpus} cores)`);
      return file;
    },
  };
}
