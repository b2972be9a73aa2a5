/**
 * The driver catalog (osd-features §2.6): the Import Driver wizard (a folder, recursively, or one
 * INF), driver properties (enabled, categories, applicability) and deletion. INFs are read with
 * src/actions/drivers (the same reader the lab's Auto Apply Drivers uses).
 *
 * Each driver's content is the folder holding its INF (with its sub-folders), added to the library.
 * Identity for duplicates: the content hash of that folder plus the INF's name, so the same driver
 * found again under another path is recognised; the wizard's four choices say what happens then.
 *
 * driver_hardware_ids holds every ID the driver supports (its models' hardware IDs and the
 * compatible IDs listed after them), lower-cased: the management point matches device IDs against
 * both. drivers.hardware_ids keeps the hardware IDs as the INF spells them.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { z } from 'zod';
import { objectName } from '../name-schema.js';
import { audit } from '../audit.js';
import type { Queryable } from '../db/database.js';
import { checkSourceAllowed, addContent, getContent, recordContent } from '../content/library.js';
import type { ContentFile, ContentManifest } from '../content/store.js';
import { makeManifest } from '../../transfer/hash.js';
import { InputError } from '../../sequence/input-error.js';
import { badInput, inUse, notFound } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import { importDriverInfs, parseInfBytes, type Driver, type ImportResult } from '../../actions/drivers/index.js';
import { addDriversInTx, recomposeDriverPackage } from './driver-packages.js';
import { driverPlatformSchema, PACKAGE_TYPE } from './package-types.js';
import { checkSourcePath, requireOneSource } from './packages.js';

export const duplicateHandlingSchema = z.enum(['append-categories', 'keep-categories', 'overwrite-categories', 'skip']);
const categoryName = objectName(128);

export const importDriversSchema = z.object({
  /** A folder (searched recursively) or one .inf file, on the site server (below a source root). */
  sourcePath: z.string().min(1).optional(),
  /** Or content already in the library (a folder uploaded by a client): every INF in it. */
  contentId: z.string().min(1).optional(),
  /** With contentId: only this INF (its path in the content), as when one .inf file is imported. */
  infPath: z.string().min(1).max(1024).optional(),
  categories: z.array(categoryName).default([]),
  /** "Enable these drivers and allow computers to install them" (default on). */
  enabled: z.boolean().default(true),
  duplicates: duplicateHandlingSchema.default('append-categories'),
  /** Driver packages to add the imported drivers to. */
  driverPackageIds: z.array(z.string().min(1)).default([]),
});
export type ImportDriversInput = z.input<typeof importDriversSchema>;

export const updateDriverSchema = z.object({
  name: objectName(256).optional(),
  description: z.string().max(512).optional(),
  enabled: z.boolean().optional(),
  /** Replaces the driver's categories. */
  categories: z.array(categoryName).optional(),
  /** Applicability: editable because INF data is unreliable (§2.6). */
  platforms: z.array(driverPlatformSchema).min(1, 'a driver applies to at least one platform').optional(),
});
export type UpdateDriverInput = z.infer<typeof updateDriverSchema>;

export interface DriverView {
  ciId: number;
  name: string;
  infFile: string;
  provider: string;
  class: string;
  version: string;
  date: string;
  signed: boolean;
  platforms: string[];
  hardwareIds: string[];
  categories: string[];
  enabled: boolean;
  contentId: string;
  description: string;
  driverPackages: string[];
  bootImages: string[];
  createdAt: string;
}

interface DriverRow {
  ci_id: number;
  name: string;
  inf_file: string;
  provider: string;
  class: string;
  version: string;
  driver_date: string;
  signed: boolean;
  platforms: string[];
  hardware_ids: string[];
  categories: string[];
  enabled: boolean;
  content_id: string;
  description: string;
  created_at: Date;
  driver_packages: string[] | null;
  boot_images: string[] | null;
}

