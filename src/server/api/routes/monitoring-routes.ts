/**
 * Monitoring (osd-features §4.7, docs/management-point.md "Monitoring"): a deployment's status in
 * the console's categories, a device's runs step by step, the logs its computer uploaded, and a
 * duration estimate. Read-only: every route needs `read`.
 */
import { z } from 'zod';
import { estimateDuration } from '../../../site/mp/estimate.js';
import { listRunLogs, readRunLog } from '../../../site/mp/logs.js';
import { deploymentStatus, deploymentStatusSummary, MAX_STATUS_DEVICES, STATUS_CATEGORIES } from '../../../site/mp/monitoring.js';
import { deviceHistory, deviceRun, MAX_HISTORY_RUNS } from '../../../site/mp/runs.js';
import { deploymentStatusHistory, MAX_HISTORY_POINTS } from '../../../site/mp/status-history.js';
import { runTimeline } from '../../../site/mp/timeline.js';
import { route } from '../route.js';

const TAG = 'monitoring';

const deploymentParams = z.object({
  id: z.string().regex(/^[A-Za-z0-9]{3}[0-9A-Fa-f]{5}$/, 'a deployment id is a 3-character site code and 5 hex digits, e.g. PS120003'),
});
const resourceId = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const runId = z.string().max(64);
const deviceParams = z.object({ resourceId });
const runParams = z.object({ resourceId, runId });

