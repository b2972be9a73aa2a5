/**
 * The Volume contract's metadata and streams (issue 13: stat, walk, openRead, writeStream with
 * meta, setMeta, link, remove) on the three back ends: a directory, a FAT32 partition (mtools and
 * fat-raw.ts) and an NTFS partition (the native ntfsfs helper) of real disk-image files.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiskImage, writePartitionTable, type PartitionTable } from '../../src/storage/disk/partition-table.js';
import { WIN32 } from '../../src/storage/errors.js';
import { DirectoryVolume } from '../../src/storage/volume/directory.js';
import { FatVolume } from '../../src/storage/volume/fat.js';
import { encodeFatTime } from '../../src/storage/volume/fat-raw.js';
import { NtfsVolume } from '../../src/storage/volume/ntfs.js';
import { filetimeToMs, msToFiletime } from '../../src/storage/volume/ntfsfs.js';
import { applyWimImage } from '../../src/storage/wim.js';
import { VolumeError, type FileMeta, type Volume } from '../../src/storage/volume/volume.js';
import { ddPartition, ensureMachineDeps, MiB, rejection, sh, shStatus, tempDir } from './helpers.js';

const tmp = tempDir('volume-meta');
let table: PartitionTable;
const disk = join(tmp.dir, 'disk0.img');
const volumes: Record<string, Volume> = {};

beforeAll(async () => {
  ensureMachineDeps();
  await createDiskImage(disk, 600 * MiB);
  table = await writePartitionTable(disk, 'gpt', [
    { kind: 'efi', sizeBytes: 260 * MiB },
    { kind: 'msr', sizeBytes: 16 * MiB },
    { kind: 'primary', name: 'Windows' },
  ]);
  mkdirSync(join(tmp.dir, 'dirvol'));
  volumes.directory = new DirectoryVolume(join(tmp.dir, 'dirvol'));
  volumes.fat = await FatVolume.format(disk, table.partitions[0], 'system');
  volumes.ntfs = await NtfsVolume.format(disk, table.partitions[2], 'Windows', join(tmp.dir, 'work'));
});
afterAll(tmp.cleanup);

const T0 = Date.UTC(2021, 4, 17, 9, 30, 15, 250); // 2021-05-17 09:30:15.250 UTC
const T1 = Date.UTC(2022, 10, 3, 18, 1, 44, 0);
const T2 = Date.UTC(2023, 0, 9, 0, 0, 7, 0);

/** The SHA-256 of a stream, its pieces, and the most it ever held buffered ahead of the reader. */
async function sha256(stream: Readable): Promise<{ hash: string; chunks: number; largest: number; buffered: number }> {
  const h = createHash('sha256');
  let chunks = 0;
  let largest = 0;
  let buffered = 0;
  for await (const c of stream) {
    h.update(c as Buffer);
    chunks++;
    largest = Math.max(largest, (c as Buffer).length);
    buffered = Math.max(buffered, stream.readableLength);
    await new Promise((r) => setImmediate(r)); // a slow reader: a stream that read ahead would pile up
  }
  return { hash: h.digest('hex'), chunks, largest, buffered };
}

async function walkAll(v: Volume, path: string): Promise<FileMeta[]> {
  const out: FileMeta[] = [];
  for await (const m of v.walk(path)) out.push(m);
  return out;
}

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof VolumeError ? e.code : String(e)),
  );

