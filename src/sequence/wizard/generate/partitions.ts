/**
 * The two Format and Partition Disk steps of the wizard (osd-features §1.4): one MBR layout for
 * BIOS computers, one GPT layout for UEFI computers, both on disk 0, chosen at run time by
 * `_SMSTSBootUEFI`. Layouts, names, descriptions and conditions as in the real wizard export
 * [E: osd-features §1.5].
 */
import { partitionDisk } from '../../catalog/index.js';
import type { PartitionDiskSettings } from '../../catalog/steps/partition-disk.js';
import type { Step } from '../../model/task-sequence.js';
import { allOf, catalogStep, variableTest } from './steps.js';

const BIOS_DESCRIPTION =
  'This action partitions and formats the disk for new deployments of BIOS-based computers. ' +
  'This step will not run for Unified Extensible Firmware Interface (UEFI)-based computers.';
const UEFI_DESCRIPTION =
  'This action partitions and formats the disk for new deployments of Unified Extensible Firmware Interface (UEFI)-based computers. ' +
  'This step will not run for BIOS-based computers.';

const BIOS: PartitionDiskSettings = {
  diskIndex: 0,
  diskType: 'Basic',
  biosCompatibilityMode: false,
  gptBootDisk: false,
  partitionStyle: 'MBR',
  partitions: [
    {
      assignVolumeLetter: false,
      bootable: true,
      fileSystem: 'NTFS',
      quickFormat: true,
      size: 350,
      sizeUnits: 'MB',
      type: 'Primary',
      volumeName: 'System Reserved',
    },
    {
      assignVolumeLetter: true,
      bootable: false,
      fileSystem: 'NTFS',
      quickFormat: true,
      size: 99,
      sizeUnits: 'Percent',
      type: 'Primary',
      volumeName: 'Windows',
    },
    {
      assignVolumeLetter: false,
      bootable: false,
      fileSystem: 'NTFS',
      quickFormat: true,
      size: 100,
      sizeUnits: 'Percent',
      type: 'Recovery',
      volumeName: 'Recovery',
    },
  ],
};

// The MSR partition has no file system and no name; the Windows partition is the bootable one [E].
const UEFI: PartitionDiskSettings = {
  diskIndex: 0,
  diskType: 'Basic',
  biosCompatibilityMode: false,
  gptBootDisk: true,
  partitionStyle: 'GPT',
  partitions: [
    { assignVolumeLetter: false, bootable: false, fileSystem: 'FAT32', quickFormat: true, size: 500, sizeUnits: 'MB', type: 'EFI' },
    { assignVolumeLetter: false, bootable: false, quickFormat: false, size: 128, sizeUnits: 'MB', type: 'MSR' },
    { assignVolumeLetter: true, bootable: true, fileSystem: 'NTFS', quickFormat: true, size: 99, sizeUnits: 'Percent', type: 'Primary', volumeName: 'Windows' },
    {
      assignVolumeLetter: false,
      bootable: false,
      fileSystem: 'NTFS',
      quickFormat: true,
      size: 100,
      sizeUnits: 'Percent',
      type: 'Recovery',
      volumeName: 'Recovery',
    },
  ],
};

/**
 * The editor writes partition types and size units in capitals (PRIMARY, PERCENT), which is what
 * the catalog's codec produces; the wizard writes the SDK's spellings (Primary, Recovery, Percent)
 * [E: 19H2 export]. Both read the same.
 */
const WIZARD_SPELLING: Record<string, string> = { PRIMARY: 'Primary', RECOVERY: 'Recovery', PERCENT: 'Percent' };

function partitionStep(name: string, description: string, uefi: boolean, settings: PartitionDiskSettings): Step {
  const step = catalogStep(partitionDisk, name, settings, {
    description,
    // Skip when the disk holds what must survive: the client cache (started from the full OS),
    // prestaged media, a hard-linked user state; then pick the firmware's layout (§1.4).
    condition: allOf(
      variableTest('_SMSTSClientCache', 'notExists'),
      variableTest('_SMSTSMediaType', 'notEquals', 'OEMMedia'),
      variableTest('_OSDMigrateUseHardlinks', 'notEquals', 'true'),
      variableTest('_SMSTSBootUEFI', uefi ? 'equals' : 'notEquals', 'true'),
    ),
  });
  return {
    ...step,
    variables: (step.variables ?? []).map((v) =>
      /^OSDPartitions\d+(Type|SizeUnits)$/.test(v.name) && WIZARD_SPELLING[v.value] ? { ...v, value: WIZARD_SPELLING[v.value] } : v,
    ),
  };
}

export function partitionBiosStep(): Step {
  return partitionStep('Partition Disk 0 - BIOS', BIOS_DESCRIPTION, false, BIOS);
}

export function partitionUefiStep(): Step {
  return partitionStep('Partition Disk 0 - UEFI', UEFI_DESCRIPTION, true, UEFI);
}
