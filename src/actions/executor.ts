/**
 * The executor that does steps' real work on a Computer: a step whose handler can `run` runs it;
 * any other step goes to the fallback (Run Command Line as a process, the rest predicted — and
 * reported as predicted). A handler's error becomes the step's exit code and message (by its code
 * or kind, never its class); every open volume is flushed into the disks after the step, so a
 * restart (or a kill) never finds half-written disks. What a step changes on the computer is its
 * definition's `effects`, tracked by the host (src/engine/simulate/simulate.ts), not here.
 */
import { hex } from '../engine/error-codes.js';
import type { Executor, StepExecution, StepResult } from '../engine/ports.js';
import type { Computer } from './computer.js';
import type { ContentLibrary } from './content.js';
import { failureResult } from './errors.js';
import { handlerOf } from './handlers/index.js';
import type { SiteServices } from './services.js';

export class ActionExecutor implements Executor {
  constructor(
    private readonly computer: Computer,
    private readonly content: ContentLibrary,
    private readonly fallback: Executor,
    /** The site's services (the agent's); none in the lab without a site or `osd ts run`. */
    private readonly services: SiteServices = {},
  ) {}

  async execute(x: StepExecution): Promise<StepResult> {
    const handler = handlerOf(x.step.type);
    const ctx = { x, computer: this.computer, content: this.content, services: this.services };
    if (!handler?.run || (handler.canRun && !handler.canRun(ctx))) return this.fallback.execute(x);
    let result: StepResult;
    // The handler is the step's process here: the log says it started and how it ended, as the
    // real engine does for the step's executable (docs/smsts-log.md).
    x.processLog?.started('executor.ts');
    try {
      result = await handler.run(ctx);
    } catch (e) {
      result = failureResult(e);
    }
    try {
      await this.computer.flush();
    } catch (e) {
      if (result.exitCode === 0) result = failureResult(e);
    }
    if (result.exitCode !== 0) x.log(`${x.step.name} failed: ${result.message ?? ''} (${hex(result.exitCode)})`, 'error');
    x.processLog?.completed(result.exitCode, 'executor.ts');
    return result;
  }
}
