/**
 * Content is removed only when nothing references it (issue 6): a content row goes when no package
 * or driver uses it; a blob goes when no remaining content lists it. Young rows and blobs are kept
 * (an upload or import may be about to reference them), so collection never races a creation.
 */
import { stat } from 'node:fs/promises';
import type { Queryable } from '../db/database.js';
import { audit } from '../audit.js';
import { inUse, notFound } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';

const UNREFERENCED = `NOT EXISTS (SELECT 1 FROM packages p WHERE p.content_id = c.id)
  AND NOT EXISTS (SELECT 1 FROM drivers d WHERE d.content_id = c.id)`;

/** Who uses each content: packages and drivers, by id and name (one query for a whole list). */
export async function contentUsersOf(db: Queryable, contentIds: readonly string[]): Promise<Map<string, string[]>> {
  const { rows } = await db.query<{ content_id: string; who: string }>(
    `SELECT content_id, 'package ' || package_id || ' (' || name || ')' AS who FROM packages WHERE content_id = ANY($1)
     UNION ALL SELECT content_id, 'driver ' || ci_id || ' (' || name || ')' FROM drivers WHERE content_id = ANY($1)`,
    [contentIds],
  );
  const users = new Map(contentIds.map((id) => [id, [] as string[]]));
  for (const r of rows) users.get(r.content_id)?.push(r.who);
  return users;
}

export async function contentUsers(db: Queryable, contentId: string): Promise<string[]> {
  return (await contentUsersOf(db, [contentId])).get(contentId) ?? [];
}

export async function deleteContent(site: Site, actor: Actor, contentId: string): Promise<void> {
  await site.db.transaction(async (tx) => {
    const exists = await tx.query('SELECT 1 FROM content WHERE id = $1 FOR UPDATE', [contentId]);
    if (!exists.rows.length) throw notFound('content', contentId, 'list the content in the library to find its id', nextSteps('list-content'));
    const users = await contentUsers(tx, contentId);
    if (users.length) throw inUse(contentId, `the content is used by ${users.join(', ')}`, 'remove or change those first', { usedBy: users });
    await tx.query('DELETE FROM content WHERE id = $1', [contentId]);
    await audit(tx, actor, 'delete', 'content', contentId);
  });
}

export interface GarbageReport {
  contentRemoved: number;
  blobsRemoved: number;
  bytesFreed: number;
}

export async function collectGarbage(site: Site, actor: Actor, options: { minAgeMs?: number } = {}): Promise<GarbageReport> {
  const minAgeMs = options.minAgeMs ?? 60 * 60 * 1000;
  const removed = await site.db.transaction(async (tx) => {
    const r = await tx.query(`DELETE FROM content c WHERE ${UNREFERENCED} AND c.created_at < now() - ($1::bigint * interval '1 millisecond')`, [minAgeMs]);
    return r.rowCount;
  });
  const { rows } = await site.db.query<{ sha256: string }>(`SELECT DISTINCT f->>'sha256' AS sha256 FROM content, jsonb_array_elements(files) AS f`);
  const keep = new Set(rows.map((r) => r.sha256));
  const doomed: string[] = [];
  let bytes = 0;
  const cutoff = Date.now() - minAgeMs;
  for await (const hash of site.content.listBlobs()) {
    if (keep.has(hash)) continue;
    const s = await stat(site.content.blobPath(hash)).catch(() => undefined);
    if (!s || s.mtimeMs > cutoff) continue;
    doomed.push(hash);
    bytes += s.size;
  }
  const blobsRemoved = await site.content.remove(doomed);
  const report = { contentRemoved: removed, blobsRemoved, bytesFreed: bytes };
  if (removed || blobsRemoved) await audit(site.db, actor, 'garbage-collect', 'content', '*', { ...report });
  return report;
}
