/**
 * Join Domain or Workgroup — task-sequence-format §8.18 (full OS, after deployment; Apply
 * Network Settings covers the join during setup).
 */
import { property } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

export const joinDomainWorkgroup = defineStepType({
  type: 'SMS_TaskSequence_JoinDomainWorkgroupAction',
  displayName: 'Join Domain or Workgroup',
  executable: 'osdjoin.exe',
  runIn: 'FullOS',
  successCodes: '0',
  retryCount: 0,
  // Order by property name [C: catalog export].
  properties: [
    property('DomainName', 'OSDJoinDomainName'),
    property('DomainOUName', 'OSDJoinDomainOUName', { description: 'LDAP:// path of the OU' }),
    property('DomainPassword', 'OSDJoinPassword', { secret: true }),
    property('DomainUsername', 'OSDJoinAccount'),
    property('SkipReboot', 'OSDJoinSkipReboot', { default: 'false' }),
    property('Type', 'OSDJoinType', { description: '0 = domain, 1 = workgroup' }),
    property('WorkgroupName', 'OSDJoinWorkgroupName'),
  ],
  buildAction: () => 'osdjoin.exe /type:%OSDJoinType%',
  spec: 'task-sequence-format §8.18',
});
