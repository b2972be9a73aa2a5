/**
 * Putting packages on distribution points and knowing where they are (osd-features §3.5).
 *
 * An admin's request only records intent: a `distribution_status` row per package per DP in state
 * `pending`, in the same transaction as the audit entry. The DistributionManager (one per server
 * process) does the copying and moves each row to in-progress → success | error. Because the
 * intent is in the database, a server killed mid-copy resumes by itself when it starts again,
 * several servers share the work (rows are claimed with FOR UPDATE SKIP LOCKED), and one takes
 * over what a dead or hung one left (owner and heartbeat per row: see DistributionManager).
 * A package whose content changed ("Update Distribution Points": a new source_version) is
 * redistributed to every DP that holds an older version.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Queryable } from '../db/database.js';
import { processAlive } from '../../storage/process-alive.js';
import { audit } from '../audit.js';
import { badInput, notFound } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import { PACKAGE_TYPE_NAMES } from '../objects/package-types.js';
import type { ContentFile } from '../content/store.js';
import { dpClient } from './distribution-points.js';

export type DistributionState = 'pending' | 'in-progress' | 'success' | 'error' | 'removing';

export interface PackageDistribution {
  packageId: string;
  dpName: string;
  sourceVersion: number;
  /** The package's current content version; a DP with an older one is being updated. */
  currentSourceVersion: number;
  state: DistributionState;
  message: string;
  updatedAt: string;
  /** The package's content size (what a copy to an empty DP pushes); null without content. */
  sizeBytes: number | null;
  /** In progress (or last copied): the bytes pushed, and the bytes this copy has to push (null until the DP has said which files it lacks). */
  copiedBytes: number;
  copyBytes: number | null;
}

interface StatusRow {
  package_id: string;
  dp_name: string;
  source_version: number;
  current_version: number;
  state: DistributionState;
  message: string;
  updated_at: Date;
  size: string | number | null;
  copied_bytes: string | number;
  copy_bytes: string | number | null;
}

function toStatus(r: StatusRow): PackageDistribution {
  return {
    packageId: r.package_id,
    dpName: r.dp_name,
    sourceVersion: r.source_version,
    currentSourceVersion: r.current_version,
    state: r.state,
    message: r.message,
    updatedAt: r.updated_at.toISOString(),
    sizeBytes: r.size === null ? null : Number(r.size),
    copiedBytes: Number(r.copied_bytes),
    copyBytes: r.copy_bytes === null ? null : Number(r.copy_bytes),
  };
}

async function requirePackages(
  tx: Queryable,
  packageIds: readonly string[],
): Promise<Map<string, { version: number; contentId: string | null; type: number }>> {
  if (!packageIds.length) throw badInput('packageIds', 'no package given', 'name at least one PackageID');
  const { rows } = await tx.query<{ package_id: string; source_version: number; content_id: string | null; package_type: number }>(
    'SELECT package_id, source_version, content_id, package_type FROM packages WHERE package_id = ANY($1)',
    [packageIds],
  );
  const found = new Map(rows.map((r) => [r.package_id, { version: r.source_version, contentId: r.content_id, type: r.package_type }]));
  for (const [i, id] of packageIds.entries()) {
    const p = found.get(id);
    if (!p) throw notFound('package', id, 'list the packages to find its id', nextSteps('list-packages'));
    if (!p.contentId) {
      throw badInput(
        `packageIds[${i}]`,
        `the ${PACKAGE_TYPE_NAMES[p.type] ?? 'package'} ${id} has no content yet`,
        "set the package's content first",
        nextSteps({ step: 'set-package-content', ids: { packageId: id } }),
      );
    }
  }
  return found;
}

async function requireDps(tx: Queryable, dpNames: readonly string[]): Promise<void> {
  if (!dpNames.length)
    throw badInput('distributionPoints', 'no distribution point given', 'name at least one of the distribution points', nextSteps('list-distribution-points'));
  const { rows } = await tx.query<{ name: string }>('SELECT name FROM distribution_points WHERE name = ANY($1)', [dpNames]);
  const known = new Set(rows.map((r) => r.name));
  for (const n of dpNames)
    if (!known.has(n)) throw notFound('distribution point', n, 'list the distribution points to find its name', nextSteps('list-distribution-points'));
}

/**
 * Records that the packages should be on the DPs. Packages a DP already holds at the current
 * version are left alone (§3.5: "distributes every referenced object not already on the target").
 */
