/**
 * Partition tables (GPT and MBR) inside raw disk-image files, written and read with sfdisk — no loop
 * device, no root (toolchain.md §3.2).
 *
 * Sizes follow ConfigMgr's Format and Partition Disk step: partitions are laid out in order, each is
 * either a fixed size or a percentage of the space that remains after the partitions before it
 * ("Windows 99%" then "Recovery 100%" = the rest). Every partition starts on a 1 MiB boundary, the
 * first one at sector 2048, and on GPT the last 33 sectors stay free for the backup header.
 */
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { fault, StorageError, refused, WIN32 } from '../errors.js';
import { runTool, ToolError } from '../tools.js';
import { clearRange } from './byte-range.js';

export type PartitionKind = 'efi' | 'msr' | 'primary' | 'recovery';

export interface PartitionRequest {
  kind: PartitionKind;
  /** A fixed size (rounded up to whole sectors). */
  sizeBytes?: number;
  /** Percent (0 < p ≤ 100) of the space remaining after the preceding partitions. Neither set = 100. */
  percentOfRemaining?: number;
  /** The GPT partition name (MBR has none). */
  name?: string;
  /** MBR: the active flag. GPT: the LegacyBIOSBootable attribute. */
  bootable?: boolean;
  /** Chooses the MBR type id of a primary partition (NTFS 0x07, FAT32 0x0c); default NTFS. */
  fileSystem?: 'NTFS' | 'FAT32';
}

export interface PartitionInfo {
  /** 1-based, as sfdisk and diskpart number them. */
  number: number;
  startSector: number;
  sizeSectors: number;
  offsetBytes: number;
  sizeBytes: number;
  /** Partitions of other types read back as 'primary'; `typeId` keeps the real type. */
  kind: PartitionKind;
  /** GPT type GUID (upper case) or MBR type id as two hex digits ('07', '0c', '27', 'ef'). */
  typeId: string;
  name?: string;
  /** MBR active flag; on GPT, true for the ESP and for partitions with LegacyBIOSBootable. */
  bootable: boolean;
}

export interface PartitionTable {
  style: 'gpt' | 'mbr';
  sectorSize: 512;
  diskSizeBytes: number;
  partitions: PartitionInfo[];
}

export const SECTOR_SIZE = 512;
/** Partition starts are aligned to 1 MiB, as Windows and ConfigMgr do. */
export const ALIGNMENT_SECTORS = 2048;
/** A GPT backup header needs the last 33 sectors: 32 sectors of partition entries and the header. */
const GPT_BACKUP_SECTORS = 33;
const MIB = 1024 * 1024;

export const GPT_TYPE: Record<PartitionKind, string> = {
  efi: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  msr: 'E3C9E316-0B5C-4DB8-817D-F92DF00215AE',
  primary: 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7',
  recovery: 'DE94BBA4-06D1-4D40-A16A-BFD50179D6AC',
};

const GPT_DEFAULT_NAME: Record<PartitionKind, string> = {
  efi: 'EFI system partition',
  msr: 'Microsoft reserved partition',
  primary: 'Basic data partition',
  recovery: 'Basic data partition',
};

/** The layout does not fit on the disk: ERROR_DISK_FULL (0x80070070), as ConfigMgr reports it. */
export class DiskTooSmallError extends StorageError {
  constructor(
    readonly diskPath: string,
    readonly diskSizeBytes: number,
    readonly neededBytes: number,
    readonly partitionNumber: number,
    message: string,
  ) {
    super('fault', WIN32.diskFull, message, { input: diskPath, hint: 'use a bigger disk or smaller fixed sizes' });
    this.name = 'DiskTooSmallError';
  }
}

/**
 * The size of a disk-image file or of a block device (whose stat size is 0: `blockdev --getsize64`),
 * or undefined when there is no such path.
 */
export async function diskSize(diskPath: string): Promise<{ sizeBytes: number; device: boolean } | undefined> {
  const s = await stat(diskPath).catch(() => undefined);
  if (!s) return undefined;
  if (!s.isBlockDevice()) return { sizeBytes: s.size, device: false };
  const { stdout } = await runTool('blockdev', ['--getsize64', diskPath]);
  return { sizeBytes: Number(stdout.trim()), device: true };
}

