/**
 * Enable BitLocker, Disable BitLocker and Pre-provision BitLocker — task-sequence-format §7,
 * §8.18. Variable names are VariablePrefix("OSDBitLocker") + property (SDK), hidden flags from
 * the corpus where it has the property, otherwise from the SDK's CommandLineArg qualifier (§5).
 */
import { z } from 'zod';
import { actionBool, property, settingsCodec, withLayout } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';
import { destinationSchema, readDestination, writeDestination } from './destination.js';

export const BITLOCKER_MODES = ['TPM', 'Key', 'TPMAndKey', 'TPMAndPIN'] as const;
export const RECOVERY_PASSWORD_MODES = ['AD', 'None'] as const;

// Order by property name [C: catalog export].
const enableProperties = [
  property('CreateRecoveryPassword', 'OSDBitLockerCreateRecoveryPassword', {
    default: 'AD',
    hidden: true,
    description: 'AD = create a recovery password in Active Directory, None = do not',
  }),
  property('EncryptFullDisk', 'OSDBitLockerEncryptFullDisk', {
    default: 'false',
    hidden: true,
    description: 'Full disk instead of used space only',
  }),
  // 2006+ properties, not in the corpus: names from the variable prefix, not command-line args [I].
  property('EncryptMethod', 'OSDBitLockerEncryptMethod', { description: 'Encryption method; 0 = not specified' }),
  property('Mode', 'OSDBitLockerMode', { hidden: true, description: 'TPM | Key | TPMAndKey | TPMAndPIN' }),
  property('PIN', 'OSDBitLockerPIN', { secret: true, description: 'PIN for TPMAndPIN' }),
  property('SkipWhenNoValidTPM', 'OSDBitLockerSkipWhenNoValidTPM', {
    default: 'false',
    description: 'Skip on computers without an enabled TPM',
  }),
  property('StartupKeyDrive', 'OSDBitLockerStartupKeyDrive', {
    hidden: true,
    description: 'USB drive for the startup key (Key, TPMAndKey); empty = first available',
  }),
  property('TargetDrive', 'OSDBitLockerTargetDrive', { hidden: true, description: 'Drive to encrypt; empty = current OS drive' }),
  property('WaitForEncryption', 'OSDBitLockerWaitForEncryption', {
    default: 'false',
    hidden: true,
    description: 'Wait until encryption completes',
  }),
];

export const enableBitLockerSchema = withLayout({
  mode: z.enum(BITLOCKER_MODES).optional(),
  /** Secret: only for TPMAndPIN; never logged. */
  pin: z.string().optional(),
  startupKeyDrive: z.string().optional(),
  targetDrive: z.string().optional(),
  createRecoveryPassword: z.enum(RECOVERY_PASSWORD_MODES).optional(),
  waitForEncryption: z.boolean().optional(),
  encryptFullDisk: z.boolean().optional(),
  encryptMethod: z.number().int().nonnegative().optional(),
  skipWhenNoValidTpm: z.boolean().optional(),
});
export type EnableBitLockerSettings = z.infer<typeof enableBitLockerSchema>;

const enableSettings = settingsCodec<EnableBitLockerSettings>({
  properties: enableProperties,
  schema: enableBitLockerSchema,
  read: (r) => ({
    mode: r.choice('Mode', BITLOCKER_MODES),
    pin: r.string('PIN'),
    startupKeyDrive: r.string('StartupKeyDrive'),
    targetDrive: r.string('TargetDrive'),
    createRecoveryPassword: r.choice('CreateRecoveryPassword', RECOVERY_PASSWORD_MODES),
    waitForEncryption: r.bool('WaitForEncryption'),
    encryptFullDisk: r.bool('EncryptFullDisk'),
    encryptMethod: r.int('EncryptMethod', { min: 0 }),
    skipWhenNoValidTpm: r.bool('SkipWhenNoValidTPM'),
  }),
  write: (s, w) => {
    w.string('CreateRecoveryPassword', s.createRecoveryPassword);
    w.bool('EncryptFullDisk', s.encryptFullDisk);
    w.int('EncryptMethod', s.encryptMethod);
    w.string('Mode', s.mode);
    w.string('PIN', s.pin);
    w.bool('SkipWhenNoValidTPM', s.skipWhenNoValidTpm);
    w.string('StartupKeyDrive', s.startupKeyDrive);
    w.string('TargetDrive', s.targetDrive);
    w.bool('WaitForEncryption', s.waitForEncryption);
  },
});