const SELECT = `SELECT d.*,
  (SELECT array_agg(pd.package_id ORDER BY pd.package_id) FROM package_drivers pd JOIN packages p ON p.package_id = pd.package_id
    WHERE pd.ci_id = d.ci_id AND p.package_type = ${PACKAGE_TYPE.driverPackage}) AS driver_packages,
  (SELECT array_agg(pd.package_id ORDER BY pd.package_id) FROM package_drivers pd JOIN packages p ON p.package_id = pd.package_id
    WHERE pd.ci_id = d.ci_id AND p.package_type = ${PACKAGE_TYPE.bootImage}) AS boot_images
  FROM drivers d`;

function toView(r: DriverRow): DriverView {
  return {
    ciId: Number(r.ci_id),
    name: r.name,
    infFile: r.inf_file,
    provider: r.provider,
    class: r.class,
    version: r.version,
    date: r.driver_date,
    signed: r.signed,
    platforms: r.platforms,
    hardwareIds: r.hardware_ids,
    categories: r.categories,
    enabled: r.enabled,
    contentId: r.content_id,
    description: r.description,
    driverPackages: r.driver_packages ?? [],
    bootImages: r.boot_images ?? [],
    createdAt: r.created_at.toISOString(),
  };
}

export async function getDriver(db: Queryable, ciId: number): Promise<DriverView> {
  const { rows } = await db.query<DriverRow>(`${SELECT} WHERE d.ci_id = $1`, [ciId]);
  if (!rows[0]) throw notFound('driver', ciId, 'list the drivers in the catalog to find its id', nextSteps('list-drivers'));
  return toView(rows[0]);
}

export async function listDrivers(
  db: Queryable,
  filter: { category?: string; enabled?: boolean; hardwareId?: string; platform?: string } = {},
): Promise<DriverView[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.category !== undefined)
    where.push(`EXISTS (SELECT 1 FROM jsonb_array_elements_text(d.categories) c WHERE lower(c) = lower($${params.push(filter.category)}))`);
  if (filter.enabled !== undefined) where.push(`d.enabled = $${params.push(filter.enabled)}`);
  if (filter.hardwareId !== undefined)
    where.push(`EXISTS (SELECT 1 FROM driver_hardware_ids h WHERE h.ci_id = d.ci_id AND h.hardware_id = lower($${params.push(filter.hardwareId.trim())}))`);
  if (filter.platform !== undefined) where.push(`d.platforms ? $${params.push(filter.platform)}`);
  const { rows } = await db.query<DriverRow>(`${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.ci_id`, params);
  return rows.map(toView);
}

/** Category names as already spelled in the site (compared case-insensitively); new ones are created. */
export async function ensureCategories(tx: Queryable, names: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const raw of names) {
    const name = raw.trim();
    const { rows } = await tx.query<{ name: string }>('SELECT name FROM driver_categories WHERE lower(name) = lower($1)', [name]);
    const spelled = rows[0]?.name ?? name;
    if (!rows[0]) await tx.query('INSERT INTO driver_categories (name) VALUES ($1) ON CONFLICT DO NOTHING', [name]);
    if (!out.some((c) => c.toLowerCase() === spelled.toLowerCase())) out.push(spelled);
  }
  return out;
}

function union(a: string[], b: string[]): string[] {
  const out = [...a];
  for (const x of b) if (!out.some((y) => y.toLowerCase() === x.toLowerCase())) out.push(x);
  return out;
}

export interface ImportDriversResult {
  /** New drivers. */
  imported: DriverView[];
  /** Drivers already in the catalog, and what the duplicate choice did with them. */
  duplicates: Array<{ ciId: number; name: string; action: 'categories-appended' | 'categories-kept' | 'categories-overwritten' | 'skipped' }>;
  /** INFs not imported, and why. */
  skipped: Array<{ inf: string; reason: string }>;
  warnings: string[];
}

/** The largest INF file read (real ones are at most a few MiB). */
export const MAX_INF_BYTES = 16 * 1024 ** 2;

/**
 * Import Driver: the drivers' files come into the library first (a source path is confined and
 * bounded like any content import, or the client uploaded them), then the INFs are read from the
 * library, and everything is recorded in one transaction.
 */
