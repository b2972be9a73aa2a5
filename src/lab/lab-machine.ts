/**
 * A virtual destination computer: a folder with its machine profile, raw disk-image files and
 * boot state (lab.json, the engine's journal, smsts.log). It is the `Computer` the step handlers
 * work on — its operations done on the disk-image files with the machine layer (sfdisk, mkntfs,
 * mtools, wimlib) — and what they do lands in the disk images, checkable with sfdisk, sgdisk,
 * fsck.fat, ntfsls.
 *
 *   <lab>/<name>/lab.json        disks, drive letters, boots
 *   <lab>/<name>/profile.json    the machine profile (disks as the lab made them)
 *   <lab>/<name>/disk0.img …     raw disk images (sparse)
 *   <lab>/<name>/work/           placeholders the offsetio shim maps onto NTFS partitions (or, without
 *                                the shim, side images of open NTFS volumes)
 *   <lab>/<name>/state/          journal.json and logs/smsts.log
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
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
} from '../actions/computer.js';
import { WIN32 } from '../actions/errors.js';
import { loadMachineProfile } from '../engine/machine-profile/index.js';
import type { MachineProfile } from '../engine/machine-profile/schema.js';
import { writeBootCode } from '../storage/disk/boot-code.js';
import { type PartitionInfo, type PartitionTable, readPartitionTable, writePartitionTable } from '../storage/disk/partition-table.js';
import { fault } from '../storage/errors.js';
import { FatVolume } from '../storage/volume/fat.js';
import { NtfsVolume } from '../storage/volume/ntfs.js';
import { openVolume, probeFileSystem } from '../storage/volume/open.js';
import type { Volume } from '../storage/volume/volume.js';
import { applyWimImage } from '../storage/wim.js';
import { InputError } from '../sequence/input-error.js';

export const LAB_SCHEMA = 'openosd.lab/v1';

export interface LabDisk {
  index: number;
  file: string;
  sizeBytes: number;
}

export interface LabBoot {
  at: string;
  sequence: string;
  result: 'success' | 'failure';
  exitCode: number;
  message?: string;
}

export interface LabState {
  schema: typeof LAB_SCHEMA;
  name: string;
  created: string;
  disks: LabDisk[];
  drives: DriveAssignment[];
  boots: LabBoot[];
}

/** Where labs live: --lab-dir, else $OSD_LAB_DIR, else ./.osd-lab. */
export function labRoot(dir?: string): string {
  return resolve(dir ?? process.env.OSD_LAB_DIR ?? '.osd-lab');
}

export class LabMachine implements Computer {
  readonly profile: MachineProfile;
  /** Scratch space: side images of open NTFS volumes. */
  readonly workDir: string;
  /** Open volumes by `disk:partition`, kept for the step (and after: nothing else writes the disks). */
  private readonly open = new Map<string, Volume>();
  /** Partition tables as last read or written, by disk. */
  private readonly tables = new Map<number, PartitionTable | undefined>();

  private constructor(
    readonly dir: string,
    private state: LabState,
  ) {
    this.profile = loadMachineProfile(join(dir, 'profile.json'));
    this.workDir = join(dir, 'work');
    mkdirSync(this.workDir, { recursive: true });
  }

  static load(dir: string): LabMachine {
    const file = join(dir, 'lab.json');
    if (!existsSync(file))
      throw new InputError({
        input: dir,
        rule: 'is not a lab machine (no lab.json)',
        hint: 'create it with `osd lab create NAME --profile PROFILE.json --disk SIZE`',
      });
    let state: LabState;
    try {
      state = JSON.parse(readFileSync(file, 'utf8')) as LabState;
    } catch (e) {
      throw new InputError({ input: file, rule: `malformed lab state: ${(e as Error).message}` });
    }
    if (state.schema !== LAB_SCHEMA) throw new InputError({ input: file, rule: `schema is ${String(state.schema)}, expected ${LAB_SCHEMA}` });
    return new LabMachine(dir, state);
  }

  /** Used by createLab: the folder exists with profile.json and the disks. */
  static init(dir: string, state: LabState): LabMachine {
    writeState(dir, state);
    return new LabMachine(dir, state);
  }

  get name(): string {
    return this.state.name;
  }

  /** The disk-image files (the lab's own business: handlers see `disks()`). */
  get diskImages(): readonly LabDisk[] {
    return this.state.disks;
  }

  get boots(): readonly LabBoot[] {
    return this.state.boots;
  }

  get stateDir(): string {
    return join(this.dir, 'state');
  }

  recordBoot(boot: LabBoot): void {
    this.state.boots.push(boot);
    this.save();
  }

  /** The disk-image file of disk `index` (for the lab's tools and tests); ComputerError 0x80070490 when there is no such disk. */
  diskPath(index: number): string {
    const d = this.state.disks.find((x) => x.index === index);
    if (!d)
      throw new ComputerError(
        `disk ${index} does not exist on ${this.state.name} (disks: ${this.state.disks.map((x) => x.index).join(', ') || 'none'})`,
        WIN32.notFound,
      );
    return join(this.dir, d.file);
  }

  // --- the Computer port ---------------------------------------------------------------------