describe.each(['directory', 'fat', 'ntfs'])('%s volume: metadata and streams', (kind) => {
  const vol = () => volumes[kind];

  it('writes a stream with times and attributes and stat reads them back (NTFS to 100 ns, FAT to 2 s)', async () => {
    const v = vol();
    await v.writeStream('meta/t.txt', Readable.from([Buffer.from('hello '), Buffer.from('world')]), {
      createdMs: T0,
      modifiedMs: T1,
      accessedMs: T2,
      attributes: ['readonly', 'hidden', 'system', 'archive'],
    });
    const m = await v.stat('meta/t.txt');
    expect(m).toMatchObject({ path: 'meta/t.txt', type: 'file', size: 11, links: 1 });
    if (kind === 'ntfs') {
      expect(m).toMatchObject({ createdMs: T0, modifiedMs: T1, accessedMs: T2 });
      expect(m?.attributes.sort()).toEqual(['archive', 'hidden', 'readonly', 'system']);
    } else if (kind === 'fat') {
      expect(m?.modifiedMs).toBe(T1); // an even second: exact
      expect(m?.createdMs).toBe(T0); // 10 ms
      expect(m?.accessedMs).toBe(Date.UTC(2023, 0, 9)); // the day
      expect(m?.attributes.sort()).toEqual(['archive', 'hidden', 'readonly', 'system']);
    } else {
      expect(m?.modifiedMs).toBe(T1);
      expect(m?.accessedMs).toBe(T2);
      expect(m?.attributes).toEqual(['readonly']); // what Linux keeps
    }
    expect((await v.readFile('meta/t.txt')).toString()).toBe('hello world');
  });

  it('keeps sub-millisecond times on NTFS and rounds to 2 s on FAT; setMeta changes only what it is given', async () => {
    const v = vol();
    const odd = Number('1700000000123.4567'); // 100 ns steps (the nearest double)
    await v.writeFile('meta/sub.bin', 'x');
    await v.setMeta('meta/sub.bin', { modifiedMs: odd, attributes: ['hidden'] });
    const m = await v.stat('meta/sub.bin');
    if (kind === 'ntfs') {
      expect(m?.modifiedMs).toBe(odd);
      expect(m?.attributes).toEqual(['hidden']);
    } else if (kind === 'fat') {
      expect(m?.modifiedMs).toBe(1700000000000); // 2023-11-14 22:13:20.123, truncated to 2 s
      expect(Math.abs((m?.modifiedMs ?? 0) - odd)).toBeLessThan(2000);
      expect(m?.attributes).toEqual(['hidden']);
    } else {
      expect(Math.abs((m?.modifiedMs ?? 0) - odd)).toBeLessThan(0.01);
    }
    // Only the access time: the rest stays.
    await v.setMeta('meta/sub.bin', { accessedMs: T2 });
    const again = await v.stat('meta/sub.bin');
    expect(again?.modifiedMs).toBe(m?.modifiedMs);
    expect(again?.attributes).toEqual(m?.attributes);
    // What stat gave is written back unchanged.
    if (m) await v.setMeta('meta/sub.bin', { modifiedMs: m.modifiedMs, createdMs: m.createdMs });
    expect((await v.stat('meta/sub.bin'))?.modifiedMs).toBe(m?.modifiedMs);
    // Folders have times too (not the root on FAT: it has no entry).
    await v.setMeta('meta', { modifiedMs: T1 });
    expect((await v.stat('meta'))?.modifiedMs).toBe(T1);
    expect((await v.stat('meta'))?.type).toBe('directory');
    expect((await v.stat(''))?.type).toBe('directory');
  });

  it('replaces a read-only file, which is no longer read-only unless the write says so', async () => {
    const v = vol();
    await v.writeStream('ro/file.txt', Readable.from([Buffer.from('first')]), { attributes: ['readonly'] });
    expect((await v.stat('ro/file.txt'))?.attributes).toContain('readonly');
    await v.writeStream('ro/file.txt', Readable.from([Buffer.from('second')]));
    expect((await v.readFile('ro/file.txt')).toString()).toBe('second');
    expect((await v.stat('ro/file.txt'))?.attributes).not.toContain('readonly');
    await v.writeStream('ro/file.txt', Readable.from([Buffer.from('third')]), { attributes: ['readonly'] });
    expect((await v.stat('ro/file.txt'))?.attributes).toContain('readonly');
  });

  it('walks folders before their contents, names sorted, with types; non-ASCII names work', async () => {
    const v = vol();
    await v.writeFile('w/b.txt', 'b');
    await v.writeFile('w/a/x.txt', 'xx');
    await v.writeStream('w/a/y/z.txt', Readable.from([Buffer.from('zzz')]));
    await v.mkdirp('w/c');
    await v.writeFile('w/É.txt', 'é');
    await v.writeStream('w/日本/ü.txt', Readable.from([Buffer.from('ü')]), { modifiedMs: T1 });
    await v.writeFile('w/A Long File Name.document', 'long');
    const all = await walkAll(v, 'w');
    expect(all.map((m) => `${m.path}:${m.type}`)).toEqual([
      'w/A Long File Name.document:file',
      'w/a:directory',
      'w/b.txt:file',
      'w/c:directory',
      'w/É.txt:file',
      'w/日本:directory',
      'w/a/x.txt:file',
      'w/a/y:directory',
      'w/a/y/z.txt:file',
      'w/日本/ü.txt:file',
    ]);
    expect(all.find((m) => m.path === 'w/a/x.txt')?.size).toBe(2);
    expect(all.find((m) => m.path === 'w/É.txt')?.size).toBe(2);
    expect((await v.stat('w/日本/ü.txt'))?.modifiedMs).toBe(T1);
    expect((await walkAll(v, 'w/c')).length).toBe(0);
    const root = await walkAll(v, '');
    expect(root.map((m) => m.path)).toContain('w/日本/ü.txt');
    const body = await v.openRead('w/日本/ü.txt');
    expect((await sha256(body)).hash).toBe(createHash('sha256').update('ü').digest('hex'));
  });

  it('streams a 20 MiB file in and out with the same SHA-256, in pieces', async () => {
    const v = vol();
    const h = createHash('sha256');
    async function* source(): AsyncIterable<Buffer> {
      for (let i = 0; i < 20; i++) {
        const b = randomBytes(MiB);
        h.update(b);
        yield b;
      }
    }
    const rss0 = process.memoryUsage.rss();
    await v.writeStream('big/file.bin', source(), { modifiedMs: T1 });
    const written = h.digest('hex');
    expect((await v.stat('big/file.bin'))?.size).toBe(20 * MiB);
    const read = await sha256(await v.openRead('big/file.bin'));
    expect(read.hash).toBe(written);
    expect(read.chunks).toBeGreaterThanOrEqual(20);
    expect(read.largest).toBeLessThanOrEqual(MiB);
    expect(read.buffered).toBeLessThanOrEqual(2 * MiB); // never the whole file ahead of the reader
    // The proof of streaming is the pieces above; this only guards against copies of the whole file
    // piling up (the 20 MiB the source made and hashed may not be collected yet, hence the margin).
    expect(process.memoryUsage.rss() - rss0).toBeLessThan(80 * MiB);
    // Replaced by a shorter stream.
    await v.writeStream('big/file.bin', Readable.from([Buffer.from('short')]));
    expect((await v.readFile('big/file.bin')).toString()).toBe('short');
  });

  it('hard links share one file (links 2, one fileId); FAT refuses with ERROR_NOT_SUPPORTED', async () => {
    const v = vol();
    await v.writeFile('hl/original.txt', 'one');
    if (kind === 'fat') {
      const e = await rejection<{ exitCode: number; message: string }>(v.link('hl/original.txt', 'hl/copy.txt'));
      expect(e.exitCode).toBe(WIN32.notSupported);
      expect(e.exitCode).toBe(0x80070032);
      expect(e.message).toMatch(/FAT has no hard links/);
      expect(await v.stat('hl/copy.txt')).toBeUndefined();
      return;
    }
    await v.link('hl/original.txt', 'hl/sub/linked.txt');
    const a = await v.stat('hl/original.txt');
    const b = await v.stat('hl/sub/linked.txt');
    expect(a?.links).toBe(2);
    expect(b?.links).toBe(2);
    expect(a?.fileId).toBe(b?.fileId);
    await v.writeStream('hl/sub/linked.txt', Readable.from([Buffer.from('two')]));
    expect((await v.readFile('hl/original.txt')).toString()).toBe('two');
    // A link over an existing file replaces it.
    await v.writeFile('hl/other.txt', 'other');
    await v.link('hl/sub/linked.txt', 'hl/other.txt');
    expect((await v.stat('hl/other.txt'))?.links).toBe(3);
    expect((await v.readFile('hl/other.txt')).toString()).toBe('two');
    await v.remove('hl/other.txt');
    await v.remove('hl/original.txt');
    expect((await v.stat('hl/sub/linked.txt'))?.links).toBe(1);
    expect(await code(v.link('hl/missing.txt', 'hl/x.txt'))).toBe('not-found');
    await expect(v.link('hl/sub', 'hl/dirlink')).rejects.toThrow(/not a file/);
    // A folder that held links and was removed since is made again (the directory volume keeps the
    // folders it made for links); a folder in the way of the new link is refused and kept.
    await v.link('hl/sub/linked.txt', 'hl/gone/a.txt');
    await v.remove('hl/gone');
    await v.link('hl/sub/linked.txt', 'hl/gone/b.txt');
    expect((await v.stat('hl/gone/b.txt'))?.links).toBe(2);
    await v.mkdirp('hl/in-the-way');
    await expect(v.link('hl/sub/linked.txt', 'hl/in-the-way')).rejects.toThrow();
    expect((await v.stat('hl/in-the-way'))?.type).toBe('directory');
  });

  it('removes a file, a whole tree, and nothing (absent is fine); the root is refused', async () => {
    const v = vol();
    await v.writeFile('rm/a/b/c.txt', 'c');
    await v.writeFile('rm/a/d.txt', 'd');
    await v.setMeta('rm/a/d.txt', { attributes: ['readonly'] });
    await v.writeFile('rm/keep.txt', 'k');
    await v.remove('rm/a');
    expect(await v.stat('rm/a')).toBeUndefined();
    expect(await v.stat('rm/a/b/c.txt')).toBeUndefined();
    expect((await walkAll(v, 'rm')).map((m) => m.path)).toEqual(['rm/keep.txt']);
    await v.remove('rm/keep.txt');
    await v.remove('rm/never/was');
    await v.remove('rm/keep.txt');
    expect(await walkAll(v, 'rm')).toEqual([]);
    await expect(v.remove('')).rejects.toThrow(/root cannot be removed/);
    // Written again after the removal.
    await v.writeFile('rm/a/b/c.txt', 'again');
    expect((await v.readFile('rm/a/b/c.txt')).toString()).toBe('again');
  });

  it('bad paths and wrong kinds are VolumeErrors with codes', async () => {
    const v = vol();
    await v.writeFile('bad/file.txt', 'x');
    expect(await v.stat('bad/missing')).toBeUndefined();
    expect(await v.stat('bad/file.txt/below')).toBeUndefined();
    expect(await code(v.stat('../outside'))).toBe('invalid-path');
    expect(await code(v.stat('bad/a:b'))).toBe('invalid-path');
    expect(await code(walkAll(v, 'bad/missing'))).toBe('not-found');
    const missing = await rejection<VolumeError>(walkAll(v, 'bad/missing'));
    expect(missing.exitCode).toBe(WIN32.pathNotFound);
    expect(missing.message).toContain(v.description);
    expect(await code(walkAll(v, 'bad/file.txt'))).toBe('not-a-directory');
    expect(await code(v.openRead('bad/missing.txt'))).toBe('not-found');
    expect(await code(v.openRead('bad'))).toBe('not-a-file');
    expect(await code(v.setMeta('bad/missing.txt', { modifiedMs: T1 }))).toBe('not-found');
    expect(await code(v.writeStream('bad', Readable.from([Buffer.from('x')])))).toBe('not-a-file');
    expect(await code(v.writeStream('bad/file.txt/under', Readable.from([Buffer.from('x')])))).toBe('not-a-directory');
    expect(await code(v.writeStream('../x', Readable.from([Buffer.from('x')])))).toBe('invalid-path');
    // A source that fails: its error, and the volume still works.
    async function* failing(): AsyncIterable<Buffer> {
      yield Buffer.from('part');
      throw new Error('the source broke');
    }
    await expect(v.writeStream('bad/broken.bin', failing())).rejects.toThrow(/the source broke/);
    expect((await v.readFile('bad/file.txt')).toString()).toBe('x');
  });
});

