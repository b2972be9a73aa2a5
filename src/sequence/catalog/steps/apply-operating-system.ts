/**
 * Apply Operating System Image — task-sequence-format §8.3 — and Apply Data Image (§7, §8.18),
 * which shares the destination properties and `OSDApplyOS.exe`.
 */
import { z } from 'zod';
import type { Step } from '../../model/task-sequence.js';
import { actionBool, property, settingsCodec, withLayout } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';
import { destinationSchema, readDestination, targetArgument, writeDestination } from './destination.js';

const destinationProperties = [
  property('DestinationDisk', 'DestinationDisk', { hidden: true, description: 'Disk number (0–99)' }),
  property('DestinationLogicalDrive', 'DestinationLogicalDrive', { hidden: true, description: 'Drive letter, e.g. C:' }),
  property('DestinationPartition', 'DestinationPartition', { hidden: true, description: 'Partition number (1–99)' }),
  property('DestinationVariable', 'DestinationVariable', {
    hidden: true,
    description: 'Variable holding "disk,partition" or a drive letter',
  }),
];

// Property order as ConfigMgr writes it (by property name) [C: catalog export, SCCM_Client template].
// Hidden = the SDK's CommandLineArg properties (§5); their variable name is the property name [C].
const properties = [
  property('ConfigFileName', 'OSDConfigFileName', { description: 'Answer file name in the config package' }),
  property('ConfigFilePackage', 'ConfigFilePackage', { hidden: true, description: 'Package holding the answer file' }),
  ...destinationProperties,
  property('ImageIndex', 'OSDImageIndex', { default: '1', description: 'Image index in the WIM' }),
  property('ImagePackageID', 'ImagePackageID', { hidden: true, description: 'OS image package' }),
  property('InstallEditionIndex', 'OSDInstallEditionIndex', { description: 'Edition index of an OS upgrade package' }),
  property('InstallPackageID', 'InstallPackageID', { hidden: true, description: 'OS upgrade (setup) package' }),
  property('RunFromNet', 'RunFromNet', {
    default: 'false',
    hidden: true,
    description: 'Apply the image directly from the distribution point',
  }),
];

export const applyOperatingSystemSettingsSchema = withLayout({
  imagePackageId: z.string().optional(),
  imageIndex: z.number().int().positive().optional(),
  installPackageId: z.string().optional(),
  installEditionIndex: z.number().int().nonnegative().optional(),
  configFilePackage: z.string().optional(),
  configFileName: z.string().optional(),
  destination: destinationSchema,
  runFromNet: z.boolean().optional(),
});
export type ApplyOperatingSystemSettings = z.infer<typeof applyOperatingSystemSettingsSchema>;

const applyOsSettings = settingsCodec<ApplyOperatingSystemSettings>({
  properties,
  schema: applyOperatingSystemSettingsSchema,
  read: (r) => {
    const s = {
      imagePackageId: r.string('ImagePackageID'),
      imageIndex: r.int('ImageIndex', { min: 1, max: 2147483647 }),
      installPackageId: r.string('InstallPackageID'),
      installEditionIndex: r.int('InstallEditionIndex', { min: 0 }),
      configFilePackage: r.string('ConfigFilePackage'),
      configFileName: r.string('ConfigFileName'),
      destination: readDestination(r),
      runFromNet: r.bool('RunFromNet'),
    };
    if (!s.imagePackageId && !s.installPackageId) r.issues.push('neither ImagePackageID nor InstallPackageID is set');
    return s;
  },
  write: (s, w) => {
    w.string('ConfigFileName', s.configFileName);
    w.string('ConfigFilePackage', s.configFilePackage);
    writeDestination(s.destination, w);
    w.int('ImageIndex', s.imageIndex);
    w.string('ImagePackageID', s.imagePackageId);
    w.int('InstallEditionIndex', s.installEditionIndex);
    w.string('InstallPackageID', s.installPackageId);
    w.bool('RunFromNet', s.runFromNet);
  },
});

/**
 * MOF: `OSDApplyOS.exe<?1: /image:%1,%%OSDImageIndex%%><?3: /install:%3,%%OSDInstallEditionIndex%%>
 * <?4: "/config:%4,%%OSDConfigFileName%%"><?6: /target:%6,%7><?8: /target:%8><?9: /target:%%%9%%>`,
 * plus ` /runfromnet:` (CommandLineArg 10) when RunFromNet is set — files from before that
 * property (MDT SCCM templates) have neither [C].
 */