/** Creates a sparse, zero-filled disk-image file (truncate semantics). */
export async function createDiskImage(path: string, sizeBytes: number, options: { overwrite?: boolean } = {}): Promise<void> {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 2 * MIB || sizeBytes % SECTOR_SIZE !== 0) {
    throw refused(`createDiskImage ${path}: the size must be a whole number of 512-byte sectors and at least 2 MiB (got ${sizeBytes})`);
  }
  let handle;
  try {
    handle = await open(path, options.overwrite ? 'w' : 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw refused(`createDiskImage: ${path} already exists; delete it first or pass {overwrite: true}`);
    }
    throw e;
  }
  try {
    await handle.truncate(sizeBytes);
  } finally {
    await handle.close();
  }
}

function mbrTypeId(req: PartitionRequest, number: number): string {
  switch (req.kind) {
    case 'efi':
      return 'ef';
    case 'recovery':
      return '27';
    case 'primary':
      return req.fileSystem === 'FAT32' ? '0c' : '07';
    case 'msr':
      throw refused(`partition ${number}: a Microsoft reserved partition (MSR) exists only on GPT disks; remove it from the MBR layout`);
  }
}

function describe(req: PartitionRequest, number: number): string {
  const size = req.sizeBytes !== undefined ? formatBytes(req.sizeBytes) : `${req.percentOfRemaining ?? 100}% of the remaining space`;
  return `partition ${number} (${req.name ?? req.kind}, ${size})`;
}

export function formatBytes(n: number): string {
  if (n >= 1024 * MIB && n % (1024 * MIB) === 0) return `${n / (1024 * MIB)} GiB`;
  if (n >= MIB) return `${Math.round((n / MIB) * 10) / 10} MiB`;
  return `${n} bytes`;
}

interface Planned {
  startSector: number;
  sizeSectors: number;
}

type PlanResult = { ok: true; parts: Planned[] } | { ok: false; failedIndex: number; reason: string };

/** The layout on a disk of `totalSectors`, or which partition does not fit (ConfigMgr size rules). */
function plan(style: 'gpt' | 'mbr', totalSectors: number, requests: readonly PartitionRequest[]): PlanResult {
  const end = style === 'gpt' ? totalSectors - GPT_BACKUP_SECTORS : totalSectors; // exclusive
  let cursor = ALIGNMENT_SECTORS;
  const parts: Planned[] = [];
  for (const [i, req] of requests.entries()) {
    const start = Math.ceil(cursor / ALIGNMENT_SECTORS) * ALIGNMENT_SECTORS;
    const remaining = end - start;
    if (remaining < ALIGNMENT_SECTORS) return { ok: false, failedIndex: i, reason: 'there is no space left for it' };
    let size: number;
    if (req.sizeBytes !== undefined) {
      size = Math.ceil(req.sizeBytes / SECTOR_SIZE);
      if (size > remaining) {
        return { ok: false, failedIndex: i, reason: `it needs ${formatBytes(size * SECTOR_SIZE)} but only ${formatBytes(remaining * SECTOR_SIZE)} remain` };
      }
    } else {
      size = Math.floor((remaining * (req.percentOfRemaining ?? 100)) / 100);
    }
    if (size < ALIGNMENT_SECTORS) {
      return { ok: false, failedIndex: i, reason: `it would be ${formatBytes(size * SECTOR_SIZE)}, under the 1 MiB minimum` };
    }
    parts.push({ startSector: start, sizeSectors: size });
    cursor = start + size;
  }
  return { ok: true, parts };
}