  async disks(): Promise<DiskInfo[]> {
    const out: DiskInfo[] = [];
    for (const d of this.state.disks) {
      const bus = this.profile.disks.find((p) => p.index === d.index)?.busType ?? 'sata';
      out.push({ index: d.index, sizeBytes: d.sizeBytes, firmware: this.profile.firmware, bus, style: (await this.table(d.index))?.style });
    }
    return out;
  }

  async volumes(disk: number): Promise<VolumeInfo[]> {
    const path = this.diskPath(disk);
    const out: VolumeInfo[] = [];
    for (const p of (await this.table(disk))?.partitions ?? []) out.push(volumeInfoOf(disk, p, await probeFileSystem(path, p)));
    return out;
  }

  async writeLayout(disk: number, layout: PartitionLayout): Promise<VolumeInfo[]> {
    const path = this.diskPath(disk);
    // The disk's old volumes are gone, whatever happens next. An NTFS volume's helper session is
    // ended first: direct in the disk image, its unmount would otherwise write into the new layout.
    for (const [key, vol] of [...this.open]) {
      if (!key.startsWith(`${disk}:`)) continue;
      this.open.delete(key);
      if (vol instanceof NtfsVolume) await vol.release();
    }
    this.tables.delete(disk);
    const table = await writePartitionTable(path, layout.style, layout.partitions);
    this.tables.set(disk, table);
    return table.partitions.map((p) => volumeInfoOf(disk, p, undefined));
  }

  async format(ref: VolumeRef, fileSystem: 'NTFS' | 'FAT32', label: string): Promise<void> {
    const { path, info } = await this.partition(ref);
    const key = `${ref.disk}:${ref.partition}`;
    this.open.delete(key);
    // Both write the new file system into the disk image at once (NTFS direct: docs/lab.md "In place").
    const vol = fileSystem === 'NTFS' ? await NtfsVolume.format(path, info, label, this.workDir, { direct: true }) : await FatVolume.format(path, info, label);
    this.open.set(key, vol);
  }

  async applyImage(ref: VolumeRef, wim: string, index: number, options: ApplyImageOptions = {}): Promise<void> {
    const vol = await this.volume(ref);
    // wimlib's NTFS-3G mode writes the (freshly formatted) NTFS volume: straight into the disk image's
    // partition range under the offsetio shim, or — without it — into the side image flush splices.
    if (!(vol instanceof NtfsVolume)) throw fault(WIN32.notSupported, `an image can't be applied to ${vol.description}: Windows needs an NTFS volume`);
    await applyWimImage(wim, index, await vol.applyTarget(), options);
  }

  async files(ref: VolumeRef): Promise<VolumeFiles> {
    return this.volume(ref);
  }

  drives(): DriveAssignment[] {
    return this.state.drives.map((d) => ({ ...d }));
  }

  setDrives(drives: DriveAssignment[]): void {
    this.state.drives = drives.map((d) => ({ ...d }));
    this.save();
  }

  async flush(): Promise<void> {
    for (const vol of this.open.values()) await vol.flush();
  }

  /** GRUB's boot code into the disk image (sector 0 and the sectors before the first partition): outside every partition, so no open volume is touched. */
  async writeBootCode(disk: number, code: BootCode): Promise<BootCodeResult> {
    const path = this.diskPath(disk);
    const table = await this.table(disk);
    if (!table) throw new ComputerError(`disk ${disk} of ${this.state.name} has no partition table: partition it before writing boot code`, WIN32.notFound);
    return writeBootCode(path, table, code);
  }

  /**
   * A restart into Windows PE or the installed OS: every change is in the disk images first; the
   * boot loop (boot.ts) then starts the engine again in the new environment.
   */
  async restart(_into: 'WinPE' | 'OS'): Promise<void> {
    await this.flush();
  }

  /** The files on drive `letter` (a convenience for the lab's own tests and tools). */
  async volume(letterOrRef: string | VolumeRef): Promise<Volume> {
    let ref: VolumeRef;
    if (typeof letterOrRef === 'string') {
      const a = this.state.drives.find((d) => d.letter.toUpperCase() === letterOrRef.toUpperCase());
      if (!a) throw new ComputerError(`there is no drive ${letterOrRef.toUpperCase()} on ${this.state.name}`, WIN32.pathNotFound);
      ref = { disk: a.disk, partition: a.partition };
    } else {
      ref = letterOrRef;
    }
    const key = `${ref.disk}:${ref.partition}`;
    const cached = this.open.get(key);
    if (cached) return cached;
    const { path, info } = await this.partition(ref);
    const vol = await openVolume(path, info, this.workDir, { direct: true });
    this.open.set(key, vol);
    return vol;
  }

  private async table(disk: number): Promise<PartitionTable | undefined> {
    if (!this.tables.has(disk)) this.tables.set(disk, await readPartitionTable(this.diskPath(disk)));
    return this.tables.get(disk);
  }

  private async partition(ref: VolumeRef): Promise<{ path: string; info: PartitionInfo }> {
    const path = this.diskPath(ref.disk);
    const info = (await this.table(ref.disk))?.partitions.find((p) => p.number === ref.partition);
    if (!info) throw new ComputerError(`disk ${ref.disk} of ${this.state.name} has no partition ${ref.partition}`, WIN32.pathNotFound);
    return { path, info };
  }

  private save(): void {
    writeState(this.dir, this.state);
  }
}

function writeState(dir: string, state: LabState): void {
  const file = join(dir, 'lab.json');
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
}