function buildApplyOsAction(step: Step): string {
  const s = applyOsSettings.read(step.variables ?? []).settings;
  let out = 'OSDApplyOS.exe';
  if (s.imagePackageId) out += ` /image:${s.imagePackageId},%OSDImageIndex%`;
  if (s.installPackageId) out += ` /install:${s.installPackageId},%OSDInstallEditionIndex%`;
  if (s.configFilePackage) out += ` "/config:${s.configFilePackage},%OSDConfigFileName%"`;
  out += targetArgument(s.destination);
  if (s.runFromNet !== undefined) out += ` /runfromnet:${actionBool(s.runFromNet)}`;
  return out;
}

export const applyOperatingSystem = defineStepType<ApplyOperatingSystemSettings>({
  type: 'SMS_TaskSequence_ApplyOperatingSystemAction',
  displayName: 'Apply Operating System Image',
  executable: 'OSDApplyOS.exe',
  runIn: 'WinPE',
  successCodes: '0',
  retryCount: 0,
  properties,
  settings: applyOsSettings,
  buildAction: buildApplyOsAction,
  spec: 'task-sequence-format §8.3',
  // A new operating system on the disk (the one there before, if any, is gone).
  effects: { osOnDisk: true },
  examples: [
    {
      title: 'Image 2 of an OS image package onto the drive Format and Partition Disk put in OSDisk',
      settings: { imagePackageId: 'PS100010', imageIndex: 2, destination: { kind: 'variable', variable: 'OSDisk' } },
    },
    {
      title: 'Onto the next available formatted partition, with an answer file from a package',
      settings: {
        imagePackageId: 'PS100010',
        imageIndex: 1,
        configFilePackage: 'PS100020',
        configFileName: 'unattend.xml',
        destination: { kind: 'next-available' },
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------

const dataImageProperties = [
  ...destinationProperties,
  property('ImageIndex', 'OSDDataImageIndex', { default: '1', description: 'Image index in the WIM' }),
  property('ImagePackageID', 'ImagePackageID', { hidden: true, description: 'Data image package' }),
  property('WipeDestinationPartition', 'OSDWipeDestinationPartition', {
    default: 'true',
    description: 'Delete the files on the destination partition first',
  }),
];

export const applyDataImageSettingsSchema = withLayout({
  imagePackageId: z.string().optional(),
  imageIndex: z.number().int().positive().optional(),
  destination: destinationSchema,
  wipeDestinationPartition: z.boolean().optional(),
});
export type ApplyDataImageSettings = z.infer<typeof applyDataImageSettingsSchema>;

const dataImageSettings = settingsCodec<ApplyDataImageSettings>({
  properties: dataImageProperties,
  schema: applyDataImageSettingsSchema,
  read: (r) => ({
    imagePackageId: r.string('ImagePackageID'),
    imageIndex: r.int('ImageIndex', { min: 1, max: 2147483647 }),
    destination: readDestination(r),
    wipeDestinationPartition: r.bool('WipeDestinationPartition'),
  }),
  write: (s, w) => {
    writeDestination(s.destination, w);
    w.int('ImageIndex', s.imageIndex);
    w.string('ImagePackageID', s.imagePackageId);
    w.bool('WipeDestinationPartition', s.wipeDestinationPartition);
  },
});

export const applyDataImage = defineStepType<ApplyDataImageSettings>({
  type: 'SMS_TaskSequence_ApplyDataImageAction',
  displayName: 'Apply Data Image',
  executable: 'OSDApplyOS.exe',
  runIn: 'WinPE',
  successCodes: '0',
  retryCount: 0,
  properties: dataImageProperties,
  settings: dataImageSettings,
  // MOF `OSDApplyOS.exe /data:%1,%%OSDDataImageIndex%% <?6: /target:%6,%7>…` — the literal space
  // before the target fragments stays when there is none [C: catalog export].
  buildAction: (step) => {
    const s = dataImageSettings.read(step.variables ?? []).settings;
    return `OSDApplyOS.exe /data:${s.imagePackageId ?? ''},%OSDDataImageIndex% ${targetArgument(s.destination)}`;
  },
  spec: 'task-sequence-format §7, §8.18',
});
