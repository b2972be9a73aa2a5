/**
 * The driver catalog (osd-features §2.6): imported drivers with what their INF declares, admin
 * categories, enabled flag, and driver packages. A JSON file; `inf` and `folder` are relative to the
 * file's folder. See docs/driver-catalog.md.
 */
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { InputError } from '../../sequence/input-error.js';
import { readInputText } from '../../sequence/read-input.js';
import { parseInfBytes, type InfInfo } from './inf.js';

export const DRIVER_CATALOG_SCHEMA = 'openosd.driver-catalog/v1';

const platform = z.enum(['x86', 'x64', 'arm64']);

/** Relative to the catalog's folder, forward or back slashes, never leaving it. */
const relativePath = z
  .string()
  .min(1)
  .refine((p) => !/^(?:[A-Za-z]:|[\\/])/.test(p) && !p.split(/[\\/]/).includes('..'), {
    message: 'must be a path relative to the catalog folder, without ".."',
  });

const driver = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a driver id is letters, digits, "_", "." or "-" (e.g. DRV00001)'),
    name: z.string().min(1),
    inf: relativePath,
    folder: relativePath,
    provider: z.string().optional(),
    class: z.string().optional(),
    version: z
      .string()
      .regex(/^\d+(\.\d+){0,3}$/, 'a driver version is w.x.y.z')
      .optional(),
    date: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'a driver date is yyyy-mm-dd')
      .optional(),
    hardwareIds: z.array(z.string().min(1)),
    compatibleIds: z.array(z.string().min(1)).default([]),
    platforms: z.array(platform).min(1, 'a driver supports at least one platform'),
    categories: z.array(z.string().min(1)).default([]),
    enabled: z.boolean().default(true),
  })
  .strict();

const driverPackage = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9]{3}[0-9A-Fa-f]{5}$/, 'a PackageID is a 3-character site code and 5 hex digits, e.g. PS100020'),
    name: z.string().min(1),
    drivers: z.array(z.string()),
  })
  .strict();

export const driverCatalogSchema = z
  .object({
    schema: z.literal(DRIVER_CATALOG_SCHEMA),
    drivers: z.array(driver),
    packages: z.array(driverPackage).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    const ids = new Set<string>();
    c.drivers.forEach((d, i) => {
      if (ids.has(d.id.toUpperCase())) ctx.addIssue({ code: 'custom', path: ['drivers', i, 'id'], message: `duplicate driver id ${d.id}` });
      ids.add(d.id.toUpperCase());
    });
    const packages = new Set<string>();
    c.packages.forEach((p, i) => {
      if (packages.has(p.id.toUpperCase())) ctx.addIssue({ code: 'custom', path: ['packages', i, 'id'], message: `duplicate package id ${p.id}` });
      packages.add(p.id.toUpperCase());
      p.drivers.forEach((d, j) => {
        if (!ids.has(d.toUpperCase()))
          ctx.addIssue({ code: 'custom', path: ['packages', i, 'drivers', j], message: `package ${p.id} names driver ${d}, which is not in the catalog` });
      });
    });
  });

export type DriverCatalog = z.infer<typeof driverCatalogSchema>;
export type Driver = DriverCatalog['drivers'][number];
export type DriverPackage = DriverCatalog['packages'][number];

export function parseDriverCatalog(text: string, input: string): DriverCatalog {
  let data: unknown;
  try {
    data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new InputError({ input, rule: `malformed JSON: ${(e as Error).message}` });
  }
  const parsed = driverCatalogSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 8).map((i) => `${issuePath(i.path, data)}: ${i.message}`);
    const more = parsed.error.issues.length > 8 ? `\n  … and ${parsed.error.issues.length - 8} more` : '';
    throw new InputError({ input, rule: `not a valid driver catalog:\n  ${issues.join('\n  ')}${more}`, hint: 'see docs/driver-catalog.md' });
  }
  return parsed.data;
}

/** `drivers[3] (DRV00004).platforms` — the driver's id helps find it in a long file. */
function issuePath(path: PropertyKey[], data: unknown): string {
  if (path.length === 0) return '(document)';
  let out = '';
  let node: unknown = data;
  for (const p of path) {
    if (typeof p === 'number') {
      out += `[${p}]`;
      node = Array.isArray(node) ? node[p] : undefined;
      const id = node && typeof node === 'object' ? (node as { id?: unknown }).id : undefined;
      if (typeof id === 'string') out += ` (${id})`;
    } else {
      out += out === '' ? String(p) : `.${String(p)}`;
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[String(p)] : undefined;
    }
  }
  return out;
}

/** Reads a catalog file; `root` is its folder, which `inf` and `folder` are relative to. */
export async function loadDriverCatalog(path: string): Promise<{ catalog: DriverCatalog; root: string }> {
  const catalog = parseDriverCatalog(readInputText(path, 'driver catalog'), path);
  return { catalog, root: dirname(resolve(path)) };
}

export function emptyDriverCatalog(): DriverCatalog {
  return { schema: DRIVER_CATALOG_SCHEMA, drivers: [], packages: [] };
}

/** The catalog as written to disk: two-space JSON, keys in the documented order. */
export function formatDriverCatalog(catalog: DriverCatalog): string {
  return `${JSON.stringify(driverCatalogSchema.parse(catalog), null, 2)}\n`;
}

/** Drivers whose INF file or folder is missing under `root` (e.g. content not copied). */
export function checkDriverFiles(catalog: DriverCatalog, root: string): Driver[] {
  const kind = (p: string): 'file' | 'dir' | undefined => {
    try {
      const s = statSync(join(root, ...p.split(/[\\/]/)));
      return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : undefined;
    } catch {
      return undefined;
    }
  };
  return catalog.drivers.filter((d) => kind(d.inf) !== 'file' || kind(d.folder) !== 'dir');
}

