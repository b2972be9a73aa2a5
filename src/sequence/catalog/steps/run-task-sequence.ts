/**
 * Run Task Sequence — `<subtasksequence type="SMS_TaskSequence_SubTasksequence">`
 * (task-sequence-format §4). At deploy time the child is merged into the parent as one policy
 * and shares its variable environment.
 */
import { z } from 'zod';
import { property, settingsCodec, withLayout } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

// Order by property name [C: catalog export]. None hidden there.
const properties = [
  property('TsName', 'OSDSubTasksequenceTsName', { description: '"<PackageID>, <name>" of the child task sequence' }),
  property('TsPackageID', 'OSDSubTasksequencePackageID', { description: 'Package ID of the child task sequence' }),
  property('TsReferenceApplications', 'OSDSubTasksequenceTsReferenceApplications', {
    description: 'Comma-separated applications the child references',
  }),
  property('TsReferencePackages', 'OSDSubTasksequenceTsReferencePackages', {
    description: 'Comma-separated packages the child references',
  }),
];

export const runTaskSequenceSchema = withLayout({
  packageId: z.string().optional(),
  name: z.string().optional(),
  referenceApplications: z.array(z.string()).optional(),
  referencePackages: z.array(z.string()).optional(),
});
export type RunTaskSequenceSettings = z.infer<typeof runTaskSequenceSchema>;

export const runTaskSequence = defineStepType<RunTaskSequenceSettings>({
  type: 'SMS_TaskSequence_SubTasksequence',
  displayName: 'Run Task Sequence',
  element: 'subtasksequence',
  executable: 'SubTasksequence.exe',
  // ConfigMgr writes no runIn attribute on <subtasksequence> [C: catalog export], i.e. the SDK
  // default WinPEandFullOS (§4); the child's own steps carry their environments.
  runIn: 'WinPEandFullOS',
  successCodes: '0',
  retryCount: 0,
  properties,
  settings: settingsCodec<RunTaskSequenceSettings>({
    properties,
    schema: runTaskSequenceSchema,
    read: (r) => ({
      packageId: r.string('TsPackageID'),
      name: r.string('TsName'),
      referenceApplications: r.list('TsReferenceApplications'),
      referencePackages: r.list('TsReferencePackages'),
    }),
    write: (s, w) => {
      w.string('TsName', s.name);
      w.string('TsPackageID', s.packageId);
      w.list('TsReferenceApplications', s.referenceApplications);
      w.list('TsReferencePackages', s.referencePackages);
    },
  }),
  buildAction: () => 'SubTasksequence.exe',
  spec: 'task-sequence-format §4',
});
