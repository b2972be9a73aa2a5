/**
 * The bootable test OS (issue 14, plan contract C5): a WIM whose images are Windows-like enough for
 * the Windows steps (windows-tree.ts) and also boot for real — a Linux kernel and a tiny busybox
 * initramfs whose init prints
 *
 *   DEPLOYED-OK firmware=<uefi|bios> marker=<PackageID>:<index> unattend=<yes|no> drivers=<yes|no>
 *
 * on the serial console and powers off. The boot loaders sit where Windows keeps its own, so the
 * BCDBoot of Apply Operating System (contract C6) finds them in the applied image:
 *
 *   Windows/Boot/EFI/bootmgfw.efi   GRUB x86_64-efi, every module built in (nothing read from a prefix)
 *   Windows/Boot/PCAT/boot.img      GRUB i386-pc boot sector
 *   Windows/Boot/PCAT/core.img      GRUB i386-pc core image (biosdisk part_msdos part_gpt ntfs …)
 *   boot/vmlinuz, boot/initrd.img   what GRUB boots
 *   boot/grub/grub.cfg              GRUB's menu (normal mode), read from the NTFS volume
 *   boot/grub/marker.cfg            `set osd_marker=<PackageID>:<index>`: the image's identity
 *
 * Both GRUB images carry the same early config: find the partition holding /boot/vmlinuz (GRUB's
 * own ntfs driver reads the volume wimlib wrote — the Linux kernel has no NTFS driver) and make its
 * /boot/grub the prefix, so normal mode reads grub.cfg there. grub.cfg is real GRUB script (the
 * early config is parsed by the rescue parser, which knows no `if`: netboot.md "What failed").
 * It tells the kernel what it saw on the volume: the answer file (Windows/Panther) and staged drivers.
 *
 * Made on the host from Debian packages: grub-efi-amd64-bin, grub-pc-bin (grub-mkimage), busybox-static,
 * wimtools; the kernel is a path (a Debian linux-image's vmlinuz).
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../sequence/input-error.js';
import { requireTools, runTool } from '../../storage/tools.js';
import { WIM_ARCH_CODES, captureImage, setImageProperties } from './wim.js';
import { WINDOWS_BUILD, writeWindowsTree, type EditionSpec } from './windows-tree.js';

/** The images of the bootable test OS WIM, in index order. */
export const BOOTABLE_OS_EDITIONS: readonly EditionSpec[] = [
  { index: 1, name: 'OpenOSD Test OS Enterprise', editionId: 'Enterprise' },
  { index: 2, name: 'OpenOSD Test OS Pro', editionId: 'Professional' },
];

/** Where the boot loaders are in the image (C5; BCDBoot copies them, C6). */
export const BOOTABLE_OS_FILES = {
  efi: 'Windows/Boot/EFI/bootmgfw.efi',
  biosBoot: 'Windows/Boot/PCAT/boot.img',
  biosCore: 'Windows/Boot/PCAT/core.img',
  kernel: 'boot/vmlinuz',
  initrd: 'boot/initrd.img',
  grubCfg: 'boot/grub/grub.cfg',
  markerCfg: 'boot/grub/marker.cfg',
} as const;

/** The line the deployed OS prints, and what a harness waits for. */
export const DEPLOYED_MARKER = 'DEPLOYED-OK';

/** The marker of one image: its PackageID and index. */
export function bootableOsMarker(packageId: string, index: number): string {
  return `${packageId}:${index}`;
}

export interface BootableOsOptions {
  /** The Linux kernel (x86-64 bzImage, e.g. a Debian linux-image's /boot/vmlinuz-…). */
  kernel: string;
  /** The image package's PackageID (part of every image's marker). */
  packageId: string;
  /** busybox-static (default /bin/busybox). */
  busybox?: string;
  log?: (line: string) => void;
}

export interface BootableOsImage {
  index: number;
  name: string;
  edition: string;
  marker: string;
}

/** GRUB modules both images carry (no module is ever read from disk). */
const GRUB_MODULES = [
  'part_gpt',
  'part_msdos',
  'ntfs',
  'fat',
  'search',
  'search_fs_file',
  'linux',
  'normal',
  'configfile',
  'echo',
  'test',
  'serial',
  'terminal',
  'halt',
  'sleep',
];
const GRUB_EFI_EXTRA = ['efi_gop', 'efi_uga'];
const GRUB_PC_EXTRA = ['biosdisk'];

/** Rescue-parser config built into both GRUB images: find the OS volume, read its grub.cfg. */
export const GRUB_EARLY_CFG = ['search --no-floppy --file --set=root /boot/vmlinuz', 'set prefix=($root)/boot/grub', ''].join('\n');

