/**
 * The executor that does steps' real work on a Computer: each step type with a handler runs it;
 * any other step goes to the fallback (Run Command Line as a process, the rest predicted). A
 * handler's StepFailure becomes the step's exit code and message; every open volume is flushed
 * into the disk images after the step, so a restart (or a kill) never finds half-written disks.
 */
import type { Executor, StepExecution, StepResult } from '../engine/ports.js';
import { hex } from '../engine/error-codes.js';
import type { Computer } from './computer.js';
import type { ContentLibrary } from './content.js';
import { failureResult } from './errors.js';
import type { StepHandler } from './handler.js';
import { applyOperatingSystemHandler } from './handlers/apply-operating-system.js';
import { applyNetworkSettingsHandler, applyWindowsSettingsHandler } from './handlers/apply-settings.js';
import { applyDriverPackageHandler, autoApplyDriversHandler } from './handlers/drivers.js';
import { restartComputerHandler, setVariableHandler } from './handlers/general.js';
import { partitionDiskHandler } from './handlers/partition-disk.js';

export const HANDLERS: readonly StepHandler[] = [
  partitionDiskHandler,
  applyOperatingSystemHandler,
  applyWindowsSettingsHandler,
  applyNetworkSettingsHandler,
  autoApplyDriversHandler,
  applyDriverPackageHandler,
  restartComputerHandler,
  setVariableHandler,
];

const byType = new Map(HANDLERS.map((h) => [h.type.toLowerCase(), h]));

/** What the engine's host keeps about the computer between restarts (the simulator's SimulatedMachine). */
export interface ComputerFacts {
  partitioned: boolean;
  osOnDisk: boolean;
  imageApplied?: boolean;
}

export class ActionExecutor implements Executor {
  constructor(
    private readonly computer: Computer,
    private readonly content: ContentLibrary,
    private readonly fallback: Executor,
    private readonly facts?: ComputerFacts,
  ) {}

  async execute(x: StepExecution): Promise<StepResult> {
    const handler = byType.get((x.step.type ?? '').toLowerCase());
    if (!handler) return this.fallback.execute(x);
    let result: StepResult;
    try {
      result = await handler.run({ x, computer: this.computer, content: this.content });
    } catch (e) {
      result = failureResult(e);
    }
    try {
      await this.computer.flush();
    } catch (e) {
      if (result.exitCode === 0) result = failureResult(e);
    }
    if (result.exitCode !== 0) {
      x.log(`${x.step.name} failed: ${result.message ?? ''} (${hex(result.exitCode)})`, 'error');
    } else if (this.facts) {
      const type = handler.type;
      if (type === partitionDiskHandler.type) {
        this.facts.partitioned = true;
        this.facts.osOnDisk = false;
      } else if (type === applyOperatingSystemHandler.type) {
        this.facts.osOnDisk = true;
        this.facts.imageApplied = true;
      }
    }
    return result;
  }
}

