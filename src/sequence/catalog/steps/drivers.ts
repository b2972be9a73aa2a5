/**
 * Auto Apply Drivers and Apply Driver Package — task-sequence-format §8.6, §8.7. Both stage
 * drivers into the offline OS between Apply Operating System and Setup Windows.
 */
import { z } from 'zod';
import { property, settingsCodec, withLayout } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

const autoApplyProperties = [
  property('BestMatch', 'OSDAutoApplyDriverBestMatch', {
    default: 'true',
    description: 'Install only the best matching driver per device',
  }),
  property('CategoryList', 'OSDAutoApplyDriverCategoryList', {
    description: 'Comma-separated driver category unique IDs; empty = all',
  }),
  property('UnsignedDriver', 'OSDAllowUnsignedDriver', { default: 'false', description: 'Deprecated; not used since Vista' }),
];

export const autoApplyDriversSchema = withLayout({
  bestMatch: z.boolean().optional(),
  categoryList: z.array(z.string()).optional(),
  allowUnsignedDriver: z.boolean().optional(),
});
export type AutoApplyDriversSettings = z.infer<typeof autoApplyDriversSchema>;

export const autoApplyDrivers = defineStepType<AutoApplyDriversSettings>({
  type: 'SMS_TaskSequence_AutoApplyAction',
  displayName: 'Auto Apply Drivers',
  executable: 'osddriverclient.exe',
  runIn: 'WinPE',
  successCodes: '0',
  retryCount: 0,
  properties: autoApplyProperties,
  settings: settingsCodec<AutoApplyDriversSettings>({
    properties: autoApplyProperties,
    schema: autoApplyDriversSchema,
    read: (r) => ({
      bestMatch: r.bool('BestMatch'),
      categoryList: r.list('CategoryList'),
      allowUnsignedDriver: r.bool('UnsignedDriver'),
    }),
    write: (s, w) => {
      w.bool('BestMatch', s.bestMatch);
      w.list('CategoryList', s.categoryList);
      w.bool('UnsignedDriver', s.allowUnsignedDriver);
    },
  }),
  // MOF template without arguments: the values come from the variables at run time (§7).
  buildAction: () => 'osddriverclient.exe /auto /bestmatch:%OSDAutoApplyDriverBestMatch% /unsigned:%OSDAllowUnsignedDriver%',
  spec: 'task-sequence-format §8.6',
});

// ---------------------------------------------------------------------------------------------

// Variable names: VariablePrefix("OSDApplyDriver") + property (SDK), except OSDRecurse and
// OSDAllowUnsignedDriver [C: catalog export]. Order by property name [C].
const driverPackageProperties = [
  property('BootCriticalContentUniqueID', 'OSDApplyDriverBootCriticalContentUniqueID', {
    description: 'Content ID of the boot-critical mass storage driver',
  }),
  property('BootCriticalDriverID', 'OSDApplyDriverBootCriticalDriverID', {
    hidden: true,
    description: 'CI_UniqueID of the boot-critical mass storage driver',
  }),
  property('BootCriticalHardwareComponent', 'OSDApplyDriverBootCriticalHardwareComponent', { description: 'scsi' }),
  property('BootCriticalID', 'OSDApplyDriverBootCriticalID', { description: 'ID from the [scsi] section of txtsetup.oem' }),
  property('BootCriticalINFFile', 'OSDApplyDriverBootCriticalINFFile'),
  property('DriverPackageID', 'OSDApplyDriverDriverPackageID', { hidden: true, description: 'Driver package' }),
  property('Recurse', 'OSDRecurse', { default: 'false', description: 'Run DISM /recurse over the whole package (1910+)' }),
  property('UnsignedDriver', 'OSDAllowUnsignedDriver', { default: 'false', description: 'Deprecated; not used since Vista' }),
];

export const applyDriverPackageSchema = withLayout({
  driverPackageId: z.string().optional(),
  recurse: z.boolean().optional(),
  allowUnsignedDriver: z.boolean().optional(),
  bootCriticalDriverId: z.string().optional(),
  bootCriticalContentUniqueId: z.string().optional(),
  bootCriticalInfFile: z.string().optional(),
  bootCriticalHardwareComponent: z.string().optional(),
  bootCriticalId: z.string().optional(),
});
export type ApplyDriverPackageSettings = z.infer<typeof applyDriverPackageSchema>;

const driverPackageSettings = settingsCodec<ApplyDriverPackageSettings>({
  properties: driverPackageProperties,
  schema: applyDriverPackageSchema,
  read: (r) => ({
    driverPackageId: r.string('DriverPackageID'),
    recurse: r.bool('Recurse'),
    allowUnsignedDriver: r.bool('UnsignedDriver'),
    bootCriticalDriverId: r.string('BootCriticalDriverID'),
    bootCriticalContentUniqueId: r.string('BootCriticalContentUniqueID'),
    bootCriticalInfFile: r.string('BootCriticalINFFile'),
    bootCriticalHardwareComponent: r.string('BootCriticalHardwareComponent'),
    bootCriticalId: r.string('BootCriticalID'),
  }),
  write: (s, w) => {
    w.string('BootCriticalContentUniqueID', s.bootCriticalContentUniqueId);
    w.string('BootCriticalDriverID', s.bootCriticalDriverId);
    w.string('BootCriticalHardwareComponent', s.bootCriticalHardwareComponent);
    w.string('BootCriticalID', s.bootCriticalId);
    w.string('BootCriticalINFFile', s.bootCriticalInfFile);
    w.string('DriverPackageID', s.driverPackageId);
    w.bool('Recurse', s.recurse);
    w.bool('UnsignedDriver', s.allowUnsignedDriver);
  },
});

export const applyDriverPackage = defineStepType<ApplyDriverPackageSettings>({
  type: 'SMS_TaskSequence_ApplyDriverPackageAction',
  displayName: 'Apply Driver Package',
  executable: 'osddriverclient.exe',
  runIn: 'WinPE',
  successCodes: '0',
  retryCount: 0,
  properties: driverPackageProperties,
  settings: driverPackageSettings,
  /**
   * MOF `osddriverclient.exe /install:%1 <?2:"/bootcritical:…">/unsigned:%%OSDAllowUnsignedDriver%%`;
   * 3.10 saves ` /unsigned:` after the optional fragment (hence the double space without it) and
   * appends ` /recurse:%OSDRecurse%` when Recurse is set [C: catalog export].
   */
  buildAction: (step) => {
    const s = driverPackageSettings.read(step.variables ?? []).settings;
    let out = `osddriverclient.exe /install:${s.driverPackageId ?? ''} `;
    if (s.bootCriticalDriverId) {
      out +=
        '"/bootcritical:%OSDApplyDriverBootCriticalContentUniqueID%,%OSDApplyDriverBootCriticalINFFile%,' +
        '%OSDApplyDriverBootCriticalHardwareComponent%,%OSDApplyDriverBootCriticalID%"';
    }
    out += ' /unsigned:%OSDAllowUnsignedDriver%';
    if (s.recurse !== undefined) out += ' /recurse:%OSDRecurse%';
    return out;
  },
  spec: 'task-sequence-format §8.7',
});
