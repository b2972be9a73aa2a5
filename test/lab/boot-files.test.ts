// BCDBoot on a lab machine's disk images (contract C6): the UEFI loader lands on the FAT ESP inside
// the image; the BIOS boot code is GRUB's — byte for byte what `grub-bios-setup --no-rs-codes`
// writes (compared where this machine can run it: root, a loop device, ext4), and a BIOS VM
// (SeaBIOS under QEMU) starts it from the disk and prints the core image's marker.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContentLibrary } from '../../src/actions/content.js';
import { failureResult } from '../../src/actions/errors.js';
import { applyOperatingSystemHandler } from '../../src/actions/handlers/apply-operating-system.js';
import { createLab } from '../../src/lab/create.js';
import type { LabMachine } from '../../src/lab/lab-machine.js';
import { writeBootCode } from '../../src/storage/disk/boot-code.js';
import { readPartitionTable } from '../../src/storage/disk/partition-table.js';
import { applyOperatingSystem } from '../../src/sequence/catalog/index.js';
import { execution, MACHINES, step } from '../actions/handlers/helpers.js';
import { bootFilesSkipReason, GRUB_I386, makeBootFilesImage, type BootFilesImage } from '../helpers/boot-files.js';
import { tempDir } from '../helpers/temp.js';

const skip = bootFilesSkipReason();
let dir: string;
let image: BootFilesImage;

beforeAll(() => {
  if (skip) return;
  dir = tempDir('osd-lab-bcdboot-');
  image = makeBootFilesImage(dir, 'OSD-BOOTCODE-OK');
}, 60_000);

/** grub-bios-setup needs its -d folder on a block device it can name: an ext4 loop device here (root only). */
function referenceSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'grub-bios-setup as a reference needs root (a loop device and a mount)';
  if (!existsSync(join(GRUB_I386, 'grub-bios-setup'))) return 'grub-bios-setup is not installed (Debian: grub-pc-bin)';
  const probe = tempDir('osd-loop-probe-');
  const img = join(probe, 'e.img');
  let loop: string | undefined;
  try {
    execFileSync('truncate', ['-s', '8M', img]);
    execFileSync('mkfs.ext4', ['-q', img]);
    loop = execFileSync('losetup', ['-f', '--show', img], { encoding: 'utf8' }).trim();
    mkdirSync(join(probe, 'm'));
    execFileSync('mount', [loop, join(probe, 'm')]);
    execFileSync('umount', [join(probe, 'm')]);
    return undefined;
  } catch (e) {
    return `no loop device with ext4 to run grub-bios-setup from here (${(e as Error).message.split('\n')[0]})`;
  } finally {
    if (loop) execFileSync('losetup', ['-d', loop]);
  }
}

/** What grub-bios-setup --no-rs-codes makes of `disk` with these images (run from an ext4 loop device). */
function grubBiosSetup(disk: string, work: string): void {
  const fs = join(work, 'grubdir.img');
  const mnt = join(work, 'grubdir');
  mkdirSync(mnt, { recursive: true });
  execFileSync('truncate', ['-s', '8M', fs]);
  execFileSync('mkfs.ext4', ['-q', fs]);
  const loop = execFileSync('losetup', ['-f', '--show', fs], { encoding: 'utf8' }).trim();
  try {
    execFileSync('mount', [loop, mnt]);
    try {
      writeFileSync(join(mnt, 'boot.img'), image.bootImg);
      writeFileSync(join(mnt, 'core.img'), image.coreImg);
      writeFileSync(join(work, 'device.map'), `(hd0) ${disk}\n(hd1) ${loop}\n`);
      execFileSync(join(GRUB_I386, 'grub-bios-setup'), ['--no-rs-codes', '-m', join(work, 'device.map'), '-d', mnt, disk], { stdio: 'pipe' });
    } finally {
      execFileSync('umount', [mnt]);
    }
  } finally {
    execFileSync('losetup', ['-d', loop]);
  }
}

