/**
 * Every step handler, in one list: what finds a step type's `run` (the ActionExecutor) and its
 * `simulate` (the engine's simulator, through its StepSimulators port). Adding a step type: its
 * definition in src/sequence/catalog/steps/<x>.ts (listed in STEP_TYPES), its handler in
 * src/actions/handlers/<x>.ts, listed here (docs/ARCHITECTURE.md "Adding a step type").
 */
import type { StepSimulators } from '../../engine/simulate/predictions.js';
import { stepTypeOf } from '../../sequence/catalog/index.js';
import type { ContentLibrary } from '../content.js';
import type { StepHandler } from '../handler.js';
import { applyNetworkSettingsHandler } from './apply-network-settings.js';
import { applyOperatingSystemHandler } from './apply-operating-system.js';
import { applyWindowsSettingsHandler } from './apply-windows-settings.js';
import { captureNetworkSettingsHandler, captureWindowsSettingsHandler } from './capture-settings.js';
import { applyDriverPackageHandler, autoApplyDriversHandler } from './drivers.js';
import { installApplicationHandler } from './install-application.js';
import { installSoftwareUpdatesHandler } from './install-software-updates.js';
import { partitionDiskHandler } from './partition-disk.js';
import { restartComputerHandler } from './restart-computer.js';
import { runCommandLineHandler, runPowerShellScriptHandler } from './run-command-line.js';
import { setDynamicVariablesHandler } from './set-dynamic-variables.js';
import { setVariableHandler } from './set-variable.js';
import { setupWindowsHandler } from './setup-windows.js';
import { releaseStateStoreHandler, requestStateStoreHandler } from './state-store.js';
import { upgradeOperatingSystemHandler } from './upgrade-operating-system.js';
import { captureUserStateHandler, restoreUserStateHandler } from './user-state.js';

// Settings types differ per handler; a heterogeneous list needs `any` (as STEP_TYPES does).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyHandler = StepHandler<any>;

export const HANDLERS: readonly AnyHandler[] = [
  // General
  setVariableHandler,
  setDynamicVariablesHandler,
  restartComputerHandler,
  // Disks
  partitionDiskHandler,
  // User state
  requestStateStoreHandler,
  captureUserStateHandler,
  restoreUserStateHandler,
  releaseStateStoreHandler,
  // Images
  applyOperatingSystemHandler,
  setupWindowsHandler,
  upgradeOperatingSystemHandler,
  // Drivers
  autoApplyDriversHandler,
  applyDriverPackageHandler,
  // Settings
  captureWindowsSettingsHandler,
  captureNetworkSettingsHandler,
  applyWindowsSettingsHandler,
  applyNetworkSettingsHandler,
  // Software
  installApplicationHandler,
  installSoftwareUpdatesHandler,
  // Commands in the full OS (Windows PE: the runner's ProcessExecutor, as before)
  runCommandLineHandler,
  runPowerShellScriptHandler,
];

const byDefinition = new Map(HANDLERS.map((h) => [h.definition, h]));

/** The handler of a step's XML type (case-insensitive, through the catalog), if there is one. */
export function handlerOf(type: string | undefined): AnyHandler | undefined {
  const def = stepTypeOf(type);
  return def && byDefinition.get(def);
}

/**
 * The handlers' predictions as the engine's simulator asks for them. `checks`: also predict the
 * failures the real steps would have from the profile and the content (`osd ts simulate`);
 * `content` lets them check images and preview drivers.
 */
export function stepSimulators(options: { content?: ContentLibrary; checks?: boolean } = {}): StepSimulators {
  // One prediction function per step type, made once (the simulator asks for every step it reaches).
  const made = new Map<string | undefined, ReturnType<StepSimulators['of']>>();
  return {
    of(type) {
      if (made.has(type)) return made.get(type);
      const h = handlerOf(type);
      const simulate = h?.simulate;
      const fn: ReturnType<StepSimulators['of']> =
        simulate && ((ctx) => simulate.call(h, { ...ctx, content: options.content, checks: options.checks === true }));
      made.set(type, fn);
      return fn;
    },
  };
}
