/**
 * A deployment's status over time, for the console's chart of its progress (issue 15;
 * docs/management-point.md "Monitoring"): at the end of each time bucket, how many of its devices
 * were in each of the console's categories — the same rule as the status now (monitoring.ts),
 * applied at that moment: a device is in the category of its latest run started by then (In
 * Progress until that run ended, then Success, Error or Requirements Not Met), Unknown without one.
 *
 * Read from the runs' rows (one per run: start, end, result), not from every status message. The
 * devices are those the status counts now — the collection's members today and every device that
 * ran the deployment — since the site does not keep membership's history.
 */
import type { Queryable } from '../db/database.js';
import { getDeployment } from '../deployments/deployments.js';
import { badInput } from '../errors.js';
import { STATUS_CATEGORIES, type StatusCategory } from './monitoring.js';

/** At most this many points in one answer. */
export const MAX_HISTORY_POINTS = 1_000;
/** Without a bucket, about this many. */
export const DEFAULT_HISTORY_POINTS = 100;
/** The smallest bucket. */
export const MIN_BUCKET_SECONDS = 1;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

export interface StatusPoint extends Record<StatusCategory, number> {
  /** The end of the bucket: the counts are the devices' categories at this moment. */
  at: string;
  total: number;
}

export interface StatusHistory {
  deploymentId: string;
  from: string;
  to: string;
  bucketSeconds: number;
  /** The first point is at `from`, then one at the end of every bucket (the last at `to`). */
  points: StatusPoint[];
  notes: string[];
}

const CATEGORY_OF: Record<string, StatusCategory> = {
  succeeded: 'success',
  'in-progress': 'in-progress',
  failed: 'error',
  refused: 'requirements-not-met',
};

/** `30s`, `5m`, `1h`, `1d` (or a number of seconds) → seconds. */
export function bucketSeconds(text: string, input = 'query.bucket'): number {
  const m = /^(\d{1,9})\s*([smhd]?)$/.exec(text.trim());
  if (!m) throw badInput(input, `"${text}" is not a bucket size`, 'a number and a unit: 30s, 5m, 1h, 1d');
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2] || 's']!;
  if (seconds < MIN_BUCKET_SECONDS) throw badInput(input, `a bucket is at least ${MIN_BUCKET_SECONDS} s`);
  return seconds;
}

function time(text: string | undefined, input: string): Date | undefined {
  if (text === undefined) return undefined;
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw badInput(input, `"${text}" is not a date and time`, 'ISO 8601, e.g. 2026-12-07T16:00:00Z');
  return d;
}

interface RunRow {
  resource_id: string | number;
  started_at: Date;
  ended_at: Date | null;
  result: string;
}

/** When each device changed category: its runs in start order, a run's end only while no later run has started. */
function transitions(runs: readonly RunRow[]): { t: number; device: string; category: StatusCategory }[] {
  const out: { t: number; device: string; category: StatusCategory }[] = [];
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i]!;
    const device = String(r.resource_id);
    const next = runs[i + 1];
    const nextStart = next && String(next.resource_id) === device ? next.started_at.getTime() : Infinity;
    out.push({ t: r.started_at.getTime(), device, category: 'in-progress' });
    if (r.ended_at && r.result !== 'in-progress' && r.ended_at.getTime() < nextStart) {
      out.push({ t: r.ended_at.getTime(), device, category: CATEGORY_OF[r.result] ?? 'unknown' });
    }
  }
  return out.sort((a, b) => a.t - b.t);
}

export async function deploymentStatusHistory(
  db: Queryable,
  deploymentId: string,
  options: { bucket?: string; from?: string; to?: string } = {},
  now: Date = new Date(),
): Promise<StatusHistory> {
  const d = await getDeployment(db, deploymentId);
  const from = time(options.from, 'query.from') ?? new Date(d.createdAt);
  const to = time(options.to, 'query.to') ?? now;
  if (to.getTime() <= from.getTime()) {
    throw badInput(
      options.to !== undefined ? 'query.to' : 'query.from',
      `the history ends (${to.toISOString()}) before it starts (${from.toISOString()})`,
      'give a "to" after "from"',
    );
  }
  const span = (to.getTime() - from.getTime()) / 1000;
  const bucket = options.bucket !== undefined ? bucketSeconds(options.bucket) : Math.max(MIN_BUCKET_SECONDS, Math.ceil(span / DEFAULT_HISTORY_POINTS));
  const buckets = Math.ceil(span / bucket);
  if (buckets > MAX_HISTORY_POINTS) {
    throw badInput(
      'query.bucket',
      `${bucket} s buckets from ${from.toISOString()} to ${to.toISOString()} make ${buckets} points; at most ${MAX_HISTORY_POINTS}`,
      `a bucket of at least ${Math.ceil(span / MAX_HISTORY_POINTS)} s, or a shorter time`,
    );
  }
  const { rows: counted } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (
       SELECT m.resource_id FROM collection_members m JOIN devices dv ON dv.resource_id = m.resource_id
       WHERE m.collection_id = $2 AND dv.unknown_computer IS NULL
       UNION SELECT resource_id FROM runs WHERE deployment_id = $1) t`,
    [d.id, d.collectionId],
  );
  const total = Number(counted[0]!.n);
  const { rows: runs } = await db.query<RunRow>(
    'SELECT resource_id, started_at, ended_at, result FROM runs WHERE deployment_id = $1 AND started_at <= $2 ORDER BY resource_id, started_at, run_id',
    [d.id, to],
  );
  const events = transitions(runs);
  const current = new Map<string, StatusCategory>();
  const counts = Object.fromEntries(STATUS_CATEGORIES.map((c) => [c, 0])) as Record<StatusCategory, number>;
  const points: StatusPoint[] = [];
  let e = 0;
  for (let k = 0; k <= buckets; k++) {
    const at = Math.min(from.getTime() + k * bucket * 1000, to.getTime());
    for (; e < events.length && events[e]!.t <= at; e++) {
      const ev = events[e]!;
      const before = current.get(ev.device);
      if (before) counts[before]--;
      counts[ev.category]++;
      current.set(ev.device, ev.category);
    }
    const known = current.size;
    points.push({ at: new Date(at).toISOString(), ...counts, unknown: counts.unknown + Math.max(0, total - known), total });
  }
  return {
    deploymentId: d.id,
    from: from.toISOString(),
    to: to.toISOString(),
    bucketSeconds: bucket,
    points,
    notes: ["the devices are the deployment's devices now (the collection's members today and every device that ran it): membership's history is not kept"],
  };
}
