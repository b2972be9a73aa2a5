/**
 * Format and Partition Disk — task-sequence-format §8.2. The partitions are an indexed array
 * (`OSDPartitions{i}*`, count in the hidden `OSDPartitions`, §5) read into a list.
 */
import { z } from 'zod';
import { property, settingsCodec, type SlotReader, type SlotWriter, withLayout } from '../settings-codec.js';
import { type ArrayPropertySpec, defineStepType } from '../step-type.js';

// Property order as ConfigMgr 3.10 writes it (by property name) [C: cm-export-all-step-types-catalog.xml].
const properties = [
  property('DiskIndex', 'OSDDiskIndex', { default: '0', description: 'Physical disk number to partition' }),
  // Added in 2006 (SDK); variable name from the class's VariablePrefix("OSD") [I], not in the corpus.
  property('DiskIndexVariable', 'OSDDiskIndexVariable', {
    description: 'Task sequence variable holding the disk number (instead of DiskIndex)',
  }),
  property('DiskType', 'OSDDiskType', { default: 'BASIC', description: 'Deprecated; ConfigMgr writes BASIC' }),
  property('DiskpartBiosCompatibilityMode', 'OSDDiskpartBiosCompatibilityMode', {
    default: 'false',
    description: 'Disable sector alignment for old BIOS compatibility',
  }),
  property('GPTBootDisk', 'OSDGPTBootDisk', { default: 'false', description: 'Create an EFI partition on a GPT disk' }),
  property('PartitionStyle', 'OSDPartitionStyle', { default: 'MBR', description: 'MBR or GPT' }),
  property('Partitions', 'OSDPartitions', { hidden: true, description: 'Number of partitions' }),
];

// Element order within one partition, as ConfigMgr writes it (by property name) [C].
const partitionElements = [
  property('Partitions{i}AssignVolumeLetter', 'OSDPartitions{i}AssignVolumeLetter', { default: 'true' }),
  property('Partitions{i}Bootable', 'OSDPartitions{i}Bootable', { default: 'false' }),
  property('Partitions{i}FileSystem', 'OSDPartitions{i}FileSystem', { description: 'NTFS | FAT32; empty = not formatted' }),
  property('Partitions{i}QuickFormat', 'OSDPartitions{i}QuickFormat', { default: 'true' }),
  property('Partitions{i}Size', 'OSDPartitions{i}Size', { description: 'Empty or absent = all remaining space' }),
  property('Partitions{i}SizeUnits', 'OSDPartitions{i}SizeUnits', { default: 'MB', description: 'MB | GB | Percent' }),
  property('Partitions{i}Type', 'OSDPartitions{i}Type'),
  property('Partitions{i}VolumeLetterVariable', 'OSDPartitions{i}VolumeLetterVariable', {
    description: 'Variable that receives the drive letter (e.g. OSDisk)',
  }),
  property('Partitions{i}VolumeName', 'OSDPartitions{i}VolumeName'),
];

const arrays: ArrayPropertySpec[] = [{ countProperty: 'Partitions', countVariable: 'OSDPartitions', elements: partitionElements }];

export const PARTITION_TYPES = ['Primary', 'Extended', 'Logical', 'Hidden', 'EFI', 'MSR', 'Recovery'] as const;
export const PARTITION_FILE_SYSTEMS = ['NTFS', 'FAT32', ''] as const;
export const PARTITION_SIZE_UNITS = ['MB', 'GB', 'Percent'] as const;
export const PARTITION_STYLES = ['MBR', 'GPT'] as const;

export type PartitionType = (typeof PARTITION_TYPES)[number];
export type PartitionSizeUnits = (typeof PARTITION_SIZE_UNITS)[number];

// ConfigMgr writes partition types in capitals (PRIMARY, RECOVERY, EFI, MSR) [C: catalog, SCCM_Client
// template]; Extended/Logical/Hidden are not in the corpus and follow the same rule [I]. MDT Lite Touch
// writes Primary/Recovery — read either way, and an unchanged value keeps its spelling via the layout.
const TYPE_SPELLING: Record<PartitionType, string> = {
  Primary: 'PRIMARY',
  Extended: 'EXTENDED',
  Logical: 'LOGICAL',
  Hidden: 'HIDDEN',
  EFI: 'EFI',
  MSR: 'MSR',
  Recovery: 'RECOVERY',
};

// Size units: the SDK says Percent, ConfigMgr writes PERCENT, MDT writes % (§8.2).
const UNIT_SPELLING: Record<PartitionSizeUnits, string> = { MB: 'MB', GB: 'GB', Percent: 'PERCENT' };

export const partitionSchema = z.object({
  type: z.enum(PARTITION_TYPES).optional(),
  fileSystem: z.enum(PARTITION_FILE_SYSTEMS).optional(),
  bootable: z.boolean().optional(),
  quickFormat: z.boolean().optional(),
  volumeName: z.string().optional(),
  /** Undefined = use all remaining space (no Size variable, as the SDK's "not specified"). */
  size: z.number().int().nonnegative().optional(),
  sizeUnits: z.enum(PARTITION_SIZE_UNITS).optional(),
  volumeLetterVariable: z.string().optional(),
  assignVolumeLetter: z.boolean().optional(),
});
export type Partition = z.infer<typeof partitionSchema>;

