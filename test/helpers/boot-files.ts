/**
 * An OS image package whose image carries boot files the way contract C5 says (Windows\Boot\EFI\
 * bootmgfw.efi, Windows\Boot\PCAT\boot.img + core.img), made with the real tools: GRUB's boot.img
 * from grub-pc-bin, a core.img from grub-mkimage whose embedded config prints `marker` on the
 * serial port, and a stand-in EFI loader of random bytes. For BCDBoot's tests (C6).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const GRUB_I386 = '/usr/lib/grub/i386-pc';

export interface BootFilesImage {
  /** The content library root (ContentLibrary) and the package in it. */
  root: string;
  packageId: string;
  wim: string;
  efiLoader: Buffer;
  bootImg: Buffer;
  coreImg: Buffer;
}

/** Why the fixture cannot be made here, or undefined. */
export function bootFilesSkipReason(): string | undefined {
  for (const tool of ['grub-mkimage', 'wimlib-imagex']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (Debian: grub-common / wimtools; scripts/system-packages.sh)`;
    }
  }
  if (!existsSync(join(GRUB_I386, 'boot.img'))) return `${GRUB_I386}/boot.img is missing (Debian: grub-pc-bin)`;
  return undefined;
}

/** A GRUB i386-pc core.img whose embedded config prints `marker` on the first serial port and halts. */
export function grubCoreImage(dir: string, marker: string): Buffer {
  const cfg = join(dir, 'core.cfg');
  writeFileSync(cfg, `serial --unit=0 --speed=115200\nterminal_input serial\nterminal_output serial\necho ${marker}\nhalt\n`);
  const out = join(dir, 'core.img');
  execFileSync('grub-mkimage', [
    '-O',
    'i386-pc',
    '-o',
    out,
    '-p',
    '/boot/grub',
    '-c',
    cfg,
    'biosdisk',
    'part_msdos',
    'part_gpt',
    'serial',
    'terminal',
    'echo',
    'halt',
  ]);
  return readFileSync(out);
}

export function makeBootFilesImage(dir: string, marker = 'OSD-BOOTCODE-OK'): BootFilesImage {
  const packageId = 'LABBOOT1';
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'Windows', 'System32'), { recursive: true });
  mkdirSync(join(tree, 'Windows', 'Boot', 'EFI'), { recursive: true });
  mkdirSync(join(tree, 'Windows', 'Boot', 'PCAT'), { recursive: true });
  writeFileSync(join(tree, 'Windows', 'System32', 'kernel32.dll'), 'a stand-in\n');
  const efiLoader = randomBytes(300 * 1024);
  writeFileSync(join(tree, 'Windows', 'Boot', 'EFI', 'bootmgfw.efi'), efiLoader);
  const bootImg = readFileSync(join(GRUB_I386, 'boot.img'));
  writeFileSync(join(tree, 'Windows', 'Boot', 'PCAT', 'boot.img'), bootImg);
  const coreImg = grubCoreImage(dir, marker);
  writeFileSync(join(tree, 'Windows', 'Boot', 'PCAT', 'core.img'), coreImg);
  const root = join(dir, 'content');
  mkdirSync(join(root, packageId), { recursive: true });
  const wim = join(root, packageId, 'os.wim');
  execFileSync('wimlib-imagex', ['capture', tree, wim, 'Boot files test', '--compress=none'], { stdio: 'ignore' });
  return { root, packageId, wim, efiLoader, bootImg, coreImg };
}