/** grub.cfg on the OS volume: the kernel line tells the marker init what GRUB saw. */
export const GRUB_CFG = [
  '# OpenOSD bootable test OS (src/lab/test-content/bootable-os.ts)',
  '# BIOS: GRUB writes to the screen; add the serial port (under UEFI the firmware console is the serial one already).',
  'if [ "$grub_platform" = pc ]; then serial --unit=0 --speed=115200; terminal_output --append serial; fi',
  'set osd_marker=unknown',
  'if [ -f /boot/grub/marker.cfg ]; then source /boot/grub/marker.cfg; fi',
  'set osd_unattend=no',
  'if [ -f /Windows/Panther/Unattend/Unattend.xml ]; then set osd_unattend=yes; fi',
  'if [ -f /Windows/Panther/unattend.xml ]; then set osd_unattend=yes; fi',
  'set osd_drivers=no',
  'if [ -f /_SMSTaskSequence/PkgMgrTemp/drivers.xml ]; then set osd_drivers=yes; fi',
  'echo "OSD-TESTOS: booting /boot/vmlinuz from $root (marker $osd_marker)"',
  'linux /boot/vmlinuz console=ttyS0 quiet panic=5 osd.marker=$osd_marker osd.unattend=$osd_unattend osd.drivers=$osd_drivers',
  'initrd /boot/initrd.img',
  'boot',
  '',
].join('\n');

/** The marker OS's /init (busybox sh): firmware from /sys/firmware/efi, the rest from the kernel command line. */
export const MARKER_INIT = [
  '#!/bin/busybox sh',
  '# OpenOSD bootable test OS: say what booted, then power off.',
  '/bin/busybox mount -t proc proc /proc',
  '/bin/busybox mount -t sysfs sysfs /sys',
  'fw=bios',
  '[ -d /sys/firmware/efi ] && fw=uefi',
  'marker=none; unattend=no; drivers=no',
  'for a in $(/bin/busybox cat /proc/cmdline); do',
  '  case "$a" in',
  '    osd.marker=*) marker="${a#osd.marker=}" ;;',
  '    osd.unattend=*) unattend="${a#osd.unattend=}" ;;',
  '    osd.drivers=*) drivers="${a#osd.drivers=}" ;;',
  '  esac',
  'done',
  `echo "${DEPLOYED_MARKER} firmware=$fw marker=$marker unattend=$unattend drivers=$drivers"`,
  '/bin/busybox sync',
  '/bin/busybox poweroff -f',
  '',
].join('\n');

interface CpioEntry {
  name: string;
  mode: number;
  data?: Buffer;
  /** Character device: [major, minor]. */
  rdev?: [number, number];
}

/** A cpio "newc" archive (what the kernel unpacks as an initramfs): uid/gid 0, mtime 0, in the order given. */
export function cpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  const hex = (n: number): string => n.toString(16).padStart(8, '0');
  const pad4 = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);
  let ino = 1;
  const add = (name: string, mode: number, data: Buffer, rdev: [number, number] = [0, 0]): void => {
    const nameBytes = Buffer.from(`${name}\0`);
    const header = '070701' + [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0].map(hex).join('');
    parts.push(Buffer.from(header, 'ascii'), nameBytes, pad4(110 + nameBytes.length), data, pad4(data.length));
  };
  for (const e of entries) add(e.name, e.mode, e.data ?? Buffer.alloc(0), e.rdev);
  add('TRAILER!!!', 0, Buffer.alloc(0));
  const out = Buffer.concat(parts);
  return Buffer.concat([out, Buffer.alloc((512 - (out.length % 512)) % 512)]);
}

/** The marker OS's initramfs: busybox, /init, and /dev/console (the kernel opens it for init's output). */
export async function markerInitramfs(busybox: string): Promise<Buffer> {
  const dir = 0o040755;
  const cpio = cpioNewc([
    { name: 'bin', mode: dir },
    { name: 'bin/busybox', mode: 0o100755, data: await readFile(busybox) },
    { name: 'dev', mode: dir },
    { name: 'dev/console', mode: 0o020600, rdev: [5, 1] },
    { name: 'init', mode: 0o100755, data: Buffer.from(MARKER_INIT) },
    { name: 'proc', mode: dir },
    { name: 'sys', mode: dir },
  ]);
  return gzipSync(cpio, { level: 9 });
}

/** Builds the GRUB images into `dir`: bootx64.efi, boot.img, core.img. */
export async function buildGrubImages(dir: string): Promise<{ efi: string; boot: string; core: string }> {
  requireTools('grub-mkimage');
  const early = join(dir, 'early.cfg');
  await writeFile(early, GRUB_EARLY_CFG);
  const efi = join(dir, 'bootx64.efi');
  const core = join(dir, 'core.img');
  const boot = join(dir, 'boot.img');
  await runTool('grub-mkimage', ['-O', 'x86_64-efi', '-o', efi, '-p', '/boot/grub', '-c', early, ...GRUB_MODULES, ...GRUB_EFI_EXTRA], { captureStdout: false });
  await runTool('grub-mkimage', ['-O', 'i386-pc', '-o', core, '-p', '/boot/grub', '-c', early, ...GRUB_PC_EXTRA, ...GRUB_MODULES], { captureStdout: false });
  const pcBoot = '/usr/lib/grub/i386-pc/boot.img';
  try {
    await copyFile(pcBoot, boot);
  } catch {
    throw new InputError({
      input: pcBoot,
      rule: "is missing: GRUB's BIOS boot sector comes with grub-pc-bin",
      hint: 'apt-get install grub-pc-bin (scripts/system-packages.sh)',
    });
  }
  return { efi, boot, core };
}

