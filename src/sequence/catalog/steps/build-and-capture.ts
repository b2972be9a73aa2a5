/**
 * The build-and-capture family — task-sequence-format §7, §8.18: Install Deployment Tools,
 * Prepare ConfigMgr Client for Capture, Prepare Windows for Capture, Capture Operating System Image.
 */
import { variableOf, variableValue } from '../../model/options.js';
import { property } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

export const installDeploymentTools = defineStepType({
  type: 'SMS_TaskSequence_InstallDeployToolsAction',
  displayName: 'Install Deployment Tools',
  executable: 'osdprepareos.exe',
  runIn: 'FullOS',
  successCodes: '0',
  retryCount: 0,
  properties: [property('SysprepPackageID', 'SysprepPackageID', { hidden: true, description: 'Sysprep package' })],
  buildAction: (step) => `osdprepareos.exe /install:${variableValue(step, 'SysprepPackageID') ?? ''}`,
  spec: 'task-sequence-format §7, §8.18',
});

export const prepareConfigMgrClient = defineStepType({
  type: 'SMS_TaskSequence_PrepareSMSClientAction',
  displayName: 'Prepare ConfigMgr Client for Capture',
  executable: 'osdpreparesmsclient.exe',
  runIn: 'FullOS',
  successCodes: '0',
  retryCount: 0,
  properties: [],
  buildAction: () => 'osdpreparesmsclient.exe',
  spec: 'task-sequence-format §7, §8.18',
});

export const prepareWindows = defineStepType({
  type: 'SMS_TaskSequence_PrepareOSAction',
  displayName: 'Prepare Windows for Capture',
  executable: 'osdprepareos.exe',
  runIn: 'FullOS',
  successCodes: '0',
  retryCount: 0,
  properties: [
    property('BuildStorageDriverList', 'OSDBuildStorageDriverList', { default: 'false' }),
    property('KeepActivation', 'OSDKeepActivation', { default: 'false' }),
    property('ShutdownPreparedOs', 'OSDShutdownPreparedOs', { default: 'false' }),
  ],
  // ` /shutdown:` only when the property exists (newer versions) [C: catalog vs SCCM_Client template].
  buildAction: (step) =>
    'osdprepareos.exe /activate:%OSDKeepActivation% /bmsd:%OSDBuildStorageDriverList%' +
    (variableOf(step, 'OSDShutdownPreparedOs') ? ' /shutdown:%OSDShutdownPreparedOs%' : ''),
  spec: 'task-sequence-format §7, §8.18',
  // Sysprep, then the engine restarts into the boot image to capture (§8.18).
  restarts: { into: 'WinPE' },
});

export const captureOperatingSystemImage = defineStepType({
  type: 'SMS_TaskSequence_CaptureSystemImageAction',
  displayName: 'Capture Operating System Image',
  executable: 'osdcapturesystemimage.exe',
  runIn: 'WinPE',
  successCodes: '0',
  retryCount: 0,
  properties: [
    property('CaptureDestination', 'OSDCaptureDestination', { description: 'UNC path of the .wim to write' }),
    property('CapturePassword', 'OSDCaptureAccountPassword', { secret: true }),
    property('CaptureUsername', 'OSDCaptureAccount'),
    property('ImageCreator', 'OSDImageCreator'),
    property('ImageDescription', 'OSDImageDescription'),
    property('ImageVersion', 'OSDImageVersion'),
  ],
  buildAction: () => 'osdcapturesystemimage.exe',
  spec: 'task-sequence-format §7, §8.18',
});