function validateRequests(diskPath: string, style: 'gpt' | 'mbr', requests: readonly PartitionRequest[]): void {
  if (requests.length === 0) throw refused(`${diskPath}: a partition layout needs at least one partition`);
  if (style === 'mbr' && requests.length > 4) {
    throw refused(`${diskPath}: an MBR disk holds at most 4 primary partitions (the layout has ${requests.length}); use GPT or fewer partitions`);
  }
  if (style === 'gpt' && requests.length > 128) throw refused(`${diskPath}: a GPT disk holds at most 128 partitions`);
  for (const [i, r] of requests.entries()) {
    const n = i + 1;
    if (r.sizeBytes !== undefined && r.percentOfRemaining !== undefined) {
      throw refused(`${diskPath}: partition ${n} has both sizeBytes and percentOfRemaining; give one of them`);
    }
    if (r.sizeBytes !== undefined && !(Number.isSafeInteger(r.sizeBytes) && r.sizeBytes >= MIB)) {
      throw refused(`${diskPath}: partition ${n}: sizeBytes must be a whole number of at least 1 MiB (got ${r.sizeBytes})`);
    }
    const p = r.percentOfRemaining;
    if (p !== undefined && !(Number.isFinite(p) && p > 0 && p <= 100)) {
      throw refused(`${diskPath}: partition ${n}: percentOfRemaining must be above 0 and at most 100 (got ${p})`);
    }
    if (style === 'mbr') mbrTypeId(r, n);
    if (r.name !== undefined && (r.name.length > 36 || /["\n\r]/.test(r.name))) {
      throw refused(`${diskPath}: partition ${n}: a GPT name has at most 36 characters and no quotes or line breaks (got ${JSON.stringify(r.name)})`);
    }
  }
  if (style === 'mbr' && requests.filter((r) => r.bootable).length > 1) {
    throw refused(`${diskPath}: only one MBR partition can be active (bootable)`);
  }
}

/**
 * The smallest disk (whole MiB) the layout fits on, and bigger than `diskSizeBytes`. Binary search:
 * in whole-MiB steps a bigger disk never hurts. Between MiB steps it can (a 1 MiB boundary crossed
 * by a percentage partition's end pushes the next start up), hence the walk up from the disk's size.
 */
function neededBytes(style: 'gpt' | 'mbr', requests: readonly PartitionRequest[], diskSizeBytes: number): number {
  const fits = (mib: number) => plan(style, (mib * MIB) / SECTOR_SIZE, requests).ok;
  let hi = 2;
  while (!fits(hi)) {
    hi *= 2;
    if (hi > 2 ** 32) return Infinity;
  }
  let lo = hi / 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) hi = mid;
    else lo = mid;
  }
  if (hi * MIB <= diskSizeBytes) {
    hi = Math.floor(diskSizeBytes / MIB) + 1;
    while (!fits(hi)) hi++;
  }
  return hi * MIB;
}