describe('NtfsVolume metadata on disk', () => {
  it('reports a symbolic link (a reparse point applied by wimlib) as other and never follows it', async () => {
    const tree = join(tmp.dir, 'linktree');
    mkdirSync(join(tree, 'Target'), { recursive: true });
    writeFileSync(join(tree, 'Target', 'inside.txt'), 'inside');
    symlinkSync('Target', join(tree, 'LinkToTarget'));
    const wim = join(tmp.dir, 'links.wim');
    sh('wimlib-imagex', ['capture', tree, wim, 'links']);
    const d = join(tmp.dir, 'links.img');
    await createDiskImage(d, 64 * MiB);
    const t = await writePartitionTable(d, 'mbr', [{ kind: 'primary' }]);
    const v = await NtfsVolume.format(d, t.partitions[0], 'Links', join(tmp.dir, 'work-links'));
    await applyWimImage(wim, 1, { kind: 'ntfs-image', path: await v.releaseSideImage() });
    const all = await walkAll(v, '');
    expect(all.map((m) => `${m.path}:${m.type}`)).toEqual(['LinkToTarget:other', 'Target:directory', 'Target/inside.txt:file']);
    expect(await code(v.openRead('LinkToTarget'))).toBe('not-a-file');
    expect(await v.list('')).toEqual([
      { name: 'LinkToTarget', type: 'file', size: 0 },
      { name: 'Target', type: 'directory', size: 0 },
    ]);
    expect(await v.list('target')).toEqual([{ name: 'inside.txt', type: 'file', size: 6 }]); // names ignore case, as on Windows
    expect(await code(v.list('LinkToTarget'))).toBe('not-a-directory');
    await v.remove('LinkToTarget');
    expect((await walkAll(v, '')).map((m) => m.path)).toEqual(['Target', 'Target/inside.txt']);
    expect((await v.readFile('Target/inside.txt')).toString()).toBe('inside');
    await v.close();
  });

  it('copies a large file within the volume (the reader is spooled), stops a reader destroyed early, and serialises concurrent requests', async () => {
    const v = volumes.ntfs;
    const data = randomBytes(3 * MiB);
    await v.writeStream('copy/src.bin', Readable.from([data]));
    await v.writeStream('copy/dst.bin', await v.openRead('copy/src.bin'), { modifiedMs: T1 });
    expect((await v.readFile('copy/dst.bin')).equals(data)).toBe(true);
    const early = await v.openRead('copy/src.bin');
    for await (const _ of early) break; // destroys the stream: the helper is stopped
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => v.writeStream(`copy/c${i}.txt`, Readable.from([Buffer.from(`c${i}`)]), { modifiedMs: T0 + i * 1000 })),
    );
    const metas = await Promise.all(Array.from({ length: 8 }, (_, i) => v.stat(`copy/c${i}.txt`)));
    expect(metas.map((m) => m?.modifiedMs)).toEqual(Array.from({ length: 8 }, (_, i) => T0 + i * 1000));
    expect((await v.list('copy')).length).toBe(10);
  });

  it('survives the unmount: a fresh open, ntfsinfo and ntfsls see the times and attributes; ntfsfix -n is clean', async () => {
    const v = volumes.ntfs as NtfsVolume;
    await v.writeStream('check/è.txt', Readable.from([Buffer.from('data')]), {
      createdMs: T0,
      modifiedMs: T1,
      accessedMs: T2,
      attributes: ['readonly', 'hidden', 'system', 'archive'],
    });
    await v.link('check/è.txt', 'check/second.txt');
    await v.flush();
    const part = ddPartition(disk, table.partitions[2], join(tmp.dir, 'win.img'));
    const fix = shStatus('ntfsfix', ['-n', part]);
    expect(fix.status, fix.stdout + fix.stderr).toBe(0);
    expect(fix.stdout).toMatch(/processed successfully/);
    const info = sh('ntfsinfo', ['-F', '/check/è.txt', part]);
    expect(info).toMatch(/File attributes:\s+READONLY HIDDEN SYSTEM ARCHIVE/);
    expect(info).toMatch(/File Creation Time:\s+Mon May 17 09:30:15 2021 UTC/);
    expect(info).toMatch(/File Altered Time:\s+Thu Nov {2}3 18:01:44 2022 UTC/);
    expect(info).toMatch(/Last Accessed Time:\s+Mon Jan {2}9 00:00:07 2023 UTC/);
    expect(info).toMatch(/Number of Hard Links:\s+2/);
    // STANDARD_INFORMATION and both FILE_NAME attributes (each name's) agree.
    expect(info.match(/File Altered Time:\s+Thu Nov {2}3 18:01:44 2022 UTC/g)?.length).toBe(3);
    expect(info.match(/File attributes:\s+READONLY HIDDEN SYSTEM ARCHIVE/g)?.length).toBe(3);
    expect(sh('ntfsls', ['-l', '-p', '/check', part])).toMatch(/4 Nov {2}3 18:01 2022 è\.txt/);
    expect(sh('ntfscat', [part, '/check/second.txt'])).toBe('data');

    const fresh = await NtfsVolume.open(disk, table.partitions[2], join(tmp.dir, 'work-fresh'));
    const m = await fresh.stat('check/è.txt');
    expect(m).toMatchObject({ createdMs: T0, modifiedMs: T1, accessedMs: T2, links: 2, size: 4 });
    expect(m?.attributes.sort()).toEqual(['archive', 'hidden', 'readonly', 'system']);
    expect((await fresh.stat('check/second.txt'))?.fileId).toBe(m?.fileId);
    await fresh.close();
  });

  it("a second open of the partition with the same work folder ends the first one's helper before it copies the image", async () => {
    const d = join(tmp.dir, 'twice.img');
    await createDiskImage(d, 64 * MiB);
    const t = await writePartitionTable(d, 'mbr', [{ kind: 'primary' }]);
    const work = join(tmp.dir, 'work-twice');
    const a = await NtfsVolume.format(d, t.partitions[0], 'Twice', work);
    await a.writeFile('a.txt', 'a');
    await a.flush();
    await a.writeFile('b.txt', 'b'); // a read-write helper session is open now, not flushed
    const b = await NtfsVolume.open(d, t.partitions[0], work);
    expect(await b.exists('a.txt')).toBe(true);
    expect(await b.exists('b.txt')).toBe(false); // never flushed into the disk
    await b.writeFile('c.txt', 'c');
    await b.flush();
    const part = ddPartition(d, t.partitions[0], join(tmp.dir, 'twice-p1.img'));
    const fix = shStatus('ntfsfix', ['-n', part]);
    expect(fix.status, fix.stdout + fix.stderr).toBe(0);
    expect(sh('ntfsls', [part]).split('\n').filter(Boolean).sort()).toEqual(['a.txt', 'c.txt']);
    await b.close();
  });

  it('refuses a name longer than NTFS stores (255 UTF-16 units) as an invalid path, and says which', async () => {
    const v = volumes.ntfs;
    const e = await rejection<VolumeError>(v.writeFile(`long/${'n'.repeat(256)}.txt`, 'x'));
    expect(e).toBeInstanceOf(VolumeError);
    expect(e.code).toBe('invalid-path');
    expect(e.exitCode).toBe(WIN32.invalidName);
    expect(e.message).toMatch(/longer than 255/);
    await v.writeFile(`long/${'n'.repeat(251)}.txt`, 'x'); // 255 exactly
    expect((await v.stat(`long/${'n'.repeat(251)}.txt`))?.size).toBe(1);
  });

  it('converts milliseconds and FILETIMEs exactly', () => {
    expect(msToFiletime(0)).toBe(116444736000000000n);
    expect(msToFiletime(1700000000123.5)).toBe(116444736000000000n + 17000000001235000n);
    // A double near 1.7e12 ms steps by about 0.24 µs: a FILETIME reads as the nearest double, which
    // is written back as the same double (read → write → read is exact).
    const ft = 116444736000000000n + 17000000001234567n;
    expect(filetimeToMs(ft)).toBe(Number('1700000000123.4567'));
    const back = msToFiletime(filetimeToMs(ft));
    expect(back - ft <= 2n && ft - back <= 2n).toBe(true);
    expect(filetimeToMs(back)).toBe(filetimeToMs(ft));
    expect(filetimeToMs('116444736000000000')).toBe(0);
    expect(msToFiletime(-1.5)).toBe(116444736000000000n - 15000n);
    expect(filetimeToMs(116444736000000000n - 15000n)).toBe(-1.5);
    expect(() => msToFiletime(Number.NaN)).toThrow(/not a number/);
  });

  it('writes and reads back 2,000 small files in one helper session (the figure is printed)', async () => {
    const v = volumes.ntfs;
    const n = 2000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      await v.writeStream(`many/d${i % 40}/f${i}.txt`, Readable.from([Buffer.from(`file ${i}`)]), { modifiedMs: T1, attributes: ['archive'] });
    }
    const t1 = performance.now();
    const listed = await walkAll(v, 'many');
    expect(listed.filter((m) => m.type === 'file').length).toBe(n);
    let ok = 0;
    for (const m of listed) {
      if (m.type !== 'file') continue;
      const body = await v.openRead(m.path);
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c as Buffer);
      if (Buffer.concat(chunks).toString() === `file ${m.path.replace(/^.*\/f/, '').replace('.txt', '')}`) ok++;
    }
    const t2 = performance.now();
    expect(ok).toBe(n);
    console.log(`NTFS: ${n} small files written in ${((t1 - t0) / 1000).toFixed(2)} s, walked and read back in ${((t2 - t1) / 1000).toFixed(2)} s`);
    expect(t2 - t0).toBeLessThan(120_000);
  });

  it('leaves a clean file system after everything above (ntfsfix -n on the spliced partition)', async () => {
    await volumes.ntfs.flush();
    const part = ddPartition(disk, table.partitions[2], join(tmp.dir, 'win-final.img'));
    const fix = shStatus('ntfsfix', ['-n', part]);
    expect(fix.status, fix.stdout + fix.stderr).toBe(0);
    expect(fix.stdout).toMatch(/processed successfully/);
    expect(sh('ntfscat', [part, '/many/d7/f7.txt'])).toBe('file 7');
  });
});

describe('FAT times', () => {
  it('encodes dates, 2-second times and 10 ms tenths; refuses years FAT cannot hold', () => {
    expect(encodeFatTime(Date.UTC(1980, 0, 1, 0, 0, 0), 'x')).toEqual({ date: (0 << 9) | (1 << 5) | 1, time: 0, tenths: 0 });
    expect(encodeFatTime(Date.UTC(2021, 4, 17, 9, 30, 15, 250), 'x')).toEqual({
      date: (41 << 9) | (5 << 5) | 17,
      time: (9 << 11) | (30 << 5) | 7,
      tenths: 125,
    });
    expect(() => encodeFatTime(Date.UTC(1979, 11, 31), 'x')).toThrow(/from 1980 to 2107/);
  });

  it('mtools still finds the volume clean after entries were patched (fsck.fat -n)', async () => {
    await volumes.fat.flush();
    const part = ddPartition(disk, table.partitions[0], join(tmp.dir, 'esp.img'));
    const fsck = shStatus('fsck.fat', ['-n', part]);
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
  });
});
