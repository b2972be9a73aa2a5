/**
 * A deployment's status as the console's Monitoring › Deployments › View Status shows it
 * (osd-features §4.7; `osd deploy status`): the devices it targets in categories — Success,
 * In Progress, Error, Requirements Not Met, Unknown — by each device's latest run of it, and per
 * device its last status message.
 *
 * The devices: the current members of the deployment's collection (the unknown-computer objects
 * themselves aside: they never run anything), and every device that ran the deployment (an unknown
 * computer registered on first contact, a device since removed from the collection). A device with
 * no run is Unknown; a refused run (the computer cannot run the boot image or the OS image) is
 * Requirements Not Met.
 */
import type { Queryable } from '../db/database.js';
import { badInput } from '../errors.js';
import { getDeployment } from '../deployments/deployments.js';
import { statusDescription } from './status.js';

export const STATUS_CATEGORIES = ['success', 'in-progress', 'error', 'requirements-not-met', 'unknown'] as const;
export type StatusCategory = (typeof STATUS_CATEGORIES)[number];

/** The console's names of the categories. */
export const CATEGORY_NAMES: Record<StatusCategory, string> = {
  success: 'Success',
  'in-progress': 'In Progress',
  error: 'Error',
  'requirements-not-met': 'Requirements Not Met',
  unknown: 'Unknown',
};

/** At most this many devices listed in one answer (the counts always cover every device). */
export const MAX_STATUS_DEVICES = 10_000;
export const DEFAULT_STATUS_DEVICES = 1_000;

export interface DeviceStatus {
  resourceId: number;
  name: string;
  category: StatusCategory;
  runId: string | null;
  result: string | null;
  startedAt: string | null;
  endedAt: string | null;
  lastMessage: { messageId: number | null; time: string; description: string } | null;
}

export interface DeploymentStatus {
  deploymentId: string;
  taskSequenceId: string;
  taskSequenceName: string;
  collectionId: string;
  collectionName: string;
  counts: Record<StatusCategory, number> & { total: number };
  devices: DeviceStatus[];
  /** True when `limit` left devices out of the list. */
  truncated: boolean;
}

const CATEGORY_OF: Record<string, StatusCategory> = {
  succeeded: 'success',
  'in-progress': 'in-progress',
  failed: 'error',
  refused: 'requirements-not-met',
};

interface Row {
  resource_id: string | number;
  name: string;
  run_id: string | null;
  result: string | null;
  started_at: Date | null;
  ended_at: Date | null;
  time: Date | null;
  kind: string | null;
  outcome: string | null;
  message_id: number | null;
  step_name: string | null;
  step_group: string | null;
  exit_code: number | null;
  reason: string | null;
  predicted: boolean | null;
  bytes: string | number | null;
  seconds: number | null;
}

export async function deploymentStatus(
  db: Queryable,
  deploymentId: string,
  options: { category?: StatusCategory; limit?: number } = {},
): Promise<DeploymentStatus> {
  const limit = options.limit ?? DEFAULT_STATUS_DEVICES;
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_STATUS_DEVICES) {
    throw badInput('query.limit', `a status lists 0 to ${MAX_STATUS_DEVICES} devices; not ${String(options.limit)}`);
  }
  const d = await getDeployment(db, deploymentId);
  const { rows } = await db.query<Row>(
    `WITH targeted AS (
       SELECT m.resource_id FROM collection_members m JOIN devices dv ON dv.resource_id = m.resource_id
       WHERE m.collection_id = $2 AND dv.unknown_computer IS NULL
       UNION SELECT resource_id FROM runs WHERE deployment_id = $1),
     latest AS (
       SELECT DISTINCT ON (r.resource_id) r.resource_id, r.run_id, r.result, r.started_at, r.ended_at, r.last_status_id
       FROM runs r WHERE r.deployment_id = $1 ORDER BY r.resource_id, r.started_at DESC, r.run_id DESC)
     SELECT t.resource_id, dv.name, l.run_id, l.result, l.started_at, l.ended_at, s.time, s.kind, s.outcome, s.message_id, s.step_name,
       s.step_group, s.exit_code, s.reason, s.predicted, s.bytes, s.seconds
     FROM targeted t JOIN devices dv ON dv.resource_id = t.resource_id
     LEFT JOIN latest l ON l.resource_id = t.resource_id LEFT JOIN status_messages s ON s.id = l.last_status_id
     ORDER BY lower(dv.name), t.resource_id`,
    [d.id, d.collectionId],
  );
  const counts = { success: 0, 'in-progress': 0, error: 0, 'requirements-not-met': 0, unknown: 0, total: rows.length };
  const devices: DeviceStatus[] = [];
  let listed = 0;
  for (const r of rows) {
    const category: StatusCategory = r.result ? (CATEGORY_OF[r.result] ?? 'unknown') : 'unknown';
    counts[category]++;
    if (options.category && options.category !== category) continue;
    listed++;
    if (devices.length >= limit) continue;
    devices.push({
      resourceId: Number(r.resource_id),
      name: r.name,
      category,
      runId: r.run_id,
      result: r.result,
      startedAt: r.started_at?.toISOString() ?? null,
      endedAt: r.ended_at?.toISOString() ?? null,
      lastMessage:
        r.time && r.kind && r.outcome
          ? {
              messageId: r.message_id,
              time: r.time.toISOString(),
              description: statusDescription({
                kind: r.kind,
                outcome: r.outcome,
                messageId: r.message_id,
                stepName: r.step_name,
                stepGroup: r.step_group,
                exitCode: r.exit_code,
                reason: r.reason,
                actionOutput: null,
                predicted: r.predicted ?? false,
                bytes: r.bytes === null ? null : Number(r.bytes),
                seconds: r.seconds,
              }),
            }
          : null,
    });
  }
  return {
    deploymentId: d.id,
    taskSequenceId: d.taskSequenceId,
    taskSequenceName: d.taskSequenceName,
    collectionId: d.collectionId,
    collectionName: d.collectionName,
    counts,
    devices,
    truncated: listed > devices.length,
  };
}

