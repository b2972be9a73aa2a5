/**
 * Capture User State / Restore User State (USMT) — task-sequence-format §8.17. The store path
 * comes from Request State Store (`OSDStateStorePath`).
 */
import { z } from 'zod';
import { property, settingsCodec, withLayout } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

export const MIGRATE_MODES = ['Simple', 'Advanced'] as const;
export const FILE_ACCESS_MODES = ['Normal', 'VSS'] as const;

// Order by property name [C: catalog export].
const captureProperties = [
  property('ConfigFiles', 'OSDMigrateConfigFiles', { description: 'Comma-separated USMT XML files (Advanced mode)' }),
  property('ContinueOnLockedFiles', 'OSDMigrateContinueOnLockedFiles', {
    default: 'true',
    description: 'Go on when some files cannot be captured',
  }),
  property('EnableVerboseLogging', 'OSDMigrateEnableVerboseLogging', { default: 'false' }),
  property('FileAccess', 'OSDMigrateFileAccess', { default: 'Normal', description: 'Normal | VSS' }),
  property('Mode', 'OSDMigrateMode', { default: 'Simple', description: 'Simple | Advanced' }),
  property('OfflineUserState', '_OSDMigrateOfflineUserState', { default: 'false', description: 'Capture offline (Windows PE)' }),
  property('SkipEncryptedFiles', 'OSDMigrateSkipEncryptedFiles', { default: 'false' }),
  property('UseHardlinks', '_OSDMigrateUseHardlinks', { default: 'false', description: 'Local hard-link store' }),
  property('UsmtPackageID', '_OSDMigrateUsmtPackageID', { description: 'Package with the USMT binaries' }),
];

export const captureUserStateSchema = withLayout({
  usmtPackageId: z.string().optional(),
  mode: z.enum(MIGRATE_MODES).optional(),
  configFiles: z.array(z.string()).optional(),
  continueOnLockedFiles: z.boolean().optional(),
  enableVerboseLogging: z.boolean().optional(),
  skipEncryptedFiles: z.boolean().optional(),
  fileAccess: z.enum(FILE_ACCESS_MODES).optional(),
  useHardlinks: z.boolean().optional(),
  offlineUserState: z.boolean().optional(),
});
export type CaptureUserStateSettings = z.infer<typeof captureUserStateSchema>;

export const captureUserState = defineStepType<CaptureUserStateSettings>({
  type: 'SMS_TaskSequence_CaptureUserStateAction',
  displayName: 'Capture User State',
  executable: 'osdmigrateuserstate.exe',
  // Full OS, or Windows PE for an offline capture (§8.17, OfflineUserState): ConfigMgr 3.10 writes
  // WinPEandFullOS [C: catalog export]; the SDK default and MDT templates say FullOS (§11 item 7).
  runIn: 'WinPEandFullOS',
  successCodes: '0',
  retryCount: 0,
  properties: captureProperties,
  settings: settingsCodec<CaptureUserStateSettings>({
    properties: captureProperties,
    schema: captureUserStateSchema,
    read: (r) => ({
      usmtPackageId: r.string('UsmtPackageID'),
      mode: r.choice('Mode', MIGRATE_MODES),
      configFiles: r.list('ConfigFiles'),
      continueOnLockedFiles: r.bool('ContinueOnLockedFiles'),
      enableVerboseLogging: r.bool('EnableVerboseLogging'),
      skipEncryptedFiles: r.bool('SkipEncryptedFiles'),
      fileAccess: r.choice('FileAccess', FILE_ACCESS_MODES),
      useHardlinks: r.bool('UseHardlinks'),
      offlineUserState: r.bool('OfflineUserState'),
    }),
    write: (s, w) => {
      w.list('ConfigFiles', s.configFiles);
      w.bool('ContinueOnLockedFiles', s.continueOnLockedFiles);
      w.bool('EnableVerboseLogging', s.enableVerboseLogging);
      w.string('FileAccess', s.fileAccess);
      w.string('Mode', s.mode);
      w.bool('OfflineUserState', s.offlineUserState);
      w.bool('SkipEncryptedFiles', s.skipEncryptedFiles);
      w.bool('UseHardlinks', s.useHardlinks);
      w.string('UsmtPackageID', s.usmtPackageId);
    },
  }),
  buildAction: () => 'osdmigrateuserstate.exe /collect /continueOnError:%OSDMigrateContinueOnLockedFiles% /skipefs:%OSDMigrateSkipEncryptedFiles%',
  spec: 'task-sequence-format §8.17',
});

// ---------------------------------------------------------------------------------------------

const restoreProperties = [
  property('ConfigFiles', 'OSDMigrateConfigFiles', { description: 'Comma-separated USMT XML files (Advanced mode)' }),
  property('ContinueOnRestore', 'OSDMigrateContinueOnRestore', {
    default: 'true',
    description: 'Go on when some files cannot be restored',
  }),
  property('EnableVerboseLogging', 'OSDMigrateEnableVerboseLogging', { default: 'false' }),
  property('LocalAccountPassword', 'OSDMigrateLocalAccountPassword', {
    secret: true,
    description: 'Password given to restored local accounts',
  }),
  property('LocalAccounts', 'OSDMigrateLocalAccounts', { default: 'false', description: 'Restore local accounts' }),
  property('Mode', 'OSDMigrateMode', { default: 'Simple', description: 'Simple | Advanced' }),
  property('UsmtRestorePackageID', '_OSDMigrateUsmtRestorePackageID', { description: 'Package with the USMT binaries' }),
];

export const restoreUserStateSchema = withLayout({
  usmtPackageId: z.string().optional(),
  mode: z.enum(MIGRATE_MODES).optional(),
  configFiles: z.array(z.string()).optional(),
  continueOnRestore: z.boolean().optional(),
  enableVerboseLogging: z.boolean().optional(),
  localAccounts: z.boolean().optional(),
  /** Secret: required when localAccounts; ConfigMgr exports never contain it. */
  localAccountPassword: z.string().optional(),
});
export type RestoreUserStateSettings = z.infer<typeof restoreUserStateSchema>;

export const restoreUserState = defineStepType<RestoreUserStateSettings>({
  type: 'SMS_TaskSequence_RestoreUserStateAction',
  displayName: 'Restore User State',
  executable: 'osdmigrateuserstate.exe',
  runIn: 'FullOS',
  successCodes: '0',
  retryCount: 0,
  properties: restoreProperties,
  settings: settingsCodec<RestoreUserStateSettings>({
    properties: restoreProperties,
    schema: restoreUserStateSchema,
    read: (r) => ({
      usmtPackageId: r.string('UsmtRestorePackageID'),
      mode: r.choice('Mode', MIGRATE_MODES),
      configFiles: r.list('ConfigFiles'),
      continueOnRestore: r.bool('ContinueOnRestore'),
      enableVerboseLogging: r.bool('EnableVerboseLogging'),
      localAccounts: r.bool('LocalAccounts'),
      localAccountPassword: r.string('LocalAccountPassword'),
    }),
    write: (s, w) => {
      w.list('ConfigFiles', s.configFiles);
      w.bool('ContinueOnRestore', s.continueOnRestore);
      w.bool('EnableVerboseLogging', s.enableVerboseLogging);
      w.string('LocalAccountPassword', s.localAccountPassword);
      w.bool('LocalAccounts', s.localAccounts);
      w.string('Mode', s.mode);
      w.string('UsmtRestorePackageID', s.usmtPackageId);
    },
  }),
  buildAction: () => 'osdmigrateuserstate.exe /apply /continueOnError:%OSDMigrateContinueOnRestore%',
  spec: 'task-sequence-format §8.17',
});
