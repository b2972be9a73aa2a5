/**
 * A device's runs as the admin reads them (osd-features §4.7; `osd device history`): each run of a
 * deployment with its result and times, and its steps — outcome, exit code in hex and unsigned
 * decimal, start and end, and what ConfigMgr's status message says ("The task sequence execution
 * engine skipped the action (…) in the group (…) because the condition was evaluated to be false").
 * Read from the status messages the agents sent (status.ts); nothing here writes.
 */
import type { Queryable } from '../db/database.js';
import { badInput, SiteError } from '../errors.js';
import { getDevice } from '../devices/devices.js';
import { exitCodeWords, statusDescription } from './status.js';

/** At most this many runs in one history answer (newest first). */
export const MAX_HISTORY_RUNS = 100;
export const DEFAULT_HISTORY_RUNS = 20;
/** The end of a failed step's action output a history shows (one run in full shows all of it). */
export const HISTORY_OUTPUT_CHARS = 2048;

export type RunResult = 'in-progress' | 'succeeded' | 'failed' | 'refused';

export interface LastMessage {
  messageId: number | null;
  time: string;
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
  /** From start to end (or to the last message while in progress). */
  durationSeconds: number;
  bytesDownloaded: number;
  downloadSeconds: number;
  restarts: number;
  messageCount: number;
  /** Steps that ran (succeeded or failed), were skipped, failed. */
  stepCounts: { run: number; predicted: number; skipped: number; failed: number };
  lastMessage: LastMessage | null;
  /** The names of the logs its computer uploaded (smsts.log first). */
  logs: string[];
}

