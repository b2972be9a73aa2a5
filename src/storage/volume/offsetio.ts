/**
 * The offsetio shim (native/offsetio.c): an LD_PRELOAD library under which mkntfs, wimlib-imagex
 * (NTFS-3G mode) and the ntfsfs helper see one byte range of a disk image as a device, so an NTFS
 * partition of a lab disk is formatted, applied and edited in place — no side image and no copy of
 * it back into the disk (issue 16 item 6; docs/lab.md "In place").
 *
 * The tools are given a placeholder: an empty file whose path the shim redirects
 * (OSD_OFFSETIO_MAP="<placeholder>=<disk image>:<offset>:<length>"). Should the shim not load, a tool
 * opens the empty placeholder and fails (no NTFS boot sector, size 0) instead of writing anywhere
 * else; the disk image itself is never named to a tool.
 */
import { writeFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { PartitionInfo } from '../disk/partition-table.js';
import { clearRange } from '../disk/byte-range.js';
import { findTool, runTool } from '../tools.js';
import { findNativeHelper } from './ntfsfs.js';

/** A partition of a disk image presented to the ntfs-3g tools as the device `placeholder`. */
export interface OffsetMap {
  /** The shim (an absolute path, for LD_PRELOAD). */
  readonly library: string;
  /** The path the tools are given: an empty file, absolute, without '=' (the map's separator). */
  readonly placeholder: string;
  readonly diskPath: string;
  readonly offset: number;
  readonly length: number;
}

/** The shim: $OSD_OFFSETIO, else `.tmp/native/offsetio.so` (scripts/system-packages.sh builds it). */
export function findOffsetio(): string | undefined {
  return findNativeHelper('offsetio', 'library');
}

/**
 * Why `placeholder` or `library` cannot be used with the shim, or undefined when they can:
 * LD_PRELOAD splits its list at spaces and colons, and the map's placeholder ends at its first '='.
 */
export function offsetMapProblem(library: string, placeholder: string): string | undefined {
  if (/[\s:]/.test(library)) return `the shim's path ${library} holds a space or a colon, which LD_PRELOAD cannot take`;
  if (!isAbsolute(placeholder)) return `the device path ${placeholder} is not absolute`;
  if (/[=\n]/.test(placeholder)) return `the device path ${placeholder} holds '=' or a line break, which OSD_OFFSETIO_MAP cannot take`;
  return undefined;
}

/**
 * The map of `partition` of `diskPath` onto `placeholder` (created empty), or why there is none:
 * the shim is not built, or a path it cannot take.
 */
export async function mapPartition(diskPath: string, partition: PartitionInfo, placeholder: string): Promise<OffsetMap | string> {
  const library = findOffsetio();
  if (!library) {
    return process.env.OSD_OFFSETIO
      ? `OSD_OFFSETIO points at ${process.env.OSD_OFFSETIO}, which does not exist`
      : 'the offsetio shim (native/offsetio.c) is not built: run `make deps`';
  }
  const problem = offsetMapProblem(library, placeholder);
  if (problem) return problem;
  await writeFile(placeholder, '');
  return { library, placeholder, diskPath, offset: partition.offsetBytes, length: partition.sizeBytes };
}

/** The environment a tool runs under to see `map.placeholder` as the partition (the shim first in LD_PRELOAD). */
export function offsetioEnv(map: OffsetMap): Record<string, string> {
  const preload = process.env.LD_PRELOAD;
  return {
    LD_PRELOAD: preload ? `${map.library} ${preload}` : map.library,
    OSD_OFFSETIO_MAP: `${map.placeholder}=${map.diskPath}:${map.offset}:${map.length}`,
  };
}

/**
 * Makes the partition's bytes zero before mkntfs formats it in place — the state of the fresh sparse
 * side image the copying path formatted, so a reformatted volume keeps none of the old one's bytes
 * in its free clusters and the disk image stays sparse: `fallocate --punch-hole` (no data read or
 * written), else, where the file system cannot punch holes, zeros written over what is not zero.
 */
export async function zeroRange(map: OffsetMap): Promise<void> {
  if (findTool('fallocate')) {
    try {
      await runTool('fallocate', ['--punch-hole', '--offset', String(map.offset), '--length', String(map.length), map.diskPath]);
      return;
    } catch {
      // not supported here (EOPNOTSUPP): write zeros instead
    }
  }
  await clearRange(map.diskPath, map.offset, map.length);
}

let warned = false;

/** Says once per process that volumes fall back to side images (the copying path), and why. */
export function warnFallback(reason: string): void {
  if (warned) return;
  warned = true;
  process.emitWarning(`NTFS volumes of disk images use side images copied in and out (slower): ${reason}`, { code: 'OSD_OFFSETIO' });
}