function qemuSkipReasonHere(): string | undefined {
  try {
    execFileSync('sh', ['-c', 'command -v qemu-system-x86_64'], { stdio: 'ignore' });
  } catch {
    return 'qemu-system-x86_64 is not installed (Debian: qemu-system-x86; scripts/system-packages.sh)';
  }
  if (!existsSync('/usr/share/seabios/bios.bin')) return 'SeaBIOS is not installed (Debian: seabios)';
  return undefined;
}

/** Boots the raw disk under SeaBIOS (TCG) until `marker` shows on the serial console or `ms` pass; returns what it printed. */
function bootBios(disk: string, marker: string, ms: number): Promise<{ seen: boolean; output: string }> {
  return new Promise((resolve) => {
    const q = spawn(
      'qemu-system-x86_64',
      ['-machine', 'q35', '-m', '128', '-nographic', '-no-reboot', '-net', 'none', '-drive', `file=${disk},format=raw,if=virtio`],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const done = (seen: boolean): void => {
      clearTimeout(timer);
      q.kill('SIGKILL');
      resolve({ seen, output });
    };
    const timer = setTimeout(() => done(false), ms);
    q.stdout.on('data', (b: Buffer) => {
      output += b.toString('latin1');
      if (output.includes(marker)) done(true);
    });
    q.on('exit', () => done(output.includes(marker)));
  });
}

async function labWith(profileFile: string, name: string): Promise<LabMachine> {
  return createLab(join(dir, 'labs'), name, { profilePath: join(MACHINES, profileFile), disks: ['256M'] });
}

async function applyTo(lab: LabMachine) {
  const m = execution(step(applyOperatingSystem, { imagePackageId: image.packageId, imageIndex: 1, destination: { kind: 'next-available' } }));
  const result = await applyOperatingSystemHandler.run!({ x: m.x, computer: lab, content: new ContentLibrary(image.root) }).catch(failureResult);
  await lab.flush();
  return { result, logs: m.logs };
}

async function biosLab(name: string): Promise<LabMachine> {
  const lab = await labWith('bios-x64-desktop-bare-metal.json', name);
  const v = await lab.writeLayout(0, {
    style: 'mbr',
    partitions: [
      { kind: 'primary', sizeBytes: 64 << 20, bootable: true },
      { kind: 'primary', name: 'Windows' },
    ],
  });
  await lab.format(v[0], 'NTFS', 'System Reserved');
  await lab.format(v[1], 'NTFS', 'Windows');
  lab.setDrives([{ letter: 'C:', disk: 0, partition: 2 }]);
  return lab;
}

describe.skipIf(skip)(`BCDBoot on lab disk images${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('UEFI: the loader is on the FAT32 ESP inside the disk image under both names', async () => {
    const lab = await labWith('uefi-x64-laptop-bare-metal.json', 'uefi');
    const v = await lab.writeLayout(0, {
      style: 'gpt',
      partitions: [
        { kind: 'efi', sizeBytes: 64 << 20 },
        { kind: 'msr', sizeBytes: 16 << 20 },
        { kind: 'primary', name: 'Windows' },
      ],
    });
    await lab.format(v[0], 'FAT32', 'SYSTEM');
    await lab.format(v[2], 'NTFS', 'Windows');
    lab.setDrives([{ letter: 'C:', disk: 0, partition: 3 }]);
    const { result } = await applyTo(lab);
    expect(result).toEqual({ exitCode: 0 });
    // Read back with mtools at the ESP's offset, not through the code under test.
    const table = await readPartitionTable(lab.diskPath(0));
    const at = `${lab.diskPath(0)}@@${table!.partitions[0].offsetBytes}`;
    for (const path of ['::/EFI/Microsoft/Boot/bootmgfw.efi', '::/EFI/Boot/bootx64.efi']) {
      const bytes = execFileSync('mtype', ['-i', at, path], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' }, maxBuffer: 8 << 20 });
      expect(bytes.equals(image.efiLoader)).toBe(true);
    }
  });

  it('BIOS: boot.img in sector 0 with the partition table kept, core.img in the MBR gap', async () => {
    const lab = await biosLab('bios');
    const before = readFileSync(lab.diskPath(0)).subarray(0, 512);
    const { result, logs } = await applyTo(lab);
    expect(result).toEqual({ exitCode: 0 });
    expect(logs).toContainEqual(expect.stringMatching(/Boot files installed for BIOS/));
    const disk = readFileSync(lab.diskPath(0));
    const mbr = disk.subarray(0, 512);
    expect(mbr.subarray(0x1b8, 0x1fe).equals(before.subarray(0x1b8, 0x1fe))).toBe(true); // signature + partition table
    expect(mbr.subarray(0x68, 0x1b8).equals(image.bootImg.subarray(0x68, 0x1b8))).toBe(true); // GRUB's code after the patched fields
    expect(mbr.readBigUInt64LE(0x5c)).toBe(1n); // core.img starts at sector 1
    expect(mbr.subarray(510).toString('hex')).toBe('55aa');
    const sectors = Math.ceil(image.coreImg.length / 512);
    const core = disk.subarray(512, 512 + sectors * 512);
    expect(core.subarray(512, image.coreImg.length).equals(image.coreImg.subarray(512))).toBe(true);
    expect(core.readBigUInt64LE(500)).toBe(2n);
    expect(core.readUInt16LE(508)).toBe(sectors - 1);
    expect(execFileSync('sfdisk', ['--json', lab.diskPath(0)], { encoding: 'utf8' })).toMatch(/"bootable": ?true/);
  });

  const refSkip = skip ?? referenceSkipReason();
  it.skipIf(refSkip)(
    `BIOS: the same bytes as grub-bios-setup --no-rs-codes, MBR and GPT with a BIOS boot partition${refSkip ? ` (skipped: ${refSkip})` : ''}`,
    async () => {
      const work = tempDir('osd-gbs-');
      for (const style of ['mbr', 'gpt'] as const) {
        const ours = join(work, `${style}-ours.img`);
        execFileSync('truncate', ['-s', '64M', ours]);
        const script =
          style === 'mbr'
            ? 'label: dos\nstart=2048, size=65536, type=7, bootable\nstart=67584, type=7\n'
            : 'label: gpt\nstart=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649\nstart=4096, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n';
        execFileSync('sfdisk', ['-q', ours], { input: script });
        const theirs = join(work, `${style}-grub.img`);
        copyFileSync(ours, theirs);
        const r = await writeBootCode(ours, (await readPartitionTable(ours))!, { bootImage: image.bootImg, coreImage: image.coreImg });
        expect(r.coreSector).toBe(style === 'mbr' ? 1 : 2048);
        grubBiosSetup(theirs, work);
        expect(readFileSync(ours).equals(readFileSync(theirs))).toBe(true);
      }
    },
  );

  const vmSkip = skip ?? qemuSkipReasonHere();
  it.skipIf(vmSkip)(
    `BIOS: SeaBIOS starts the boot code from the lab disk and GRUB prints its marker${vmSkip ? ` (skipped: ${vmSkip})` : ''}`,
    async () => {
      const lab = await biosLab('bios-vm');
      expect((await applyTo(lab)).result).toEqual({ exitCode: 0 });
      const { seen, output } = await bootBios(lab.diskPath(0), 'OSD-BOOTCODE-OK', 60_000);
      expect(seen, `serial console:\n${output.slice(-2000)}`).toBe(true);
    },
    90_000,
  );

  it('a disk too full for the core image: refused before anything is written', async () => {
    const work = tempDir('osd-bootcode-');
    const disk = join(work, 'tight.img');
    execFileSync('truncate', ['-s', '8M', disk]);
    execFileSync('sfdisk', ['-q', disk], { input: 'label: dos\nstart=63, type=7\n' });
    const before = readFileSync(disk);
    await expect(writeBootCode(disk, (await readPartitionTable(disk))!, { bootImage: image.bootImg, coreImage: image.coreImg })).rejects.toThrow(
      /GRUB's core image needs \d+ sectors but the gap after the MBR \(sectors 1–62\) has 62/,
    );
    await expect(writeBootCode(disk, (await readPartitionTable(disk))!, { bootImage: Buffer.alloc(512), coreImage: image.coreImg })).rejects.toThrow(
      /without the 55 AA signature/,
    );
    expect(readFileSync(disk).equals(before)).toBe(true);
  });
});