/** One step (or group) of a run: its start and end messages taken together. */
export interface RunStep {
  kind: 'step' | 'group';
  index: number | null;
  name: string;
  group: string;
  path: string;
  type: string;
  /** The outcome of its last message; 'started' while it runs (or when the run stopped in it). */
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

export interface RunWithSteps extends RunSummary {
  steps: RunStep[];
}

/** A message as stored, for a run's full record. */
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

export interface RunDetail extends RunWithSteps {
  messages: RunMessage[];
}

interface RunRow {
  run_id: string;
  resource_id: string | number;
  device_name: string;
  deployment_id: string;
  task_sequence_id: string;
  ts_name: string;
  result: RunResult;
  started_at: Date;
  ended_at: Date | null;
  last_message_at: Date | null;
  bytes_downloaded: string | number;
  download_seconds: number;
  restarts: number;
  message_count: number;
  last_status_id: string | null;
  logs: string[] | null;
}

interface MessageRow {
  id: string;
  run_id: string;
  time: Date;
  kind: string;
  outcome: string;
  message_id: number | null;
  step_index: number | null;
  step_name: string | null;
  step_group: string | null;
  step_path: string | null;
  step_type: string | null;
  exit_code: number | null;
  reason: string | null;
  action_output?: string | null;
  predicted: boolean;
  bytes: string | number | null;
  seconds: number | null;
}

export const RUN_SELECT = `SELECT r.run_id, r.resource_id, dv.name AS device_name, r.deployment_id, d.task_sequence_id, t.name AS ts_name, r.result,
  r.started_at, r.ended_at, r.last_message_at, r.bytes_downloaded, r.download_seconds, r.restarts, r.message_count, r.last_status_id,
  ARRAY(SELECT l.name FROM run_logs l WHERE l.run_id = r.run_id ORDER BY l.name = 'smsts.log' DESC, l.name DESC) AS logs
  FROM runs r JOIN devices dv ON dv.resource_id = r.resource_id JOIN deployments d ON d.deployment_id = r.deployment_id
  JOIN task_sequences t ON t.package_id = d.task_sequence_id`;

const MESSAGE_COLUMNS = `id, run_id, time, kind, outcome, message_id, step_index, step_name, step_group, step_path, step_type, exit_code, reason,
  predicted, bytes, seconds`;

function words(m: MessageRow, withOutput: boolean): string {
  return statusDescription({
    kind: m.kind,
    outcome: m.outcome,
    messageId: m.message_id,
    stepName: m.step_name,
    stepGroup: m.step_group,
    exitCode: m.exit_code,
    reason: m.reason,
    actionOutput: withOutput ? (m.action_output ?? null) : null,
    predicted: m.predicted,
    bytes: m.bytes === null ? null : Number(m.bytes),
    seconds: m.seconds,
  });
}

/** The steps of a run from its messages (in time order): a start and the end that follows it are one step. */
export function stepsOf(messages: readonly MessageRow[]): RunStep[] {
  const steps: RunStep[] = [];
  const open = new Map<string, RunStep>();
  for (const m of messages) {
    if (m.kind !== 'step' && m.kind !== 'group') continue;
    const key = `${m.kind}:${m.step_index ?? m.step_path}`;
    const code = exitCodeWords(m.exit_code);
    const entry: RunStep = {
      kind: m.kind,
      index: m.step_index,
      name: m.step_name ?? '',
      group: m.step_group ?? '',
      path: m.step_path ?? '',
      type: m.step_type ?? '',
      outcome: m.outcome,
      messageId: m.message_id,
      exitCode: code?.exitCode ?? null,
      exitCodeHex: code?.exitCodeHex ?? null,
      startedAt: m.outcome === 'started' ? m.time.toISOString() : null,
      endedAt: m.outcome === 'started' ? null : m.time.toISOString(),
      reason: m.reason,
      predicted: m.predicted,
      // A failure's description carries its action output, as ConfigMgr's 11135 does (the list's
      // queries read only the end of it).
      description: words(m, m.outcome === 'failed'),
    };
    const started = open.get(key);
    if (m.outcome === 'started') {
      open.set(key, entry);
      steps.push(entry);
    } else if (started) {
      // The end of the step that started: one entry with both times.
      Object.assign(started, { ...entry, startedAt: started.startedAt });
      open.delete(key);
    } else {
      steps.push(entry);
    }
  }
  return steps;
}

/**
 * Steps, not entries: a step that completes after a restart (Setup Windows and ConfigMgr) has an
 * entry before and after it, and counts once — by its last outcome. `predicted` are the steps run
 * only as predictions (no handler could do them on that computer), counted apart from `run`
 * (never reported as done); `run` includes failed ones.
 */
function countSteps(steps: readonly RunStep[]): RunSummary['stepCounts'] {
  const last = new Map<string, RunStep>();
  for (const s of steps) if (s.kind === 'step' && s.outcome !== 'restart-requested' && s.outcome !== 'started') last.set(s.path, s);
  const own = [...last.values()];
  return {
    run: own.filter((s) => (s.outcome === 'succeeded' && !s.predicted) || s.outcome === 'failed').length,
    predicted: own.filter((s) => s.outcome === 'succeeded' && s.predicted).length,
    skipped: own.filter((s) => s.outcome === 'skipped').length,
    failed: own.filter((s) => s.outcome === 'failed').length,
  };
}

function summary(r: RunRow, steps: readonly RunStep[], last: MessageRow | undefined): RunSummary {
  const end = r.ended_at ?? r.last_message_at ?? r.started_at;
  return {
    runId: r.run_id,
    resourceId: Number(r.resource_id),
    deviceName: r.device_name,
    deploymentId: r.deployment_id,
    taskSequenceId: r.task_sequence_id,
    taskSequenceName: r.ts_name,
    result: r.result,
    startedAt: r.started_at.toISOString(),
    endedAt: r.ended_at?.toISOString() ?? null,
    durationSeconds: Math.max(0, (end.getTime() - r.started_at.getTime()) / 1000),
    bytesDownloaded: Number(r.bytes_downloaded),
    downloadSeconds: r.download_seconds,
    restarts: r.restarts,
    messageCount: r.message_count,
    stepCounts: countSteps(steps),
    lastMessage: last ? { messageId: last.message_id, time: last.time.toISOString(), description: words(last, false) } : null,
    logs: r.logs ?? [],
  };
}

function checkLimit(limit: number | undefined): number {
  const n = limit ?? DEFAULT_HISTORY_RUNS;
  if (!Number.isInteger(n) || n < 1 || n > MAX_HISTORY_RUNS) {
    throw badInput('query.limit', `a history holds 1 to ${MAX_HISTORY_RUNS} runs; not ${String(limit)}`);
  }
  return n;
}

/** A device's runs, newest first, each with its steps (`limit` runs, default 20). */
export async function deviceHistory(
  db: Queryable,
  resourceId: number,
  options: { limit?: number; deploymentId?: string } = {},
): Promise<{ resourceId: number; name: string; runs: RunWithSteps[] }> {
  const limit = checkLimit(options.limit);
  const device = await getDevice(db, resourceId);
  const params: unknown[] = [resourceId, limit];
  const byDeployment = options.deploymentId ? `AND r.deployment_id = $${params.push(options.deploymentId.toUpperCase())}` : '';
  const { rows } = await db.query<RunRow>(`${RUN_SELECT} WHERE r.resource_id = $1 ${byDeployment} ORDER BY r.started_at DESC, r.run_id LIMIT $2`, params);
  const messages = await db.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS}, CASE WHEN outcome = 'failed' THEN right(action_output, ${HISTORY_OUTPUT_CHARS}) END AS action_output
     FROM status_messages WHERE run_id = ANY($1::text[]) ORDER BY time, seq`,
    [rows.map((r) => r.run_id)],
  );
  const byRun = new Map<string, MessageRow[]>();
  for (const m of messages.rows) (byRun.get(m.run_id) ?? byRun.set(m.run_id, []).get(m.run_id)!).push(m);
  return {
    resourceId: device.resourceId,
    name: device.name,
    runs: rows.map((r) => {
      const own = byRun.get(r.run_id) ?? [];
      const steps = stepsOf(own);
      return {
        ...summary(
          r,
          steps,
          own.find((m) => m.id === r.last_status_id),
        ),
        steps,
      };
    }),
  };
}

/** The run row of this device, or a 404 (another device's run answers as no run). */
export async function findDeviceRun(db: Queryable, resourceId: number, runId: string): Promise<RunRow> {
  const { rows } = await db.query<RunRow>(`${RUN_SELECT} WHERE r.run_id = $1 AND r.resource_id = $2`, [runId.toLowerCase(), resourceId]);
  if (!rows[0]) {
    throw new SiteError('not-found', {
      input: runId,
      rule: `device ${resourceId} has no run with this id`,
      hint: "the device's history lists its runs",
    });
  }
  return rows[0];
}

/** One run of a device: its steps and every message, action output included. */
export async function deviceRun(db: Queryable, resourceId: number, runId: string): Promise<RunDetail> {
  await getDevice(db, resourceId);
  const run = await findDeviceRun(db, resourceId, runId);
  const { rows } = await db.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS}, action_output FROM status_messages WHERE run_id = $1 ORDER BY time, seq`, [
    run.run_id,
  ]);
  const steps = stepsOf(rows);
  return {
    ...summary(
      run,
      steps,
      rows.find((m) => m.id === run.last_status_id),
    ),
    steps,
    messages: rows.map((m) => {
      const code = exitCodeWords(m.exit_code);
      return {
        id: m.id,
        time: m.time.toISOString(),
        kind: m.kind,
        outcome: m.outcome,
        messageId: m.message_id,
        step:
          m.kind === 'run'
            ? null
            : { index: m.step_index, name: m.step_name ?? '', group: m.step_group ?? '', path: m.step_path ?? '', type: m.step_type ?? '' },
        exitCode: code?.exitCode ?? null,
        exitCodeHex: code?.exitCodeHex ?? null,
        reason: m.reason,
        actionOutput: m.action_output ?? null,
        predicted: m.predicted,
        bytes: m.bytes === null ? null : Number(m.bytes),
        seconds: m.seconds,
        description: words(m, true),
      };
    }),
  };
}
