/**
 * Packages of every type (osd-features §2.1): the common model (name, version, source path, source
 * version, priority, data access …), listing, editing, deleting. Type-specific services (OS images,
 * boot images, driver packages, applications, software updates) create their rows through
 * `insertPackage` and keep their own fields in `properties` (package-types.ts).
 *
 * Content follows ConfigMgr's package source model: a `sourcePath` the site server reads (a file or
 * a folder; "Update Distribution Points" re-reads it), or a `contentId` already uploaded.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { objectName } from '../name-schema.js';
import { audit } from '../audit.js';
import type { Queryable } from '../db/database.js';
import { checkSourceAllowed, addContent, getContent } from '../content/library.js';
import type { ContentManifest } from '../content/store.js';
import { badInput, conflict, inUse, notFound } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import { nextSiteId } from '../ids.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import { describeUses, taskSequencesUsing } from './in-use.js';
import { architectureSchema, PACKAGE_TYPE, PACKAGE_TYPE_NAMES, programSchema, type Program } from './package-types.js';

export const prioritySchema = z.enum(['high', 'medium', 'low']);
export type Priority = z.infer<typeof prioritySchema>;

/** Where content comes from: exactly one of the two. */
export const contentSourceSchema = z.object({
  /** A file or folder the site server reads (absolute path on the server). */
  sourcePath: z.string().min(1).optional(),
  /** Content already in the library (POST /content uploads). */
  contentId: z.string().min(1).optional(),
});
export type ContentSource = z.infer<typeof contentSourceSchema>;

/** General, Data Source and Data Access / Distribution Settings fields every package has (§2.1). */
export const packageGeneralSchema = z.object({
  name: objectName(256),
  version: z.string().max(64),
  description: z.string().max(512),
  language: z.string().max(64),
  manufacturer: z.string().max(128),
  priority: prioritySchema,
  /** Data Access: "Copy the content in this package to a package share on distribution points". */
  copyToShare: z.boolean(),
  /** Data Source: "Persist content in the client cache". */
  persistInCache: z.boolean(),
});
export type PackageGeneral = z.infer<typeof packageGeneralSchema>;

/** An edit: any general field, plus the type-specific ones that apply to the package's type. */
export const packagePatchSchema = packageGeneralSchema.partial().extend({
  /** Pre-cache architecture (§4.4): OS images, OS upgrade packages, packages. */
  architecture: z.union([architectureSchema, z.literal('')]).optional(),
  /** Programs (§2.9): packages (type 0) that are not built in. */
  programs: z.array(programSchema).optional(),
  /** Model (§2.6, pre-cache): driver packages. */
  model: z.string().max(128).optional(),
});
export type PackagePatch = z.infer<typeof packagePatchSchema>;