export interface DeploymentStatusSummary {
  deploymentId: string;
  counts: Record<StatusCategory, number> & { total: number };
}

/**
 * Every deployment's counts at once (the console's Monitoring › Deployments list), by the rule of
 * deploymentStatus: the collection's members (unknown-computer objects aside) and every device
 * that ran it, each in the category of its latest run. One query, whatever the number of deployments.
 */
export async function deploymentStatusSummary(
  db: Queryable,
  filter: { collectionId?: string; taskSequenceId?: string } = {},
): Promise<DeploymentStatusSummary[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (filter.collectionId) where.push(`upper(d.collection_id) = upper($${params.push(filter.collectionId)})`);
  if (filter.taskSequenceId) where.push(`upper(d.task_sequence_id) = upper($${params.push(filter.taskSequenceId)})`);
  const chosen = `SELECT deployment_id, collection_id FROM deployments d ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
  const { rows } = await db.query<{ deployment_id: string; total: number; success: number; in_progress: number; error: number; refused: number }>(
    `WITH chosen AS (${chosen}),
     targeted AS (
       SELECT c.deployment_id, m.resource_id FROM chosen c JOIN collection_members m ON m.collection_id = c.collection_id
       JOIN devices dv ON dv.resource_id = m.resource_id WHERE dv.unknown_computer IS NULL
       UNION SELECT r.deployment_id, r.resource_id FROM runs r JOIN chosen c ON c.deployment_id = r.deployment_id),
     latest AS (
       SELECT DISTINCT ON (r.deployment_id, r.resource_id) r.deployment_id, r.resource_id, r.result
       FROM runs r JOIN chosen c ON c.deployment_id = r.deployment_id ORDER BY r.deployment_id, r.resource_id, r.started_at DESC, r.run_id DESC)
     SELECT c.deployment_id,
       count(t.resource_id)::int AS total,
       count(*) FILTER (WHERE l.result = 'succeeded')::int AS success,
       count(*) FILTER (WHERE l.result = 'in-progress')::int AS in_progress,
       count(*) FILTER (WHERE l.result = 'failed')::int AS error,
       count(*) FILTER (WHERE l.result = 'refused')::int AS refused
     FROM chosen c LEFT JOIN targeted t ON t.deployment_id = c.deployment_id
     LEFT JOIN latest l ON l.deployment_id = t.deployment_id AND l.resource_id = t.resource_id
     GROUP BY c.deployment_id ORDER BY c.deployment_id`,
    params,
  );
  return rows.map((r) => {
    const known = r.success + r.in_progress + r.error + r.refused;
    return {
      deploymentId: r.deployment_id,
      counts: {
        success: r.success,
        'in-progress': r.in_progress,
        error: r.error,
        'requirements-not-met': r.refused,
        unknown: r.total - known,
        total: r.total,
      },
    };
  });
}
