/**
 * Deploying a task sequence revision to a collection (osd-features §4.1–§4.5): the Deploy Software
 * Wizard's rules, checked before anything is written, then the deployment and its audit entries
 * in one transaction. List, get, enable/disable, delete.
 */
import { audit } from '../audit.js';
import type { Queryable } from '../db/database.js';
import { badInput, notFound, SiteError } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import { inputProblemsError } from '../input-problems.js';
import { nextSiteId } from '../ids.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import { bodyToSequence, DEFAULT_PROPERTIES, readRevisionRow, readTaskSequenceRow } from '../task-sequences/model.js';
import { isOsDeployment } from '../task-sequences/references.js';
import { revisionReferences } from '../task-sequences/revisions.js';
import { assessHighRisk } from './high-risk.js';
import { type DeploymentInput, type DeploymentRequest, deploymentInputSchema, type DeploymentSettings, type Schedule } from './input.js';

export interface DeploymentInfo {
  id: string;
  taskSequenceId: string;
  taskSequenceName: string;
  revision: number;
  collectionId: string;
  collectionName: string;
  purpose: 'available' | 'required';
  settings: DeploymentSettings;
  /** Members when created (§4.5: not re-evaluated). */
  collectionSize: number;
  highRisk: boolean;
  enabled: boolean;
  createdBy: string;
  createdAt: string;
}

export interface CreatedDeployment {
  deployment: DeploymentInfo;
  warnings: string[];
}

interface DeploymentRow {
  deployment_id: string;
  task_sequence_id: string;
  ts_name: string;
  revision: number;
  collection_id: string;
  collection_name: string;
  purpose: 'available' | 'required';
  settings: DeploymentSettings;
  collection_size: number;
  high_risk: boolean;
  enabled: boolean;
  created_by: string;
  created_at: Date;
}

const SELECT = `SELECT d.deployment_id, d.task_sequence_id, t.name AS ts_name, d.revision, d.collection_id, c.name AS collection_name, d.purpose, d.settings,
  d.collection_size, d.high_risk, d.enabled, d.created_by, d.created_at
  FROM deployments d JOIN task_sequences t ON t.package_id = d.task_sequence_id JOIN collections c ON c.collection_id = d.collection_id`;

function toInfo(r: DeploymentRow): DeploymentInfo {
  return {
    id: r.deployment_id,
    taskSequenceId: r.task_sequence_id,
    taskSequenceName: r.ts_name,
    revision: r.revision,
    collectionId: r.collection_id,
    collectionName: r.collection_name,
    purpose: r.purpose,
    settings: r.settings,
    collectionSize: r.collection_size,
    highRisk: r.high_risk,
    enabled: r.enabled,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
  };
}

export async function getDeployment(db: Queryable, id: string): Promise<DeploymentInfo> {
  const { rows } = await db.query<DeploymentRow>(`${SELECT} WHERE d.deployment_id = $1`, [id.toUpperCase()]);
  if (!rows[0]) throw notFound('deployment', id, 'list the deployments to find its id', nextSteps('list-deployments'));
  return toInfo(rows[0]);
}

export async function listDeployments(db: Queryable, filter: { collectionId?: string; taskSequenceId?: string } = {}): Promise<DeploymentInfo[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.collectionId) where.push(`d.collection_id = $${params.push(filter.collectionId.toUpperCase())}`);
  if (filter.taskSequenceId) where.push(`d.task_sequence_id = $${params.push(filter.taskSequenceId.toUpperCase())}`);
  const { rows } = await db.query<DeploymentRow>(`${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.deployment_id`, params);
  return rows.map(toInfo);
}

const INTERVAL_LIMITS = { minutes: 59, hours: 23, days: 31 } as const;

function checkSchedules(r: DeploymentRequest): void {
  if (r.purpose === 'available' && r.schedules.length) {
    throw badInput('body.schedules', 'an Available deployment has no assignment schedule', 'leave schedules out, or make the deployment Required');
  }
  if (r.purpose === 'required' && r.schedules.length === 0) {
    throw badInput(
      'body.schedules',
      'a Required deployment needs at least one assignment schedule',
      'e.g. ["asap"], [{"at": "2025-06-01T20:00:00Z"}], "logon", or a recurring schedule',
    );
  }
  r.schedules.forEach((s: Schedule, i) => {
    if (typeof s === 'object' && 'recurring' in s && s.recurring === 'interval' && s.every > INTERVAL_LIMITS[s.unit]) {
      throw badInput(
        `body.schedules[${i}].every`,
        `an interval in ${s.unit} is 1 to ${INTERVAL_LIMITS[s.unit]}`,
        'use a larger unit (e.g. hours instead of minutes)',
      );
    }
  });
  const at = r.availableAt ? Date.parse(r.availableAt) : Date.now();
  if (r.expiresAt && Date.parse(r.expiresAt) <= at) {
    throw badInput('body.expiresAt', 'the deployment would expire before it becomes available', 'give an expiry after availableAt');
  }
}

