import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiskImage, writePartitionTable, type PartitionTable } from '../../src/storage/disk/partition-table.js';
import { FatVolume } from '../../src/storage/volume/fat.js';
import { NtfsVolume } from '../../src/storage/volume/ntfs.js';
import { openVolume } from '../../src/storage/volume/open.js';
import { applyWimImage, parseWimXml, readWimImages, WimError } from '../../src/storage/wim.js';
import { ddPartition, ensureMachineDeps, MiB, rejection, sh, shStatus, tempDir } from './helpers.js';

const tmp = tempDir('wim');
const wim = join(tmp.dir, 'install.wim');
const tree = join(tmp.dir, 'tree');
const kernel = randomBytes(1_500_000);

beforeAll(() => {
  ensureMachineDeps();
  // A small "Windows" tree: real install.wim images have \Windows\Panther (toolchain.md §3.3).
  mkdirSync(join(tree, 'Windows', 'Panther'), { recursive: true });
  mkdirSync(join(tree, 'Windows', 'System32', 'drivers'), { recursive: true });
  mkdirSync(join(tree, 'Program Files', 'Common Files'), { recursive: true });
  writeFileSync(join(tree, 'Windows', 'System32', 'ntoskrnl.exe'), kernel);
  writeFileSync(join(tree, 'Windows', 'System32', 'drivers', 'disk.sys'), 'disk driver');
  writeFileSync(join(tree, 'Program Files', 'Common Files', 'readme.txt'), 'common');
  sh('wimlib-imagex', ['capture', tree, wim, 'Windows 10 Pro', 'Windows 10 Pro test image', '--compress=XPRESS']);
  sh('wimlib-imagex', ['append', tree, wim, 'Windows 10 Enterprise', '--compress=XPRESS']);
  sh('wimlib-imagex', [
    'info',
    wim,
    '1',
    '--image-property',
    'WINDOWS/ARCH=9',
    '--image-property',
    'WINDOWS/EDITIONID=Professional',
    '--image-property',
    'WINDOWS/INSTALLATIONTYPE=Client',
    '--image-property',
    'WINDOWS/PRODUCTTYPE=WinNT',
    '--image-property',
    'WINDOWS/VERSION/MAJOR=10',
    '--image-property',
    'WINDOWS/VERSION/MINOR=0',
    '--image-property',
    'WINDOWS/VERSION/BUILD=19045',
    '--image-property',
    'WINDOWS/VERSION/SPBUILD=3803',
    '--image-property',
    'WINDOWS/LANGUAGES/LANGUAGE=en-US',
    '--image-property',
    'WINDOWS/LANGUAGES/DEFAULT=en-US',
    '--image-property',
    'DISPLAYNAME=Windows 10 Pro',
  ]);
  sh('wimlib-imagex', ['info', wim, '2', '--image-property', 'WINDOWS/ARCH=12']);
});
afterAll(tmp.cleanup);

