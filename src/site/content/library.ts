/**
 * The content library as the site records it: a content row per distinct manifest (id = manifest
 * SHA-256), its blobs in the ContentStore. Adding content copies (and hashes) the files first and
 * records the row after, so a crash leaves at worst unreferenced blobs, never a row whose files
 * are missing. Services that create packages call addContent, then insert their package row
 * referencing the content id in their own transaction.
 */
import type { Queryable } from '../db/database.js';
import { notFound } from '../errors.js';
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

/** Copies a file or a folder (recursively) into the library and records it; returns its manifest. */
export async function addContent(site: Site, source: string, options: ImportOptions = {}): Promise<ContentManifest> {
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
