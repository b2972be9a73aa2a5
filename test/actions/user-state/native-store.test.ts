// The native data path of the store (native/userstore.c, src/actions/user-state/native-store.ts;
// docs/user-state.md "Round 4") against the Node path: a store written by either is read by either,
// byte for byte with the same times and attributes; packs roll over the same way; a tampered frame and
// an unreadable file fail with the Node path's words and codes. OSD_USERSTORE set to a missing path
// forces the Node path (so this file tests both, whichever is the default).
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { captureUserFiles } from '../../../src/actions/user-state/capture.js';
import type { Manifest } from '../../../src/actions/user-state/manifest.js';
import { NativeCapture, NativeFileError, userstoreHelper } from '../../../src/actions/user-state/native-store.js';
import { restoreUserFiles, type RestoreResult } from '../../../src/actions/user-state/restore.js';
import { BUILT_IN_RULES } from '../../../src/actions/user-state/rules.js';
import { HostStoreDir, StoreReader, StoreWriter, storeIdBytes } from '../../../src/actions/user-state/store-format.js';
import { DirectoryVolume } from '../../../src/storage/volume/directory.js';
import { tempDir } from '../../helpers/temp.js';

const STORE_ID = '3c9d7a10-5b2e-4f61-9a0c-2d8e4b6f1a73';
const HELPER = userstoreHelper();
const saved = process.env.OSD_USERSTORE;
afterEach(() => {
  if (saved === undefined) delete process.env.OSD_USERSTORE;
  else process.env.OSD_USERSTORE = saved;
});
/** Runs `f` on the native path (the helper) or the Node path (OSD_USERSTORE at a missing path). */
async function on<T>(path: 'native' | 'node', f: () => Promise<T>): Promise<T> {
  process.env.OSD_USERSTORE = path === 'native' ? HELPER! : '/nonexistent/userstore';
  try {
    return await f();
  } finally {
    if (saved === undefined) delete process.env.OSD_USERSTORE;
    else process.env.OSD_USERSTORE = saved;
  }
}

const text = (n: number, seed: number): Buffer => {
  const words = ['budget', 'the', 'report', 'of', 'meeting', 'plan', 'total', '2026'];
  let s = '';
  for (let x = seed; s.length < n; x = (x * 1103515245 + 12345) >>> 0) s += `${words[x % words.length]}${x % 9 ? ' ' : '\r\n'}`;
  return Buffer.from(s.slice(0, n));
};
const MiB4 = 4 * 1024 * 1024;

/** A user's files: empty, exactly 4 MiB, 4 MiB + 1, incompressible and compressible, read-only, times. */
function tree(): string {
  const root = tempDir('us-native-src-');
  const docs = join(root, 'Users/jdoe/Documents');
  mkdirSync(join(docs, 'deep/er'), { recursive: true });
  const files: Record<string, Buffer> = {
    'empty.txt': Buffer.alloc(0),
    'exactly-4MiB.txt': text(MiB4, 1),
    'four-MiB-and-one.bin': randomBytes(MiB4 + 1),
    'random-100k.bin': randomBytes(100_000),
    'text-100k.txt': text(100_000, 2),
    'tiny.txt': Buffer.from('hello'),
    'deep/er/nested.txt': text(9_000_000, 3),
    'read-only.txt': text(5000, 4),
  };
  for (const [name, data] of Object.entries(files)) writeFileSync(join(docs, name), data);
  utimesSync(join(docs, 'text-100k.txt'), new Date('2024-03-01T10:20:30.123Z'), new Date('2023-01-02T03:04:05.678Z'));
  chmodSync(join(docs, 'read-only.txt'), 0o444);
  writeFileSync(join(root, 'Users/jdoe/NTUSER.DAT'), 'hive');
  return root;
}

const PROFILE = [{ sid: 'S-1-5-21-1-2-3-1001', account: 'CONTOSO\\jdoe', kind: 'domain' as const, profilePath: 'C:\\Users\\jdoe', folderName: 'jdoe' }];

