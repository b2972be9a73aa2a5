/**
 * The state migration point's settings (user-state.md §1.2, §2.5; osd-features §3.4): storage
 * folders in the order capture requests try them, each with a maximum number of clients (1–99,999)
 * and a minimum free space (1–99,999 MB or GB, or 1–100 %); the deletion policy (immediately after
 * the restore is released, or after N days or hours); restore-only mode. Active at once (ConfigMgr's
 * hour of site control replication is not reproduced [I]). One state migration point per site: the
 * `osd server` processes of the site share it (their storage folders must be the same paths on
 * each, e.g. a shared mount).
 */
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { isAbsolute, normalize, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { audit } from '../audit.js';
import type { Database, Queryable } from '../db/database.js';
import { badInput } from '../errors.js';
import type { Actor } from '../security/roles.js';
import { MAX_FOLDER_PATH, MAX_STORAGE_FOLDERS } from './limits.js';

export const SPACE_UNITS = ['MB', 'GB', 'Percent'] as const;
export type SpaceUnit = (typeof SPACE_UNITS)[number];

export const storageFolderSchema = z
  .object({
    path: z.string().min(1).max(MAX_FOLDER_PATH),
    maxClients: z.number().int().min(1).max(99_999),
    minFree: z.object({ value: z.number().int().min(1).max(99_999), unit: z.enum(SPACE_UNITS) }).strict(),
  })
  .strict();
export type StorageFolder = z.infer<typeof storageFolderSchema>;

export const deletionSchema = z.union([
  z.object({ mode: z.literal('immediate') }).strict(),
  z.object({ mode: z.literal('after'), value: z.number().int().min(1).max(99_999), unit: z.enum(['days', 'hours']) }).strict(),
]);
export type DeletionPolicy = z.infer<typeof deletionSchema>;

export const smpSettingsSchema = z
  .object({
    storageFolders: z.array(storageFolderSchema).max(MAX_STORAGE_FOLDERS),
    deletion: deletionSchema,
    restoreOnly: z.boolean(),
  })
  .strict();
export type SmpSettings = z.infer<typeof smpSettingsSchema>;

/** A change: what is given replaces what the site has; the rest stays. */
export const smpSettingsChangeSchema = smpSettingsSchema.partial().strict();
export type SmpSettingsChange = z.infer<typeof smpSettingsChangeSchema>;

export async function getSmpSettings(db: Queryable): Promise<SmpSettings> {
  const { rows } = await db.query<{ deletion_unit: 'immediate' | 'days' | 'hours'; deletion_value: number; restore_only: boolean }>(
    'SELECT deletion_unit, deletion_value, restore_only FROM smp_settings WHERE id = 1',
  );
  const { rows: folders } = await db.query<{ path: string; max_clients: number; min_free_value: number; min_free_unit: SpaceUnit }>(
    'SELECT path, max_clients, min_free_value, min_free_unit FROM smp_storage_folders ORDER BY position',
  );
  const r = rows[0] ?? { deletion_unit: 'days' as const, deletion_value: 1, restore_only: false };
  return {
    storageFolders: folders.map((f) => ({ path: f.path, maxClients: f.max_clients, minFree: { value: f.min_free_value, unit: f.min_free_unit } })),
    deletion: r.deletion_unit === 'immediate' ? { mode: 'immediate' } : { mode: 'after', value: r.deletion_value, unit: r.deletion_unit },
    restoreOnly: r.restore_only,
  };
}

/** Milliseconds a released restore (or an abandoned capture) is kept; 0 = deleted at once. */
export function retentionMs(d: DeletionPolicy): number {
  if (d.mode === 'immediate') return 0;
  return d.value * (d.unit === 'days' ? 24 : 1) * 3600 * 1000;
}

/** Paths a storage folder may never be: the system's own trees, the site's database and content. */
function checkFolderPath(path: string, at: string, dataDir: string): string {
  if (!isAbsolute(path))
    throw badInput(at, `${JSON.stringify(path)} is not an absolute path`, 'give the folder as an absolute path on the server, e.g. /srv/smpstore');
  if (path.includes('\0')) throw badInput(at, 'a path holds no NUL character');
  const p = resolve(normalize(path));
  if (p === sep) throw badInput(at, 'the root folder cannot be a storage folder', 'give a folder of its own, e.g. /srv/smpstore');
  for (const system of ['/proc', '/sys', '/dev', '/run', '/boot', '/etc']) {
    if (p === system || p.startsWith(`${system}/`)) throw badInput(at, `${p} is inside ${system}, which holds no user state`, 'give a folder on a data disk');
  }
  const data = resolve(dataDir);
  const inside = (root: string): boolean => {
    const rel = relative(root, p);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  };
  if (p === data || inside(resolve(data, 'db')) || inside(resolve(data, 'content')) || inside(resolve(data, 'dp')))
    throw badInput(at, `${p} is the site's data folder or its database or content`, `give a folder of its own, e.g. ${resolve(data, 'smpstore')}`);
  return p;
}

/**
 * Checks a whole settings value: folder paths absolute, distinct and not nested in one another,
 * creatable (made owner-only when new) and writable by the server.
 */
export async function checkSmpSettings(s: SmpSettings, dataDir: string): Promise<SmpSettings> {
  const paths: string[] = [];
  const folders: StorageFolder[] = [];
  for (const [i, f] of s.storageFolders.entries()) {
    const at = `body.storageFolders.${i}.path`;
    const p = checkFolderPath(f.path, at, dataDir);
    for (const [j, other] of paths.entries()) {
      const rel = relative(other, p);
      const rel2 = relative(p, other);
      if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel)) || (!rel2.startsWith('..') && !isAbsolute(rel2)))
        throw badInput(at, `${p} is the same as or nested with storage folder ${j + 1} (${other})`, 'give folders that do not contain one another');
    }
    if (f.minFree.unit === 'Percent' && f.minFree.value > 100)
      throw badInput(`body.storageFolders.${i}.minFree.value`, `a minimum free space in percent is 1–100, not ${f.minFree.value}`);
    try {
      await mkdir(p, { recursive: true, mode: 0o700 });
      if (!(await stat(p)).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
      await access(p, constants.W_OK | constants.X_OK);
    } catch (e) {
      throw badInput(
        at,
        `${p} cannot be used as a storage folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        'give a folder the server can create and write',
      );
    }
    paths.push(p);
    folders.push({ ...f, path: p });
  }
  return { ...s, storageFolders: folders };
}

export async function setSmpSettings(db: Database, actor: Actor, dataDir: string, change: SmpSettingsChange): Promise<SmpSettings> {
  const current = await getSmpSettings(db);
  const next = await checkSmpSettings({ ...current, ...change }, dataDir);
  return db.transaction(async (tx) => {
    await tx.query('UPDATE smp_settings SET deletion_unit = $1, deletion_value = $2, restore_only = $3, updated_at = now() WHERE id = 1', [
      next.deletion.mode === 'immediate' ? 'immediate' : next.deletion.unit,
      next.deletion.mode === 'immediate' ? 0 : next.deletion.value,
      next.restoreOnly,
    ]);
    await tx.query('DELETE FROM smp_storage_folders');
    for (const [i, f] of next.storageFolders.entries()) {
      await tx.query('INSERT INTO smp_storage_folders (position, path, max_clients, min_free_value, min_free_unit) VALUES ($1, $2, $3, $4, $5)', [
        i + 1,
        f.path,
        f.maxClients,
        f.minFree.value,
        f.minFree.unit,
      ]);
    }
    await audit(tx, actor, 'update', 'state-migration-point', 'settings', next as unknown as Record<string, unknown>);
    return next;
  });
}
