/**
 * The simulator's port to the step handlers (DESIGN.md "Small ports, swappable adapters"): a step
 * type's prediction — what it would do to the variables and the computer, and whether it would
 * fail — belongs to its handler, beside the handler's `run` (src/actions/handlers/). The engine
 * defines this interface and never imports a handler; whoever composes a run (the CLI, the lab)
 * passes the handlers in (src/actions/handlers/index.ts `stepSimulators`).
 */
import type { MachineInventory } from '../inventory.js';
import type { MachineProfile } from '../machine-profile/schema.js';
import type { StepExecution, StepResult } from '../ports.js';

/** What the simulator tracks about the computer between steps (and across restarts, in the journal). */
export interface SimulatedMachine {
  environment: 'WinPE' | 'FullOS';
  /** An operating system is on the disk (installed before, or applied by a step whose definition says so). */
  osOnDisk: boolean;
  /** Disk partitioned by a step of this run (its definition's `effects.partitions`). */
  partitioned: boolean;
  /** A new image was applied: the OS on the disk is the new one. */
  imageApplied?: boolean;
  /**
   * The ConfigMgr client is on the OS the task sequence runs in: it started from Software Center,
   * or a step that completes after its restart into the full OS (Setup Windows and ConfigMgr) did.
   * Where smsts.log is depends on it (osd-features §6.1).
   */
  clientInstalled?: boolean;
  /** The computer name of the installed OS, if any (Capture Windows Settings reads it). */
  computerName?: string;
  timeZone?: string;
  registeredOrganization?: string;
  registeredOwner?: string;
  domain?: string;
  workgroup?: string;
  /** Current inventory, for Set Dynamic Variables rules. */
  inventory: () => MachineInventory;
}

/** What a step's prediction sees. */
export interface PredictionContext {
  /** The step as the engine runs it: resolved properties, variables (of the simulated run), log. */
  x: StepExecution;
  /** The computer as the simulator tracks it. */
  machine: SimulatedMachine;
  /** The machine profile the run started from: disks, devices, architecture. */
  profile: MachineProfile;
  /** Adds a line to the step's explanation in the report ("sets OSDisk", "GPT on disk 0: …"). */
  note(text: string): void;
}

/**
 * A step type's prediction. It may set variables through `x.variables` (the simulated run's), and
 * returns the step's predicted result: a restart, a failure with the code the real step would
 * return, and in `predicted.assumed` what it took for granted. It may throw an error of the family
 * (src/common/errors.ts) with an `exitCode`: that is the predicted failure.
 */
export type StepSimulator = (ctx: PredictionContext) => StepResult | Promise<StepResult>;

/** The registry the predicting executor asks, by XML step type. */
export interface StepSimulators {
  /** The prediction of a step type, or undefined when its handler has none (or there is no handler). */
  of(type: string | undefined): StepSimulator | undefined;
}
