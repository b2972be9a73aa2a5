/**
 * Upgrade Operating System — task-sequence-format §8.18: Windows setup in-place upgrade; sets
 * `_SMSTSOSUpgradeActionReturnCode` and `_SMSTSSetupRollback`.
 */
import { property } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

export const upgradeOperatingSystem = defineStepType({
  type: 'SMS_TaskSequence_UpgradeOperatingSystemAction',
  displayName: 'Upgrade Operating System',
  executable: 'OSDUpgradeOS.exe',
  runIn: 'FullOS',
  successCodes: '0',
  retryCount: 0,
  // Order by property name [C: catalog export, in-place upgrade export].
  properties: [
    property('DynamicUpdateSettings', 'OSDUpgradeDynamicUpdateSettings', { default: 'Disable' }),
    property('IgnoreMessages', 'OSDUpgradeIgnoreMessages', { default: 'false' }),
    property('InstallEditionIndex', 'OSDUpgradeInstallEditionIndex', { default: '1' }),
    property('InstallPackageID', 'OSDUpgradeInstallPackageID', { description: 'OS upgrade package' }),
    property('InstallPath', 'OSDUpgradeInstallPath', { description: 'Source path instead of a package' }),
    property('OsProductKey', 'OSDUpgradeOsProductKey'),
    property('PreserveSettings', 'OSDUpgradePreserveSettings', { default: 'Upgrade' }),
    property('ScanOnly', 'OSDUpgradeScanOnly', { default: 'false', description: 'Compatibility scan only' }),
    property('StagedContent', 'OSDUpgradeStagedContent', { description: 'Driver content path to stage' }),
  ],
  // The tool reads its variables; ConfigMgr saves a trailing space [C].
  buildAction: () => 'OSDUpgradeOS.exe ',
  spec: 'task-sequence-format §8.18',
  // Windows setup restarts the computer into the upgraded OS.
  restarts: { into: 'FullOS' },
});
