// The Computer port on block devices (src/bootenv/guest/block-device-computer.ts), as the agent in
// the boot environment uses it: on a disk-image file standing for /dev/vda, with loop devices at
// the partitions' offsets as the partition nodes (root only) — NTFS formatted by mkntfs on the node
// and the image applied by wimlib straight to it, no side image; FAT32 by mtools at the offset; the
// BIOS boot code into the disk. Then the disk is read with sfdisk, dd and ntfscat, not this code.
// Without loop devices: the same operations on the file alone, the lab's way (side images).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockDeviceComputer } from '../../src/bootenv/guest/block-device-computer.js';
import { guestProfile, readGuestHardware } from '../../src/bootenv/guest/facts.js';
import { makeTestContent, type TestContent } from '../../src/lab/test-content/index.js';
import type { PartitionInfo } from '../../src/storage/disk/partition-table.js';
import { NtfsVolume } from '../../src/storage/volume/ntfs.js';
import { GRUB_I386, grubCoreImage } from '../helpers/boot-files.js';
import { fakeSysfs } from '../helpers/guest-sysfs.js';
import { ntfsPartition } from '../helpers/lab-disk.js';
import { tempDir } from '../helpers/temp.js';

let dir: string;
let content: TestContent;
const loops: string[] = [];

function loopSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'loop devices need root';
  const probe = join(tempDir('osd-loop-'), 'p.img');
  try {
    execFileSync('truncate', ['-s', '1M', probe]);
    const l = execFileSync('losetup', ['-f', '--show', probe], { encoding: 'utf8' }).trim();
    execFileSync('losetup', ['-d', l]);
    return undefined;
  } catch (e) {
    return `no loop device here (${(e as Error).message.split('\n')[0]})`;
  }
}
const noLoop = loopSkipReason();

beforeAll(async () => {
  dir = tempDir('osd-blockdev-');
  content = await makeTestContent(join(dir, 'content'));
}, 120_000);
afterAll(() => {
  // Only the loop devices this file made.
  for (const l of loops.splice(0)) execFileSync('losetup', ['-d', l]);
});

function computer(disk: string, name: string, firmware: 'uefi' | 'bios', partitionNodes: boolean) {
  const roots = fakeSysfs(join(dir, `${name}-root`), { firmware, macs: ['52:54:00:AA:BB:01'], disks: {} });
  const profile = guestProfile({ ...readGuestHardware(roots, 'x64'), disks: [{ name: 'vda', device: disk, sizeBytes: 1 << 30, bus: 'scsi' }] }, name);
  const lines: string[] = [];
  const c = new BlockDeviceComputer({
    name,
    profile,
    disks: [{ index: 0, device: disk, bus: 'scsi' }],
    workDir: join(dir, `${name}-work`),
    drivesFile: join(dir, `${name}-state`, 'drives.json'),
    log: (l) => lines.push(l),
    ...(partitionNodes
      ? {
          partitionNode: async (_d: unknown, p: PartitionInfo) => {
            const l = execFileSync('losetup', ['-f', '--show', '-o', String(p.offsetBytes), '--sizelimit', String(p.sizeBytes), disk], {
              encoding: 'utf8',
            }).trim();
            loops.push(l);
            return l;
          },
        }
      : {}),
  });
  return { c, lines };
}

function diskFile(name: string): string {
  const path = join(dir, `${name}.img`);
  execFileSync('truncate', ['-s', '1G', path]);
  return path;
}

async function deploy(c: BlockDeviceComputer) {
  const v = await c.writeLayout(0, {
    style: 'gpt',
    partitions: [
      { kind: 'efi', sizeBytes: 100 << 20 },
      { kind: 'msr', sizeBytes: 16 << 20 },
      { kind: 'primary', name: 'Windows' },
    ],
  });
  await c.format(v[0]!, 'FAT32', 'SYSTEM');
  await c.format(v[2]!, 'NTFS', 'Windows');
  await c.applyImage(v[2]!, content.wimPath, 2);
  const files = await c.files(v[2]!);
  await files.writeFile('Windows/Panther/Unattend/Unattend.xml', '<unattend/>');
  await (await c.files(v[0]!)).writeFile('EFI/Boot/marker.txt', 'esp');
  c.setDrives([{ letter: 'C:', disk: 0, partition: 3 }]);
  await c.flush();
  return v;
}

