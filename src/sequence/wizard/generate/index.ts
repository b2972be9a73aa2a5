/**
 * The Create Task Sequence Wizard, "Install an existing image package", as one pure function:
 * answers (+ the site's content) → task sequence. The tree, names, descriptions, conditions and
 * properties follow osd-features §1.4 and the real 19H2 export described in §1.5; where the spec
 * marks a choice [I], the choice is documented in docs/wizard-answers.md.
 *
 * Call validateAnswers first: generation assumes valid answers (it never throws on them, but an
 * answer the console would refuse produces what the console would never write).
 */
import {
  applyNetworkSettings,
  applyOperatingSystem,
  applyWindowsSettings,
  autoApplyDrivers,
  disableBitLocker,
  enableBitLocker,
  installApplication,
  installSoftwareUpdates,
  preProvisionBitLocker,
  restartComputer,
  setupWindows,
  stepTypeOf,
} from '../../catalog/index.js';
import type { ContentReference, SequenceItem, Step, StepVariable, TaskSequence } from '../../model/task-sequence.js';
import { walkItems } from '../../model/walk.js';
import type { SiteManifest } from '../../site-manifest.js';
import type { WizardAnswers } from '../answers.js';
import { DEFAULT_CONNECTION_LIMIT, resolveAnswers } from '../resolve.js';
import { partitionBiosStep, partitionUefiStep } from './partitions.js';
import { allOf, catalogStep, group, markSecret, variableTest } from './steps.js';
import { captureGroup, restoreGroup } from './user-state.js';

/** Names and descriptions the wizard writes [E: osd-features §1.4, §1.5]. */
export const NAMES = {
  disableBitLocker: 'Disable BitLocker',
  installGroup: 'Install Operating System',
  restartInWinPE: 'Restart in Windows PE',
  preProvisionBitLocker: 'Pre-provision BitLocker',
  applyOS: 'Apply Operating System',
  applyWindowsSettings: 'Apply Windows Settings',
  applyNetworkSettings: 'Apply Network Settings',
  applyDrivers: 'Apply Device Drivers',
  setupGroup: 'Setup Operating System',
  setupWindows: 'Setup Windows and Configuration Manager',
  enableBitLocker: 'Enable BitLocker',
  installUpdates: 'Install Updates',
  installApplications: 'Install Applications',
} as const;

const INSTALL_GROUP_DESCRIPTION = 'Actions to run in Windows PE to install and configure the image';
const REBOOT_MESSAGE = 'A new Microsoft Windows operating system is being installed. The computer must reboot to continue.';
// SMSRebootTimeout as exported (the editor's default for a new Restart step is 60 s) [E].
const REBOOT_TIMEOUT = 10;

const notInWinPE = () => allOf(variableTest('_SMSTSInWinPE', 'equals', 'false'));
// "runs only if the value doesn't equal FullMedia" [D: osd-features §1.4].
const notFullMedia = () => allOf(variableTest('_SMSTSMediaType', 'notEquals', 'FullMedia'));

function installOperatingSystem(a: WizardAnswers): SequenceItem[] {
  const w = a.installWindows;
  const items: SequenceItem[] = [
    catalogStep(
      restartComputer,
      NAMES.restartInWinPE,
      { target: 'WinPE', message: REBOOT_MESSAGE, messageTimeout: REBOOT_TIMEOUT },
      { condition: notInWinPE() },
    ),
  ];
  if (w.partitionAndFormat) items.push(partitionBiosStep(), partitionUefiStep());
  if (w.configureBitLocker) {
    // "next available formatted partition", skip without a TPM: the step's documented defaults (§1.4).
    items.push(
      catalogStep(preProvisionBitLocker, NAMES.preProvisionBitLocker, {
        destination: { kind: 'next-available' },
        skipWhenTpmInvalid: true,
      }),
    );
  }
  items.push(
    catalogStep(
      applyOperatingSystem,
      NAMES.applyOS,
      { imagePackageId: w.imagePackageId, imageIndex: w.imageIndex, destination: { kind: 'next-available' }, runFromNet: false },
      { description: 'Actions to apply operating system' },
    ),
    applyWindowsSettingsStep(a),
    applyNetworkSettingsStep(a),
    // Best match, all categories, no unsigned drivers [I: §1.4 defaults].
    catalogStep(autoApplyDrivers, NAMES.applyDrivers, { bestMatch: true, allowUnsignedDriver: false }, { condition: notFullMedia() }),
  );
  return items;
}

