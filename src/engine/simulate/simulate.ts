/**
 * `osd ts simulate`: runs the real engine with the predicting executor against a machine profile,
 * follows restarts, and explains every decision: for each instruction whether it ran, failed, was
 * skipped (and which expression was false, with the values it saw), was disabled, or was never
 * reached. Nothing touches a disk: the journal is in memory. The same loop runs `osd ts run` and
 * the lab with an executor that does some steps for real; every step's report says whether it
 * was done or only predicted, and what the prediction assumed.
 */
import { stepTypeOf } from '../../sequence/catalog/index.js';
import type { TaskSequence } from '../../sequence/model/task-sequence.js';
import { validateCondition } from '../conditions/index.js';
import type { HostFacts, InitialVariable } from '../engine.js';
import { Engine } from '../engine.js';
import { ENGINE_ERRORS, hex } from '../error-codes.js';
import { formatCmTrace } from '../log/cmtrace.js';
import type { SmstsLine } from '../log/smsts-lines.js';
import { SMSTS } from '../log/smsts-lines.js';
import type { MachineProfile } from '../machine-profile/index.js';
import { builtInVariablesFor, inventoryFor, parseMachineProfile, processEnvironmentFor } from '../machine-profile/index.js';
import { MemoryJournal } from '../memory-journal.js';
import type { Executor, JournalState, JournalStore, LogEntry, LogSink, RestartTarget, StatusEvent, StatusSink } from '../ports.js';
import { compileProgram } from '../program.js';
import type { ForcedExitCode } from './predicting-executor.js';
import { NO_PREDICTION, PredictingExecutor } from './predicting-executor.js';
import type { SimulatedMachine, StepSimulators } from './predictions.js';

export type InstructionOutcome = 'ran' | 'failed' | 'skipped' | 'disabled' | 'notReached';

export interface SimulatedInstruction {
  index: number;
  path: string;
  name: string;
  kind: 'group' | 'step';
  type?: string;
  outcome: InstructionOutcome;
  /** Why it was skipped / disabled / not reached, or why it failed. */
  reason?: string;
  exitCode?: number;
  /** What the step was predicted to do (variables it set, restarts). */
  effects?: string[];
  /** How many times it ran (more than once after a restart with rerun or a retry). */
  runs?: number;
  /** The step was not done, only predicted (its last run); `assumed` says what the prediction took for granted. */
  predicted?: boolean;
  assumed?: string[];
}

export interface SimulatedRestart {
  after: string;
  target: RestartTarget;
  /** Where the computer is after the restart. */
  environment: 'WinPE' | 'FullOS';
}

export interface SimulationReport {
  result: 'success' | 'failure';
  exitCode: number;
  /** The instruction the task sequence failed at. */
  failedAt?: string;
  message?: string;
  startedIn: 'WinPE' | 'FullOS';
  instructions: SimulatedInstruction[];
  reboots: SimulatedRestart[];
  /** Variables at the end, secrets masked. */
  variables: Record<string, string>;
  /** smsts.log of the run, CMTrace format. */
  log: string;
  /** A dry run (`osd ts simulate`): nothing was done, every step was predicted. */
  dryRun: boolean;
  /** Steps that ran (or failed) by being predicted, not done. */
  predictedSteps: number;
}

export type MediaType = 'BootMedia' | 'FullMedia' | 'PXE' | 'OEMMedia';

export interface SimulationOptions {
  profile: MachineProfile;
  /** The step handlers' predictions (src/actions/handlers/index.ts `stepSimulators`). */
  steps: StepSimulators;
  /** Variables as the site would give them (collection/device), in rising precedence. */
  variables?: InitialVariable[];
  fail?: ForcedExitCode[];
  /** How the task sequence starts: from media or PXE (in WinPE) — default: Software Center when the machine has an OS, else PXE. */
  mediaType?: MediaType;
  /** Stop following restarts after this many (a restart loop). */
  maxRestarts?: number;
  /** Where the engine keeps its state (default: in memory). A file journal makes the run resumable by another process. */
  journal?: JournalStore;
  /** Also send log entries here (e.g. an smsts.log file). */
  log?: LogSink;
  /** Also send every status event here (the agent's outbox to the site), as the engine emits it. */
  status?: StatusSink;
  /**
   * Wrap the predicting executor (e.g. run Run Command Line steps for real, or the lab's handlers).
   * What a step changes on the computer (its definition's `effects`) is tracked here, whoever ran it.
   */
  executor?: (predicting: Executor, machine: SimulatedMachine) => Executor;
  /** Called when the engine restarts the computer, before it comes up in its new environment (the lab flushes its disks). */
  restart?: (target: RestartTarget) => Promise<void>;
}

