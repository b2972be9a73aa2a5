/**
 * `osd media create`: boot media of a boot environment folder (team contract C2) that point at a
 * site — ConfigMgr's *bootable media* (osd-features §5.2): the boot image plus the site's address,
 * an optional media password and prestart command; the content comes from the network.
 *
 * - ISO: a hybrid ISO made by grub-mkrescue (xorriso, mtools): El Torito for BIOS (GRUB i386-pc)
 *   and for UEFI (an EFI system partition image with GRUB x86_64-efi); also bootable when written
 *   to a USB stick.
 * - USB: a raw disk image with an MBR and one FAT32 partition (active, type 0x0C) holding
 *   EFI/BOOT/BOOTX64.EFI (grub-mkstandalone), the kernel, the initramfs and the media settings;
 *   GRUB's BIOS boot code in the MBR and the gap before the partition. An MBR (not GPT) so that one
 *   stick boots both firmwares: UEFI reads the FAT partition of an MBR disk as removable media,
 *   and BIOS boot code on GPT would need a BIOS boot partition.
 *
 * Both carry the same /boot/grub/grub.cfg (grub-config.ts) and the media settings as
 * /boot/media.cpio, a second initramfs archive holding /osd/media.json (media-config.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { once } from 'node:events';
import { isIP } from 'node:net';
import { OsdError } from '../../common/errors.js';
import type { BootImageManifest } from '../../common/boot-image-manifest.js';
import { InputError } from '../../sequence/input-error.js';
import { readPartitionTable } from '../../storage/disk/partition-table.js';
import { writeBootCode } from '../../storage/disk/boot-code.js';
import { fat32SectorsPerCluster } from '../../storage/volume/fat.js';
import { findTool, MissingToolError, runTool } from '../../storage/tools.js';
import { readBootEnvManifest } from '../build/build.js';
import { writeCpio, type CpioEntry } from '../build/cpio.js';
import { MEDIA_GRUB_CFG, MEDIA_INITRD, MEDIA_KERNEL, MEDIA_SETTINGS_ARCHIVE, mediaGrubConfig, mediaKernelCommandLine, usbEarlyConfig } from './grub-config.js';
import {
  hashMediaPassword,
  MEDIA_CONFIG_PATH,
  MEDIA_CONFIG_SCHEMA,
  MEDIA_PRESTART_DIR,
  MEDIA_VARIABLE_NAME,
  parseMediaConfig,
  type MediaConfig,
} from './media-config.js';

export type Log = (line: string) => void;

/** GRUB's module folders (Debian: grub-pc-bin, grub-efi-amd64-bin). */
export const GRUB_PC_DIR = '/usr/lib/grub/i386-pc';
export const GRUB_EFI_DIR = '/usr/lib/grub/x86_64-efi';

/** The most the prestart files may add to the boot environment's RAM. */
export const PRESTART_FILES_LIMIT = 64 * 1024 * 1024;
/** The longest the media's menu may wait. */
export const MENU_TIMEOUT_LIMIT = 300;

export interface CreateMediaOptions {
  /** The boot environment folder (`osd boot-image build --out DIR`). */
  bootEnv: string;
  /** The site's URL as the booting computer reaches it. */
  site: string;
  /** Write a hybrid ISO here. */
  iso?: string;
  /** Write a raw USB disk image here. */
  usb?: string;
  /** The media password (stored as a salted scrypt hash). */
  password?: string;
  prestart?: string;
  /** A folder whose files go beside the prestart command (its working folder). */
  prestartFiles?: string;
  /** Media variables, `NAME=VALUE`. */
  variables?: string[];
  /** The boot environment's retry time for an unreachable site (osd.retry). */
  retrySeconds?: number;
  /** How long the menu waits (default 3 s). */
  menuTimeoutSeconds?: number;
  log?: Log;
}

export interface CreateMediaResult {
  site: string;
  kernelCommandLine: string;
  bootEnvironment: { name: string; version: string; architecture: string };
  settings: { password: boolean; prestart?: string; prestartFiles: number; variables: string[]; retrySeconds?: number };
  iso?: { path: string; bytes: number; firmware: Array<'bios' | 'uefi'> };
  usb?: { path: string; bytes: number; partitionStyle: 'mbr'; fatSerial: string; firmware: Array<'bios' | 'uefi'> };
}

