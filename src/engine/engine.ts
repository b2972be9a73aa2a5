/**
 * The task sequence engine: the run loop of engine-semantics §3 over the instruction list, with
 * conditions evaluated when reached, continue-on-error propagation, success codes,
 * `_SMSTSLastAction*`, time-outs, run-in checks, restarts and a journal that lets a new process
 * carry on after a restart or a crash (§7).
 *
 * One `run()` call runs until the sequence ends or a restart is needed; the host then restarts
 * the (virtual) computer and calls `run()` on a new Engine with the same journal.
 */
import { stepTypeOf } from '../sequence/catalog/index.js';
import type { Condition, ConditionNode, Step, TaskSequence } from '../sequence/model/task-sequence.js';
import { continuesOnError, isDisabled, runInOf, successCodesOf } from '../sequence/model/options.js';
import { evaluateCondition, explainFalse } from './conditions/index.js';
import { MASK } from '../sequence/secrets.js';
import { Environment, expandVariables, ReadOnlyVariableError, scrubSecrets } from './environment.js';
import { ENGINE_ERRORS, hex, unsigned } from './error-codes.js';
import type { MachineInventory } from './inventory.js';
import type { SmstsLine } from './log/smsts-lines.js';
import { evaluatingWords, SMSTS } from './log/smsts-lines.js';
import type {
  Executor,
  JournalState,
  JournalStore,
  LogSeverity,
  LogSink,
  RestartTarget,
  RunEnvironment,
  StatusEvent,
  StatusSink,
  StepExecution,
  StepResult,
  StepVariables,
} from './ports.js';
import type { Instruction, Program } from './program.js';
import { compileProgram } from './program.js';

export interface InitialVariable {
  name: string;
  value: string;
  secret?: boolean;
}

/** What the computer looks like right now; the host recomputes it after every (re)start. */
export interface HostFacts {
  environment: RunEnvironment;
  /** Read-only built-ins derived from the machine (_SMSTSInWinPE, _SMSTSBootUEFI, _SMSTSMake, …). */
  builtIns: Record<string, string>;
  inventory: MachineInventory;
  /** Process environment for %comspec%-style references (engine-semantics §6). */
  processEnvironment?: Record<string, string>;
  /**
   * The folder smsts.log is in now, as Windows would name it (`X:\Windows\Temp\SMSTSLog` …,
   * osd-features §6.1): the engine sets `_SMSTSLogPath` from it at the start and before each step,
   * as the real engine does, since the folder moves while a boot lasts (after partitioning).
   */
  logPath?: () => string | undefined;
}

export interface EngineOptions {
  sequence: TaskSequence;
  executor: Executor;
  journal: JournalStore;
  log?: LogSink;
  status?: StatusSink;
  host: HostFacts;
  /**
   * Variables of the first start, in rising precedence: collection variables (by priority),
   * device variables, media/prestart variables (engine-semantics §2). Ignored on resume.
   */
  initialVariables?: InitialVariable[];
  /** Test hook: a clock. */
  now?: () => Date;
}

export type RunOutcome =
  | { kind: 'finished'; succeeded: boolean; exitCode: number; failedInstruction?: Instruction }
  | { kind: 'restart'; target: RestartTarget; instruction: Instruction; rerun: boolean };

export class EngineStateError extends Error {}

/**
 * The strings the real engine expands for a condition expression, in its order (corpus:
 * `Expand a string: _SMSTSLaunchMode`, `… PXE` for a variable; `… root\cimv2`, `… select …` for WMI).
 */
function expandedStrings(condition: Condition, path: number[], type: string): string[] {
  let nodes: ConditionNode[] = condition.operands;
  let node: ConditionNode | undefined;
  for (const i of path) {
    node = nodes[i];
    if (!node || node.kind !== 'operator') {
      nodes = [];
      continue;
    }
    nodes = node.operands;
  }
  if (!node || node.kind !== 'expression') return [];
  const value = (name: string): string => node.properties.find((p) => p.name.toLowerCase() === name.toLowerCase())?.value ?? '';
  const kind = type.toLowerCase();
  if (kind === 'variable') return [value('Variable'), value('Value')];
  if (kind === 'wmi') return [value('Namespace'), value('Query')];
  return [];
}

