/**
 * The content library as the site records it: a content row per distinct manifest (id = manifest
 * SHA-256), its blobs in the ContentStore. Adding content copies (and hashes) the files first and
 * records the row after, so a crash leaves at worst unreferenced blobs, never a row whose files
 * are missing. Services that create packages call addContent, then insert their package row
 * referencing the content id in their own transaction.
 */
import type { Queryable } from '../db/database.js';
import { badInput, notFound, SiteError } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import { realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { ContentError } from './errors.js';
import type { Site } from '../site.js';
import { MAX_CONTENT_FILES, type ImportOptions } from './store.js';
import type { ContentFile, ContentManifest } from './store.js';
import { checkPathsCoexist, validateContentPath } from './content-path.js';
import { checkSha256, makeManifest } from '../../transfer/hash.js';

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

/** Parts of the file system that are never content, whatever the source roots say: the kernel's views and devices. */
export const NEVER_SOURCES = ['/proc', '/sys', '/dev'] as const;

/** What a source path may reach, with every folder resolved to its real path once per request. */
interface SourcePolicy {
  roots: string[];
  dataDir: string;
  defaultRoot: string;
  keyFile: string;
}

async function sourcePolicy(site: Site): Promise<SourcePolicy> {
  const real = (p: string): Promise<string> => realpath(p).catch(() => resolve(p));
  return {
    roots: await Promise.all(site.sourceRoots.map(real)),
    dataDir: await real(site.dataDir),
    defaultRoot: await real(defaultSourceRoot(site.dataDir)),
    keyFile: await real(site.secrets.keyFile),
  };
}

/** The source root of a site started without --source-root: `<data>/sources`. */
export function defaultSourceRoot(dataDir: string): string {
  return join(dataDir, 'sources');
}

/** Refuses a real (link-free) path the policy does not allow, naming `input`. */
function checkRealPath(policy: SourcePolicy, real: string, source: string, input: string): void {
  const refuse = (rule: string, hint: string, details?: Record<string, unknown>): never => {
    throw new SiteError('forbidden', { input, rule: `${source}${real !== source ? ` (${real})` : ''} ${rule}`, hint, details });
  };
  for (const never of NEVER_SOURCES) {
    if (inside(real, never)) refuse(`is under ${never}, which is never content`, 'give a regular file or folder of a package source share');
  }
  // The site's own data (database, key, tokens) is never content; the default source root is the
  // one folder inside it that is meant to be read.
  if (inside(policy.keyFile, real) || inside(policy.dataDir, real) || (inside(real, policy.dataDir) && !inside(real, policy.defaultRoot))) {
    refuse("is or holds the site's own data (database, key, tokens)", 'put package sources in a folder of their own');
  }
  if (!policy.roots.some((r) => inside(real, r))) {
    refuse(
      `is outside the folders this site adds content from (its source roots: ${policy.roots.join(', ')})`,
      "put it under one of the site's source roots, make its folder one, or upload the content instead",
      nextSteps('add-source-root', 'upload-content'),
    );
  }
}

/**
 * A source path is read with the server's rights, so it is confined (issue 10 §1): absolute, below
 * one of the site's source roots (`--source-root`, by default `<data>/sources`), never under
 * /proc, /sys or /dev, never the site's own data folder or key. Symbolic links are resolved before
 * the check, and every file is checked again by the path the kernel opened (ImportOptions.confine).
 */
export async function checkSourceAllowed(site: Site, source: string, input = 'sourcePath'): Promise<string> {
  await sourceConfinement(site, source, input);
  return source;
}

/** Checks `source` and returns the check to apply to each file as it is opened. */
async function sourceConfinement(site: Site, source: string, input: string): Promise<(realPath: string, file: string) => void> {
  if (!isAbsolute(source)) throw badInput(input, `"${source}" is not an absolute path`, 'give the full path of the file or folder on the site server');
  const policy = await sourcePolicy(site);
  let real: string;
  try {
    real = await realpath(source);
  } catch {
    // Missing (the import reports it, naming the path): the path as written must still be allowed.
    real = resolve(source);
  }
  checkRealPath(policy, real, source, input);
  return (realPath, file) => checkRealPath(policy, realPath, file, input);
}

/**
 * Copies a file or a folder (recursively) into the library's blobs, confined and bounded by the
 * site's import limit and the library's free space, without recording a content row: for callers
 * that check the files first (is it a WIM?) and record only what they accept. `input` names the
 * request field in errors.
 */
export async function importSource(site: Site, source: string, options: ImportOptions = {}, input = 'sourcePath'): Promise<ContentManifest> {
  const confine = await sourceConfinement(site, source, input);
  const maxBytes = Math.min(options.maxBytes ?? Infinity, site.maxImportBytes);
  try {
    return await site.content.importPath(source, { ...options, maxBytes, confine });
  } catch (e) {
    throw namedSourceError(e, input);
  }
}

/** Copies a file or a folder (recursively) into the library and records it; returns its manifest. */
export async function addContent(site: Site, source: string, options: ImportOptions = {}, input = 'sourcePath'): Promise<ContentManifest> {
  const manifest = await importSource(site, source, options, input);
  await recordContent(site.db, manifest);
  return manifest;
}

/** A content error about a file, re-addressed to the request field it came from (`body.sourcePath: /srv/x`). */
function namedSourceError(e: unknown, field: string): unknown {
  if (!(e instanceof ContentError) || e.input.startsWith(field)) return e;
  return new ContentError({ code: e.code, status: e.status, input: `${field}: ${e.input}`, rule: e.rule, hint: e.hint, details: e.details, cause: e });
}

/**
 * A content made of files already in the library (each uploaded with PUT /uploads): how a client
 * sends a folder the server cannot, or may not, read. Paths follow the content path rules; every
 * blob must be in the library.
 */
export async function composeContent(site: Site, files: ReadonlyArray<{ path: string; sha256: string }>, input = 'body.files'): Promise<ContentManifest> {
  if (files.length === 0) throw badInput(input, 'no file given', 'upload the files first, then name them here', nextSteps('upload-content'));
  if (files.length > MAX_CONTENT_FILES)
    throw badInput(input, `${files.length} files; one content may hold at most ${MAX_CONTENT_FILES}`, 'split it into several packages');
  const out: ContentFile[] = [];
  for (const [i, f] of files.entries()) {
    const path = validateContentPath(f.path, `${input}[${i}].path`);
    checkSha256(f.sha256, `${input}[${i}].sha256`);
    const size = await site.content.blobSize(f.sha256);
    if (size === undefined)
      throw badInput(`${input}[${i}].sha256`, `the library holds no file with this hash (${f.path})`, 'upload the file first', nextSteps('upload-content'));
    out.push({ path, size, sha256: f.sha256 });
  }
  checkPathsCoexist(
    out.map((f) => f.path),
    input,
  );
  const manifest = makeManifest(out);
  await recordContent(site.db, manifest);
  return manifest;
}

export async function getContent(db: Queryable, id: string): Promise<ContentRecord> {
  const { rows } = await db.query<{ id: string; size: number; file_count: number; files: ContentFile[]; created_at: Date }>(
    'SELECT id, size, file_count, files, created_at FROM content WHERE id = $1',
    [id],
  );
  const r = rows[0];
  if (!r) throw notFound('content', id, 'list the content in the library to find its id', nextSteps('list-content'));
  return { id: r.id, size: Number(r.size), fileCount: r.file_count, files: r.files, createdAt: r.created_at.toISOString() };
}

/** The library path of one file of a content (its blob), for reading it in place (e.g. a WIM). */
export async function contentFilePath(site: Site, contentId: string, path: string): Promise<string> {
  const content = await getContent(site.db, contentId);
  const f = content.files.find((x) => x.path.toLowerCase() === path.toLowerCase());
  if (!f) throw notFound(`file in content ${contentId}`, path, 'the content lists its files', nextSteps({ step: 'show-content', ids: { contentId } }));
  return site.content.blobPath(f.sha256);
}
