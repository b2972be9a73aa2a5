/**
 * Connect To Network Folder — task-sequence-format §7, §8.18.
 */
import { property } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

export const connectNetworkFolder = defineStepType({
  type: 'SMS_TaskSequence_ConnectNetworkFolderAction',
  displayName: 'Connect To Network Folder',
  executable: 'smsnetuse.exe',
  runIn: 'WinPEandFullOS',
  successCodes: '0',
  retryCount: 0,
  // Order by property name [C: catalog export].
  properties: [
    property('DriveLetter', 'SMSConnectNetworkFolderDriveLetter', { description: 'D: to Z: (not X:); empty = no letter' }),
    property('Password', 'SMSConnectNetworkFolderPassword', { secret: true }),
    property('Path', 'SMSConnectNetworkFolderPath', { description: '\\\\server\\share' }),
    property('Username', 'SMSConnectNetworkFolderAccount'),
  ],
  buildAction: () => 'smsnetuse.exe %SMSConnectNetworkFolderPath%',
  spec: 'task-sequence-format §7, §8.18',
});
