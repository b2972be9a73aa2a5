/**
 * Setup Windows and ConfigMgr — task-sequence-format §8.8. Starts in Windows PE, finishes in the
 * new OS; continue-on-error must not be used on it.
 */
import { z } from 'zod';
import { property, settingsCodec, withLayout } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

const properties = [
  property('ClientInstallProperties', 'SMSClientInstallProperties', {
    description: 'Windows Installer properties for the ConfigMgr client',
  }),
  property('ClientPackageID', '_SMSClientPackageID', { description: 'ConfigMgr client package' }),
  property('ClientPreProductionPackageID', '_SMSClientPreProductionPackageID', {
    description: 'Pre-production client package',
  }),
];

export const setupWindowsSchema = withLayout({
  clientPackageId: z.string().optional(),
  clientPreProductionPackageId: z.string().optional(),
  clientInstallProperties: z.string().optional(),
});
export type SetupWindowsSettings = z.infer<typeof setupWindowsSchema>;

export const setupWindows = defineStepType<SetupWindowsSettings>({
  type: 'SMS_TaskSequence_SetupWindowsAndSMSAction',
  displayName: 'Setup Windows and ConfigMgr',
  executable: 'OSDSetupWindows.exe',
  runIn: 'WinPEandFullOS',
  successCodes: '0',
  retryCount: 0,
  properties,
  settings: settingsCodec<SetupWindowsSettings>({
    properties,
    schema: setupWindowsSchema,
    read: (r) => ({
      clientPackageId: r.string('ClientPackageID'),
      clientPreProductionPackageId: r.string('ClientPreProductionPackageID'),
      clientInstallProperties: r.string('ClientInstallProperties'),
    }),
    write: (s, w) => {
      w.string('ClientInstallProperties', s.clientInstallProperties);
      w.string('ClientPackageID', s.clientPackageId);
      w.string('ClientPreProductionPackageID', s.clientPreProductionPackageId);
    },
  }),
  buildAction: () => 'OSDSetupWindows.exe',
  spec: 'task-sequence-format §8.8',
  // Starts in Windows PE, restarts into the new OS and completes there (engine-semantics §7).
  restarts: { into: 'FullOS', completesAfter: true },
});
