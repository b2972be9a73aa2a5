/** Opens whatever file system a partition holds, told apart by its boot sector. */
import { readBytes } from '../disk/byte-range.js';
import type { PartitionInfo } from '../disk/partition-table.js';
import { fault, WIN32 } from '../errors.js';
import { FatVolume } from './fat.js';
import { NtfsVolume, type NtfsVolumeOptions } from './ntfs.js';
import type { Volume } from './volume.js';

export type ProbedFileSystem = 'NTFS' | 'FAT32' | 'FAT16' | 'FAT12';

/**
 * The file system in a partition's boot sector: the OEM id at byte 3 ("NTFS    "), else the FAT type
 * label at byte 82 (FAT32) or 54 (FAT12/16) of a sector ending in 55 AA. Undefined for anything else
 * (a blank or unformatted partition, the MSR).
 */
export async function probeFileSystem(diskPath: string, partition: PartitionInfo): Promise<ProbedFileSystem | undefined> {
  if (partition.sizeBytes < 512) return undefined;
  const boot = await readBytes(diskPath, partition.offsetBytes, 512);
  if (boot.toString('latin1', 3, 11) === 'NTFS    ') return 'NTFS';
  if (boot[510] !== 0x55 || boot[511] !== 0xaa) return undefined;
  if (boot.toString('latin1', 82, 90) === 'FAT32   ') return 'FAT32';
  const label = boot.toString('latin1', 54, 62);
  if (label === 'FAT16   ' || label === 'FAT12   ') return label.trim() as 'FAT16' | 'FAT12';
  return undefined;
}

/**
 * A Volume for the partition: an NtfsVolume (side image in `workDir`; direct through the offsetio
 * shim with `ntfs.direct`) or a FatVolume (in place). Throws when the partition holds neither.
 */
export async function openVolume(diskPath: string, partition: PartitionInfo, workDir: string, ntfs: NtfsVolumeOptions = {}): Promise<Volume> {
  const fs = await probeFileSystem(diskPath, partition);
  if (fs === 'NTFS') return NtfsVolume.open(diskPath, partition, workDir, ntfs);
  if (fs) return new FatVolume(diskPath, partition, fs);
  throw fault(
    WIN32.unrecognizedVolume,
    `partition ${partition.number} of ${diskPath} holds no NTFS or FAT file system (it is unformatted or of another kind); format it first (NtfsVolume.format / FatVolume.format)`,
  );
}
