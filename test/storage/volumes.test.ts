import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiskImage, writePartitionTable, type PartitionTable } from '../../src/storage/disk/partition-table.js';
import { DirectoryVolume } from '../../src/storage/volume/directory.js';
import { fat32SectorsPerCluster, FatVolume, parseMdir } from '../../src/storage/volume/fat.js';
import { NtfsVolume, parseNtfsls } from '../../src/storage/volume/ntfs.js';
import { openVolume, probeFileSystem } from '../../src/storage/volume/open.js';
import { splitVolumePath, VolumeError, type Volume } from '../../src/storage/volume/volume.js';
import { ddPartition, ensureMachineDeps, MiB, rejection, sh, shStatus, tempDir } from './helpers.js';

const tmp = tempDir('volumes');
let table: PartitionTable;
const disk = join(tmp.dir, 'disk0.img');
const work = join(tmp.dir, 'work');
const volumes: Record<string, Volume> = {};

beforeAll(async () => {
  ensureMachineDeps();
  // ESP (FAT32, 260 MiB: big enough for 2-sector clusters), MSR, Windows (NTFS), a spare partition,
  // and an NTFS partition used direct through the offsetio shim (as the lab does).
  await createDiskImage(disk, 720 * MiB);
  table = await writePartitionTable(disk, 'gpt', [
    { kind: 'efi', sizeBytes: 260 * MiB },
    { kind: 'msr', sizeBytes: 16 * MiB },
    { kind: 'primary', sizeBytes: 200 * MiB, name: 'Windows' },
    { kind: 'primary', sizeBytes: 16 * MiB },
    { kind: 'primary', name: 'Direct' },
  ]);
  volumes.directory = new DirectoryVolume(join(tmp.dir, 'dirvol'));
  mkdirSync(join(tmp.dir, 'dirvol'));
  volumes.fat = await FatVolume.format(disk, table.partitions[0], 'system');
  volumes.ntfs = await NtfsVolume.format(disk, table.partitions[2], 'Windows', work);
  volumes['ntfs-direct'] = await NtfsVolume.format(disk, table.partitions[4], 'Direct', work, { direct: true });
  if (!(volumes['ntfs-direct'] as NtfsVolume).map) throw new Error('the offsetio shim is not built (scripts/system-packages.sh)');
});
afterAll(tmp.cleanup);

/** A small local tree to copy in. */
function localTree(root: string): void {
  mkdirSync(join(root, 'Drivers', 'Net', 'empty'), { recursive: true });
  writeFileSync(join(root, 'Drivers', 'Net', 'e1000.inf'), '[Version]\r\nSignature="$Windows NT$"\r\n');
  writeFileSync(join(root, 'Drivers', 'readme.txt'), 'drivers');
  writeFileSync(join(root, 'top level.bin'), randomBytes(70_000));
}

