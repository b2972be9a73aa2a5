/**
 * A step handler: what a step type does on a destination computer (DESIGN.md "A step type is data +
 * schema + handler"). The catalog entry (src/sequence/catalog) says what the step is; the handler
 * does its work through the engine's StepExecution (resolved properties, variables, log, signal)
 * on a Computer, with package content from a ContentLibrary.
 */
import type { MachineProfile } from '../engine/machine-profile/schema.js';
import type { StepExecution, StepResult } from '../engine/ports.js';
import type { Computer } from './computer.js';
import type { ContentLibrary } from './content.js';

export interface HandlerContext {
  x: StepExecution;
  computer: Computer;
  content: ContentLibrary;
}

/** What a handler's dry-run answer sees: the step, the machine profile and, when given, the content. */
export interface SimulationContext {
  x: StepExecution;
  profile: MachineProfile;
  content?: ContentLibrary;
  /** Adds a line to the step's explanation in the simulation report. */
  note(text: string): void;
}

export interface StepHandler {
  /** The XML step type, e.g. SMS_TaskSequence_PartitionDiskAction. */
  type: string;
  run(ctx: HandlerContext): Promise<StepResult>;
  /**
   * The simulator's answer (DESIGN.md: every handler also has a `simulate` answer): what the step
   * would do and whether it would fail, without touching a disk. Variables the step sets are
   * predicted by the engine's simulator; this adds what only the handler knows.
   */
  simulate?(ctx: SimulationContext): Promise<StepResult>;
}

/** A property as a boolean ("true"/"false", case-insensitive); undefined when absent. */
export function boolProperty(x: StepExecution, name: string): boolean | undefined {
  const v = x.properties[name];
  if (v === undefined || v === '') return undefined;
  return /^true$/i.test(v.trim());
}