export async function distribute(site: Site, actor: Actor, packageIds: readonly string[], dpNames: readonly string[]): Promise<PackageDistribution[]> {
  return site.db.transaction(async (tx) => {
    const pkgs = await requirePackages(tx, packageIds);
    await requireDps(tx, dpNames);
    for (const [id, p] of pkgs) {
      for (const dp of dpNames) {
        await tx.query(
          `INSERT INTO distribution_status (package_id, dp_name, source_version, state, message) VALUES ($1, $2, $3, 'pending', 'waiting to be copied')
           ON CONFLICT (package_id, dp_name) DO UPDATE SET state = 'pending', message = 'waiting to be copied', source_version = EXCLUDED.source_version, updated_at = now()
           WHERE distribution_status.state IN ('error', 'removing') OR distribution_status.source_version < EXCLUDED.source_version`,
          [id, dp, p.version],
        );
      }
      await audit(tx, actor, 'distribute', 'package', id, { distributionPoints: dpNames });
    }
    return statusOf(tx, [...pkgs.keys()], dpNames);
  });
}

/** Copies the package to the DP again, from scratch (Content Locations › Redistribute). */
export async function redistribute(site: Site, actor: Actor, packageId: string, dpName: string): Promise<PackageDistribution> {
  return site.db.transaction(async (tx) => {
    const pkgs = await requirePackages(tx, [packageId]);
    await requireDps(tx, [dpName]);
    await tx.query(
      `INSERT INTO distribution_status (package_id, dp_name, source_version, state, message, redistribute) VALUES ($1, $2, $3, 'pending', 'waiting to be copied again', true)
       ON CONFLICT (package_id, dp_name) DO UPDATE SET state = 'pending', message = EXCLUDED.message, source_version = EXCLUDED.source_version, redistribute = true, updated_at = now()`,
      [packageId, dpName, pkgs.get(packageId)!.version],
    );
    await audit(tx, actor, 'redistribute', 'package', packageId, { distributionPoint: dpName });
    return (await statusOf(tx, [packageId], [dpName]))[0]!;
  });
}

/** Removes the package from the DPs (Content Locations › Remove). */
export async function removeFromDistributionPoints(site: Site, actor: Actor, packageId: string, dpNames: readonly string[]): Promise<PackageDistribution[]> {
  return site.db.transaction(async (tx) => {
    const r = await tx.query(
      `UPDATE distribution_status SET state = 'removing', message = 'waiting to be removed', updated_at = now() WHERE package_id = $1 AND dp_name = ANY($2)`,
      [packageId, dpNames],
    );
    if (!r.rowCount) throw notFound(`distribution of ${packageId}`, dpNames.join(', '), 'the package is not on these distribution points');
    await audit(tx, actor, 'remove-content', 'package', packageId, { distributionPoints: dpNames });
    return statusOf(tx, [packageId], dpNames);
  });
}

export async function statusOf(db: Queryable, packageIds?: readonly string[], dpNames?: readonly string[]): Promise<PackageDistribution[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (packageIds) where.push(`s.package_id = ANY($${params.push(packageIds)})`);
  if (dpNames) where.push(`s.dp_name = ANY($${params.push(dpNames)})`);
  const { rows } = await db.query<StatusRow>(
    `SELECT s.package_id, s.dp_name, s.source_version, p.source_version AS current_version, s.state, s.message, s.updated_at,
       c.size, s.copied_bytes, s.copy_bytes
     FROM distribution_status s JOIN packages p ON p.package_id = s.package_id LEFT JOIN content c ON c.id = p.content_id
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.package_id, s.dp_name`,
    params,
  );
  return rows.map(toStatus);
}

/** Monitoring › Distribution Status: counts per package (Success / In Progress / Error / Unknown). */
export async function contentStatusSummary(
  db: Queryable,
): Promise<Array<{ packageId: string; name: string; success: number; inProgress: number; error: number; unknown: number }>> {
  const { rows } = await db.query<{ package_id: string; name: string; success: number; in_progress: number; error: number; unknown: number }>(
    `SELECT p.package_id, p.name,
       count(*) FILTER (WHERE s.state = 'success' AND s.source_version = p.source_version)::int AS success,
       count(*) FILTER (WHERE s.state IN ('pending', 'in-progress', 'removing') OR (s.state = 'success' AND s.source_version < p.source_version))::int AS in_progress,
       count(*) FILTER (WHERE s.state = 'error')::int AS error,
       (SELECT count(*) FROM distribution_points)::int - count(s.dp_name)::int AS unknown
     FROM packages p LEFT JOIN distribution_status s ON s.package_id = p.package_id
     GROUP BY p.package_id, p.name ORDER BY p.package_id`,
  );
  return rows.map((r) => ({
    packageId: r.package_id,
    name: r.name,
    success: r.success,
    inProgress: r.in_progress,
    error: r.error,
    unknown: Math.max(0, r.unknown),
  }));
}

