/**
 * Software updates (osd-features §2.8): metadata as a software update point would synchronise it
 * (imported here from JSON), optionally with a deployment package (PackageType 5) holding the
 * files, and deployments of updates to collections: Required (with a deadline) or Available. The
 * Install Software Updates step installs "Mandatory" (required with deadline) or "All".
 */
import { z } from 'zod';
import { objectName } from '../name-schema.js';
import { audit } from '../audit.js';
import type { Queryable } from '../db/database.js';
import { badInput, notFound } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import { nextSiteId } from '../ids.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import { PACKAGE_TYPE } from './package-types.js';
import { insertPackage, resolveContent } from './packages.js';

const guid = z
  .string()
  .regex(
    /^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$/,
    'an update id is a GUID, e.g. 8c3fcc84-7410-4a95-8b89-a166a0190486',
  );

export const UPDATE_ARCHITECTURES = ['x86', 'x64', 'arm64'] as const;

/**
 * What an update applies to (docs/software-updates.md "Applicability"), evaluated by the Install
 * Software Updates step against the installed OS when it runs: the OS's build number (the SOFTWARE
 * hive's CurrentBuildNumber) within [minOsBuild, maxOsBuild], its architecture among
 * `architectures` ([] = any); the update's `products` are matched too.
 */
export const applicabilitySchema = z
  .object({
    minOsBuild: z.number().int().nonnegative().optional(),
    maxOsBuild: z.number().int().nonnegative().optional(),
    architectures: z.array(z.enum(UPDATE_ARCHITECTURES)).default([]),
  })
  .strict();
export type UpdateApplicability = z.infer<typeof applicabilitySchema>;

/** A payload file: its name in the deployment package; size and SHA-256 taken from the package's content when it is imported with it. */
export const updateFileSchema = z
  .object({
    name: z.string().min(1).max(260),
    size: z.number().int().nonnegative().optional(),
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'a SHA-256 is 64 hexadecimal digits')
      .optional(),
  })
  .strict();
export interface UpdateFile {
  name: string;
  size: number;
  sha256: string;
}

export const softwareUpdateSchema = z
  .object({
    updateId: guid,
    articleId: z.string().max(32).default(''),
    bulletinId: z.string().max(32).default(''),
    title: objectName(512),
    classification: z.string().max(64).default(''),
    products: z.array(z.string().max(256)).default([]),
    severity: z.string().max(32).default(''),
    superseded: z.boolean().default(false),
    expired: z.boolean().default(false),
    applicability: applicabilitySchema.default({ architectures: [] }),
    /** Update ids of the updates this one supersedes (replaces): they are not installed where this one applies. */
    supersedes: z.array(guid).max(1000).default([]),
    files: z.array(updateFileSchema).max(100).default([]),
    /** Installing it asks for a restart (the step restarts the computer and runs again, as ConfigMgr does). */
    restartRequired: z.boolean().default(false),
  })
  .strict();
export type SoftwareUpdateInput = z.input<typeof softwareUpdateSchema>;

export const importSoftwareUpdatesSchema = z.object({
  updates: z.array(softwareUpdateSchema).min(1),
  /** A folder with the updates' files: becomes a software update deployment package. */
  sourcePath: z.string().min(1).optional(),
  contentId: z.string().min(1).optional(),
  packageName: objectName(256).optional(),
});
export type ImportSoftwareUpdatesInput = z.input<typeof importSoftwareUpdatesSchema>;

export interface SoftwareUpdateView {
  ciId: number;
  updateId: string;
  articleId: string;
  bulletinId: string;
  title: string;
  classification: string;
  products: string[];
  severity: string;
  superseded: boolean;
  expired: boolean;
  applicability: UpdateApplicability;
  supersedes: string[];
  files: UpdateFile[];
  restartRequired: boolean;
  packageId: string | null;
  createdAt: string;
}

interface UpdateRow {
  ci_id: number;
  update_id: string;
  article_id: string;
  bulletin_id: string;
  title: string;
  classification: string;
  products: string[];
  severity: string;
  superseded: boolean;
  expired: boolean;
  applicability: UpdateApplicability;
  supersedes: string[];
  files: UpdateFile[];
  restart_required: boolean;
  package_id: string | null;
  created_at: Date;
}

function toView(r: UpdateRow): SoftwareUpdateView {
  return {
    ciId: Number(r.ci_id),
    updateId: r.update_id,
    articleId: r.article_id,
    bulletinId: r.bulletin_id,
    title: r.title,
    classification: r.classification,
    products: r.products,
    severity: r.severity,
    superseded: r.superseded,
    expired: r.expired,
    applicability: { ...r.applicability, architectures: r.applicability.architectures ?? [] },
    supersedes: r.supersedes,
    files: r.files.map((f) => ({ name: f.name, size: Number(f.size), sha256: f.sha256 })),
    restartRequired: r.restart_required,
    packageId: r.package_id,
    createdAt: r.created_at.toISOString(),
  };
}

