/**
 * Format and Partition Disk (task-sequence-format §8.2): a new MBR or GPT partition table on one
 * disk, each partition formatted as asked, drive letters assigned in order (C:, D:, …) to those
 * that ask for one, and each letter stored in the partition's variable when it names one.
 * Sizes: MB / GB, or a percentage of the space remaining after the partitions before it.
 */
import type { StepExecution, StepResult } from '../../engine/ports.js';
import { planPartitionTable } from '../../storage/disk/partition-table.js';
import { partitionDisk, readSettings } from '../../sequence/catalog/index.js';
import type { PartitionDiskSettings } from '../../sequence/catalog/steps/partition-disk.js';
import type { DriveAssignment, PartitionKind, PartitionRequest } from '../computer.js';
import { StepFailure, WIN32 } from '../errors.js';
import { defineHandler, type HandlerContext, predictSet } from '../handler.js';
import { resolvedSettings } from '../settings.js';

const MB = 1024 * 1024;
/** Letters Windows PE hands out to new volumes: X: is Windows PE's own drive. */
const LETTERS = 'CDEFGHIJKLMNOPQRSTUVW'.split('').map((l) => `${l}:`);

function kindOf(type: string | undefined, style: 'gpt' | 'mbr'): PartitionKind {
  switch ((type ?? 'Primary').toLowerCase()) {
    case 'efi':
      return 'efi';
    case 'msr':
      return 'msr';
    case 'recovery':
      return 'recovery';
    case 'primary':
      return 'primary';
    default:
      throw new StepFailure(
        WIN32.notSupported,
        `partition type ${type} is not supported on a ${style.toUpperCase()} disk here (Primary, EFI, MSR, Recovery are)`,
      );
  }
}

/** The step's disk, partition style and partition requests, from its resolved settings. */
function layoutOf(x: StepExecution): { s: PartitionDiskSettings; diskIndex: number; style: 'gpt' | 'mbr'; requests: PartitionRequest[] } {
  const s = resolvedSettings<PartitionDiskSettings>(x);
  // The disk number comes from a variable when the step names one (2006+), else DiskIndex.
  let diskIndex = s.diskIndex ?? 0;
  if (s.diskIndexVariable) {
    const raw = x.variables.get(s.diskIndexVariable);
    if (raw === undefined || !/^\d+$/.test(raw.trim())) {
      throw new StepFailure(
        WIN32.invalidParameter,
        `the disk number variable ${s.diskIndexVariable} is ${raw === undefined ? 'not set' : `"${raw}", not a disk number`}`,
      );
    }
    diskIndex = Number(raw.trim());
  }
  const style = (s.partitionStyle ?? (s.gptBootDisk ? 'GPT' : 'MBR')).toLowerCase() as 'gpt' | 'mbr';
  if (!s.partitions.length) throw new StepFailure(WIN32.invalidParameter, 'the step defines no partition');
  const requests: PartitionRequest[] = s.partitions.map((p, i) => {
    const kind = kindOf(p.type, style);
    const unit = (p.sizeUnits ?? 'MB').toLowerCase();
    const req: PartitionRequest = { kind, name: p.volumeName, bootable: p.bootable === true };
    if (p.fileSystem === 'NTFS' || p.fileSystem === 'FAT32') req.fileSystem = p.fileSystem;
    if (p.size === undefined) req.percentOfRemaining = 100;
    else if (unit === 'percent') req.percentOfRemaining = p.size;
    else req.sizeBytes = p.size * (unit === 'gb' ? 1024 * MB : MB);
    if (req.percentOfRemaining !== undefined && (req.percentOfRemaining <= 0 || req.percentOfRemaining > 100)) {
      throw new StepFailure(WIN32.invalidParameter, `partition ${i} asks for ${req.percentOfRemaining} % of the remaining space (1–100)`);
    }
    return req;
  });
  return { s, diskIndex, style, requests };
}

export const partitionDiskHandler = defineHandler(partitionDisk, {
  async run({ x, computer }: HandlerContext): Promise<StepResult> {
    const { s, diskIndex, style, requests } = layoutOf(x);
    x.log(`Partitioning disk ${diskIndex} as ${style.toUpperCase()} with ${requests.length} partition(s)`);
    // A layout that does not fit is DiskTooSmallError: 0x80070070, as ConfigMgr reports it; no such disk 0x80070490.
    const volumes = await computer.writeLayout(diskIndex, { style, partitions: requests });

    // The disk's old volumes are gone: drop their letters, then hand out new ones in order.
    const kept = computer.drives().filter((d) => d.disk !== diskIndex);
    const free = LETTERS.filter((l) => !kept.some((d) => d.letter === l));
    const assigned: DriveAssignment[] = [];
    for (let i = 0; i < s.partitions.length; i++) {
      const p = s.partitions[i];
      const v = volumes[i];
      const label = p.volumeName ?? '';
      const formatted = p.fileSystem === 'NTFS' || p.fileSystem === 'FAT32';
      if (p.fileSystem === 'FAT32') await computer.format(v, 'FAT32', label || 'SYSTEM');
      else if (p.fileSystem === 'NTFS') await computer.format(v, 'NTFS', label);
      x.log(`Partition ${v.partition}: ${v.kind}, ${Math.round(v.sizeBytes / MB)} MB${formatted ? `, ${p.fileSystem}` : ''}${label ? ` "${label}"` : ''}`);
      if (formatted && p.assignVolumeLetter !== false) {
        const letter = free.shift();
        if (!letter) throw new StepFailure(WIN32.notFound, 'no drive letter left to assign');
        assigned.push({ letter, disk: diskIndex, partition: v.partition });
        if (p.volumeLetterVariable) x.variables.set(p.volumeLetterVariable, letter);
        x.log(`Assigned ${letter} to partition ${v.partition}${p.volumeLetterVariable ? ` (variable ${p.volumeLetterVariable})` : ''}`);
      }
    }
    computer.setDrives([...kept, ...assigned]);
    return { exitCode: 0 };
  },

  // The volume-letter variables it would set (C:, D:, … in order) and, with checks, whether the
  // layout fits the profile's disk — with the code the step would fail with. That it wipes the
  // disk is its definition's (effects.partitions).
  async simulate(ctx) {
    const { x, profile, note, checks } = ctx;
    const letters = [...LETTERS];
    for (const p of readSettings<PartitionDiskSettings>(x.step)?.settings.partitions ?? []) {
      if (!p.fileSystem) continue;
      const letter = p.assignVolumeLetter === false ? undefined : letters.shift();
      if (p.volumeLetterVariable && letter) predictSet(ctx, p.volumeLetterVariable, letter);
    }
    if (!checks) return { exitCode: 0 };
    const { diskIndex, style, requests } = layoutOf(x);
    const disk = profile.disks.find((d) => d.index === diskIndex);
    if (!disk)
      throw new StepFailure(WIN32.notFound, `the computer has no disk ${diskIndex} (disks: ${profile.disks.map((d) => d.index).join(', ') || 'none'})`);
    const planned = planPartitionTable(style, disk.size, requests);
    if ('error' in planned) throw new StepFailure(WIN32.diskFull, planned.error);
    note(
      `${style.toUpperCase()} on disk ${diskIndex}: ${requests.map((r, i) => `${r.name ?? r.kind} ${Math.round(planned.sizesBytes[i] / MB)} MB`).join(', ')}`,
    );
    return { exitCode: 0 };
  },
});
