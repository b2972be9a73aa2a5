/**
 * The editor's name of every step type, by XML `type`, without loading the catalog: the catalog's
 * definitions build their settings schemas with zod when they load (~100 modules), and `osd ts show`
 * needs only the names (issue 16 item 2: the CLI loads what its command uses). The catalog
 * (index.ts, each definition's `displayName`) stays the source; test/sequence/catalog/display-names.test.ts
 * keeps this table equal to it.
 */
export const STEP_DISPLAY_NAMES: Readonly<Record<string, string>> = {
  SMS_TaskSequence_RunCommandLineAction: 'Run Command Line',
  SMS_TaskSequence_RunPowerShellScriptAction: 'Run PowerShell Script',
  SMS_TaskSequence_SetVariableAction: 'Set Task Sequence Variable',
  SMS_TaskSequence_SetDynamicVariablesAction: 'Set Dynamic Variables',
  SMS_TaskSequence_RebootAction: 'Restart Computer',
  SMS_TaskSequence_SubTasksequence: 'Run Task Sequence',
  SMS_TaskSequence_JoinDomainWorkgroupAction: 'Join Domain or Workgroup',
  SMS_TaskSequence_ConnectNetworkFolderAction: 'Connect To Network Folder',
  SMS_TaskSequence_PrestartCheckAction: 'Check Readiness',
  SMS_TaskSequence_DownloadPackageContentAction: 'Download Package Content',
  SMS_TaskSequence_PartitionDiskAction: 'Format and Partition Disk',
  SMS_TaskSequence_ConvertDiskAction: 'Convert Disk to Dynamic',
  SMS_TaskSequence_EnableBitLockerAction: 'Enable BitLocker',
  SMS_TaskSequence_DisableBitLockerAction: 'Disable BitLocker',
  SMS_TaskSequence_OfflineEnableBitLockerAction: 'Pre-provision BitLocker',
  SMS_TaskSequence_RequestStateStoreAction: 'Request State Store',
  SMS_TaskSequence_CaptureUserStateAction: 'Capture User State',
  SMS_TaskSequence_RestoreUserStateAction: 'Restore User State',
  SMS_TaskSequence_ReleaseStateStoreAction: 'Release State Store',
  SMS_TaskSequence_ApplyOperatingSystemAction: 'Apply Operating System Image',
  SMS_TaskSequence_ApplyDataImageAction: 'Apply Data Image',
  SMS_TaskSequence_SetupWindowsAndSMSAction: 'Setup Windows and ConfigMgr',
  SMS_TaskSequence_UpgradeOperatingSystemAction: 'Upgrade Operating System',
  SMS_TaskSequence_InstallDeployToolsAction: 'Install Deployment Tools',
  SMS_TaskSequence_PrepareSMSClientAction: 'Prepare ConfigMgr Client for Capture',
  SMS_TaskSequence_PrepareOSAction: 'Prepare Windows for Capture',
  SMS_TaskSequence_CaptureSystemImageAction: 'Capture Operating System Image',
  SMS_TaskSequence_AutoApplyAction: 'Auto Apply Drivers',
  SMS_TaskSequence_ApplyDriverPackageAction: 'Apply Driver Package',
  SMS_TaskSequence_CaptureNetworkSettingsAction: 'Capture Network Settings',
  SMS_TaskSequence_CaptureWindowsSettingsAction: 'Capture Windows Settings',
  SMS_TaskSequence_ApplyNetworkSettingsAction: 'Apply Network Settings',
  SMS_TaskSequence_ApplyWindowsSettingsAction: 'Apply Windows Settings',
  SMS_TaskSequence_InstallApplicationAction: 'Install Application',
  SMS_TaskSequence_InstallSoftwareAction: 'Install Package',
  SMS_TaskSequence_InstallUpdateAction: 'Install Software Updates',
};

const byLowerType = new Map(Object.entries(STEP_DISPLAY_NAMES).map(([type, name]) => [type.toLowerCase(), name]));

/** The editor's name of a step type, case-insensitively as the catalog's stepTypeOf; undefined for a type it does not know. */
export function stepDisplayNameOf(type: string | undefined): string | undefined {
  return type === undefined ? undefined : byLowerType.get(type.toLowerCase());
}
