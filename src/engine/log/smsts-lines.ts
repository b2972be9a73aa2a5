/**
 * The lines of smsts.log that admins and their scripts search for, in the real engine's words
 * (docs/smsts-log.md lists each with the corpus line it follows: `corpus/logs/configmgr-2019-smsts.log`).
 * One place for the texts, so the engine, the hosts and the tests (which check every shape
 * against the real log) agree. `file` names our module, never a ConfigMgr source file.
 *
 * Lines marked "corpus" are copied from the real log, typos included ("exeuction"); lines marked
 * "elsewhere" are real ConfigMgr lines seen outside the corpus (engine-semantics §11); lines
 * marked "ours" are this engine's own additions (what a prediction assumed, why a condition was
 * false), worded so no search for a real line matches them by accident.
 */
import type { LogSeverity } from '../ports.js';

export interface SmstsLine {
  message: string;
  severity: LogSeverity;
  /** Our module that writes it (the `file=` attribute). */
  file: string;
  /** Defaults to the writer's component (TSManager for the engine). */
  component?: string;
}

const line = (message: string, severity: LogSeverity, file: string, component?: string): SmstsLine => ({ message, severity, file, component });

/** The separators and banners, verbatim (corpus). */
export const STARS = '****************************************************************************';
export const ACTION_RULE = '!--------------------------------------------------------------------------------------------!';
export const TSMBOOTSTRAP_BANNER = '==============================[ TSMBootStrap.exe ]==============================';

const ENGINE = 'engine.ts';
const ENV = 'environment.ts';
const CONDITIONS = 'conditions';

