// The offsetio shim (native/offsetio.c) and NTFS volumes used direct through it (issue 16 item 6):
// the tools' bytes land exactly in the partition's range of the disk image, nothing outside it
// changes, nothing is read or written past the range's end, and what is applied reads back with the
// NTFS reader of the copying path (a side image) and with the ntfs-3g tools on a dd copy.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiskImage, type PartitionInfo, type PartitionTable, writePartitionTable } from '../../src/storage/disk/partition-table.js';
import { NtfsVolume } from '../../src/storage/volume/ntfs.js';
import { findOffsetio, offsetioEnv, offsetMapProblem } from '../../src/storage/volume/offsetio.js';
import { applyWimImage } from '../../src/storage/wim.js';
import { ddPartition, ensureMachineDeps, MiB, sh, tempDir } from './helpers.js';

const tmp = tempDir('offsetio');
const wim = join(tmp.dir, 'install.wim');
const tree = join(tmp.dir, 'tree');
const kernel = randomBytes(1_500_000);
let shim: string;

beforeAll(() => {
  ensureMachineDeps();
  const found = findOffsetio();
  if (!found) throw new Error('scripts/system-packages.sh did not build .tmp/native/offsetio.so');
  shim = found;
  mkdirSync(join(tree, 'Windows', 'Panther'), { recursive: true });
  mkdirSync(join(tree, 'Windows', 'System32'), { recursive: true });
  writeFileSync(join(tree, 'Windows', 'System32', 'ntoskrnl.exe'), kernel);
  for (let i = 0; i < 40; i++) writeFileSync(join(tree, 'Windows', 'System32', `f${i}.dll`), randomBytes(1000 + i * 997));
  sh('wimlib-imagex', ['capture', tree, wim, 'Windows 10 Pro', '--compress=XPRESS']);
});
afterAll(tmp.cleanup);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** SHA-256 of [offset, offset + length) of a file. */
function hashRange(path: string, offset: number, length: number): string {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(4 * MiB);
    for (let at = 0; at < length;) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, length - at), offset + at);
      if (n === 0) throw new Error(`${path}: short read at ${offset + at}`);
      h.update(buf.subarray(0, n));
      at += n;
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** Fills [offset, offset + length) with random bytes (so a stray write would show in its hash). */
function scribble(path: string, offset: number, length: number): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, randomBytes(length), 0, length, offset);
  } finally {
    closeSync(fd);
  }
}

/** The hashes of every byte outside the partition. */
function outside(disk: string, p: PartitionInfo): { before: string; after: string } {
  const size = statSync(disk).size;
  return { before: hashRange(disk, 0, p.offsetBytes), after: hashRange(disk, p.offsetBytes + p.sizeBytes, size - p.offsetBytes - p.sizeBytes) };
}

