/**
 * The simulator's executor: instead of doing a step's work it asks the step's handler for its
 * prediction (through the StepSimulators port) and the step's definition for what the engine needs
 * to know — whether it restarts, and into what. A step type whose handler has no prediction is
 * assumed to succeed and change nothing, and the result says so. Every result is marked
 * `predicted`, with what was assumed, so no report can mistake it for work done. Exit codes can be
 * forced per step (`--fail "NAME"=CODE`) to see the failure paths.
 */
import { OsdError } from '../../common/errors.js';
import { restartInto, stepTypeOf } from '../../sequence/catalog/index.js';
import type { MachineProfile } from '../machine-profile/schema.js';
import type { Executor, StepExecution, StepResult } from '../ports.js';
import type { SimulatedMachine, StepSimulators } from './predictions.js';

export type { SimulatedMachine } from './predictions.js';

export interface ForcedExitCode {
  /** A step name or path (as `osd ts show` prints it). */
  step: string;
  exitCode: number;
}

/** What is assumed of a step type nobody predicts. */
export const NO_PREDICTION = 'success (exit code 0) and no change: the step type has no prediction of its own';

export class PredictingExecutor implements Executor {
  constructor(
    private readonly machine: SimulatedMachine,
    private readonly steps: StepSimulators,
    private readonly profile: MachineProfile,
    private readonly forced: ForcedExitCode[] = [],
  ) {}

  /** Notes of what each step was predicted to do, by instruction index (for the report). */
  readonly notes = new Map<number, string[]>();

  note(index: number, text: string): void {
    const list = this.notes.get(index) ?? [];
    list.push(text);
    this.notes.set(index, list);
  }

  async execute(x: StepExecution): Promise<StepResult> {
    const step = x.step;
    const forced = this.forced.find((f) => f.step === step.name || f.step === x.instruction.path);
    if (forced && !x.resumed) {
      this.note(x.instruction.index, `forced exit code ${forced.exitCode}`);
      return { exitCode: forced.exitCode, message: 'exit code forced by --fail', predicted: { assumed: [] } };
    }
    const simulate = this.steps.of(step.type);
    let result: StepResult;
    if (!simulate) {
      result = { exitCode: 0, predicted: { assumed: [NO_PREDICTION] } };
    } else {
      try {
        result = await simulate({ x, machine: this.machine, profile: this.profile, note: (text) => this.note(x.instruction.index, text) });
      } catch (e) {
        // A prediction that fails the step says so with the code the real step would return.
        if (!(e instanceof OsdError) || e.exitCode === undefined) throw e;
        result = { exitCode: e.exitCode, message: e.message };
      }
    }
    // Whether the step restarts, and into what, is its definition's (one place for the engine,
    // lint and the handlers). A step that completes after its restart runs again there.
    const def = stepTypeOf(step.type);
    if (result.exitCode === 0 && !result.restart && def?.restarts && !x.resumed) {
      const into = restartInto(def, (n) => x.properties[n], step.action);
      const target = into === 'WinPE' ? 'WinPE' : 'HD';
      if (def.restarts.completesAfter) {
        this.note(x.instruction.index, `restarts into ${into === 'WinPE' ? 'Windows PE' : 'the new operating system'}; the step completes there`);
        result = { ...result, restart: { target, rerun: true, stepState: { phase: 'restarted' }, reason: `${def.displayName} restarts the computer` } };
      } else {
        result = { ...result, restart: { target, reason: `${def.displayName} restarts the computer` } };
      }
    }
    return { ...result, predicted: { assumed: result.predicted?.assumed ?? [] } };
  }
}
