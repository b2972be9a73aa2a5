// native/streamcheck.c, the streamed apply's check (src/bootenv/guest/stream-apply.ts), as a real
// process between real pipes: every byte passed on and counted; the whole stream's SHA-256 equal to
// Node's; an anchor that matches passes everything, one that does not passes nothing past the
// block that completes it (exit 3); a stream shorter than the anchor is `short`; a reader that leaves
// early is `downstream=closed` (with an anchor streamcheck stops; hashing the whole stream it reads
// the rest); bad arguments exit 2.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findNativeHelper } from '../../src/storage/volume/ntfsfs.js';
import { tempDir } from '../helpers/temp.js';

const HELPER = findNativeHelper('streamcheck');
const SKIP = HELPER ? undefined : 'the native streamcheck helper is not built (make deps)';

interface Run {
  code: number | null;
  out: Buffer;
  report: Map<string, string>;
}

/** Feeds `input` through streamcheck (in 64 KiB writes, like wget); `readBytes`: the reader leaves after that many. */
async function run(input: Buffer, args: string[], readBytes = Infinity): Promise<Run> {
  const report = join(tempDir('osd-streamcheck-'), 'report');
  const child = spawn(HELPER!, ['--report', report, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  let got = 0;
  child.stdout.on('data', (c: Buffer) => {
    if (got >= readBytes) return;
    chunks.push(c);
    got += c.length;
    if (got >= readBytes) child.stdout.destroy();
  });
  child.stdin.on('error', () => undefined); // exit 3 closes its stdin early
  void (async () => {
    for (let at = 0; at < input.length; at += 65536) {
      if (!child.stdin.write(input.subarray(at, at + 65536))) await new Promise((r) => child.stdin.once('drain', r));
      if (child.stdin.destroyed) return;
    }
    child.stdin.end();
  })();
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const out = new Map<string, string>();
  for (const line of readFileSync(report, 'utf8').split('\n'))
    if (line.includes('=')) out.set(line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1));
  return { code, out: Buffer.concat(chunks), report: out };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe.skipIf(SKIP)(`streamcheck${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  const data = randomBytes(5 * 1048576 + 12345);

  it("passes every byte on, counts them, and gives the whole stream SHA-256 equal to Node's", async () => {
    const r = await run(data, ['--sha256']);
    expect(r.code).toBe(0);
    expect(r.out.equals(data)).toBe(true);
    expect(Object.fromEntries(r.report)).toEqual({ bytes: String(data.length), anchor: 'none', sha256: sha(data), downstream: 'open' });
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120]) {
      const small = data.subarray(0, n);
      expect((await run(small, ['--sha256'])).report.get('sha256'), `${n} bytes`).toBe(sha(small));
    }
  });

  it('an anchor that matches passes everything; one that does not stops before the block that completes it (exit 3)', async () => {
    const n = 3 * 1048576 + 7;
    const ok = await run(data, ['--anchor-bytes', String(n), '--anchor-sha256', sha(data.subarray(0, n))]);
    expect(ok.code).toBe(0);
    expect(ok.out.equals(data)).toBe(true);
    expect(ok.report.get('anchor')).toBe('ok');
    expect(ok.report.get('anchor_sha256')).toBe(sha(data.subarray(0, n)));

    const bad = await run(data, ['--anchor-bytes', String(n), '--anchor-sha256', 'a'.repeat(64)]);
    expect(bad.code).toBe(3);
    expect(bad.report.get('anchor')).toBe('mismatch');
    expect(bad.out.length).toBeLessThan(n); // the anchor's last bytes never left
    expect(data.subarray(0, bad.out.length).equals(bad.out)).toBe(true);
  });

  it('a stream shorter than the anchor is `short` (exit 3)', async () => {
    const r = await run(data.subarray(0, 1000), ['--anchor-bytes', '5000', '--anchor-sha256', sha(data.subarray(0, 5000))]);
    expect(r.code).toBe(3);
    expect(r.report.get('anchor')).toBe('short');
    expect(r.report.get('bytes')).toBe('1000');
  });

  it('a reader that leaves early (wimlib, once it has the image): with a matching anchor streamcheck stops too; hashing the whole stream, it reads and counts the rest', async () => {
    const anchored = await run(data, ['--anchor-bytes', '100', '--anchor-sha256', sha(data.subarray(0, 100))], 1048576);
    expect(anchored.code).toBe(0);
    expect(anchored.report.get('downstream')).toBe('closed');
    expect(Number(anchored.report.get('bytes'))).toBeLessThan(data.length);
    const whole = await run(data, ['--sha256'], 1048576);
    expect(whole.code).toBe(0);
    expect(whole.report.get('downstream')).toBe('closed');
    expect(whole.report.get('bytes')).toBe(String(data.length));
    expect(whole.report.get('sha256')).toBe(sha(data));
  });

  it('bad arguments exit 2 with the rule', async () => {
    for (const args of [
      ['--anchor-bytes', '0', '--anchor-sha256', 'a'.repeat(64)],
      ['--anchor-bytes', '10'],
      ['--anchor-bytes', '10', '--anchor-sha256', 'XYZ'],
      ['--bogus'],
    ]) {
      const child = spawn(HELPER!, ['--report', join(tempDir('osd-streamcheck-'), 'r'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d));
      expect(await new Promise((r) => child.on('close', r)), args.join(' ')).toBe(2);
      expect(err).toMatch(/streamcheck: /);
    }
  });
});