describe.each(['directory', 'fat', 'ntfs', 'ntfs-direct'])('%s volume', (kind) => {
  const vol = () => volumes[kind];

  it('writes nested files (creating folders), reads them back and lists them', async () => {
    const v = vol();
    const data = randomBytes(300_000);
    await v.writeFile('Windows/Panther/Unattend/Unattend.xml', '<unattend/>');
    await v.writeFile('\\Windows\\System32\\blob.bin', data);
    expect((await v.readFile('/Windows/Panther/Unattend/Unattend.xml')).toString()).toBe('<unattend/>');
    expect((await v.readFile('Windows/System32/blob.bin')).equals(data)).toBe(true);
    expect(await v.exists('Windows/Panther/Unattend')).toBe(true);
    expect(await v.exists('Windows\\Panther\\Unattend\\Unattend.xml')).toBe(true);
    expect(await v.exists('Windows/Nope')).toBe(false);
    expect(await v.exists('Nope/Nope/x.txt')).toBe(false);
    expect(await v.exists('')).toBe(true);
    const root = await v.list('');
    expect(root).toContainEqual({ name: 'Windows', type: 'directory', size: 0 });
    const sys = await v.list('/Windows/System32/');
    expect(sys).toEqual([{ name: 'blob.bin', type: 'file', size: 300_000 }]);
  });

  it('replaces a file with shorter content and keeps names with spaces and non-ASCII letters', async () => {
    const v = vol();
    await v.writeFile('Program Files/Déjà vu/notes long name.txt', 'a much longer first version');
    await v.writeFile('Program Files/Déjà vu/notes long name.txt', Buffer.from('short'));
    expect((await v.readFile('Program Files/Déjà vu/notes long name.txt')).toString()).toBe('short');
    expect(await v.list('Program Files/Déjà vu')).toEqual([{ name: 'notes long name.txt', type: 'file', size: 5 }]);
  });

  it('mkdirp is idempotent and makes empty folders', async () => {
    const v = vol();
    await v.mkdirp('a/b/c');
    await v.mkdirp('a\\b\\c');
    await v.mkdirp('a/b');
    expect(await v.list('a/b/c')).toEqual([]);
    expect(await v.list('a')).toEqual([{ name: 'b', type: 'directory', size: 0 }]);
  });

  it('copies a local file and a local folder tree in', async () => {
    const v = vol();
    const src = join(tmp.dir, `tree-${kind}`);
    localTree(src);
    await v.copyIn(src, '_SMSTaskSequence/Packages/P0100001');
    await v.copyIn(join(src, 'Drivers', 'readme.txt'), 'Deep/New/Folder/readme-copy.txt');
    // Copying again merges and overwrites.
    writeFileSync(join(src, 'Drivers', 'readme.txt'), 'drivers v2');
    await v.copyIn(src, '_SMSTaskSequence/Packages/P0100001');

    const base = '_SMSTaskSequence/Packages/P0100001';
    const top = await v.list(base);
    expect(top.map((e) => e.name).sort()).toEqual(['Drivers', 'top level.bin']);
    expect(top.find((e) => e.name === 'top level.bin')).toEqual({ name: 'top level.bin', type: 'file', size: 70_000 });
    expect((await v.list(`${base}/Drivers/Net`)).map((e) => `${e.name}:${e.type}`).sort()).toEqual(['e1000.inf:file', 'empty:directory']);
    expect((await v.readFile(`${base}/Drivers/readme.txt`)).toString()).toBe('drivers v2');
    expect((await v.readFile(`${base}/top level.bin`)).equals(readFileSync(join(src, 'top level.bin')))).toBe(true);
    expect((await v.readFile('Deep/New/Folder/readme-copy.txt')).toString()).toBe('drivers');
  });

  it('reports missing paths and wrong kinds as VolumeError with a code', async () => {
    const v = vol();
    await v.writeFile('errs/file.txt', 'x');
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: unknown) => (e instanceof VolumeError ? e.code : String(e)),
      );
    expect(await code(v.list('errs/missing'))).toBe('not-found');
    expect(await code(v.list('errs/file.txt'))).toBe('not-a-directory');
    expect(await code(v.readFile('errs/missing.txt'))).toBe('not-found');
    expect(await code(v.readFile('errs'))).toBe('not-a-file');
    expect(await code(v.writeFile('errs', 'x'))).toBe('not-a-file');
    expect(await code(v.writeFile('', 'x'))).toBe('not-a-file');
    expect(await code(v.mkdirp('errs/file.txt/sub'))).toBe('not-a-directory');
    expect(await code(v.writeFile('../outside.txt', 'x'))).toBe('invalid-path');
    const e = await rejection<VolumeError>(v.list('errs/missing'));
    expect(e.message).toContain(v.description);
    expect(e.message).toContain('errs/missing');
  });

  it('serialises concurrent writes', async () => {
    const v = vol();
    await Promise.all(Array.from({ length: 6 }, (_, i) => v.writeFile(`conc/f${i}.txt`, `file ${i}`)));
    expect((await v.list('conc')).map((e) => e.name).sort()).toEqual(['f0.txt', 'f1.txt', 'f2.txt', 'f3.txt', 'f4.txt', 'f5.txt']);
    await v.flush();
  });
});