function applyWindowsSettingsStep(a: WizardAnswers): Step {
  const w = a.installWindows;
  const enabled = w.localAdministrator.mode === 'enabled';
  const lic = w.serverLicensing;
  const step = catalogStep(
    applyWindowsSettings,
    NAMES.applyWindowsSettings,
    {
      adminPassword: enabled && w.localAdministrator.mode === 'enabled' ? w.localAdministrator.password : undefined,
      computerName: '%_SMSTSMachineName%',
      inputLocale: a.console.inputLocale,
      productKey: w.productKey || undefined,
      randomAdminPassword: !enabled,
      registeredOrgName: a.console.computerName,
      registeredUserName: a.console.userName,
      // The minimum is written even with no mode chosen [E: §1.2].
      serverLicenseConnectionLimit: lic.mode === 'perServer' ? (lic.maxConnections ?? DEFAULT_CONNECTION_LIMIT) : DEFAULT_CONNECTION_LIMIT,
      serverLicenseMode: lic.mode === 'perSeat' ? 'PerSeat' : lic.mode === 'perServer' ? 'PerServer' : undefined,
      // Written empty in the export [E: §1.2].
      systemLocale: '',
      timeZone: a.console.timeZone,
      uiLanguage: '',
      uiLanguageFallback: '',
      userLocale: '',
    },
    { description: 'Actions to apply Windows settings' },
  );
  return markSecret(step, 'OSDLocalAdminPassword');
}

function applyNetworkSettingsStep(a: WizardAnswers): Step {
  const n = a.configureNetwork;
  const step = catalogStep(
    applyNetworkSettings,
    NAMES.applyNetworkSettings,
    n.join === 'workgroup'
      ? { joinType: 'workgroup', workgroupName: n.workgroup, enableTcpipFiltering: false, adapters: [] }
      : {
          joinType: 'domain',
          domainName: n.domain,
          domainOUName: n.domainOU || undefined,
          domainUsername: n.account,
          domainPassword: n.password,
          enableTcpipFiltering: false,
          adapters: [],
        },
    { description: 'Actions to configure network settings' },
  );
  return markSecret(step, 'OSDJoinPassword');
}

function setupOperatingSystem(a: WizardAnswers): SequenceItem[] {
  const c = a.installConfigMgr;
  const items: SequenceItem[] = [
    catalogStep(
      setupWindows,
      NAMES.setupWindows,
      {
        clientPackageId: c.clientPackageId,
        clientPreProductionPackageId: c.usePreProductionClient ? c.preProductionClientPackageId : undefined,
        clientInstallProperties: c.installationProperties,
      },
      { description: 'Actions to setup Windows and Configuration Manager client' },
    ),
  ];
  if (a.installWindows.configureBitLocker) {
    // Current OS drive, TPM only, recovery password in AD DS: the step's documented defaults (§1.4).
    items.push(catalogStep(enableBitLocker, NAMES.enableBitLocker, { mode: 'TPM', createRecoveryPassword: 'AD', waitForEncryption: false }));
  }
  if (a.includeUpdates !== 'none') {
    items.push(
      catalogStep(
        installSoftwareUpdates,
        NAMES.installUpdates,
        { target: a.includeUpdates === 'all' ? 'All' : 'Mandatory', useCache: true, retryCount: 2 },
        { condition: notFullMedia() },
      ),
    );
  }
  const apps = a.installApplications;
  if (apps.applications.length) {
    items.push(
      catalogStep(installApplication, NAMES.installApplications, {
        applications: apps.applications,
        continueOnInstallError: apps.continueOnFailure,
        retryCount: 2,
      }),
    );
  }
  const restore = restoreGroup(a.stateMigration);
  if (restore) items.push(restore);
  return items;
}