const COMPONENT = 'TSManager';

export class Engine {
  readonly program: Program;
  private env!: Environment;
  private state!: JournalState;
  private readonly now: () => Date;

  constructor(private readonly options: EngineOptions) {
    this.program = compileProgram(options.sequence);
    this.now = options.now ?? (() => new Date());
  }

  /** The variables as they stand (secrets masked unless asked otherwise). */
  variables(maskSecrets = true): Record<string, string> {
    return this.env.snapshot({ maskSecrets });
  }

  private log(message: string, severity: LogSeverity = 'info', file = 'engine.ts', component = COMPONENT): void {
    const sink = this.options.log;
    if (!sink) return;
    const secrets = this.env ? this.env.secretValues() : [];
    sink.write({ time: this.now(), component, severity, message: secrets.length ? scrubSecrets(message, secrets) : message, file });
  }

  /** One of the real engine's lines (log/smsts-lines.ts). */
  private line(l: SmstsLine): void {
    this.log(l.message, l.severity, l.file, l.component ?? COMPONENT);
  }

  /** Every variable the engine (or a step) sets is a verbose line, secrets masked (engine-semantics §11). */
  private watch(env: Environment): Environment {
    env.observe((name, value, secret) => this.line(SMSTS.setGlobal(name, secret && value ? MASK : value)));
    return env;
  }

  /** Where an index of ours is in ConfigMgr's instruction table (group ends counted). */
  private tablePointerOf(index: number): number {
    const ins = this.program.instructions;
    return index < ins.length ? ins[index].tablePointer : this.program.tableSize;
  }

  /** The groups that hold a position, outermost first, by table pointer (`_SMSTSInstructionStackString`). */
  private stackOf(group: number): string {
    const ins = this.program.instructions;
    const out: number[] = [];
    for (let g = group; g !== -1; g = ins[g].parent) out.unshift(ins[g].tablePointer);
    return out.join(' ');
  }

  /** The lines of an instruction's start (corpus: the retry count, the pointer line, the action name, the pointer). */
  private beginInstruction(name: string, tablePointer: number, index?: number): void {
    this.env.setBuiltIn('_SMSTSLastActionRetryCount', String((index !== undefined ? this.state.retries?.[index] : undefined) ?? 0));
    this.line(SMSTS.instruction(name, tablePointer));
    this.env.setBuiltIn('_SMSTSCurrentActionName', name);
    this.env.setBuiltIn('_SMSTSNextInstructionPointer', String(tablePointer));
  }

  /**
   * The engine saves its state between instructions (corpus: "Set a TS execution environment
   * variable _SMSTSNextInstructionPointer=N", the group stack, "Save the current environment block").
   */
  private async checkpoint(nextIndex: number, nextTablePointer: number, stackGroup: number): Promise<void> {
    const stack = this.stackOf(stackGroup);
    this.env.setBuiltIn('_SMSTSNextInstructionPointer', String(nextTablePointer));
    this.line(SMSTS.setExecution('_SMSTSNextInstructionPointer', String(nextTablePointer)));
    this.env.setBuiltIn('_SMSTSInstructionStackString', stack);
    this.line(SMSTS.setExecution('_SMSTSInstructionStackString', stack));
    this.line(SMSTS.saveEnvironment());
    this.state.pointer = nextIndex;
    this.state.tablePointer = nextTablePointer;
    await this.save();
  }

  /**
   * On resume: the group ends between the last checkpoint's table pointer and the journal's next
   * instruction were not written yet (a restart after a group's last step, or a kill just after
   * the step's checkpoint). They run now, innermost first, as the real engine resumes at them.
   */
  private async closePendingGroups(fromTable: number, to: number): Promise<void> {
    const toTable = this.tablePointerOf(to);
    const pending = this.program.instructions
      .filter((g) => g.tableEnd !== undefined && g.tableEnd >= fromTable && g.tableEnd < toTable)
      .sort((a, b) => a.tableEnd! - b.tableEnd!);
    for (const group of pending) {
      this.beginInstruction(group.item.name, group.tableEnd!);
      this.line(SMSTS.groupCompleted(group.item.name));
      this.status({ outcome: 'succeeded' }, group);
      await this.checkpoint(to, group.tableEnd! + 1, group.parent);
    }
  }

