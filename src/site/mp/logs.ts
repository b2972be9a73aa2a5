/**
 * The logs of a run (docs/management-point.md "Runs and status"; osd-features §6.1): smsts.log and
 * its rotated parts, uploaded by the agent at the end of a run and on failure. The same name again
 * replaces the stored one (the log of a resumed run grows). The site keeps the bytes as they came,
 * gzip-compressed in the database beside the run (008-runs.ts says why), and never parses them:
 * the agent's log already masks secret values.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Database, Queryable } from '../db/database.js';
import { badInput, SiteError } from '../errors.js';
import { runIdSchema } from './status.js';
import { findDeviceRun } from './runs.js';

/** One log file, in bytes. */
export const MAX_LOG_BYTES = 16 * 1024 * 1024;
/** Every log of one run together, in bytes. */
export const MAX_RUN_LOG_BYTES = 64 * 1024 * 1024;
/** smsts.log, or a rotated part smsts-YYYYMMDD-HHMMSS[-n].log (the runner's rollover names). */
export const LOG_NAME = /^smsts(-\d{8}-\d{6}(-\d{1,4})?)?\.log$/;

export interface RunLogInfo {
  runId: string;
  name: string;
  size: number;
  sha256: string;
  uploadedAt: string;
}

export interface StoredLog extends RunLogInfo {
  /** True when a log of this name was there before and is now replaced. */
  replaced: boolean;
}

export function checkLogName(name: string, field = 'params.name'): string {
  if (!LOG_NAME.test(name)) {
    throw badInput(
      field,
      `a run's log is named smsts.log or smsts-<yyyyMMdd-HHmmss>.log; not "${name.slice(0, 80)}"`,
      'upload the task sequence log files only',
    );
  }
  return name;
}

export function checkRunId(runId: string, field = 'params.runId'): string {
  if (!runIdSchema.safeParse(runId).success)
    throw badInput(field, `"${runId.slice(0, 80)}" is not a run id`, 'a run id is the UUID the agent made for the run');
  return runId.toLowerCase();
}

function tooLarge(input: string, rule: string, hint: string): SiteError {
  return new SiteError('too-large', { input, rule, hint });
}

/**
 * Stores a log of one of `device`'s runs. Refused: a name that is not a task sequence log's, a file
 * over 16 MiB, a run whose logs would exceed 64 MiB, a run id that is not this device's (404).
 */
export async function storeRunLog(db: Database, device: { resourceId: number }, runIdText: string, name: string, content: string | Buffer): Promise<StoredLog> {
  const runId = checkRunId(runIdText);
  checkLogName(name);
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  if (bytes.length > MAX_LOG_BYTES) {
    throw tooLarge(
      'body',
      `a log file is at most ${MAX_LOG_BYTES} bytes (16 MiB); this one is ${bytes.length}`,
      'upload the rotated parts (smsts-<timestamp>.log) separately',
    );
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const packed = gzipSync(bytes);
  return db.transaction(async (tx) => {
    // The run row locked: two uploads of one run cannot both pass the total.
    const run = await tx.query<{ resource_id: string | number }>('SELECT resource_id FROM runs WHERE run_id = $1 FOR UPDATE', [runId]);
    if (!run.rows[0] || Number(run.rows[0].resource_id) !== device.resourceId) {
      throw new SiteError('not-found', {
        input: 'params.runId',
        rule: `this device has no run ${runId}`,
        hint: "send the run's status messages first: a run is known from its first message",
      });
    }
    const others = await tx.query<{ total: string | number | null; replaced: boolean }>(
      'SELECT COALESCE(SUM(size) FILTER (WHERE name <> $2), 0) AS total, bool_or(name = $2) AS replaced FROM run_logs WHERE run_id = $1',
      [runId, name],
    );
    const total = Number(others.rows[0]?.total ?? 0);
    if (total + bytes.length > MAX_RUN_LOG_BYTES) {
      throw tooLarge(
        'body',
        `the logs of one run are at most ${MAX_RUN_LOG_BYTES} bytes (64 MiB) together; this run has ${total} in other files, and this one is ${bytes.length}`,
        'upload the newest parts of the log only',
      );
    }
    const { rows } = await tx.query<{ uploaded_at: Date }>(
      `INSERT INTO run_logs (run_id, name, content, size, sha256) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (run_id, name) DO UPDATE SET content = EXCLUDED.content, size = EXCLUDED.size, sha256 = EXCLUDED.sha256, uploaded_at = now()
       RETURNING uploaded_at`,
      [runId, name, packed, bytes.length, sha256],
    );
    return { runId, name, size: bytes.length, sha256, uploadedAt: rows[0]!.uploaded_at.toISOString(), replaced: others.rows[0]?.replaced === true };
  });
}

/** The logs stored for one of a device's runs (404 for a run of another device). */
export async function listRunLogs(db: Queryable, resourceId: number, runIdText: string): Promise<RunLogInfo[]> {
  const run = await findDeviceRun(db, resourceId, checkRunId(runIdText));
  const { rows } = await db.query<{ name: string; size: string | number; sha256: string; uploaded_at: Date }>(
    'SELECT name, size, sha256, uploaded_at FROM run_logs WHERE run_id = $1 ORDER BY name = $2 DESC, name DESC',
    [run.run_id, 'smsts.log'],
  );
  return rows.map((r) => ({ runId: run.run_id, name: r.name, size: Number(r.size), sha256: r.sha256, uploadedAt: r.uploaded_at.toISOString() }));
}

/** A stored log's bytes as uploaded. */
export async function readRunLog(db: Queryable, resourceId: number, runIdText: string, name: string): Promise<RunLogInfo & { content: Buffer }> {
  const run = await findDeviceRun(db, resourceId, checkRunId(runIdText));
  checkLogName(name);
  const { rows } = await db.query<{ content: Uint8Array; size: string | number; sha256: string; uploaded_at: Date }>(
    'SELECT content, size, sha256, uploaded_at FROM run_logs WHERE run_id = $1 AND name = $2',
    [run.run_id, name],
  );
  const r = rows[0];
  if (!r) {
    throw new SiteError('not-found', {
      input: name,
      rule: `run ${run.run_id} has no log named ${name}`,
      hint: 'the run lists its logs; a computer uploads them at the end of a run and when it fails',
    });
  }
  // The size is bounded when stored (16 MiB), so inflating cannot run away.
  const content = gunzipSync(Buffer.from(r.content), { maxOutputLength: MAX_LOG_BYTES });
  return { runId: run.run_id, name, size: Number(r.size), sha256: r.sha256, uploadedAt: r.uploaded_at.toISOString(), content };
}

/** The newest run of a device that has logs, for "show me its log" without a run id. */
export async function latestRunWithLog(db: Queryable, resourceId: number): Promise<string | undefined> {
  const { rows } = await db.query<{ run_id: string }>(
    `SELECT r.run_id FROM runs r WHERE r.resource_id = $1 AND EXISTS (SELECT 1 FROM run_logs l WHERE l.run_id = r.run_id)
     ORDER BY r.started_at DESC LIMIT 1`,
    [resourceId],
  );
  return rows[0]?.run_id;
}