/** Characters a site URL may hold on the media (the kernel command line and GRUB read it unquoted). */
const URL_SAFE = /^[A-Za-z0-9._~:/%[\]-]+$/;

/** The site URL as the media will carry it: http(s), no credentials, query or fragment; no trailing slash. */
export function checkSiteUrl(site: string, input = '--site'): string {
  let u: URL;
  try {
    u = new URL(site);
  } catch {
    throw new InputError({ input, rule: `"${site}" is not a URL`, hint: 'give the site as the booting computer reaches it, e.g. http://192.0.2.10:8080' });
  }
  const fix = 'give the site as the booting computer reaches it, e.g. http://192.0.2.10:8080';
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InputError({ input, rule: `${u.protocol} is not http or https`, hint: fix });
  if (u.username || u.password)
    throw new InputError({ input, rule: 'a site URL on media may not hold a user name or password (anyone with the media could read it)', hint: fix });
  if (u.search || u.hash) throw new InputError({ input, rule: 'a site URL is a base URL without a query or fragment', hint: fix });
  const text = `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  if (!URL_SAFE.test(text)) {
    throw new InputError({
      input,
      rule: `"${text}" has characters the boot loader's command line cannot carry (only letters, digits and . _ ~ : / % - [ ])`,
      hint: fix,
    });
  }
  return text;
}

function checkVariables(list: readonly string[]): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  for (const v of list) {
    const eq = v.indexOf('=');
    const name = eq > 0 ? v.slice(0, eq) : v;
    if (eq <= 0) throw new InputError({ input: `--variable ${v}`, rule: 'a media variable is NAME=VALUE', hint: 'e.g. --variable OSDComputerName=PC042' });
    if (name.startsWith('_')) {
      throw new InputError({
        input: `--variable ${v}`,
        rule: `${name} is read-only: names starting with _ belong to the task sequence engine`,
        hint: 'choose a name without the leading _',
      });
    }
    if (!MEDIA_VARIABLE_NAME.test(name)) {
      throw new InputError({ input: `--variable ${v}`, rule: `"${name}" is not a variable name (a letter, then letters, digits, _ . -; at most 255)` });
    }
    out.push({ name, value: v.slice(eq + 1) });
  }
  return out;
}

function checkSeconds(value: number | undefined, input: string, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 0 || value > max) throw new InputError({ input, rule: `${value} is not a whole number of seconds from 0 to ${max}` });
}

function checkOutput(path: string, input: string): string {
  const abs = resolve(path);
  if (!existsSync(dirname(abs)))
    throw new InputError({ input, rule: `the folder ${dirname(abs)} does not exist`, hint: 'create it first, or write the media elsewhere' });
  if (existsSync(abs) && statSync(abs).isDirectory()) throw new InputError({ input, rule: `${abs} is a folder`, hint: 'name the file to write' });
  return abs;
}

/** The prestart files as archive entries under osd/prestart/ (regular files and folders only). */
function prestartEntries(dir: string): { entries: CpioEntry[]; files: number } {
  const input = '--prestart-files';
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError({ input, rule: `${dir} is not a folder` });
  const entries: CpioEntry[] = [{ kind: 'dir', path: MEDIA_PRESTART_DIR }];
  let bytes = 0;
  let files = 0;
  const walk = (at: string): void => {
    for (const name of readdirSync(at).sort()) {
      const full = join(at, name);
      const inArchive = `${MEDIA_PRESTART_DIR}/${relative(dir, full).split('\\').join('/')}`;
      const st = lstatSync(full);
      if (st.isDirectory()) {
        entries.push({ kind: 'dir', path: inArchive });
        walk(full);
      } else if (st.isFile()) {
        bytes += st.size;
        files++;
        entries.push({ kind: 'file', path: inArchive, mode: st.mode & 0o111 ? 0o755 : 0o644, source: full, size: st.size });
      } else {
        throw new InputError({ input: `${input} ${full}`, rule: 'only files and folders can go on the media (not links or devices)' });
      }
    }
  };
  walk(dir);
  if (bytes > PRESTART_FILES_LIMIT) {
    throw new InputError({
      input,
      rule: `the files are ${bytes} bytes; the boot environment holds them in RAM, at most ${PRESTART_FILES_LIMIT}`,
      hint: 'keep only what the command needs',
    });
  }
  return { entries, files };
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The boot environment's manifest, its kernel and initramfs checked by size and SHA-256 before they go on media. */
async function readBootEnv(dir: string, log: Log): Promise<{ manifest: BootImageManifest; kernel: string; initrd: string }> {
  const manifest = await readBootEnvManifest(dir);
  const out = { manifest, kernel: join(dir, manifest.kernel.file), initrd: join(dir, manifest.initrd.file) };
  for (const [what, entry, path] of [
    ['kernel', manifest.kernel, out.kernel],
    ['initramfs', manifest.initrd, out.initrd],
  ] as const) {
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      throw new InputError({
        input: `--boot-env ${dir}`,
        rule: `its ${what} ${entry.file} is missing`,
        hint: 'build the folder again with `osd boot-image build --out DIR`',
      });
    }
    if (size !== entry.bytes || (await sha256File(path)) !== entry.sha256) {
      throw new InputError({
        input: `--boot-env ${path}`,
        rule: `the ${what} is not the one bootimage.json records (${entry.bytes} bytes, SHA-256 ${entry.sha256.slice(0, 16)}…)`,
        hint: 'build the folder again with `osd boot-image build --out DIR`',
      });
    }
  }
  log(`boot environment ${manifest.name} ${manifest.version}: kernel and initramfs match bootimage.json`);
  return out;
}

