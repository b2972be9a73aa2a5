/**
 * bench/compare.mjs (issue 16 item 1): real result files in a temporary folder, the script run as a
 * process, its report and exit status checked for good input (0) and bad input (2, naming the file
 * and the rule). Also spread() of bench/lib-ab.mjs, which every result's min / median / max comes from.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error bench/lib-ab.mjs is plain JavaScript without type declarations
import { spread, summarizePairs } from '../../bench/lib-ab.mjs';

const script = new URL('../../bench/compare.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'osd-bench-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Range {
  min: number;
  median: number;
  max: number;
}
const r = (median: number, min: number, max: number): Range => ({ min, median, max });

function result(
  bench: string,
  comparisons: { name: string; ratio: Range; better?: 'lower' | 'higher'; goal?: { op: '<=' | '>='; value: number } }[],
  figures = {},
) {
  return {
    format: 'openosd.bench/v1',
    bench,
    started: '2026-12-07T20:00:00.000Z',
    seconds: 12,
    commit: 'abc1234',
    machine: { cpus: 2, loadavgBefore: [0.5, 0.5, 0.5], loadavgAfter: [0.6, 0.5, 0.5] },
    comparisons: comparisons.map((c) => ({
      baseline: 'fast-xml-parser parse+build',
      ours: 'OpenOSD import+export',
      unit: 'ms',
      better: 'lower',
      baselineSpread: r(10, 9, 11),
      oursSpread: r(5, 4, 6),
      pairs: [],
      ...c,
    })),
    figures,
  };
}

function write(path: string, doc: unknown): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2));
  return path;
}

function compare(...args: string[]) {
  const p = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
  return { status: p.status, stdout: p.stdout, stderr: p.stderr };
}

describe('bench/compare.mjs', () => {
  it('compares two folders: the median ratios, the change, and whether it may be noise', () => {
    const old = join(dir, 'good', 'old');
    const neu = join(dir, 'good', 'new');
    write(
      join(old, 'round-trip.json'),
      result(
        'round-trip',
        [
          { name: 'largest corpus file', ratio: r(0.5, 0.4, 0.6), goal: { op: '<=', value: 2 } },
          { name: 'generated 10,000 steps', ratio: r(1.0, 0.9, 1.1) },
          { name: 'dropped', ratio: r(1, 1, 1) },
        ],
        { 'peak RSS MiB': { value: 700, unit: 'MiB', better: 'lower' } },
      ),
    );
    write(join(old, 'engine.json'), result('engine', [{ name: 'journal', ratio: r(2, 1.8, 2.2) }]));
    write(
      join(neu, 'round-trip.json'),
      result(
        'round-trip',
        [
          // Faster and clear of the old range: better.
          { name: 'largest corpus file', ratio: r(0.25, 0.2, 0.3), goal: { op: '<=', value: 2 } },
          // Slower, but the ranges overlap: may be noise.
          { name: 'generated 10,000 steps', ratio: r(1.05, 0.95, 1.2) },
          { name: 'added', ratio: r(1, 1, 1) },
        ],
        { 'peak RSS MiB': { value: 350, unit: 'MiB', better: 'lower' } },
      ),
    );
    // Another format in the folder (a diagnostic dump): skipped, with a note on stderr.
    write(join(neu, 'engine-diag.json'), { samples: [1, 2, 3] });
    const p = compare(old, neu);
    expect(p.stderr).toContain('engine-diag.json: not an openosd.bench/v1 result');
    expect(p.status).toBe(0);
    const out = p.stdout;
    expect(out).toMatch(
      /largest corpus file \(ratio ours \/ fast-xml-parser parse\+build, lower is better; goal ≤ 2: met\):\n\s+OLD 0\.50 \[0\.40\.\.0\.60\]\s+NEW 0\.25 \[0\.20\.\.0\.30\]\s+change 0\.50× \(-50\.0 %\): better\n/,
    );
    expect(out).toMatch(
      /generated 10,000 steps .*\n\s+OLD 1\.00 \[0\.90\.\.1\.10\]\s+NEW 1\.05 \[0\.95\.\.1\.20\]\s+change 1\.05× \(\+5\.0 %\): worse, may be noise \(ranges overlap\)/,
    );
    expect(out).toContain('dropped: only in OLD');
    expect(out).toContain('added: only in NEW');
    expect(out).toMatch(/figure peak RSS MiB: OLD 700\.00 NEW 350\.00 MiB\s+change 0\.50× \(-50\.0 %\): better/);
    expect(out).toMatch(/engine: only in OLD \(.*engine\.json\)/);
  });

  it('compares two single files, and "higher is better" turns the verdict round', () => {
    const a = write(join(dir, 'single', 'a.json'), result('dp', [{ name: 'download', better: 'higher', ratio: r(0.9, 0.85, 0.95) }]));
    const b = write(join(dir, 'single', 'b.json'), result('dp', [{ name: 'download', better: 'higher', ratio: r(1.2, 1.1, 1.3) }]));
    const p = compare(a, b);
    expect(p.status).toBe(0);
    expect(p.stdout).toMatch(/download .*higher is better.*\n\s+OLD 0\.90 .* NEW 1\.20 .*: better\n/);
    expect(compare(b, a).stdout).toMatch(/download .*\n.*: worse\n/);
  });

  it('exits 2 naming the file and the rule on bad input', () => {
    const good = write(join(dir, 'bad', 'good.json'), result('x', [{ name: 'c', ratio: r(1, 1, 1) }]));
    const cases: [string, unknown, RegExp][] = [
      ['not-json.json', '{ "format": ', /not-json\.json: must be JSON/],
      ['other-format.json', { format: 'something/v2', bench: 'x' }, /other-format\.json: "format" must be "openosd\.bench\/v1"/],
      ['no-name.json', { ...result('x', []), bench: '' }, /no-name\.json: "bench" must be a non-empty string/],
      [
        'bad-better.json',
        result('x', [{ name: 'c', ratio: r(1, 1, 1), better: 'faster' as 'lower' }]),
        /bad-better\.json: comparisons\[0\]\.better must be "lower" or "higher"/,
      ],
      ['bad-order.json', result('x', [{ name: 'c', ratio: r(1, 2, 0.5) }]), /bad-order\.json: comparisons\[0\]\.ratio must satisfy min ≤ median ≤ max/],
      [
        'twice.json',
        result('x', [
          { name: 'c', ratio: r(1, 1, 1) },
          { name: 'c', ratio: r(1, 1, 1) },
        ]),
        /twice\.json: comparisons\[1\]\.name "c" appears twice/,
      ],
      ['bad-figure.json', result('x', [], { rss: { value: 'big', unit: 'MiB' } }), /bad-figure\.json: figures\["rss"\]\.value must be a finite number/],
    ];
    for (const [name, doc, message] of cases) {
      const p = compare(good, write(join(dir, 'bad', name), doc));
      expect(p.status, name).toBe(2);
      expect(p.stderr, name).toMatch(message);
      expect(p.stdout, name).toBe('');
    }
    const missing = compare(good, join(dir, 'bad', 'missing.json'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/missing\.json: does not exist/);
    const usage = compare(good);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/usage: node bench\/compare\.mjs OLD NEW/);
    // A folder: a result file that is not JSON is an error, and so is the same benchmark twice.
    const folder = join(dir, 'bad-folder');
    write(join(folder, 'a.json'), result('same', []));
    write(join(folder, 'b.json'), result('same', []));
    const dup = compare(good, folder);
    expect(dup.status).toBe(2);
    expect(dup.stderr).toMatch(/b\.json: holds benchmark "same", which .*a\.json holds too/);
    const empty = join(dir, 'empty-folder');
    mkdirSync(empty);
    expect(compare(good, empty).stderr).toMatch(/empty-folder: holds no openosd\.bench\/v1 result file/);
  });
});

describe('spread() of bench/lib-ab.mjs', () => {
  it('gives min, median (the mean of the middle two for an even count) and max of the finite values', () => {
    expect(spread([3, 1, 2])).toEqual({ min: 1, median: 2, max: 3, n: 3 });
    expect(spread([4, 1, 3, 2])).toEqual({ min: 1, median: 2.5, max: 4, n: 4 });
    expect(spread([5, NaN, Infinity, 1])).toEqual({ min: 1, median: 3, max: 5, n: 2 });
    const none = spread([]);
    expect(none.n).toBe(0);
    expect(Number.isNaN(none.median)).toBe(true);
  });
});

describe('summarizePairs() of bench/lib-ab.mjs', () => {
  it('gives each pair its ratio ours / baseline, the goal at the median, and the CPU-time ratio when both sides report it', () => {
    const lines: string[] = [];
    const r = summarizePairs({
      name: 'x',
      baseline: { label: 'bare' },
      ours: { label: 'ours' },
      unit: 'ms',
      better: 'lower',
      goal: { op: '<=', value: 1.5 },
      rows: [
        { baseline: { value: 10, cpuMs: 10 }, ours: { value: 12, cpuMs: 11 } },
        { baseline: { value: 20, cpuMs: 10 }, ours: { value: 20, cpuMs: 12 } },
        { baseline: { value: 10, cpuMs: 10 }, ours: { value: 30, cpuMs: 13 } },
      ],
      log: (l: string) => lines.push(l),
    });
    expect(r.pairs.map((p: { ratio: number }) => p.ratio)).toEqual([1.2, 1, 3]);
    expect(r.ratio).toEqual({ min: 1, median: 1.2, max: 3, n: 3 });
    expect(r.met).toBe(true);
    expect(r.baselineSpread).toEqual({ min: 10, median: 10, max: 20, n: 3 });
    expect(r.cpuRatio.median).toBeCloseTo(1.2);
    expect(lines.join('\n')).toMatch(/ratio ours\/bare min 1\.00 median 1\.20 max 3\.00/);
  });

  it('leaves a pair without a value out of the spread (a run that did not finish)', () => {
    const r = summarizePairs({
      name: 'x',
      baseline: { label: 'bare' },
      ours: { label: 'ours' },
      unit: 's',
      better: 'lower',
      rows: [
        { baseline: 2, ours: undefined },
        { baseline: 2, ours: 3 },
      ],
      log: () => {},
    });
    expect(r.ratio).toEqual({ min: 1.5, median: 1.5, max: 1.5, n: 1 });
    expect(r.cpuRatio).toBeUndefined();
  });
});
