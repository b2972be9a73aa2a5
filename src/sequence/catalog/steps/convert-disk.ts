/**
 * Convert Disk to Dynamic — task-sequence-format §7, §8.18.
 */
import { property } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

export const convertDisk = defineStepType({
  type: 'SMS_TaskSequence_ConvertDiskAction',
  displayName: 'Convert Disk to Dynamic',
  executable: 'osddiskpart.exe',
  runIn: 'WinPEandFullOS',
  successCodes: '0',
  retryCount: 0,
  properties: [property('DiskIndex', 'OSDConvertDiskIndex', { default: '0' })],
  buildAction: () => 'osddiskpart.exe convert %OSDConvertDiskIndex%',
  spec: 'task-sequence-format §7, §8.18',
});