function sfdiskScript(style: 'gpt' | 'mbr', parts: Planned[], requests: readonly PartitionRequest[]): string {
  const lines = [`label: ${style === 'gpt' ? 'gpt' : 'dos'}`, 'unit: sectors', 'sector-size: 512'];
  if (style === 'gpt') lines.push(`first-lba: ${ALIGNMENT_SECTORS}`);
  for (const [i, p] of parts.entries()) {
    const r = requests[i];
    const fields = [`start=${p.startSector}`, `size=${p.sizeSectors}`];
    if (style === 'gpt') {
      fields.push(`type=${GPT_TYPE[r.kind]}`, `name="${r.name ?? GPT_DEFAULT_NAME[r.kind]}"`);
      // Windows marks the recovery partition required and without a drive letter (GPT attribute bit 63).
      const attrs = [...(r.kind === 'recovery' ? ['RequiredPartition', 'GUID:63'] : []), ...(r.bootable ? ['LegacyBIOSBootable'] : [])];
      if (attrs.length) fields.push(`attrs="${attrs.join(' ')}"`);
    } else {
      fields.push(`type=${mbrTypeId(r, i + 1)}`);
      if (r.bootable) fields.push('bootable');
    }
    lines.push(fields.join(', '));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The sizes a disk of `diskSizeBytes` would give the partitions, without touching a file (the
 * simulator's answer), or why the layout does not fit.
 */
export function planPartitionTable(
  style: 'gpt' | 'mbr',
  diskSizeBytes: number,
  requests: readonly PartitionRequest[],
): { sizesBytes: number[] } | { error: string } {
  try {
    validateRequests('the disk', style, requests);
  } catch (e) {
    return { error: (e as Error).message };
  }
  const result = plan(style, Math.floor(diskSizeBytes / SECTOR_SIZE), requests);
  if (!result.ok) {
    const need = neededBytes(style, requests, diskSizeBytes);
    return {
      error: `${describe(requests[result.failedIndex], result.failedIndex + 1)} does not fit on a ${formatBytes(diskSizeBytes)} disk: ${result.reason}; the layout needs at least ${formatBytes(need)}`,
    };
  }
  return { sizesBytes: result.parts.map((p) => p.sizeSectors * SECTOR_SIZE) };
}

/**
 * Where each partition of a layout goes on a disk of `diskSizeBytes`, or DiskTooSmallError when it
 * does not fit (a refused layout is bad input). `disk` names the disk in messages.
 */
function layOut(disk: string, diskSizeBytes: number, style: 'gpt' | 'mbr', requests: readonly PartitionRequest[]): Planned[] {
  validateRequests(disk, style, requests);
  const totalSectors = Math.floor(diskSizeBytes / SECTOR_SIZE);
  if (style === 'mbr' && totalSectors > 0xffffffff) {
    throw refused(`${disk}: an MBR disk can address at most 2 TiB (the disk is ${formatBytes(diskSizeBytes)}); use GPT`);
  }
  const result = plan(style, totalSectors, requests);
  if (!result.ok) {
    const need = neededBytes(style, requests, diskSizeBytes);
    const n = result.failedIndex + 1;
    throw new DiskTooSmallError(
      disk,
      diskSizeBytes,
      need,
      n,
      `${basename(disk)} is too small for the ${style.toUpperCase()} layout: the disk is ${formatBytes(diskSizeBytes)} (${diskSizeBytes} bytes), ` +
        `the layout needs at least ${formatBytes(need)}; ${describe(requests[result.failedIndex], n)} does not fit: ${result.reason}. ` +
        `Use a bigger disk or smaller fixed sizes.`,
    );
  }
  return result.parts;
}

/**
 * The partition table a layout gives a disk of `diskSizeBytes`, as readPartitionTable would read it
 * back after writePartitionTable — without a disk (a computer in memory or in folders).
 */
export function layOutPartitionTable(disk: string, diskSizeBytes: number, style: 'gpt' | 'mbr', requests: readonly PartitionRequest[]): PartitionTable {
  const parts = layOut(disk, diskSizeBytes, style, requests);
  const partitions = parts.map((p, i): PartitionInfo => {
    const r = requests[i];
    return {
      number: i + 1,
      startSector: p.startSector,
      sizeSectors: p.sizeSectors,
      offsetBytes: p.startSector * SECTOR_SIZE,
      sizeBytes: p.sizeSectors * SECTOR_SIZE,
      kind: r.kind,
      typeId: style === 'gpt' ? GPT_TYPE[r.kind] : mbrTypeId(r, i + 1),
      ...(style === 'gpt' ? { name: r.name ?? GPT_DEFAULT_NAME[r.kind] } : {}),
      bootable: style === 'gpt' ? r.kind === 'efi' || r.bootable === true : r.bootable === true,
    };
  });
  return { style, sectorSize: SECTOR_SIZE, diskSizeBytes, partitions };
}

/**
 * Writes a new partition table (old signatures wiped) and returns it as read back from the disk.
 * Throws DiskTooSmallError, before touching the file, when the layout does not fit.
 */
export async function writePartitionTable(diskPath: string, style: 'gpt' | 'mbr', requests: PartitionRequest[]): Promise<PartitionTable> {
  validateRequests(diskPath, style, requests);
  const disk = await diskSize(diskPath);
  if (disk === undefined) throw fault(WIN32.fileNotFound, `${diskPath} does not exist: create the disk image first (createDiskImage)`);
  const diskSizeBytes = disk.sizeBytes;
  const parts = layOut(diskPath, diskSizeBytes, style, requests);
  // A disk-image file: nothing to tell the kernel. A block device (the boot environment's /dev/vda):
  // sfdisk tells the kernel about the new partitions; its caller waits for their nodes.
  await runTool('sfdisk', [...(disk.device ? [] : ['--no-reread', '--no-tell-kernel']), '--wipe', 'always', '-q', diskPath], {
    input: sfdiskScript(style, parts, requests),
  });
  // sfdisk's --wipe-partitions needs partition devices; on a file, clear each new partition's first
  // MiB ourselves so an old boot sector is not mistaken for a file system (openVolume probes it).
  for (const p of parts) await clearRange(diskPath, p.startSector * SECTOR_SIZE, ALIGNMENT_SECTORS * SECTOR_SIZE);
  const table = await readPartitionTable(diskPath);
  const mismatch =
    !table ||
    table.style !== style ||
    table.partitions.length !== parts.length ||
    table.partitions.some((p, i) => p.startSector !== parts[i].startSector || p.sizeSectors !== parts[i].sizeSectors);
  if (mismatch) {
    throw fault(WIN32.generic, `${diskPath}: sfdisk wrote a different layout than requested; \`sfdisk -d ${diskPath}\` shows what is on the disk`);
  }
  return table;
}

interface SfdiskJson {
  partitiontable: {
    label: string;
    sectorsize?: number;
    partitions?: { node: string; start: number; size: number; type: string; name?: string; bootable?: boolean; attrs?: string }[];
  };
}

function gptKind(type: string): PartitionKind {
  const t = type.toUpperCase();
  return (Object.keys(GPT_TYPE) as PartitionKind[]).find((k) => GPT_TYPE[k] === t) ?? 'primary';
}

function mbrKind(type: string): PartitionKind {
  const t = parseInt(type, 16);
  return t === 0xef ? 'efi' : t === 0x27 ? 'recovery' : 'primary';
}

/** The partition table of a disk image, or undefined for a disk without one (blank). */
export async function readPartitionTable(diskPath: string): Promise<PartitionTable | undefined> {
  await stat(diskPath); // a missing disk is ENOENT, as before
  const diskSizeBytes = (await diskSize(diskPath))!.sizeBytes;
  let stdout: string;
  try {
    ({ stdout } = await runTool('sfdisk', ['--json', diskPath]));
  } catch (e) {
    if (e instanceof ToolError && /does not contain a recognized partition table/.test(e.output)) return undefined;
    throw e;
  }
  const pt = (JSON.parse(stdout) as SfdiskJson).partitiontable;
  if (pt.label !== 'gpt' && pt.label !== 'dos') {
    throw fault(WIN32.notSupported, `${diskPath}: partition table type '${pt.label}' is not supported (only GPT and MBR)`);
  }
  if ((pt.sectorsize ?? SECTOR_SIZE) !== SECTOR_SIZE) throw fault(WIN32.notSupported, `${diskPath}: only 512-byte sectors are supported`);
  const style = pt.label === 'gpt' ? 'gpt' : 'mbr';
  const partitions = (pt.partitions ?? []).map((p, i): PartitionInfo => {
    const kind = style === 'gpt' ? gptKind(p.type) : mbrKind(p.type);
    const typeId = style === 'gpt' ? p.type.toUpperCase() : parseInt(p.type, 16).toString(16).padStart(2, '0');
    const bootable = style === 'gpt' ? kind === 'efi' || /LegacyBIOSBootable/.test(p.attrs ?? '') : p.bootable === true;
    return {
      number: Number(/(\d+)$/.exec(p.node)?.[1] ?? i + 1),
      startSector: p.start,
      sizeSectors: p.size,
      offsetBytes: p.start * SECTOR_SIZE,
      sizeBytes: p.size * SECTOR_SIZE,
      kind,
      typeId,
      ...(p.name !== undefined ? { name: p.name } : {}),
      bootable,
    };
  });
  return { style, sectorSize: SECTOR_SIZE, diskSizeBytes, partitions };
}