async function capture(src: string, key: Buffer, options: { packMaxBytes?: number } = {}) {
  const storeDir = tempDir('us-native-store-');
  const writer = new StoreWriter(new HostStoreDir(storeDir), { storeId: STORE_ID, key, packMaxBytes: options.packMaxBytes });
  const { manifest } = await captureUserFiles({
    volume: new DirectoryVolume(src),
    systemDrive: 'C:',
    profiles: PROFILE,
    rules: BUILT_IN_RULES.standard,
    users: { include: [], exclude: [], loggedOnWithinDays: null },
    continueOnLockedFiles: true,
    skipEncryptedFiles: false,
    log: () => undefined,
    target: { kind: 'store', writer },
    storeId: STORE_ID,
    source: { computerName: 'PC-1', capture: 'offline', environment: 'winpe' },
  });
  const store = await writer.finish(manifest);
  return { storeDir, manifest, store };
}

async function restore(storeDir: string, key: Buffer): Promise<{ dst: string; result: RestoreResult }> {
  const dst = tempDir('us-native-dst-');
  const reader = await StoreReader.open<Manifest>(new HostStoreDir(storeDir), key);
  await reader.checkPacks();
  try {
    const result = await restoreUserFiles({
      volume: new DirectoryVolume(dst),
      systemDrive: 'C:',
      computerName: 'PC-2',
      manifest: reader.manifest,
      source: { kind: 'store', reader },
      usmt: { ui: [], ue: [], md: [], mu: [] },
      localAccounts: false,
      continueOnRestore: true,
      collision: 'rename',
      log: () => undefined,
    });
    return { dst, result };
  } finally {
    reader.close();
  }
}

/** Every file of the tree under Users/jdoe/Documents: bytes, modification time (µs), read-only. */
function snapshot(root: string): Record<string, { sha: string; mtimeUs: number; readonly: boolean }> {
  const out: Record<string, { sha: string; mtimeUs: number; readonly: boolean }> = {};
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else {
        const s = statSync(join(root, r), { bigint: true });
        out[r] = {
          sha: createHash('sha256')
            .update(readFileSync(join(root, r)))
            .digest('hex'),
          mtimeUs: Number(s.mtimeNs / 1000n),
          readonly: (Number(s.mode) & 0o222) === 0,
        };
      }
    }
  };
  walk('Users/jdoe/Documents');
  return out;
}

const withoutFrames = (m: Manifest) => m.entries.map(({ frames, ...rest }) => ({ ...rest, frames: frames?.length }));