  /**
   * Groups whose last child is behind us close with their own instruction (ConfigMgr's table has
   * one per group end): "The group (X) has been successfully completed". `from` is the group itself
   * when it was just entered (an empty group closes at once), else the item whose parent to start at.
   */
  private async closeGroups(from: { index: number; entered: boolean }, to: number): Promise<void> {
    const ins = this.program.instructions;
    let g = from.entered ? from.index : ins[from.index].parent;
    while (g !== -1 && ins[g].end < to) {
      const group = ins[g];
      this.beginInstruction(group.item.name, group.tableEnd!);
      this.line(SMSTS.groupCompleted(group.item.name));
      this.status({ outcome: 'succeeded' }, group);
      await this.checkpoint(to, group.tableEnd! + 1, group.parent);
      g = group.parent;
    }
  }

  private setLogPath(): void {
    const path = this.options.host.logPath?.();
    if (path) this.env.setBuiltIn('_SMSTSLogPath', path);
  }

  /** The real engine's start lines (corpus: TSManager after TSMBootstrap started it). */
  private startLines(): void {
    this.line(SMSTS.parsing());
    if (this.options.sequence.version) this.line(SMSTS.schemaVersion(this.options.sequence.version));
    this.line(SMSTS.startingEngine());
    this.line(SMSTS.stars());
  }

  private status(event: Omit<StatusEvent, 'time'>, ins?: Instruction): void {
    const sink = this.options.status;
    if (!sink) return;
    const base: Partial<StatusEvent> = ins
      ? { pointer: ins.index, path: ins.path, name: ins.item.name, kind: ins.kind, type: ins.kind === 'step' ? (ins.item as Step).type : undefined }
      : {};
    const secrets = this.env ? this.env.secretValues() : [];
    const scrub = (s: string | undefined): string | undefined => (s && secrets.length ? scrubSecrets(s, secrets) : s);
    sink.emit({ time: this.now().toISOString(), ...base, ...event, reason: scrub(event.reason), message: scrub(event.message) });
  }

  private async save(): Promise<void> {
    this.state.environment = this.env.persist();
    this.state.sequence++;
    await this.options.journal.save(this.state);
  }

  private applyBuiltIns(): void {
    for (const [k, v] of Object.entries(this.options.host.builtIns)) this.env.setBuiltIn(k, v);
    this.env.setBuiltIn('_SMSTSInWinPE', this.options.host.environment === 'WinPE' ? 'true' : 'false');
  }