function requireMediaTools(iso: boolean, usb: boolean): void {
  const need: Array<[string, string]> = [];
  if (iso) need.push(['grub-mkrescue', 'grub-common'], ['xorriso', 'xorriso'], ['mformat', 'mtools']);
  if (usb)
    need.push(
      ['grub-mkstandalone', 'grub-common'],
      ['grub-mkimage', 'grub-common'],
      ['sfdisk', 'fdisk'],
      ['mkfs.fat', 'dosfstools'],
      ['mcopy', 'mtools'],
      ['mmd', 'mtools'],
    );
  for (const [tool, pkg] of need) if (!findTool(tool)) throw new MissingToolError(tool, pkg);
  for (const [dir, pkg] of [
    [GRUB_PC_DIR, 'grub-pc-bin'],
    [GRUB_EFI_DIR, 'grub-efi-amd64-bin'],
  ] as const) {
    if (!existsSync(join(dir, 'kernel.img'))) throw new MissingToolError(dir, pkg);
  }
}

/** Writes /osd/media.json (and the prestart files) as a newc archive. */
async function writeSettingsArchive(path: string, config: MediaConfig, extra: CpioEntry[]): Promise<void> {
  const json = Buffer.from(`${JSON.stringify(config, null, 2)}\n`, 'utf8');
  const entries: CpioEntry[] = [{ kind: 'dir', path: 'osd' }, { kind: 'data', path: MEDIA_CONFIG_PATH, mode: 0o600, data: json }, ...extra];
  const out = createWriteStream(path);
  await writeCpio(entries, out);
  out.end();
  await once(out, 'close');
}

/** An 8-hex-digit FAT serial derived from what the media carry (same inputs, same serial). */
function fatSerialOf(config: MediaConfig): { hex: string; grub: string } {
  const h = createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 8).toUpperCase();
  return { hex: h, grub: `${h.slice(0, 4)}-${h.slice(4)}` };
}

