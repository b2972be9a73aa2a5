/**
 * Catalog completeness and consistency with what ConfigMgr 3.10 writes
 * (cm-export-all-step-types-catalog.xml: one instance of almost every built-in step).
 */
import { describe, expect, it } from 'vitest';
import { propertyOf, readSettings, STEP_TYPES, stepTypeByDisplayName, stepTypeOf } from '../../../src/sequence/catalog/index.js';
import { HAVE_CORPUS, corpusSteps } from './corpus.js';

// The required types of the brief, with the environment task-sequence-format §8 gives them.
const REQUIRED: Array<[type: string, displayName: string, runIn: string]> = [
  ['SMS_TaskSequence_RebootAction', 'Restart Computer', 'WinPEandFullOS'],
  ['SMS_TaskSequence_PartitionDiskAction', 'Format and Partition Disk', 'WinPE'],
  ['SMS_TaskSequence_ApplyOperatingSystemAction', 'Apply Operating System Image', 'WinPE'],
  ['SMS_TaskSequence_ApplyWindowsSettingsAction', 'Apply Windows Settings', 'WinPE'],
  ['SMS_TaskSequence_ApplyNetworkSettingsAction', 'Apply Network Settings', 'WinPE'],
  ['SMS_TaskSequence_AutoApplyAction', 'Auto Apply Drivers', 'WinPE'],
  ['SMS_TaskSequence_ApplyDriverPackageAction', 'Apply Driver Package', 'WinPE'],
  ['SMS_TaskSequence_SetupWindowsAndSMSAction', 'Setup Windows and ConfigMgr', 'WinPEandFullOS'],
  ['SMS_TaskSequence_InstallUpdateAction', 'Install Software Updates', 'FullOS'],
  ['SMS_TaskSequence_InstallApplicationAction', 'Install Application', 'FullOS'],
  ['SMS_TaskSequence_InstallSoftwareAction', 'Install Package', 'FullOS'],
  ['SMS_TaskSequence_CaptureWindowsSettingsAction', 'Capture Windows Settings', 'WinPEandFullOS'],
  ['SMS_TaskSequence_CaptureNetworkSettingsAction', 'Capture Network Settings', 'FullOS'],
  ['SMS_TaskSequence_RequestStateStoreAction', 'Request State Store', 'WinPEandFullOS'],
  ['SMS_TaskSequence_ReleaseStateStoreAction', 'Release State Store', 'FullOS'],
  ['SMS_TaskSequence_CaptureUserStateAction', 'Capture User State', 'WinPEandFullOS'],
  ['SMS_TaskSequence_RestoreUserStateAction', 'Restore User State', 'FullOS'],
  ['SMS_TaskSequence_RunCommandLineAction', 'Run Command Line', 'WinPEandFullOS'],
  ['SMS_TaskSequence_RunPowerShellScriptAction', 'Run PowerShell Script', 'WinPEandFullOS'],
  ['SMS_TaskSequence_SetVariableAction', 'Set Task Sequence Variable', 'WinPEandFullOS'],
  ['SMS_TaskSequence_SetDynamicVariablesAction', 'Set Dynamic Variables', 'WinPEandFullOS'],
  ['SMS_TaskSequence_DisableBitLockerAction', 'Disable BitLocker', 'FullOS'],
  ['SMS_TaskSequence_EnableBitLockerAction', 'Enable BitLocker', 'FullOS'],
  ['SMS_TaskSequence_OfflineEnableBitLockerAction', 'Pre-provision BitLocker', 'WinPE'],
  ['SMS_TaskSequence_SubTasksequence', 'Run Task Sequence', 'WinPEandFullOS'],
];

const LIGHT = [
  'SMS_TaskSequence_JoinDomainWorkgroupAction',
  'SMS_TaskSequence_DownloadPackageContentAction',
  'SMS_TaskSequence_PrestartCheckAction',
  'SMS_TaskSequence_UpgradeOperatingSystemAction',
  'SMS_TaskSequence_ApplyDataImageAction',
  'SMS_TaskSequence_CaptureSystemImageAction',
  'SMS_TaskSequence_PrepareOSAction',
  'SMS_TaskSequence_PrepareSMSClientAction',
  'SMS_TaskSequence_InstallDeployToolsAction',
  'SMS_TaskSequence_ConnectNetworkFolderAction',
  'SMS_TaskSequence_ConvertDiskAction',
];

