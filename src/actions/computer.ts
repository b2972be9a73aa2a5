/**
 * What a step handler works on: the destination computer's disks (raw disk-image files), the
 * drive letters Windows PE has assigned, and its profile (hardware facts). The lab (src/lab/)
 * implements it for virtual computers; a real agent would implement it for real disks.
 */
import { OsdError } from '../common/errors.js';
import type { MachineProfile } from '../engine/machine-profile/schema.js';
import type { PartitionInfo } from '../machine/disk/partition-table.js';
import type { Volume } from '../machine/volume/volume.js';

export interface DriveAssignment {
  /** "C:" */
  letter: string;
  disk: number;
  /** 1-based partition number. */
  partition: number;
}

export interface Computer {
  readonly profile: MachineProfile;
  /** Scratch space of this computer (side images, downloads); inside the computer's own folder. */
  readonly workDir: string;
  /** Disk indexes that exist, in order. */
  diskIndexes(): number[];
  /** The disk-image file of disk `index`; throws ComputerError when there is no such disk. */
  diskPath(index: number): string;
  /** Drive letters as Windows PE assigned them (persisted across restarts). */
  drives(): DriveAssignment[];
  setDrives(drives: DriveAssignment[]): void;
  /** The partition behind a drive letter. */
  partitionOf(letter: string): Promise<{ disk: number; info: PartitionInfo } | undefined>;
  /** The file system behind a drive letter (kept open for the step; the executor flushes it after). */
  volume(letter: string): Promise<Volume>;
  /** Formats the partition behind a drive letter again (its files are gone) and returns the new volume. */
  formatVolume(letter: string, fileSystem: 'NTFS' | 'FAT32', label: string): Promise<Volume>;
  /** Writes every open volume's changes into the disk-image files. */
  flush(): Promise<void>;
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
