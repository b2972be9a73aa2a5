/**
 * Format and Partition Disk: the partition list read from real files, lenient reading of bad
 * values, and writing (canonical ConfigMgr spelling; source spelling kept for unchanged values).
 */
import { describe, expect, it } from 'vitest';
import { partitionDisk, readSettings, writeSettings } from '../../../src/sequence/catalog/index.js';
import type { PartitionDiskSettings } from '../../../src/sequence/catalog/steps/partition-disk.js';
import type { Step, StepVariable } from '../../../src/sequence/model/task-sequence.js';
import { HAVE_CORPUS, comparable, corpusSteps } from './corpus.js';

const codec = partitionDisk.settings!;

function step(variables: StepVariable[]): Step {
  return { kind: 'step', name: 'Format and Partition Disk', type: partitionDisk.type, action: 'osddiskpart.exe', variables };
}

const v = (name: string, value: string, property = name.replace(/^OSD/, '')): StepVariable => ({ name, property, value });

describe.skipIf(!HAVE_CORPUS)('Format and Partition Disk in real files', () => {
  const partitionSteps = corpusSteps().filter((s) => s.step.type === partitionDisk.type);

  it('reads the UEFI layout of the MDT SCCM client template as EFI/MSR/Primary after WinRE', () => {
    const uefi = partitionSteps.filter((s) => s.file === 'mdt8456-sccm-client-template.xml' && s.path.endsWith('(UEFI)'));
    expect(uefi.length).toBeGreaterThan(0);
    const { settings, issues } = readSettings<PartitionDiskSettings>(uefi[0].step)!;
    expect(issues).toEqual([]);
    expect(settings.partitionStyle).toBe('GPT');
    expect(settings.gptBootDisk).toBe(true);
    expect(settings.diskIndex).toBe(0);
    expect(settings.partitions.map((p) => p.type)).toEqual(['Recovery', 'EFI', 'MSR', 'Primary']);
    expect(settings.partitions[0]).toEqual({
      type: 'Recovery',
      fileSystem: 'NTFS',
      bootable: false,
      quickFormat: true,
      volumeName: 'Windows RE Tools',
      size: 499,
      sizeUnits: 'MB',
      volumeLetterVariable: '',
      assignVolumeLetter: false,
    });
    // The MSR partition has no file system variable at all: not formatted.
    expect(settings.partitions[2].fileSystem).toBeUndefined();
    expect(settings.partitions[3]).toMatchObject({
      size: 100,
      sizeUnits: 'Percent', // written PERCENT
      volumeLetterVariable: 'OSDTemporaryDrive',
      assignVolumeLetter: true,
    });
  });

  it('reads MDT Lite Touch spellings (Primary, True, %) in the MDT order', () => {
    const lti = partitionSteps.find((s) => s.file === 'mdt8456-lti-client-template.xml' && s.path.endsWith('(UEFI)'))!;
    const { settings, issues } = readSettings<PartitionDiskSettings>(lti.step)!;
    expect(issues).toEqual([]);
    expect(settings.partitions.map((p) => [p.type, p.fileSystem, p.size, p.sizeUnits])).toEqual([
      ['EFI', 'FAT32', 499, 'MB'],
      ['MSR', 'NTFS', 128, 'MB'],
      ['Primary', 'NTFS', 99, 'Percent'],
      ['Recovery', 'NTFS', 100, 'Percent'],
    ]);
    expect(settings.partitions[0].bootable).toBe(true);
  });

  it('edits an MDT step in place: changed values get the canonical spelling, the rest stays as written', () => {
    const lti = partitionSteps.find((s) => s.file === 'mdt8456-lti-client-template.xml' && s.path.endsWith('(UEFI)'))!;
    const { settings } = readSettings<PartitionDiskSettings>(lti.step)!;
    settings.partitions[2] = { ...settings.partitions[2], size: 90, sizeUnits: 'GB', type: 'Primary' };
    const out = writeSettings(lti.step, settings);
    const byName = new Map(out.variables!.map((x) => [x.name, x.value]));
    expect(byName.get('OSDPartitions2Size')).toBe('90');
    expect(byName.get('OSDPartitions2SizeUnits')).toBe('GB');
    expect(byName.get('OSDPartitions2Type')).toBe('Primary'); // unchanged value: MDT spelling kept
    expect(byName.get('OSDPartitions3SizeUnits')).toBe('%');
    expect(byName.get('OSDPartitions0Bootable')).toBe('True');
    // MDT-only extras are kept, in place; the MDT script action is not replaced.
    expect(out.variables!.map((x) => x.name).slice(0, 3)).toEqual(['OSDDiskIndex', 'OSDDiskPartitions1Type', 'DONotCreateExtraPartition']);
    expect(out.action).toBe(lti.step.action);
  });

  it('drops a removed partition and updates the count', () => {
    const lti = partitionSteps.find((s) => s.file === 'mdt8456-lti-client-template.xml' && s.path.endsWith('(UEFI)'))!;
    const { settings } = readSettings<PartitionDiskSettings>(lti.step)!;
    settings.partitions.pop();
    const out = writeSettings(lti.step, settings);
    expect(out.variables!.some((x) => x.name.startsWith('OSDPartitions3'))).toBe(false);
    expect(out.variables!.find((x) => x.name === 'OSDPartitions')?.value).toBe('3');
    expect(readSettings<PartitionDiskSettings>(out)!.settings.partitions).toHaveLength(3);
  });
});