describe('step catalog', () => {
  it.each(REQUIRED)('has %s as "%s", runIn %s, with typed settings and buildAction', (type, name, runIn) => {
    const t = stepTypeOf(type);
    expect(t?.displayName).toBe(name);
    expect(t?.runIn).toBe(runIn);
    expect(t?.settings).toBeDefined();
    expect(t?.buildAction).toBeDefined();
    expect(stepTypeByDisplayName(name)).toBe(t);
  });

  it.each(LIGHT)('has the other ConfigMgr class %s', (type) => {
    const t = stepTypeOf(type);
    expect(t).toBeDefined();
    expect(t!.executable).toMatch(/\.exe$/i);
    expect(t!.properties).toBeDefined();
  });

  it('has unique types and display names (aliases included)', () => {
    const types = STEP_TYPES.map((t) => t.type.toLowerCase());
    expect(new Set(types).size).toBe(types.length);
    const names = STEP_TYPES.flatMap((t) => [t.displayName, ...(t.aliases ?? [])].map((n) => n.toLowerCase()));
    expect(new Set(names).size).toBe(names.length);
  });

  it('looks types up case-insensitively and knows nothing of typeless, MDT or unknown steps', () => {
    expect(stepTypeOf('sms_tasksequence_rebootaction')?.displayName).toBe('Restart Computer');
    expect(stepTypeByDisplayName('restart in windows pe')?.type).toBe('SMS_TaskSequence_RebootAction');
    expect(stepTypeOf(undefined)).toBeUndefined();
    expect(stepTypeOf('BDD_Gather')).toBeUndefined();
    expect(stepTypeOf('SMS_TaskSequence_NoSuchAction')).toBeUndefined();
    expect(stepTypeByDisplayName('No such step')).toBeUndefined();
    expect(readSettings({ kind: 'step', name: 'Gather', type: 'BDD_Gather', variables: [] })).toBeUndefined();
  });

  it('uses the success codes and retry counts of task-sequence-format §4', () => {
    for (const t of STEP_TYPES) {
      const expected = /RunCommandLine|RunPowerShell/.test(t.type) ? '0 3010' : '0';
      expect(t.successCodes, t.type).toBe(expected);
      expect(t.retryCount, t.type).toBe(/InstallApplication|InstallUpdate/.test(t.type) ? 2 : 0);
    }
  });

  it('puts Run Task Sequence in a <subtasksequence> element', () => {
    expect(stepTypeOf('SMS_TaskSequence_SubTasksequence')?.element).toBe('subtasksequence');
    expect(STEP_TYPES.filter((t) => t.element === 'subtasksequence')).toHaveLength(1);
  });

  it('marks the passwords secret', () => {
    const secrets = STEP_TYPES.flatMap((t) => t.properties.filter((p) => p.secret).map((p) => p.variable));
    for (const v of [
      'OSDLocalAdminPassword',
      'OSDJoinPassword',
      'SMSTSRunCommandLineUserPassword',
      'SMSTSRunPowerShellUserPassword',
      'OSDMigrateLocalAccountPassword',
      'OSDBitLockerPIN',
      'OSDCaptureAccountPassword',
      'SMSConnectNetworkFolderPassword',
    ]) {
      expect(secrets, v).toContain(v);
    }
  });

  it('marks the [Global] properties ConfigMgr keeps in <globalVarList> (§5)', () => {
    const globals = STEP_TYPES.flatMap((t) => t.properties.filter((p) => p.global).map((p) => p.variable));
    for (const v of ['OSDStateSMPRetryCount', 'OSDStateSMPRetryTime', 'OSDEnableTCPIPFiltering', 'OSDAdapterCount']) {
      expect(globals, v).toContain(v);
    }
  });

  it('lists properties in ConfigMgr order: by property name, ordinal (§9)', () => {
    for (const t of STEP_TYPES) {
      const names = t.properties.map((p) => p.property);
      const sorted = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect(names, t.type).toEqual(sorted);
      for (const a of t.arrays ?? []) {
        const elements = a.elements.map((e) => e.property);
        expect(elements, `${t.type} ${a.countProperty}`).toEqual([...elements].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
        expect(t.properties.some((p) => p.property === a.countProperty && p.variable === a.countVariable)).toBe(true);
      }
    }
  });

  it('resolves array element variables to their spec', () => {
    const t = stepTypeOf('SMS_TaskSequence_PartitionDiskAction')!;
    expect(propertyOf(t, 'osdpartitions12sizeunits')?.property).toBe('Partitions{i}SizeUnits');
    expect(propertyOf(t, 'OSDPartitions')?.hidden).toBe(true);
    expect(propertyOf(t, 'OSDPartitionsXType')).toBeUndefined();
  });
});

describe.skipIf(!HAVE_CORPUS)('catalog against the ConfigMgr 3.10 export of every step type', () => {
  const steps = corpusSteps().filter((s) => s.file === 'cm-export-all-step-types-catalog.xml' && stepTypeOf(s.step.type));

  // ConfigMgr 3.10 writes WinPEandFullOS for Release State Store where the SDK, the spec (§8.16)
  // and the steps reference say full OS only; Run Task Sequence has no runIn at all.
  const RUN_IN_AS_EXPORTED: Record<string, string | undefined> = {
    SMS_TaskSequence_ReleaseStateStoreAction: 'WinPEandFullOS',
    SMS_TaskSequence_SubTasksequence: undefined,
  };

  it('covers the catalogued ConfigMgr types', () => {
    expect(new Set(steps.map((s) => s.step.type)).size).toBeGreaterThanOrEqual(33);
  });

  it.each(steps.map((s) => [s.path, s] as const))('matches the definition: %s', (_, { step }) => {
    const t = stepTypeOf(step.type)!;
    const runIn = step.type! in RUN_IN_AS_EXPORTED ? RUN_IN_AS_EXPORTED[step.type!] : t.runIn;
    expect(step.runIn).toBe(runIn);
    expect(step.successCodeList).toBe(t.successCodes);
    expect(step.retryCount).toBe(t.retryCount);
    expect(step.element ?? 'step').toBe(t.element ?? 'step');
    expect(step.action?.toLowerCase().startsWith(t.executable.toLowerCase())).toBe(true);
    let last = -1;
    for (const v of step.variables ?? []) {
      const spec = propertyOf(t, v.name);
      expect(spec, v.name).toBeDefined();
      // Same property (array elements: the template with the index), same hidden flag.
      const isElement = spec!.property.includes('{i}');
      expect(isElement ? v.property?.replace(/(\D)\d+/, '$1{i}') : v.property).toBe(spec!.property);
      expect(v.hidden ?? false, v.name).toBe(spec!.hidden ?? false);
      // Fixed properties appear in definition order.
      const at = t.properties.indexOf(spec!);
      if (at !== -1) {
        expect(at, `${v.name} out of order`).toBeGreaterThan(last);
        last = at;
      }
    }
  });
});
