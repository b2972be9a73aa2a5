/**
 * The step catalog: every step type OpenOSD knows, looked up by XML `type` or display name, and
 * the typed view of a step's settings. Spec: task-sequence-format §7, §8.
 */
import type { Step } from '../model/task-sequence.js';
import type { PropertySpec, StepTypeDefinition } from './step-type.js';
import { applyNetworkSettings } from './steps/apply-network-settings.js';
import { applyDataImage, applyOperatingSystem } from './steps/apply-operating-system.js';
import { applyWindowsSettings } from './steps/apply-windows-settings.js';
import { disableBitLocker, enableBitLocker, preProvisionBitLocker } from './steps/bitlocker.js';
import { captureOperatingSystemImage, installDeploymentTools, prepareConfigMgrClient, prepareWindows } from './steps/build-and-capture.js';
import { captureNetworkSettings, captureWindowsSettings } from './steps/capture-settings.js';
import { checkReadiness } from './steps/check-readiness.js';
import { connectNetworkFolder } from './steps/connect-network-folder.js';
import { convertDisk } from './steps/convert-disk.js';
import { downloadPackageContent } from './steps/download-package-content.js';
import { applyDriverPackage, autoApplyDrivers } from './steps/drivers.js';
import { installApplication } from './steps/install-application.js';
import { installPackage } from './steps/install-package.js';
import { installSoftwareUpdates } from './steps/install-software-updates.js';
import { joinDomainWorkgroup } from './steps/join-domain-workgroup.js';
import { partitionDisk } from './steps/partition-disk.js';
import { restartComputer } from './steps/restart-computer.js';
import { runCommandLine } from './steps/run-command-line.js';
import { runPowerShellScript } from './steps/run-powershell-script.js';
import { runTaskSequence } from './steps/run-task-sequence.js';
import { setDynamicVariables } from './steps/set-dynamic-variables.js';
import { setTaskSequenceVariable } from './steps/set-variable.js';
import { setupWindows } from './steps/setup-windows.js';
import { releaseStateStore, requestStateStore } from './steps/state-store.js';
import { upgradeOperatingSystem } from './steps/upgrade-operating-system.js';
import { captureUserState, restoreUserState } from './steps/user-state.js';

export type { ArrayPropertySpec, PropertySpec, RestartInto, SettingsCodec, StepEffects, StepExample, StepRestart, StepTypeDefinition } from './step-type.js';
export { defineStepType, restartInto } from './step-type.js';
export type { LayoutEntry, VariableLayout } from './settings-codec.js';

// Settings types differ per entry; a heterogeneous list needs `any` (a codec's `write` is contravariant).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStepType = StepTypeDefinition<any>;

/** Every known step type, in the order of the ConfigMgr editor's Add menu categories. */
export const STEP_TYPES: readonly AnyStepType[] = [
  // General
  runCommandLine,
  runPowerShellScript,
  setTaskSequenceVariable,
  setDynamicVariables,
  restartComputer,
  runTaskSequence,
  joinDomainWorkgroup,
  connectNetworkFolder,
  checkReadiness,
  downloadPackageContent,
  // Disks
  partitionDisk,
  convertDisk,
  enableBitLocker,
  disableBitLocker,
  preProvisionBitLocker,
  // User state
  requestStateStore,
  captureUserState,
  restoreUserState,
  releaseStateStore,
  // Images
  applyOperatingSystem,
  applyDataImage,
  setupWindows,
  upgradeOperatingSystem,
  installDeploymentTools,
  prepareConfigMgrClient,
  prepareWindows,
  captureOperatingSystemImage,
  // Drivers
  autoApplyDrivers,
  applyDriverPackage,
  // Settings
  captureNetworkSettings,
  captureWindowsSettings,
  applyNetworkSettings,
  applyWindowsSettings,
  // Software
  installApplication,
  installPackage,
  installSoftwareUpdates,
];

const byType = new Map<string, AnyStepType>();
const byName = new Map<string, AnyStepType>();
for (const t of STEP_TYPES) {
  byType.set(t.type.toLowerCase(), t);
  for (const n of [t.displayName, ...(t.aliases ?? [])]) byName.set(n.toLowerCase(), t);
}