/** GUIDs are kept lower-case without braces, so the same update is recognised however it is spelled. */
export function normalUpdateId(id: string): string {
  return id.replace(/[{}]/g, '').toLowerCase();
}

export interface SoftwareUpdateFilter {
  classification?: string;
  product?: string;
  articleId?: string;
  superseded?: boolean;
  expired?: boolean;
  search?: string;
}

export async function listSoftwareUpdates(db: Queryable, f: SoftwareUpdateFilter = {}): Promise<SoftwareUpdateView[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.classification !== undefined) where.push(`lower(classification) = lower($${params.push(f.classification)})`);
  if (f.product !== undefined) where.push(`EXISTS (SELECT 1 FROM jsonb_array_elements_text(products) p WHERE lower(p) = lower($${params.push(f.product)}))`);
  if (f.articleId !== undefined)
    where.push(`lower(article_id) = lower($${params.push(f.articleId.replace(/^KB/i, ''))}) OR lower(article_id) = lower($${params.push(f.articleId)})`);
  if (f.superseded !== undefined) where.push(`superseded = $${params.push(f.superseded)}`);
  if (f.expired !== undefined) where.push(`expired = $${params.push(f.expired)}`);
  if (f.search !== undefined) where.push(`strpos(lower(title), lower($${params.push(f.search)})) > 0`);
  const { rows } = await db.query<UpdateRow>(
    `SELECT * FROM software_updates ${where.length ? `WHERE ${where.map((w) => `(${w})`).join(' AND ')}` : ''} ORDER BY ci_id`,
    params,
  );
  return rows.map(toView);
}

/** Imports (or refreshes, by update id) update metadata; with content, one deployment package for them all. */
export async function importSoftwareUpdates(
  site: Site,
  actor: Actor,
  raw: ImportSoftwareUpdatesInput,
): Promise<{ imported: number; updated: number; packageId: string | null; updates: SoftwareUpdateView[] }> {
  const input = importSoftwareUpdatesSchema.parse(raw);
  const seen = new Map<string, number>();
  input.updates.forEach((u, i) => {
    const id = normalUpdateId(u.updateId);
    if (seen.has(id)) throw badInput(`body.updates[${i}].updateId`, `the update ${id} is listed twice (also at updates[${seen.get(id)}])`);
    seen.set(id, i);
  });
  input.updates.forEach((u, i) => {
    const a = u.applicability;
    if (a.minOsBuild !== undefined && a.maxOsBuild !== undefined && a.minOsBuild > a.maxOsBuild)
      throw badInput(`body.updates[${i}].applicability.maxOsBuild`, `the build range ${a.minOsBuild}–${a.maxOsBuild} is empty`, 'give minOsBuild ≤ maxOsBuild');
    u.supersedes.forEach((id, j) => {
      if (normalUpdateId(id) === normalUpdateId(u.updateId)) throw badInput(`body.updates[${i}].supersedes[${j}]`, 'an update cannot supersede itself');
    });
    const names = new Set<string>();
    u.files.forEach((f, j) => {
      const key = f.name.replace(/\\/g, '/').toLowerCase();
      if (names.has(key)) throw badInput(`body.updates[${i}].files[${j}].name`, `the file ${f.name} is listed twice`);
      names.add(key);
    });
  });
  const content = input.sourcePath !== undefined || input.contentId !== undefined ? await resolveContent(site, input) : undefined;
  const contentFiles = content ? await contentFilesOf(site.db, content.contentId) : undefined;
  const files = input.updates.map((u, i) => resolveFiles(u.files, contentFiles, `body.updates[${i}].files`));
  let imported = 0;
  let updated = 0;
  const { packageId, ids } = await site.db.transaction(async (tx) => {
    const pkg = content
      ? await insertPackage(tx, site.siteCode, {
          packageType: PACKAGE_TYPE.softwareUpdatePackage,
          name: input.packageName ?? `Software updates ${new Date().toISOString().slice(0, 10)}`,
          sourcePath: content.sourcePath,
          contentId: content.contentId,
        })
      : null;
    const out: number[] = [];
    for (const [idx, u] of input.updates.entries()) {
      const { rows } = await tx.query<{ ci_id: number; inserted: boolean }>(
        `INSERT INTO software_updates (update_id, article_id, bulletin_id, title, classification, products, severity, superseded, expired, package_id,
           applicability, supersedes, files, restart_required)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (update_id) DO UPDATE SET article_id = EXCLUDED.article_id, bulletin_id = EXCLUDED.bulletin_id, title = EXCLUDED.title,
           classification = EXCLUDED.classification, products = EXCLUDED.products, severity = EXCLUDED.severity,
           superseded = EXCLUDED.superseded, expired = EXCLUDED.expired, package_id = COALESCE(EXCLUDED.package_id, software_updates.package_id),
           applicability = EXCLUDED.applicability, supersedes = EXCLUDED.supersedes, files = EXCLUDED.files, restart_required = EXCLUDED.restart_required
         RETURNING ci_id, (xmax = 0) AS inserted`,
        [
          normalUpdateId(u.updateId),
          u.articleId,
          u.bulletinId,
          u.title,
          u.classification,
          JSON.stringify(u.products),
          u.severity,
          u.superseded,
          u.expired,
          pkg,
          JSON.stringify(u.applicability),
          JSON.stringify(u.supersedes.map(normalUpdateId)),
          JSON.stringify(files[idx]),
          u.restartRequired,
        ],
      );
      if (rows[0]!.inserted) imported++;
      else updated++;
      out.push(Number(rows[0]!.ci_id));
    }
    await audit(tx, actor, 'import', 'software-update', pkg ?? 'metadata', { imported, updated, packageId: pkg });
    return { packageId: pkg, ids: out };
  });
  const all = await listSoftwareUpdates(site.db);
  return { imported, updated, packageId, updates: all.filter((u) => ids.includes(u.ciId)) };
}

