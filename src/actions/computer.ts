/**
 * What a step handler works on: the destination computer, described by operations, not paths
 * (DESIGN.md "Small ports, swappable adapters") — list its disks, write a partition layout, format
 * a volume, apply a WIM image to it, read, write and list its files (staging drivers is copying a
 * folder in), keep the drive letters Windows PE assigned, restart. Siblings implement it:
 *
 * - the lab's disk-image files (src/lab/lab-machine.ts, over src/storage/),
 * - folders on this computer (directory-computer.ts: handler unit tests),
 * - a real computer's block devices (the agent in the boot environment:
 *   src/bootenv/guest/block-device-computer.ts; docs/boot-environment-agent.md).
 *
 * A handler never sees where a disk lives (an image file, /dev/nvme0n1), which back end a volume
 * has, or how a file system is recognised: it sees the operations and their answers.
 */
import { OsdError } from '../common/errors.js';
import type { MachineProfile } from '../engine/machine-profile/schema.js';
import type { BootCode, BootCodeResult } from '../storage/disk/boot-code.js';
import type { PartitionInfo, PartitionKind, PartitionRequest } from '../storage/disk/partition-table.js';
import { WIN32 } from '../storage/errors.js';
import type { Volume } from '../storage/volume/volume.js';

export type { PartitionKind, PartitionRequest } from '../storage/disk/partition-table.js';
export type { BootCode, BootCodeResult } from '../storage/disk/boot-code.js';
export type { FileAttribute, FileMeta, FileTimes, VolumeEntry, WriteMeta } from '../storage/volume/volume.js';

export interface DriveAssignment {
  /** "C:" */
  letter: string;
  disk: number;
  /** 1-based partition number. */
  partition: number;
}

export interface DiskInfo {
  index: number;
  sizeBytes: number;
  /** How the computer starts: UEFI (GPT system disk) or BIOS (MBR). */
  firmware: 'uefi' | 'bios';
  /** The bus the disk is on (nvme, sata, …), as the profile says. */
  bus: string;
  /** The partition table's style, or undefined for a blank disk. */
  style?: 'gpt' | 'mbr';
}

/** A new partition table: its style and the partitions in order (sizes fixed or a percentage of what remains). */
export interface PartitionLayout {
  style: 'gpt' | 'mbr';
  partitions: PartitionRequest[];
}

/** A partition, where a volume lives: disk index and 1-based partition number. */
export interface VolumeRef {
  disk: number;
  partition: number;
}

export type FileSystem = 'NTFS' | 'FAT32' | 'FAT16' | 'FAT12';

export interface VolumeInfo extends VolumeRef {
  kind: PartitionKind;
  sizeBytes: number;
  /** The GPT partition name (MBR has none). */
  name?: string;
  bootable: boolean;
  /** The file system it holds; undefined when unformatted (or the MSR). */
  fileSystem?: FileSystem;
}

/**
 * The files of a formatted volume, as a handler sees them: the storage layer's `Volume` without
 * `flush` (the computer flushes after every step). Paths are relative to its root, `\` or `/`
 * separated; read, write, list, copy in (staging drivers), and metadata and streams (stat, walk,
 * openRead, writeStream, setMeta, hard links, remove) for user state, applications and updates.
 */
export type VolumeFiles = Omit<Volume, 'flush'>;

export interface ApplyImageOptions {
  signal?: AbortSignal;
  /** 0…1 */
  onProgress?: (fraction: number) => void;
}

/**
 * A pipable WIM on a distribution point, applied as it arrives (issue 14: bulk image data from the
 * DP straight into wimlib, never through the agent's buffers or its cache). The content library
 * names it (ContentLibrary.imageStream); a computer that can stream offers applyImageStream.
 */
export interface ImageStreamSource {
  /** The file's URL on the distribution point. */
  url: string;
  /** SHA-256 (hex) and size the site recorded for the file. */
  sha256: string;
  size: number;
  /**
   * The site's stream anchor: the SHA-256 of the WIM's first `bytes` (header, XML, every image's
   * metadata; src/storage/pipable-wim.ts). With it the computer checks those bytes before wimlib may
   * use them, and wimlib checks every file it extracts against the SHA-1 the metadata names: nothing
   * else of the stream is hashed. Without it the whole stream's SHA-256 is computed and compared.
   */
  anchor?: { bytes: number; sha256: string };
}

/** What a streamed apply found: the bytes that passed, and how they were checked. */
export interface ImageStreamResult {
  /** The bytes received: the whole file, or (anchor) as far as wimlib needed to read before it had the image. */
  bytes: number;
  /** `anchor`: the anchor matched and wimlib verified every file it extracted; `sha256`: the whole stream was hashed (below). */
  verified: 'anchor' | 'sha256';
  /** The whole stream's SHA-256 (`verified: 'sha256'`), for the caller to compare with the source's. */
  sha256?: string;
}

