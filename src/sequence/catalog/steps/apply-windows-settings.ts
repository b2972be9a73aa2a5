/**
 * Apply Windows Settings — task-sequence-format §8.4. Values go into the answer file; the same
 * variables captured by Capture Windows Settings override them at run time.
 */
import { z } from 'zod';
import { property, settingsCodec, withLayout } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

// Property order as ConfigMgr 3.10 writes it (by property name) [C: catalog export].
const properties = [
  property('AdminPassword', 'OSDLocalAdminPassword', {
    secret: true,
    description: 'Local Administrator password (ignored when RandomAdminPassword is true)',
  }),
  property('ComputerName', 'OSDComputerName', { default: '%_SMSTSMachineName%' }),
  property('InputLocale', 'OSDWindowsSettingsInputLocale', { description: 'Default keyboard layout' }),
  property('ProductKey', 'OSDProductKey'),
  property('RandomAdminPassword', 'OSDRandomAdminPassword', {
    default: 'true',
    description: 'Random Administrator password and account disabled',
  }),
  property('RegisteredOrgName', 'OSDRegisteredOrgName'),
  property('RegisteredUserName', 'OSDRegisteredUserName'),
  property('ServerLicenseConnectionLimit', 'OSDServerLicenseConnectionLimit', { default: '5' }),
  property('ServerLicenseMode', 'OSDServerLicenseMode', { description: 'PerSeat | PerServer; absent = not specified' }),
  property('SystemLocale', 'OSDWindowsSettingsSystemLocale'),
  property('TimeZone', 'OSDTimeZone', { description: 'English standard name, e.g. Eastern Standard Time' }),
  property('UILanguage', 'OSDWindowsSettingsUILanguage'),
  property('UILanguageFallback', 'OSDWindowsSettingsUILanguageFallback'),
  property('UserLocale', 'OSDWindowsSettingsUserLocale'),
];

export const SERVER_LICENSE_MODES = ['PerSeat', 'PerServer'] as const;

export const applyWindowsSettingsSchema = withLayout({
  computerName: z.string().optional(),
  registeredUserName: z.string().optional(),
  registeredOrgName: z.string().optional(),
  productKey: z.string().optional(),
  serverLicenseMode: z.enum(SERVER_LICENSE_MODES).optional(),
  serverLicenseConnectionLimit: z.number().int().optional(),
  randomAdminPassword: z.boolean().optional(),
  /** Secret: never logged; ConfigMgr exports never contain it. */
  adminPassword: z.string().optional(),
  timeZone: z.string().optional(),
  inputLocale: z.string().optional(),
  systemLocale: z.string().optional(),
  uiLanguage: z.string().optional(),
  uiLanguageFallback: z.string().optional(),
  userLocale: z.string().optional(),
});
export type ApplyWindowsSettings = z.infer<typeof applyWindowsSettingsSchema>;

const settings = settingsCodec<ApplyWindowsSettings>({
  properties,
  schema: applyWindowsSettingsSchema,
  read: (r) => ({
    computerName: r.string('ComputerName'),
    registeredUserName: r.string('RegisteredUserName'),
    registeredOrgName: r.string('RegisteredOrgName'),
    productKey: r.string('ProductKey'),
    serverLicenseMode: r.choice('ServerLicenseMode', SERVER_LICENSE_MODES),
    serverLicenseConnectionLimit: r.int('ServerLicenseConnectionLimit', { min: 5, max: 9999 }),
    randomAdminPassword: r.bool('RandomAdminPassword'),
    adminPassword: r.string('AdminPassword'),
    timeZone: r.string('TimeZone'),
    inputLocale: r.string('InputLocale'),
    systemLocale: r.string('SystemLocale'),
    uiLanguage: r.string('UILanguage'),
    uiLanguageFallback: r.string('UILanguageFallback'),
    userLocale: r.string('UserLocale'),
  }),
  write: (s, w) => {
    w.string('AdminPassword', s.adminPassword);
    w.string('ComputerName', s.computerName);
    w.string('InputLocale', s.inputLocale);
    w.string('ProductKey', s.productKey);
    w.bool('RandomAdminPassword', s.randomAdminPassword);
    w.string('RegisteredOrgName', s.registeredOrgName);
    w.string('RegisteredUserName', s.registeredUserName);
    w.int('ServerLicenseConnectionLimit', s.serverLicenseConnectionLimit);
    w.string('ServerLicenseMode', s.serverLicenseMode);
    w.string('SystemLocale', s.systemLocale);
    w.string('TimeZone', s.timeZone);
    w.string('UILanguage', s.uiLanguage);
    w.string('UILanguageFallback', s.uiLanguageFallback);
    w.string('UserLocale', s.userLocale);
  },
});

export const applyWindowsSettings = defineStepType<ApplyWindowsSettings>({
  type: 'SMS_TaskSequence_ApplyWindowsSettingsAction',
  displayName: 'Apply Windows Settings',
  executable: 'osdwinsettings.exe',
  runIn: 'WinPE',
  successCodes: '0',
  retryCount: 0,
  properties,
  settings,
  buildAction: () => 'osdwinsettings.exe /config',
  spec: 'task-sequence-format §8.4',
});