describe.skipIf(noLoop)(`BlockDeviceComputer with partition nodes (loop devices)${noLoop ? ` (skipped: ${noLoop})` : ''}`, () => {
  it('partitions, formats NTFS in place on the node, applies the WIM to it, FAT32 at the offset; the disk holds it all', async () => {
    const disk = diskFile('inplace');
    const { c, lines } = computer(disk, 'inplace', 'uefi', true);
    await deploy(c);
    expect(lines).toContainEqual(expect.stringMatching(/^Formatting \/dev\/loop\d+ NTFS \("Windows"\) with mkntfs, in place$/));
    expect(lines).toContainEqual(expect.stringMatching(/^Applying image 2 of .*\.wim to \/dev\/loop\d+ with wimlib-imagex/));
    // No side image was made: the work folder holds none.
    expect(readdirSync(join(dir, 'inplace-work')).filter((f) => f.endsWith('.ntfs'))).toEqual([]);
    const vols = await c.volumes(0);
    expect(vols.map((v) => [v.kind, v.fileSystem])).toEqual([
      ['efi', 'FAT32'],
      ['msr', undefined],
      ['primary', 'NTFS'],
    ]);
    // Read back from the disk file with the tools.
    const win = ntfsPartition(disk, 2, dir, 'inplace-win.img');
    expect(win.table.label).toBe('gpt');
    expect(win.read('/edition.txt')).toMatch(/Enterprise/);
    expect(win.read('/Windows/Panther/Unattend/Unattend.xml')).toBe('<unattend/>');
    const esp = `${disk}@@${win.table.partitions[0]!.start * 512}`;
    expect(execFileSync('mtype', ['-i', esp, '::/EFI/Boot/marker.txt'], { encoding: 'utf8', env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } })).toBe('esp');
    // Drive letters are kept beside the agent's journal, for the next start.
    expect(JSON.parse(readFileSync(join(dir, 'inplace-state', 'drives.json'), 'utf8'))).toEqual([{ letter: 'C:', disk: 0, partition: 3 }]);
    // A second computer on the same disk (the agent started again) opens the volume in place and reads it.
    const again = computer(disk, 'inplace', 'uefi', true).c;
    expect(again.drives()).toEqual([{ letter: 'C:', disk: 0, partition: 3 }]);
    const files = await again.files({ disk: 0, partition: 3 });
    expect(files).toBeInstanceOf(NtfsVolume);
    expect((files as NtfsVolume).inPlace).toBe(true);
    expect((await files.readFile('edition.txt')).toString()).toMatch(/Enterprise/);
  }, 120_000);

  it.skipIf(!existsSync(join(GRUB_I386, 'boot.img')))(
    'BIOS: MBR layout, NTFS in place, boot code into the disk',
    async () => {
      const disk = diskFile('bios');
      const { c } = computer(disk, 'bios', 'bios', true);
      const v = await c.writeLayout(0, {
        style: 'mbr',
        partitions: [
          { kind: 'primary', sizeBytes: 64 << 20, bootable: true },
          { kind: 'primary', name: 'Windows' },
        ],
      });
      await c.format(v[1]!, 'NTFS', 'Windows');
      const core = grubCoreImage(tempDir('osd-core-'), 'X');
      const r = await c.writeBootCode(0, { bootImage: readFileSync(join(GRUB_I386, 'boot.img')), coreImage: core });
      expect(r).toMatchObject({ coreSector: 1, where: 'the gap after the MBR (sectors 1–2047)' });
      await c.flush();
      const bytes = readFileSync(disk).subarray(0, 1024);
      expect(bytes.readBigUInt64LE(0x5c)).toBe(1n);
      expect(execFileSync('sfdisk', ['--json', disk], { encoding: 'utf8' })).toMatch(/"type": ?"7"/);
    },
    60_000,
  );
});

describe('BlockDeviceComputer on a disk-image file without partition nodes (the lab’s way)', () => {
  it('does the same through side images spliced back on flush', async () => {
    const disk = diskFile('file');
    const { c } = computer(disk, 'file', 'uefi', false);
    await deploy(c);
    const win = ntfsPartition(disk, 2, dir, 'file-win.img');
    expect(win.read('/edition.txt')).toMatch(/Enterprise/);
    expect((await c.disks())[0]).toMatchObject({ index: 0, sizeBytes: 1 << 30, firmware: 'uefi', bus: 'scsi', style: 'gpt' });
  }, 120_000);

  it('a disk that does not exist, a partition that does not: ComputerError with the code', async () => {
    const { c } = computer(diskFile('errors'), 'errors', 'uefi', false);
    await expect(c.volumes(1)).rejects.toMatchObject({ code: 0x80070490, message: expect.stringMatching(/disk 1 does not exist on errors \(disks: 0 /) });
    await expect(c.files({ disk: 0, partition: 4 })).rejects.toMatchObject({ code: 0x80070003 });
  });
});