export class ConditionErrors extends Error {
  constructor(readonly problems: Array<{ path: string; construct: string; message: string; hint?: string }>) {
    super(problems.map((p) => `${p.path}: ${p.construct}: ${p.message}`).join('\n'));
    this.name = 'ConditionErrors';
  }
}

/** Conditions that cannot be evaluated are refused before simulating, never treated as true. */
export function checkConditions(ts: TaskSequence): void {
  const problems: ConditionErrors['problems'] = [];
  for (const ins of compileProgram(ts).instructions) {
    if (!ins.item.condition) continue;
    for (const e of validateCondition(ins.item.condition)) {
      problems.push({ path: ins.path, construct: e.construct, message: e.message, hint: e.hint });
    }
  }
  if (problems.length) throw new ConditionErrors(problems);
}

export async function simulate(ts: TaskSequence, options: SimulationOptions): Promise<SimulationReport> {
  checkConditions(ts);
  const profile = options.profile;
  const hasOs = profile.currentOs != null;
  const startEnv: 'WinPE' | 'FullOS' = options.mediaType || !hasOs ? 'WinPE' : 'FullOS';
  const mediaType = options.mediaType ?? (startEnv === 'WinPE' ? 'PXE' : undefined);
  const machine: SimulatedMachine = {
    environment: startEnv,
    osOnDisk: hasOs,
    partitioned: false,
    computerName: profile.currentOs?.computerName,
    timeZone: profile.currentOs?.timeZone,
    registeredOrganization: profile.currentOs?.registeredOrganization,
    registeredOwner: profile.currentOs?.registeredOwner,
    domain: profile.currentOs?.domain,
    workgroup: profile.currentOs?.workgroup,
    clientInstalled: hasOs && !mediaType,
    inventory: () => facts().inventory,
  };
  // In the full OS after this task sequence applied an image, the OS is the new one, not the old.
  const effectiveProfile = (): MachineProfile => {
    if (machine.environment !== 'FullOS') return machine.partitioned ? { ...profile, currentOs: null } : profile;
    if (profile.currentOs && !machine.partitioned && !machine.imageApplied) return profile;
    return deployedProfile(profile);
  };
  const facts = (): HostFacts => {
    const env = machine.environment === 'WinPE' ? 'winpe' : 'fullos';
    const p = effectiveProfile();
    const builtIns = { ...builtInVariablesFor(p, env) };
    if (mediaType) builtIns._SMSTSMediaType = mediaType;
    builtIns._SMSTSLaunchMode = mediaType === 'PXE' ? 'PXE' : mediaType ? 'UFD' : 'SMS';
    // Started from Software Center, content goes to the client cache, so the partition steps'
    // `_SMSTSClientCache notExists` guard keeps the disk (osd-features §5.4). The deployment
    // option "access content directly from a distribution point" is not modelled.
    if (!mediaType) builtIns._SMSTSClientCache = 'C:\\Windows\\ccmcache';
    builtIns._SMSTSType = '2';
    return {
      environment: machine.environment,
      builtIns,
      inventory: inventoryFor(p, env),
      processEnvironment: processEnvironmentFor(p, env),
      logPath: () => logFolder(machine),
    };
  };

  // The virtual computer's state travels in the journal, so a resumed run (another process) sees it.
  const store = options.journal ?? new MemoryJournal();
  const journal: JournalStore = {
    load: async () => {
      const state = await store.load();
      const host = state?.host as Partial<Pick<SimulatedMachine, 'environment' | 'osOnDisk' | 'partitioned' | 'imageApplied' | 'clientInstalled'>> | undefined;
      if (host) Object.assign(machine, host);
      // A restart was requested and not yet taken: the computer comes up where it was sent.
      if (state?.status === 'restarting' && state.restart) machine.environment = state.restart.target === 'WinPE' ? 'WinPE' : 'FullOS';
      return state;
    },
    save: async (state: JournalState) => {
      state.host = {
        environment: machine.environment,
        osOnDisk: machine.osOnDisk,
        partitioned: machine.partitioned,
        imageApplied: machine.imageApplied,
        clientInstalled: machine.clientInstalled,
      };
      await store.save(state);
    },
  };
  const predicting = new PredictingExecutor(machine, options.steps, profile, options.fail ?? []);
  const inner = options.executor ? options.executor(predicting, machine) : predicting;
  // What a step that succeeded changed on the computer, from its definition (never its name).
  const executor: Executor = {
    execute: async (x) => {
      const result = await inner.execute(x);
      const effects = result.exitCode === 0 ? stepTypeOf(x.step.type)?.effects : undefined;
      // The step that completes in the new OS after its restart (Setup Windows and ConfigMgr) has
      // installed the client once it succeeds there: the log folder is the client's from then on (§7, osd-features §6.1).
      if (result.exitCode === 0 && x.resumed && x.environment === 'FullOS' && stepTypeOf(x.step.type)?.restarts?.completesAfter) machine.clientInstalled = true;
      if (effects?.partitions) {
        machine.partitioned = true;
        machine.osOnDisk = false;
        if (result.predicted) predicting.note(x.instruction.index, 'wipes the disk: no operating system on it any more');
      }
      if (effects?.osOnDisk) {
        machine.osOnDisk = true;
        machine.imageApplied = true;
        if (result.predicted) predicting.note(x.instruction.index, 'applies the image: an operating system is now on the disk');
      }
      return result;
    },
  };
  const events: StatusEvent[] = [];
  const logLines: string[] = [];
  const logSink = {
    write: (e: LogEntry) => {
      logLines.push(formatCmTrace(e, { utcOffsetMinutes: 0, thread: 1 }));
      options.log?.write(e);
    },
  };
  // Resuming a run that another process started: pick up the machine's state before the first facts.
  const initial = await journal.load();
  let resuming = initial !== undefined;
  const finishedBefore = initial?.status === 'succeeded' || initial?.status === 'failed';
  const reboots: SimulatedRestart[] = [];
  const maxRestarts = options.maxRestarts ?? 50;
  let outcome;
  let engine: Engine;
  let failure: { exitCode: number; message: string; at?: string } | undefined;
  for (;;) {
    // The host's own lines before each start of the engine (corpus: TSMBootstrap).
    if (!finishedBefore) {
      for (const l of bootstrapLines(machine.environment, resuming))
        logSink.write({ time: new Date(), component: l.component ?? 'TSMBootstrap', severity: l.severity, message: l.message, file: l.file });
    }
    resuming = true;
    engine = new Engine({
      sequence: ts,
      executor,
      journal,
      log: logSink,
      status: {
        emit: (e) => {
          events.push(e);
          options.status?.emit(e);
        },
      },
      host: facts(),
      initialVariables: options.variables,
    });
    outcome = await engine.run();
    if (outcome.kind === 'finished') break;
    if (reboots.length >= maxRestarts) {
      failure = {
        exitCode: ENGINE_ERRORS.executorError.code,
        message: `stopped after ${maxRestarts} restarts: the task sequence restarts in a loop`,
        at: outcome.instruction.path,
      };
      break;
    }
    if (outcome.target === 'HD' && !machine.osOnDisk) {
      // A restart target must be bootable, or the TS fails whatever the error handling (§7).
      failure = {
        exitCode: ENGINE_ERRORS.notBootable.code,
        message: `"${outcome.instruction.item.name}" restarts into the installed operating system, but there is none on the disk: ${ENGINE_ERRORS.notBootable.hint}`,
        at: outcome.instruction.path,
      };
      reboots.push({ after: outcome.instruction.path, target: outcome.target, environment: machine.environment });
      break;
    }
    await options.restart?.(outcome.target);
    machine.environment = outcome.target === 'WinPE' ? 'WinPE' : 'FullOS';
    // The WinPE → OS step that completes in the new OS (Setup Windows and ConfigMgr) installs the client before it resumes (§7).
    const into = stepTypeOf((outcome.instruction.item as { type?: string }).type)?.restarts;
    if (machine.environment === 'FullOS' && outcome.rerun && into?.completesAfter) machine.clientInstalled = true;
    reboots.push({ after: outcome.instruction.path, target: outcome.target, environment: machine.environment });
  }

  const instructions = explain(engine.program.instructions, events, predicting.notes);
  const predictedSteps = instructions.filter((i) => i.kind === 'step' && i.predicted && (i.outcome === 'ran' || i.outcome === 'failed')).length;
  const finished = outcome.kind === 'finished' ? outcome : undefined;
  const succeeded = !failure && finished?.succeeded === true;
  const exitCode = failure ? failure.exitCode : (finished?.exitCode ?? 0);
  const failedAt = failure?.at ?? finished?.failedInstruction?.path;
  return {
    result: succeeded ? 'success' : 'failure',
    exitCode,
    failedAt,
    message: failure?.message ?? (succeeded ? undefined : `failed with ${hex(exitCode)} at "${failedAt}"`),
    startedIn: startEnv,
    instructions,
    reboots,
    variables: engine.variables(true),
    log: logLines.join(''),
    dryRun: options.executor === undefined,
    predictedSteps,
  };
}

