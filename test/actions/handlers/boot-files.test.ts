// BCDBoot in Apply Operating System (contract C6) on a computer in folders: the UEFI loader copied
// to the EFI system partition under both names, the BIOS boot code handed to the disk, an image
// without boot files logged and the step still a success, and the failures that stop it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContentLibrary } from '../../../src/actions/content.js';
import { failureResult } from '../../../src/actions/errors.js';
import { applyOperatingSystemHandler } from '../../../src/actions/handlers/apply-operating-system.js';
import { makeTestContent, type TestContent } from '../../../src/lab/test-content/index.js';
import { applyOperatingSystem } from '../../../src/sequence/catalog/index.js';
import { bootFilesSkipReason, makeBootFilesImage, type BootFilesImage } from '../../helpers/boot-files.js';
import { tempDir } from '../../helpers/temp.js';
import { directoryComputer, execution, profile, step } from './helpers.js';

const skip = bootFilesSkipReason();
let image: BootFilesImage;
let windowsLike: TestContent;

beforeAll(async () => {
  if (skip) return;
  const dir = tempDir('osd-bcdboot-');
  image = makeBootFilesImage(dir);
  windowsLike = await makeTestContent(join(dir, 'windows-like'));
}, 120_000);

async function uefiComputer(options: { esp?: 'FAT32' | 'NTFS' | 'none' } = {}) {
  const { computer } = directoryComputer(profile('uefi-x64-laptop-bare-metal.json'));
  const withEsp = options.esp !== 'none';
  const v = await computer.writeLayout(0, {
    style: 'gpt',
    partitions: [
      ...(withEsp ? [{ kind: 'efi' as const, sizeBytes: 100 << 20 }] : []),
      { kind: 'msr', sizeBytes: 16 << 20 },
      { kind: 'primary', name: 'Windows' },
    ],
  });
  if (withEsp) await computer.format(v[0], options.esp === 'NTFS' ? 'NTFS' : 'FAT32', 'SYSTEM');
  const windows = v[v.length - 1];
  await computer.format(windows, 'NTFS', 'Windows');
  computer.setDrives([{ letter: 'C:', disk: 0, partition: windows.partition }]);
  return computer;
}

async function biosComputer() {
  const { computer } = directoryComputer(profile('bios-x64-desktop-bare-metal.json'));
  const v = await computer.writeLayout(0, {
    style: 'mbr',
    partitions: [
      { kind: 'primary', sizeBytes: 350 << 20, bootable: true },
      { kind: 'primary', name: 'Windows' },
    ],
  });
  await computer.format(v[0], 'NTFS', 'System Reserved');
  await computer.format(v[1], 'NTFS', 'Windows');
  computer.setDrives([{ letter: 'C:', disk: 0, partition: 2 }]);
  return computer;
}

async function apply(computer: Awaited<ReturnType<typeof uefiComputer>>, root: string, packageId: string, imageIndex = 1) {
  const m = execution(step(applyOperatingSystem, { imagePackageId: packageId, imageIndex, destination: { kind: 'next-available' } }));
  const result = await applyOperatingSystemHandler.run!({ x: m.x, computer, content: new ContentLibrary(root) }).catch(failureResult);
  return { result, logs: m.logs };
}

describe.skipIf(skip)(`BCDBoot in Apply Operating System${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('UEFI: copies Windows\\Boot\\EFI\\bootmgfw.efi to the EFI system partition as EFI\\Microsoft\\Boot\\bootmgfw.efi and EFI\\Boot\\bootx64.efi', async () => {
    const computer = await uefiComputer();
    const { result, logs } = await apply(computer, image.root, image.packageId);
    expect(result).toEqual({ exitCode: 0 });
    const esp = computer.folder({ disk: 0, partition: 1 });
    expect(readFileSync(join(esp, 'EFI', 'Microsoft', 'Boot', 'bootmgfw.efi')).equals(image.efiLoader)).toBe(true);
    expect(readFileSync(join(esp, 'EFI', 'Boot', 'bootx64.efi')).equals(image.efiLoader)).toBe(true);
    expect(logs).toContainEqual(expect.stringMatching(/Executing command line: bcdboot\.exe C:\\Windows \/f UEFI/));
    expect(logs).toContainEqual(
      expect.stringMatching(
        /Boot files installed for UEFI: EFI\\Microsoft\\Boot\\bootmgfw\.efi on disk 0 partition 1 \(307200 bytes\); EFI\\Boot\\bootx64\.efi/,
      ),
    );
    expect(computer.bootCode.size).toBe(0);
  });

  it('BIOS: hands Windows\\Boot\\PCAT\\boot.img and core.img to the disk as its boot code', async () => {
    const computer = await biosComputer();
    const { result, logs } = await apply(computer, image.root, image.packageId);
    expect(result).toEqual({ exitCode: 0 });
    const code = computer.bootCode.get(0);
    expect(code?.bootImage.equals(image.bootImg)).toBe(true);
    expect(code?.coreImage.equals(image.coreImg)).toBe(true);
    expect(logs).toContainEqual(expect.stringMatching(/bcdboot\.exe C:\\Windows \/f BIOS/));
    expect(logs).toContainEqual(
      expect.stringMatching(
        /Boot files installed for BIOS: boot\.img in sector 0 of disk 0 .*core\.img in the gap after the MBR \(sectors 1–2047\), sectors 1–\d+/,
      ),
    );
  });

  it('an image without boot files (the Windows-like test image): logged as a warning, the step succeeds', async () => {
    for (const computer of [await uefiComputer(), await biosComputer()]) {
      const { result, logs } = await apply(computer, windowsLike.root, windowsLike.imagePackageId, 2);
      expect(result).toEqual({ exitCode: 0 });
      expect(logs).toContainEqual(
        expect.stringMatching(
          /^warning: the image has no Windows\\Boot\\(EFI\\bootmgfw\.efi|PCAT\\boot\.img): no (UEFI boot files were installed|BIOS boot code was written)/,
        ),
      );
      expect(computer.bootCode.size).toBe(0);
    }
  });

  it('UEFI without an EFI system partition, or with one not FAT: the step fails and says what to fix', async () => {
    const none = await apply(await uefiComputer({ esp: 'none' }), image.root, image.packageId);
    expect(none.result.exitCode).toBe(0x80070490);
    expect(none.result.message).toMatch(/no EFI system partition .*partition the disk with an EFI partition/);
    const ntfs = await apply(await uefiComputer({ esp: 'NTFS' }), image.root, image.packageId);
    expect(ntfs.result.exitCode).toBe(0x800703ed);
    expect(ntfs.result.message).toMatch(/EFI system partition \(disk 0 partition 1\) is NTFS: format it FAT32/);
  });

  it('BIOS on a GPT disk: no place for the boot code, the step fails naming it', async () => {
    const { computer } = directoryComputer(profile('bios-x64-desktop-bare-metal.json'));
    const v = await computer.writeLayout(0, { style: 'gpt', partitions: [{ kind: 'primary', name: 'Windows' }] });
    await computer.format(v[0], 'NTFS', 'Windows');
    computer.setDrives([{ letter: 'C:', disk: 0, partition: 1 }]);
    const { result } = await apply(computer, image.root, image.packageId);
    expect(result.exitCode).toBe(0x80070032);
    expect(result.message).toMatch(/BCDBoot could not write the BIOS boot code to disk 0: the GPT disk has no BIOS boot partition/);
  });
});
