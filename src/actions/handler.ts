/**
 * A step handler: what a step type does on a destination computer, and what it predicts in a dry
 * run (DESIGN.md "A step type is data + schema + handler"). The definition (src/sequence/catalog)
 * says what the step is — settings, flags, examples; the handler does its work through the
 * engine's StepExecution (resolved properties, variables, log, signal) on a Computer, with package
 * content from a ContentLibrary, and gives the simulator its answer. Handlers are registered in one
 * list, src/actions/handlers/index.ts.
 */
import type { StepExecution, StepResult } from '../engine/ports.js';
import type { PredictionContext } from '../engine/simulate/predictions.js';
import type { StepTypeDefinition } from '../sequence/catalog/index.js';
import type { Computer } from './computer.js';
import type { ContentLibrary } from './content.js';
import type { SiteServices } from './services.js';

export interface HandlerContext {
  x: StepExecution;
  computer: Computer;
  content: ContentLibrary;
  /** The site's services through the host (the agent); absent where there is no site. */
  services?: SiteServices;
}

/**
 * What a handler's dry-run answer sees: the step (its variables are the simulated run's), the
 * simulated computer, the machine profile and, when given (`--content`, the lab), the content.
 */
export interface SimulationContext extends PredictionContext {
  content?: ContentLibrary;
  /**
   * Check the step against the profile and the content, and predict the failures the real step
   * would have (the layout does not fit the disk, the image index does not exist): `osd ts
   * simulate` does. Where a prediction only stands in for a step nobody can do here (`osd ts run`,
   * the lab), only its effects are predicted.
   */
  checks: boolean;
}

export interface StepHandler<S = unknown> {
  /** The step type's definition: its XML type, settings and flags. */
  readonly definition: StepTypeDefinition<S>;
  /** Does the step's work; absent for a step type this system can only predict (Setup Windows, USMT …). */
  run?(ctx: HandlerContext): Promise<StepResult>;
  /**
   * Whether `run` can do the step on this host: false where what it needs is not here (no state
   * migration point without a site, a network store path no service reaches). The step is then
   * the fallback's — predicted, and reported as predicted, never as done. Absent: always.
   */
  canRun?(ctx: HandlerContext): boolean;
  /**
   * The simulator's answer (DESIGN.md: every handler also has a `simulate` answer): what the step
   * would do to the variables, whether it would fail and with which code, and what it assumes —
   * without touching a computer. Whether it restarts and what it changes on the computer come from
   * the definition's flags.
   */
  simulate?(ctx: SimulationContext): Promise<StepResult> | StepResult;
}

/** A handler for a step type, typed by its definition's settings. */
export function defineHandler<S>(definition: StepTypeDefinition<S>, handler: Omit<StepHandler<S>, 'definition'>): StepHandler<S> {
  return { definition, ...handler };
}

/** A property as a boolean ("true"/"false", case-insensitive); undefined when absent. */
export function boolProperty(x: StepExecution, name: string): boolean | undefined {
  const v = x.properties[name];
  if (v === undefined || v === '') return undefined;
  return /^true$/i.test(v.trim());
}

/** A prediction that sets a variable, noting it for the report (and noting a deletion by an empty value). */
export function predictSet(ctx: PredictionContext, name: string, value: string | undefined): void {
  if (value === undefined) return;
  ctx.x.variables.set(name, value);
  ctx.note(`sets ${name}${ctx.x.variables.get(name) === undefined ? ' (deleted: empty value)' : ''}`);
}