export interface Computer {
  /** Its name, for messages ("disk 2 does not exist on pc1"). */
  readonly name: string;
  /** Hardware facts: architecture, network adapters, PnP devices. */
  readonly profile: MachineProfile;
  /** The disks, in index order. */
  disks(): Promise<DiskInfo[]>;
  /** The partitions of a disk and what each holds; [] for a blank disk. ComputerError 0x80070490 when there is no such disk. */
  volumes(disk: number): Promise<VolumeInfo[]>;
  /**
   * Writes a new partition table on a disk (what it held is gone) and returns its partitions,
   * unformatted. A layout that does not fit is DiskTooSmallError (0x80070070).
   */
  writeLayout(disk: number, layout: PartitionLayout): Promise<VolumeInfo[]>;
  /** Formats a partition (its files are gone). */
  format(volume: VolumeRef, fileSystem: 'NTFS' | 'FAT32', label: string): Promise<void>;
  /** Applies image `index` of a WIM file (a local path, from the content library) to a freshly formatted NTFS volume. */
  applyImage(volume: VolumeRef, wim: string, index: number, options?: ApplyImageOptions): Promise<void>;
  /**
   * Optional: applies image `index` of a pipable WIM as it streams from `source.url` (a native
   * pipeline: the bytes never pass through the agent), checked by the source's anchor or by hashing the
   * whole stream. Resolves when the download and wimlib both succeeded (with the whole stream's
   * SHA-256 for the caller to compare when there was no anchor); bytes that do not match the anchor,
   * or a file wimlib found corrupt, are an ImageStreamHashMismatchError; a download that broke off or
   * came short an ImageStreamBrokeOffError; wimlib's own failure a WimError.
   * A computer without it (the lab, folders) gets the file from the content library.
   */
  applyImageStream?(volume: VolumeRef, source: ImageStreamSource, index: number, options?: ApplyImageOptions): Promise<ImageStreamResult>;
  /** The files of a formatted volume (kept open for the step; `flush` writes them to the disk). */
  files(volume: VolumeRef): Promise<VolumeFiles>;
  /** Drive letters as Windows PE assigned them (kept across restarts). */
  drives(): DriveAssignment[];
  setDrives(drives: DriveAssignment[]): void;
  /**
   * Writes a disk's BIOS boot code — GRUB's boot.img in sector 0 and core.img after it, where
   * grub-bios-setup puts them (src/storage/disk/boot-code.ts) — keeping its partition table: the
   * BIOS half of BCDBoot (src/actions/boot-files.ts). An MBR disk without room before its first
   * partition, or a GPT disk without a BIOS boot partition, is a fault; nothing is written then.
   */
  writeBootCode(disk: number, code: BootCode): Promise<BootCodeResult>;
  /** Makes every change durable on the disks (after each step, and before a restart). */
  flush(): Promise<void>;
  /** The host restarts the computer (a step asked for it): what must happen before it comes up again. */
  restart(into: 'WinPE' | 'OS'): Promise<void>;
}

/** A partition of a partition table as the port describes it, with what it holds when known. */
export function volumeInfoOf(disk: number, p: PartitionInfo, fileSystem: VolumeInfo['fileSystem'] | undefined): VolumeInfo {
  return {
    disk,
    partition: p.number,
    kind: p.kind,
    sizeBytes: p.sizeBytes,
    ...(p.name !== undefined ? { name: p.name } : {}),
    bootable: p.bootable,
    ...(fileSystem ? { fileSystem } : {}),
  };
}

/** The computer could not do what a step asked (no such disk, no such drive): a fault with its code. */
export class ComputerError extends OsdError {
  readonly code: number;

  constructor(message: string, code: number) {
    super('fault', { rule: message, exitCode: code }, message);
    this.name = 'ComputerError';
    this.code = code >>> 0;
  }
}

/**
 * A streamed apply (Computer.applyImageStream) whose download from the distribution point failed or
 * came short: the caller may try again from the start. The step's code when it gives up is 0x80004005.
 */
export class ImageStreamBrokeOffError extends ComputerError {
  constructor(
    readonly url: string,
    message: string,
  ) {
    super(message, WIN32.generic);
    this.name = 'ImageStreamBrokeOffError';
  }
}

/**
 * The streamed bytes are not what the site recorded: the anchor (header, XML, metadata) did not
 * match, or wimlib found a file whose data does not match its SHA-1 (0x80091007, as a download with
 * a bad hash). What was applied must go.
 */
export class ImageStreamHashMismatchError extends ComputerError {
  constructor(
    readonly url: string,
    message: string,
  ) {
    super(message, 0x80091007);
    this.name = 'ImageStreamHashMismatchError';
  }
}

/** The volume behind a drive letter, or undefined when the letter is not assigned (or its partition is gone). */
export async function volumeOfDrive(computer: Computer, letter: string): Promise<VolumeInfo | undefined> {
  const a = computer.drives().find((d) => d.letter.toUpperCase() === letter.toUpperCase());
  if (!a) return undefined;
  return (await computer.volumes(a.disk)).find((v) => v.partition === a.partition);
}

/** The files on drive `letter`: ComputerError 0x80070003 when there is no such drive. */
export async function filesOfDrive(computer: Computer, letter: string): Promise<VolumeFiles> {
  const key = letter.toUpperCase();
  const a = computer.drives().find((d) => d.letter.toUpperCase() === key);
  if (!a) throw new ComputerError(`there is no drive ${key} on ${computer.name}`, WIN32.pathNotFound);
  return computer.files({ disk: a.disk, partition: a.partition });
}
