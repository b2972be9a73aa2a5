/**
 * Run Command Line — task-sequence-format §8.12. ConfigMgr saves `smsswd.exe /run:[PkgID] <cmd>`;
 * MDT Lite Touch files store the raw command in `<action>` and have no CommandLine variable [C].
 */
import { z } from 'zod';
import { property, settingsCodec, withLayout } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

// Order by property name [C: catalog export].
const properties = [
  property('CommandLine', 'CommandLine', { hidden: true, description: 'The command (1–32,000 characters)' }),
  property('DisableWow64Redirection', 'SMSTSDisableWow64Redirection', {
    default: 'false',
    description: 'Run 64-bit executables natively on a 64-bit OS',
  }),
  // MDT Lite Touch adds LoadProfile next to its run-as settings (§8.12) [C: MDT templates].
  property('LoadProfile', 'LoadProfile', { description: 'MDT: load the run-as user profile' }),
  property('OutputVariableName', 'SMSTSRunCommandLineOutputVariableName', {
    description: 'Variable that receives the last 1,000 characters of the output (1910+)',
  }),
  property('PackageID', 'PackageID', { hidden: true, description: 'Package the command runs from' }),
  property('RunAsUser', '_SMSTSRunCommandLineAsUser', { default: 'false', description: 'Run as UserName (not in WinPE)' }),
  property('SuccessCodes', 'SuccessCodes', { default: '0 3010', hidden: true, description: 'Exit codes that mean success' }),
  property('UserName', 'SMSTSRunCommandLineUserName', { description: 'Run-as account, DOMAIN\\user' }),
  property('UserPassword', 'SMSTSRunCommandLineUserPassword', { secret: true, description: 'Run-as password' }),
  property('WorkingDirectory', 'WorkingDirectory', { description: 'Start in (≤255 characters)' }),
];

export const runCommandLineSchema = withLayout({
  commandLine: z.string().optional(),
  packageId: z.string().optional(),
  workingDirectory: z.string().optional(),
  disableWow64Redirection: z.boolean().optional(),
  runAsUser: z.boolean().optional(),
  userName: z.string().optional(),
  /** Secret: never logged; ConfigMgr exports never contain it. */
  userPassword: z.string().optional(),
  loadProfile: z.boolean().optional(),
  outputVariableName: z.string().optional(),
  successCodes: z.array(z.number().int()).optional(),
});
export type RunCommandLineSettings = z.infer<typeof runCommandLineSchema>;

const settings = settingsCodec<RunCommandLineSettings>({
  properties,
  schema: runCommandLineSchema,
  read: (r) => ({
    commandLine: r.raw('CommandLine'),
    packageId: r.string('PackageID'),
    workingDirectory: r.string('WorkingDirectory'),
    disableWow64Redirection: r.bool('DisableWow64Redirection'),
    runAsUser: r.bool('RunAsUser'),
    userName: r.string('UserName'),
    userPassword: r.string('UserPassword'),
    loadProfile: r.bool('LoadProfile'),
    outputVariableName: r.string('OutputVariableName'),
    successCodes: r.codes('SuccessCodes'),
  }),
  write: (s, w) => {
    w.string('CommandLine', s.commandLine);
    w.bool('DisableWow64Redirection', s.disableWow64Redirection);
    w.bool('LoadProfile', s.loadProfile);
    w.string('OutputVariableName', s.outputVariableName);
    w.string('PackageID', s.packageId);
    w.bool('RunAsUser', s.runAsUser);
    w.codes('SuccessCodes', s.successCodes);
    w.string('UserName', s.userName);
    w.string('UserPassword', s.userPassword);
    w.string('WorkingDirectory', s.workingDirectory);
  },
});

export const runCommandLine = defineStepType<RunCommandLineSettings>({
  type: 'SMS_TaskSequence_RunCommandLineAction',
  displayName: 'Run Command Line',
  executable: 'smsswd.exe',
  runIn: 'WinPEandFullOS',
  successCodes: '0 3010',
  retryCount: 0,
  properties,
  settings,
  // MOF `smsswd.exe /run:%1 %2` (PackageID, CommandLine); no package leaves `/run: ` [C].
  buildAction: (step) => {
    const s = settings.read(step.variables ?? []).settings;
    return `smsswd.exe /run:${s.packageId ?? ''} ${s.commandLine ?? ''}`;
  },
  spec: 'task-sequence-format §8.12',
});
