/**
 * A virtual destination computer: a folder with its machine profile, raw disk-image files and
 * boot state (lab.json, the engine's journal, smsts.log). It is the `Computer` the step handlers
 * work on; what they do lands in the disk images, checkable with sfdisk, sgdisk, fsck.fat, ntfsls.
 *
 *   <lab>/<name>/lab.json        disks, drive letters, boots
 *   <lab>/<name>/profile.json    the machine profile (disks as the lab made them)
 *   <lab>/<name>/disk0.img …     raw disk images (sparse)
 *   <lab>/<name>/work/           side images of open NTFS volumes
 *   <lab>/<name>/state/          journal.json and logs/smsts.log
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Computer, ComputerError, type DriveAssignment } from '../actions/computer.js';
import { WIN32 } from '../actions/errors.js';
import { loadMachineProfile } from '../engine/machine-profile/index.js';
import type { MachineProfile } from '../engine/machine-profile/schema.js';
import { readPartitionTable, type PartitionInfo } from '../machine/disk/partition-table.js';
import { FatVolume } from '../machine/volume/fat.js';
import { NtfsVolume } from '../machine/volume/ntfs.js';
import { openVolume } from '../machine/volume/open.js';
import type { Volume } from '../machine/volume/volume.js';
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
  readonly workDir: string;
  private readonly open = new Map<string, Volume>();

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
    if (!existsSync(file)) throw new InputError({ input: dir, rule: 'is not a lab machine (no lab.json)', hint: 'create it with `osd lab create NAME --profile PROFILE.json --disk SIZE`' });
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

  get disks(): readonly LabDisk[] {
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

  diskIndexes(): number[] {
    return this.state.disks.map((d) => d.index);
  }

  diskPath(index: number): string {
    const d = this.state.disks.find((x) => x.index === index);
    if (!d) throw new ComputerError(`disk ${index} does not exist on ${this.state.name} (disks: ${this.diskIndexes().join(', ') || 'none'})`, WIN32.notFound);
    return join(this.dir, d.file);
  }

  drives(): DriveAssignment[] {
    return this.state.drives.map((d) => ({ ...d }));
  }

  setDrives(drives: DriveAssignment[]): void {
    // Volumes of partitions that were replaced are gone.
    for (const letter of [...this.open.keys()]) {
      const before = this.state.drives.find((d) => d.letter === letter);
      const after = drives.find((d) => d.letter === letter);
      if (!after || !before || after.disk !== before.disk || after.partition !== before.partition) this.open.delete(letter);
    }
    this.state.drives = drives.map((d) => ({ ...d }));
    this.save();
  }

  async partitionOf(letter: string): Promise<{ disk: number; info: PartitionInfo } | undefined> {
    const a = this.state.drives.find((d) => d.letter.toUpperCase() === letter.toUpperCase());
    if (!a) return undefined;
    const table = await readPartitionTable(this.diskPath(a.disk));
    const info = table?.partitions.find((p) => p.number === a.partition);
    return info ? { disk: a.disk, info } : undefined;
  }

  async volume(letter: string): Promise<Volume> {
    const key = letter.toUpperCase();
    const cached = this.open.get(key);
    if (cached) return cached;
    const part = await this.partitionOf(key);
    if (!part) throw new ComputerError(`there is no drive ${key} on ${this.state.name}`, WIN32.pathNotFound);
    const vol = await openVolume(this.diskPath(part.disk), part.info, this.workDir);
    this.open.set(key, vol);
    return vol;
  }

  async formatVolume(letter: string, fileSystem: 'NTFS' | 'FAT32', label: string): Promise<Volume> {
    const key = letter.toUpperCase();
    const part = await this.partitionOf(key);
    if (!part) throw new ComputerError(`there is no drive ${key} on ${this.state.name}`, WIN32.pathNotFound);
    this.open.delete(key);
    const disk = this.diskPath(part.disk);
    const vol = fileSystem === 'NTFS' ? await NtfsVolume.format(disk, part.info, label, this.workDir) : await FatVolume.format(disk, part.info, label);
    this.open.set(key, vol);
    return vol;
  }

  async flush(): Promise<void> {
    for (const vol of this.open.values()) await vol.flush();
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
