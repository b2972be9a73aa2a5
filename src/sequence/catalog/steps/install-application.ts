/**
 * Install Application — task-sequence-format §8.10: a fixed list of applications (comma list in
 * ApplicationName, installed in order) or a dynamic list from `<base>01`, `<base>02`, … variables.
 */
import { z } from 'zod';
import { actionBool, property, settingsCodec, withLayout } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

// Order by property name [C: catalog export]. AppInfo[] (SMS_TaskSequence_ApplicationInfo) is
// not modelled: no file in the corpus has it, so its variable names are unknown; such variables
// are kept as written by the layout.
const properties = [
  property('ApplicationName', 'ApplicationName', {
    hidden: true,
    description: 'Comma-separated application model names, installed in order',
  }),
  property('BaseVariableName', 'BaseVariableName', {
    hidden: true,
    description: 'Install the applications named by <base>01, <base>02, …',
  }),
  property('ClearCache', 'OSDAppClearCache', { default: 'false', description: 'Clear application content from the cache' }),
  property('ContinueOnInstallError', 'ContinueOnInstallError', {
    default: 'false',
    hidden: true,
    description: 'Continue with the next application when one fails',
  }),
  property('NumApps', 'OSDAppCount', { description: 'Number of AppInfo entries' }),
  property('RetryCount', 'RetryCount', { default: '2', hidden: true, description: 'Retries after an unexpected restart' }),
];

export const installApplicationSchema = withLayout({
  /** Application model names (ScopeId_…/Application_…) in install order; [] = written empty. */
  applications: z.array(z.string()).optional(),
  baseVariableName: z.string().optional(),
  continueOnInstallError: z.boolean().optional(),
  clearCache: z.boolean().optional(),
  retryCount: z.number().int().nonnegative().optional(),
  appCount: z.number().int().nonnegative().optional(),
});
export type InstallApplicationSettings = z.infer<typeof installApplicationSchema>;

const settings = settingsCodec<InstallApplicationSettings>({
  properties,
  schema: installApplicationSchema,
  read: (r) => ({
    applications: r.list('ApplicationName'),
    baseVariableName: r.string('BaseVariableName'),
    continueOnInstallError: r.bool('ContinueOnInstallError'),
    clearCache: r.bool('ClearCache'),
    retryCount: r.int('RetryCount', { min: 0 }),
    appCount: r.int('NumApps', { min: 0 }),
  }),
  write: (s, w) => {
    w.list('ApplicationName', s.applications);
    w.string('BaseVariableName', s.baseVariableName);
    w.bool('ClearCache', s.clearCache);
    w.bool('ContinueOnInstallError', s.continueOnInstallError);
    w.int('NumApps', s.appCount);
    w.int('RetryCount', s.retryCount);
  },
});

export const installApplication = defineStepType<InstallApplicationSettings>({
  type: 'SMS_TaskSequence_InstallApplicationAction',
  displayName: 'Install Application',
  executable: 'smsappinstall.exe',
  runIn: 'FullOS',
  successCodes: '0',
  // The step element also carries retryCount="2" (§4).
  retryCount: 2,
  properties,
  settings,
  // MOF `smsappinstall.exe /app:%1 /basevar:%2 /continueOnError:%3`; null arguments stay empty [C].
  buildAction: (step) => {
    const s = settings.read(step.variables ?? []).settings;
    return (
      `smsappinstall.exe /app:${(s.applications ?? []).join(',')} /basevar:${s.baseVariableName ?? ''}` +
      ` /continueOnError:${actionBool(s.continueOnInstallError)}`
    );
  },
  spec: 'task-sequence-format §8.10',
});
