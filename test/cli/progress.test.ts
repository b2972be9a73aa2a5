import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, startProgress, withProgress, type ProgressStream } from '../../src/cli/progress.js';

/** A stream that keeps what is written, and a clock the test moves. */
function fake(isTTY: boolean, columns = 120): { stream: ProgressStream; text: () => string; clock: { t: number }; now: () => number } {
  const out: string[] = [];
  const clock = { t: 1_000_000 };
  return { stream: { isTTY, columns, write: (s: string) => out.push(s) }, text: () => out.join(''), clock, now: () => clock.t };
}

const MiB = 1024 * 1024;

describe('progress (src/cli/progress.ts)', () => {
  it('not a terminal: plain lines at 25, 50, 75 and 100 %, with amounts, rate and time left', () => {
    const f = fake(false);
    const p = startProgress({ label: 'uploading big.wim', total: 100 * MiB, stream: f.stream, now: f.now });
    for (let i = 1; i <= 100; i++) {
      f.clock.t += 10; // 100 MiB/s
      p.update(i * MiB);
    }
    p.done();
    const lines = f.text().trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^uploading big\.wim: 25% \(25\.0 MiB of 100\.0 MiB, 100\.0 MiB\/s, 1 s left\)$/);
    expect(lines[1]).toMatch(/^uploading big\.wim: 50% /);
    expect(lines[2]).toMatch(/^uploading big\.wim: 75% /);
    expect(lines[3]).toMatch(/^uploading big\.wim: 100% \(100\.0 MiB of 100\.0 MiB, in 1 s, 100\.0 MiB\/s\)$/);
    expect(f.text()).not.toContain('\r');
    expect(f.text()).not.toContain('\x1b');
  });

  it('not a terminal: slow work also gets a line every few seconds between the quarters', () => {
    const f = fake(false);
    const p = startProgress({ label: 'distributing', total: 4, unit: 'items', items: 'copies', stream: f.stream, now: f.now, lineEveryMs: 5000 });
    p.update(0);
    f.clock.t += 6000;
    p.update(0);
    f.clock.t += 1000;
    p.update(1);
    p.update(4);
    p.done();
    expect(f.text().trimEnd().split('\n')).toEqual([
      'distributing: 0% (0 of 4 copies)',
      'distributing: 25% (1 of 4 copies, 3 s left)',
      'distributing: 100% (4 of 4 copies, in 7 s)',
    ]);
  });

  it('a terminal: one bar redrawn in place (at most ten times a second), ended by a new line', () => {
    const f = fake(true, 200);
    const p = startProgress({ label: 'uploading big.wim', total: 10 * MiB, stream: f.stream, now: f.now });
    for (let i = 1; i <= 10; i++) {
      f.clock.t += 50;
      p.update(i * MiB);
    }
    p.done();
    const text = f.text();
    const draws = text.split('\r').filter(Boolean);
    // 10 updates 50 ms apart: every other one drawn, plus the final one.
    expect(draws.length).toBeGreaterThanOrEqual(5);
    expect(draws.length).toBeLessThanOrEqual(7);
    expect(draws[0]).toBe('uploading big.wim [##......................]  10%  1.0/10.0 MiB\x1b[K');
    expect(draws[3]).toMatch(/^uploading big\.wim \[#*\.*\] +\d+% {2}[\d.]+\/10\.0 MiB {2}[\d.]+ MiB\/s {2}ETA \d+ s\x1b\[K$/);
    expect(draws.at(-1)).toMatch(/^uploading big\.wim \[#{24}\] 100% {2}10\.0\/10\.0 MiB in 1 s, [\d.]+ MiB\/s\x1b\[K\n$/);
    expect(text.split('\n')).toHaveLength(2);
  });

  it('a terminal: the bar keeps one width while the numbers change; a terminal without a width is 80 columns', () => {
    const f = fake(true, 0);
    const p = startProgress({ label: 'uploading install.wim', total: 3 * 1024 * MiB, stream: f.stream, now: f.now });
    for (let i = 1; i <= 30; i++) {
      f.clock.t += 200;
      p.update(i * 100 * MiB);
    }
    p.done();
    const draws = f.text().split('\r').filter(Boolean);
    const bars = new Set(draws.map((d) => /\[[#.]*\]/.exec(d)?.[0].length));
    expect(bars.size).toBe(1);
    expect([...bars][0]).toBeGreaterThanOrEqual(10);
    for (const d of draws) expect(d.replace('\x1b[K', '').replace('\n', '').length).toBeLessThanOrEqual(79);
  });

  it('a terminal: the bar fits the width, and a failure closes its line without claiming 100 %', () => {
    const f = fake(true, 40);
    const p = startProgress({ label: 'uploading a-file-with-a-very-long-name.wim', total: 100, stream: f.stream, now: f.now });
    p.update(30);
    p.fail();
    const draws = f.text().split('\r').filter(Boolean);
    expect(draws[0]!.replace('\x1b[K', '').replace('\n', '').length).toBeLessThanOrEqual(39);
    expect(f.text()).not.toContain('100%');
    expect(f.text().endsWith('\n')).toBe(true);
  });

  it('quiet (--json): nothing is written', async () => {
    const f = fake(false);
    await withProgress({ label: 'x', total: 10, stream: f.stream, now: f.now, quiet: true }, async (p) => {
      p.update(5);
      p.add(5);
    });
    expect(f.text()).toBe('');
  });

  it('an unknown total: amounts and rate, no percent', () => {
    const f = fake(false);
    const p = startProgress({ label: 'downloading', stream: f.stream, now: f.now, lineEveryMs: 1000 });
    f.clock.t += 1000;
    p.update(2 * MiB);
    p.done();
    expect(f.text().trimEnd().split('\n')).toEqual(['downloading: (2.0 MiB, 2.0 MiB/s)', 'downloading: (2.0 MiB, in 1 s, 2.0 MiB/s)']);
  });

  it("a label's control characters are shown escaped, never acted on", () => {
    const f = fake(false);
    const p = startProgress({ label: 'uploading a\x1b[2Jb.wim', total: 4, stream: f.stream, now: f.now });
    p.done();
    expect(f.text()).toBe('uploading a\\u{001b}[2Jb.wim: 100% (4 B of 4 B, in 0 s)\n');
  });

  it('formats sizes and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 1024 * MiB)).toBe('3.0 GiB');
    expect(formatDuration(12.4)).toBe('12 s');
    expect(formatDuration(75)).toBe('1:15');
    expect(formatDuration(3725)).toBe('1:02:05');
  });
});
