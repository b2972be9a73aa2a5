/**
 * The last run of a deployment on a device, as the policy needs it ("already ran", §4.2). Runs are
 * stored by the status side of the management point (migration 008, table `runs`); until that table
 * exists every answer is null, so the policy works on a site without it.
 */
import type { Queryable } from '../db/database.js';

export type RunResult = 'in-progress' | 'succeeded' | 'failed' | 'refused';

export interface LastRun {
  runId: string;
  result: RunResult;
  startedAt: string;
  endedAt: string | null;
}

/** True when the runs table exists (checked per call: the answer is cheap and a migration may add it while the server runs). */
export async function runsRecorded(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ present: boolean }>(`SELECT to_regclass('runs') IS NOT NULL AS present`);
  return !!rows[0]?.present;
}

/** The device's latest run of the deployment (by start time), or null (none, or runs not recorded). */
export async function lastRunOf(db: Queryable, resourceId: number, deploymentId: string): Promise<LastRun | null> {
  if (!(await runsRecorded(db))) return null;
  const { rows } = await db.query<{ run_id: string; result: RunResult; started_at: Date; ended_at: Date | null }>(
    `SELECT run_id, result, started_at, ended_at FROM runs WHERE resource_id = $1 AND deployment_id = $2
     ORDER BY started_at DESC, run_id DESC LIMIT 1`,
    [resourceId, deploymentId],
  );
  const r = rows[0];
  if (!r) return null;
  return { runId: r.run_id, result: r.result, startedAt: r.started_at.toISOString(), endedAt: r.ended_at?.toISOString() ?? null };
}

/** The device's latest run of each deployment it ran (one query; empty when runs are not recorded). */
export async function lastRunsOf(db: Queryable, resourceId: number): Promise<Map<string, LastRun>> {
  const out = new Map<string, LastRun>();
  if (!(await runsRecorded(db))) return out;
  const { rows } = await db.query<{ deployment_id: string; run_id: string; result: RunResult; started_at: Date; ended_at: Date | null }>(
    `SELECT DISTINCT ON (deployment_id) deployment_id, run_id, result, started_at, ended_at FROM runs WHERE resource_id = $1
     ORDER BY deployment_id, started_at DESC, run_id DESC`,
    [resourceId],
  );
  for (const r of rows) {
    out.set(r.deployment_id, { runId: r.run_id, result: r.result, startedAt: r.started_at.toISOString(), endedAt: r.ended_at?.toISOString() ?? null });
  }
  return out;
}