interface ReferencedPackage {
  package_id: string;
  name: string;
  copy_to_share: boolean;
  package_type: number;
}

export async function createDeployment(site: Site, actor: Actor, rawInput: DeploymentInput): Promise<CreatedDeployment> {
  const parsed = deploymentInputSchema.safeParse(rawInput);
  if (!parsed.success) throw inputProblemsError(parsed.error, 'body', { schema: deploymentInputSchema, value: rawInput });
  const r = parsed.data;
  checkSchedules(r);
  if (r.preDownload && r.purpose !== 'available') {
    throw badInput('body.preDownload', 'pre-download (pre-cache) applies only to Available deployments', 'make it Available, or leave preDownload off');
  }
  return site.db.transaction(async (tx) => {
    const ts = await readTaskSequenceRow(tx, r.taskSequenceId);
    const revision = r.revision ?? ts.current_revision;
    const revRow = await readRevisionRow(tx, ts.package_id, revision);
    const sequence = bodyToSequence(revRow.body);
    const coll = await tx.query<{ collection_id: string; name: string; built_in: boolean; member_count: number }>(
      'SELECT collection_id, name, built_in, member_count FROM collections WHERE collection_id = $1',
      [r.collectionId.toUpperCase()],
    );
    const collection = coll.rows[0];
    if (!collection) throw notFound('collection', r.collectionId, 'list the collections to find its id', nextSteps('list-collections'));

    // §4.1: Deploy is greyed out while the task sequence has an invalid reference.
    const refs = await revisionReferences(tx, ts.package_id, revision);
    const packageIds = [...new Set([...refs.filter((x) => x.refKind === 'package').map((x) => x.refId), ...(ts.boot_image_id ? [ts.boot_image_id] : [])])];
    const appNames = refs.filter((x) => x.refKind === 'application').map((x) => x.refId);
    const known = await tx.query<ReferencedPackage>('SELECT package_id, name, copy_to_share, package_type FROM packages WHERE package_id = ANY($1::text[])', [
      packageIds,
    ]);
    const childTs = await tx.query<{ package_id: string }>('SELECT package_id FROM task_sequences WHERE package_id = ANY($1::text[])', [packageIds]);
    const apps = await tx.query<{ model_name: string; retired: boolean }>('SELECT model_name, retired FROM applications WHERE model_name = ANY($1::text[])', [
      appNames,
    ]);
    const knownIds = new Set([...known.rows.map((p) => p.package_id), ...childTs.rows.map((t) => t.package_id)]);
    const liveApps = new Set(apps.rows.filter((a) => !a.retired).map((a) => a.model_name));
    const missing = [
      ...packageIds.filter((id) => !knownIds.has(id)).map((id) => `package ${id}`),
      ...appNames.filter((a) => !liveApps.has(a)).map((a) => `application ${a}`),
    ];
    if (missing.length) {
      throw new SiteError('blocked', {
        input: `${ts.package_id} revision ${revision}`,
        rule: `the task sequence references content this site does not have: ${missing.join(', ')}`,
        hint: "fix the references (the task sequence's lint lists them) or add the content to the site, then deploy again",
        details: { missingReferences: missing, ...nextSteps({ step: 'lint-task-sequence', ids: { id: ts.package_id } }) },
      });
    }

    // §4.1: a task sequence without a boot image is offered to Configuration Manager clients only.
    if (!ts.boot_image_id && r.availability !== 'clients') {
      throw badInput(
        'body.availability',
        `task sequence ${ts.package_id} has no boot image, so it can be made available only to Configuration Manager clients`,
        'use availability "clients", or give the task sequence a boot image in its properties',
        nextSteps({ step: 'edit-task-sequence', ids: { id: ts.package_id } }),
      );
    }
    // §4.3: which deployment options exist.
    if (r.contentOption === 'download-all-first' && r.availability !== 'clients') {
      throw badInput(
        'body.contentOption',
        '"Download all content locally before starting task sequence" is offered only when the deployment is not made available to media and PXE',
        'use "download-when-needed", or make it available to clients only',
      );
    }
    if (r.contentOption === 'access-from-dp') {
      const noShare = known.rows.filter((p) => !p.copy_to_share);
      if (noShare.length) {
        throw badInput(
          'body.contentOption',
          `"Access content directly from a distribution point" needs every referenced package copied to a package share; these are not: ${noShare.map((p) => `${p.package_id} (${p.name})`).join(', ')}`,
          'tick "Copy the content in this package to a package share on distribution points" on each, or choose another option',
          { packages: noShare.map((p) => p.package_id) },
        );
      }
    }

    const osd = isOsDeployment(sequence, ts.boot_image_id);
    const risk = await assessHighRisk(
      tx,
      { collectionId: collection.collection_id, name: collection.name, builtIn: collection.built_in, memberCount: collection.member_count },
      r.purpose === 'required' && osd,
    );
    if (risk.reasons.length && !r.confirmHighRisk) {
      throw new SiteError('high-risk-confirmation-required', {
        input: 'body.confirmHighRisk',
        rule: `this Required OS deployment to "${collection.name}" is high risk: ${risk.reasons.join('; ')}`,
        hint: 'check the collection, then deploy again acknowledging the high risk',
        details: { reasons: risk.reasons, collectionSize: collection.member_count, ...nextSteps('confirm-high-risk') },
      });
    }

    const warnings: string[] = [];
    // An OS image task sequence: it applies an image (the boot image alone does not wipe the disk).
    const appliesImage = isOsDeployment(sequence, null);
    if (appliesImage && r.preDownload && r.contentOption === 'download-when-needed') {
      warnings.push(
        'an OS image task sequence with "download content locally when needed": content not pre-cached is downloaded into the cache on the disk Apply Operating System wipes, and the task sequence fails; prefer "download all content locally before starting"',
      );
    }
    if (r.purpose === 'required' && r.availability !== 'clients' && r.schedules.some((s) => s !== 'asap')) {
      warnings.push('computers starting from PXE or media (Windows PE) ignore every schedule: a Required deployment runs there as soon as they start');
    }
    if ({ ...DEFAULT_PROPERTIES, ...ts.properties }.disabled) {
      warnings.push(`task sequence ${ts.package_id} is disabled on computers where it is deployed: it will not run until it is enabled in its properties`);
    }
    if (revision !== ts.current_revision) warnings.push(`revision ${revision} is deployed, not the current revision ${ts.current_revision}`);
    const undistributed = await tx.query<{ package_id: string }>(
      `SELECT p.package_id FROM packages p WHERE p.package_id = ANY($1::text[]) AND NOT EXISTS
         (SELECT 1 FROM distribution_status s WHERE s.package_id = p.package_id AND s.state = 'success' AND s.source_version = p.source_version) ORDER BY 1`,
      [known.rows.map((p) => p.package_id)],
    );
    if (undistributed.rows.length) {
      warnings.push(
        `not on any distribution point yet: ${undistributed.rows.map((p) => p.package_id).join(', ')}; distribute the content before computers run the task sequence`,
      );
    }

    const settings: DeploymentSettings = {
      availability: r.availability,
      availableAt: new Date(r.availableAt ? Date.parse(r.availableAt) : Date.now()).toISOString(),
      expiresAt: r.expiresAt ? new Date(Date.parse(r.expiresAt)).toISOString() : null,
      schedules: r.schedules,
      rerun: r.rerun,
      showProgress: r.showProgress,
      softwareInstallOutsideMaintenanceWindow: r.softwareInstallOutsideMaintenanceWindow,
      restartOutsideMaintenanceWindow: r.restartOutsideMaintenanceWindow,
      contentOption: r.contentOption,
      preDownload: r.preDownload,
      useRemoteDp: r.useRemoteDp,
      useDefaultBoundaryGroup: r.useDefaultBoundaryGroup,
      comments: r.comments,
      highRiskReasons: risk.reasons,
    };
    const id = await nextSiteId(tx, site.siteCode, 'deployment');
    await tx.query(
      `INSERT INTO deployments (deployment_id, task_sequence_id, revision, collection_id, purpose, settings, collection_size, high_risk, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [id, ts.package_id, revision, collection.collection_id, r.purpose, JSON.stringify(settings), collection.member_count, risk.highRisk, actor.name],
    );
    await audit(tx, actor, 'create', 'deployment', id, {
      taskSequenceId: ts.package_id,
      revision,
      collectionId: collection.collection_id,
      purpose: r.purpose,
      availability: r.availability,
      highRisk: risk.highRisk,
      collectionSize: collection.member_count,
    });
    if (risk.reasons.length) {
      // §4.5: the site logs an audit status message when the admin acknowledges the warning.
      await audit(tx, actor, 'high-risk deployment acknowledged', 'deployment', id, {
        reasons: risk.reasons,
        collectionId: collection.collection_id,
        collectionSize: collection.member_count,
      });
    }
    return { deployment: await getDeployment(tx, id), warnings };
  });
}

export async function setDeploymentEnabled(site: Site, actor: Actor, id: string, enabled: boolean): Promise<DeploymentInfo> {
  return site.db.transaction(async (tx) => {
    const before = await getDeployment(tx, id);
    if (before.enabled !== enabled) {
      await tx.query('UPDATE deployments SET enabled = $2 WHERE deployment_id = $1', [before.id, enabled]);
      await audit(tx, actor, enabled ? 'enable' : 'disable', 'deployment', before.id, {});
    }
    return getDeployment(tx, before.id);
  });
}

export async function deleteDeployment(site: Site, actor: Actor, id: string): Promise<DeploymentInfo> {
  return site.db.transaction(async (tx) => {
    const before = await getDeployment(tx, id);
    await tx.query('DELETE FROM deployments WHERE deployment_id = $1', [before.id]);
    await audit(tx, actor, 'delete', 'deployment', before.id, { taskSequenceId: before.taskSequenceId, collectionId: before.collectionId });
    return before;
  });
}
