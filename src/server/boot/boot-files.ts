/**
 * The firmware-side boot files of network boot (docs/network-boot.md), made from Debian packages:
 *
 * - `localboot.efi`: what a UEFI computer chains when the site says "boot your disk" — a standalone
 *   GRUB (grub-mkstandalone, grub-efi-amd64-bin) that finds the disk's boot loader on an EFI system
 *   partition (Windows' `EFI/Microsoft/Boot/bootmgfw.efi`, else the removable-media path
 *   `EFI/BOOT/BOOTX64.EFI`) and chainloads it. A plain iPXE `exit` would fall through OVMF's own
 *   PXE and HTTP boot options first (~200 s, netboot.md §1).
 * - a TFTP root for a PXE responder or QEMU's built-in TFTP (contract C4): `pxe.ipxe` (the stub
 *   chaining to the site), `snponly.efi` and `ipxe.efi` (UEFI network boot programs), `undionly.kpxe`
 *   (BIOS), from Debian's `ipxe` package, and `localboot.efi`.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { OsdError } from '../../common/errors.js';
import { pxeStubScript } from './ipxe-script.js';

const run = promisify(execFile);

/** Where Debian's `ipxe` package puts its network boot programs. */
export const IPXE_DIR = '/usr/lib/ipxe';

/** The network boot programs a TFTP root serves, by what asks for them. */
export const NBP = {
  /** UEFI firmware PXE (option 93 arch 7 or 9): iPXE on the firmware's own network driver. */
  efi: 'snponly.efi',
  /** BIOS firmware PXE (option 93 arch 0): iPXE on the PXE ROM's UNDI driver. */
  bios: 'undionly.kpxe',
  /** iPXE itself (user class "iPXE"): the script. */
  script: 'pxe.ipxe',
} as const;

export const LOCALBOOT_FILE = 'localboot.efi';

/** GRUB's configuration inside localboot.efi. */
export const LOCALBOOT_GRUB_CFG = `set timeout=0
echo "OpenOSD: booting the disk"
if search --no-floppy --file --set=osd_esp /EFI/Microsoft/Boot/bootmgfw.efi; then
  chainloader ($osd_esp)/EFI/Microsoft/Boot/bootmgfw.efi
  boot
fi
if search --no-floppy --file --set=osd_esp /EFI/BOOT/BOOTX64.EFI; then
  chainloader ($osd_esp)/EFI/BOOT/BOOTX64.EFI
  boot
fi
echo "OpenOSD: no boot loader on any disk (EFI/Microsoft/Boot/bootmgfw.efi or EFI/BOOT/BOOTX64.EFI)"
sleep 10
exit
`;

const LOCALBOOT_MODULES = ['part_gpt', 'part_msdos', 'fat', 'search', 'search_fs_file', 'chain', 'echo', 'sleep', 'test', 'normal', 'configfile'];

function missingTool(tool: string, pkg: string, e: unknown): OsdError {
  return new OsdError('unavailable', {
    input: tool,
    rule: `${tool} could not run (${(e as NodeJS.ErrnoException).code ?? (e as Error).message.split('\n')[0]})`,
    hint: `install the Debian package ${pkg} (scripts/system-packages.sh installs every package network boot needs)`,
  });
}

/** Builds localboot.efi at `out` (written beside and renamed into place). */
export async function buildLocalBootEfi(out: string): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'osd-localboot-'));
  try {
    const cfg = join(work, 'grub.cfg');
    await writeFile(cfg, LOCALBOOT_GRUB_CFG);
    const tmp = `${out}.partial`;
    try {
      await run(
        'grub-mkstandalone',
        [
          '-O',
          'x86_64-efi',
          '--locales=',
          '--fonts=',
          '--themes=',
          `--install-modules=${LOCALBOOT_MODULES.join(' ')}`,
          `--modules=${LOCALBOOT_MODULES.join(' ')}`,
          '-o',
          tmp,
          `boot/grub/grub.cfg=${cfg}`,
        ],
        { timeout: 120_000 },
      );
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw missingTool('grub-mkstandalone', 'grub-efi-amd64-bin', e);
      throw new OsdError('fault', {
        input: 'grub-mkstandalone',
        rule: `failed to build ${LOCALBOOT_FILE}: ${((e as { stderr?: string }).stderr ?? (e as Error).message).trim().split('\n').slice(-2).join(' ')}`,
        hint: 'check that grub-efi-amd64-bin is installed whole (/usr/lib/grub/x86_64-efi)',
      });
    }
    await rename(tmp, out);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** localboot.efi in `dir` (built the first time, then reused). */
export async function localBootEfi(dir: string): Promise<string> {
  const out = join(dir, LOCALBOOT_FILE);
  const have = await stat(out).catch(() => undefined);
  if (have?.isFile() && have.size > 0) return out;
  await mkdir(dir, { recursive: true });
  await buildLocalBootEfi(out);
  return out;
}

export interface TftpRootOptions {
  /** The site as computers reach it, e.g. http://192.168.77.1:8450 (or http://10.0.2.2:PORT from a QEMU guest). */
  siteUrl: string;
  /** Where Debian's iPXE programs are (default /usr/lib/ipxe). */
  ipxeDir?: string;
  /** Also build localboot.efi into the root (default true). */
  localBoot?: boolean;
}

/** Writes a TFTP root into `dir`; returns the files written. */
export async function writeTftpRoot(dir: string, options: TftpRootOptions): Promise<string[]> {
  let site: URL;
  try {
    site = new URL(options.siteUrl);
  } catch {
    throw new OsdError('bad-input', { input: 'siteUrl', rule: `"${options.siteUrl}" is not a URL`, hint: 'e.g. http://192.168.77.1:8450' });
  }
  if (site.protocol !== 'http:')
    throw new OsdError('bad-input', {
      input: 'siteUrl',
      rule: `"${options.siteUrl}" is not an http:// URL`,
      hint: "Debian's iPXE has no HTTPS: give the site's http:// address",
    });
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  await writeFile(join(dir, NBP.script), pxeStubScript(site.origin));
  written.push(NBP.script);
  const ipxeDir = options.ipxeDir ?? IPXE_DIR;
  for (const f of [NBP.efi, NBP.bios, 'ipxe.efi']) {
    try {
      await copyFile(join(ipxeDir, f), join(dir, f));
      written.push(f);
    } catch (e) {
      throw missingTool(join(ipxeDir, f), 'ipxe', e);
    }
  }
  if (options.localBoot !== false) {
    await buildLocalBootEfi(join(dir, LOCALBOOT_FILE));
    written.push(LOCALBOOT_FILE);
  }
  return written;
}