describe('FatVolume', () => {
  it('picks a cluster size that keeps FAT32 above 65,525 clusters (toolchain.md §3.3)', () => {
    expect(fat32SectorsPerCluster((33 * MiB) / 512)).toBe(1);
    expect(fat32SectorsPerCluster((100 * MiB) / 512)).toBe(2);
    expect(fat32SectorsPerCluster((256 * MiB) / 512)).toBe(4);
    // Just over 256 MiB Windows picks 4 KiB clusters: 65,600 minus the FATs is too few, so 2 KiB.
    expect(fat32SectorsPerCluster((256 * MiB + 256 * 1024) / 512)).toBe(4);
    expect(fat32SectorsPerCluster((260 * MiB) / 512)).toBe(8);
    expect(fat32SectorsPerCluster((500 * MiB) / 512)).toBe(8);
    expect(fat32SectorsPerCluster((20 * 1024 * MiB) / 512)).toBe(32);
    expect(() => fat32SectorsPerCluster((30 * MiB) / 512)).toThrow(/at least 33 MiB/);
  });

  it('formats in place: mdir and fsck.fat -n on the extracted partition agree', async () => {
    const v = volumes.fat as FatVolume;
    await v.writeFile('EFI/Boot/bootx64.efi', randomBytes(4096));
    expect(v.description).toBe('FAT32 partition 1 of disk0.img');
    const esp = table.partitions[0];
    const info = sh('minfo', ['-i', `${disk}@@${esp.offsetBytes}`, '::']);
    expect(info).toMatch(/cluster size: 8 sectors/);
    expect(info).toMatch(/SYSTEM/);
    expect(sh('mdir', ['-b', '-i', `${disk}@@${esp.offsetBytes}`, '::/EFI/Boot'])).toMatch(/bootx64\.efi/);
    const part = ddPartition(disk, esp, join(tmp.dir, 'esp.img'));
    const fsck = shStatus('fsck.fat', ['-n', part]);
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
    expect(fsck.stdout).not.toMatch(/differ|corrupt|Dirty|Free cluster summary wrong/i);
  });

  it('parses mdir listings with short names, long names and sizes', () => {
    const out = [
      ' Volume in drive : is SYSTEM     ',
      'Directory for ::/EFI',
      '',
      '.            <DIR>     2026-11-27  12:06 ',
      'BOOT         <DIR>     2026-11-27  12:06  Boot',
      'HELLOW~1 TXT         6 2026-11-27  12:06  Hello World.txt',
      'stdin    txt         5 2026-11-27  12:06 ',
      'README             12 2026-11-27  12:06 ',
      '        5 files                  17 bytes',
      '                         41 278 464 bytes free',
    ].join('\n');
    expect(parseMdir(out)).toEqual({
      directory: '::/EFI',
      entries: [
        { name: 'Boot', type: 'directory', size: 0 },
        { name: 'Hello World.txt', type: 'file', size: 6 },
        { name: 'stdin.txt', type: 'file', size: 5 },
        { name: 'README', type: 'file', size: 12 },
      ],
    });
  });
});

