/**
 * Deploying a task sequence revision to a collection (osd-features §4.1–§4.5): the Deploy Software
 * Wizard's rules, checked before anything is written, then the deployment and its audit entries
 * in one transaction. List, get, update (the settings the wizard lets an admin change afterwards,
 * under the same rules), enable/disable, delete.
 *
 * A deployment either follows the task sequence's latest revision (as ConfigMgr's always do; the
 * default for a new one) or pins one revision (given explicitly). Either way `revision` is what
 * computers run: a save moves following deployments (task-sequences/current-revision.ts).
 */
import { audit } from '../audit.js';
import type { Queryable } from '../db/database.js';
import { badInput, notFound, SiteError } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import { inputProblemsError } from '../input-problems.js';
import { nextSiteId } from '../ids.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import { bodyToSequence, DEFAULT_PROPERTIES, readRevisionRow, readTaskSequenceRow, type TaskSequenceRow } from '../task-sequences/model.js';
import { isOsDeployment } from '../task-sequences/references.js';
import { revisionReferences } from '../task-sequences/revisions.js';
import { assessHighRisk } from './high-risk.js';
import {
  type DeploymentInput,
  type DeploymentRequest,
  deploymentInputSchema,
  type DeploymentSettings,
  type DeploymentUpdate,
  deploymentUpdateSchema,
  type Schedule,
} from './input.js';

export interface DeploymentInfo {
  id: string;
  taskSequenceId: string;
  taskSequenceName: string;
  /** The revision computers run: the current one while the deployment follows the latest. */
  revision: number;
  /** True: the deployment runs whatever revision is current (ConfigMgr's behaviour); false: `revision` is pinned. */
  followLatest: boolean;
  /** The task sequence's current revision (a pinned deployment may run an older one). */
  currentRevision: number;
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
  /** The last change of its settings or revision (null: never changed). */
  updatedAt: string | null;
}

export interface CreatedDeployment {
  deployment: DeploymentInfo;
  warnings: string[];
}

export type UpdatedDeployment = DeploymentInfo & { warnings: string[] };

interface DeploymentRow {
  deployment_id: string;
  task_sequence_id: string;
  ts_name: string;
  revision: number;
  follow_latest: boolean;
  current_revision: number;
  collection_id: string;
  collection_name: string;
  purpose: 'available' | 'required';
  settings: DeploymentSettings;
  collection_size: number;
  high_risk: boolean;
  enabled: boolean;
  created_by: string;
  created_at: Date;
  updated_at: Date | null;
}

const SELECT = `SELECT d.deployment_id, d.task_sequence_id, t.name AS ts_name, d.revision, d.follow_latest, t.current_revision, d.collection_id,
  c.name AS collection_name, d.purpose, d.settings, d.collection_size, d.high_risk, d.enabled, d.created_by, d.created_at, d.updated_at
  FROM deployments d JOIN task_sequences t ON t.package_id = d.task_sequence_id JOIN collections c ON c.collection_id = d.collection_id`;

function toInfo(r: DeploymentRow): DeploymentInfo {
  return {
    id: r.deployment_id,
    taskSequenceId: r.task_sequence_id,
    taskSequenceName: r.ts_name,
    revision: r.revision,
    followLatest: r.follow_latest,
    currentRevision: r.current_revision,
    collectionId: r.collection_id,
    collectionName: r.collection_name,
    purpose: r.purpose,
    settings: r.settings,
    collectionSize: r.collection_size,
    highRisk: r.high_risk,
    enabled: r.enabled,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at ? r.updated_at.toISOString() : null,
  };
}

