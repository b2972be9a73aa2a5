/**
 * Download Package Content — task-sequence-format §8.18: packages listed in the
 * `OSDPackage{i}*` array (count `OSDPackageCount`) are downloaded to the cache or a path.
 */
import { property } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

export const downloadPackageContent = defineStepType({
  type: 'SMS_TaskSequence_DownloadPackageContentAction',
  displayName: 'Download Package Content',
  executable: 'OsdDownloadContent.exe',
  runIn: 'WinPEandFullOS',
  successCodes: '0',
  retryCount: 0,
  // Order by property name [C: catalog export, in-place upgrade export].
  properties: [
    property('ContinueDownloadOnError', 'OSDDownloadContinueDownloadOnError', { default: 'true' }),
    property('DestinationCustomPath', 'OSDDownloadDestinationPath'),
    property('DestinationLocationType', 'OSDDownloadDestinationLocationType', {
      default: 'TSCache',
      description: 'TSCache | CCMCache | Custom',
    }),
    property('DestinationVariable', 'OSDDownloadDestinationVariable', { description: 'Variable that receives the path' }),
    property('DownloadPackages', 'OSDDownloadDownloadPackages', { description: 'Comma-separated package IDs' }),
    property('NumPackages', 'OSDPackageCount'),
    property('PackageInfo', 'OSDPackage', { hidden: true, description: 'Package array (its count)' }),
  ],
  arrays: [
    {
      countProperty: 'NumPackages',
      countVariable: 'OSDPackageCount',
      elements: [
        property('PackageInfo{i}Name', 'OSDPackage{i}Name'),
        property('PackageInfo{i}PackageId', 'OSDPackage{i}PackageId'),
        property('PackageInfo{i}PkgType', 'OSDPackage{i}PkgType'),
        property('PackageInfo{i}Size', 'OSDPackage{i}Size'),
      ],
    },
  ],
  // The tool reads its variables; ConfigMgr saves a trailing space [C].
  buildAction: () => 'OsdDownloadContent.exe ',
  spec: 'task-sequence-format §8.18',
});