  async run(): Promise<RunOutcome> {
    const ins = this.program.instructions;
    const loaded = await this.options.journal.load();
    let resumed: { pointer: number; stepState: unknown } | undefined;
    let pointer: number;
    let from: { index: number; entered: boolean } | undefined;
    if (!loaded) {
      this.startLines();
      this.env = this.watch(new Environment());
      this.applyBuiltIns();
      this.env.setBuiltIn('_SMSTSLastActionSucceeded', 'true');
      // globalVarList first, so every later source overrides it (task-sequence-format §11.5, our choice).
      for (const v of this.options.sequence.globalVariables ?? []) {
        if (!v.name.startsWith('_')) this.env.set(v.name, v.value);
      }
      for (const v of this.options.initialVariables ?? []) {
        if (v.name.trim().startsWith('_')) this.env.setBuiltIn(v.name, v.value);
        else this.env.set(v.name, v.value, { secret: v.secret });
      }
      this.state = {
        format: 'openosd.journal/v1',
        fingerprint: this.program.fingerprint,
        pointer: 0,
        status: 'running',
        environment: this.env.persist(),
        sequence: 0,
      };
      this.env.setBuiltIn('_SMSTSInstructionTableSize', String(this.program.tableSize));
      this.setLogPath();
      this.line(SMSTS.engineStarted());
      await this.save();
      pointer = 0;
    } else {
      if (loaded.fingerprint !== this.program.fingerprint) {
        throw new EngineStateError('the journal belongs to a different task sequence: remove it to start afresh');
      }
      this.state = loaded;
      this.env = Environment.restore(loaded.environment);
      if (loaded.status === 'succeeded' || loaded.status === 'failed') {
        const exitCode = loaded.result?.exitCode ?? 0;
        const failed = loaded.result?.failedInstruction;
        return { kind: 'finished', succeeded: loaded.status === 'succeeded', exitCode, failedInstruction: failed === undefined ? undefined : ins[failed] };
      }
      this.startLines();
      // After a restart: the step again, or the instruction after it in the table (a group's end, maybe).
      const restartedAt = loaded.restart ? ins[loaded.restart.from] : undefined;
      const resumeAt = loaded.tablePointer ?? (restartedAt ? restartedAt.tablePointer + (loaded.restart!.rerun ? 0 : 1) : this.tablePointerOf(loaded.pointer));
      this.line(SMSTS.nextInstructionPointer(resumeAt));
      this.watch(this.env);
      this.env.setBuiltIn('_SMSTSInstructionTableSize', String(this.program.tableSize));
      this.applyBuiltIns();
      this.setLogPath();
      this.line(SMSTS.engineStarted());
      pointer = loaded.pointer;
      if (loaded.restart) {
        const r = loaded.restart;
        this.log(
          `The task sequence resumed after the restart requested by (${ins[r.from]?.item.name ?? '?'}), in ${this.options.host.environment === 'WinPE' ? 'Windows PE' : 'the full OS'}`,
        );
        if (r.rerun) {
          pointer = r.from;
          resumed = { pointer: r.from, stepState: r.stepState };
        } else if (ins[r.from] && loaded.tablePointer === undefined) {
          // A journal of before table pointers: the groups the restarting step was the last of close now.
          from = { index: r.from, entered: false };
        }
        this.state.restart = undefined;
        this.state.status = 'running';
      } else if (loaded.inProgress) {
        // The computer restarted (or the engine was killed) while a step ran (§7).
        const { pointer: at } = loaded.inProgress;
        const instruction = ins[at];
        const step = instruction.item as Step;
        const used = loaded.retries?.[at] ?? 0;
        // Steps that are safe to repeat by nature (their definition says so: they only set variables
        // or ask for a restart) run again; others only with "retry this step" (§7, [I], docs/decisions.md).
        const allowed = stepTypeOf(step.type)?.rerunAfterUnexpectedRestart ? Math.max(step.retryCount ?? 0, 5) : (step.retryCount ?? 0);
        this.state.inProgress = undefined;
        if (used < allowed) {
          this.state.retries = { ...loaded.retries, [at]: used + 1 };
          this.log(`The computer restarted unexpectedly while (${step.name}) was running; retrying it (${used + 1} of ${allowed})`, 'warning');
          pointer = at;
        } else {
          this.log(`The computer restarted unexpectedly while (${step.name}) was running, and the step does not retry after a restart`, 'error');
          const outcome = await this.afterStep(instruction, {
            exitCode: ENGINE_ERRORS.unexpectedRestart.code,
            message: 'the computer restarted unexpectedly during the step',
          });
          if (outcome.kind !== 'next') return outcome.result;
          pointer = outcome.pointer;
          from = outcome.from;
        }
      }
      const pending = loaded.restart ? !loaded.restart.rerun : !loaded.inProgress;
      if (pending && loaded.tablePointer !== undefined) await this.closePendingGroups(loaded.tablePointer, pointer);
    }

    for (;;) {
      // Every way round the loop sets `from` to where it left off.
      if (from) await this.closeGroups(from, pointer);
      if (pointer >= ins.length) break;
      const instruction = ins[pointer];
      const item = instruction.item;
      const kind = instruction.kind === 'group' ? 'group' : 'action';
      this.beginInstruction(item.name, instruction.tablePointer, pointer);
      const isResumedStep = resumed?.pointer === pointer;
      if (!isResumedStep) {
        if (isDisabled(item)) {
          this.line(SMSTS.skippedDisabled(kind, item.name));
          this.line(SMSTS.instructionSkipped(item.name));
          this.status({ outcome: 'skipped', reason: 'disabled' }, instruction);
          from = { index: pointer, entered: false };
          pointer = instruction.end + 1;
          continue;
        }
        if (item.condition) {
          const outcome = evaluateCondition(item.condition, {
            variable: (n) => this.env.get(n),
            expand: (t) => this.expand(t),
            inventory: this.options.host.inventory,
          });
          for (const t of outcome.trace) {
            this.line(SMSTS.evaluating(evaluatingWords(t.kind, t.type)));
            for (const text of expandedStrings(item.condition, t.path, t.type)) this.line(SMSTS.expand(text));
          }
          for (const e of outcome.errors) {
            this.log(`The condition of (${item.name}) contains ${e.construct} that cannot be evaluated: ${e.message}; it counts as false`, 'warning');
          }
          if (!outcome.value) {
            const why = explainFalse(outcome);
            this.line(SMSTS.skippedCondition(kind, item.name));
            this.line(SMSTS.conditionWhy(why));
            this.line(SMSTS.instructionSkipped(item.name));
            this.status({ outcome: 'skipped', reason: `condition false: ${why}` }, instruction);
            from = { index: pointer, entered: false };
            pointer = instruction.end + 1;
            continue;
          }
          this.line(SMSTS.conditionTrue(kind, item.name));
        }
      }
      if (instruction.kind === 'group') {
        this.line(SMSTS.groupStarted(item.name));
        this.status({ outcome: 'started' }, instruction);
        await this.checkpoint(pointer + 1, instruction.tablePointer + 1, pointer);
        from = { index: pointer, entered: true };
        pointer++;
        continue;
      }
      const result = await this.executeStep(instruction, isResumedStep ? resumed!.stepState : undefined, isResumedStep);
      resumed = undefined;
      const next = await this.afterStep(instruction, result);
      if (next.kind !== 'next') return next.result;
      pointer = next.pointer;
      from = next.from;
    }
    return this.finish(true, 0);
  }