/** Re-hashes the package's files on the DP (Content Locations › Validate); a bad copy turns the status to error. */
export async function validateOnDistributionPoint(
  site: Site,
  actor: Actor,
  packageId: string,
  dpName: string,
): Promise<{ ok: boolean; bad: Array<{ path: string; problem: string }> }> {
  const client = await dpClient(site, dpName);
  const result = await client.validate(packageId);
  await site.db.transaction(async (tx) => {
    await tx.query(`UPDATE distribution_status SET state = $3, message = $4, updated_at = now() WHERE package_id = $1 AND dp_name = $2`, [
      packageId,
      dpName,
      result.ok ? 'success' : 'error',
      result.ok ? 'validated: every file matches its hash' : `validation failed: ${result.bad.map((b) => `${b.path} ${b.problem}`).join(', ')}`,
    ]);
    await audit(tx, actor, 'validate', 'package', packageId, { distributionPoint: dpName, ok: result.ok, bad: result.bad.length });
  });
  return { ok: result.ok, bad: result.bad.map((b) => ({ path: b.path, problem: b.problem })) };
}

/** How a server process shares distribution work with others and notices work a dead one left. */
export interface DistributionTiming {
  /**
   * A row in progress whose owner has not renewed its heartbeat for this long is taken over by
   * another server (default 30 s). Owners on this host that are gone are noticed at once.
   */
  leaseMs?: number;
  /** How often the owner renews its heartbeat while it copies (default a third of the lease). */
  heartbeatMs?: number;
  /** How often a started manager runs a pass by itself, so work never waits for a request (default 15 s). */
  passIntervalMs?: number;
}

export const DEFAULT_DISTRIBUTION_LEASE_MS = 30_000;
/** How often a copy's pushed bytes are written for those who watch it. */
const PROGRESS_WRITE_MS = 1_000;
export const DEFAULT_DISTRIBUTION_PASS_INTERVAL_MS = 15_000;

/** This process among the site's servers: <host>.<pid>.<random>, as the content store names its tmp folder. */
export function newInstanceId(): string {
  return `${hostname()}.${process.pid}.${randomBytes(4).toString('hex')}`;
}

const INSTANCE_ID = /^(.+)\.(\d+)\.[0-9a-f]{8}$/;

interface Job {
  packageId: string;
  dpName: string;
  version: number;
  contentId: string | null;
  removing: boolean;
  redistribute: boolean;
}

/**
 * Does the copying. `runOnce` claims one due row at a time until none is left; a server calls it
 * after every distribute request, on start, and every `passIntervalMs` (`start`).
 *
 * A claimed row records its owner (`claimed_by`, this process's instance id) and a heartbeat
 * (`heartbeat_at`, renewed every `heartbeatMs` while copying). Each pass first puts orphaned rows
 * back to pending: on the embedded database every in-progress row another process left (one
 * process uses it at a time, so its owner is gone); on PostgreSQL rows whose owner ran on this
 * host and is gone (or is this pid in an earlier life), and rows whose heartbeat is older than the
 * lease (owners on other hosts, or hung). A copy that is taken over while its owner still runs
 * is harmless: pushing is idempotent (blobs by hash, then the manifest), and the late owner's
 * final state is not written (it no longer holds the claim).
 */
export class DistributionManager {
  readonly instanceId = newInstanceId();
  private running: Promise<number> | undefined;
  private again = false;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly passIntervalMs: number;

  constructor(
    private readonly site: Site,
    timing: DistributionTiming = {},
  ) {
    this.leaseMs = timing.leaseMs ?? DEFAULT_DISTRIBUTION_LEASE_MS;
    this.heartbeatMs = timing.heartbeatMs ?? Math.max(50, Math.floor(this.leaseMs / 3));
    this.passIntervalMs = timing.passIntervalMs ?? DEFAULT_DISTRIBUTION_PASS_INTERVAL_MS;
  }

  /** Runs a pass now and then every `passIntervalMs` until `settle` (the timer never keeps the process alive). */
  start(): void {
    if (this.timer || this.stopping) return;
    this.timer = setInterval(() => void this.kick(), this.passIntervalMs);
    this.timer.unref();
    void this.kick();
  }

