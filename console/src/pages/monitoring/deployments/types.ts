/**
 * Monitoring's answers as the console reads them (src/server/api/routes/monitoring-routes.ts;
 * docs/management-point.md "Monitoring"). Only the fields the pages use.
 */

export type Category = 'success' | 'in-progress' | 'error' | 'requirements-not-met' | 'unknown';
export const CATEGORIES: Category[] = ['success', 'in-progress', 'error', 'requirements-not-met', 'unknown'];
export const CATEGORY_LABELS: Record<Category, string> = {
  success: 'Success',
  'in-progress': 'In Progress',
  error: 'Error',
  'requirements-not-met': 'Requirements Not Met',
  unknown: 'Unknown',
};

export type Counts = Record<Category, number> & { total: number };

export interface LastMessage {
  messageId: number | null;
  time: string;
  description: string;
}

/** GET /deployments/:id/status */
export interface DeploymentStatus {
  deploymentId: string;
  taskSequenceId: string;
  taskSequenceName: string;
  collectionId: string;
  collectionName: string;
  counts: Counts;
  devices: DeviceStatus[];
  truncated: boolean;
}

export interface DeviceStatus {
  resourceId: number;
  name: string;
  category: Category;
  runId: string | null;
  result: string | null;
  startedAt: string | null;
  endedAt: string | null;
  lastMessage: LastMessage | null;
}

/** GET /deployments/:id/status/history */
export interface StatusHistory {
  deploymentId: string;
  from: string;
  to: string;
  bucketSeconds: number;
  points: Array<Counts & { at: string }>;
  notes: string[];
}

export type RunResult = 'in-progress' | 'succeeded' | 'failed' | 'refused';

export interface RunStep {
  kind: 'step' | 'group';
  index: number | null;
  name: string;
  group: string;
  path: string;
  type: string;
  outcome: string;
  messageId: number | null;
  exitCode: number | null;
  exitCodeHex: string | null;
  startedAt: string | null;
  endedAt: string | null;
  reason: string | null;
  predicted: boolean;
  description: string;
}

export interface RunMessage {
  id: string;
  time: string;
  kind: string;
  outcome: string;
  messageId: number | null;
  step: { index: number | null; name: string; group: string; path: string; type: string } | null;
  exitCode: number | null;
  exitCodeHex: string | null;
  reason: string | null;
  actionOutput: string | null;
  predicted: boolean;
  bytes: number | null;
  seconds: number | null;
  description: string;
}

export interface RunSummary {
  runId: string;
  resourceId: number;
  deviceName: string;
  deploymentId: string;
  taskSequenceId: string;
  taskSequenceName: string;
  result: RunResult;
  startedAt: string;
  endedAt: string | null;
  durationSeconds: number;
  bytesDownloaded: number;
  downloadSeconds: number;
  restarts: number;
  messageCount: number;
  stepCounts: { run: number; predicted: number; skipped: number; failed: number };
  lastMessage: LastMessage | null;
  logs: string[];
}

/** GET /devices/:resourceId/runs */
export interface DeviceHistory {
  resourceId: number;
  name: string;
  runs: Array<RunSummary & { steps: RunStep[] }>;
}

/** GET /devices/:resourceId/runs/:runId */
export type RunDetail = RunSummary & { steps: RunStep[]; messages: RunMessage[] };

export const RESULT_LABELS: Record<RunResult, string> = {
  'in-progress': 'In Progress',
  succeeded: 'Succeeded',
  failed: 'Failed',
  refused: 'Requirements Not Met',
};

/** GET /devices/:resourceId/runs/:runId/timeline */
export interface RunTimeline {
  runId: string;
  resourceId: number;
  deviceName: string;
  deploymentId: string;
  taskSequenceName: string;
  result: RunResult;
  startedAt: string;
  endedAt: string | null;
  durationSeconds: number;
  bars: TimelineBar[];
  restarts: Array<{ at: string; path: string; name: string; backAt: string | null; downSeconds: number | null }>;
  downloads: Array<{
    reportedAt: string;
    bytes: number;
    seconds: number;
    when: 'before-steps' | 'while-steps-ran';
    startedAt: string | null;
    endedAt: string | null;
    description: string;
  }>;
  failedAt: string | null;
}

export interface TimelineBar {
  kind: 'step' | 'group';
  index: number | null;
  path: string;
  name: string;
  type: string;
  outcome: string;
  startedAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  exitCode: number | null;
  exitCodeHex: string | null;
  predicted: boolean;
  reason: string | null;
  description: string;
}
