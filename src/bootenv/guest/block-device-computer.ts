/**
 * The Computer port on a real computer's disks, for the agent in the boot environment — a sibling
 * of the lab's LabMachine (docs/ARCHITECTURE.md "The Computer port"; docs/boot-environment-agent.md):
 *
 * - partition tables with the same sfdisk script (src/storage/disk/partition-table.ts) on /dev/vda;
 *   sfdisk tells the kernel, then `blockdev --rereadpt` (or `partx -u`) and a wait for the new
 *   partition nodes (/dev/vda1, /dev/nvme0n1p1);
 * - NTFS formatted with mkntfs on the partition node and opened IN PLACE (NtfsVolume.formatInPlace:
 *   no side image, no splice); wimlib applies straight to the node (its NTFS-3G mode);
 * - FAT with mtools at the partition's offset on the disk device, as the lab does on an image;
 * - BIOS boot code written into the disk device (src/storage/disk/boot-code.ts);
 * - drive letters kept in a file in the agent's state folder (next to its journal).
 *
 * A "disk" that is a regular file (tests on a host standing a disk-image file for /dev/vda) falls
 * back to what the lab does: NTFS through a side image spliced back on flush — unless the caller
 * gives partition nodes (`partitionNode`: tests use loop devices at the partitions' offsets).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import {
  type ApplyImageOptions,
  type BootCode,
  type BootCodeResult,
  type Computer,
  ComputerError,
  type DiskInfo,
  type DriveAssignment,
  type ImageStreamResult,
  type ImageStreamSource,
  type PartitionLayout,
  type VolumeFiles,
  type VolumeInfo,
  type VolumeRef,
  volumeInfoOf,
} from '../../actions/computer.js';
import { WIN32 } from '../../actions/errors.js';
import type { MachineProfile } from '../../engine/machine-profile/schema.js';
import { writeBootCode } from '../../storage/disk/boot-code.js';
import { diskSize, type PartitionInfo, type PartitionTable, readPartitionTable, writePartitionTable } from '../../storage/disk/partition-table.js';
import { fault } from '../../storage/errors.js';
import { runTool } from '../../storage/tools.js';
import { FatVolume } from '../../storage/volume/fat.js';
import { NtfsVolume } from '../../storage/volume/ntfs.js';
import { probeFileSystem } from '../../storage/volume/open.js';
import type { Volume } from '../../storage/volume/volume.js';
import { applyWimImage } from '../../storage/wim.js';
import { streamApplyWim } from './stream-apply.js';

export interface BlockDisk {
  index: number;
  /** /dev/vda — or, in tests, a disk-image file. */
  device: string;
  /** The bus the profile names (scsi for virtio, nvme …). */
  bus: string;
}

export interface BlockDeviceComputerOptions {
  name: string;
  profile: MachineProfile;
  disks: BlockDisk[];
  /** Side images of a file-backed disk's NTFS volumes, spools of copies within a volume. */
  workDir: string;
  /** Where the drive letters are kept (the agent's state folder). */
  drivesFile: string;
  /**
   * The node of a partition of a block-device disk once the kernel knows it (default: the name rule
   * — vda → vda1, nvme0n1 → nvme0n1p1 — waiting up to `nodeWaitMs`). Tests give loop devices.
   */
  partitionNode?: (disk: BlockDisk, partition: PartitionInfo) => Promise<string>;
  nodeWaitMs?: number;
  /** Lines for the console and smsts.log (what was run on which device). */
  log?: (line: string) => void;
}

/** The node of partition `n` of disk device `device`: a name ending in a digit takes a "p" (nvme0n1p1, mmcblk0p1, loop0p1). */
export function partitionNodeName(device: string, n: number): string {
  return /\d$/.test(device) ? `${device}p${n}` : `${device}${n}`;
}

export class BlockDeviceComputer implements Computer {
  readonly name: string;
  readonly profile: MachineProfile;
  private readonly open = new Map<string, Volume>();
  private readonly tables = new Map<number, PartitionTable | undefined>();
  private assignments: DriveAssignment[];

  constructor(private readonly options: BlockDeviceComputerOptions) {
    this.name = options.name;
    this.profile = options.profile;
    mkdirSync(options.workDir, { recursive: true });
    this.assignments = existsSync(options.drivesFile) ? (JSON.parse(readFileSync(options.drivesFile, 'utf8')) as DriveAssignment[]) : [];
  }

  /** Whether disk `d` is a block device (else a disk-image file standing for one). */
  isDevice(d: BlockDisk): boolean {
    return statSync(d.device).isBlockDevice();
  }