export interface PackageView {
  packageId: string;
  packageType: number;
  typeName: string;
  name: string;
  version: string;
  description: string;
  language: string;
  manufacturer: string;
  sourcePath: string;
  sourceVersion: number;
  sourceDate: string;
  contentId: string | null;
  contentSize: number | null;
  contentFileCount: number | null;
  priority: string;
  copyToShare: boolean;
  persistInCache: boolean;
  builtIn: boolean;
  properties: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

interface PackageRow {
  package_id: string;
  package_type: number;
  name: string;
  version: string;
  description: string;
  language: string;
  manufacturer: string;
  source_path: string;
  source_version: number;
  source_date: Date;
  content_id: string | null;
  content_size: number | null;
  content_file_count: number | null;
  priority: string;
  copy_to_share: boolean;
  persist_in_cache: boolean;
  built_in: boolean;
  properties: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const SELECT = `SELECT p.*, c.size AS content_size, c.file_count AS content_file_count FROM packages p LEFT JOIN content c ON c.id = p.content_id`;

function toView(r: PackageRow): PackageView {
  return {
    packageId: r.package_id,
    packageType: r.package_type,
    typeName: PACKAGE_TYPE_NAMES[r.package_type] ?? `type ${r.package_type}`,
    name: r.name,
    version: r.version,
    description: r.description,
    language: r.language,
    manufacturer: r.manufacturer,
    sourcePath: r.source_path,
    sourceVersion: r.source_version,
    sourceDate: r.source_date.toISOString(),
    contentId: r.content_id,
    contentSize: r.content_size === null ? null : Number(r.content_size),
    contentFileCount: r.content_file_count,
    priority: r.priority,
    copyToShare: r.copy_to_share,
    persistInCache: r.persist_in_cache,
    builtIn: r.built_in,
    properties: r.properties,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/** A package by PackageID (case-insensitive); `type` narrows it (a boot image id given for an OS image is "not found"). */
export async function getPackage(db: Queryable, packageId: string, type?: number): Promise<PackageView> {
  const { rows } = await db.query<PackageRow>(`${SELECT} WHERE p.package_id = upper($1)`, [packageId]);
  const r = rows[0];
  const kind = type === undefined ? 'package' : (PACKAGE_TYPE_NAMES[type] ?? 'package');
  if (!r || (type !== undefined && r.package_type !== type))
    throw notFound(kind, packageId, `list the packages to find the ${kind}'s id`, nextSteps('list-packages'));
  return toView(r);
}

export async function listPackages(db: Queryable, filter: { type?: number } = {}): Promise<PackageView[]> {
  const { rows } = await db.query<PackageRow>(
    `${SELECT} ${filter.type === undefined ? '' : 'WHERE p.package_type = $1'} ORDER BY p.package_id`,
    filter.type === undefined ? [] : [filter.type],
  );
  return rows.map(toView);
}

/** Refuses anything but an absolute path to an existing file or folder, naming `field`. */
export async function checkSourcePath(path: string, field: string): Promise<{ isFile: boolean }> {
  if (!isAbsolute(path)) {
    throw badInput(
      field,
      `"${path}" is not an absolute path`,
      'the source path is read by the site server: give its full path on the server (the CLI resolves relative paths for you)',
    );
  }
  const s = await stat(path).catch(() => undefined);
  if (!s) throw badInput(field, `${path} does not exist on the site server`, 'check the path; the site server must be able to read it');
  if (!s.isFile() && !s.isDirectory()) throw badInput(field, `${path} is neither a file nor a folder`);
  return { isFile: s.isFile() };
}

/** Exactly one of sourcePath / contentId, named as `prefix.sourcePath` in errors. */
export function requireOneSource(source: ContentSource, prefix = 'body', optional = false): 'sourcePath' | 'contentId' | undefined {
  if (source.sourcePath !== undefined && source.contentId !== undefined) {
    throw badInput(
      `${prefix}.sourcePath`,
      'give either sourcePath or contentId, not both',
      'sourcePath: a file or folder the server reads; contentId: content already uploaded',
    );
  }
  if (source.sourcePath !== undefined) return 'sourcePath';
  if (source.contentId !== undefined) return 'contentId';
  if (optional) return undefined;
  throw badInput(`${prefix}.sourcePath`, 'the content source is missing', 'give sourcePath (a file or folder on the server) or contentId (uploaded content)');
}

export interface ResolvedContent {
  contentId: string;
  sourcePath: string;
  manifest?: ContentManifest;
}

/**
 * Brings the content in: imports `sourcePath` into the library (recording its content row), or
 * checks that `contentId` exists. Done before the caller's transaction: blobs and content rows that
 * end up unreferenced are the content garbage collector's to remove.
 */
export async function resolveContent(site: Site, source: ContentSource, prefix = 'body'): Promise<ResolvedContent> {
  const which = requireOneSource(source, prefix);
  if (which === 'sourcePath') {
    await checkSourceAllowed(site, source.sourcePath!, `${prefix}.sourcePath`);
    await checkSourcePath(source.sourcePath!, `${prefix}.sourcePath`);
    const manifest = await addContent(site, source.sourcePath!, {}, `${prefix}.sourcePath`);
    return { contentId: manifest.sha256, sourcePath: source.sourcePath!, manifest };
  }
  try {
    await getContent(site.db, source.contentId!);
  } catch {
    throw badInput(
      `${prefix}.contentId`,
      `no content has the id ${source.contentId}`,
      'upload the content first, or give a source path the site can read',
      nextSteps('upload-content'),
    );
  }
  return { contentId: source.contentId!, sourcePath: '' };
}

export interface NewPackage {
  packageType: number;
  name: string;
  version?: string;
  description?: string;
  language?: string;
  manufacturer?: string;
  sourcePath?: string;
  contentId?: string | null;
  priority?: Priority;
  copyToShare?: boolean;
  persistInCache?: boolean;
  properties?: Record<string, unknown>;
}

/** Inserts a package row with a new PackageID (inside the caller's transaction); returns the id. */
export async function insertPackage(tx: Queryable, siteCode: string, p: NewPackage): Promise<string> {
  const id = await nextSiteId(tx, siteCode, 'package');
  await tx.query(
    `INSERT INTO packages (package_id, package_type, name, version, description, language, manufacturer, source_path, content_id,
                           priority, copy_to_share, persist_in_cache, properties)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      id,
      p.packageType,
      p.name,
      p.version ?? '',
      p.description ?? '',
      p.language ?? '',
      p.manufacturer ?? '',
      p.sourcePath ?? '',
      p.contentId ?? null,
      p.priority ?? 'medium',
      p.copyToShare ?? false,
      p.persistInCache ?? false,
      JSON.stringify(p.properties ?? {}),
    ],
  );
  return id;
}

/**
 * Points a package at new content inside a transaction: when the content differs, a new source
 * version and source date (§2.1: SourceVersion is the content version distribution points follow).
 * Returns whether it changed.
 */
export async function setContentInTx(
  tx: Queryable,
  packageId: string,
  contentId: string | null,
  extra: { sourcePath?: string; properties?: Record<string, unknown> } = {},
): Promise<boolean> {
  const { rows } = await tx.query<{ content_id: string | null }>('SELECT content_id FROM packages WHERE package_id = $1 FOR UPDATE', [packageId]);
  if (!rows.length) throw notFound('package', packageId, 'list the packages to find its id', nextSteps('list-packages'));
  const changed = rows[0]!.content_id !== contentId;
  await tx.query(
    `UPDATE packages SET
        source_version = source_version + $2::integer,
        source_date = CASE WHEN $2::integer = 1 THEN now() ELSE source_date END,
        source_path = COALESCE($4, source_path),
        properties = COALESCE($5::jsonb, properties),
        content_id = $3,
        updated_at = now()
      WHERE package_id = $1`,
    [packageId, changed ? 1 : 0, contentId, extra.sourcePath ?? null, extra.properties ? JSON.stringify(extra.properties) : null],
  );
  return changed;
}

/** Create a plain package (type 0, §2.9), with or without content. */
export const createPackageSchema = packageGeneralSchema.partial().extend({
  name: objectName(256),
  sourcePath: z.string().min(1).optional(),
  contentId: z.string().min(1).optional(),
  architecture: z.union([architectureSchema, z.literal('')]).optional(),
  programs: z.array(programSchema).optional(),
});
export type CreatePackageInput = z.infer<typeof createPackageSchema>;

export async function createPackage(site: Site, actor: Actor, input: CreatePackageInput): Promise<PackageView> {
  checkPrograms(input.programs ?? [], 'body.programs');
  const which = requireOneSource(input, 'body', true);
  const content = which ? await resolveContent(site, input) : undefined;
  const id = await site.db.transaction(async (tx) => {
    const packageId = await insertPackage(tx, site.siteCode, {
      ...input,
      packageType: PACKAGE_TYPE.package,
      sourcePath: content?.sourcePath,
      contentId: content?.contentId ?? null,
      properties: { architecture: input.architecture ?? '', language: input.language ?? '', programs: input.programs ?? [] },
    });
    await audit(tx, actor, 'create', 'package', packageId, { name: input.name, contentId: content?.contentId ?? null, sourcePath: content?.sourcePath ?? '' });
    return packageId;
  });
  return getPackage(site.db, id);
}

function checkPrograms(programs: Program[], field: string): void {
  const seen = new Set<string>();
  programs.forEach((p, i) => {
    const key = p.name.toLowerCase();
    if (seen.has(key))
      throw badInput(
        `${field}[${i}].name`,
        `a second program is named "${p.name}"`,
        'program names are unique within a package (a task sequence names PackageID:Program Name)',
      );
    seen.add(key);
  });
}

const COLUMN: Record<keyof PackageGeneral, string> = {
  name: 'name',
  version: 'version',
  description: 'description',
  language: 'language',
  manufacturer: 'manufacturer',
  priority: 'priority',
  copyToShare: 'copy_to_share',
  persistInCache: 'persist_in_cache',
};

/** Types whose Data Source tab has Architecture / Language for pre-cache (§2.3, §2.4, §4.4). */
const PRE_CACHE_TYPES: readonly number[] = [PACKAGE_TYPE.osImage, PACKAGE_TYPE.osUpgradePackage, PACKAGE_TYPE.package];

/** Edit a package's properties; type-specific fields are refused on types that do not have them. */
export async function updatePackage(site: Site, actor: Actor, packageId: string, patch: PackagePatch): Promise<PackageView> {
  const current = await getPackage(site.db, packageId);
  const type = current.packageType;
  if (patch.architecture !== undefined && !PRE_CACHE_TYPES.includes(type)) {
    throw badInput(
      'body.architecture',
      `a ${current.typeName} has no pre-cache architecture`,
      'architecture is set on OS images, OS upgrade packages and packages',
    );
  }
  if (patch.programs !== undefined) {
    if (type !== PACKAGE_TYPE.package) throw badInput('body.programs', `a ${current.typeName} has no programs`, 'programs belong to packages (type 0)');
    if (current.builtIn) throw badInput('body.programs', `${current.name} is built in and has no programs`);
    checkPrograms(patch.programs, 'body.programs');
  }
  if (patch.model !== undefined && type !== PACKAGE_TYPE.driverPackage) {
    throw badInput('body.model', `a ${current.typeName} has no model`, 'model is set on driver packages');
  }
  if (current.builtIn && patch.name !== undefined && patch.name !== current.name) {
    throw badInput('body.name', `${current.name} is built in; its name cannot change`);
  }
  const sets: string[] = [];
  const params: unknown[] = [current.packageId];
  for (const [key, column] of Object.entries(COLUMN) as Array<[keyof PackageGeneral, string]>) {
    if (patch[key] !== undefined) sets.push(`${column} = $${params.push(patch[key])}`);
  }
  const properties = { ...current.properties };
  if (patch.architecture !== undefined) properties.architecture = patch.architecture;
  // One Language per package: the General tab's value is also the pre-cache language (§4.4).
  if (patch.language !== undefined && PRE_CACHE_TYPES.includes(type)) properties.language = patch.language;
  if (patch.programs !== undefined) properties.programs = patch.programs;
  if (patch.model !== undefined) properties.model = patch.model;
  sets.push(`properties = $${params.push(JSON.stringify(properties))}`, 'updated_at = now()');
  await site.db.transaction(async (tx) => {
    await tx.query(`UPDATE packages SET ${sets.join(', ')} WHERE package_id = $1`, params);
    await audit(tx, actor, 'update', 'package', current.packageId, {
      changed: Object.keys(patch).filter((k) => (patch as Record<string, unknown>)[k] !== undefined),
    });
  });
  return getPackage(site.db, current.packageId);
}

/**
 * Delete a package. Refused for the built-in client and USMT packages, for a package a task
 * sequence uses (current revision or a deployed revision), and for an application's content
 * (delete the application). The content's blobs stay: content garbage collection removes them.
 */
export async function deletePackage(site: Site, actor: Actor, packageId: string): Promise<PackageView> {
  const current = await getPackage(site.db, packageId);
  if (current.builtIn) {
    throw badInput(
      `params.packageId`,
      `${current.packageId} (${current.name}) is built in and cannot be deleted`,
      "set the package's content instead",
      nextSteps({ step: 'set-package-content', ids: { packageId: current.packageId } }),
    );
  }
  return site.db.transaction(async (tx) => {
    await tx.query('SELECT package_id FROM packages WHERE package_id = $1 FOR UPDATE', [current.packageId]);
    const uses = await taskSequencesUsing(tx, current.packageId, 'package');
    if (uses.length) {
      throw inUse(
        current.packageId,
        `task sequences use this ${current.typeName}: ${describeUses(uses)}`,
        'remove it from those task sequences (and their deployments) first',
        {
          taskSequences: uses,
        },
      );
    }
    const apps = await tx.query<{ name: string; ci_id: number }>('SELECT name, ci_id FROM applications WHERE package_id = $1', [current.packageId]);
    if (apps.rows.length) {
      const app = apps.rows[0]!;
      throw conflict(
        current.packageId,
        `this is the content of the application "${app.name}"`,
        'delete the application instead',
        nextSteps({ step: 'delete-application', ids: { ciId: String(app.ci_id) } }),
      );
    }
    // Updates keep their metadata; they simply have no deployment package any more.
    await tx.query('UPDATE software_updates SET package_id = NULL WHERE package_id = $1', [current.packageId]);
    await tx.query('DELETE FROM packages WHERE package_id = $1', [current.packageId]);
    await audit(tx, actor, 'delete', 'package', current.packageId, { name: current.name, packageType: current.packageType, contentId: current.contentId });
    return current;
  });
}
