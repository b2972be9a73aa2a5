/**
 * Request State Store / Release State Store — task-sequence-format §8.16. Every Request needs a
 * matching Release; the retry settings are global (they must survive into finalize mode).
 */
import { z } from 'zod';
import { property, settingsCodec, withLayout } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

const requestProperties = [
  property('FallbackToNAA', 'OSDStateFallbackToNAA', {
    default: 'false',
    description: 'Use the network access account when the computer account cannot connect',
  }),
  property('RequestType', 'OSDStateRequestType', { hidden: true, description: 'capture | restore' }),
  property('SMPRetryCount', 'OSDStateSMPRetryCount', {
    default: '3',
    hidden: true,
    global: true,
    description: 'Attempts to find a state migration point (0–30)',
  }),
  property('SMPRetryTime', 'OSDStateSMPRetryTime', {
    default: '10',
    hidden: true,
    global: true,
    description: 'Seconds between attempts (0–600)',
  }),
];

export const STATE_REQUEST_TYPES = ['capture', 'restore'] as const;

export const requestStateStoreSchema = withLayout({
  requestType: z.enum(STATE_REQUEST_TYPES).optional(),
  fallbackToNAA: z.boolean().optional(),
  retryCount: z.number().int().min(0).max(30).optional(),
  retryTime: z.number().int().min(0).max(600).optional(),
});
export type RequestStateStoreSettings = z.infer<typeof requestStateStoreSchema>;

const requestSettings = settingsCodec<RequestStateStoreSettings>({
  properties: requestProperties,
  schema: requestStateStoreSchema,
  read: (r) => ({
    requestType: r.choice('RequestType', STATE_REQUEST_TYPES),
    fallbackToNAA: r.bool('FallbackToNAA'),
    retryCount: r.int('SMPRetryCount', { min: 0, max: 30 }),
    retryTime: r.int('SMPRetryTime', { min: 0, max: 600 }),
  }),
  write: (s, w) => {
    w.bool('FallbackToNAA', s.fallbackToNAA);
    w.string('RequestType', s.requestType);
    w.int('SMPRetryCount', s.retryCount);
    w.int('SMPRetryTime', s.retryTime);
  },
});

export const requestStateStore = defineStepType<RequestStateStoreSettings>({
  type: 'SMS_TaskSequence_RequestStateStoreAction',
  displayName: 'Request State Store',
  executable: 'osdsmpclient.exe',
  // Full OS, and Windows PE for offline USMT (§8.16; steps reference): ConfigMgr 3.10 writes
  // WinPEandFullOS [C: catalog export]. The SDK default (and older MDT templates) say FullOS.
  runIn: 'WinPEandFullOS',
  successCodes: '0',
  retryCount: 0,
  properties: requestProperties,
  settings: requestSettings,
  // MOF `osdsmpclient.exe /%1` with %1 = RequestType.
  buildAction: (step) => `osdsmpclient.exe /${requestSettings.read(step.variables ?? []).settings.requestType ?? ''}`,
  spec: 'task-sequence-format §8.16',
});

// ---------------------------------------------------------------------------------------------

export const releaseStateStoreSchema = withLayout({});
export type ReleaseStateStoreSettings = z.infer<typeof releaseStateStoreSchema>;

export const releaseStateStore = defineStepType<ReleaseStateStoreSettings>({
  type: 'SMS_TaskSequence_ReleaseStateStoreAction',
  displayName: 'Release State Store',
  executable: 'osdsmpclient.exe',
  // FullOS per the SDK, §8.16 and the steps reference ("runs only in the full OS"), although
  // ConfigMgr 3.10 exports write WinPEandFullOS [C: catalog export]; a file's own runIn is kept.
  runIn: 'FullOS',
  successCodes: '0',
  retryCount: 0,
  properties: [],
  settings: settingsCodec<ReleaseStateStoreSettings>({
    properties: [],
    schema: releaseStateStoreSchema,
    read: () => ({}),
    write: () => {},
  }),
  buildAction: () => 'osdsmpclient.exe /release',
  spec: 'task-sequence-format §8.16',
});