  /** Whether disk `d`'s NTFS volumes are worked on in place, through partition nodes (a block device, or nodes the caller gives). */
  private inPlace(d: BlockDisk): boolean {
    return this.options.partitionNode !== undefined || this.isDevice(d);
  }

  private disk(index: number): BlockDisk {
    const d = this.options.disks.find((x) => x.index === index);
    if (!d)
      throw new ComputerError(
        `disk ${index} does not exist on ${this.name} (disks: ${this.options.disks.map((x) => `${x.index} ${x.device}`).join(', ') || 'none'})`,
        WIN32.notFound,
      );
    return d;
  }

  private async table(index: number): Promise<PartitionTable | undefined> {
    if (!this.tables.has(index)) this.tables.set(index, await readPartitionTable(this.disk(index).device));
    return this.tables.get(index);
  }

  async disks(): Promise<DiskInfo[]> {
    const out: DiskInfo[] = [];
    for (const d of this.options.disks) {
      const t = await this.table(d.index);
      const sizeBytes = t?.diskSizeBytes ?? (await diskBytes(d.device));
      out.push({ index: d.index, sizeBytes, firmware: this.profile.firmware, bus: d.bus, style: t?.style });
    }
    return out;
  }

  async volumes(disk: number): Promise<VolumeInfo[]> {
    const d = this.disk(disk);
    const out: VolumeInfo[] = [];
    for (const p of (await this.table(disk))?.partitions ?? []) out.push(volumeInfoOf(disk, p, await probeFileSystem(d.device, p)));
    return out;
  }

  async writeLayout(disk: number, layout: PartitionLayout): Promise<VolumeInfo[]> {
    const d = this.disk(disk);
    for (const key of [...this.open.keys()]) if (key.startsWith(`${disk}:`)) this.open.delete(key);
    this.tables.delete(disk);
    this.log(`Writing a ${layout.style.toUpperCase()} partition table on ${d.device} (${layout.partitions.length} partitions) with sfdisk`);
    const table = await writePartitionTable(d.device, layout.style, layout.partitions);
    this.tables.set(disk, table);
    if (this.isDevice(d)) {
      // sfdisk told the kernel already; ask again in case it was busy, then wait for every node.
      await runTool('blockdev', ['--rereadpt', d.device]).catch(() => runTool('partx', ['-u', d.device]).catch(() => undefined));
      for (const p of table.partitions) await this.node(d, p);
    }
    return table.partitions.map((p) => volumeInfoOf(disk, p, undefined));
  }

  async format(ref: VolumeRef, fileSystem: 'NTFS' | 'FAT32', label: string): Promise<void> {
    const { disk, info } = await this.partition(ref);
    const key = `${ref.disk}:${ref.partition}`;
    this.open.delete(key);
    let vol: Volume;
    if (fileSystem === 'FAT32') {
      this.log(`Formatting partition ${ref.partition} of ${disk.device} FAT32 ("${label}") with mformat at offset ${info.offsetBytes}`);
      vol = await FatVolume.format(disk.device, info, label);
    } else if (this.inPlace(disk)) {
      const node = await this.node(disk, info);
      this.log(`Formatting ${node} NTFS ("${label}") with mkntfs, in place`);
      vol = await NtfsVolume.formatInPlace(node, info, label, this.options.workDir);
    } else {
      vol = await NtfsVolume.format(disk.device, info, label, this.options.workDir);
    }
    this.open.set(key, vol);
  }

  async applyImage(ref: VolumeRef, wim: string, index: number, options: ApplyImageOptions = {}): Promise<void> {
    const vol = await this.volume(ref);
    if (!(vol instanceof NtfsVolume)) throw fault(WIN32.notSupported, `an image can't be applied to ${vol.description}: Windows needs an NTFS volume`);
    const target = await vol.releaseSideImage();
    this.log(`Applying image ${index} of ${basename(wim)} to ${target} with wimlib-imagex (NTFS-3G mode)`);
    await applyWimImage(wim, index, { kind: 'ntfs-image', path: target }, options);
  }

  /** A pipable WIM streamed from the DP straight into wimlib on the node (stream-apply.ts; docs/boot-environment-agent.md). */
  async applyImageStream(ref: VolumeRef, source: ImageStreamSource, index: number, options: ApplyImageOptions = {}): Promise<ImageStreamResult> {
    const vol = await this.volume(ref);
    if (!(vol instanceof NtfsVolume)) throw fault(WIN32.notSupported, `an image can't be applied to ${vol.description}: Windows needs an NTFS volume`);
    const target = await vol.releaseSideImage();
    this.log(`Streaming image ${index} from ${source.url} into wimlib-imagex apply - ${index} ${target} (NTFS-3G mode), SHA-256 by sha256sum on the way`);
    return streamApplyWim(source, index, target, { signal: options.signal, workDir: this.options.workDir });
  }