export const enableBitLocker = defineStepType<EnableBitLockerSettings>({
  type: 'SMS_TaskSequence_EnableBitLockerAction',
  displayName: 'Enable BitLocker',
  executable: 'OSDBitLocker.exe',
  runIn: 'FullOS',
  successCodes: '0',
  retryCount: 0,
  properties: enableProperties,
  settings: enableSettings,
  /**
   * MOF `OSDBitLocker.exe /enable <?1: /drive:%1><?2: /wait:%2><?3: /mode:%3><?4: /keydrive:%4><?5: /pwd:%5>`
   * (the literal space after /enable stays); 3.10 appends ` /full:` when EncryptFullDisk is set [C].
   * EncryptMethod and SkipWhenNoValidTPM are not command-line arguments in any file we have.
   */
  buildAction: (step) => {
    const s = enableSettings.read(step.variables ?? []).settings;
    let out = 'OSDBitLocker.exe /enable ';
    if (s.targetDrive) out += ` /drive:${s.targetDrive}`;
    if (s.waitForEncryption !== undefined) out += ` /wait:${actionBool(s.waitForEncryption)}`;
    if (s.mode) out += ` /mode:${s.mode}`;
    if (s.startupKeyDrive) out += ` /keydrive:${s.startupKeyDrive}`;
    if (s.createRecoveryPassword) out += ` /pwd:${s.createRecoveryPassword}`;
    if (s.encryptFullDisk !== undefined) out += ` /full:${actionBool(s.encryptFullDisk)}`;
    return out;
  },
  spec: 'task-sequence-format §7, §8.18',
});

// ---------------------------------------------------------------------------------------------

const disableProperties = [
  property('RebootCount', 'OSDBitLockerRebootCount', {
    default: '1',
    description: 'Number of restarts to keep BitLocker suspended',
  }),
  property('TargetDrive', 'OSDBitLockerTargetDrive', { hidden: true, description: 'Drive; empty = current OS drive' }),
];

export const disableBitLockerSchema = withLayout({
  rebootCount: z.number().int().nonnegative().optional(),
  targetDrive: z.string().optional(),
});
export type DisableBitLockerSettings = z.infer<typeof disableBitLockerSchema>;

const disableSettings = settingsCodec<DisableBitLockerSettings>({
  properties: disableProperties,
  schema: disableBitLockerSchema,
  read: (r) => ({ rebootCount: r.int('RebootCount', { min: 0 }), targetDrive: r.string('TargetDrive') }),
  write: (s, w) => {
    w.int('RebootCount', s.rebootCount);
    w.string('TargetDrive', s.targetDrive);
  },
});

export const disableBitLocker = defineStepType<DisableBitLockerSettings>({
  type: 'SMS_TaskSequence_DisableBitLockerAction',
  displayName: 'Disable BitLocker',
  executable: 'OSDBitLocker.exe',
  runIn: 'FullOS',
  successCodes: '0',
  retryCount: 0,
  properties: disableProperties,
  settings: disableSettings,
  // MOF `OSDBitLocker.exe /disable <?1: /drive:%1>` [C: `OSDBitLocker.exe /disable `].
  buildAction: (step) => {
    const drive = disableSettings.read(step.variables ?? []).settings.targetDrive;
    return `OSDBitLocker.exe /disable ${drive ? ` /drive:${drive}` : ''}`;
  },
  spec: 'task-sequence-format §7, §8.18',
});