describe('readWimImages', () => {
  it('reads each image from the XML metadata', async () => {
    const images = await readWimImages(wim);
    expect(images).toHaveLength(2);
    expect(images[0]).toMatchObject({
      index: 1,
      name: 'Windows 10 Pro',
      description: 'Windows 10 Pro test image',
      displayName: 'Windows 10 Pro',
      architecture: 'x64',
      edition: 'Professional',
      installationType: 'Client',
      productType: 'WinNT',
      version: '10.0.19045.3803',
      languages: ['en-US'],
      defaultLanguage: 'en-US',
      fileCount: 3,
    });
    expect(images[0].totalBytes).toBeGreaterThanOrEqual(kernel.length);
    expect(images[1]).toMatchObject({ index: 2, name: 'Windows 10 Enterprise', architecture: 'arm64' });
    expect(images[1].version).toBeUndefined();
  });

  it('parses several languages and the other architectures', () => {
    const xml =
      '\uFEFF<WIM><IMAGE INDEX="2"><NAME>B &amp; C</NAME><WINDOWS><ARCH>5</ARCH><LANGUAGES><LANGUAGE>de-DE</LANGUAGE><LANGUAGE>fr-FR</LANGUAGE><DEFAULT>fr-FR</DEFAULT></LANGUAGES></WINDOWS></IMAGE>' +
      '<IMAGE INDEX="1"><NAME>A</NAME><WINDOWS><ARCH>0</ARCH></WINDOWS><TOTALBYTES>42</TOTALBYTES></IMAGE><TOTALBYTES>1</TOTALBYTES></WIM>';
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml.slice(1), 'utf16le')]);
    expect(parseWimXml(bytes)).toEqual([
      { index: 1, name: 'A', architecture: 'x86', totalBytes: 42 },
      { index: 2, name: 'B & C', architecture: 'arm', languages: ['de-DE', 'fr-FR'], defaultLanguage: 'fr-FR' },
    ]);
    expect(parseWimXml(Buffer.from('<WIM><TOTALBYTES>0</TOTALBYTES></WIM>'))).toEqual([]);
  });

  it('throws WimError not-found for a missing file and corrupt for garbage or a truncated WIM', async () => {
    const missing = await rejection<WimError>(readWimImages(join(tmp.dir, 'nope.wim')));
    expect(missing).toBeInstanceOf(WimError);
    expect(missing.code).toBe('not-found');
    expect(missing.message).toContain('nope.wim');

    const garbage = join(tmp.dir, 'garbage.wim');
    writeFileSync(garbage, randomBytes(10_000));
    const g = await rejection<WimError>(readWimImages(garbage));
    expect(g.code).toBe('corrupt');
    expect(g.message).toMatch(/garbage\.wim.*magic characters/);

    const truncated = join(tmp.dir, 'truncated.wim');
    writeFileSync(truncated, readFileSync(wim).subarray(0, 100));
    expect(((await readWimImages(truncated).catch((e: unknown) => e)) as WimError).code).toBe('corrupt');
    expect(((await readWimImages(tmp.dir).catch((e: unknown) => e)) as WimError).code).toBe('corrupt');
  });
});

