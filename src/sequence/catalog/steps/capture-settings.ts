/**
 * Capture Windows Settings and Capture Network Settings — task-sequence-format §8.14, §8.15.
 * They publish what they capture in the variables Apply Windows/Network Settings read.
 */
import { z } from 'zod';
import { property, settingsCodec, withLayout } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

const windowsProperties = [
  property('MigrateComputerName', 'OSDMigrateComputerName', { default: 'true', description: 'Capture the computer name' }),
  property('MigrateRegistrationInfo', 'OSDMigrateRegistrationInfo', {
    default: 'true',
    description: 'Capture the registered user and organization',
  }),
  property('MigrateTimeZone', 'OSDMigrateTimeZone', { default: 'true', description: 'Capture the time zone' }),
];

export const captureWindowsSettingsSchema = withLayout({
  migrateComputerName: z.boolean().optional(),
  migrateRegistrationInfo: z.boolean().optional(),
  migrateTimeZone: z.boolean().optional(),
});
export type CaptureWindowsSettings = z.infer<typeof captureWindowsSettingsSchema>;

export const captureWindowsSettings = defineStepType<CaptureWindowsSettings>({
  type: 'SMS_TaskSequence_CaptureWindowsSettingsAction',
  displayName: 'Capture Windows Settings',
  executable: 'osdwinsettings.exe',
  runIn: 'WinPEandFullOS',
  successCodes: '0',
  retryCount: 0,
  properties: windowsProperties,
  settings: settingsCodec<CaptureWindowsSettings>({
    properties: windowsProperties,
    schema: captureWindowsSettingsSchema,
    read: (r) => ({
      migrateComputerName: r.bool('MigrateComputerName'),
      migrateRegistrationInfo: r.bool('MigrateRegistrationInfo'),
      migrateTimeZone: r.bool('MigrateTimeZone'),
    }),
    write: (s, w) => {
      w.bool('MigrateComputerName', s.migrateComputerName);
      w.bool('MigrateRegistrationInfo', s.migrateRegistrationInfo);
      w.bool('MigrateTimeZone', s.migrateTimeZone);
    },
  }),
  buildAction: () => 'osdwinsettings.exe /capture /name:%OSDMigrateComputerName% /reginfo:%OSDMigrateRegistrationInfo% /timezone:%OSDMigrateTimeZone%',
  spec: 'task-sequence-format §8.14',
});

// ---------------------------------------------------------------------------------------------

const networkProperties = [
  property('MigrateAdapterSettings', 'OSDMigrateAdapterSettings', {
    default: 'true',
    description: 'Capture TCP/IP, DNS and WINS settings of the adapters',
  }),
  // SDK default false; the variable reference says true (§8.15). ConfigMgr writes false [C].
  property('MigrateNetworkMembership', 'OSDMigrateNetworkMembership', {
    default: 'false',
    description: 'Capture the domain or workgroup membership',
  }),
];

export const captureNetworkSettingsSchema = withLayout({
  migrateAdapterSettings: z.boolean().optional(),
  migrateNetworkMembership: z.boolean().optional(),
});
export type CaptureNetworkSettings = z.infer<typeof captureNetworkSettingsSchema>;

export const captureNetworkSettings = defineStepType<CaptureNetworkSettings>({
  type: 'SMS_TaskSequence_CaptureNetworkSettingsAction',
  displayName: 'Capture Network Settings',
  executable: 'osdnetsettings.exe',
  runIn: 'FullOS',
  successCodes: '0',
  retryCount: 0,
  properties: networkProperties,
  settings: settingsCodec<CaptureNetworkSettings>({
    properties: networkProperties,
    schema: captureNetworkSettingsSchema,
    read: (r) => ({
      migrateAdapterSettings: r.bool('MigrateAdapterSettings'),
      migrateNetworkMembership: r.bool('MigrateNetworkMembership'),
    }),
    write: (s, w) => {
      w.bool('MigrateAdapterSettings', s.migrateAdapterSettings);
      w.bool('MigrateNetworkMembership', s.migrateNetworkMembership);
    },
  }),
  buildAction: () => 'osdnetsettings.exe capture netmembership:%OSDMigrateNetworkMembership% adapters:%OSDMigrateAdapterSettings%',
  spec: 'task-sequence-format §8.15',
});