  async files(ref: VolumeRef): Promise<VolumeFiles> {
    return this.volume(ref);
  }

  drives(): DriveAssignment[] {
    return this.assignments.map((a) => ({ ...a }));
  }

  setDrives(drives: DriveAssignment[]): void {
    this.assignments = drives.map((a) => ({ ...a }));
    mkdirSync(dirname(this.options.drivesFile), { recursive: true });
    const tmp = `${this.options.drivesFile}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.assignments, null, 2)}\n`);
    renameSync(tmp, this.options.drivesFile);
  }

  async writeBootCode(disk: number, code: BootCode): Promise<BootCodeResult> {
    const d = this.disk(disk);
    const table = await this.table(disk);
    if (!table) throw new ComputerError(`disk ${disk} (${d.device}) has no partition table: partition it before writing boot code`, WIN32.notFound);
    return writeBootCode(d.device, table, code);
  }

  /** Every open volume flushed (in place: its helper session ended, so unmounted), then each disk device synced. */
  async flush(): Promise<void> {
    for (const vol of this.open.values()) await vol.flush();
    for (const d of this.options.disks) {
      const fh = await open(d.device, 'r+').catch(() => undefined);
      if (!fh) continue;
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
  }

  /**
   * Before a restart the disks hold everything. The boot environment does not restart for a step:
   * the engine goes on in-process as the lab's does (the steps of the full OS run against the
   * volumes), and init restarts the computer when the agent has ended (docs/boot-environment-agent.md).
   */
  async restart(_into: 'WinPE' | 'OS'): Promise<void> {
    await this.flush();
  }

  private async volume(ref: VolumeRef): Promise<Volume> {
    const key = `${ref.disk}:${ref.partition}`;
    const cached = this.open.get(key);
    if (cached) return cached;
    const { disk, info } = await this.partition(ref);
    const fs = await probeFileSystem(disk.device, info);
    let vol: Volume;
    if (fs === 'NTFS') {
      vol = this.inPlace(disk)
        ? await NtfsVolume.openInPlace(await this.node(disk, info), info, this.options.workDir)
        : await NtfsVolume.open(disk.device, info, this.options.workDir);
    } else if (fs) {
      vol = new FatVolume(disk.device, info, fs);
    } else {
      throw fault(WIN32.unrecognizedVolume, `partition ${info.number} of ${disk.device} holds no NTFS or FAT file system; format it first`);
    }
    this.open.set(key, vol);
    return vol;
  }

  private async partition(ref: VolumeRef): Promise<{ disk: BlockDisk; info: PartitionInfo }> {
    const disk = this.disk(ref.disk);
    const info = (await this.table(ref.disk))?.partitions.find((p) => p.number === ref.partition);
    if (!info) throw new ComputerError(`disk ${ref.disk} (${disk.device}) has no partition ${ref.partition}`, WIN32.pathNotFound);
    return { disk, info };
  }

  /** The partition's node, once it exists as a block device. */
  private async node(disk: BlockDisk, info: PartitionInfo): Promise<string> {
    if (this.options.partitionNode) return this.options.partitionNode(disk, info);
    const node = partitionNodeName(disk.device, info.number);
    const deadline = Date.now() + (this.options.nodeWaitMs ?? 10_000);
    for (;;) {
      try {
        if (statSync(node).isBlockDevice()) return node;
      } catch {
        // not there yet
      }
      if (Date.now() > deadline) {
        throw fault(
          WIN32.notFound,
          `${node} (partition ${info.number} of ${disk.device}) did not appear after the partition table was written; the kernel may not have re-read it (blockdev --rereadpt ${disk.device})`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}

async function diskBytes(device: string): Promise<number> {
  const size = await diskSize(device);
  if (!size) throw new ComputerError(`the disk ${device} is not there`, WIN32.fileNotFound);
  return size.sizeBytes;
}

/** A computer's disks as the boot environment found them: disk N is the Nth of `devices`. */
export function blockDisks(devices: ReadonlyArray<{ device: string; bus: string }>): BlockDisk[] {
  return devices.map((d, index) => ({ index, device: d.device, bus: d.bus }));
}