describe('applyWimImage', () => {
  it('applies an image to a directory and reports progress up to 1', async () => {
    const out = join(tmp.dir, 'applied', 'deep');
    const progress: number[] = [];
    await applyWimImage(wim, 2, { kind: 'directory', path: out }, { onProgress: (f) => progress.push(f) });
    expect(readFileSync(join(out, 'Windows', 'System32', 'ntoskrnl.exe')).equals(kernel)).toBe(true);
    expect(readFileSync(join(out, 'Program Files', 'Common Files', 'readme.txt'), 'utf8')).toBe('common');
    expect(progress.at(-1)).toBe(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('applies into a fresh NtfsVolume side image; after flush the partition holds the files', async () => {
    const disk = join(tmp.dir, 'disk0.img');
    await createDiskImage(disk, 128 * MiB);
    const table: PartitionTable = await writePartitionTable(disk, 'mbr', [{ kind: 'primary', bootable: true }]);
    const vol = await NtfsVolume.format(disk, table.partitions[0], 'Windows', join(tmp.dir, 'work'));
    await applyWimImage(wim, 1, { kind: 'ntfs-image', path: vol.sideImagePath });
    // The answer file goes into the existing \Windows\Panther.
    await vol.writeFile('Windows/Panther/unattend.xml', '<unattend/>');
    await vol.flush();

    const part = ddPartition(disk, table.partitions[0], join(tmp.dir, 'p1.img'));
    const root = sh('ntfsls', ['-F', part]);
    expect(root).toContain('Windows/');
    expect(root).toContain('Program Files/');
    expect(sh('ntfsls', ['-p', '/Windows/System32', part])).toMatch(/ntoskrnl\.exe/);
    expect(sh('ntfsls', ['-p', '/Windows/Panther', part])).toMatch(/unattend\.xml/);
    expect(sh('ntfscat', [part, '/Windows/System32/drivers/disk.sys'])).toBe('disk driver');
    const fix = shStatus('ntfsfix', ['-n', part]);
    expect(fix.status, fix.stdout + fix.stderr).toBe(0);

    // wimlib's NTFS mode cannot apply over existing folders (toolchain.md §3.3).
    const again = await rejection<WimError>(applyWimImage(wim, 1, { kind: 'ntfs-image', path: vol.sideImagePath }));
    expect(again).toBeInstanceOf(WimError);
    expect(again.code).toBe('apply-failed');
    expect(again.message).toMatch(/format the volume first/);
    await vol.close();
  });

  it('names the images there are when the index does not exist', async () => {
    for (const index of [3, 0, 1.5]) {
      const e = await rejection<WimError>(applyWimImage(wim, index, { kind: 'directory', path: join(tmp.dir, 'x') }));
      expect(e).toBeInstanceOf(WimError);
      expect(e.code).toBe('no-such-image');
      expect(e.message).toContain('1 (Windows 10 Pro), 2 (Windows 10 Enterprise)');
    }
  });

  it('fails with not-found, corrupt or apply-failed before touching the target', async () => {
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: unknown) => (e instanceof WimError ? e.code : String(e)),
      );
    expect(await code(applyWimImage(join(tmp.dir, 'none.wim'), 1, { kind: 'directory', path: join(tmp.dir, 'y') }))).toBe('not-found');
    expect(await code(applyWimImage(join(tmp.dir, 'garbage.wim'), 1, { kind: 'directory', path: join(tmp.dir, 'y') }))).toBe('corrupt');
    const notNtfs = join(tmp.dir, 'blank.img');
    writeFileSync(notNtfs, Buffer.alloc(MiB));
    expect(await code(applyWimImage(wim, 1, { kind: 'ntfs-image', path: notNtfs }))).toBe('apply-failed');
    expect(await code(applyWimImage(wim, 1, { kind: 'ntfs-image', path: join(tmp.dir, 'missing.img') }))).toBe('apply-failed');
  });

  it('stops when the signal is aborted', async () => {
    const ac = new AbortController();
    ac.abort(new Error('cancelled by the admin'));
    await expect(applyWimImage(wim, 1, { kind: 'directory', path: join(tmp.dir, 'z') }, { signal: ac.signal })).rejects.toThrow('cancelled by the admin');
  });
});

describe('the whole WinPE disk pipeline', () => {
  it('partitions a 2 GiB disk the UEFI way, formats, applies, writes the answer file — and stays sparse', async () => {
    const disk = join(tmp.dir, 'uefi.img');
    const work = join(tmp.dir, 'uefi-work');
    await createDiskImage(disk, 2048 * MiB);
    const { partitions } = await writePartitionTable(disk, 'gpt', [
      { kind: 'efi', sizeBytes: 500 * MiB },
      { kind: 'msr', sizeBytes: 128 * MiB },
      { kind: 'primary', percentOfRemaining: 99 },
      { kind: 'recovery', percentOfRemaining: 100 },
    ]);
    const esp = await FatVolume.format(disk, partitions[0], 'SYSTEM');
    await esp.writeFile('EFI/Microsoft/Boot/BCD', randomBytes(16_384));
    const windows = await NtfsVolume.format(disk, partitions[2], 'Windows', work);
    await applyWimImage(wim, 1, { kind: 'ntfs-image', path: windows.sideImagePath });
    await windows.writeFile('Windows/Panther/unattend.xml', '<unattend/>');
    await windows.close();
    await (await NtfsVolume.format(disk, partitions[3], 'Recovery', work)).close();

    expect(sh('sgdisk', ['-v', disk])).toMatch(/No problems found/);
    const reopened = await openVolume(disk, partitions[2], join(tmp.dir, 'uefi-work2'));
    expect((await reopened.readFile('Windows/System32/ntoskrnl.exe')).equals(kernel)).toBe(true);
    expect((await openVolume(disk, partitions[0], work)).description).toBe('FAT32 partition 1 of uefi.img');
    expect(statSync(disk).blocks * 512).toBeLessThan(64 * MiB);
  });
});
