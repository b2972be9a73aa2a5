/**
 * A step handler: what a step type does on a destination computer (DESIGN.md "A step type is data +
 * schema + handler"). The catalog entry (src/sequence/catalog) says what the step is; the handler
 * does its work through the engine's StepExecution (resolved properties, variables, log, signal)
 * on a Computer, with package content from a ContentLibrary.
 */
import type { StepExecution, StepResult } from '../engine/ports.js';
import type { Computer } from './computer.js';
import type { ContentLibrary } from './content.js';

export interface HandlerContext {
  x: StepExecution;
  computer: Computer;
  content: ContentLibrary;
}

export interface StepHandler {
  /** The XML step type, e.g. SMS_TaskSequence_PartitionDiskAction. */
  type: string;
  run(ctx: HandlerContext): Promise<StepResult>;
}

/** A property as a boolean ("true"/"false", case-insensitive); undefined when absent. */
export function boolProperty(x: StepExecution, name: string): boolean | undefined {
  const v = x.properties[name];
  if (v === undefined || v === '') return undefined;
  return /^true$/i.test(v.trim());
}
