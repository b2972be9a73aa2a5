// The store's frame reader and writer details behind the restore and capture speed-ups
// (docs/user-state.md "Performance"): packs read from a host folder go through one reused buffer
// (FileCursor), any other source through the stream cursor — both must give the same bytes, across
// frames that straddle the 8 MiB read window, several packs, skipped files, plain and encrypted
// stores; the incompressibility test (byte entropy of a sample) stores random data and deflates text.
import { createHash, createCipheriv, randomBytes } from 'node:crypto';
import { openSync, readSync, closeSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  CODEC_DEFLATE_RAW,
  CODEC_STORED,
  HostStoreDir,
  looksCompressible,
  packName,
  StoreReader,
  StoreWriter,
  type FrameRef,
  type StoreSource,
} from '../../../src/actions/user-state/store-format.js';
import { tempDir } from '../../helpers/temp.js';

const STORE_ID = '3c0f8d2e-5b41-4a6f-9e2d-7a1b0c9d8e7f';

function random(n: number, seed: number): Buffer {
  return createCipheriv('aes-256-ctr', createHash('sha256').update(String(seed)).digest(), Buffer.alloc(16)).update(Buffer.alloc(n));
}
function text(n: number, seed: number): Buffer {
  const words = ['quarter', 'budget', 'the', 'invoice', 'meeting', 'plan', 'draft', String(seed)];
  const parts: string[] = [];
  let len = 0;
  for (let i = 0; len < n; i++) {
    const w = `${words[(i * 7 + seed) % words.length]} `;
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join('').slice(0, n));
}

/** The same host folder seen without hostPath: packs come through the stream cursor. */
function streamOnly(dir: HostStoreDir): StoreSource {
  return {
    description: dir.description,
    readFile: (n) => dir.readFile(n),
    size: (n) => dir.size(n),
    openRead: (n): Promise<Readable> => dir.openRead(n),
  };
}

// Sizes chosen so frames straddle the 8 MiB window and packs (12 MiB here) roll over mid-file.
const FILES = [
  { data: text(3 * 1024 * 1024 + 17, 1) },
  { data: random(9 * 1024 * 1024 + 5, 2) }, // three frames, the second across the window
  { data: text(200, 3) },
  { data: random(70 * 1024, 4) },
  { data: Buffer.alloc(0) },
  { data: text(6 * 1024 * 1024, 5) },
  { data: random(4 * 1024 * 1024, 6) }, // exactly one frame
  { data: text(130 * 1024, 7) },
];

async function writeStore(key: Buffer | undefined) {
  const dir = tempDir('us-reader-');
  const writer = new StoreWriter(new HostStoreDir(dir), { storeId: STORE_ID, key, packMaxBytes: 12 * 1024 * 1024 });
  const stored: Array<{ frames: FrameRef[]; sha256: string; size: number }> = [];
  for (const [i, f] of FILES.entries()) {
    // In 1 MiB pieces, as a volume's stream hands them over; the last file's frames still compressing (wait: false).
    const pieces: Buffer[] = [];
    for (let at = 0; at < f.data.length; at += 1 << 20) pieces.push(f.data.subarray(at, at + (1 << 20)));
    stored.push(await writer.addFile(pieces, { wait: i % 2 === 0 }));
  }
  const manifest = { format: 'openosd.userstate/v1', files: stored };
  const store = await writer.finish(manifest);
  return { dir, stored, store };
}

async function readAll(reader: StoreReader, stored: Array<{ frames: FrameRef[] }>, only?: number[]): Promise<Map<number, Buffer>> {
  const out = new Map<number, Buffer>();
  for (const [i, s] of stored.entries()) {
    if (only && !only.includes(i)) continue;
    const parts: Buffer[] = [];
    // Kept as handed over (a restore holds small files' bytes while it decodes the next ones).
    for await (const c of reader.readFrames(s.frames, `file ${i}`)) parts.push(c);
    out.set(i, parts.length === 1 ? parts[0] : Buffer.concat(parts));
  }
  return out;
}

