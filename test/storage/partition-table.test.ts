import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createDiskImage,
  DiskTooSmallError,
  GPT_TYPE,
  readPartitionTable,
  writePartitionTable,
  type PartitionRequest,
} from '../../src/storage/disk/partition-table.js';
import { MiB, sh, tempDir } from './helpers.js';

const tmp = tempDir('partition');
afterAll(tmp.cleanup);

/** The Create Task Sequence Wizard's UEFI layout (osd-features: Format and Partition Disk, UEFI). */
const UEFI: PartitionRequest[] = [
  { kind: 'efi', sizeBytes: 500 * MiB, name: 'EFI', fileSystem: 'FAT32' },
  { kind: 'msr', sizeBytes: 128 * MiB, name: 'MSR' },
  { kind: 'primary', percentOfRemaining: 99, name: 'Windows', fileSystem: 'NTFS' },
  { kind: 'recovery', percentOfRemaining: 100, name: 'Recovery', fileSystem: 'NTFS' },
];

/** The BIOS layout: System Reserved 350 MB active, Windows 99%, Recovery the rest. */
const BIOS: PartitionRequest[] = [
  { kind: 'primary', sizeBytes: 350 * MiB, bootable: true, fileSystem: 'NTFS' },
  { kind: 'primary', percentOfRemaining: 99, fileSystem: 'NTFS' },
  { kind: 'recovery', percentOfRemaining: 100, fileSystem: 'NTFS' },
];

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('createDiskImage', () => {
  it('makes a sparse file of the size and refuses to overwrite one unless told to', async () => {
    const disk = join(tmp.dir, 'create.img');
    await createDiskImage(disk, 2048 * MiB);
    const s = statSync(disk);
    expect(s.size).toBe(2048 * MiB);
    expect(s.blocks * 512).toBeLessThan(MiB); // sparse
    await expect(createDiskImage(disk, 64 * MiB)).rejects.toThrow(/already exists.*overwrite: true/);
    await createDiskImage(disk, 64 * MiB, { overwrite: true });
    expect(statSync(disk).size).toBe(64 * MiB);
    await expect(createDiskImage(join(tmp.dir, 'odd.img'), 64 * MiB + 1)).rejects.toThrow(/512-byte sectors/);
  });
});