async function contentFilesOf(db: Queryable, contentId: string): Promise<Map<string, { path: string; size: number; sha256: string }>> {
  const { rows } = await db.query<{ files: Array<{ path: string; size: number | string; sha256: string }> }>('SELECT files FROM content WHERE id = $1', [
    contentId,
  ]);
  const out = new Map<string, { path: string; size: number; sha256: string }>();
  for (const f of rows[0]?.files ?? []) out.set(f.path.toLowerCase(), { path: f.path, size: Number(f.size), sha256: f.sha256 });
  return out;
}

/**
 * An update's payload files with their size and SHA-256: from the deployment package imported with
 * it (a file the package lacks, or whose given hash or size differs, is refused), else as given
 * (then both are required: the step checks the payload against them).
 */
function resolveFiles(
  files: Array<{ name: string; size?: number; sha256?: string }>,
  content: Map<string, { path: string; size: number; sha256: string }> | undefined,
  at: string,
): UpdateFile[] {
  return files.map((f, j) => {
    const name = f.name.replace(/\\/g, '/').replace(/^\/+/, '');
    if (content) {
      const c = content.get(name.toLowerCase());
      if (!c)
        throw badInput(
          `${at}[${j}].name`,
          `the deployment package's content has no file ${f.name}`,
          `its files: ${[...content.values()]
            .map((v) => v.path)
            .slice(0, 10)
            .join(', ')}`,
        );
      if (f.sha256 !== undefined && f.sha256.toLowerCase() !== c.sha256)
        throw badInput(`${at}[${j}].sha256`, `${f.name} in the content has the SHA-256 ${c.sha256}, not ${f.sha256.toLowerCase()}`);
      if (f.size !== undefined && f.size !== c.size) throw badInput(`${at}[${j}].size`, `${f.name} in the content is ${c.size} bytes, not ${f.size}`);
      return { name: c.path, size: c.size, sha256: c.sha256 };
    }
    if (f.sha256 === undefined || f.size === undefined)
      throw badInput(
        `${at}[${j}]`,
        `${f.name}: without the update files (a deployment package imported with the metadata) its size and sha256 are required`,
        'import the files with the metadata, or give size and sha256',
      );
    return { name, size: f.size, sha256: f.sha256.toLowerCase() };
  });
}

// ------------------------------------------------------------------ deployments

export const createUpdateDeploymentSchema = z.object({
  name: objectName(256),
  collectionId: z.string().min(1),
  purpose: z.enum(['required', 'available']),
  updateIds: z.array(z.string().min(1)).min(1),
  availableAt: z.iso.datetime({ offset: true }).optional(),
  deadline: z.iso.datetime({ offset: true }).optional(),
  enabled: z.boolean().default(true),
});
export type CreateUpdateDeploymentInput = z.input<typeof createUpdateDeploymentSchema>;

export interface UpdateDeploymentView {
  deploymentId: string;
  name: string;
  collectionId: string;
  purpose: string;
  updateIds: string[];
  availableAt: string;
  deadline: string | null;
  enabled: boolean;
  createdBy: string;
  createdAt: string;
}

interface DeploymentRow {
  deployment_id: string;
  name: string;
  collection_id: string;
  purpose: string;
  update_ids: string[];
  available_at: Date;
  deadline: Date | null;
  enabled: boolean;
  created_by: string;
  created_at: Date;
}