/**
 * The folder smsts.log is in, by phase (osd-features §6.1 [D]): Windows PE before the disk is
 * partitioned, Windows PE after it, the new OS before and after the ConfigMgr client. (The real log
 * of the corpus still says `X:\WINDOWS\TEMP\SMSTSLog` after partitioning, on a run that
 * downloaded content to C:; we follow the documented table.)
 */
export function logFolder(machine: Pick<SimulatedMachine, 'environment' | 'partitioned' | 'clientInstalled'>): string {
  if (machine.environment === 'WinPE') return machine.partitioned ? 'X:\\SMSTSLog' : 'X:\\Windows\\Temp\\SMSTSLog';
  return machine.clientInstalled ? 'C:\\Windows\\CCM\\Logs\\SMSTSLog' : 'C:\\_SMSTaskSequence\\Logs\\Smstslog';
}

/** What TSMBootstrap writes before it starts the engine (corpus: its banner, "Resuming Task Sequence in Full OS"). */
export function bootstrapLines(environment: 'WinPE' | 'FullOS', resuming: boolean): SmstsLine[] {
  const lines = [SMSTS.bootstrapBanner()];
  if (resuming && environment === 'FullOS') lines.push(SMSTS.resumingInFullOs());
  lines.push(SMSTS.startingManager());
  return lines;
}

