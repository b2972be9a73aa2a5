/**
 * Install Software Updates — task-sequence-format §8.9.
 */
import { z } from 'zod';
import { property, settingsCodec, withLayout } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

const properties = [
  property('RetryCount', 'RetryCount', { default: '2', hidden: true, description: 'Retries after an unexpected restart' }),
  property('Target', 'SMSInstallUpdateTarget', { default: 'Mandatory', description: 'Mandatory | All' }),
  property('UseCache', 'SMSTSSoftwareUpdateScanUseCache', { default: 'true', description: 'Evaluate from cached scan results' }),
];

export const UPDATE_TARGETS = ['Mandatory', 'All'] as const;

export const installSoftwareUpdatesSchema = withLayout({
  target: z.enum(UPDATE_TARGETS).optional(),
  useCache: z.boolean().optional(),
  retryCount: z.number().int().nonnegative().optional(),
});
export type InstallSoftwareUpdatesSettings = z.infer<typeof installSoftwareUpdatesSchema>;

export const installSoftwareUpdates = defineStepType<InstallSoftwareUpdatesSettings>({
  type: 'SMS_TaskSequence_InstallUpdateAction',
  displayName: 'Install Software Updates',
  executable: 'TSInstallSWUpdate.exe',
  runIn: 'FullOS',
  successCodes: '0',
  // The step element also carries retryCount="2" (§4).
  retryCount: 2,
  properties,
  settings: settingsCodec<InstallSoftwareUpdatesSettings>({
    properties,
    schema: installSoftwareUpdatesSchema,
    read: (r) => ({
      target: r.choice('Target', UPDATE_TARGETS),
      useCache: r.bool('UseCache'),
      retryCount: r.int('RetryCount', { min: 0 }),
    }),
    write: (s, w) => {
      w.int('RetryCount', s.retryCount);
      w.string('Target', s.target);
      w.bool('UseCache', s.useCache);
    },
  }),
  buildAction: () => 'TSInstallSWUpdate.exe /target:%SMSInstallUpdateTarget%',
  spec: 'task-sequence-format §8.9',
});
