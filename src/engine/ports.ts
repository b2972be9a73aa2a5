/**
 * The engine's ports: it runs steps through an Executor, keeps its state in a Journal, writes log
 * entries to a LogSink and status events to a StatusSink. The same engine runs for real (agent),
 * as a dry run (simulator) and in tests; only the adapters differ (DESIGN.md "Small ports").
 */
import type { Step } from '../sequence/model/task-sequence.js';
import type { PersistedEnvironment } from './environment.js';
import type { Instruction } from './program.js';

export type RunEnvironment = 'WinPE' | 'FullOS';
export type RestartTarget = 'WinPE' | 'HD';

/** What a step handler can do with variables while it runs. */
export interface StepVariables {
  /** Global environment first, then this step's own (non-hidden) defaults. */
  get(name: string): string | undefined;
  /**
   * Sets a global variable (outputs such as OSDTargetSystemDrive). `_` names throw ReadOnlyVariableError,
   * unless `builtIn`: a step's own read-only outputs (`_OSDStateStoreKey` …), which the engine's
   * components set in ConfigMgr and scripts cannot change.
   */
  set(name: string, value: string, options?: { secret?: boolean; builtIn?: boolean }): void;
  /** `%NAME%` expansion with the same lookup. */
  expand(text: string): string;
}

export interface StepExecution {
  instruction: Instruction;
  step: Step;
  /** The `<action>` command line with `%NAME%` references expanded. */
  commandLine: string;
  /** Each step property by variable name, resolved: a global variable of the same name overrides a non-hidden default (§6). */
  properties: Record<string, string>;
  variables: StepVariables;
  environment: RunEnvironment;
  /** Set when the step asked for a restart with `rerun` and is now running again after it. */
  resumed?: { stepState: unknown };
  /** Aborted when the step's time-out expires. */
  signal: AbortSignal;
  /** A line in smsts.log; `source` when it is another component's (e.g. `InstallSoftware`) or module's. */
  log(message: string, severity?: LogSeverity, source?: { component?: string; file?: string }): void;
  /**
   * The real engine's process lines, for an executor that actually starts the step's work (a
   * process, a handler) — never for a prediction (docs/smsts-log.md): "Executing command line: …
   * with options (0, 4)", "Process completed with exit code N", and for Run Command Line
   * "Command line … returned N". The command line is left out when OSDDoNotLogCommand is true.
   */
  processLog?: {
    started(file?: string): void;
    completed(exitCode: number, file?: string): void;
    returned(commandLine: string, exitCode: number, file?: string): void;
  };
}

export interface StepResult {
  /** Exit code as the process returned it (unsigned 32-bit when it came from an HRESULT). */
  exitCode: number;
  /** The step asks for a restart after it. `rerun`: run the same step again afterwards (Setup Windows and ConfigMgr). */
  restart?: { target: RestartTarget; rerun?: boolean; stepState?: unknown; reason?: string };
  /** One line for the log and status when the step failed. */
  message?: string;
  /**
   * Set when the step was not done but predicted — in the simulator, or for a step type nobody
   * can do on this computer — with what the prediction assumed (reports say so: DESIGN.md,
   * "failures that explain themselves"; issue 11 item 7).
   */
  predicted?: { assumed: string[] };
}

export interface Executor {
  execute(execution: StepExecution): Promise<StepResult>;
}

/** The engine's persisted state: enough for a new process to carry on (engine-semantics §7). */
export interface JournalState {
  format: 'openosd.journal/v1';
  /** The program's fingerprint: a journal never resumes a different task sequence. */
  fingerprint: string;
  /** Next instruction to process. */
  pointer: number;
  /** The same position in ConfigMgr's table numbering (group ends counted), as the last checkpoint logged it. */
  tablePointer?: number;
  status: 'running' | 'restarting' | 'succeeded' | 'failed';
  environment: PersistedEnvironment;
  /** A step that started and has not finished: found on resume, it was interrupted by an unexpected restart. */
  inProgress?: { pointer: number; attempt: number };
  /** Set while a restart the engine requested is pending. */
  restart?: { target: RestartTarget; rerun: boolean; stepState?: unknown; from: number };
  /** Unexpected-restart retries used per instruction index. */
  retries?: Record<string, number>;
  /** The final result once the sequence has ended. */
  result?: { exitCode: number; failedInstruction?: number };
  /** Count of journal writes, for the record. */
  sequence: number;
  /** The host's own state (e.g. the virtual machine's), saved atomically with the engine's. */
  host?: unknown;
}

export interface JournalStore {
  load(): Promise<JournalState | undefined>;
  /** Durable before it returns (the file adapter fsyncs). */
  save(state: JournalState): Promise<void>;
}

export type LogSeverity = 'verbose' | 'info' | 'warning' | 'error';

export interface LogEntry {
  time: Date;
  component: string;
  severity: LogSeverity;
  message: string;
  /** Source position, e.g. engine.ts:120. */
  file?: string;
}

export interface LogSink {
  write(entry: LogEntry): void;
}

export type StatusOutcome = 'started' | 'succeeded' | 'failed' | 'skipped' | 'restart-requested' | 'sequence-succeeded' | 'sequence-failed';

/** One status event, ready to be sent to a site (osd-features §4.7). */
export interface StatusEvent {
  time: string;
  outcome: StatusOutcome;
  pointer?: number;
  path?: string;
  name?: string;
  type?: string;
  kind?: 'group' | 'step';
  exitCode?: number;
  /** For a skip: why (disabled, or which condition was false and what it saw). */
  reason?: string;
  target?: RestartTarget;
  message?: string;
  /** For a step's succeeded/failed: it was only predicted, not done; and what the prediction assumed. */
  predicted?: boolean;
  assumed?: string[];
}

export interface StatusSink {
  emit(event: StatusEvent): void;
}