/**
 * The computer after this task sequence installed Windows: the new OS on C: of disk 0 (the
 * partition layout is the usual one for the firmware; the simulator does not model sizes).
 * Built through the profile schema so every derived field has its documented default.
 */
function deployedProfile(profile: MachineProfile): MachineProfile {
  const name = profile.currentOs?.computerName ?? `PC-${(profile.serialNumber ?? 'NEW').replace(/[^A-Za-z0-9]/g, '').slice(0, 12)}`;
  const uefi = profile.firmware === 'uefi';
  const diskSize = profile.disks[0]?.size ?? 256 * 1024 ** 3;
  const stub = {
    schema: 'openosd.machine-profile/v1',
    name: 'deployed operating system',
    make: profile.make,
    model: profile.model,
    architecture: profile.architecture,
    firmware: profile.firmware,
    disks: [
      {
        index: 0,
        size: diskSize,
        partitionStyle: uefi ? 'gpt' : 'mbr',
        partitions: uefi
          ? [
              { type: 'efi', size: '500 MiB', fileSystem: 'FAT32' },
              { type: 'msr', size: '128 MiB' },
              { type: 'basic', size: 'remaining', fileSystem: 'NTFS', driveLetter: 'C:', label: 'Windows' },
            ]
          : [
              { type: 'basic', size: '350 MiB', fileSystem: 'NTFS', label: 'System Reserved' },
              { type: 'basic', size: 'remaining', fileSystem: 'NTFS', driveLetter: 'C:', label: 'Windows' },
            ],
      },
    ],
    currentOs: { caption: 'Microsoft Windows (deployed by this task sequence)', version: '10.0.22631', computerName: name, architecture: profile.architecture },
  };
  const deployed = parseMachineProfile(JSON.stringify(stub), 'deployed operating system');
  return { ...profile, disks: [deployed.disks[0], ...profile.disks.slice(1)], currentOs: deployed.currentOs };
}