/** The step type of an XML `type` (case-insensitive); undefined for unknown, MDT BDD_* and typeless steps. */
export function stepTypeOf(type: string | undefined): AnyStepType | undefined {
  return type === undefined ? undefined : byType.get(type.toLowerCase());
}

/** Lookup by the editor's name or an alias ("Restart in Windows PE"), case-insensitive. */
export function stepTypeByDisplayName(name: string): AnyStepType | undefined {
  return byName.get(name.trim().toLowerCase());
}

/** The spec of a step variable (fixed or array element), by variable name, case-insensitively. */
export function propertyOf(type: AnyStepType, variable: string): PropertySpec | undefined {
  const lower = variable.toLowerCase();
  const fixed = type.properties.find((p) => p.variable.toLowerCase() === lower);
  if (fixed) return fixed;
  for (const array of type.arrays ?? []) {
    for (const e of array.elements) {
      const [before, after = ''] = e.variable.toLowerCase().split('{i}');
      if (lower.startsWith(before) && lower.endsWith(after) && /^\d+$/.test(lower.slice(before.length, lower.length - after.length))) {
        return e;
      }
    }
  }
  return undefined;
}

/** True when `<action>` is ConfigMgr's saved command for this type (starts with its executable), not an MDT script. */
export function actionUsesExecutable(step: Step, type: AnyStepType): boolean {
  const action = step.action?.trimStart().toLowerCase();
  return action !== undefined && action.startsWith(type.executable.toLowerCase());
}

export interface SettingsRead<S> {
  type: StepTypeDefinition<S>;
  settings: S;
  /** Values that could not be read (they are kept as written in `settings.layout`). */
  issues: string[];
}

/**
 * The typed settings of a step, via its type's codec. Undefined when the step's type is unknown
 * or has no typed settings. Never throws: unreadable values are reported in `issues`.
 */
export function readSettings<S = unknown>(step: Step, type?: StepTypeDefinition<S>): SettingsRead<S> | undefined {
  const t = (type ?? stepTypeOf(step.type)) as StepTypeDefinition<S> | undefined;
  if (!t?.settings) return undefined;
  const { settings, issues } = t.settings.read(step.variables ?? []);
  return { type: t, settings, issues };
}

/**
 * A copy of the step with its variables written from `settings`. When the type builds its
 * `<action>` and the step's action is ConfigMgr's saved command (or absent), the action is rebuilt
 * too, as the console does on save (§7); an MDT script action is left alone.
 * Throws when the step's type has no typed settings (a caller error, not bad input).
 */
export function writeSettings<S>(step: Step, settings: S, type?: StepTypeDefinition<S>): Step {
  const t = (type ?? stepTypeOf(step.type)) as StepTypeDefinition<S> | undefined;
  if (!t?.settings) throw new Error(`step type ${step.type ?? '(none)'} has no typed settings`);
  const next: Step = { ...step, variables: t.settings.write(settings) };
  if (t.buildAction && (step.action === undefined || actionUsesExecutable(step, t as AnyStepType))) {
    next.action = t.buildAction(next);
  }
  return next;
}

export {
  applyDataImage,
  applyDriverPackage,
  applyNetworkSettings,
  applyOperatingSystem,
  applyWindowsSettings,
  autoApplyDrivers,
  captureNetworkSettings,
  captureOperatingSystemImage,
  captureUserState,
  captureWindowsSettings,
  checkReadiness,
  connectNetworkFolder,
  convertDisk,
  disableBitLocker,
  downloadPackageContent,
  enableBitLocker,
  installApplication,
  installDeploymentTools,
  installPackage,
  installSoftwareUpdates,
  joinDomainWorkgroup,
  partitionDisk,
  prepareConfigMgrClient,
  prepareWindows,
  preProvisionBitLocker,
  releaseStateStore,
  requestStateStore,
  restartComputer,
  restoreUserState,
  runCommandLine,
  runPowerShellScript,
  runTaskSequence,
  setDynamicVariables,
  setTaskSequenceVariable,
  setupWindows,
  upgradeOperatingSystem,
};