const lastMessage = z.object({ messageId: z.number().nullable(), time: z.string(), description: z.string() }).nullable();
const category = z.enum(STATUS_CATEGORIES);
const counts = z.object({
  success: z.number(),
  'in-progress': z.number(),
  error: z.number(),
  'requirements-not-met': z.number(),
  unknown: z.number(),
  total: z.number(),
});
const deviceStatus = z.object({
  resourceId: z.number(),
  name: z.string(),
  category,
  runId: z.string().nullable(),
  result: z.string().nullable(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  lastMessage,
});
const result = z.enum(['in-progress', 'succeeded', 'failed', 'refused']);
const runSummary = z.object({
  runId: z.string(),
  resourceId: z.number(),
  deviceName: z.string(),
  deploymentId: z.string(),
  taskSequenceId: z.string(),
  taskSequenceName: z.string(),
  result,
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  durationSeconds: z.number(),
  bytesDownloaded: z.number(),
  downloadSeconds: z.number(),
  restarts: z.number(),
  messageCount: z.number(),
  stepCounts: z.object({
    run: z.number().describe('steps done (failed ones included)'),
    predicted: z.number().describe('steps only predicted, not done'),
    skipped: z.number(),
    failed: z.number(),
  }),
  lastMessage,
  logs: z.array(z.string()).describe('the logs its computer uploaded, smsts.log first'),
});
const exitCode = {
  exitCode: z.number().nullable().describe('unsigned decimal, as ConfigMgr shows it (2147500037)'),
  exitCodeHex: z.string().nullable().describe('0x80004005'),
};
const runStep = z.object({
  kind: z.enum(['step', 'group']),
  index: z.number().nullable(),
  name: z.string(),
  group: z.string(),
  path: z.string(),
  type: z.string(),
  outcome: z.string(),
  messageId: z.number().nullable(),
  ...exitCode,
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  reason: z.string().nullable(),
  predicted: z.boolean(),
  description: z.string().describe("ConfigMgr's words for the step's status message"),
});
const runMessage = z.object({
  id: z.string(),
  time: z.string(),
  kind: z.string(),
  outcome: z.string(),
  messageId: z.number().nullable(),
  step: z.object({ index: z.number().nullable(), name: z.string(), group: z.string(), path: z.string(), type: z.string() }).nullable(),
  ...exitCode,
  reason: z.string().nullable(),
  actionOutput: z.string().nullable(),
  predicted: z.boolean(),
  bytes: z.number().nullable(),
  seconds: z.number().nullable(),
  description: z.string(),
});
const logInfo = z.object({ runId: z.string(), name: z.string(), size: z.number(), sha256: z.string(), uploadedAt: z.string() });

export const monitoringRoutes = [
  route({
    method: 'GET',
    path: '/deployments/:id/status',
    tag: TAG,
    summary: "A deployment's status: Success, In Progress, Error, Requirements Not Met and Unknown counts, and the devices in each",
    description:
      "Like the console's View Status. The devices: the collection's members and every device that ran the deployment; each in the category of its latest run (none: Unknown; refused: Requirements Not Met), with its last status message. The counts cover every device; `category` and `limit` choose which are listed.",
    permission: 'read',
    params: deploymentParams,
    query: z.object({ category: category.optional(), limit: z.coerce.number().int().min(0).max(MAX_STATUS_DEVICES).optional() }),
    response: z.object({
      deploymentId: z.string(),
      taskSequenceId: z.string(),
      taskSequenceName: z.string(),
      collectionId: z.string(),
      collectionName: z.string(),
      counts,
      devices: z.array(deviceStatus),
      truncated: z.boolean(),
    }),
    handler: async ({ site, params, query }) => deploymentStatus(site.db, params.id, query),
  }),
  route({
    method: 'GET',
    path: '/deployment-status',
    tag: TAG,
    summary: "Every deployment's status counts at once (Success, In Progress, Error, Requirements Not Met, Unknown), for the Deployments list",
    description: 'The counts of GET /deployments/:id/status for each deployment, in one answer; filter by collection or task sequence.',
    permission: 'read',
    query: z.object({ collectionId: z.string().max(64).optional(), taskSequenceId: z.string().max(64).optional() }),
    response: z.array(z.object({ deploymentId: z.string(), counts })),
    handler: async ({ site, query }) => deploymentStatusSummary(site.db, query),
  }),
  route({
    method: 'GET',
    path: '/deployments/:id/status/history',
    tag: TAG,
    summary: "A deployment's status over time: the Success, In Progress, Error, Requirements Not Met and Unknown counts at the end of each time bucket",
    description: `For a chart of its progress. At each point a device is in the category of its latest run started by then (In Progress until that run ended), Unknown without one — the rule of the status now, at that moment. \`from\` defaults to the deployment's creation, \`to\` to now, \`bucket\` (30s, 5m, 1h, 1d) to about a hundredth of the span; at most ${MAX_HISTORY_POINTS} buckets (400 naming query.bucket). The devices are the deployment's devices now: membership's history is not kept.`,
    permission: 'read',
    params: deploymentParams,
    query: z.object({
      bucket: z.string().max(16).optional(),
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
    }),
    response: z.object({
      deploymentId: z.string(),
      from: z.string(),
      to: z.string(),
      bucketSeconds: z.number(),
      points: z.array(counts.extend({ at: z.string().describe('the end of the bucket') })),
      notes: z.array(z.string()),
    }),
    handler: async ({ site, params, query }) => deploymentStatusHistory(site.db, params.id, query),
  }),
  route({
    method: 'GET',
    path: '/deployments/:id/estimate',
    tag: TAG,
    summary: 'How long the deployment will take on a device: content size, measured throughput, restarts, earlier runs',
    permission: 'read',
    params: deploymentParams,
    query: z.object({ resourceId }),
    response: z.object({
      deploymentId: z.string(),
      resourceId: z.number(),
      deviceName: z.string(),
      content: z.object({ bytes: z.number(), packages: z.number() }),
      throughput: z.object({ bytesPerSecond: z.number(), source: z.enum(['device', 'site', 'default']), runs: z.number(), basis: z.string() }),
      downloadSeconds: z.number(),
      restarts: z.object({
        count: z.number(),
        conditional: z.number(),
        secondsEach: z.number(),
        seconds: z.number(),
        steps: z.array(z.object({ path: z.string(), type: z.string(), conditional: z.boolean() })),
      }),
      steps: z.object({ seconds: z.number().nullable(), runs: z.number(), basis: z.string() }),
      totalSeconds: z.number(),
      notes: z.array(z.string()),
    }),
    handler: async ({ site, params, query }) => estimateDuration(site.db, params.id, query.resourceId),
  }),
  route({
    method: 'GET',
    path: '/devices/:resourceId/runs',
    tag: TAG,
    summary: "A device's runs, newest first, each with its steps: outcome, exit code, times, skip reasons in ConfigMgr's words",
    permission: 'read',
    params: deviceParams,
    query: z.object({ limit: z.coerce.number().int().min(1).max(MAX_HISTORY_RUNS).optional(), deploymentId: deploymentParams.shape.id.optional() }),
    response: z.object({ resourceId: z.number(), name: z.string(), runs: z.array(runSummary.extend({ steps: z.array(runStep) })) }),
    handler: async ({ site, params, query }) => deviceHistory(site.db, params.resourceId, query),
  }),
  route({
    method: 'GET',
    path: '/devices/:resourceId/runs/:runId',
    tag: TAG,
    summary: 'One run of a device: its steps and every status message, action output included',
    permission: 'read',
    params: runParams,
    response: runSummary.extend({ steps: z.array(runStep), messages: z.array(runMessage) }),
    handler: async ({ site, params }) => deviceRun(site.db, params.resourceId, params.runId),
  }),
  route({
    method: 'GET',
    path: '/devices/:resourceId/runs/:runId/timeline',
    tag: TAG,
    summary: 'One run of a device as a timeline: each step a bar (start, end, duration, outcome), the restarts and the downloads',
    description:
      'A step that restarts the computer and completes after it (Setup Windows and ConfigMgr) has two bars, the first ending in restart-requested; a skipped step is a mark (no duration). A restart says when the computer was heard from again. A download report placed before the steps has its span; one sent as the run ends (content downloaded as the steps needed it) is a total, not placed.',
    permission: 'read',
    params: runParams,
    response: z.object({
      runId: z.string(),
      resourceId: z.number(),
      deviceName: z.string(),
      deploymentId: z.string(),
      taskSequenceName: z.string(),
      result,
      startedAt: z.string(),
      endedAt: z.string().nullable(),
      durationSeconds: z.number(),
      bars: z.array(
        z.object({
          kind: z.enum(['step', 'group']),
          index: z.number().nullable(),
          path: z.string(),
          name: z.string(),
          type: z.string(),
          outcome: z.string(),
          startedAt: z.string().nullable(),
          endedAt: z.string().nullable(),
          durationSeconds: z.number().nullable(),
          ...exitCode,
          predicted: z.boolean(),
          reason: z.string().nullable(),
          description: z.string(),
        }),
      ),
      restarts: z.array(z.object({ at: z.string(), path: z.string(), name: z.string(), backAt: z.string().nullable(), downSeconds: z.number().nullable() })),
      downloads: z.array(
        z.object({
          reportedAt: z.string(),
          bytes: z.number(),
          seconds: z.number(),
          when: z.enum(['before-steps', 'while-steps-ran']),
          startedAt: z.string().nullable(),
          endedAt: z.string().nullable(),
          description: z.string(),
        }),
      ),
      failedAt: z.string().nullable(),
    }),
    handler: async ({ site, params }) => runTimeline(site.db, params.resourceId, params.runId),
  }),
  route({
    method: 'GET',
    path: '/devices/:resourceId/runs/:runId/logs',
    tag: TAG,
    summary: "The logs the device's computer uploaded for a run (smsts.log and its rotated parts)",
    permission: 'read',
    params: runParams,
    response: z.array(logInfo),
    handler: async ({ site, params }) => listRunLogs(site.db, params.resourceId, params.runId),
  }),
  route({
    method: 'GET',
    path: '/devices/:resourceId/runs/:runId/logs/:name',
    tag: TAG,
    summary: 'A log of a run as the computer uploaded it (text/plain, CMTrace lines)',
    permission: 'read',
    params: runParams.extend({ name: z.string().max(64) }),
    raw: { contentType: 'text/plain' },
    response: z.unknown(),
    handler: async ({ site, params, reply }) => {
      const log = await readRunLog(site.db, params.resourceId, params.runId, params.name);
      await reply
        .status(200)
        .header('content-type', 'text/plain; charset=utf-8')
        .header('x-openosd-sha256', log.sha256)
        // A log holds whatever the computer wrote: never let a browser take it for a page.
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', `attachment; filename="${log.name}"`)
        .send(log.content);
      return undefined;
    },
  }),
];