function explain(program: Engine['program']['instructions'], events: StatusEvent[], notes: Map<number, string[]>): SimulatedInstruction[] {
  const out: SimulatedInstruction[] = program.map((ins) => ({
    index: ins.index,
    path: ins.path,
    name: ins.item.name,
    kind: ins.kind,
    type: ins.kind === 'step' ? (ins.item as { type?: string }).type : undefined,
    outcome: 'notReached' as InstructionOutcome,
  }));
  for (const e of events) {
    if (e.pointer === undefined) continue;
    const r = out[e.pointer];
    switch (e.outcome) {
      case 'skipped':
        r.outcome = e.reason === 'disabled' ? 'disabled' : 'skipped';
        r.reason = e.reason === 'disabled' ? 'disabled' : e.reason?.replace(/^condition false: /, 'condition is false: ');
        break;
      case 'started':
        if (r.kind === 'group') r.outcome = 'ran';
        if (r.kind === 'step') r.runs = (r.runs ?? 0) + 1;
        break;
      case 'succeeded':
        r.outcome = 'ran';
        r.exitCode = e.exitCode;
        r.reason = undefined;
        predictedOrDone(r, e);
        break;
      case 'failed':
        r.outcome = 'failed';
        r.exitCode = e.exitCode;
        r.reason = e.message ? `exit code ${hex(e.exitCode ?? 0)}: ${e.message}` : `exit code ${hex(e.exitCode ?? 0)}`;
        predictedOrDone(r, e);
        break;
      case 'restart-requested':
        (r.effects ??= []).push(`restarts the computer into ${e.target === 'WinPE' ? 'Windows PE' : 'the installed OS'}`);
        break;
    }
  }
  for (const [index, list] of notes) (out[index].effects ??= []).push(...list);
  // Inside a group that was skipped or disabled, children share its fate (with the reason).
  for (const ins of program) {
    const r = out[ins.index];
    if (r.outcome !== 'notReached' || ins.parent === -1) continue;
    const p = out[ins.parent];
    if (p.outcome === 'disabled') {
      r.outcome = 'disabled';
      r.reason = `in disabled group "${p.name}"`;
    } else if (p.outcome === 'skipped') {
      r.outcome = 'skipped';
      r.reason = `group "${p.name}" was skipped`;
    }
  }
  return out;
}

/** The last run of a step decides: done, or predicted with what was assumed. */
function predictedOrDone(r: SimulatedInstruction, e: StatusEvent): void {
  if (e.predicted) {
    r.predicted = true;
    r.assumed = e.assumed?.length ? [...e.assumed] : undefined;
  } else {
    r.predicted = undefined;
    r.assumed = undefined;
  }
}

export { NO_PREDICTION };

/** Parses `NAME=VALUE` (for --var and --fail). */
export function parseAssignment(text: string, what: string): { name: string; value: string } {
  const at = text.indexOf('=');
  if (at <= 0) throw new Error(`${what} "${text}" is not NAME=VALUE`);
  return { name: text.slice(0, at).trim(), value: text.slice(at + 1) };
}