describe('store reader: host folder (reused buffer) and stream give the same bytes', () => {
  for (const mode of ['encrypted', 'plain'] as const) {
    it(`${mode}: every file, several packs, frames across the read window; then every other file (skips)`, async () => {
      const key = mode === 'encrypted' ? randomBytes(32) : undefined;
      const { dir, stored, store } = await writeStore(key);
      expect(store.packs.length).toBeGreaterThan(1);
      for (const [i, f] of FILES.entries()) {
        expect(stored[i].size).toBe(f.data.length);
        expect(stored[i].sha256).toBe(createHash('sha256').update(f.data).digest('hex'));
      }
      for (const source of [new HostStoreDir(dir), streamOnly(new HostStoreDir(dir))]) {
        const reader = await StoreReader.open(source, key);
        const all = await readAll(reader, stored);
        for (const [i, f] of FILES.entries()) expect(all.get(i)!.equals(f.data), `file ${i}`).toBe(true);
        reader.close();
        const some = await StoreReader.open(source, key);
        const picked = await readAll(some, stored, [1, 3, 6]);
        for (const i of [1, 3, 6]) expect(picked.get(i)!.equals(FILES[i].data), `file ${i} after a skip`).toBe(true);
        some.close();
      }
    });
  }

  it('an altered frame fails with its tag; the next file still reads (the cursor is placed again)', async () => {
    const key = randomBytes(32);
    const { dir, stored } = await writeStore(key);
    const victim = stored[1].frames[1];
    const fd = openSync(join(dir, packName(victim.pack)), 'r+');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, victim.offset + 100);
    writeSync(fd, Buffer.from([b[0] ^ 1]), 0, 1, victim.offset + 100);
    closeSync(fd);
    const reader = await StoreReader.open(new HostStoreDir(dir), key);
    await expect(readAll(reader, stored, [1])).rejects.toMatchObject({
      errorName: 'USERSTATE_INTEGRITY',
      message: expect.stringMatching(/authentication tag/),
    });
    const after = await readAll(reader, stored, [2, 3]);
    expect(after.get(3)!.equals(FILES[3].data)).toBe(true);
    reader.close();
  });

  it('a pack cut short: reading past its end is USERSTATE_INTEGRITY, never bytes that are not there', async () => {
    const key = randomBytes(32);
    const { dir, stored } = await writeStore(key);
    const last = stored[5].frames[stored[5].frames.length - 1];
    const { truncateSync } = await import('node:fs');
    truncateSync(join(dir, packName(last.pack)), last.offset + 50);
    const reader = await StoreReader.open(new HostStoreDir(dir), key);
    await expect(readAll(reader, stored, [5])).rejects.toMatchObject({ errorName: 'USERSTATE_INTEGRITY', message: expect.stringMatching(/cut short/) });
    reader.close();
  });
});

describe('incompressible data is stored, text deflated', () => {
  it('looksCompressible: random bytes no, text and zeros yes, tiny buffers yes', () => {
    expect(looksCompressible(random(64 * 1024, 9))).toBe(false);
    expect(looksCompressible(random(5000, 10))).toBe(false);
    expect(looksCompressible(text(64 * 1024, 11))).toBe(true);
    expect(looksCompressible(Buffer.alloc(100_000))).toBe(true);
    expect(looksCompressible(random(40, 12))).toBe(true);
  });

  it('frames: codec 1 for text, codec 0 for random data (read from the frame headers)', async () => {
    const key = randomBytes(32);
    const { dir, stored } = await writeStore(key);
    const codecOf = (ref: FrameRef): number => {
      const fd = openSync(join(dir, packName(ref.pack)), 'r');
      const h = Buffer.alloc(6);
      readSync(fd, h, 0, 6, ref.offset);
      closeSync(fd);
      return h[5];
    };
    for (const i of [0, 2, 5, 7]) for (const f of stored[i].frames) expect(codecOf(f), `text file ${i}`).toBe(CODEC_DEFLATE_RAW);
    for (const i of [1, 3, 6]) for (const f of stored[i].frames) expect(codecOf(f), `random file ${i}`).toBe(CODEC_STORED);
  });
});
