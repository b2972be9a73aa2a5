/**
 * A device's run drawn as a timeline (the console's Monitoring drill-down, issue 15): each step a
 * bar from its start to its end with its outcome, the restarts between them (when the computer
 * went down and when it was heard from again), and the content downloads — what ConfigMgr's
 * console cannot show. Derived from the run's status messages (runs.ts); nothing here writes.
 *
 * Downloads are reported by the agent once per run (bytes and seconds): with "download all content
 * before starting" the report comes before the first step and its span is placed before it; with
 * "download when needed" it is a total sent as the engine ends, spread over the steps that needed
 * content — its span is not placed, and the answer says so.
 */
import type { Queryable } from '../db/database.js';
import { deviceRun, type RunResult } from './runs.js';

export interface TimelineBar {
  kind: 'step' | 'group';
  index: number | null;
  path: string;
  name: string;
  type: string;
  /** succeeded, failed, skipped, restart-requested (the bar ends where the computer restarted), started (never ended). */
  outcome: string;
  startedAt: string | null;
  endedAt: string | null;
  /** Null for a step that was skipped (a mark, not a bar) or has not ended. */
  durationSeconds: number | null;
  exitCode: number | null;
  exitCodeHex: string | null;
  predicted: boolean;
  reason: string | null;
  description: string;
}

export interface TimelineRestart {
  /** When the step asked for the restart. */
  at: string;
  path: string;
  name: string;
  /** The next message after it: when the computer was heard from again; null if it never was. */
  backAt: string | null;
  downSeconds: number | null;
}

export interface TimelineDownload {
  reportedAt: string;
  bytes: number;
  seconds: number;
  /** before-steps: all content first, the span placed; while-steps-ran: a total over the steps that needed content, not placed. */
  when: 'before-steps' | 'while-steps-ran';
  startedAt: string | null;
  endedAt: string | null;
  description: string;
}

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
  restarts: TimelineRestart[];
  downloads: TimelineDownload[];
  /** The path of the step the run failed at (its last failed step that did not continue on error). */
  failedAt: string | null;
}

const seconds = (from: string | null, to: string | null): number | null =>
  from && to ? Math.max(0, (new Date(to).getTime() - new Date(from).getTime()) / 1000) : null;

export async function runTimeline(db: Queryable, resourceId: number, runId: string): Promise<RunTimeline> {
  const run = await deviceRun(db, resourceId, runId);
  const bars: TimelineBar[] = run.steps.map((s) => ({
    kind: s.kind,
    index: s.index,
    path: s.path,
    name: s.name,
    type: s.type,
    outcome: s.outcome,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    durationSeconds: s.outcome === 'skipped' ? null : seconds(s.startedAt, s.endedAt),
    exitCode: s.exitCode,
    exitCodeHex: s.exitCodeHex,
    predicted: s.predicted,
    reason: s.reason,
    description: s.description,
  }));
  const restarts: TimelineRestart[] = [];
  run.messages.forEach((m, i) => {
    if (m.outcome !== 'restart-requested' || !m.step) return;
    const back = run.messages[i + 1]?.time ?? null;
    restarts.push({ at: m.time, path: m.step.path, name: m.step.name, backAt: back, downSeconds: seconds(m.time, back) });
  });
  const firstStep = run.messages.find((m) => m.kind !== 'run');
  const downloads: TimelineDownload[] = run.messages
    .filter((m) => m.kind === 'run' && m.outcome === 'downloaded')
    .map((m) => {
      const before = !firstStep || m.time <= firstStep.time;
      const secs = m.seconds ?? 0;
      return {
        reportedAt: m.time,
        bytes: m.bytes ?? 0,
        seconds: secs,
        when: before ? 'before-steps' : 'while-steps-ran',
        startedAt: before ? new Date(new Date(m.time).getTime() - secs * 1000).toISOString() : null,
        endedAt: before ? m.time : null,
        description: before
          ? m.description
          : `${m.description} The content was downloaded as the steps needed it; the total is reported as the run ends, so it is not placed on one step.`,
      };
    });
  // The run failed at its last failed step that was not a failure it ignored (11138).
  const failed =
    run.result === 'failed' ? [...run.steps].reverse().find((s) => s.kind === 'step' && s.outcome === 'failed' && s.messageId !== 11138) : undefined;
  return {
    runId: run.runId,
    resourceId: run.resourceId,
    deviceName: run.deviceName,
    deploymentId: run.deploymentId,
    taskSequenceName: run.taskSequenceName,
    result: run.result,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    durationSeconds: run.durationSeconds,
    bars,
    restarts,
    downloads,
    failedAt: failed?.path ?? null,
  };
}