/** Runs a tool under the shim mapping `placeholder` onto [offset, offset + length) of `target`. */
function underShim(tool: string, args: string[], placeholder: string, target: string, offset: number, length: number) {
  const env = { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin`, ...offsetioEnv({ library: shim, placeholder, diskPath: target, offset, length }) };
  return spawnSync(tool, args, { env, encoding: 'buffer' });
}

describe('the offsetio shim', () => {
  const file = join(tmp.dir, 'raw.img');
  const ph = join(tmp.dir, 'raw.device');
  const offset = 3 * 4096 + 512; // not aligned to the tools' 4 KiB blocks, on purpose
  const length = 64 * 1024;

  beforeAll(() => {
    writeFileSync(file, randomBytes(256 * 1024));
    writeFileSync(ph, '');
  });

  it('reads exactly the range: from its start, up to its end and no further (then end of file)', () => {
    const r = underShim('dd', [`if=${ph}`, 'bs=10000', 'status=none'], ph, file, offset, length);
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.length).toBe(length);
    expect(r.stdout.equals(readFileSync(file).subarray(offset, offset + length))).toBe(true);
    // seek (lseek) to 512 bytes before the end: 512 bytes, then end of file
    const tail = underShim('dd', [`if=${ph}`, 'bs=512', `skip=${length / 512 - 1}`, 'status=none'], ph, file, offset, length);
    expect(tail.status, tail.stderr.toString()).toBe(0);
    expect(tail.stdout.equals(readFileSync(file).subarray(offset + length - 512, offset + length))).toBe(true);
  });

  it('answers the size of a device (ioctl BLKGETSIZE64), as blockdev asks it', () => {
    const r = underShim('blockdev', ['--getsize64', ph], ph, file, offset, length);
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.toString().trim()).toBe(String(length));
  });

  it('writes land in the range only; a write past its end is refused (ENOSPC) and changes nothing beyond it', () => {
    const before = readFileSync(file);
    const data = randomBytes(length + 5000);
    writeFileSync(join(tmp.dir, 'data'), data);
    const r = underShim('dd', [`if=${join(tmp.dir, 'data')}`, `of=${ph}`, 'bs=4096', 'conv=notrunc', 'status=none'], ph, file, offset, length);
    expect(r.status).not.toBe(0);
    expect(r.stderr.toString()).toMatch(/No space left on device/);
    const after = readFileSync(file);
    expect(after.length).toBe(before.length);
    expect(sha(after.subarray(0, offset))).toBe(sha(before.subarray(0, offset)));
    expect(sha(after.subarray(offset + length))).toBe(sha(before.subarray(offset + length)));
    expect(after.subarray(offset, offset + length).equals(data.subarray(0, length))).toBe(true);
    // a write that starts past the end writes nothing
    const past = underShim(
      'dd',
      [`if=${join(tmp.dir, 'data')}`, `of=${ph}`, 'bs=512', 'count=1', `seek=${length / 512}`, 'conv=notrunc', 'status=none'],
      ph,
      file,
      offset,
      length,
    );
    expect(past.status).not.toBe(0);
    expect(readFileSync(file).equals(after)).toBe(true);
  });

  it('refuses to open the path under a malformed map, saying why; other paths open as usual', () => {
    const env = { ...process.env, LD_PRELOAD: shim, OSD_OFFSETIO_MAP: `${ph}=${file}:x:4096` };
    const r = spawnSync('dd', [`if=${ph}`, 'of=/dev/null', 'status=none'], { env, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/offsetio: OSD_OFFSETIO_MAP=.* is not <virtual path>=<file>:<offset>:<length>/);
    expect(r.stderr).toMatch(/Invalid argument/);
    const other = spawnSync('dd', [`if=${file}`, 'of=/dev/null', 'count=1', 'status=none'], { env, encoding: 'utf8' });
    expect(other.status, other.stderr).toBe(0);
  });

  it('never names the disk image to a tool: without the shim the placeholder is an empty file', () => {
    expect(statSync(ph).size).toBe(0);
    expect(offsetMapProblem(shim, 'relative/path')).toMatch(/not absolute/);
    expect(offsetMapProblem(shim, '/tmp/a=b')).toMatch(/'='/);
    expect(offsetMapProblem('/a b/offsetio.so', '/tmp/x')).toMatch(/LD_PRELOAD/);
    expect(offsetMapProblem(shim, ph)).toBeUndefined();
  });
});

describe('NtfsVolume direct (through the shim)', () => {
  const disk = join(tmp.dir, 'disk0.img');
  const work = join(tmp.dir, 'work');
  let table: PartitionTable;

  beforeAll(async () => {
    await createDiskImage(disk, 160 * MiB);
    table = await writePartitionTable(disk, 'gpt', [
      { kind: 'primary', sizeBytes: 8 * MiB, name: 'Before' },
      { kind: 'primary', sizeBytes: 100 * MiB, name: 'Windows' },
      { kind: 'primary', name: 'After' },
    ]);
    // Data on both sides, and old data in the partition itself (a reformat must not keep it).
    for (const p of table.partitions) scribble(disk, p.offsetBytes, 1 * MiB);
  });

  it('formats and applies in place: the bytes land in the partition, nothing outside changes, no side image', async () => {
    const win = table.partitions[1];
    const was = outside(disk, win);
    const v = await NtfsVolume.format(disk, win, 'Windows', work, { direct: true });
    expect(v.map).toBeDefined();
    expect(v.inPlace).toBe(true);
    expect(statSync(v.sideImagePath).size).toBe(0); // the placeholder
    await applyWimImage(wim, 1, await v.applyTarget());
    await v.writeFile('Windows/Panther/unattend.xml', '<unattend/>');
    await v.flush();
    expect(outside(disk, win)).toEqual(was);
    expect((await v.readFile('Windows/System32/ntoskrnl.exe')).equals(kernel)).toBe(true);
    expect((await v.list('Windows/System32')).length).toBe(41);
    expect(existsSync(join(work, 'disk0.img.p2.ntfs'))).toBe(false);
    // The disk's sparse layout: the 1 MiB of old data in the partition went with the format.
    expect(statSync(disk).blocks * 512).toBeLessThan(40 * MiB);
    await v.close();
    expect(existsSync(v.sideImagePath)).toBe(false);
  });

  it('reads back with the copying path (a side image) and with ntfs-3g on a dd copy of the partition', async () => {
    const win = table.partitions[1];
    const copied = await NtfsVolume.open(disk, win, join(tmp.dir, 'work-copy'));
    expect(copied.map).toBeUndefined();
    expect((await copied.readFile('Windows/System32/ntoskrnl.exe')).equals(kernel)).toBe(true);
    expect((await copied.readFile('Windows/Panther/unattend.xml')).toString()).toBe('<unattend/>');
    for (let i = 0; i < 40; i += 13)
      expect((await copied.readFile(`Windows/System32/f${i}.dll`)).equals(readFileSync(join(tree, 'Windows', 'System32', `f${i}.dll`)))).toBe(true);
    await copied.close();
    const part = ddPartition(disk, win, join(tmp.dir, 'p2.img'));
    expect(execFileSync('ntfscat', [part, '/Windows/System32/ntoskrnl.exe'], { maxBuffer: 16 * MiB }).equals(kernel)).toBe(true);
    const fix = spawnSync('ntfsfix', ['-n', part], { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
    expect(fix.status, fix.stdout + fix.stderr).toBe(0);
    // mkntfs recorded the partition's start sector (for booting from it), as on the copying path.
    expect(readFileSync(part).readUInt32LE(0x1c)).toBe(win.startSector);
  });

  it('opens direct without copying; writes land in the disk at once (no flush needed for others to see them once the session ends)', async () => {
    const win = table.partitions[1];
    const was = outside(disk, win);
    const v = await NtfsVolume.open(disk, win, work, { direct: true });
    expect(v.map).toBeDefined();
    await v.writeFile('Users/Public/hello.txt', 'hello');
    await v.flush();
    expect(outside(disk, win)).toEqual(was);
    const again = await NtfsVolume.open(disk, win, join(tmp.dir, 'work-again'));
    expect((await again.readFile('Users/Public/hello.txt')).toString()).toBe('hello');
    await again.close();
    await v.close();
  });

  it('two partitions of one disk are mounted at once (their locks are moved into their ranges); one partition is not mounted twice', async () => {
    const [before, win] = table.partitions;
    const a = await NtfsVolume.format(disk, before, 'Before', work, { direct: true });
    const b = await NtfsVolume.open(disk, win, work, { direct: true });
    // A large file streamed by its own `ntfsfs cat`, not consumed: that process holds partition 2
    // mounted (and its lock taken) until the stream is destroyed.
    const reading = await b.openRead('Windows/System32/ntoskrnl.exe');
    await once(reading, 'readable');
    // Partition 1 is mounted read-write meanwhile: a lock on the whole file would have refused it.
    await a.writeFile('a.txt', 'on partition 1');
    expect((await a.readFile('a.txt')).toString()).toBe('on partition 1');
    // Partition 2 through a second placeholder: its read-write mount finds the range locked.
    const twice = await NtfsVolume.open(disk, win, join(tmp.dir, 'work-twice'), { direct: true });
    await expect(twice.writeFile('c.txt', 'x')).rejects.toThrow(/Resource temporarily unavailable/);
    reading.destroy();
    await b.close();
    await twice.writeFile('c.txt', 'after the reader ended');
    await twice.close();
    await a.close();
    const check = await NtfsVolume.open(disk, win, join(tmp.dir, 'work-check2'));
    expect((await check.readFile('c.txt')).toString()).toBe('after the reader ended');
    await check.close();
  });

  it('falls back to a side image, with a warning, when the shim is missing', async () => {
    const saved = process.env.OSD_OFFSETIO;
    process.env.OSD_OFFSETIO = join(tmp.dir, 'no-such-offsetio.so');
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const p = table.partitions[2];
      const was = outside(disk, p);
      const v = await NtfsVolume.format(disk, p, 'After', join(tmp.dir, 'work-fallback'), { direct: true });
      expect(v.map).toBeUndefined();
      expect(v.inPlace).toBe(false);
      await applyWimImage(wim, 1, await v.applyTarget());
      await v.flush();
      expect(statSync(v.sideImagePath).size).toBe(p.sizeBytes);
      expect(outside(disk, p)).toEqual(was);
      const check = await NtfsVolume.open(disk, p, join(tmp.dir, 'work-check'), { direct: true });
      expect((await check.readFile('Windows/System32/ntoskrnl.exe')).equals(kernel)).toBe(true);
      await check.close();
      await v.close();
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      expect(warnings.map((w) => w.message).join('\n')).toMatch(/side images .*OSD_OFFSETIO points at .*no-such-offsetio\.so/);
    } finally {
      process.off('warning', onWarning);
      if (saved === undefined) delete process.env.OSD_OFFSETIO;
      else process.env.OSD_OFFSETIO = saved;
    }
  });
});
