/**
 * File times between nanoseconds, a volume's milliseconds and `utimes` seconds (src/storage/volume/times.ts).
 * A CI run restored a file 1 µs older than its source: `utimes(p, ms / 1000)` went through a double
 * a hair below the microsecond, which libuv then truncated.
 */
import { mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTime, parseTime } from '../../src/actions/user-state/times.js';
import { DirectoryVolume } from '../../src/storage/volume/directory.js';
import { microsecondOf, msFromNs, utimeSeconds } from '../../src/storage/volume/times.js';
import { tempDir } from './helpers.js';

/** What libuv's uv__fs_to_timespec makes of `seconds` (Node's utimes/futimes): the microsecond it sets. */
function libuvMicroseconds(t: number): bigint {
  let sec = Math.trunc(t);
  let nsec = Math.trunc((t - sec) * 1e9);
  nsec -= nsec % 1000;
  if (nsec < 0) {
    nsec += 1e9;
    sec -= 1;
  }
  return BigInt(sec) * 1_000_000n + BigInt(nsec / 1000);
}

const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));
/** 1970 … 2100 in nanoseconds (after 2109 a double's step passes half a microsecond; times.ts). */
const nanoseconds = fc.bigInt({ min: 0n, max: 4_102_444_800_000_000_000n });

describe('file times (times.ts)', () => {
  it('a stored ms / 1000 loses a microsecond that utimeSeconds keeps (the CI failure)', () => {
    const ns = 1_733_613_000_591_786_000n; // found by search: Node's mtimeMs of it, divided by 1000
    const nodeMtimeMs = Number(ns / 1_000_000_000n) * 1e3 + Number(ns % 1_000_000_000n) / 1e6;
    expect(libuvMicroseconds(nodeMtimeMs / 1000)).toBe(ns / 1000n - 1n);
    expect(libuvMicroseconds(utimeSeconds(msFromNs(ns)))).toBe(ns / 1000n);
  });

  it('msFromNs writes the microsecond as the shortest decimal, and microsecondOf reads it back', () => {
    fc.assert(
      fc.property(nanoseconds, (ns) => {
        const ms = msFromNs(ns);
        const us = ns / 1000n;
        expect(microsecondOf(ms)).toBe(us);
        const [whole, frac = ''] = String(ms).split('.');
        expect(`${whole}.${frac.padEnd(3, '0')}`).toBe(`${us / 1000n}.${String(us % 1000n).padStart(3, '0')}`);
      }),
      { numRuns: 5000 },
    );
  });

  it('an NTFS time (100 ns in the digits) sets the microsecond its digits name', () => {
    expect(libuvMicroseconds(utimeSeconds(1_733_613_000_591.7869))).toBe(1_733_613_000_591_786n);
    expect(libuvMicroseconds(utimeSeconds(1_733_613_000_591.7861))).toBe(1_733_613_000_591_786n);
    expect(libuvMicroseconds(utimeSeconds(1_733_613_000_591))).toBe(1_733_613_000_591_000n);
  });

  it('nanoseconds → ms → ISO in a store → ms → utimes seconds sets the same microsecond', () => {
    fc.assert(
      fc.property(nanoseconds, (ns) => {
        const ms = msFromNs(ns);
        expect(libuvMicroseconds(utimeSeconds(ms))).toBe(ns / 1000n);
        expect(libuvMicroseconds(utimeSeconds(parseTime(isoTime(ms))))).toBe(ns / 1000n);
      }),
      { numRuns: 20000 },
    );
  });

  it('before 1970 too (a negative time)', () => {
    for (const ns of [-1n, -100n, -1_000n, -1_500n, -86_400_000_000_123n]) {
      expect(microsecondOf(msFromNs(ns))).toBe(floorDiv(ns, 1000n));
      expect(libuvMicroseconds(utimeSeconds(msFromNs(ns)))).toBe(floorDiv(ns, 1000n));
    }
  });

  it('real files: times read from a directory volume and written to another keep their microsecond', async () => {
    const tmp = tempDir('volume-times');
    const src = join(tmp.dir, 'src');
    const dst = join(tmp.dir, 'dst');
    mkdirSync(src);
    mkdirSync(dst);
    const names: string[] = [];
    for (let i = 0; i < 300; i++) {
      const name = `f${i}.txt`;
      writeFileSync(join(src, name), `file ${i}`); // now, to the nanosecond: a different fraction each
      names.push(name);
    }
    // And some set explicitly at odd fractions (the file system keeps what utimes gives it).
    utimesSync(join(src, 'f0.txt'), 1_700_000_000.123457, 1_733_613_000.591786);
    const from = new DirectoryVolume(src);
    const to = new DirectoryVolume(dst);
    for (const name of names) {
      const meta = await from.stat(name);
      if (!meta) throw new Error(`${name} missing`);
      // Through writeStream's futimes for the even files, setMeta's utimes for the odd ones.
      if (names.indexOf(name) % 2 === 0)
        await to.writeStream(name, Readable.from([Buffer.from('x')]), { modifiedMs: meta.modifiedMs, accessedMs: meta.accessedMs });
      else {
        await to.writeStream(name, Readable.from([Buffer.from('x')]));
        await to.setMeta(name, { modifiedMs: meta.modifiedMs, accessedMs: meta.accessedMs });
      }
    }
    for (const name of names) {
      const a = statSync(join(src, name), { bigint: true });
      const b = statSync(join(dst, name), { bigint: true });
      expect({ name, m: b.mtimeNs / 1000n, a: b.atimeNs / 1000n }).toEqual({ name, m: a.mtimeNs / 1000n, a: a.atimeNs / 1000n });
    }
    tmp.cleanup();
  });
});