describe.skipIf(!HELPER)('the native store helper (native/userstore.c)', () => {
  it('a store written by either path is read by either: the same bytes, times and attributes; the same manifest but for frame offsets', async () => {
    const src = tree();
    const key = randomBytes(32);
    const want = snapshot(src);
    const n = await on('native', () => capture(src, key));
    const j = await on('node', () => capture(src, key));
    expect(withoutFrames(n.manifest)).toEqual(withoutFrames(j.manifest));
    // Frame by frame the same codec decisions: the same number of frames in the same pack, stored frames the same size.
    expect(n.store.packs.map((p) => p.file)).toEqual(j.store.packs.map((p) => p.file));
    for (const p of n.store.packs)
      expect(
        createHash('sha256')
          .update(readFileSync(join(n.storeDir, p.file)))
          .digest('hex'),
      ).toBe(p.sha256);
    for (const [store, path] of [
      [n, 'node'],
      [j, 'native'],
      [n, 'native'],
      [j, 'node'],
    ] as const) {
      const { dst, result } = await on(path, () => restore(store.storeDir, key));
      expect(result.errors).toEqual([]);
      expect(result.files).toBe(Object.keys(want).length);
      expect(snapshot(dst)).toEqual(want);
    }
  });

  it('packs roll at the size limit, numbered on from the Node path’s packs; the Node reader reads them', async () => {
    const src = tree();
    const key = randomBytes(32);
    const n = await on('native', () => capture(src, key, { packMaxBytes: 1536 * 1024 }));
    const j = await on('node', () => capture(src, key, { packMaxBytes: 1536 * 1024 }));
    expect(n.store.packs.length).toBeGreaterThan(2);
    expect(n.store.packs.map((p) => p.file)).toEqual(j.store.packs.map((p) => p.file));
    expect(n.manifest.entries.map((e) => e.frames?.map((f) => [f.pack, f.frame]))).toEqual(
      j.manifest.entries.map((e) => e.frames?.map((f) => [f.pack, f.frame])),
    );
    const { dst, result } = await on('node', () => restore(n.storeDir, key));
    expect(result.errors).toEqual([]);
    expect(snapshot(dst)).toEqual(snapshot(src));

    // Node frames, then native ones, then Node again: one store, packs numbered on.
    const storeDir = tempDir('us-native-mixed-');
    const writer = new StoreWriter(new HostStoreDir(storeDir), { storeId: STORE_ID, key, packMaxBytes: 1536 * 1024 });
    const a = await writer.addFile([text(6_000_000, 7)]);
    const b = await on('native', async () => (await writer.addHostFile(join(src, 'Users/jdoe/Documents/deep/er/nested.txt'))).stored);
    const c = await writer.addFile([Buffer.from('last')]);
    const store = await writer.finish({ format: 'openosd.userstate/v1', entries: [] });
    // Each path starts a pack of its own where the other stopped.
    expect(store.packs.map((p) => p.file)).toEqual(store.packs.map((_, i) => `packs/${String(i + 1).padStart(6, '0')}.osdp`));
    expect(a.frames[0].pack).toBe(1);
    expect(b.frames[0].pack).toBe(a.frames.at(-1)!.pack + 1);
    expect(c.frames[0].pack).toBe(b.frames.at(-1)!.pack + 1);
    expect(c.frames[0].pack).toBe(store.packs.length);
    const reader = await StoreReader.open(new HostStoreDir(storeDir), key);
    await reader.checkPacks();
    const chunks: Buffer[] = [];
    for await (const x of reader.readFrames(b.frames, 'nested')) chunks.push(x);
    reader.close();
    expect(Buffer.concat(chunks).equals(readFileSync(join(src, 'Users/jdoe/Documents/deep/er/nested.txt')))).toBe(true);
  });

  it('a tampered frame fails its tag with the Node reader’s error, on either path; the file is not left behind', async () => {
    const src = tree();
    const key = randomBytes(32);
    for (const writerPath of ['native', 'node'] as const) {
      const { storeDir, manifest } = await on(writerPath, () => capture(src, key));
      const victim = manifest.entries.find((e) => e.source.endsWith('text-100k.txt'))!;
      const pack = join(storeDir, 'packs/000001.osdp');
      const bytes = readFileSync(pack);
      bytes[victim.frames![0].offset + 40 + 10] ^= 0x20; // inside its ciphertext
      writeFileSync(pack, bytes);
      const n = await on('native', () => restore(storeDir, key));
      const j = await on('node', () => restore(storeDir, key));
      expect(n.result.errors).toEqual(j.result.errors);
      expect(n.result.errors).toHaveLength(1);
      expect(n.result.errors[0].message).toMatch(
        /^USERSTATE_INTEGRITY: C:\\Users\\jdoe\\Documents\\text-100k\.txt: frame 1\/\d+ fails its authentication tag \(altered\)$/,
      );
      expect(n.result.errors[0].code).toBe(0x80070570);
      expect(n.result.files).toBe(j.result.files);
      const gone = (dst: string) => readdirSync(join(dst, 'Users/jdoe/Documents')).includes('text-100k.txt');
      expect([gone(n.dst), gone(j.dst)]).toEqual([false, false]);
    }
  });

  it('a file that cannot be read: the folder volume’s error (not found, a folder), as the Node path gives it', async () => {
    const dir = tempDir('us-native-err-');
    mkdirSync(join(dir, 'a folder'));
    const volume = new DirectoryVolume(dir);
    const native = new NativeCapture(
      HELPER!,
      { storeDir: join(dir, 'store'), storeId: storeIdBytes(STORE_ID), firstPack: 1, packMaxBytes: 1 << 20, level: 1, key: randomBytes(32) },
      () => undefined,
    );
    for (const name of ['missing.txt', 'a folder']) {
      const e = await native.addFile(join(dir, name)).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(NativeFileError);
      const mine = (e as NativeFileError).asVolumeError(volume.description, name, join(dir, name));
      const theirs = await volume.openRead(name).then(
        () => undefined,
        (x: unknown) => x as Error,
      );
      expect({ name: mine.name, message: mine.message, exitCode: (mine as { exitCode?: number }).exitCode }).toEqual({
        name: theirs!.name,
        message: theirs!.message,
        exitCode: (theirs as { exitCode?: number }).exitCode,
      });
    }
    await native.finish();
  });
});