describe('writePartitionTable', () => {
  it('lays out the ConfigMgr UEFI layout on GPT (EFI 500 MB, MSR 128 MB, Windows 99%, Recovery the rest)', async () => {
    const disk = join(tmp.dir, 'uefi.img');
    await createDiskImage(disk, 2048 * MiB);
    const table = await writePartitionTable(disk, 'gpt', UEFI);

    expect(sh('sgdisk', ['-v', disk])).toMatch(/No problems found/);
    const dump = sh('sfdisk', ['-d', disk]);
    expect(dump).toMatch(/^label: gpt$/m);
    const lines = dump.split('\n').filter((l) => /^\S+ : start=/.test(l));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain(`type=${GPT_TYPE.efi}`);
    expect(lines[0]).toContain('name="EFI"');
    expect(lines[1]).toContain('type=E3C9E316-0B5C-4DB8-817D-F92DF00215AE');
    expect(lines[2]).toContain('type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7');
    expect(lines[3]).toContain('type=DE94BBA4-06D1-4D40-A16A-BFD50179D6AC');
    expect(lines[3]).toContain('attrs="RequiredPartition GUID:63"');

    const [efi, msr, win, rec] = table.partitions;
    expect(table.style).toBe('gpt');
    expect(table.diskSizeBytes).toBe(2048 * MiB);
    expect(efi).toMatchObject({ number: 1, startSector: 2048, sizeSectors: 1024000, offsetBytes: MiB, sizeBytes: 500 * MiB, kind: 'efi', bootable: true });
    expect(msr).toMatchObject({ number: 2, startSector: 2048 + 1024000, sizeBytes: 128 * MiB, kind: 'msr', name: 'MSR' });
    for (const p of table.partitions) expect(p.startSector % 2048).toBe(0);
    // Windows gets 99% of what remains after EFI and MSR; Recovery runs to the last usable sector.
    const totalSectors = (2048 * MiB) / 512;
    const remaining = totalSectors - 33 - win.startSector;
    expect(win).toMatchObject({ kind: 'primary', name: 'Windows', sizeSectors: Math.floor(remaining * 0.99) });
    expect(rec.kind).toBe('recovery');
    expect(rec.startSector + rec.sizeSectors).toBe(totalSectors - 33);
    expect(rec.startSector).toBeGreaterThanOrEqual(win.startSector + win.sizeSectors);

    expect(await readPartitionTable(disk)).toEqual(table);
    expect(statSync(disk).blocks * 512).toBeLessThan(8 * MiB); // still sparse
  });

  it('lays out the BIOS layout on MBR with System Reserved active', async () => {
    const disk = join(tmp.dir, 'bios.img');
    await createDiskImage(disk, 1024 * MiB);
    const table = await writePartitionTable(disk, 'mbr', BIOS);
    const dump = sh('sfdisk', ['-d', disk]);
    expect(dump).toMatch(/^label: dos$/m);
    const lines = dump.split('\n').filter((l) => /^\S+ : start=/.test(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/start=\s*2048, size=\s*716800, type=7, bootable/);
    expect(lines[1]).toMatch(/type=7$/);
    expect(lines[2]).toMatch(/type=27$/);
    expect(table.partitions.map((p) => [p.kind, p.typeId, p.bootable])).toEqual([
      ['primary', '07', true],
      ['primary', '07', false],
      ['recovery', '27', false],
    ]);
    const last = table.partitions[2];
    expect(last.startSector + last.sizeSectors).toBe((1024 * MiB) / 512);
    expect(await readPartitionTable(disk)).toEqual(table);
  });

  it('uses type 0x0c for a FAT32 primary partition and 0xef for an EFI partition on MBR', async () => {
    const disk = join(tmp.dir, 'mbr-fat.img');
    await createDiskImage(disk, 128 * MiB);
    const table = await writePartitionTable(disk, 'mbr', [
      { kind: 'efi', sizeBytes: 40 * MiB },
      { kind: 'primary', fileSystem: 'FAT32' },
    ]);
    expect(table.partitions.map((p) => [p.kind, p.typeId])).toEqual([
      ['efi', 'ef'],
      ['primary', '0c'],
    ]);
  });

  it('replaces an old table and wipes the old boot sectors', async () => {
    const disk = join(tmp.dir, 'rewrite.img');
    await createDiskImage(disk, 256 * MiB);
    await writePartitionTable(disk, 'mbr', [{ kind: 'primary', sizeBytes: 100 * MiB }, { kind: 'primary' }]);
    const t = await writePartitionTable(disk, 'gpt', [{ kind: 'primary' }]);
    expect(t.partitions).toHaveLength(1);
    expect(sh('sfdisk', ['-d', disk])).toMatch(/^label: gpt$/m);
  });

  it('throws DiskTooSmallError naming the sizes and the partition, and leaves the disk untouched', async () => {
    const disk = join(tmp.dir, 'small.img');
    await createDiskImage(disk, 300 * MiB);
    await writePartitionTable(disk, 'gpt', [{ kind: 'primary' }]);
    const before = sha(disk);
    const err = await writePartitionTable(disk, 'gpt', UEFI).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiskTooSmallError);
    const e = err as DiskTooSmallError;
    expect(e.partitionNumber).toBe(1);
    expect(e.diskSizeBytes).toBe(300 * MiB);
    expect(e.message).toMatch(/the disk is 300 MiB/);
    expect(e.message).toMatch(/needs at least 828 MiB/);
    expect(e.message).toMatch(/partition 1 \(EFI, 500 MiB\)/);
    expect(sha(disk)).toBe(before);

    // The needed size is exact: the layout fits a disk of exactly that size.
    const fits = join(tmp.dir, 'fits.img');
    await createDiskImage(fits, e.neededBytes);
    const t = await writePartitionTable(fits, 'gpt', UEFI);
    expect(t.partitions.every((p) => p.sizeSectors >= 2048)).toBe(true);
    expect(sh('sgdisk', ['-v', fits])).toMatch(/No problems found/);
  });

  it('refuses a percentage partition that would be under 1 MiB', async () => {
    const disk = join(tmp.dir, 'tiny.img');
    await createDiskImage(disk, 64 * MiB);
    const err = await writePartitionTable(disk, 'mbr', [
      { kind: 'primary', sizeBytes: 62 * MiB },
      { kind: 'primary', percentOfRemaining: 50 },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiskTooSmallError);
    expect((err as Error).message).toMatch(/partition 2 \(primary, 50% of the remaining space\)/);
    expect((err as Error).message).toMatch(/under the 1 MiB minimum|no space left/);
    expect(await readPartitionTable(disk)).toBeUndefined();
  });

  it('refuses layouts MBR cannot hold and malformed requests', async () => {
    const disk = join(tmp.dir, 'bad.img');
    await createDiskImage(disk, 64 * MiB);
    await expect(writePartitionTable(disk, 'mbr', [{ kind: 'msr', sizeBytes: 16 * MiB }])).rejects.toThrow(/only on GPT/);
    const five = Array.from({ length: 5 }, () => ({ kind: 'primary' as const, sizeBytes: 4 * MiB }));
    await expect(writePartitionTable(disk, 'mbr', five)).rejects.toThrow(/at most 4 primary partitions/);
    await expect(writePartitionTable(disk, 'gpt', [{ kind: 'primary', sizeBytes: MiB, percentOfRemaining: 10 }])).rejects.toThrow(
      /both sizeBytes and percentOfRemaining/,
    );
    await expect(writePartitionTable(disk, 'gpt', [{ kind: 'primary', percentOfRemaining: 0 }])).rejects.toThrow(/above 0/);
    await expect(writePartitionTable(disk, 'gpt', [])).rejects.toThrow(/at least one partition/);
    await expect(writePartitionTable(disk, 'gpt', [{ kind: 'primary', sizeBytes: 1000 }])).rejects.toThrow(/at least 1 MiB/);
    await expect(writePartitionTable(join(tmp.dir, 'absent.img'), 'gpt', [{ kind: 'primary' }])).rejects.toThrow(/does not exist: create the disk image first/);
    expect(await readPartitionTable(disk)).toBeUndefined();
  });
});

describe('readPartitionTable', () => {
  it('returns undefined for a blank disk and throws for a missing file', async () => {
    const disk = join(tmp.dir, 'blank.img');
    await createDiskImage(disk, 16 * MiB);
    expect(await readPartitionTable(disk)).toBeUndefined();
    expect(existsSync(join(tmp.dir, 'none.img'))).toBe(false);
    await expect(readPartitionTable(join(tmp.dir, 'none.img'))).rejects.toThrow(/ENOENT/);
  });
});