  private expand(text: string, local?: Map<string, string>): string {
    const penv = this.options.host.processEnvironment;
    return expandVariables(
      text,
      (n) => this.env.get(n) ?? local?.get(n.toLowerCase()),
      penv ? (n) => penv[n] ?? penv[Object.keys(penv).find((k) => k.toLowerCase() === n.toLowerCase()) ?? ''] : undefined,
    );
  }

  private async executeStep(instruction: Instruction, stepState: unknown, isResumed: boolean): Promise<StepResult> {
    const step = instruction.item as Step;
    // Step defaults (§6): non-hidden properties are defaults a global variable of the same name overrides.
    const local = new Map<string, string>();
    const properties: Record<string, string> = {};
    for (const v of step.variables ?? []) {
      const global = v.hidden ? undefined : this.env.get(v.name);
      properties[v.name] = global ?? v.value;
      if (!v.hidden && global === undefined && v.value !== '') {
        local.set(v.name.toLowerCase(), v.value);
        this.line(SMSTS.setLocalDefault(v.name));
      }
    }
    this.setLogPath();
    const commandLine = this.expand(step.action ?? '', local);
    // OSDDoNotLogCommand=true keeps the command line out of the log (engine-semantics §10).
    const logCommand = !/^true$/i.test(this.env.get('OSDDoNotLogCommand') ?? '');
    if (logCommand) {
      this.line(SMSTS.expand(step.action ?? ''));
      this.line(SMSTS.startCommandLine(commandLine));
    }
    this.line(SMSTS.actionRule());
    // Where the step may run is checked inside the rules, as the corpus expands `runIn` there.
    const runIn = runInOf(step);
    this.line(SMSTS.expand(runIn));
    const here = this.options.host.environment;
    if ((runIn === 'WinPE' && here !== 'WinPE') || (runIn === 'FullOS' && here !== 'FullOS')) {
      const where = here === 'WinPE' ? 'Windows PE' : 'the full OS';
      return {
        exitCode: ENGINE_ERRORS.wrongEnvironment.code,
        message: `the step can run only in ${runIn === 'WinPE' ? 'Windows PE' : 'the full OS'}, and the computer is in ${where}`,
      };
    }
    this.state.inProgress = { pointer: instruction.index, attempt: (this.state.retries?.[instruction.index] ?? 0) + 1 };
    await this.save();
    this.status({ outcome: 'started' }, instruction);
    const variables: StepVariables = {
      get: (n) => this.env.get(n) ?? local.get(n.toLowerCase()),
      set: (n, v, o) => {
        if (!o?.builtIn) return this.env.set(n, v, o);
        if (!/^_[A-Za-z0-9_-]{1,255}$/.test(n.trim())) throw new ReadOnlyVariableError(n);
        this.env.setBuiltIn(n, v, o.secret === true);
      },
      expand: (t) => this.expand(t, local),
    };
    const controller = new AbortController();
    const execution: StepExecution = {
      instruction,
      step,
      commandLine,
      properties,
      variables,
      environment: here,
      resumed: isResumed ? { stepState } : undefined,
      signal: controller.signal,
      log: (m, s, source) => this.log(m, s ?? 'info', source?.file ?? 'action', source?.component ?? COMPONENT),
      processLog: {
        started: (file = 'action') => {
          if (logCommand) this.line(SMSTS.executingCommandLine(commandLine, file));
        },
        completed: (exitCode, file = 'action') => this.line(SMSTS.processCompleted(exitCode >>> 0, file)),
        returned: (command, exitCode, file = 'action') => {
          if (logCommand) this.line(SMSTS.commandReturned(command, exitCode >>> 0, file));
        },
      },
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      const run = this.options.executor.execute(execution);
      if (step.timeout && step.timeout > 0) {
        const timeout = new Promise<StepResult>((resolve) => {
          timer = setTimeout(() => {
            controller.abort();
            resolve({ exitCode: ENGINE_ERRORS.timeout.code, message: `the step did not finish within its time-out of ${step.timeout} seconds` });
          }, step.timeout! * 1000);
        });
        return await Promise.race([run, timeout]);
      }
      return await run;
    } catch (e) {
      if (e instanceof ReadOnlyVariableError) return { exitCode: ENGINE_ERRORS.readOnlyVariable.code, message: e.message };
      return { exitCode: ENGINE_ERRORS.executorError.code, message: (e as Error).message ?? String(e) };
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** Records the step's result, then continues, restarts, or propagates a failure (§3). */
  private async afterStep(
    instruction: Instruction,
    result: StepResult,
  ): Promise<{ kind: 'next'; pointer: number; from: { index: number; entered: boolean } } | { kind: 'done'; result: RunOutcome }> {
    const step = instruction.item as Step;
    const code = result.exitCode >>> 0;
    const ok = successCodesOf(step).some((c) => c >>> 0 === code);
    this.line(SMSTS.actionRule());
    // A predicted step is logged and reported as predicted, never as done (issue 11 item 7).
    const predicted = result.predicted ? { predicted: true, assumed: result.predicted.assumed } : {};
    const assumed = result.predicted?.assumed.length ? `; assumed: ${result.predicted.assumed.join('; ')}` : '';
    if (ok) {
      if (result.predicted) this.line(SMSTS.actionPredicted(step.name, unsigned(code), assumed));
      else this.line(SMSTS.actionSucceeded(step.name, unsigned(code)));
      this.status({ outcome: 'succeeded', exitCode: code, ...predicted }, instruction);
    } else {
      if (result.predicted) this.line(SMSTS.actionPredictedFailure(step.name, result.message, hex(code).slice(2), assumed));
      else this.line(SMSTS.actionFailed(step.name, result.message, hex(code).slice(2)));
      this.status({ outcome: 'failed', exitCode: code, message: result.message, ...predicted }, instruction);
    }
    // In the corpus' order: the return code, the name, then whether it succeeded.
    this.env.setBuiltIn('_SMSTSLastActionRetCode', unsigned(code));
    this.env.setBuiltIn('_SMSTSLastActionName', step.name);
    this.env.setBuiltIn('_SMSTSLastActionSucceeded', ok ? 'true' : 'false');
    this.line(SMSTS.clearLocalDefaults());
    this.state.inProgress = undefined;

    // A restart asked for by the step, or by a script through SMSTSRebootRequested (§7).
    let restart = result.restart;
    const requested = this.env.get('SMSTSRebootRequested');
    if (!restart && requested && (ok || step.continueOnError)) {
      const target: RestartTarget = /^winpe$/i.test(requested) ? 'WinPE' : 'HD';
      restart = { target, rerun: /^true$/i.test(this.env.get('SMSTSRetryRequested') ?? '') };
    }
    if (requested !== undefined) this.env.delete('SMSTSRebootRequested');
    if (this.env.get('SMSTSRetryRequested') !== undefined) this.env.delete('SMSTSRetryRequested');

    if (ok || continuesOnError(step)) {
      if (!ok) this.line(SMSTS.failureIgnored(step.name));
      if (restart) {
        this.line(restart.rerun ? SMSTS.requestedRetry(step.name) : SMSTS.initiatedReboot(step.name));
        if (restart.target === 'HD') this.line(SMSTS.rebootToHardDisk());
        this.line(SMSTS.resultReboot());
        this.state.status = 'restarting';
        this.state.restart = { target: restart.target, rerun: restart.rerun === true, stepState: restart.stepState, from: instruction.index };
        this.status({ outcome: 'restart-requested', target: restart.target, message: restart.reason }, instruction);
        const next = restart.rerun ? instruction.index : instruction.index + 1;
        await this.checkpoint(next, instruction.tablePointer + (restart.rerun ? 0 : 1), instruction.parent);
        return { kind: 'done', result: { kind: 'restart', target: restart.target, instruction, rerun: restart.rerun === true } };
      }
      await this.checkpoint(instruction.index + 1, instruction.tablePointer + 1, instruction.parent);
      return { kind: 'next', pointer: instruction.index + 1, from: { index: instruction.index, entered: false } };
    }

    // Failure propagation: up to the nearest group that continues on error, else the TS fails.
    const ins = this.program.instructions;
    let g = instruction.parent;
    while (g !== -1) {
      const group = ins[g];
      if (continuesOnError(group.item)) {
        this.line(SMSTS.letParentDecide(group.item.name));
        this.log(`The group (${group.item.name}) is set to continue on error: execution continues after it`, 'warning');
        await this.checkpoint(group.end + 1, group.tableEnd! + 1, group.parent);
        return { kind: 'next', pointer: group.end + 1, from: { index: group.index, entered: false } };
      }
      this.line(SMSTS.groupFailed(group.item.name));
      g = group.parent;
    }
    return { kind: 'done', result: await this.finish(false, code, instruction, result.message) };
  }

  private async finish(succeeded: boolean, exitCode: number, failed?: Instruction, message?: string): Promise<RunOutcome> {
    this.state.status = succeeded ? 'succeeded' : 'failed';
    this.state.pointer = this.program.instructions.length;
    this.state.result = { exitCode, failedInstruction: failed?.index };
    if (succeeded) {
      this.line(SMSTS.engineCompleted());
      this.line(SMSTS.stars());
      this.line(SMSTS.resultSuccess());
    } else {
      const code = hex(exitCode).slice(2);
      this.line(SMSTS.lastActionFailed(failed?.item.name ?? '', message, code));
      this.line(SMSTS.engineFailed());
      this.line(SMSTS.stars());
      this.line(SMSTS.executionFailed(code));
      this.line(SMSTS.resultFailure());
    }
    this.status({ outcome: succeeded ? 'sequence-succeeded' : 'sequence-failed', exitCode, path: failed?.path, name: failed?.item.name });
    await this.save();
    return { kind: 'finished', succeeded, exitCode, failedInstruction: failed };
  }
}