describe('NtfsVolume', () => {
  it('flush() splices the side image into the disk: ntfsls, ntfscat and ntfsfix -n on the extracted partition', async () => {
    const v = volumes.ntfs as NtfsVolume;
    expect(v.description).toBe('NTFS partition 3 of disk0.img');
    await v.writeFile('Windows/Panther/Unattend/Unattend.xml', '<unattend xmlns="urn:schemas-microsoft-com:unattend"/>');
    await v.flush();
    const part = ddPartition(disk, table.partitions[2], join(tmp.dir, 'win.img'));
    expect(sh('ntfsls', ['-p', '/Windows/Panther/Unattend', part])).toContain('Unattend.xml');
    expect(sh('ntfscat', [part, '/Windows/Panther/Unattend/Unattend.xml'])).toBe('<unattend xmlns="urn:schemas-microsoft-com:unattend"/>');
    expect(sh('ntfsinfo', ['-m', part])).toMatch(/Volume Name: Windows/);
    const fix = shStatus('ntfsfix', ['-n', part]);
    expect(fix.status, fix.stdout + fix.stderr).toBe(0);
    expect(fix.stdout).toMatch(/processed successfully/);
  });

  it('open() reads what an earlier volume flushed; an existing folder is reused whatever the case', async () => {
    const v = await NtfsVolume.open(disk, table.partitions[2], join(tmp.dir, 'work2'));
    expect((await v.readFile('Windows/Panther/Unattend/Unattend.xml')).toString()).toMatch(/^<unattend/);
    await v.writeFile('windows/PANTHER/setupact.log', 'log');
    expect((await v.list('Windows')).filter((e) => e.name.toLowerCase() === 'windows')).toEqual([]);
    expect((await v.list('')).filter((e) => e.name.toLowerCase() === 'windows')).toEqual([{ name: 'Windows', type: 'directory', size: 0 }]);
    expect((await v.readFile('Windows/Panther/setupact.log')).toString()).toBe('log');
    await v.close();
    expect(() => statSync(v.sideImagePath)).toThrow();
  });

  it('keeps the disk sparse when formatting and flushing', async () => {
    const d = join(tmp.dir, 'sparse.img');
    await createDiskImage(d, 1024 * MiB);
    const t = await writePartitionTable(d, 'mbr', [{ kind: 'primary' }]);
    const v = await NtfsVolume.format(d, t.partitions[0], 'Big', join(tmp.dir, 'work3'));
    await v.writeFile('x.txt', 'x');
    await v.flush();
    expect(statSync(d).blocks * 512).toBeLessThan(64 * MiB);
    expect(statSync(v.sideImagePath).blocks * 512).toBeLessThan(64 * MiB);
    await v.close();
  });

  it('fails with a pointer to `make deps` when the ntfsfs helper is missing', async () => {
    const saved = process.env.OSD_NTFSFS;
    process.env.OSD_NTFSFS = join(tmp.dir, 'no-such-helper');
    try {
      await volumes.ntfs.flush(); // no helper session open: the next request starts one
      await expect(volumes.ntfs.mkdirp('needs/helper')).rejects.toThrow(/OSD_NTFSFS points at .*make deps/);
      await expect(volumes.ntfs.copyIn(join(tmp.dir, 'dirvol'), 'needs/helper')).rejects.toThrow(/OSD_NTFSFS points at .*make deps/);
    } finally {
      if (saved === undefined) delete process.env.OSD_NTFSFS;
      else process.env.OSD_NTFSFS = saved;
    }
  });

  it('parses ntfsls -l -F listings', () => {
    const out = '       0 Nov 27 12:07 2026 ./\n       3 Nov  7 12:07 2026 sp  ace.txt\n       0 Nov 27 12:07 2026 Windows/\n';
    expect(parseNtfsls(out)).toEqual([
      { name: 'sp  ace.txt', type: 'file', size: 3 },
      { name: 'Windows', type: 'directory', size: 0 },
    ]);
  });
});

describe('openVolume', () => {
  it('opens FAT and NTFS partitions by their boot sector and refuses the rest', async () => {
    await volumes.ntfs.flush();
    const [esp, msr, win, spare] = table.partitions;
    expect(await probeFileSystem(disk, esp)).toBe('FAT32');
    expect(await probeFileSystem(disk, win)).toBe('NTFS');
    expect(await probeFileSystem(disk, msr)).toBeUndefined();
    const fat = await openVolume(disk, esp, work);
    expect(fat).toBeInstanceOf(FatVolume);
    expect(await fat.exists('EFI/Boot/bootx64.efi')).toBe(true);
    const ntfs = await openVolume(disk, win, join(tmp.dir, 'work4'));
    expect(ntfs).toBeInstanceOf(NtfsVolume);
    expect(await ntfs.exists('Windows/Panther/Unattend/Unattend.xml')).toBe(true);
    await expect(openVolume(disk, spare, work)).rejects.toThrow(/partition 4 of .*disk0\.img holds no NTFS or FAT file system/);
    await expect(NtfsVolume.open(disk, esp, work)).rejects.toThrow(/does not hold an NTFS file system/);
  });
});

describe('splitVolumePath', () => {
  it('accepts both separators and refuses .. and characters Windows forbids', () => {
    expect(splitVolumePath('\\Windows\\Panther/')).toEqual(['Windows', 'Panther']);
    expect(splitVolumePath('./a//b')).toEqual(['a', 'b']);
    expect(() => splitVolumePath('a/../b')).toThrow(VolumeError);
    expect(() => splitVolumePath('a/b:c')).toThrow(/Windows does not allow/);
  });
});
