/**
 * Putting packages on distribution points and knowing where they are (osd-features §3.5).
 *
 * An admin's request only records intent: a `distribution_status` row per package per DP in state
 * `pending`, in the same transaction as the audit entry. The DistributionManager (one per server
 * process) does the copying and moves each row to in-progress → success | error. Because the
 * intent is in the database, a server killed mid-copy resumes on its next start, and several
 * servers share the work (rows are claimed with FOR UPDATE SKIP LOCKED).
 * A package whose content changed ("Update Distribution Points": a new source_version) is
 * redistributed to every DP that holds an older version.
 */
import type { Queryable } from '../db/database.js';
import { audit } from '../audit.js';
import { badInput, notFound } from '../errors.js';
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
}

interface StatusRow {
  package_id: string;
  dp_name: string;
  source_version: number;
  current_version: number;
  state: DistributionState;
  message: string;
  updated_at: Date;
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
  };
}

async function requirePackages(tx: Queryable, packageIds: readonly string[]): Promise<Map<string, { version: number; contentId: string | null; type: number }>> {
  if (!packageIds.length) throw badInput('packageIds', 'no package given', 'name at least one PackageID');
  const { rows } = await tx.query<{ package_id: string; source_version: number; content_id: string | null; package_type: number }>(
    'SELECT package_id, source_version, content_id, package_type FROM packages WHERE package_id = ANY($1)',
    [packageIds],
  );
  const found = new Map(rows.map((r) => [r.package_id, { version: r.source_version, contentId: r.content_id, type: r.package_type }]));
  for (const [i, id] of packageIds.entries()) {
    const p = found.get(id);
    if (!p) throw notFound('package', id, 'list packages with GET /api/v1/packages');
    if (!p.contentId) {
      throw badInput(`packageIds[${i}]`, `the ${PACKAGE_TYPE_NAMES[p.type] ?? 'package'} ${id} has no content yet`, `give it content first (PUT /api/v1/packages/${id}/content)`);
    }
  }
  return found;
}

async function requireDps(tx: Queryable, dpNames: readonly string[]): Promise<void> {
  if (!dpNames.length) throw badInput('distributionPoints', 'no distribution point given', 'name at least one (GET /api/v1/distribution-points lists them)');
  const { rows } = await tx.query<{ name: string }>('SELECT name FROM distribution_points WHERE name = ANY($1)', [dpNames]);
  const known = new Set(rows.map((r) => r.name));
  for (const n of dpNames) if (!known.has(n)) throw notFound('distribution point', n);
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
    const r = await tx.query(`UPDATE distribution_status SET state = 'removing', message = 'waiting to be removed', updated_at = now() WHERE package_id = $1 AND dp_name = ANY($2)`, [
      packageId,
      dpNames,
    ]);
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
    `SELECT s.package_id, s.dp_name, s.source_version, p.source_version AS current_version, s.state, s.message, s.updated_at
     FROM distribution_status s JOIN packages p ON p.package_id = s.package_id
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.package_id, s.dp_name`,
    params,
  );
  return rows.map(toStatus);
}

/** Monitoring › Distribution Status: counts per package (Success / In Progress / Error / Unknown). */
export async function contentStatusSummary(db: Queryable): Promise<Array<{ packageId: string; name: string; success: number; inProgress: number; error: number; unknown: number }>> {
  const { rows } = await db.query<{ package_id: string; name: string; success: number; in_progress: number; error: number; unknown: number }>(
    `SELECT p.package_id, p.name,
       count(*) FILTER (WHERE s.state = 'success' AND s.source_version = p.source_version)::int AS success,
       count(*) FILTER (WHERE s.state IN ('pending', 'in-progress', 'removing') OR (s.state = 'success' AND s.source_version < p.source_version))::int AS in_progress,
       count(*) FILTER (WHERE s.state = 'error')::int AS error,
       (SELECT count(*) FROM distribution_points)::int - count(s.dp_name)::int AS unknown
     FROM packages p LEFT JOIN distribution_status s ON s.package_id = p.package_id
     GROUP BY p.package_id, p.name ORDER BY p.package_id`,
  );
  return rows.map((r) => ({ packageId: r.package_id, name: r.name, success: r.success, inProgress: r.in_progress, error: r.error, unknown: Math.max(0, r.unknown) }));
}