// ------------------------------------------------------------------ Import Driver wizard

export type DuplicateHandling = 'append-categories' | 'keep-categories' | 'overwrite-categories' | 'skip';

export interface ImportOptions {
  /** Admin categories given to every imported driver. */
  categories?: string[];
  /** "Enable these drivers and allow computers to install them" (default on). */
  enabled?: boolean;
  /** The catalog's folder, if not `folder` itself; `folder` must be inside it. */
  root?: string;
  /** Add to this catalog: ids continue after its highest `DRVnnnnn`, duplicates follow `duplicates`. */
  existing?: DriverCatalog;
  /** A driver already in `existing` (same INF path) [I]: the wizard's four choices; default append-categories (the wizard's default). */
  duplicates?: DuplicateHandling;
}

export interface ImportResult {
  catalog: DriverCatalog;
  /** New or updated entries, in file order. */
  imported: Driver[];
  /** INF files that were not imported, and why. */
  skipped: Array<{ inf: string; reason: string }>;
  /** Warnings from the INFs that were imported. */
  warnings: string[];
}

/**
 * Scans `folder` (recursively) for `.inf` files and builds catalog entries as the Import Driver wizard
 * does: provider, class, version and date, hardware IDs and platforms from the INF; the name of the
 * first supported device; ids `DRV00001`, `DRV00002`, … An INF that does not parse, or declares no
 * device for x86, x64 or arm64, is skipped with a reason.
 */
export async function importDriverFolder(folder: string, options: ImportOptions = {}): Promise<ImportResult> {
  const scanRoot = resolve(folder);
  const root = resolve(options.root ?? folder);
  const rel = relative(root, scanRoot);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new InputError({ input: folder, rule: `the folder is not inside the catalog folder ${root}` });
  try {
    if (!statSync(scanRoot).isDirectory()) throw new InputError({ input: folder, rule: 'is not a folder' });
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError({ input: folder, rule: 'driver folder not found' });
  }
  const infs = findInfFiles(scanRoot).map((file) => ({ path: relative(root, file).split(sep).join('/'), read: () => readFile(file) }));
  return importDriverInfs(infs, options);
}

/** One INF to import: its path relative to the catalog root ('/'-separated) and how to read it. */
export interface InfSource {
  path: string;
  read(): Promise<Uint8Array>;
}

/**
 * The Import Driver wizard over INF files from anywhere (a folder on disk, or content in the site's
 * library), in the given order.
 */
export async function importDriverInfs(infs: Iterable<InfSource>, options: Omit<ImportOptions, 'root'> = {}): Promise<ImportResult> {
  const catalog: DriverCatalog = options.existing ? structuredClone(options.existing) : emptyDriverCatalog();
  const duplicates = options.duplicates ?? 'append-categories';
  const categories = options.categories ?? [];
  let next =
    1 +
    Math.max(
      0,
      ...catalog.drivers
        .map((d) => /^DRV(\d+)$/i.exec(d.id))
        .filter((m) => m)
        .map((m) => Number(m![1])),
    );
  const result: ImportResult = { catalog, imported: [], skipped: [], warnings: [] };

  for (const inf of infs) {
    const infPath = inf.path;
    let info: InfInfo;
    try {
      info = parseInfBytes(await inf.read(), infPath);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      result.skipped.push({ inf: infPath, reason: e.message });
      continue;
    }
    if (info.models.length === 0) {
      result.skipped.push({ inf: infPath, reason: 'the INF declares no device for x86, x64 or arm64' });
      continue;
    }
    result.warnings.push(...info.warnings);
    const dir = infPath.includes('/') ? infPath.slice(0, infPath.lastIndexOf('/')) : '.';
    const entry: Driver = {
      id: '',
      name: info.models[0].description || infPath,
      inf: infPath,
      folder: dir,
      ...(info.provider ? { provider: info.provider } : {}),
      ...(info.class ? { class: info.class } : {}),
      ...(info.driverVer?.version ? { version: info.driverVer.version } : {}),
      ...(info.driverVer ? { date: info.driverVer.date } : {}),
      hardwareIds: info.hardwareIds,
      compatibleIds: info.compatibleIds,
      platforms: info.platforms,
      categories: [...categories],
      enabled: options.enabled ?? true,
    };
    const existing = catalog.drivers.find((d) => d.inf.toLowerCase() === infPath.toLowerCase());
    if (existing) {
      if (duplicates === 'skip') {
        result.skipped.push({ inf: infPath, reason: `already in the catalog as ${existing.id}` });
        continue;
      }
      const merged =
        duplicates === 'keep-categories'
          ? existing.categories
          : duplicates === 'overwrite-categories'
            ? entry.categories
            : unionIgnoreCase(existing.categories, entry.categories);
      Object.assign(existing, { ...entry, id: existing.id, enabled: existing.enabled, categories: merged });
      result.imported.push(existing);
      continue;
    }
    entry.id = `DRV${String(next++).padStart(5, '0')}`;
    catalog.drivers.push(entry);
    result.imported.push(entry);
  }
  return result;
}

/** Every `.inf` below `dir`, sorted so ids are stable; symbolic links are not followed. */
function findInfFiles(dir: string): string[] {
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0,
  );
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...findInfFiles(p));
    else if (e.isFile() && /\.inf$/i.test(e.name)) out.push(p);
  }
  return out;
}

function unionIgnoreCase(a: string[], b: string[]): string[] {
  const out = [...a];
  for (const x of b) if (!out.some((y) => y.toLowerCase() === x.toLowerCase())) out.push(x);
  return out;
}
