/**
 * Run PowerShell Script — task-sequence-format §8.18: a script from a package (PackageID +
 * ScriptName) or typed into the step (SourceScript, base64 of UTF-16LE text).
 */
import { z } from 'zod';
import { property, settingsCodec, withLayout } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

// Order by property name [C: catalog export]; unlike Run Command Line only SuccessCodes is hidden.
const properties = [
  property('ExecutionPolicy', 'OSDRunPowerShellScriptExecutionPolicy', {
    description: 'Restricted | AllSigned | RemoteSigned | Unrestricted | Bypass | Undefined',
  }),
  property('OutputVariableName', 'OSDRunPowerShellScriptOutputVariableName', {
    description: 'Variable that receives the last 1,000 characters of the output',
  }),
  property('PackageID', 'OSDRunPowerShellScriptPackageID', { description: 'Package holding the script' }),
  property('Parameters', 'OSDRunPowerShellScriptParameters', { description: 'Script parameters' }),
  property('RunAsUser', '_SMSTSRunPowerShellAsUser', { default: 'false', description: 'Run as UserName (not in WinPE)' }),
  property('ScriptName', 'OSDRunPowerShellScriptScriptName', { description: 'Script file in the package' }),
  property('SourceScript', 'OSDRunPowerShellScriptSourceScript', { description: 'Inline script, base64 of UTF-16LE' }),
  property('SuccessCodes', 'OSDRunPowerShellScriptSuccessCodes', {
    default: '0 3010',
    hidden: true,
    description: 'Exit codes that mean success',
  }),
  property('UserName', 'SMSTSRunPowerShellUserName', { description: 'Run-as account, DOMAIN\\user' }),
  property('UserPassword', 'SMSTSRunPowerShellUserPassword', { secret: true, description: 'Run-as password' }),
  property('WorkingDirectory', 'SMSTSRunPowerShellWorkingDirectory', { description: 'Start in' }),
];

export const EXECUTION_POLICIES = ['Restricted', 'AllSigned', 'RemoteSigned', 'Unrestricted', 'Bypass', 'Undefined'] as const;

export const runPowerShellScriptSchema = withLayout({
  packageId: z.string().optional(),
  scriptName: z.string().optional(),
  /** The inline script as text (decoded from SourceScript). */
  sourceScript: z.string().optional(),
  parameters: z.string().optional(),
  executionPolicy: z.enum(EXECUTION_POLICIES).optional(),
  outputVariableName: z.string().optional(),
  workingDirectory: z.string().optional(),
  runAsUser: z.boolean().optional(),
  userName: z.string().optional(),
  /** Secret: never logged; ConfigMgr exports never contain it. */
  userPassword: z.string().optional(),
  successCodes: z.array(z.number().int()).optional(),
});
export type RunPowerShellScriptSettings = z.infer<typeof runPowerShellScriptSchema>;

/** SourceScript is base64 of UTF-16LE with a byte order mark [C: `//5zAA==` is BOM + "s"]. */
export function decodeSourceScript(base64: string): string | undefined {
  const compact = base64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.length % 2 !== 0) return undefined;
  const text = bytes.toString('utf16le');
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

export function encodeSourceScript(text: string): string {
  return Buffer.from(`\uFEFF${text}`, 'utf16le').toString('base64');
}

export const runPowerShellScript = defineStepType<RunPowerShellScriptSettings>({
  type: 'SMS_TaskSequence_RunPowerShellScriptAction',
  displayName: 'Run PowerShell Script',
  executable: 'OSDRunPowerShellScript.exe',
  runIn: 'WinPEandFullOS',
  successCodes: '0 3010',
  retryCount: 0,
  properties,
  settings: settingsCodec<RunPowerShellScriptSettings>({
    properties,
    schema: runPowerShellScriptSchema,
    read: (r) => {
      const encoded = r.raw('SourceScript');
      let sourceScript: string | undefined;
      if (encoded !== undefined) {
        sourceScript = decodeSourceScript(encoded);
        if (sourceScript === undefined) r.issue('SourceScript', encoded.slice(0, 40), 'is not base64 of UTF-16 text');
      }
      return {
        packageId: r.string('PackageID'),
        scriptName: r.string('ScriptName'),
        sourceScript,
        parameters: r.string('Parameters'),
        executionPolicy: r.choice('ExecutionPolicy', EXECUTION_POLICIES),
        outputVariableName: r.string('OutputVariableName'),
        workingDirectory: r.string('WorkingDirectory'),
        runAsUser: r.bool('RunAsUser'),
        userName: r.string('UserName'),
        userPassword: r.string('UserPassword'),
        successCodes: r.codes('SuccessCodes'),
      };
    },
    write: (s, w) => {
      w.string('ExecutionPolicy', s.executionPolicy);
      w.string('OutputVariableName', s.outputVariableName);
      w.string('PackageID', s.packageId);
      w.string('Parameters', s.parameters);
      w.bool('RunAsUser', s.runAsUser);
      w.string('ScriptName', s.scriptName);
      w.string('SourceScript', s.sourceScript === undefined ? undefined : encodeSourceScript(s.sourceScript));
      w.codes('SuccessCodes', s.successCodes);
      w.string('UserName', s.userName);
      w.string('UserPassword', s.userPassword);
      w.string('WorkingDirectory', s.workingDirectory);
    },
  }),
  // No arguments: the tool reads the step's variables (§7).
  buildAction: () => 'OSDRunPowerShellScript.exe',
  spec: 'task-sequence-format §8.18',
});
