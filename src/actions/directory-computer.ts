/**
 * A destination computer whose volumes are folders on this computer: the Computer port's fast
 * sibling for handler unit tests (and for previewing what a step writes). Its disks are the
 * profile's sizes; a partition layout is planned with the same rules as on a disk image (so a
 * layout that does not fit is the same DiskTooSmallError), but nothing is written except folders:
 * `<root>/disk<N>/p<M>/` holds partition M's files once it is formatted. A WIM is applied to a
 * volume's folder with wimlib. Restarts and flushes are counted, for the tests.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { MachineProfile } from '../engine/machine-profile/schema.js';
import { layOutPartitionTable, type PartitionTable } from '../storage/disk/partition-table.js';
import { fault } from '../storage/errors.js';
import { DirectoryVolume } from '../storage/volume/directory.js';
import { applyWimImage } from '../storage/wim.js';
import {
  type ApplyImageOptions,
  type BootCode,
  type BootCodeResult,
  type Computer,
  ComputerError,
  type DiskInfo,
  type DriveAssignment,
  type PartitionLayout,
  type VolumeFiles,
  type VolumeInfo,
  type VolumeRef,
  volumeInfoOf,
} from './computer.js';
import { WIN32 } from './errors.js';

interface DirectoryDisk {
  index: number;
  sizeBytes: number;
  bus: string;
  table?: PartitionTable;
  /** File system and label per formatted partition number. */
  formatted: Map<number, { fileSystem: 'NTFS' | 'FAT32'; label: string }>;
}

export class DirectoryComputer implements Computer {
  readonly name: string;
  readonly root: string;
  /** Every restart asked of it, in order. */
  readonly restarts: Array<'WinPE' | 'OS'> = [];
  /** How many times its changes were flushed. */
  flushes = 0;
  /** The BIOS boot code written to each disk (writeBootCode), for the tests. */
  readonly bootCode = new Map<number, BootCode>();
  private readonly disksByIndex = new Map<number, DirectoryDisk>();
  private assignments: DriveAssignment[] = [];

  constructor(
    root: string,
    readonly profile: MachineProfile,
    options: { name?: string } = {},
  ) {
    this.root = resolve(root);
    this.name = options.name ?? profile.name;
    for (const d of profile.disks) this.disksByIndex.set(d.index, { index: d.index, sizeBytes: d.size, bus: d.busType, formatted: new Map() });
  }

  async disks(): Promise<DiskInfo[]> {
    return [...this.disksByIndex.values()]
      .sort((a, b) => a.index - b.index)
      .map((d) => ({ index: d.index, sizeBytes: d.sizeBytes, firmware: this.profile.firmware, bus: d.bus, style: d.table?.style }));
  }

  async volumes(disk: number): Promise<VolumeInfo[]> {
    const d = this.disk(disk);
    return (d.table?.partitions ?? []).map((p) => volumeInfoOf(disk, p, d.formatted.get(p.number)?.fileSystem));
  }

  async writeLayout(disk: number, layout: PartitionLayout): Promise<VolumeInfo[]> {
    const d = this.disk(disk);
    const table = layOutPartitionTable(`disk${disk}`, d.sizeBytes, layout.style, layout.partitions);
    await rm(join(this.root, `disk${disk}`), { recursive: true, force: true });
    d.table = table;
    d.formatted.clear();
    return this.volumes(disk);
  }

  async format(ref: VolumeRef, fileSystem: 'NTFS' | 'FAT32', label: string): Promise<void> {
    const d = this.partitionOf(ref);
    const folder = this.folder(ref);
    await rm(folder, { recursive: true, force: true });
    await mkdir(folder, { recursive: true });
    d.formatted.set(ref.partition, { fileSystem, label });
  }

  async applyImage(ref: VolumeRef, wim: string, index: number, options: ApplyImageOptions = {}): Promise<void> {
    const fs = this.partitionOf(ref).formatted.get(ref.partition)?.fileSystem;
    if (fs !== 'NTFS')
      throw fault(
        WIN32.notSupported,
        `an image can't be applied to disk ${ref.disk} partition ${ref.partition} (${fs ?? 'unformatted'}): Windows needs an NTFS volume`,
      );
    await applyWimImage(wim, index, { kind: 'directory', path: this.folder(ref) }, options);
  }

  async files(ref: VolumeRef): Promise<VolumeFiles> {
    if (!this.partitionOf(ref).formatted.has(ref.partition)) {
      throw fault(WIN32.unrecognizedVolume, `partition ${ref.partition} of disk ${ref.disk} on ${this.name} holds no file system; format it first`);
    }
    return new DirectoryVolume(this.folder(ref));
  }

  drives(): DriveAssignment[] {
    return this.assignments.map((a) => ({ ...a }));
  }

  setDrives(drives: DriveAssignment[]): void {
    this.assignments = drives.map((a) => ({ ...a }));
  }

  async flush(): Promise<void> {
    this.flushes++;
  }

  /** Keeps the boot code (there is no sector 0 here); the same room rules as a disk: MBR gap before the first partition, GPT refused without a BIOS boot partition. */
  async writeBootCode(disk: number, code: BootCode): Promise<BootCodeResult> {
    const table = this.disk(disk).table;
    if (!table) throw new ComputerError(`disk ${disk} of ${this.name} has no partition table: partition it before writing boot code`, WIN32.notFound);
    const coreSectors = Math.ceil(code.coreImage.length / 512);
    if (table.style !== 'mbr') {
      throw fault(
        WIN32.notSupported,
        'the GPT disk has no BIOS boot partition, so the BIOS boot code has nowhere to go: partition the disk MBR for BIOS computers',
      );
    }
    const gap = Math.min(...table.partitions.map((p) => p.startSector)) - 1;
    if (gap < coreSectors) throw fault(WIN32.diskFull, `GRUB's core image needs ${coreSectors} sectors but the gap after the MBR has ${gap}`);
    this.bootCode.set(disk, { bootImage: Buffer.from(code.bootImage), coreImage: Buffer.from(code.coreImage) });
    return { coreSector: 1, coreSectors, where: `the gap after the MBR (sectors 1–${gap})` };
  }

  async restart(into: 'WinPE' | 'OS'): Promise<void> {
    this.restarts.push(into);
  }

  /** The folder of a partition's files (for tests to look at). */
  folder(ref: VolumeRef): string {
    return join(this.root, `disk${ref.disk}`, `p${ref.partition}`);
  }

  private disk(index: number): DirectoryDisk {
    const d = this.disksByIndex.get(index);
    if (!d)
      throw new ComputerError(`disk ${index} does not exist on ${this.name} (disks: ${[...this.disksByIndex.keys()].join(', ') || 'none'})`, WIN32.notFound);
    return d;
  }

  private partitionOf(ref: VolumeRef): DirectoryDisk {
    const d = this.disk(ref.disk);
    if (!d.table?.partitions.some((p) => p.number === ref.partition)) {
      throw new ComputerError(`disk ${ref.disk} of ${this.name} has no partition ${ref.partition}`, WIN32.pathNotFound);
    }
    return d;
  }
}