function deploymentView(r: DeploymentRow): UpdateDeploymentView {
  return {
    deploymentId: r.deployment_id,
    name: r.name,
    collectionId: r.collection_id,
    purpose: r.purpose,
    updateIds: r.update_ids,
    availableAt: r.available_at.toISOString(),
    deadline: r.deadline ? r.deadline.toISOString() : null,
    enabled: r.enabled,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
  };
}

export async function listUpdateDeployments(db: Queryable, filter: { collectionId?: string } = {}): Promise<UpdateDeploymentView[]> {
  const { rows } = await db.query<DeploymentRow>(
    `SELECT * FROM software_update_deployments ${filter.collectionId ? 'WHERE collection_id = upper($1)' : ''} ORDER BY deployment_id`,
    filter.collectionId ? [filter.collectionId] : [],
  );
  return rows.map(deploymentView);
}

export async function getUpdateDeployment(db: Queryable, deploymentId: string): Promise<UpdateDeploymentView> {
  const { rows } = await db.query<DeploymentRow>('SELECT * FROM software_update_deployments WHERE deployment_id = upper($1)', [deploymentId]);
  if (!rows[0])
    throw notFound(
      'software update deployment',
      deploymentId,
      'list the software update deployments to find its id',
      nextSteps('list-software-update-deployments'),
    );
  return deploymentView(rows[0]);
}

/** Deploy updates to a collection: Required needs a deadline (§2.8), which cannot be before the available time. */
export async function createUpdateDeployment(site: Site, actor: Actor, raw: CreateUpdateDeploymentInput): Promise<UpdateDeploymentView> {
  const input = createUpdateDeploymentSchema.parse(raw);
  if (input.purpose === 'required' && !input.deadline) {
    throw badInput('body.deadline', 'a Required deployment needs a deadline', 'give deadline as an ISO date, or make the deployment Available');
  }
  if (input.purpose === 'available' && input.deadline) {
    throw badInput('body.deadline', 'an Available deployment has no deadline', 'drop the deadline, or make the deployment Required');
  }
  const availableAt = input.availableAt ? new Date(input.availableAt) : new Date();
  if (input.deadline && new Date(input.deadline) < availableAt) {
    throw badInput('body.deadline', `the deadline ${input.deadline} is before the available time ${availableAt.toISOString()}`);
  }
  const { rows: coll } = await site.db.query<{ collection_id: string }>('SELECT collection_id FROM collections WHERE collection_id = upper($1)', [
    input.collectionId,
  ]);
  if (!coll[0])
    throw badInput('body.collectionId', `no collection has the id ${input.collectionId}`, 'list the collections to find its id', nextSteps('list-collections'));
  const updateIds = input.updateIds.map(normalUpdateId);
  for (const [i, id] of updateIds.entries()) {
    const { rows } = await site.db.query<{ expired: boolean }>('SELECT expired FROM software_updates WHERE update_id = $1', [id]);
    if (!rows[0])
      throw badInput(
        `body.updateIds[${i}]`,
        `no software update has the id ${input.updateIds[i]}`,
        "import the update's metadata first",
        nextSteps('import-software-updates'),
      );
    if (rows[0].expired) throw badInput(`body.updateIds[${i}]`, `the update ${id} is expired and cannot be deployed`);
  }
  const id = await site.db.transaction(async (tx) => {
    const deploymentId = await nextSiteId(tx, site.siteCode, 'deployment');
    await tx.query(
      `INSERT INTO software_update_deployments (deployment_id, name, collection_id, purpose, update_ids, available_at, deadline, enabled, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        deploymentId,
        input.name,
        coll[0]!.collection_id,
        input.purpose,
        JSON.stringify([...new Set(updateIds)]),
        availableAt,
        input.deadline ? new Date(input.deadline) : null,
        input.enabled,
        actor.name,
      ],
    );
    await audit(tx, actor, 'create', 'software-update-deployment', deploymentId, {
      name: input.name,
      collectionId: coll[0]!.collection_id,
      purpose: input.purpose,
      updates: updateIds.length,
    });
    return deploymentId;
  });
  return getUpdateDeployment(site.db, id);
}

export async function deleteUpdateDeployment(site: Site, actor: Actor, deploymentId: string): Promise<UpdateDeploymentView> {
  const d = await getUpdateDeployment(site.db, deploymentId);
  await site.db.transaction(async (tx) => {
    await tx.query('DELETE FROM software_update_deployments WHERE deployment_id = $1', [d.deploymentId]);
    await audit(tx, actor, 'delete', 'software-update-deployment', d.deploymentId, { name: d.name, collectionId: d.collectionId });
  });
  return d;
}