  /** Starts a pass if none is running (a request during a pass triggers one more pass). */
  kick(): Promise<number> {
    if (this.stopping) return this.running ?? Promise.resolve(0);
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let total = 0;
      do {
        this.again = false;
        total += await this.runOnce();
      } while (this.again && !this.stopping);
      return total;
    })()
      // Background work must never take the server down (an unhandled rejection would): the rows
      // stay pending and the next pass, or the next start, picks them up.
      .catch((e: unknown) => {
        process.stderr.write(`osd server: distribution pass stopped: ${(e as Error).message}\n`);
        return 0;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Stops the periodic pass and waits for a running pass to end (a server stopping lets the current copy finish). */
  async settle(): Promise<void> {
    this.stopping = true;
    this.again = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Processes every due row; returns how many it handled. */
  async runOnce(): Promise<number> {
    await this.reclaimOrphans();
    let handled = 0;
    for (;;) {
      if (this.stopping) return handled; // the rest stays pending for the next start
      const job = await this.claim();
      if (!job) return handled;
      handled++;
      await this.process(job);
    }
  }

  /** Puts rows whose copy nobody is doing any more back to pending; returns how many. */
  async reclaimOrphans(): Promise<number> {
    const db = this.site.db;
    const resume = (reason: string, where: string, params: unknown[]): Promise<{ rowCount: number }> =>
      db.query(
        `UPDATE distribution_status SET state = 'pending', message = $1, claimed_by = NULL, heartbeat_at = NULL, updated_at = now()
         WHERE state = 'in-progress' AND ${where}`,
        [`resumed: ${reason}`, ...params],
      );
    if (db.kind === 'pglite') {
      // One process at a time uses an embedded database: whatever another one left in progress is
      // orphaned (and so is what this one claimed when none of its copies is running).
      const r = await resume(
        'the copy was interrupted (the server stopped)',
        this.inFlight ? 'claimed_by IS DISTINCT FROM $2' : 'true',
        this.inFlight ? [this.instanceId] : [],
      );
      return r.rowCount;
    }
    let n = (
      await resume(
        'the server copying it stopped renewing its claim',
        'COALESCE(heartbeat_at, updated_at) < now() - make_interval(secs => $2::double precision)',
        [this.leaseMs / 1000],
      )
    ).rowCount;
    if (!this.inFlight) n += (await resume('the copy was interrupted (this server)', 'claimed_by = $2', [this.instanceId])).rowCount;
    // Owners on this host are checked at once: a dead pid cannot be copying.
    const host = hostname();
    const { rows } = await db.query<{ claimed_by: string }>(
      `SELECT DISTINCT claimed_by FROM distribution_status WHERE state = 'in-progress' AND claimed_by LIKE $1 AND claimed_by <> $2`,
      [`${likeLiteral(host)}.%`, this.instanceId],
    );
    for (const { claimed_by: owner } of rows) {
      const m = INSTANCE_ID.exec(owner);
      if (!m || m[1] !== host) continue;
      const pid = Number(m[2]);
      if (pid === process.pid || !processAlive(pid)) {
        n += (await resume(`the server copying it (process ${pid}) is gone`, 'claimed_by = $2', [owner])).rowCount;
      }
    }
    return n;
  }

  private async claim(): Promise<Job | undefined> {
    return this.site.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ package_id: string; dp_name: string; state: string; redistribute: boolean; pv: number; content_id: string | null }>(
        `SELECT s.package_id, s.dp_name, s.state, s.redistribute, p.source_version AS pv, p.content_id
         FROM distribution_status s JOIN packages p ON p.package_id = s.package_id
         WHERE s.state IN ('pending', 'removing') OR (s.state = 'success' AND s.source_version < p.source_version)
         ORDER BY s.updated_at LIMIT 1 FOR UPDATE OF s SKIP LOCKED`,
      );
      const r = rows[0];
      if (!r) return undefined;
      const removing = r.state === 'removing';
      if (!removing) {
        // `redistribute` stays set until the copy succeeds: a redistribution resumed after a crash starts from scratch again.
        await tx.query(
          `UPDATE distribution_status SET state = 'in-progress', message = 'copying', source_version = $3, claimed_by = $4, heartbeat_at = now(), updated_at = now(),
             copied_bytes = 0, copy_bytes = NULL
           WHERE package_id = $1 AND dp_name = $2`,
          [r.package_id, r.dp_name, r.pv, this.instanceId],
        );
      }
      return { packageId: r.package_id, dpName: r.dp_name, version: r.pv, contentId: r.content_id, removing, redistribute: r.redistribute };
    });
  }

  /** Renews the claim's heartbeat while `job` runs; a failing renewal is reported, never thrown. */
  private heartbeat(job: Job): () => void {
    let warned = false;
    const timer = setInterval(() => {
      this.site.db
        .query(`UPDATE distribution_status SET heartbeat_at = now() WHERE package_id = $1 AND dp_name = $2 AND claimed_by = $3 AND state = 'in-progress'`, [
          job.packageId,
          job.dpName,
          this.instanceId,
        ])
        .catch((e: unknown) => {
          if (!warned) process.stderr.write(`osd server: cannot renew the claim on ${job.packageId} → ${job.dpName}: ${(e as Error).message.split('\n')[0]}\n`);
          warned = true;
        });
    }, this.heartbeatMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * Records how many bytes a copy has pushed, at most once a second (the last figure when it
   * stops), while this process holds the claim; a failing write is ignored (progress is a courtesy).
   */
  private progressWriter(job: Job): { heard(copied: number, total: number): void; stop(): Promise<void> } {
    let latest: [number, number] | undefined;
    let written: [number, number] | undefined;
    let writing: Promise<unknown> = Promise.resolve();
    const write = (): void => {
      if (!latest || (written && written[0] === latest[0] && written[1] === latest[1])) return;
      written = latest;
      const [copied, total] = latest;
      writing = this.site.db
        .query(
          `UPDATE distribution_status SET copied_bytes = $4, copy_bytes = $5 WHERE package_id = $1 AND dp_name = $2 AND claimed_by = $3 AND state = 'in-progress'`,
          [job.packageId, job.dpName, this.instanceId, copied, total],
        )
        .catch(() => {});
    };
    const timer = setInterval(write, PROGRESS_WRITE_MS);
    timer.unref();
    return {
      heard(copied, total) {
        latest = [copied, total];
      },
      async stop() {
        clearInterval(timer);
        await writing;
        write();
        await writing;
      },
    };
  }

  private async process(job: Job): Promise<void> {
    // The final state is written only while this process still holds the claim: a row taken over,
    // redistributed or removed meanwhile belongs to whoever changed it.
    const finish = (state: DistributionState, message: string): Promise<unknown> =>
      this.site.db.query(
        `UPDATE distribution_status SET state = $3, message = $4, claimed_by = NULL, heartbeat_at = NULL, updated_at = now(),
           redistribute = CASE WHEN $3 = 'success' THEN false ELSE redistribute END
         WHERE package_id = $1 AND dp_name = $2 AND state = 'in-progress' AND claimed_by = $5`,
        [job.packageId, job.dpName, state, message, this.instanceId],
      );
    if (job.removing) {
      try {
        const client = await dpClient(this.site, job.dpName);
        await client.deletePackage(job.packageId);
        await this.site.db.query(`DELETE FROM distribution_status WHERE package_id = $1 AND dp_name = $2 AND state = 'removing'`, [job.packageId, job.dpName]);
      } catch (e) {
        await this.site.db
          .query(
            `UPDATE distribution_status SET state = 'error', message = $3, updated_at = now() WHERE package_id = $1 AND dp_name = $2 AND state = 'removing'`,
            [job.packageId, job.dpName, (e as Error).message.split('\n')[0] ?? 'failed'],
          )
          .catch(() => {});
      }
      return;
    }
    this.inFlight++;
    const stopBeating = this.heartbeat(job);
    const progress = this.progressWriter(job);
    let outcome: [DistributionState, string];
    try {
      const client = await dpClient(this.site, job.dpName);
      if (!job.contentId) throw new Error('the package has no content');
      const { rows } = await this.site.db.query<{ files: ContentFile[] }>('SELECT files FROM content WHERE id = $1', [job.contentId]);
      if (!rows[0]) throw new Error(`content ${job.contentId} is not in the content library`);
      if (job.redistribute) await client.deletePackage(job.packageId);
      // Blobs first, the package manifest last (the DP accepts it only when every blob is there):
      // a copy interrupted here leaves the DP with the old version or none, never a broken one.
      const r = await client.distribute(job.packageId, job.version, rows[0].files, this.site.content, (copied, total) => progress.heard(copied, total));
      outcome = ['success', `content version ${job.version} is on the distribution point (${r.pushedBlobs} files copied, ${r.pushedBytes} bytes)`];
    } catch (e) {
      outcome = ['error', (e as Error).message.split('\n')[0] ?? 'failed'];
    } finally {
      stopBeating();
      await progress.stop();
      this.inFlight--;
    }
    // If this fails (the database is unreachable) the row stays claimed by this process, and the
    // next pass (here or on another server, after the lease) puts it back to pending.
    await finish(...outcome).catch(() => {});
  }
}

/** `text` with LIKE's wildcards taken literally. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (m) => `\\${m}`);
}