/** Every package and application a step uses, in first-use order (task-sequence-format §2). */
function referencesOf(items: SequenceItem[]): ContentReference[] {
  const seen = new Set<string>();
  const refs: ContentReference[] = [];
  const add = (ref: ContentReference, key: string): void => {
    if (!seen.has(key)) {
      seen.add(key);
      refs.push(ref);
    }
  };
  const PACKAGE_VARIABLES = new Set(['imagepackageid', '_smsclientpackageid', '_smsclientpreproductionpackageid', '_osdmigrateusmtpackageid']);
  for (const { item } of walkItems({ items })) {
    if (item.kind !== 'step') continue;
    for (const v of item.variables ?? []) {
      const name = v.name.toLowerCase();
      if (PACKAGE_VARIABLES.has(name) && v.value) add({ package: v.value }, `p:${v.value.toUpperCase()}`);
      if (name === 'applicationname') for (const app of v.value.split(',').filter(Boolean)) add({ application: app }, `a:${app}`);
    }
  }
  return refs;
}

/**
 * `<globalVarList>`: the values of [Global] step properties the sequence sets (the SDK qualifier;
 * the 19H2 export carries OSDEnableTCPIPFiltering=false and OSDAdapterCount=0 from Apply Network
 * Settings, osd-features §1.2), first occurrence wins.
 */
function globalsOf(items: SequenceItem[]): StepVariable[] {
  const out = new Map<string, StepVariable>();
  for (const { item } of walkItems({ items })) {
    if (item.kind !== 'step') continue;
    const globals = new Set((stepTypeOf(item.type)?.properties ?? []).filter((p) => p.global).map((p) => p.variable.toLowerCase()));
    for (const v of item.variables ?? []) {
      if (globals.has(v.name.toLowerCase()) && !out.has(v.name.toLowerCase())) out.set(v.name.toLowerCase(), { name: v.name, value: v.value });
    }
  }
  return [...out.values()];
}

/** The task sequence the wizard creates for these answers. `site` resolves defaults and application names. */
export function generateInstallImageSequence(answers: WizardAnswers, site?: SiteManifest): TaskSequence {
  const a = resolveAnswers(answers, site);
  const items: SequenceItem[] = [];
  if (a.installWindows.configureBitLocker) {
    // Before the OS-install phase [D order]. It needs the old OS, so it is skipped when the task
    // sequence starts in Windows PE (bare metal) [I: placement and condition not verified].
    items.push(catalogStep(disableBitLocker, NAMES.disableBitLocker, { rebootCount: 1 }, { condition: notInWinPE() }));
  }
  const capture = captureGroup(a.stateMigration);
  if (capture) items.push(capture);
  items.push(group(NAMES.installGroup, INSTALL_GROUP_DESCRIPTION, installOperatingSystem(a)));
  items.push(group(NAMES.setupGroup, 'Setup Operating System', setupOperatingSystem(a)));
  return { version: '3.10', references: referencesOf(items), globalVariables: globalsOf(items), items };
}

/**
 * The `SMS_TaskSequencePackage` properties the wizard sets (§1.2 Task Sequence Information): a task
 * sequence with a boot image is an OSD task sequence, Type 2.
 */
export function wizardPackageProperties(answers: WizardAnswers): Record<string, string> {
  const t = answers.taskSequence;
  return {
    Name: t.name,
    Description: t.description,
    BootImageID: t.bootImageId,
    Type: t.bootImageId ? '2' : '1',
    HighPerformance: String(t.highPerformancePowerPlan),
  };
}
