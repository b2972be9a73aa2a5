// The stream anchor of a pipable WIM (src/storage/pipable-wim.ts): the SHA-256 of its first bytes up
// to the end of the last image's metadata resource, read from the WIM's own blob table — checked
// against wimlib's own view of the blob table (`wimlib-imagex info --blobs`), for one and several
// images, compressed and not; and no anchor for a normal WIM, a truncated one or one whose tables lie.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipableWimAnchor } from '../../src/storage/pipable-wim.js';
import { tempDir } from '../helpers/temp.js';

function missing(): string | undefined {
  try {
    execFileSync('sh', ['-c', 'command -v wimlib-imagex']);
    return undefined;
  } catch {
    return 'wimlib-imagex is not installed (make deps)';
  }
}
const SKIP = missing();

let dir: string;
const wim = (name: string): string => join(dir, name);

/** Where wimlib says the metadata resources end: max(offset + compressed size) over the METADATA blobs. */
function metadataEndByWimlib(path: string): number {
  const out = execFileSync('wimlib-imagex', ['info', path, '--blobs'], { encoding: 'utf8' });
  let end = 0;
  for (const block of out.split(/\n\s*\n/)) {
    if (!/WIM_RESHDR_FLAG_METADATA/.test(block)) continue;
    const size = Number(/Compressed size\s*=\s*(\d+)/.exec(block)?.[1] ?? /Uncompressed size\s*=\s*(\d+)/.exec(block)![1]);
    const offset = Number(/Offset in WIM\s*=\s*(\d+)/.exec(block)![1]);
    end = Math.max(end, offset + size);
  }
  return end;
}

const sha256Of = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

beforeAll(() => {
  if (SKIP) return;
  dir = tempDir('osd-pwm-anchor-');
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'Windows/System32'), { recursive: true });
  writeFileSync(join(tree, 'Windows/System32/kernel32.dll'), 'not really a DLL\n');
  writeFileSync(join(tree, 'big.bin'), randomBytes(1 << 20));
  const q = { stdio: 'ignore' as const };
  execFileSync('wimlib-imagex', ['capture', tree, wim('normal.wim'), 'One'], q);
  execFileSync('wimlib-imagex', ['append', tree, wim('normal.wim'), 'Two'], q);
  execFileSync('wimlib-imagex', ['export', wim('normal.wim'), 'all', wim('two.wim'), '--pipable'], q);
  execFileSync('wimlib-imagex', ['capture', tree, wim('raw.wim'), 'Raw', '--pipable', '--compress=none', '--check'], q);
});

describe.skipIf(SKIP)(`the stream anchor of a pipable WIM${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  it('ends where wimlib says the last metadata resource ends, and hashes exactly those first bytes', async () => {
    for (const name of ['two.wim', 'raw.wim']) {
      const a = await pipableWimAnchor(wim(name));
      const bytes = readFileSync(wim(name));
      expect(a, name).toEqual({ bytes: metadataEndByWimlib(wim(name)), sha256: sha256Of(bytes.subarray(0, a!.bytes)) });
      // The first file's pipable blob header follows at once (magic 0x2b9b9ba2443db9d8).
      expect(bytes.readBigUInt64LE(a!.bytes)).toBe(0x2b9b9ba2443db9d8n);
    }
  });

  it('a normal WIM, a truncated pipable WIM and one whose blob table points past the file have none', async () => {
    expect(await pipableWimAnchor(wim('normal.wim'))).toBeUndefined();
    const bytes = readFileSync(wim('two.wim'));
    writeFileSync(wim('cut.wim'), bytes.subarray(0, bytes.length - 100));
    expect(await pipableWimAnchor(wim('cut.wim'))).toBeUndefined();
    const lying = Buffer.from(bytes);
    // The end header's blob table offset (at 208 - 208 + 56 from the end header's start) set past the end.
    lying.writeBigUInt64LE(BigInt(bytes.length * 2), bytes.length - 208 + 56);
    writeFileSync(wim('lying.wim'), lying);
    expect(await pipableWimAnchor(wim('lying.wim'))).toBeUndefined();
    // A metadata entry whose offset is 0 (before its own blob header).
    const table = Number(bytes.readBigUInt64LE(bytes.length - 208 + 56));
    const zeroed = Buffer.from(bytes);
    for (let at = table; at < table + Number(bytes.readUIntLE(bytes.length - 208 + 48, 6)); at += 50) {
      if (zeroed[at + 7]! & 0x02) zeroed.writeBigUInt64LE(0n, at + 8);
    }
    writeFileSync(wim('zero-offset.wim'), zeroed);
    expect(await pipableWimAnchor(wim('zero-offset.wim'))).toBeUndefined();
    writeFileSync(wim('tiny.wim'), Buffer.from('WLPWM\0\0\0'));
    expect(await pipableWimAnchor(wim('tiny.wim'))).toBeUndefined();
  });
});