export async function getDeployment(db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<DeploymentInfo> {
  const { rows } = await db.query<DeploymentRow>(`${SELECT} WHERE d.deployment_id = $1${options.forUpdate ? ' FOR UPDATE OF d' : ''}`, [id.toUpperCase()]);
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

/** What the scheduling and content rules read of a deployment: a new one's request, or an existing one with an update applied. */
type RuleInput = Pick<DeploymentRequest, 'purpose' | 'availability' | 'schedules' | 'availableAt' | 'expiresAt' | 'contentOption' | 'preDownload'>;

function checkSchedules(r: RuleInput): void {
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
  if (r.preDownload && r.purpose !== 'available') {
    throw badInput('body.preDownload', 'pre-download (pre-cache) applies only to Available deployments', 'make it Available, or leave preDownload off');
  }
}

interface ReferencedPackage {
  package_id: string;
  name: string;
  copy_to_share: boolean;
  package_type: number;
}

/** A revision's content, read for the rules: its referenced packages as the site has them. */
interface RevisionContent {
  revision: number;
  /** An OS deployment: a boot image or Apply Operating System (§4.5). */
  osd: boolean;
  /** It applies an image (the boot image alone does not wipe the disk). */
  appliesImage: boolean;
  packages: ReferencedPackage[];
}

/** §4.1: Deploy is greyed out while the task sequence has an invalid reference. */
async function revisionContent(tx: Queryable, ts: TaskSequenceRow, revision: number): Promise<RevisionContent> {
  const revRow = await readRevisionRow(tx, ts.package_id, revision);
  const sequence = bodyToSequence(revRow.body);
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
  return { revision, osd: isOsDeployment(sequence, ts.boot_image_id), appliesImage: isOsDeployment(sequence, null), packages: known.rows };
}

/** §4.1 (a task sequence without a boot image) and §4.3 (which deployment options exist). */
function checkContentOptions(ts: TaskSequenceRow, content: RevisionContent, r: RuleInput): void {
  if (!ts.boot_image_id && r.availability !== 'clients') {
    throw badInput(
      'body.availability',
      `task sequence ${ts.package_id} has no boot image, so it can be made available only to Configuration Manager clients`,
      'use availability "clients", or give the task sequence a boot image in its properties',
      nextSteps({ step: 'edit-task-sequence', ids: { id: ts.package_id } }),
    );
  }
  if (r.contentOption === 'download-all-first' && r.availability !== 'clients') {
    throw badInput(
      'body.contentOption',
      '"Download all content locally before starting task sequence" is offered only when the deployment is not made available to media and PXE',
      'use "download-when-needed", or make it available to clients only',
    );
  }
  if (r.contentOption === 'access-from-dp') {
    const noShare = content.packages.filter((p) => !p.copy_to_share);
    if (noShare.length) {
      throw badInput(
        'body.contentOption',
        `"Access content directly from a distribution point" needs every referenced package copied to a package share; these are not: ${noShare.map((p) => `${p.package_id} (${p.name})`).join(', ')}`,
        'tick "Copy the content in this package to a package share on distribution points" on each, or choose another option',
        { packages: noShare.map((p) => p.package_id) },
      );
    }
  }
}

/** What the admin should know about a deployment as it now stands (creation or update). */
async function deploymentWarnings(tx: Queryable, ts: TaskSequenceRow, content: RevisionContent, r: RuleInput, followLatest: boolean): Promise<string[]> {
  const warnings: string[] = [];
  if (content.appliesImage && r.preDownload && r.contentOption === 'download-when-needed') {
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
  if (!followLatest && content.revision !== ts.current_revision) {
    warnings.push(`revision ${content.revision} is deployed, not the current revision ${ts.current_revision}`);
  }
  const undistributed = await tx.query<{ package_id: string }>(
    `SELECT p.package_id FROM packages p WHERE p.package_id = ANY($1::text[]) AND NOT EXISTS
       (SELECT 1 FROM distribution_status s WHERE s.package_id = p.package_id AND s.state = 'success' AND s.source_version = p.source_version) ORDER BY 1`,
    [content.packages.map((p) => p.package_id)],
  );
  if (undistributed.rows.length) {
    warnings.push(
      `not on any distribution point yet: ${undistributed.rows.map((p) => p.package_id).join(', ')}; distribute the content before computers run the task sequence`,
    );
  }
  return warnings;
}

/** The revision a request names: a number pins it (it must exist), `latest` or nothing follows the current one. */
async function targetRevision(
  tx: Queryable,
  ts: TaskSequenceRow,
  revision: number | 'latest' | undefined,
): Promise<{ revision: number; followLatest: boolean }> {
  if (revision === undefined || revision === 'latest') return { revision: ts.current_revision, followLatest: true };
  const { rows } = await tx.query('SELECT 1 FROM task_sequence_revisions WHERE package_id = $1 AND revision = $2', [ts.package_id, revision]);
  if (!rows.length) {
    throw badInput(
      'body.revision',
      `task sequence ${ts.package_id} has no revision ${revision} (its current revision is ${ts.current_revision})`,
      'give one of its revisions, or "latest" to follow the current one',
      nextSteps({ step: 'list-task-sequence-revisions', ids: { id: ts.package_id } }),
    );
  }
  return { revision, followLatest: false };
}

export async function createDeployment(site: Site, actor: Actor, rawInput: DeploymentInput): Promise<CreatedDeployment> {
  const parsed = deploymentInputSchema.safeParse(rawInput);
  if (!parsed.success) throw inputProblemsError(parsed.error, 'body', { schema: deploymentInputSchema, value: rawInput });
  const r = parsed.data;
  checkSchedules(r);
  return site.db.transaction(async (tx) => {
    // Locked: a save moving the current revision waits, so a following deployment never starts behind it.
    const ts = await readTaskSequenceRow(tx, r.taskSequenceId, { forUpdate: true });
    const target = await targetRevision(tx, ts, r.revision);
    const content = await revisionContent(tx, ts, target.revision);
    const coll = await tx.query<{ collection_id: string; name: string; built_in: boolean; member_count: number }>(
      'SELECT collection_id, name, built_in, member_count FROM collections WHERE collection_id = $1',
      [r.collectionId.toUpperCase()],
    );
    const collection = coll.rows[0];
    if (!collection) throw notFound('collection', r.collectionId, 'list the collections to find its id', nextSteps('list-collections'));
    checkContentOptions(ts, content, r);

    const risk = await assessHighRisk(
      tx,
      { collectionId: collection.collection_id, name: collection.name, builtIn: collection.built_in, memberCount: collection.member_count },
      r.purpose === 'required' && content.osd,
    );
    if (risk.reasons.length && !r.confirmHighRisk) {
      throw new SiteError('high-risk-confirmation-required', {
        input: 'body.confirmHighRisk',
        rule: `this Required OS deployment to "${collection.name}" is high risk: ${risk.reasons.join('; ')}`,
        hint: 'check the collection, then deploy again acknowledging the high risk',
        details: { reasons: risk.reasons, collectionSize: collection.member_count, ...nextSteps('confirm-high-risk') },
      });
    }
    const warnings = await deploymentWarnings(tx, ts, content, r, target.followLatest);

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
      `INSERT INTO deployments (deployment_id, task_sequence_id, revision, follow_latest, collection_id, purpose, settings, collection_size, high_risk, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        id,
        ts.package_id,
        target.revision,
        target.followLatest,
        collection.collection_id,
        r.purpose,
        JSON.stringify(settings),
        collection.member_count,
        risk.highRisk,
        actor.name,
      ],
    );
    await audit(tx, actor, 'create', 'deployment', id, {
      taskSequenceId: ts.package_id,
      revision: target.revision,
      followLatest: target.followLatest,
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

/** The settings an update may change, in the order the wizard shows them. */
const UPDATABLE_SETTINGS = [
  'availableAt',
  'expiresAt',
  'schedules',
  'rerun',
  'showProgress',
  'softwareInstallOutsideMaintenanceWindow',
  'restartOutsideMaintenanceWindow',
  'contentOption',
  'preDownload',
  'useRemoteDp',
  'useDefaultBoundaryGroup',
  'comments',
] as const;

/**
 * Changes what the Deploy Software Wizard lets an admin change afterwards (its properties dialog):
 * schedules and availability times, rerun, user experience, content options, pre-download,
 * comments, enabled, and the revision it runs (a number pins it, "latest" follows the current one).
 * The same rules as creation (§4.1, §4.3, §4.4) hold for the deployment as it would be; a refused
 * update names the field and changes nothing. Purpose, availability, the task sequence and the
 * collection are the deployment's identity: to change them, deploy again. High risk (§4.5) is
 * assessed at creation only, as the membership it reads.
 */
export async function updateDeployment(site: Site, actor: Actor, id: string, rawInput: DeploymentUpdate): Promise<UpdatedDeployment> {
  const parsed = deploymentUpdateSchema.safeParse(rawInput);
  if (!parsed.success) throw inputProblemsError(parsed.error, 'body', { schema: deploymentUpdateSchema, value: rawInput });
  const u = parsed.data;
  if (!Object.keys(u).length) {
    throw badInput('body', 'names nothing to change', `give at least one of: revision, enabled, ${UPDATABLE_SETTINGS.join(', ')}`);
  }
  return site.db.transaction(async (tx) => {
    const before = await getDeployment(tx, id, { forUpdate: true });
    const ts = await readTaskSequenceRow(tx, before.taskSequenceId, { forUpdate: true });
    const settings: DeploymentSettings = { ...before.settings };
    const changes: Record<string, { before: unknown; after: unknown }> = {};
    for (const key of UPDATABLE_SETTINGS) {
      if (u[key] === undefined) continue;
      let value: unknown = u[key];
      if (key === 'availableAt' || key === 'expiresAt') value = value === null ? null : new Date(Date.parse(value as string)).toISOString();
      if (JSON.stringify(value) !== JSON.stringify(settings[key])) {
        changes[key] = { before: settings[key], after: value };
        (settings as unknown as Record<string, unknown>)[key] = value;
      }
    }
    const rules: RuleInput = { ...settings, purpose: before.purpose, expiresAt: settings.expiresAt ?? undefined };
    try {
      checkSchedules(rules);
    } catch (e) {
      // The expiry the admin did not touch, now before the availability time they moved: name what they changed.
      if (e instanceof SiteError && e.input === 'body.expiresAt' && changes.availableAt && !changes.expiresAt) {
        throw badInput(
          'body.availableAt',
          `the deployment would expire (${settings.expiresAt}) before it becomes available`,
          'give an earlier time, or move the expiry too',
        );
      }
      throw e;
    }

    const target = u.revision === undefined ? { revision: before.revision, followLatest: before.followLatest } : await targetRevision(tx, ts, u.revision);
    if (target.revision !== before.revision) changes.revision = { before: before.revision, after: target.revision };
    if (target.followLatest !== before.followLatest) changes.followLatest = { before: before.followLatest, after: target.followLatest };
    // The content rules read the site as it is now: checked when what they depend on changes, so
    // disabling a deployment or editing its comments is never refused for an unrelated reason.
    const content = await revisionContent(tx, ts, target.revision).catch((e: unknown) => {
      if (changes.revision) throw e;
      return undefined;
    });
    if (content && (changes.revision || changes.contentOption)) checkContentOptions(ts, content, rules);
    const enabled = u.enabled ?? before.enabled;
    if (enabled !== before.enabled) changes.enabled = { before: before.enabled, after: enabled };

    if (!Object.keys(changes).length) return { ...before, warnings: [] };
    await tx.query('UPDATE deployments SET settings = $2, revision = $3, follow_latest = $4, enabled = $5, updated_at = now() WHERE deployment_id = $1', [
      before.id,
      JSON.stringify(settings),
      target.revision,
      target.followLatest,
      enabled,
    ]);
    // Enabling or disabling alone keeps its own audit action, as before updates existed.
    const only = Object.keys(changes);
    const action = only.length === 1 && changes.enabled ? (enabled ? 'enable' : 'disable') : 'update';
    await audit(tx, actor, action, 'deployment', before.id, action === 'update' ? { changes } : {});
    const warnings = content ? await deploymentWarnings(tx, ts, content, rules, target.followLatest) : [];
    return { ...(await getDeployment(tx, before.id)), warnings };
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