async function isKernel(path: string): Promise<boolean> {
  // A bzImage has "HdrS" at 0x202 (the Linux boot protocol header).
  const head = Buffer.alloc(0x206);
  const f = await open(path, 'r');
  try {
    await f.read(head, 0, head.length, 0);
  } finally {
    await f.close();
  }
  return head.toString('latin1', 0x202, 0x206) === 'HdrS';
}

/**
 * Writes the bootable test OS as a WIM at `wimPath` (its images: BOOTABLE_OS_EDITIONS), with the
 * Windows image properties the install.wim has (ARCH x64, EDITIONID, version). Returns its images.
 */
export async function buildBootableOsWim(wimPath: string, options: BootableOsOptions): Promise<BootableOsImage[]> {
  const log = options.log ?? (() => undefined);
  const busybox = options.busybox ?? '/bin/busybox';
  try {
    if (!(await stat(options.kernel)).isFile() || !(await isKernel(options.kernel))) throw new Error('not a kernel');
  } catch {
    throw new InputError({
      input: options.kernel,
      rule: 'is not a Linux kernel image (bzImage with the "HdrS" header)',
      hint: "give a Debian linux-image's /boot/vmlinuz-… (osd boot-image build caches one)",
    });
  }
  try {
    await stat(busybox);
  } catch {
    throw new InputError({
      input: busybox,
      rule: 'is missing: the marker OS runs busybox',
      hint: 'apt-get install busybox-static (scripts/system-packages.sh)',
    });
  }
  requireTools('wimlib-imagex', 'grub-mkimage');
  const work = await mkdtemp(join(tmpdir(), 'osd-bootable-os-'));
  try {
    const grub = await buildGrubImages(work);
    const initrd = await markerInitramfs(busybox);
    log(`bootable test OS: GRUB images and marker initramfs (${(initrd.length / 1024).toFixed(0)} KiB) built`);
    const images: BootableOsImage[] = [];
    await mkdir(dirname(wimPath), { recursive: true });
    for (const edition of BOOTABLE_OS_EDITIONS) {
      const tree = join(work, `image${edition.index}`);
      await writeWindowsTree(tree, edition, 'x64', 0);
      const put = async (rel: string, data: Buffer | string): Promise<void> => {
        const path = join(tree, ...rel.split('/'));
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, data);
      };
      const marker = bootableOsMarker(options.packageId, edition.index);
      await put(BOOTABLE_OS_FILES.kernel, await readFile(options.kernel));
      await put(BOOTABLE_OS_FILES.initrd, initrd);
      await put(BOOTABLE_OS_FILES.grubCfg, GRUB_CFG);
      await put(BOOTABLE_OS_FILES.markerCfg, `set osd_marker=${marker}\n`);
      await put(BOOTABLE_OS_FILES.efi, await readFile(grub.efi));
      await put(BOOTABLE_OS_FILES.biosBoot, await readFile(grub.boot));
      await put(BOOTABLE_OS_FILES.biosCore, await readFile(grub.core));
      await captureImage(wimPath, tree, edition.name, edition.name, edition.editionId, edition.index > 1);
      images.push({ index: edition.index, name: edition.name, edition: edition.editionId, marker });
      log(`bootable test OS: captured image ${edition.index} (${edition.name}, marker ${marker})`);
    }
    const { major, minor, build, spBuild } = WINDOWS_BUILD;
    for (const edition of BOOTABLE_OS_EDITIONS) {
      await setImageProperties(wimPath, edition.index, {
        'WINDOWS/ARCH': WIM_ARCH_CODES.x64,
        'WINDOWS/EDITIONID': edition.editionId,
        'WINDOWS/PRODUCTNAME': 'OpenOSD bootable test OS',
        'WINDOWS/INSTALLATIONTYPE': 'Client',
        'WINDOWS/PRODUCTTYPE': 'WinNT',
        'WINDOWS/VERSION/MAJOR': major,
        'WINDOWS/VERSION/MINOR': minor,
        'WINDOWS/VERSION/BUILD': build,
        'WINDOWS/VERSION/SPBUILD': spBuild,
        'WINDOWS/LANGUAGES/LANGUAGE': 'en-US',
        'WINDOWS/LANGUAGES/DEFAULT': 'en-US',
        DISPLAYNAME: edition.name,
        DESCRIPTION: `${edition.name}: boots (GRUB, Linux) and prints ${DEPLOYED_MARKER}`,
      });
    }
    return images;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** SHA-256 of a file (hex), for the content index. */
export async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}
