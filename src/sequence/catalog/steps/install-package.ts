/**
 * Install Package — task-sequence-format §8.11: one package + program, or a dynamic list from
 * `<base>001`, `<base>002`, … variables (value `PKGID:Program`).
 */
import { z } from 'zod';
import { actionBool, property, settingsCodec, withLayout } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

const properties = [
  property('BaseVariableName', 'BaseVariableName', {
    hidden: true,
    description: 'Install the packages named by <base>001, <base>002, …',
  }),
  property('ContinueOnInstallError', 'ContinueOnInstallError', {
    hidden: true,
    description: 'Continue with the next package when one fails',
  }),
  property('PackageID', 'PackageID', { hidden: true, description: 'Package to install' }),
  property('ProgramName', '_SMSSWDProgramName', { description: 'Program of the package to run' }),
];

export const installPackageSchema = withLayout({
  packageId: z.string().optional(),
  programName: z.string().optional(),
  baseVariableName: z.string().optional(),
  continueOnInstallError: z.boolean().optional(),
});
export type InstallPackageSettings = z.infer<typeof installPackageSchema>;

const settings = settingsCodec<InstallPackageSettings>({
  properties,
  schema: installPackageSchema,
  read: (r) => ({
    packageId: r.string('PackageID'),
    programName: r.string('ProgramName'),
    baseVariableName: r.string('BaseVariableName'),
    continueOnInstallError: r.bool('ContinueOnInstallError'),
  }),
  write: (s, w) => {
    w.string('BaseVariableName', s.baseVariableName);
    w.bool('ContinueOnInstallError', s.continueOnInstallError);
    w.string('PackageID', s.packageId);
    w.string('ProgramName', s.programName);
  },
});

export const installPackage = defineStepType<InstallPackageSettings>({
  type: 'SMS_TaskSequence_InstallSoftwareAction',
  displayName: 'Install Package',
  executable: 'smsswd.exe',
  runIn: 'FullOS',
  successCodes: '0',
  retryCount: 0,
  properties,
  settings,
  // MOF `smsswd.exe /pkg:%1 /install /basevar:%3 /continueOnError:%4` with no conditional parts:
  // a single package saves `/basevar: /continueOnError:` [C: catalog export; public exports].
  buildAction: (step) => {
    const s = settings.read(step.variables ?? []).settings;
    return `smsswd.exe /pkg:${s.packageId ?? ''} /install /basevar:${s.baseVariableName ?? ''}` + ` /continueOnError:${actionBool(s.continueOnInstallError)}`;
  },
  spec: 'task-sequence-format §8.11',
});