export const SMSTS = {
  // ---- start (corpus: tsmanager.cpp, executionenv.cxx:486, engine.cxx:95)
  parsing: () => line('Parsing task sequence . . .', 'info', ENGINE),
  schemaVersion: (version: string) => line(`Task sequence schema version is ${version}`, 'verbose', ENGINE),
  startingEngine: () => line('Starting Task Sequence Engine . . . ', 'info', ENGINE),
  stars: () => line(STARS, 'info', ENGINE),
  nextInstructionPointer: (pointer: number) => line(`NextInstructionPointer: ${pointer}`, 'info', ENGINE),
  engineStarted: () => line('The task execution engine started execution', 'info', ENGINE),

  // ---- the host that starts the engine (corpus: TSMBootstrap, tsmbootstrap.cpp)
  bootstrapBanner: () => line(TSMBOOTSTRAP_BANNER, 'info', 'host', 'TSMBootstrap'),
  resumingInFullOs: () => line('Resuming Task Sequence in Full OS', 'info', 'host', 'TSMBootstrap'),
  startingManager: () => line('Starting Task Sequence Manager.', 'info', 'host', 'TSMBootstrap'),

  // ---- variables (corpus: executionenv.cxx:662, :390, :418, :694, :809, :835, :782)
  setGlobal: (name: string, value: string) => line(`Set a global environment variable ${name}=${value}`, 'verbose', ENV),
  setExecution: (name: string, value: string) => line(`Set a TS execution environment variable ${name}=${value}`, 'verbose', ENV),
  setLocalDefault: (name: string) => line(`Set a local default variable ${name}`, 'verbose', ENV),
  clearLocalDefaults: () => line('Clear local default environment', 'verbose', ENV),
  saveEnvironment: () => line('Save the current environment block', 'verbose', ENV),
  expand: (text: string) => line(`Expand a string: ${text}`, 'verbose', ENV),

  // ---- the instruction pointer (corpus: engine.cxx:144, the 2019 wording)
  instruction: (name: string, pointer: number) =>
    line(`Start executing an instruction. Instruction name: ${name}. Instruction pointer: ${pointer}`, 'info', ENGINE),

  // ---- conditions (corpus: tsexpreval.cpp; instruction.cxx:120, :696, :716)
  evaluating: (kind: string) => line(`Evaluating ${kind} expression`, 'info', CONDITIONS),
  conditionTrue: (kind: 'group' | 'action', name: string) => line(`The condition for the ${kind} (${name}) is evaluated to be true`, 'info', ENGINE),
  skippedCondition: (kind: 'group' | 'action', name: string) =>
    line(`The ${kind} (${name}) has been skipped because the condition is evaluated to be false`, 'info', ENGINE),
  /** Ours: which expression was false and what it saw (the real engine does not say). */
  conditionWhy: (why: string) => line(`Why the condition is false: ${why}`, 'info', CONDITIONS),
  skippedDisabled: (kind: 'group' | 'action', name: string) => line(`The ${kind} (${name}) has been skipped because it is disabled`, 'info', ENGINE),
  instructionSkipped: (name: string) => line(`Execution of the instruction (${name}) has been skipped`, 'info', ENGINE),

  // ---- groups (corpus: instruction.cxx:159, :348)
  groupStarted: (name: string) => line(`The group (${name}) has been successfully started`, 'info', ENGINE),
  groupCompleted: (name: string) => line(`The group (${name}) has been successfully completed`, 'info', ENGINE),

  // ---- an action (corpus: instruction.cxx:747, :779/:834, :875; CommandLine.cpp:822, :1136)
  startCommandLine: (commandLine: string) => line(`Start executing the command line: ${commandLine}`, 'info', ENGINE),
  actionRule: () => line(ACTION_RULE, 'info', ENGINE),
  executingCommandLine: (commandLine: string, file: string) => line(`Executing command line: ${commandLine} with options (0, 4)`, 'info', file),
  processCompleted: (exitCode: number, file: string) => line(`Process completed with exit code ${exitCode}`, 'info', file),
  /** Corpus: InstallSoftware (smsswd.exe, Run Command Line), runcommandline.cpp:429. */
  commandReturned: (commandLine: string, exitCode: number, file: string) =>
    line(`Command line ${commandLine} returned ${exitCode}`, 'info', file, 'InstallSoftware'),
  actionSucceeded: (name: string, code: string) => line(`Successfully completed the action (${name}) with the exit win32 code ${code}`, 'info', ENGINE),
  /** Ours (issue 11 item 7): a predicted step never reads as done. */
  actionPredicted: (name: string, code: string, assumed: string) =>
    line(`The action (${name}) was not run: its outcome was predicted, exit win32 code ${code}${assumed}`, 'info', ENGINE),
  actionPredictedFailure: (name: string, message: string | undefined, hexCode: string, assumed: string) =>
    line(
      `The action (${name}) was not run: it was predicted to fail.${message ? `\n${message}` : ''} (Error: ${hexCode}; Source: prediction${assumed})`,
      'error',
      ENGINE,
    ),
  /** Elsewhere (engine-semantics §11, MDT/ConfigMgr write-ups). */
  actionFailed: (name: string, message: string | undefined, hexCode: string) =>
    line(`Failed to run the action: ${name}.${message ? `\n${message}` : ''} (Error: ${hexCode}; Source: Windows)`, 'error', ENGINE),
  /** Elsewhere (searched for by admins' scripts; continue on error). */
  failureIgnored: (name: string) => line(`The execution engine ignored the failure of the action (${name}) and continues execution`, 'warning', ENGINE),
  letParentDecide: (group: string) => line(`Let the parent group (${group}) decide whether to continue execution`, 'info', ENGINE),
  groupFailed: (group: string) =>
    line(
      `The execution of the group (${group}) has failed and the execution has been aborted. An action failed.\nOperation aborted (Error: 80004004; Source: Windows)`,
      'error',
      ENGINE,
    ),

  // ---- restarts (corpus: engine.cxx:299, :500; elsewhere: the reboot request, the result code)
  requestedRetry: (name: string) => line(`The action (${name}) requested a retry`, 'info', ENGINE),
  initiatedReboot: (name: string) => line(`The action (${name}) initiated a reboot request`, 'info', ENGINE),
  rebootToHardDisk: () => line('Reboot to local harddisk', 'info', ENGINE),
  resultReboot: () => line('Execution engine result code: Reboot (2)', 'info', ENGINE),

  // ---- the end (corpus: engine.cxx:375 — its typo kept —, tsmanager.cpp:1275, :1279; elsewhere: the failure lines)
  engineCompleted: () => line('The task exeuction engine successfully completed the execution', 'info', ENGINE),
  resultSuccess: () => line('Execution engine result code: Success (0)', 'info', ENGINE),
  lastActionFailed: (name: string, message: string | undefined, hexCode: string) =>
    line(
      `Failed to run the last action: ${name}. Execution of task sequence failed.${message ? `\n${message}` : ''} (Error: ${hexCode}; Source: Windows)`,
      'error',
      ENGINE,
    ),
  engineFailed: () => line('Task Sequence Engine failed! Code: enExecutionFail', 'error', ENGINE),
  executionFailed: (hexCode: string) => line(`Task sequence execution failed with error code ${hexCode}`, 'error', ENGINE),
  resultFailure: () => line('Execution engine result code: Failure (1)', 'error', ENGINE),
} as const;

/** "Evaluating an AND expression", "… a WMI condition expression" (corpus) for a condition trace entry. */
export function evaluatingWords(kind: 'operator' | 'expression' | 'raw', type: string): string {
  if (kind === 'operator') return type.toLowerCase() === 'and' ? 'an AND' : type.toLowerCase() === 'or' ? 'an OR' : `a ${type.toUpperCase()}`;
  const words: Record<string, string> = {
    variable: 'a variable condition',
    wmi: 'a WMI condition',
    file: 'a file condition',
    folder: 'a folder condition',
    registry: 'a registry condition',
    software: 'a software condition',
  };
  return words[type.toLowerCase()] ?? `a ${type} condition`;
}