/** Re-hashes the package's files on the DP (Content Locations › Validate); a bad copy turns the status to error. */
export async function validateOnDistributionPoint(site: Site, actor: Actor, packageId: string, dpName: string): Promise<{ ok: boolean; bad: Array<{ path: string; problem: string }> }> {
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

/**
 * Does the copying. `runOnce` claims one due row at a time until none is left; a server calls it
 * after every distribute request and on start (to resume what a crash interrupted).
 */
export class DistributionManager {
  private running: Promise<number> | undefined;
  private again = false;
  private stopping = false;

  constructor(private readonly site: Site) {}

  /** Starts a pass if none is running (a request during a pass triggers one more pass). */
  kick(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let total = 0;
      do {
        this.again = false;
        total += await this.runOnce();
      } while (this.again);
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

  /** Waits for a running pass to end (a server stopping lets the current copy finish). */
  async settle(): Promise<void> {
    this.stopping = true;
    this.again = false;
    await this.running;
  }

  /** Processes every due row; returns how many it handled. */
  async runOnce(): Promise<number> {
    // Rows left in-progress by a process that died are due again.
    await this.site.db.query(`UPDATE distribution_status SET state = 'pending', message = 'resumed after an interruption' WHERE state = 'in-progress' AND updated_at < now() - interval '10 minutes'`);
    let handled = 0;
    for (;;) {
      if (this.stopping) return handled; // the rest stays pending for the next start
      const job = await this.claim();
      if (!job) return handled;
      handled++;
      await this.process(job);
    }
  }

  private async claim(): Promise<{ packageId: string; dpName: string; version: number; contentId: string | null; removing: boolean; redistribute: boolean } | undefined> {
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
        await tx.query(`UPDATE distribution_status SET state = 'in-progress', message = 'copying', source_version = $3, redistribute = false, updated_at = now() WHERE package_id = $1 AND dp_name = $2`, [
          r.package_id,
          r.dp_name,
          r.pv,
        ]);
      }
      return { packageId: r.package_id, dpName: r.dp_name, version: r.pv, contentId: r.content_id, removing, redistribute: r.redistribute };
    });
  }

  private async process(job: { packageId: string; dpName: string; version: number; contentId: string | null; removing: boolean; redistribute: boolean }): Promise<void> {
    const set = (state: DistributionState, message: string): Promise<unknown> =>
      this.site.db.query(`UPDATE distribution_status SET state = $3, message = $4, updated_at = now() WHERE package_id = $1 AND dp_name = $2`, [job.packageId, job.dpName, state, message]);
    try {
      const client = await dpClient(this.site, job.dpName);
      if (job.removing) {
        await client.deletePackage(job.packageId);
        await this.site.db.query(`DELETE FROM distribution_status WHERE package_id = $1 AND dp_name = $2 AND state = 'removing'`, [job.packageId, job.dpName]);
        return;
      }
      if (!job.contentId) throw new Error('the package has no content');
      const { rows } = await this.site.db.query<{ files: ContentFile[] }>('SELECT files FROM content WHERE id = $1', [job.contentId]);
      if (!rows[0]) throw new Error(`content ${job.contentId} is not in the content library`);
      if (job.redistribute) await client.deletePackage(job.packageId);
      const r = await client.distribute(job.packageId, job.version, rows[0].files, this.site.content);
      await set('success', `content version ${job.version} is on the distribution point (${r.pushedBlobs} files copied, ${r.pushedBytes} bytes)`);
    } catch (e) {
      await set('error', (e as Error).message.split('\n')[0] ?? 'failed').catch(() => {});
    }
  }
}