export async function importDrivers(site: Site, actor: Actor, raw: ImportDriversInput): Promise<ImportDriversResult> {
  const input = importDriversSchema.parse(raw);
  const which = requireOneSource(input, 'body');
  for (const [i, id] of input.driverPackageIds.entries()) {
    const { rows } = await site.db.query<{ package_type: number }>('SELECT package_type FROM packages WHERE package_id = upper($1)', [id]);
    if (rows[0]?.package_type !== PACKAGE_TYPE.driverPackage)
      throw badInput(
        `body.driverPackageIds[${i}]`,
        `no driver package has the id ${id}`,
        'create the driver package first',
        nextSteps('create-driver-package'),
      );
  }

  let files: ContentFile[];
  let only: string | undefined;
  if (which === 'sourcePath') {
    const sourcePath = input.sourcePath!;
    await checkSourceAllowed(site, sourcePath, 'body.sourcePath');
    const { isFile } = await checkSourcePath(sourcePath, 'body.sourcePath');
    if (isFile && !/\.inf$/i.test(sourcePath)) {
      throw badInput('body.sourcePath', `${sourcePath} is not an .inf file`, 'give a folder of drivers (searched recursively) or one driver .inf file');
    }
    files = (await addContent(site, isFile ? dirname(sourcePath) : sourcePath, {}, 'body.sourcePath')).files;
    only = isFile ? basename(sourcePath).toLowerCase() : undefined;
  } else {
    files = (
      await getContent(site.db, input.contentId!).catch(() => {
        throw badInput(
          'body.contentId',
          `no content has the id ${input.contentId}`,
          'upload the driver folder first, then import its drivers from that content',
          nextSteps('upload-content', 'import-drivers'),
        );
      })
    ).files;
    if (input.infPath !== undefined) {
      if (!/\.inf$/i.test(input.infPath)) throw badInput('body.infPath', `${input.infPath} is not an .inf file`, 'name one driver .inf file of the content');
      only = input.infPath.toLowerCase();
    }
  }
  const infs = files
    .filter((f) => /\.inf$/i.test(f.path))
    .map((f) => ({
      path: f.path,
      read: async () => {
        if (f.size > MAX_INF_BYTES)
          throw new InputError({ input: f.path, rule: `the INF is ${f.size} bytes; INF files over ${MAX_INF_BYTES} bytes are not read` });
        return readFile(site.content.blobPath(f.sha256));
      },
    }));
  const scan: ImportResult = await importDriverInfs(infs);
  const found = scan.imported.filter((d) => only === undefined || d.inf.toLowerCase() === only);
  const skipped = scan.skipped.filter((s) => only === undefined || s.inf.toLowerCase() === only);
  const source = input.sourcePath ?? `content ${input.contentId}`;
  if (only !== undefined && found.length === 0 && skipped.length === 0)
    throw badInput(which === 'sourcePath' ? 'body.sourcePath' : 'body.infPath', `${only} could not be read as a driver INF in ${source}`);
  if (found.length === 0 && skipped.length === 0)
    throw badInput(
      which === 'sourcePath' ? 'body.sourcePath' : 'body.contentId',
      `${source} holds no .inf file`,
      "import the folder that holds the drivers' INF files",
    );

  // Each driver's content is the folder holding its INF (with its sub-folders): a part of what is
  // in the library already, recorded as a content of its own.
  const folders = new Map<string, ContentManifest>();
  const prepared: Array<{ entry: Driver; manifest: ContentManifest; infFile: string; signed: boolean }> = [];
  for (const entry of found) {
    let manifest = folders.get(entry.folder);
    if (!manifest) {
      const prefix = entry.folder === '.' ? '' : `${entry.folder}/`;
      manifest = makeManifest(files.filter((f) => f.path.startsWith(prefix)).map((f) => ({ ...f, path: f.path.slice(prefix.length) })));
      await recordContent(site.db, manifest);
      folders.set(entry.folder, manifest);
    }
    const inf = files.find((f) => f.path === entry.inf)!;
    const info = parseInfBytes(await readFile(site.content.blobPath(inf.sha256)), entry.inf);
    prepared.push({ entry, manifest, infFile: basename(entry.inf), signed: info.catalogFile !== undefined });
  }

  const result: ImportDriversResult = { imported: [], duplicates: [], skipped, warnings: scan.warnings };
  const importedIds: number[] = [];
  await site.db.transaction(async (tx) => {
    const categories = await ensureCategories(tx, input.categories);
    const toPackages: number[] = [];
    for (const p of prepared) {
      const { rows } = await tx.query<{ ci_id: number; name: string; categories: string[] }>(
        'SELECT ci_id, name, categories FROM drivers WHERE content_hash = $1 AND lower(inf_file) = lower($2) FOR UPDATE',
        [p.manifest.sha256, p.infFile],
      );
      const existing = rows[0];
      if (existing) {
        const ciId = Number(existing.ci_id);
        if (input.duplicates === 'skip') {
          result.duplicates.push({ ciId, name: existing.name, action: 'skipped' });
          continue;
        }
        const merged =
          input.duplicates === 'keep-categories'
            ? existing.categories
            : input.duplicates === 'overwrite-categories'
              ? categories
              : union(existing.categories, categories);
        await tx.query('UPDATE drivers SET categories = $2 WHERE ci_id = $1', [ciId, JSON.stringify(merged)]);
        const action =
          input.duplicates === 'keep-categories'
            ? 'categories-kept'
            : input.duplicates === 'overwrite-categories'
              ? 'categories-overwritten'
              : 'categories-appended';
        result.duplicates.push({ ciId, name: existing.name, action });
        toPackages.push(ciId);
        continue;
      }
      const e = p.entry;
      const { rows: inserted } = await tx.query<{ ci_id: number }>(
        `INSERT INTO drivers (name, inf_file, provider, class, version, driver_date, signed, platforms, hardware_ids, categories, enabled, content_id, content_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING ci_id`,
        [
          e.name,
          p.infFile,
          e.provider ?? '',
          e.class ?? '',
          e.version ?? '',
          e.date ?? '',
          p.signed,
          JSON.stringify(e.platforms),
          JSON.stringify(e.hardwareIds),
          JSON.stringify(categories),
          input.enabled,
          p.manifest.sha256,
        ],
      );
      const ciId = Number(inserted[0]!.ci_id);
      const ids = [...new Set([...e.hardwareIds, ...e.compatibleIds].map((h) => h.trim().toLowerCase()))];
      for (const h of ids) await tx.query('INSERT INTO driver_hardware_ids (ci_id, hardware_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [ciId, h]);
      importedIds.push(ciId);
      toPackages.push(ciId);
    }
    for (const id of input.driverPackageIds) {
      const packageId = id.toUpperCase();
      // Only enabled drivers go into driver packages (§2.6): drivers imported disabled are not added.
      const { rows: enabled } = await tx.query<{ ci_id: number }>(
        'SELECT ci_id FROM drivers WHERE enabled AND ci_id IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint) ORDER BY ci_id',
        [JSON.stringify(toPackages)],
      );
      await addDriversInTx(
        tx,
        packageId,
        enabled.map((r) => Number(r.ci_id)),
        'body.driverPackageIds',
      );
      await recomposeDriverPackage(tx, packageId);
    }
    await audit(tx, actor, 'import', 'driver', importedIds.length === 1 ? importedIds[0]! : 'catalog', {
      ...(input.sourcePath !== undefined ? { sourcePath: input.sourcePath } : { contentId: input.contentId }),
      imported: importedIds,
      duplicates: result.duplicates.map((d) => ({ ciId: d.ciId, action: d.action })),
      skipped: skipped.length,
      driverPackageIds: input.driverPackageIds,
    });
  });
  for (const id of importedIds) result.imported.push(await getDriver(site.db, id));
  return result;
}

export async function updateDriver(site: Site, actor: Actor, ciId: number, patch: UpdateDriverInput): Promise<DriverView> {
  await getDriver(site.db, ciId);
  await site.db.transaction(async (tx) => {
    const sets: string[] = [];
    const params: unknown[] = [ciId];
    if (patch.name !== undefined) sets.push(`name = $${params.push(patch.name)}`);
    if (patch.description !== undefined) sets.push(`description = $${params.push(patch.description)}`);
    // Disabling affects Auto Apply Drivers only, not driver packages that hold it (§2.6).
    if (patch.enabled !== undefined) sets.push(`enabled = $${params.push(patch.enabled)}`);
    if (patch.categories !== undefined) sets.push(`categories = $${params.push(JSON.stringify(await ensureCategories(tx, patch.categories)))}`);
    if (patch.platforms !== undefined) sets.push(`platforms = $${params.push(JSON.stringify([...new Set(patch.platforms)]))}`);
    if (sets.length) await tx.query(`UPDATE drivers SET ${sets.join(', ')} WHERE ci_id = $1`, params);
    await audit(tx, actor, 'update', 'driver', ciId, { changed: Object.keys(patch).filter((k) => (patch as Record<string, unknown>)[k] !== undefined) });
  });
  return getDriver(site.db, ciId);
}

/** Refused while a driver package or boot image holds the driver. Its content stays for the garbage collector. */
export async function deleteDriver(site: Site, actor: Actor, ciId: number): Promise<DriverView> {
  const d = await getDriver(site.db, ciId);
  return site.db.transaction(async (tx) => {
    const { rows } = await tx.query<{ package_id: string; name: string; package_type: number }>(
      'SELECT p.package_id, p.name, p.package_type FROM package_drivers pd JOIN packages p ON p.package_id = pd.package_id WHERE pd.ci_id = $1 ORDER BY 1',
      [ciId],
    );
    if (rows.length) {
      throw inUse(
        String(ciId),
        `the driver is in ${rows.map((r) => `${r.package_type === PACKAGE_TYPE.bootImage ? 'boot image' : 'driver package'} ${r.package_id} (${r.name})`).join(', ')}`,
        'remove it from those first',
        {
          packages: rows.map((r) => r.package_id),
        },
      );
    }
    await tx.query('DELETE FROM drivers WHERE ci_id = $1', [ciId]);
    await audit(tx, actor, 'delete', 'driver', ciId, { name: d.name, contentId: d.contentId });
    return d;
  });
}

export interface DriverCategoryView {
  name: string;
  driverCount: number;
}

export async function listDriverCategories(db: Queryable): Promise<DriverCategoryView[]> {
  const { rows } = await db.query<{ name: string; n: number }>(
    `SELECT c.name, (SELECT count(*) FROM drivers d WHERE EXISTS (SELECT 1 FROM jsonb_array_elements_text(d.categories) x WHERE lower(x) = lower(c.name)))::int AS n
       FROM driver_categories c ORDER BY lower(c.name)`,
  );
  return rows.map((r) => ({ name: r.name, driverCount: Number(r.n) }));
}

export async function createDriverCategory(site: Site, actor: Actor, name: string): Promise<DriverCategoryView> {
  const spelled = await site.db.transaction(async (tx) => {
    const [n] = await ensureCategories(tx, [name]);
    await audit(tx, actor, 'create', 'driver-category', n!, {});
    return n!;
  });
  return (await listDriverCategories(site.db)).find((c) => c.name === spelled)!;
}

/** Deletes a category and takes it off every driver. */
export async function deleteDriverCategory(site: Site, actor: Actor, name: string): Promise<DriverCategoryView> {
  const existing = (await listDriverCategories(site.db)).find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (!existing) throw notFound('driver category', name, 'list the driver categories to find its name', nextSteps('list-driver-categories'));
  await site.db.transaction(async (tx) => {
    await tx.query(
      `UPDATE drivers SET categories = COALESCE((SELECT jsonb_agg(x) FROM jsonb_array_elements_text(categories) x WHERE lower(x) <> lower($1)), '[]'::jsonb)
        WHERE EXISTS (SELECT 1 FROM jsonb_array_elements_text(categories) x WHERE lower(x) = lower($1))`,
      [existing.name],
    );
    await tx.query('DELETE FROM driver_categories WHERE name = $1', [existing.name]);
    await audit(tx, actor, 'delete', 'driver-category', existing.name, { drivers: existing.driverCount });
  });
  return existing;
}
