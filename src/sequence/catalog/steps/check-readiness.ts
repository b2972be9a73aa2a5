/**
 * Check Readiness (SMS_TaskSequence_PrestartCheckAction) — task-sequence-format §8.18: evaluates
 * every enabled check, sets `_TS_CR*` to 1/0 and fails with 4316 if one fails.
 */
import { property } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

export const checkReadiness = defineStepType({
  type: 'SMS_TaskSequence_PrestartCheckAction',
  displayName: 'Check Readiness',
  executable: 'OSDPrestartCheck.exe',
  runIn: 'WinPEandFullOS',
  successCodes: '0',
  retryCount: 0,
  // Order by property name [C: catalog export].
  properties: [
    property('CMClientMinVersion', 'OSDCMClientMinVersion'),
    property('CheckCMClientMinVersion', 'OSDCheckCMClientMinVersion'),
    property('CheckDeviceUEFI', 'OSDCheckDeviceUEFI'),
    property('CheckFreeDiskSpace', 'OSDCheckFreeDiskSpace'),
    property('CheckMaxOSVersion', 'OSDCheckMaxOsVersion'),
    property('CheckMemory', 'OSDCheckMemory'),
    property('CheckMinOSVersion', 'OSDCheckMinOSVersion'),
    property('CheckNetworkConnected', 'OSDCheckNetworkConnected'),
    property('CheckNetworkWired', 'OSDCheckNetworkWired'),
    property('CheckOSArchitecture', 'OSDCheckOSArchitecture'),
    property('CheckOSLanguageID', 'OSDCheckOSLanguageID'),
    property('CheckOSType', 'OSDCheckOSType'),
    property('CheckPowerState', 'OSDCheckPowerState'),
    property('CheckProcessorSpeed', 'OSDCheckProcessorSpeed'),
    property('FreeDiskSpace', 'OSDFreeDiskSpace', { description: 'MB' }),
    property('MaxOSVersion', 'OSDMaxOSVersion'),
    property('Memory', 'OSDMemory', { description: 'MB' }),
    property('MinOSVersion', 'OSDMinOSVersion'),
    property('OSArchitecture', 'OSDOSArchitecture', { description: '32 | 64' }),
    property('OSLanguageID', 'OSDOSLanguageID'),
    property('OSType', 'OSDOSType', { description: 'CLIENT | SERVER' }),
    property('ProcessorSpeed', 'OSDProcessorSpeed', { description: 'MHz' }),
  ],
  // The tool reads its variables; ConfigMgr saves a trailing space [C].
  buildAction: () => 'OSDPrestartCheck.exe ',
  spec: 'task-sequence-format §8.18',
});
