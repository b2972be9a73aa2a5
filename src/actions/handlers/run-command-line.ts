/**
 * Run Command Line and Run PowerShell Script in the full OS (task-sequence-format §8.12, §8.18):
 * real processes through src/actions/os/process.ts — the OS volume stands in a staging folder,
 * what the process writes there reaches the volume, `.reg` files it drops reach the registry
 * (docs/full-os.md). In Windows PE these handlers step aside (`canRun`): Run Command Line stays the
 * runner's ProcessExecutor, Run PowerShell Script stays predicted, as before.
 *
 * - Working folder: the step's "Start in" (a path on the system drive, or a folder of the package);
 *   default the package's folder (or the drive's root without a package).
 * - Success codes and the time-out are the engine's (the step's successCodeList; its time-out
 *   aborts `x.signal`, which kills the process tree).
 * - Output: each line in smsts.log as smsswd.exe's (component InstallSoftware), the last 1,000
 *   characters in the output variable when one is named (1910+).
 * - "Run this step as the following account" is refused: processes here run as the host's account,
 *   there are no Windows accounts to log on as (0x80070032, the option named).
 * - PowerShell needs `pwsh` on this host's PATH; without it the step fails naming the program —
 *   it is never pretended.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { StepExecution, StepResult } from '../../engine/ports.js';
import { NO_PREDICTION } from '../../engine/simulate/predicting-executor.js';
import { runCommandLine, runPowerShellScript } from '../../sequence/catalog/index.js';
import { decodeSourceScript } from '../../sequence/catalog/steps/run-powershell-script.js';
import type { Computer } from '../computer.js';
import { filesOfDrive } from '../computer.js';
import { StepFailure, WIN32 } from '../errors.js';
import { boolProperty, defineHandler, type HandlerContext } from '../handler.js';
import { runInFullOs } from '../os/process.js';
import { OfflineRegistry } from '../os/registry.js';

const RUN_PREFIX = /^\s*smsswd\.exe\s+\/run:\S*\s?/i;

/** The installed OS's drive in the full OS: the one this sequence deployed, else the profile's, else C:. */
export function systemDriveOf(x: StepExecution, computer: Computer): string {
  const d = x.variables.get('OSDTargetSystemDrive') ?? computer.profile.currentOs?.installDrive ?? 'C:';
  return d.trim().toUpperCase();
}

/** Runs a command in the full OS for a step: the shared part of both step types. */
async function runStep(
  { x, computer, content, services }: HandlerContext,
  o: { command?: string; argv?: string[]; packageId?: string; workingDirectory?: string; outputVariable?: string; what: string },
): Promise<StepResult> {
  const letter = systemDriveOf(x, computer);
  const vol = await filesOfDrive(computer, letter);
  const registry = await OfflineRegistry.open(vol).catch(() => undefined);
  const folder = o.packageId ? content.packageFolder(o.packageId) : undefined;
  x.processLog?.started('run-command-line.ts');
  const r = await runInFullOs({
    volume: vol,
    systemDrive: letter,
    command: o.command,
    argv: o.argv,
    content: folder,
    workingDirectory: o.workingDirectory ? x.variables.expand(o.workingDirectory) : undefined,
    workDir: services?.workDir,
    signal: x.signal,
    registry,
    computerName: x.variables.get('OSDComputerName') ?? x.variables.get('_SMSTSMachineName'),
    onLine: (line) => {
      if (line.trim()) x.log(line, 'info', { component: 'InstallSoftware', file: 'run-command-line.ts' });
    },
  });
  if (o.outputVariable) x.variables.set(o.outputVariable, r.output);
  if (registry && registry.changedHives().length) await registry.save();
  if (r.written.length || r.removed.length) x.log(`${o.what} wrote ${r.written.length} file(s) and removed ${r.removed.length} on ${letter}`);
  for (const i of r.registryImports) x.log(`Imported ${i.file} into the registry of ${letter} (${i.changes} change(s))`);
  x.processLog?.returned(o.command ?? (o.argv ?? []).join(' '), r.exitCode, 'run-command-line.ts');
  x.processLog?.completed(r.exitCode, 'run-command-line.ts');
  return r.stopped ? { exitCode: r.exitCode, message: `${o.what}: ${r.stopped}` } : { exitCode: r.exitCode };
}

function refuseRunAs(x: StepExecution, flag: string, userVariable: string): void {
  if (boolProperty(x, flag) !== true) return;
  const user = x.properties[userVariable] ?? '(no account named)';
  throw new StepFailure(
    WIN32.notSupported,
    `"Run this step as the following account" (${user}) cannot be honoured: processes in the full OS here run as the host's account, and there are no Windows accounts to log on as`,
    `clear the option (${flag}=false) to run the step as the task sequence does`,
  );
}