describe('Format and Partition Disk settings', () => {
  it('writes ConfigMgr canonical variables for new settings (order, hidden count, PRIMARY/PERCENT)', () => {
    const settings: PartitionDiskSettings = {
      diskIndex: 0,
      diskType: 'BASIC',
      biosCompatibilityMode: false,
      gptBootDisk: false,
      partitionStyle: 'MBR',
      partitions: [
        {
          type: 'Primary',
          fileSystem: 'NTFS',
          bootable: true,
          quickFormat: true,
          volumeName: 'OSDisk',
          size: 100,
          sizeUnits: 'Percent',
          volumeLetterVariable: 'OSDisk',
        },
      ],
    };
    expect(comparable(codec.write(settings))).toEqual([
      { name: 'OSDDiskIndex', property: 'DiskIndex', value: '0' },
      { name: 'OSDDiskType', property: 'DiskType', value: 'BASIC' },
      { name: 'OSDDiskpartBiosCompatibilityMode', property: 'DiskpartBiosCompatibilityMode', value: 'false' },
      { name: 'OSDGPTBootDisk', property: 'GPTBootDisk', value: 'false' },
      { name: 'OSDPartitionStyle', property: 'PartitionStyle', value: 'MBR' },
      { name: 'OSDPartitions', property: 'Partitions', hidden: true, value: '1' },
      { name: 'OSDPartitions0Bootable', property: 'Partitions0Bootable', value: 'true' },
      { name: 'OSDPartitions0FileSystem', property: 'Partitions0FileSystem', value: 'NTFS' },
      { name: 'OSDPartitions0QuickFormat', property: 'Partitions0QuickFormat', value: 'true' },
      { name: 'OSDPartitions0Size', property: 'Partitions0Size', value: '100' },
      { name: 'OSDPartitions0SizeUnits', property: 'Partitions0SizeUnits', value: 'PERCENT' },
      { name: 'OSDPartitions0Type', property: 'Partitions0Type', value: 'PRIMARY' },
      { name: 'OSDPartitions0VolumeLetterVariable', property: 'Partitions0VolumeLetterVariable', value: 'OSDisk' },
      { name: 'OSDPartitions0VolumeName', property: 'Partitions0VolumeName', value: 'OSDisk' },
    ]);
    expect(codec.schema.safeParse(settings).success).toBe(true);
  });

  it('accepts any case of type, units and booleans, and % for Percent', () => {
    const { settings, issues } = codec.read([
      v('OSDPartitions', '3'),
      v('OSDPartitions0Type', 'primary'),
      v('OSDPartitions0SizeUnits', 'pErCeNt'),
      v('OSDPartitions0Bootable', 'TRUE'),
      v('OSDPartitions1Type', 'efi'),
      v('OSDPartitions1SizeUnits', '%'),
      v('OSDPartitions2Type', 'LOGICAL'),
      v('OSDPartitions2SizeUnits', 'gb'),
      v('OSDPartitions2Size', ''),
    ]);
    expect(issues).toEqual([]);
    expect(settings.partitions).toEqual([
      expect.objectContaining({ type: 'Primary', sizeUnits: 'Percent', bootable: true }),
      expect.objectContaining({ type: 'EFI', sizeUnits: 'Percent' }),
      expect.objectContaining({ type: 'Logical', sizeUnits: 'GB', size: undefined }),
    ]);
  });

  it('reads MDT variables that lack the property attribute', () => {
    const { settings, issues } = codec.read([
      { name: 'OSDDiskIndex', value: '1' },
      { name: 'OSDPartitions', value: '1' },
      { name: 'OSDPartitions0Type', value: 'Primary' },
      { name: 'osdpartitions0filesystem', value: 'ntfs' },
    ]);
    expect(issues).toEqual([]);
    expect(settings.diskIndex).toBe(1);
    expect(settings.partitions).toEqual([expect.objectContaining({ type: 'Primary', fileSystem: 'NTFS' })]);
  });

  it('reports bad values as issues, never throws, and writes them back unchanged', () => {
    const variables = [
      v('OSDDiskIndex', 'first'),
      v('OSDPartitionStyle', 'APM'),
      v('OSDPartitions', '1'),
      v('OSDPartitions0Type', 'Banana'),
      v('OSDPartitions0Bootable', 'yes'),
      v('OSDPartitions0Size', '12.5'),
      v('OSDPartitions0SizeUnits', 'bytes'),
      v('OSDPartitions0FileSystem', 'exFAT'),
      v('OSDPartitions1VolumeName', 'Data'),
    ];
    const { settings, issues } = codec.read(variables);
    expect(issues).toEqual([
      'OSDPartitions="1" but variables for 2 elements are present; reading 2',
      'OSDPartitions0Type="Banana" is not one of Primary, Extended, Logical, Hidden, EFI, MSR, Recovery',
      'OSDPartitions0FileSystem="exFAT" is not one of NTFS, FAT32',
      'OSDPartitions0Bootable="yes" is not a boolean (true or false)',
      'OSDPartitions0Size="12.5" is not a whole number',
      'OSDPartitions0SizeUnits="bytes" is not one of MB, GB, Percent',
      'partition 1 has no OSDPartitions1Type',
      'OSDDiskIndex="first" is not a whole number',
      'OSDPartitionStyle="APM" is not one of MBR, GPT',
    ]);
    expect(settings.diskIndex).toBeUndefined();
    expect(settings.partitions).toHaveLength(2);
    expect(settings.partitions[0].type).toBeUndefined();
    expect(settings.partitions[1].volumeName).toBe('Data');
    // Unreadable values are kept as written.
    expect(comparable(codec.write(settings))).toEqual(comparable(variables));
  });

  it('adds a partition after the existing ones', () => {
    const original = step([v('OSDPartitions', '1'), v('OSDPartitions0Type', 'Primary'), v('OSDPartitionStyle', 'MBR')]);
    const { settings } = readSettings<PartitionDiskSettings>(original)!;
    settings.partitions.push({ type: 'Recovery', fileSystem: 'NTFS', size: 1, sizeUnits: 'GB' });
    const names = writeSettings(original, settings).variables!.map((x) => `${x.name}=${x.value}`);
    expect(names).toEqual([
      'OSDPartitions=2',
      'OSDPartitions0Type=Primary',
      'OSDPartitions1FileSystem=NTFS',
      'OSDPartitions1Size=1',
      'OSDPartitions1SizeUnits=GB',
      'OSDPartitions1Type=RECOVERY',
      'OSDPartitionStyle=MBR',
    ]);
  });
});
