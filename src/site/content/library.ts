/**
 * The content library as the site records it: a content row per distinct manifest (id = manifest
 * SHA-256), its blobs in the ContentStore. Adding content copies (and hashes) the files first and
 * records the row after, so a crash leaves at worst unreferenced blobs, never a row whose files
 * are missing. Services that create packages call addContent, then insert their package row
 * referencing the content id in their own transaction.
 */
import type { Queryable } from '../db/database.js';
import { badInput, notFound, SiteError } from '../errors.js';
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Site } from '../site.js';
import type { ImportOptions } from './store.js';
import type { ContentFile, ContentManifest } from './store.js';

export interface ContentRecord {
  id: string;
  size: number;
  fileCount: number;
  files: ContentFile[];
  createdAt: string;
}

export async function recordContent(db: Queryable, manifest: ContentManifest): Promise<void> {
  await db.query('INSERT INTO content (id, size, file_count, files) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING', [
    manifest.sha256,
    manifest.size,
    manifest.files.length,
    JSON.stringify(manifest.files),
  ]);
}

function inside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * A source path is read with the server's rights, so it must not reach the site's own secrets:
 * not the data folder (database, key, tokens) nor a folder holding it, not the key file, and,
 * when the server was given --source-root folders, nothing outside them. Symbolic links are
 * resolved first, so a link cannot lead around the rule.
 */
export async function checkSourceAllowed(site: Site, source: string, input = 'sourcePath'): Promise<string> {
  if (!isAbsolute(source)) throw badInput(input, `"${source}" is not an absolute path`, 'give the full path of the file or folder on the site server');
  let real: string;
  try {
    real = await realpath(source);
  } catch {
    return source; // missing: the import reports it, naming the path
  }
  const guarded = [await realpath(site.dataDir).catch(() => resolve(site.dataDir)), await realpath(site.secrets.keyFile).catch(() => resolve(site.secrets.keyFile))];
  for (const g of guarded) {
    if (inside(real, g) || inside(g, real)) {
      throw new SiteError('forbidden', { input, rule: `${source} is or holds the site's own data (database, key, tokens)`, hint: 'put package sources in a folder of their own' });
    }
  }
  if (site.sourceRoots?.length) {
    const roots = await Promise.all(site.sourceRoots.map((r) => realpath(r).catch(() => r)));
    if (!roots.some((r) => inside(real, r))) {
      throw new SiteError('forbidden', { input, rule: `${source} is outside the folders this site adds content from`, hint: `use a path under ${roots.join(' or ')} (osd server --source-root)` });
    }
  }
  return source;
}

/** Copies a file or a folder (recursively) into the library and records it; returns its manifest. */
export async function addContent(site: Site, source: string, options: ImportOptions = {}): Promise<ContentManifest> {
  await checkSourceAllowed(site, source);
  const manifest = await site.content.importPath(source, options);
  await recordContent(site.db, manifest);
  return manifest;
}

export async function getContent(db: Queryable, id: string): Promise<ContentRecord> {
  const { rows } = await db.query<{ id: string; size: number; file_count: number; files: ContentFile[]; created_at: Date }>(
    'SELECT id, size, file_count, files, created_at FROM content WHERE id = $1',
    [id],
  );
  const r = rows[0];
  if (!r) throw notFound('content', id);
  return { id: r.id, size: Number(r.size), fileCount: r.file_count, files: r.files, createdAt: r.created_at.toISOString() };
}

/** The library path of one file of a content (its blob), for reading it in place (e.g. a WIM). */
export async function contentFilePath(site: Site, contentId: string, path: string): Promise<string> {
  const content = await getContent(site.db, contentId);
  const f = content.files.find((x) => x.path.toLowerCase() === path.toLowerCase());
  if (!f) throw notFound(`file in content ${contentId}`, path);
  return site.content.blobPath(f.sha256);
}
