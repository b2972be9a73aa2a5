/**
 * The State Migration page's part of the generated task sequence (osd-features §1.2 "State
 * Migration", §1.4): the "Capture Files and Settings" group before the OS install and the
 * "Restore User Files and Settings" group at the end, on a state migration point or local.
 */
import {
  captureNetworkSettings,
  captureUserState,
  captureWindowsSettings,
  releaseStateStore,
  requestStateStore,
  restoreUserState,
  setTaskSequenceVariable,
} from '../../catalog/index.js';
import type { Group, Step } from '../../model/task-sequence.js';
import { allOf, catalogStep, group, variableTest } from './steps.js';

/**
 * Request User State Storage retry settings. The wizard's values are not documented; osd-features
 * §1.4 chooses 3 retries, 60 s [I] (the editor's defaults are 3 and 10 s, task-sequence-format §5).
 * They are global properties, so they also go into `<globalVarList>`.
 */
export const SMP_RETRY_COUNT = 3;
export const SMP_RETRY_TIME = 60;

/**
 * Local store: `%_SMSTSUserStatePath%`, the folder Apply Operating System keeps when it wipes the
 * volume, so a copied or hard-linked store survives (osd-features §3.4, user-state §2.6, §2.7) [I].
 */
export const LOCAL_STATE_STORE_PATH = '%_SMSTSUserStatePath%';

export interface StateMigrationChoices {
  captureUserSettings: boolean;
  saveTo: 'stateMigrationPoint' | 'local';
  useHardLinks: boolean;
  usmtPackageId: string;
  captureNetworkSettings: boolean;
  captureWindowsSettings: boolean;
}

const usesSmp = (s: StateMigrationChoices): boolean => s.captureUserSettings && s.saveTo === 'stateMigrationPoint';

/** True when the Request State Store steps (and so their global retry variables) are generated. */
export function hasStateStoreRequests(s: StateMigrationChoices): boolean {
  return usesSmp(s);
}

function requestStep(requestType: 'capture' | 'restore'): Step {
  return catalogStep(requestStateStore, 'Request User State Storage', {
    fallbackToNAA: false,
    requestType,
    retryCount: SMP_RETRY_COUNT,
    retryTime: SMP_RETRY_TIME,
  });
}

// ConfigMgr 3.10 writes runIn="WinPEandFullOS" on Release State Store [C: catalog export].
const releaseStep = (): Step => catalogStep(releaseStateStore, 'Release User State Storage', {}, { runIn: 'WinPEandFullOS' });

/** The local-mode step; its name is not documented (osd-features §1.4, §8 question 3) [I]. */
const setLocalPathStep = (): Step =>
  catalogStep(setTaskSequenceVariable, 'Set Local State Location', {
    doNotShowValue: false,
    name: 'OSDStateStorePath',
    value: LOCAL_STATE_STORE_PATH,
  });

/** The "Capture Files and Settings" group, or undefined when no capture option is on (§1.4). */
export function captureGroup(s: StateMigrationChoices): Group | undefined {
  const items: Array<Group | Step> = [];
  if (s.captureWindowsSettings) {
    items.push(
      catalogStep(captureWindowsSettings, 'Capture Windows Settings', {
        migrateComputerName: true,
        migrateRegistrationInfo: true,
        migrateTimeZone: true,
      }),
    );
  }
  if (s.captureNetworkSettings) {
    items.push(
      catalogStep(captureNetworkSettings, 'Capture Network Settings', {
        migrateAdapterSettings: true,
        migrateNetworkMembership: true,
      }),
    );
  }
  if (s.captureUserSettings) {
    const hardLinks = s.saveTo === 'local' && s.useHardLinks;
    // "Capture all user profiles by using standard options" (Mode Simple) with the step's
    // documented defaults; hard links only for a local store (an SMP can't use them, §1.2).
    const capture = catalogStep(captureUserState, 'Capture User Files and Settings', {
      continueOnLockedFiles: true,
      enableVerboseLogging: false,
      fileAccess: 'Normal',
      mode: 'Simple',
      offlineUserState: false,
      skipEncryptedFiles: false,
      useHardlinks: hardLinks,
      usmtPackageId: s.usmtPackageId,
    });
    const steps = usesSmp(s) ? [requestStep('capture'), capture, releaseStep()] : [setLocalPathStep(), capture];
    items.push(group('Capture User Files and Settings', '', steps));
  }
  if (items.length === 0) return undefined;
  // The capture steps need the old OS; skip the group when the TS starts in Windows PE
  // (bare metal) [I: osd-features §1.4, not verified].
  return group('Capture Files and Settings', '', items, allOf(variableTest('_SMSTSInWinPE', 'equals', 'false')));
}

/**
 * The "Restore User Files and Settings" group, or undefined without user-state capture. Restore
 * does not tick "Restore local computer user profiles": the wizard's known quirk, replicated on
 * purpose (§1.2; lint reports it as capture-all-profiles-without-local-accounts).
 */
export function restoreGroup(s: StateMigrationChoices): Group | undefined {
  if (!s.captureUserSettings) return undefined;
  const restore = catalogStep(restoreUserState, 'Restore User Files and Settings', {
    continueOnRestore: true,
    enableVerboseLogging: false,
    localAccounts: false,
    mode: 'Simple',
    usmtPackageId: s.usmtPackageId,
  });
  const steps = usesSmp(s) ? [requestStep('restore'), restore, releaseStep()] : [setLocalPathStep(), restore];
  return group('Restore User Files and Settings', '', steps);
}