async function writeIso(out: string, work: string, files: { kernel: string; initrd: string; settings: string; grubCfg: string }, log: Log): Promise<number> {
  const staging = join(work, 'iso');
  await mkdir(join(staging, 'boot', 'grub'), { recursive: true });
  await writeFile(join(staging, MEDIA_GRUB_CFG), await readFile(files.grubCfg));
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  log('writing the ISO (grub-mkrescue: GRUB for BIOS and UEFI, xorriso)');
  try {
    await runTool(
      'grub-mkrescue',
      [
        '-o',
        tmp,
        '--locales=',
        '--fonts=',
        '--themes=',
        '--product-name=OpenOSD',
        staging,
        // xorriso's graft points: the big files are read where they are, not copied.
        `${MEDIA_KERNEL.slice(1)}=${files.kernel}`,
        `${MEDIA_INITRD.slice(1)}=${files.initrd}`,
        `${MEDIA_SETTINGS_ARCHIVE.slice(1)}=${files.settings}`,
        '--',
        '-volid',
        'OSD_MEDIA',
      ],
      { captureStdout: false },
    );
    await rename(tmp, out);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return statSync(out).size;
}

const MiB = 1024 * 1024;
/** GRUB's modules in the USB stick's EFI image (what the menu uses; they come from its memdisk). */
const EFI_MODULES = [
  'part_msdos',
  'part_gpt',
  'fat',
  'search',
  'search_fs_uuid',
  'normal',
  'linux',
  'configfile',
  'echo',
  'test',
  'all_video',
  'serial',
  'terminal',
];
const PC_MODULES = ['biosdisk', 'part_msdos', 'fat', 'search', 'search_fs_uuid', 'normal', 'linux', 'configfile', 'echo', 'test', 'serial', 'terminal'];

async function writeUsb(
  out: string,
  work: string,
  files: { kernel: string; initrd: string; settings: string; grubCfg: string },
  serial: { hex: string; grub: string },
  log: Log,
): Promise<number> {
  const early = join(work, 'usb-early.cfg');
  await writeFile(early, usbEarlyConfig(serial.grub));
  const efi = join(work, 'BOOTX64.EFI');
  const core = join(work, 'core.img');
  log('making GRUB for the USB image (x86_64-efi standalone, i386-pc core)');
  await runTool('grub-mkstandalone', [
    '-O',
    'x86_64-efi',
    '-o',
    efi,
    '--locales=',
    '--fonts=',
    '--themes=',
    `--install-modules=${EFI_MODULES.join(' ')}`,
    '--modules=part_msdos fat search_fs_uuid',
    `boot/grub/grub.cfg=${early}`,
  ]);
  await runTool('grub-mkimage', ['-O', 'i386-pc', '-d', GRUB_PC_DIR, '-o', core, '-c', early, '-p', '(hd0,msdos1)/boot/grub', ...PC_MODULES]);

  const payload = [files.kernel, files.initrd, files.settings, files.grubCfg, efi].reduce((n, f) => n + statSync(f).size, 0);
  // Room for FAT's tables and cluster slack, and a little to spare; FAT32 wants at least ~33 MiB.
  const partBytes = Math.max(64 * MiB, Math.ceil((payload * 1.05 + 8 * MiB) / MiB) * MiB);
  const startSector = 2048;
  const sectors = partBytes / 512;
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  log(`writing the USB image: MBR, FAT32 partition of ${partBytes / MiB} MiB (serial ${serial.grub})`);
  try {
    await writeFile(tmp, '');
    await truncate(tmp, startSector * 512 + partBytes);
    await runTool('sfdisk', ['--quiet', '--no-reread', '--no-tell-kernel', tmp], {
      input: `label: dos\nlabel-id: 0x${serial.hex.toLowerCase()}\nstart=${startSector}, size=${sectors}, type=c, bootable\n`,
    });
    await runTool('mkfs.fat', [
      '-F',
      '32',
      '-s',
      String(fat32SectorsPerCluster(sectors)),
      '-n',
      'OSD-MEDIA',
      '-i',
      serial.hex,
      '--offset',
      String(startSector),
      tmp,
      String(partBytes / 1024),
    ]);
    const img = `${tmp}@@${startSector * 512}`;
    await runTool('mmd', ['-i', img, '::/EFI', '::/EFI/BOOT', '::/boot', '::/boot/grub']);
    await runTool('mcopy', ['-i', img, efi, '::/EFI/BOOT/BOOTX64.EFI']);
    await runTool('mcopy', ['-i', img, files.grubCfg, `::${MEDIA_GRUB_CFG}`]);
    await runTool('mcopy', ['-i', img, files.kernel, `::${MEDIA_KERNEL}`]);
    await runTool('mcopy', ['-i', img, files.initrd, `::${MEDIA_INITRD}`]);
    await runTool('mcopy', ['-i', img, files.settings, `::${MEDIA_SETTINGS_ARCHIVE}`]);
    const table = await readPartitionTable(tmp);
    if (!table) throw new OsdError('fault', { input: tmp, rule: 'sfdisk wrote no partition table that can be read back' });
    const code = await writeBootCode(tmp, table, { bootImage: await readFile(join(GRUB_PC_DIR, 'boot.img')), coreImage: await readFile(core) });
    log(`BIOS boot code: boot.img in the MBR, core.img (${code.coreSectors} sectors) in ${code.where}`);
    await rename(tmp, out);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return statSync(out).size;
}

/** Makes the media. Every input is checked before anything is written. */
export async function createMedia(o: CreateMediaOptions): Promise<CreateMediaResult> {
  const log = o.log ?? (() => {});
  if (!o.iso && !o.usb) throw new InputError({ input: '--iso / --usb', rule: 'say which media to make', hint: 'add --iso FILE, --usb FILE or both' });
  const site = checkSiteUrl(o.site);
  if (!isIP(new URL(site).hostname.replace(/^\[|\]$/g, ''))) {
    log(`note: the boot environment resolves ${new URL(site).hostname} with the DNS server DHCP gives it; an IP address needs none`);
  }
  const iso = o.iso ? checkOutput(o.iso, '--iso') : undefined;
  const usb = o.usb ? checkOutput(o.usb, '--usb') : undefined;
  if (iso && usb && iso === usb) throw new InputError({ input: '--usb', rule: 'is the same file as --iso', hint: 'name two files' });
  const variables = checkVariables(o.variables ?? []);
  checkSeconds(o.retrySeconds, '--retry', 86400);
  checkSeconds(o.menuTimeoutSeconds, '--menu-timeout', MENU_TIMEOUT_LIMIT);
  if (o.prestart !== undefined && (o.prestart.trim() === '' || o.prestart.length > 8192)) {
    throw new InputError({ input: '--prestart', rule: 'the prestart command is empty or longer than 8192 characters' });
  }
  if (o.prestartFiles && o.prestart === undefined)
    throw new InputError({ input: '--prestart-files', rule: 'files without a prestart command to use them', hint: 'add --prestart CMD' });
  if (o.password !== undefined && o.password.length === 0)
    throw new InputError({ input: '--password', rule: 'the media password is empty', hint: 'leave --password out for media without one' });
  const prestart = o.prestartFiles ? prestartEntries(o.prestartFiles) : { entries: [], files: 0 };
  requireMediaTools(!!iso, !!usb);
  const env = await readBootEnv(o.bootEnv, log);

  const config = parseMediaConfig({
    schema: MEDIA_CONFIG_SCHEMA,
    media: 'bootable',
    site,
    bootEnvironment: {
      name: env.manifest.name,
      version: env.manifest.version,
      architecture: env.manifest.architecture,
      initrdSha256: env.manifest.initrd.sha256,
    },
    ...(o.password === undefined ? {} : { password: hashMediaPassword(o.password) }),
    ...(o.prestart === undefined ? {} : { prestart: { command: o.prestart, files: prestart.files > 0 } }),
    variables,
    ...(o.retrySeconds === undefined ? {} : { retrySeconds: o.retrySeconds }),
  });

  const work = await mkdtemp(join(tmpdir(), 'osd-media-'));
  try {
    const settings = join(work, 'media.cpio');
    await writeSettingsArchive(settings, config, prestart.entries);
    const grubCfg = join(work, 'grub.cfg');
    await writeFile(
      grubCfg,
      mediaGrubConfig({
        site,
        bootEnvName: env.manifest.name,
        bootEnvVersion: env.manifest.version,
        timeoutSeconds: o.menuTimeoutSeconds ?? 3,
        retrySeconds: o.retrySeconds,
      }),
    );
    const files = { kernel: env.kernel, initrd: env.initrd, settings, grubCfg };
    const result: CreateMediaResult = {
      site,
      kernelCommandLine: mediaKernelCommandLine(site, o.retrySeconds),
      bootEnvironment: { name: env.manifest.name, version: env.manifest.version, architecture: env.manifest.architecture },
      settings: {
        password: o.password !== undefined,
        ...(o.prestart === undefined ? {} : { prestart: o.prestart }),
        prestartFiles: prestart.files,
        variables: variables.map((v) => v.name),
        ...(o.retrySeconds === undefined ? {} : { retrySeconds: o.retrySeconds }),
      },
    };
    if (iso) result.iso = { path: iso, bytes: await writeIso(iso, work, files, log), firmware: ['bios', 'uefi'] };
    if (usb) {
      const serial = fatSerialOf(config);
      result.usb = {
        path: usb,
        bytes: await writeUsb(usb, work, files, serial, log),
        partitionStyle: 'mbr',
        fatSerial: serial.grub,
        firmware: ['bios', 'uefi'],
      };
    }
    return result;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