/** What a command does cannot be predicted: the dry run's answer stays the generic one. */
const predictNothing = (): StepResult => ({ exitCode: 0, predicted: { assumed: [NO_PREDICTION] } });

export const runCommandLineHandler = defineHandler(runCommandLine, {
  canRun: ({ x }) => x.environment === 'FullOS',
  simulate: predictNothing,
  async run(ctx) {
    const { x } = ctx;
    refuseRunAs(x, '_SMSTSRunCommandLineAsUser', 'SMSTSRunCommandLineUserName');
    const command = x.commandLine.replace(RUN_PREFIX, '');
    if (!command.trim()) throw new StepFailure(WIN32.invalidParameter, 'the step has no command line');
    return runStep(ctx, {
      command,
      packageId: x.properties.PackageID?.trim() || undefined,
      workingDirectory: x.properties.WorkingDirectory,
      outputVariable: x.properties.SMSTSRunCommandLineOutputVariableName,
      what: 'the command',
    });
  },
});

/** `pwsh` on this host's PATH, or undefined. */
export function findPwsh(path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, 'pwsh');
    try {
      if (existsSync(p) && statSync(p).isFile() && (statSync(p).mode & 0o111) !== 0) return p;
    } catch {
      // unreadable folder on PATH
    }
  }
  return undefined;
}

export const runPowerShellScriptHandler = defineHandler(runPowerShellScript, {
  canRun: ({ x }) => x.environment === 'FullOS',
  simulate: predictNothing,
  async run(ctx) {
    const { x, content } = ctx;
    refuseRunAs(x, '_SMSTSRunPowerShellAsUser', 'SMSTSRunPowerShellUserName');
    const pwsh = findPwsh();
    if (!pwsh)
      throw new StepFailure(
        WIN32.fileNotFound,
        'Run PowerShell Script needs PowerShell, and the program pwsh is not installed on this host (not found on PATH)',
        'install PowerShell 7 (pwsh) where the agent runs, or use Run Command Line',
      );
    const packageId = x.properties.OSDRunPowerShellScriptPackageID?.trim() || undefined;
    const scriptName = x.properties.OSDRunPowerShellScriptScriptName?.trim() || undefined;
    const source = x.properties.OSDRunPowerShellScriptSourceScript?.trim() || undefined;
    const parameters = x.variables.expand(x.properties.OSDRunPowerShellScriptParameters ?? '');
    let scriptPath: string;
    let temp: string | undefined;
    if (source) {
      const text = decodeSourceScript(source);
      if (text === undefined) throw new StepFailure(WIN32.invalidData, "the step's script (SourceScript) is not base64 of UTF-16LE text");
      temp = mkdtempSync(join(tmpdir(), 'osd-ps-'));
      scriptPath = join(temp, 'script.ps1');
      writeFileSync(scriptPath, text);
    } else if (packageId && scriptName) {
      if (/(^|[\\/])\.\.([\\/]|$)/.test(scriptName) || /^[\\/]|:/.test(scriptName))
        throw new StepFailure(WIN32.invalidName, `the script name ${scriptName} must be a file of the package`);
      const p = join(content.packageFolder(packageId), ...scriptName.split(/[\\/]+/));
      if (!existsSync(p)) throw new StepFailure(WIN32.fileNotFound, `the package ${packageId} has no script ${scriptName}`);
      // The package is copied to the process's content folder ($OSD_CONTENT).
      scriptPath = `$OSD_CONTENT/${scriptName.split(/[\\/]+/).join('/')}`;
    } else throw new StepFailure(WIN32.invalidParameter, 'the step names no script: give a package and a script name, or type the script in');
    const policy = x.properties.OSDRunPowerShellScriptExecutionPolicy;
    if (policy) x.log(`The execution policy ${policy} has no effect with pwsh on this host`);
    try {
      // A package's script runs from the package's folder (the default working folder); a typed one by its full path.
      const file = temp ? `'${scriptPath.replace(/'/g, "'\\''")}'` : `"${scriptPath.replace(/(["\\`])/g, '\\$1')}"`;
      return await runStep(ctx, {
        command: `'${pwsh.replace(/'/g, "'\\''")}' -NoProfile -NonInteractive -File ${file}${parameters ? ` ${parameters}` : ''}`,
        packageId,
        workingDirectory: x.properties.SMSTSRunPowerShellWorkingDirectory,
        outputVariable: x.properties.OSDRunPowerShellScriptOutputVariableName,
        what: 'the PowerShell script',
      });
    } finally {
      if (temp) rmSync(temp, { recursive: true, force: true });
    }
  },
});