// ---------------------------------------------------------------------------------------------

const preProvisionProperties = [
  property('DestinationDisk', 'OSDBitLockerDestinationDisk', { hidden: true }),
  property('DestinationLogicalDrive', 'OSDBitLockerDestinationLogicalDrive', { hidden: true }),
  property('DestinationPartition', 'OSDBitLockerDestinationPartition', { hidden: true }),
  property('DestinationVariable', 'OSDBitLockerDestinationVariable', {
    hidden: true,
    description: 'Variable holding the drive (e.g. OSDisk)',
  }),
  property('EncryptFullDisk', 'OSDBitLockerEncryptFullDisk', { default: 'false', hidden: true }),
  property('EncryptMethod', 'OSDBitLockerEncryptMethod', { description: 'Encryption method; 0 = not specified' }),
  property('SkipWhenTPMInvalid', 'OSDBitLockerSkipWhenTPMInvalid', {
    default: 'true',
    hidden: true,
    description: 'Skip on computers without an enabled TPM',
  }),
];

export const preProvisionBitLockerSchema = withLayout({
  destination: destinationSchema,
  skipWhenTpmInvalid: z.boolean().optional(),
  encryptFullDisk: z.boolean().optional(),
  encryptMethod: z.number().int().nonnegative().optional(),
});
export type PreProvisionBitLockerSettings = z.infer<typeof preProvisionBitLockerSchema>;

const preProvisionSettings = settingsCodec<PreProvisionBitLockerSettings>({
  properties: preProvisionProperties,
  schema: preProvisionBitLockerSchema,
  read: (r) => ({
    destination: readDestination(r),
    skipWhenTpmInvalid: r.bool('SkipWhenTPMInvalid'),
    encryptFullDisk: r.bool('EncryptFullDisk'),
    encryptMethod: r.int('EncryptMethod', { min: 0 }),
  }),
  write: (s, w) => {
    writeDestination(s.destination, w);
    w.bool('EncryptFullDisk', s.encryptFullDisk);
    w.int('EncryptMethod', s.encryptMethod);
    w.bool('SkipWhenTPMInvalid', s.skipWhenTpmInvalid);
  },
});

export const preProvisionBitLocker = defineStepType<PreProvisionBitLockerSettings>({
  type: 'SMS_TaskSequence_OfflineEnableBitLockerAction',
  displayName: 'Pre-provision BitLocker',
  executable: 'OSDOfflineBitlocker.exe',
  runIn: 'WinPE',
  successCodes: '0',
  retryCount: 0,
  properties: preProvisionProperties,
  settings: preProvisionSettings,
  /**
   * MOF `OSDOfflineBitlocker.exe /enable <?1: /disk:%1><?2: /part:%2><?3: /drive:%3><?4: /drive:%%%4%%><?5: /ignoretpm:%5>`;
   * 3.10 appends ` /full:` when EncryptFullDisk is set [C].
   */
  buildAction: (step) => {
    const s = preProvisionSettings.read(step.variables ?? []).settings;
    let out = 'OSDOfflineBitlocker.exe /enable ';
    const d = s.destination;
    if (d.kind === 'disk-partition') out += ` /disk:${d.disk}${d.partition === undefined ? '' : ` /part:${d.partition}`}`;
    else if (d.kind === 'logical-drive') out += ` /drive:${d.drive}`;
    else if (d.kind === 'variable') out += ` /drive:%${d.variable}%`;
    if (s.skipWhenTpmInvalid !== undefined) out += ` /ignoretpm:${actionBool(s.skipWhenTpmInvalid)}`;
    if (s.encryptFullDisk !== undefined) out += ` /full:${actionBool(s.encryptFullDisk)}`;
    return out;
  },
  spec: 'task-sequence-format §7, §8.18',
});
