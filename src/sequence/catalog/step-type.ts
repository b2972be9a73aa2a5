/**
 * A step type is data: its XML class, display name, where it may run, its properties (with the
 * task sequence variable each is published as, default and hidden flag), a typed view of its
 * settings built from / written back to those variables, the flags the engine needs (may it run
 * again after an unexpected restart, does it restart and into what, what it changes on the
 * computer) and examples. Its handler (src/actions/handlers/) does its work and predicts it; the
 * engine and the simulator know a step only through this definition and that handler, never by
 * name. Spec: task-sequence-format §8; DESIGN.md "A step type is data + schema + handler".
 */
import type { z } from 'zod';
import type { RunIn, Step, StepVariable } from '../model/task-sequence.js';

export interface PropertySpec {
  /** WMI property of the step class, e.g. `ImageIndex` (the `property` attribute). */
  property: string;
  /** Task sequence variable name, e.g. `OSDImageIndex` (the `name` attribute). */
  variable: string;
  /** Default value as written in XML (strings: booleans as true/false). */
  default?: string;
  /** Not published as a run-time variable (CommandLineArg qualifier). */
  hidden?: boolean;
  /** A secret (password): never exported, never logged. */
  secret?: boolean;
  /** Kept in `<globalVarList>` as well (SDK [Global] qualifier). */
  global?: boolean;
  /** Short human description for `ts show` / the console. */
  description?: string;
}

export interface StepTypeDefinition<S = unknown> {
  /** XML `type`, e.g. `SMS_TaskSequence_PartitionDiskAction`. */
  type: string;
  /** Name in the ConfigMgr task sequence editor, e.g. "Format and Partition Disk". */
  displayName: string;
  /** Other display names admins use for the same class (e.g. "Restart in Windows PE"). */
  aliases?: string[];
  /** Element name: `step` (default) or `subtasksequence` (Run Task Sequence). */
  element?: 'step' | 'subtasksequence';
  /** Executable at the start of `<action>`, e.g. `osddiskpart.exe`. */
  executable: string;
  /** Where the step may run (its SupportedEnvironment); what ConfigMgr writes in `runIn`. */
  runIn: RunIn;
  /** The default `successCodeList`. */
  successCodes: string;
  /** Default `retryCount` (2 for Install Application / Install Software Updates). */
  retryCount?: number;
  /** Fixed (non-indexed) properties, in the order ConfigMgr writes them. */
  properties: PropertySpec[];
  /** Indexed array properties, e.g. Partitions{i}Type (see task-sequence-format §5). */
  arrays?: ArrayPropertySpec[];
  /** The typed view: reads the step's variables into settings, and writes settings back. */
  settings?: SettingsCodec<S>;
  /** Build the `<action>` command line from the step's settings/variables (MOF template resolved at save). */
  buildAction?: (step: Step) => string;
  /** Spec reference for the type's rules. */
  spec?: string;
  /**
   * Running it again after an unexpected restart does exactly what it was doing (it only sets
   * variables or asks for a restart): the engine re-runs it even without "retry this step".
   */
  rerunAfterUnexpectedRestart?: boolean;
  /** The step restarts the computer, and where the computer is afterwards. */
  restarts?: StepRestart;
  /** What the step changes on the computer, beyond its files: the simulator and the lab track it. */
  effects?: StepEffects;
  /** Settings as an administrator would write them, each a tested example (test/sequence/catalog). */
  examples?: StepExample<S>[];
}

/** Where the computer is after a step's restart. */
export type RestartInto = 'WinPE' | 'FullOS';

export interface StepRestart {
  /**
   * Windows PE (the boot image) or the installed OS; a function when the step's own setting says
   * (Restart Computer), given the step's resolved values by variable name and its command line.
   */
  into: RestartInto | ((value: (variable: string) => string | undefined, action: string | undefined) => RestartInto);
  /** The step starts before the restart and completes after it, running again there (Setup Windows and ConfigMgr). */
  completesAfter?: boolean;
}

export interface StepEffects {
  /** Writes a new partition layout: whatever the disk held, an operating system included, is gone. */
  partitions?: boolean;
  /** Puts a new operating system on the disk. */
  osOnDisk?: boolean;
}

export interface StepExample<S> {
  /** What it shows, e.g. "The wizard's UEFI layout". */
  title: string;
  settings: S;
}

/** Where a step of this type leaves the computer after its restart; undefined when it does not restart. */
export function restartInto(
  def: StepTypeDefinition<unknown>,
  value: (variable: string) => string | undefined,
  action: string | undefined,
): RestartInto | undefined {
  const into = def.restarts?.into;
  return typeof into === 'function' ? into(value, action) : into;
}

export interface ArrayPropertySpec {
  /** Count property and its variable, e.g. `Partitions` ⇄ `OSDPartitions`. */
  countProperty: string;
  countVariable: string;
  /** Per-element properties, `{i}` marks the index: `Partitions{i}Type` ⇄ `OSDPartitions{i}Type`. */
  elements: PropertySpec[];
}

export interface SettingsCodec<S> {
  schema: z.ZodType<S>;
  /** Variables → settings (lenient: unparsable values become issues, not exceptions). */
  read(variables: StepVariable[]): { settings: S; issues: string[] };
  /** Settings → variables, in ConfigMgr's order, with hidden flags from the property specs. */
  write(settings: S): StepVariable[];
}

export function defineStepType<S>(def: StepTypeDefinition<S>): StepTypeDefinition<S> {
  return def;
}