export const partitionDiskSettingsSchema = withLayout({
  diskIndex: z.number().int().nonnegative().optional(),
  diskIndexVariable: z.string().optional(),
  diskType: z.string().optional(),
  biosCompatibilityMode: z.boolean().optional(),
  gptBootDisk: z.boolean().optional(),
  partitionStyle: z.enum(PARTITION_STYLES).optional(),
  partitions: z.array(partitionSchema),
});
export type PartitionDiskSettings = z.infer<typeof partitionDiskSettingsSchema>;

function readPartition(r: SlotReader, i: number): Partition {
  const slot = (name: string): string => `Partitions${i}${name}`;
  const p: Partition = {
    type: r.choice(slot('Type'), PARTITION_TYPES),
    fileSystem: r.choice(slot('FileSystem'), PARTITION_FILE_SYSTEMS),
    bootable: r.bool(slot('Bootable')),
    quickFormat: r.bool(slot('QuickFormat')),
    volumeName: r.string(slot('VolumeName')),
    size: r.int(slot('Size'), { min: 0 }),
    sizeUnits: r.choice(slot('SizeUnits'), PARTITION_SIZE_UNITS, { '%': 'Percent' }),
    volumeLetterVariable: r.string(slot('VolumeLetterVariable')),
    assignVolumeLetter: r.bool(slot('AssignVolumeLetter')),
  };
  if (p.type === undefined && !r.has(slot('Type'))) {
    r.issues.push(`partition ${i} has no OSDPartitions${i}Type`);
  }
  return p;
}

function writePartition(p: Partition, i: number, w: SlotWriter): void {
  const slot = (name: string): string => `Partitions${i}${name}`;
  w.bool(slot('AssignVolumeLetter'), p.assignVolumeLetter);
  w.bool(slot('Bootable'), p.bootable);
  w.string(slot('FileSystem'), p.fileSystem);
  w.bool(slot('QuickFormat'), p.quickFormat);
  w.int(slot('Size'), p.size);
  w.string(slot('SizeUnits'), p.sizeUnits && UNIT_SPELLING[p.sizeUnits]);
  w.string(slot('Type'), p.type && TYPE_SPELLING[p.type]);
  w.string(slot('VolumeLetterVariable'), p.volumeLetterVariable);
  w.string(slot('VolumeName'), p.volumeName);
}

const settings = settingsCodec<PartitionDiskSettings>({
  properties,
  arrays,
  schema: partitionDiskSettingsSchema,
  read: (r) => {
    const count = r.arrayLength(arrays[0]);
    const partitions: Partition[] = [];
    for (let i = 0; i < count; i++) partitions.push(readPartition(r, i));
    return {
      diskIndex: r.int('DiskIndex', { min: 0 }),
      diskIndexVariable: r.string('DiskIndexVariable'),
      diskType: r.string('DiskType'),
      biosCompatibilityMode: r.bool('DiskpartBiosCompatibilityMode'),
      gptBootDisk: r.bool('GPTBootDisk'),
      partitionStyle: r.choice('PartitionStyle', PARTITION_STYLES),
      partitions,
    };
  },
  write: (s, w) => {
    w.int('DiskIndex', s.diskIndex);
    w.string('DiskIndexVariable', s.diskIndexVariable);
    w.string('DiskType', s.diskType);
    w.bool('DiskpartBiosCompatibilityMode', s.biosCompatibilityMode);
    w.bool('GPTBootDisk', s.gptBootDisk);
    w.string('PartitionStyle', s.partitionStyle);
    w.int('Partitions', s.partitions.length);
    s.partitions.forEach((p, i) => writePartition(p, i, w));
  },
});

export const partitionDisk = defineStepType<PartitionDiskSettings>({
  type: 'SMS_TaskSequence_PartitionDiskAction',
  displayName: 'Format and Partition Disk',
  executable: 'osddiskpart.exe',
  runIn: 'WinPE',
  successCodes: '0',
  retryCount: 0,
  properties,
  arrays,
  settings,
  buildAction: () => 'osddiskpart.exe',
  spec: 'task-sequence-format §8.2',
  // A new partition table: whatever the disk held, an operating system included, is gone.
  effects: { partitions: true },
  examples: [
    {
      title: "The wizard's UEFI layout: EFI, MSR, Windows (99 % of the rest, drive letter in OSDisk), Recovery",
      settings: {
        diskIndex: 0,
        partitionStyle: 'GPT',
        partitions: [
          { type: 'EFI', fileSystem: 'FAT32', size: 500, sizeUnits: 'MB', quickFormat: true, assignVolumeLetter: false },
          { type: 'MSR', size: 128, sizeUnits: 'MB', quickFormat: false, assignVolumeLetter: false },
          {
            type: 'Primary',
            fileSystem: 'NTFS',
            size: 99,
            sizeUnits: 'Percent',
            volumeName: 'Windows',
            quickFormat: true,
            assignVolumeLetter: true,
            volumeLetterVariable: 'OSDisk',
          },
          { type: 'Recovery', fileSystem: 'NTFS', size: 100, sizeUnits: 'Percent', volumeName: 'Recovery', quickFormat: true, assignVolumeLetter: false },
        ],
      },
    },
    {
      title: 'A data disk named by a variable: one NTFS partition',
      settings: {
        diskIndex: 0,
        diskIndexVariable: 'DataDisk',
        partitionStyle: 'MBR',
        partitions: [
          {
            type: 'Primary',
            fileSystem: 'NTFS',
            size: 100,
            sizeUnits: 'Percent',
            volumeName: 'Data',
            quickFormat: true,
            assignVolumeLetter: true,
            volumeLetterVariable: 'DataDrive',
          },
        ],
      },
    },
  ],
});
