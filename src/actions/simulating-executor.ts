/**
 * The simulator with the handlers' own answers: the engine's PredictingExecutor predicts every
 * step's effect on variables and on the virtual computer; then a handler with a `simulate` answer
 * checks what only it knows — the layout fits the disk, the image index exists in the package,
 * which drivers the catalog would give this computer — and may predict a failure with the code the
 * real step would return. `osd ts simulate --content DIR` uses it.
 */
import type { MachineProfile } from '../engine/machine-profile/schema.js';
import type { Executor, StepExecution, StepResult } from '../engine/ports.js';
import type { ContentLibrary } from './content.js';
import { StepFailure } from './errors.js';
import { HANDLERS } from './executor.js';

export class SimulatingExecutor implements Executor {
  private readonly byType = new Map(HANDLERS.filter((h) => h.simulate).map((h) => [h.type.toLowerCase(), h]));

  constructor(
    private readonly predicting: Executor & { notes: Map<number, string[]> },
    private readonly profile: MachineProfile,
    private readonly content?: ContentLibrary,
  ) {}

  async execute(x: StepExecution): Promise<StepResult> {
    const predicted = await this.predicting.execute(x);
    const handler = this.byType.get((x.step.type ?? '').toLowerCase());
    if (!handler?.simulate || predicted.exitCode !== 0) return predicted;
    const note = (text: string): void => {
      const list = this.predicting.notes.get(x.instruction.index) ?? [];
      list.push(text);
      this.predicting.notes.set(x.instruction.index, list);
    };
    try {
      const own = await handler.simulate({ x, profile: this.profile, content: this.content, note });
      return own.exitCode !== 0 ? own : predicted;
    } catch (e) {
      if (e instanceof StepFailure) return { exitCode: e.code >>> 0, message: e.message };
      throw e;
    }
  }
}
