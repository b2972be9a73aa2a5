/**
 * The step catalog as the console's task sequence editor needs it: every step type with its
 * category in the editor's Add menu, its property definitions (variable, default, hidden, secret,
 * description) and a new step of the type as ConfigMgr adds one (the JSON form's item: defaults,
 * success codes, runIn, the command line built from the defaults). And the command line of steps
 * whose properties the editor changed, rebuilt as the console does on save (task-sequence-format §7).
 */
import {
  actionUsesExecutable,
  type AnyStepType,
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
  STEP_TYPES,
  stepTypeOf,
  upgradeOperatingSystem,
} from '../../sequence/catalog/index.js';
import type { Step, StepVariable } from '../../sequence/model/task-sequence.js';

/** The editor's Add menu: category → step types, in ConfigMgr's order. */
const CATEGORIES: ReadonlyArray<[string, AnyStepType[]]> = [
  [
    'General',
    [
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
    ],
  ],
  ['Disks', [partitionDisk, convertDisk, enableBitLocker, disableBitLocker, preProvisionBitLocker]],
  ['User State', [requestStateStore, captureUserState, restoreUserState, releaseStateStore]],
  [
    'Images',
    [
      applyOperatingSystem,
      applyDataImage,
      setupWindows,
      upgradeOperatingSystem,
      installDeploymentTools,
      prepareConfigMgrClient,
      prepareWindows,
      captureOperatingSystemImage,
    ],
  ],
  ['Drivers', [autoApplyDrivers, applyDriverPackage]],
  ['Settings', [captureNetworkSettings, captureWindowsSettings, applyNetworkSettings, applyWindowsSettings]],
  ['Software', [installApplication, installPackage, installSoftwareUpdates]],
];

const categoryOf = new Map<string, string>();
for (const [category, types] of CATEGORIES) for (const t of types) categoryOf.set(t.type, category);

export interface StepTypePropertyInfo {
  property: string;
  variable: string;
  default: string | null;
  hidden: boolean;
  secret: boolean;
  global: boolean;
  description: string;
}

export interface StepTypeInfo {
  type: string;
  displayName: string;
  aliases: string[];
  category: string;
  element: 'step' | 'subtasksequence';
  runIn: string;
  successCodes: string;
  retryCount: number;
  properties: StepTypePropertyInfo[];
  arrays: Array<{ countProperty: string; countVariable: string; elements: StepTypePropertyInfo[] }>;
  /** A new step of this type as the editor adds it, in the JSON form's item shape. */
  template: Record<string, unknown>;
}

function propertyInfo(p: AnyStepType['properties'][number]): StepTypePropertyInfo {
  return {
    property: p.property,
    variable: p.variable,
    default: p.default ?? null,
    hidden: p.hidden === true,
    secret: p.secret === true,
    global: p.global === true,
    description: p.description ?? '',
  };
}

/** A new step: the type's defaults, ConfigMgr 3.10's attributes (as the wizard's steps have them). */
export function newStep(type: AnyStepType): Step {
  const variables: StepVariable[] = [];
  for (const p of type.properties) {
    if (p.default === undefined || p.secret) continue;
    variables.push({ name: p.variable, property: p.property, ...(p.hidden ? { hidden: true } : {}), value: p.default });
  }
  const step: Step = {
    kind: 'step',
    ...(type.element === 'subtasksequence' ? { element: 'subtasksequence' as const } : {}),
    type: type.type,
    name: type.displayName,
    description: '',
    runIn: type.runIn,
    successCodeList: type.successCodes,
    retryCount: type.retryCount ?? 0,
    runFromNet: false,
    variables,
  };
  step.action = type.buildAction ? type.buildAction(step) : type.executable;
  return step;
}

function templateJson(step: Step): Record<string, unknown> {
  // The JSON form's key order (codec/json.ts), undefined keys left out.
  const out: Record<string, unknown> = {};
  for (const k of ['kind', 'element', 'type', 'name', 'description', 'runIn', 'successCodeList', 'retryCount', 'runFromNet', 'action', 'variables'] as const) {
    if (step[k] !== undefined) out[k] = step[k];
  }
  return out;
}

export function listStepTypes(): StepTypeInfo[] {
  return STEP_TYPES.map((t) => ({
    type: t.type,
    displayName: t.displayName,
    aliases: t.aliases ?? [],
    category: categoryOf.get(t.type) ?? 'General',
    element: t.element ?? 'step',
    runIn: t.runIn,
    successCodes: t.successCodes,
    retryCount: t.retryCount ?? 0,
    properties: t.properties.map(propertyInfo),
    arrays: (t.arrays ?? []).map((a) => ({ countProperty: a.countProperty, countVariable: a.countVariable, elements: a.elements.map(propertyInfo) })),
    template: templateJson(newStep(t)),
  }));
}

export interface ActionInput {
  type?: string;
  action?: string;
  variables?: Array<{ name: string; property?: string; hidden?: boolean; value: string }>;
}

/**
 * The command line of each step after its properties changed: rebuilt from its type's template when
 * the step's action is ConfigMgr's saved command (or absent); null when the type builds none or the
 * action is someone's own (an MDT script), which is left as it is.
 */
export function rebuildActions(steps: ActionInput[]): Array<string | null> {
  return steps.map((s) => {
    const type = stepTypeOf(s.type);
    if (!type?.buildAction) return null;
    const step: Step = { kind: 'step', name: '', type: s.type, action: s.action, variables: s.variables ?? [] };
    if (s.action !== undefined && !actionUsesExecutable(step, type)) return null;
    return type.buildAction(step);
  });
}
