/**
 * BCDBoot: after Apply Operating System has put the image on its volume, the boot files that make
 * the computer start it (task-sequence-format §8.3: "install boot files and point BCD at the new
 * OS"; ConfigMgr runs `bcdboot.exe C:\Windows` there). Our images carry their boot loader the way
 * Windows does, under Windows\Boot (plan contract C5/C6):
 *
 * - UEFI: `Windows\Boot\EFI\bootmgfw.efi` copied to the EFI system partition as
 *   `EFI\Microsoft\Boot\bootmgfw.efi` (Windows' own entry) and `EFI\Boot\bootx64.efi` (the removable
 *   media path every firmware starts without an NVRAM entry — we write no NVRAM).
 * - BIOS: `Windows\Boot\PCAT\boot.img` and `core.img` (GRUB i386-pc) written as the disk's boot code
 *   through the Computer port (`writeBootCode`); the system partition is the active one the
 *   partition step marked.
 *
 * An image without those files (the Windows-like test images) is logged and the step goes on: there
 * is nothing to boot it with here, as with a real Windows image, whose BCD store we do not write.
 */
import { type Computer, type VolumeInfo } from './computer.js';
import { StepFailure, WIN32 } from './errors.js';

const ARCH_SUFFIX: Record<string, string> = { x64: 'x64', x86: 'ia32', arm64: 'aa64' };

export const UEFI_BOOT_FILE = 'Windows/Boot/EFI/bootmgfw.efi';
export const BIOS_BOOT_IMAGE = 'Windows/Boot/PCAT/boot.img';
export const BIOS_CORE_IMAGE = 'Windows/Boot/PCAT/core.img';

export interface BootFilesOutcome {
  firmware: 'uefi' | 'bios';
  /** What was written, one line each ("EFI\Boot\bootx64.efi on disk 0 partition 1"); empty when nothing was. */
  written: string[];
  /** Why nothing was written (the image has no boot files), when so. */
  skipped?: string;
}

type Log = (line: string, severity?: 'info' | 'warning' | 'error') => void;

/** The EFI system partition the OS on `os` boots from: on its own disk first, then on any disk. */
async function systemPartition(computer: Computer, os: VolumeInfo): Promise<VolumeInfo | undefined> {
  const own = (await computer.volumes(os.disk)).find((v) => v.kind === 'efi');
  if (own) return own;
  for (const d of await computer.disks()) {
    if (d.index === os.disk) continue;
    const esp = (await computer.volumes(d.index)).find((v) => v.kind === 'efi');
    if (esp) return esp;
  }
  return undefined;
}

/**
 * Installs the boot files of the OS on volume `os` (drive `letter`) for the computer's firmware.
 * A missing system partition (UEFI) or no room for the boot code (BIOS) is the step's failure.
 */
export async function installBootFiles(computer: Computer, os: VolumeInfo, letter: string, log: Log): Promise<BootFilesOutcome> {
  const disk = (await computer.disks()).find((d) => d.index === os.disk);
  const firmware = disk?.firmware ?? computer.profile.firmware;
  const files = await computer.files(os);
  const windows = `${letter}\\Windows`;
  if (firmware === 'uefi') {
    log(
      `Executing command line: bcdboot.exe ${windows} /f UEFI (OpenOSD: copies ${letter}\\${UEFI_BOOT_FILE.replace(/\//g, '\\')} to the EFI system partition)`,
    );
    if (!(await files.exists(UEFI_BOOT_FILE))) {
      const skipped = `the image has no ${UEFI_BOOT_FILE.replace(/\//g, '\\')}: no UEFI boot files were installed (the disk will not start this OS by itself)`;
      log(skipped, 'warning');
      return { firmware, written: [], skipped };
    }
    const esp = await systemPartition(computer, os);
    if (!esp) {
      throw new StepFailure(
        WIN32.notFound,
        'BCDBoot found no EFI system partition for the UEFI boot files: partition the disk with an EFI partition (Format and Partition Disk, GPT layout)',
      );
    }
    if (esp.fileSystem !== 'FAT32' && esp.fileSystem !== 'FAT16' && esp.fileSystem !== 'FAT12') {
      throw new StepFailure(
        WIN32.unrecognizedVolume,
        `the EFI system partition (disk ${esp.disk} partition ${esp.partition}) is ${esp.fileSystem ?? 'not formatted'}: format it FAT32 before applying the OS`,
      );
    }
    const loader = await files.readFile(UEFI_BOOT_FILE);
    const target = await computer.files(esp);
    const suffix = ARCH_SUFFIX[computer.profile.architecture] ?? 'x64';
    const written: string[] = [];
    for (const [folder, name] of [
      ['EFI/Microsoft/Boot', 'bootmgfw.efi'],
      ['EFI/Boot', `boot${suffix}.efi`],
    ]) {
      await target.mkdirp(folder);
      await target.writeFile(`${folder}/${name}`, loader);
      written.push(`${folder.replace(/\//g, '\\')}\\${name} on disk ${esp.disk} partition ${esp.partition} (${loader.length} bytes)`);
    }
    log(`Boot files installed for UEFI: ${written.join('; ')}`);
    return { firmware, written };
  }

  log(
    `Executing command line: bcdboot.exe ${windows} /f BIOS (OpenOSD: writes ${letter}\\Windows\\Boot\\PCAT\\boot.img and core.img as the boot code of disk ${os.disk})`,
  );
  const [hasBoot, hasCore] = [await files.exists(BIOS_BOOT_IMAGE), await files.exists(BIOS_CORE_IMAGE)];
  if (!hasBoot || !hasCore) {
    const skipped = `the image has no ${(hasBoot ? BIOS_CORE_IMAGE : BIOS_BOOT_IMAGE).replace(/\//g, '\\')}: no BIOS boot code was written (the disk will not start this OS by itself)`;
    log(skipped, 'warning');
    return { firmware, written: [], skipped };
  }
  const code = { bootImage: await files.readFile(BIOS_BOOT_IMAGE), coreImage: await files.readFile(BIOS_CORE_IMAGE) };
  let result;
  try {
    result = await computer.writeBootCode(os.disk, code);
  } catch (e) {
    const err = e as { exitCode?: number; message?: string };
    throw new StepFailure(err.exitCode ?? WIN32.generic, `BCDBoot could not write the BIOS boot code to disk ${os.disk}: ${err.message ?? String(e)}`);
  }
  const written = [
    `boot.img in sector 0 of disk ${os.disk} (partition table kept)`,
    `core.img in ${result.where}, sectors ${result.coreSector}–${result.coreSector + result.coreSectors - 1}`,
  ];
  log(`Boot files installed for BIOS: ${written.join('; ')}`);
  return { firmware, written };
}
