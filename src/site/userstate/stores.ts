/**
 * User state stores on the state migration point (user-state.md §2.4, §2.5; docs/state-migration-point.md).
 *
 * A store is one computer's captured user state: a folder `<storage folder>/<store id>/USMT/` holding
 * `store.json`, `manifest.osdm` and `packs/NNNNNN.osdp` (§2.3), one database row with its life cycle
 *
 *   requested (capture) → capturing (first upload) → captured (released: read-only, restorable)
 *   captured → restoring (a restore request by a destination of a computer association)
 *   restoring → restored (released: retention starts) → deleted (immediately, or by the sweeper)
 *   requested | capturing → abandoned (released with failure, or 24 h without a release) → deleted
 *
 * and its data key (32 random bytes, created with the capture request) sealed with the site key.
 * The id is a random UUID [I] (limits.ts): the store format's storeId, unguessable, and the
 * folder's name. Every access — request, upload, download, release, recovery, deletion, and
 * every refusal of another computer — is in the audit log, never the key.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, statfs, stat } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import type { Readable } from 'node:stream';
import { audit } from '../audit.js';
import type { Queryable } from '../db/database.js';
import { insertAssociation, type UserAccountMode } from '../devices/associations.js';
import { badInput, conflict, notFound, SiteError } from '../errors.js';
import { deviceActor } from '../mp/device-actor.js';
import type { MpDevice } from '../mp/credentials.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import { MAX_LISTED_STORES, MAX_STORE_FILES, maxBytesOf, STALE_CAPTURE_MS, STORE_FILE_PATTERN, STORE_ID_PATTERN } from './limits.js';
import { getSmpSettings, retentionMs, type SpaceUnit, type StorageFolder } from './settings.js';

export const STORE_STATES = ['requested', 'capturing', 'captured', 'restoring', 'restored', 'abandoned', 'deleted'] as const;
export type StoreState = (typeof STORE_STATES)[number];

/** The clock and the disk's free space, injectable for tests (a fake clock for retention, a full disk). */
export interface SmpOptions {
  now?: () => Date;
  freeSpace?: (path: string) => Promise<{ free: number; total: number }>;
}

export interface StateStore {
  storeId: string;
  state: StoreState;
  sourceResourceId: number | null;
  sourceName: string;
  associationId: number | null;
  restoreResourceId: number | null;
  folder: string;
  /** The store's folder on the server: `<folder>/<storeId>`. */
  path: string;
  keyId: string;
  deploymentId: string | null;
  bytes: number;
  files: number;
  requestedAt: string;
  lastActivityAt: string;
  capturedAt: string | null;
  restoreRequestedAt: string | null;
  releasedAt: string | null;
  restoredAt: string | null;
  abandonedAt: string | null;
  expiresAt: string | null;
  deletedAt: string | null;
}

/** What a Request State Store is given (StateStoreGrant of src/actions/services.ts). */
export interface StoreGrant {
  storeId: string;
  type: 'capture' | 'restore';
  /** The data key, base64 of 32 bytes: only ever to the capturing computer and the restoring one. */
  key: string;
  keyId: string;
  /** The store's path under /mp/v1/userstate (the route makes the URL). */
  storePath: string;
  sourceName: string;
  accounts: string[];
  userAccounts: UserAccountMode;
}

export interface StoreFile {
  name: string;
  size: number;
  sha256: string;
  received: number;
  complete: boolean;
}

interface Row {
  store_id: string;
  state: StoreState;
  source_resource_id: string | number | null;
  source_name: string;
  association_id: string | number | null;
  restore_resource_id: string | number | null;
  folder_path: string;
  sealed_key: string | null;
  key_id: string;
  deployment_id: string | null;
  bytes: string | number;
  files: string | number;
  requested_at: Date;
  last_activity_at: Date;
  captured_at: Date | null;
  restore_requested_at: Date | null;
  released_at: Date | null;
  restored_at: Date | null;
  abandoned_at: Date | null;
  expires_at: Date | null;
  deleted_at: Date | null;
}

const SELECT = `SELECT s.*, (SELECT count(*) FROM state_store_files f WHERE f.store_id = s.store_id) AS files FROM state_stores s`;
const num = (v: string | number | null): number | null => (v === null ? null : Number(v));
const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function toStore(r: Row): StateStore {
  return {
    storeId: r.store_id,
    state: r.state,
    sourceResourceId: num(r.source_resource_id),
    sourceName: r.source_name,
    associationId: num(r.association_id),
    restoreResourceId: num(r.restore_resource_id),
    folder: r.folder_path,
    path: join(r.folder_path, r.store_id),
    keyId: r.key_id,
    deploymentId: r.deployment_id,
    bytes: Number(r.bytes),
    files: Number(r.files),
    requestedAt: r.requested_at.toISOString(),
    lastActivityAt: r.last_activity_at.toISOString(),
    capturedAt: iso(r.captured_at),
    restoreRequestedAt: iso(r.restore_requested_at),
    releasedAt: iso(r.released_at),
    restoredAt: iso(r.restored_at),
    abandonedAt: iso(r.abandoned_at),
    expiresAt: iso(r.expires_at),
    deletedAt: iso(r.deleted_at),
  };
}

/** user-state.md §2.4: keyId = first 16 bytes of HMAC-SHA256(DEK, "openosd-userstate-keyid-v1"), hex. */
export function keyIdOf(key: Buffer): string {
  return createHmac('sha256', key).update('openosd-userstate-keyid-v1').digest().subarray(0, 16).toString('hex');
}

const nowOf = (o: SmpOptions): Date => o.now?.() ?? new Date();

async function defaultFreeSpace(path: string): Promise<{ free: number; total: number }> {
  const s = await statfs(path);
  return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
}

/** The bytes a folder's minimum free space stands for on a disk of `total` bytes. */
export function minFreeBytes(minFree: { value: number; unit: SpaceUnit }, total: number): number {
  if (minFree.unit === 'Percent') return Math.ceil((total * minFree.value) / 100);
  return minFree.value * (minFree.unit === 'GB' ? 1024 ** 3 : 1024 ** 2);
}

function checkStoreId(id: string, input = 'params.storeId'): string {
  if (!STORE_ID_PATTERN.test(id)) throw badInput(input, 'a store id is a UUID in lower case (8-4-4-4-12 hexadecimal digits)', 'list the stores to find its id');
  return id;
}

/** The store's own folder, never outside its storage folder (the id is a UUID, checked). */
export function storeDir(folder: string, storeId: string): string {
  checkStoreId(storeId, 'storeId');
  const dir = join(folder, storeId);
  const rel = relative(folder, dir);
  if (rel !== storeId || isAbsolute(rel)) throw new Error(`store folder ${dir} is not inside ${folder}`);
  return dir;
}

/** `<store>/USMT/<name>` for a name that matches the strict pattern, and nothing else. */
function filePath(folder: string, storeId: string, name: string): string {
  if (!STORE_FILE_PATTERN.test(name)) throw new Error(`not a store file name: ${name}`);
  return join(storeDir(folder, storeId), 'USMT', ...name.split('/'));
}

/** A refused computer: audited (the attempt is the record), answered 404 like any id that is not this device's. */
async function refuseDevice(site: Site, device: MpDevice, storeId: string, access: string, why: string): Promise<SiteError> {
  await audit(site.db, deviceActor(device), 'userstate-refused', 'state-store', storeId, { access, reason: why });
  return notFound(
    'user state store of this computer',
    storeId,
    'a computer reaches only the store it captures and the one its computer association lets it restore',
  );
}

async function loadStore(db: Queryable, storeId: string, lock = false): Promise<Row | undefined> {
  const { rows } = await db.query<Row>(`${SELECT} WHERE s.store_id = $1${lock ? ' FOR UPDATE OF s' : ''}`, [storeId]);
  return rows[0];
}

// ---------------------------------------------------------------------------------------------
// Request State Store

/**
 * A capture store (the first storage folder, in order, under its maximum number of clients and
 * over its minimum free space: §1.4, §2.5) or the store this computer may restore (a computer
 * association names it as the destination). 503 `no-capacity`, 409 `no-association`.
 */
export async function requestStore(
  site: Site,
  device: MpDevice,
  input: { type: 'capture' | 'restore'; deploymentId?: string },
  options: SmpOptions = {},
): Promise<StoreGrant> {
  return input.type === 'capture' ? requestCapture(site, device, input.deploymentId, options) : requestRestore(site, device, options);
}

function noCapacity(rule: string, hint: string, details: Record<string, unknown> = {}): SiteError {
  return new SiteError('unavailable', { input: 'body.type', rule: `no-capacity: ${rule}`, hint, details: { reason: 'NO_CAPACITY', ...details } });
}

async function requestCapture(site: Site, device: MpDevice, deploymentId: string | undefined, options: SmpOptions): Promise<StoreGrant> {
  const actor = deviceActor(device);
  const settings = await getSmpSettings(site.db);
  const refused = async (e: SiteError): Promise<never> => {
    await audit(site.db, actor, 'userstate-request-refused', 'state-store', '-', { type: 'capture', reason: e.rule });
    throw e;
  };
  if (settings.restoreOnly)
    return refused(
      noCapacity('the state migration point is in restore-only mode: it stores no new user state', 'turn restore-only mode off, or capture to a local store'),
    );
  if (!settings.storageFolders.length)
    return refused(noCapacity('the state migration point has no storage folder', 'an administrator adds a storage folder to the state migration point'));
  const now = nowOf(options);
  const freeSpace = options.freeSpace ?? defaultFreeSpace;
  const grant = await site.db.transaction(async (tx) => {
    // One capture request at a time: two computers never both take a folder's last place.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [0x534d5031]);
    // The same computer asking again (a lost answer, the step run again) gets the store it has under way.
    const { rows: open } = await tx.query<Row>(
      `${SELECT} WHERE s.source_resource_id = $1 AND s.state IN ('requested', 'capturing') ORDER BY s.requested_at DESC LIMIT 1`,
      [device.resourceId],
    );
    if (open[0]) {
      const r = open[0];
      await tx.query('UPDATE state_stores SET last_activity_at = $2 WHERE store_id = $1', [r.store_id, now]);
      await audit(tx, actor, 'userstate-request', 'state-store', r.store_id, { type: 'capture', again: true, folder: r.folder_path });
      const scope = await captureAccounts(tx, device.resourceId);
      return grantOf(site, r, 'capture', scope.mode, scope.accounts);
    }
    const skipped: string[] = [];
    let chosen: StorageFolder | undefined;
    for (const f of settings.storageFolders) {
      const { rows } = await tx.query<{ n: string }>("SELECT count(*) AS n FROM state_stores WHERE folder_path = $1 AND state <> 'deleted'", [f.path]);
      const clients = Number(rows[0]!.n);
      if (clients >= f.maxClients) {
        skipped.push(`${f.path}: ${clients} of ${f.maxClients} clients`);
        continue;
      }
      let space: { free: number; total: number };
      try {
        space = await freeSpace(f.path);
      } catch (e) {
        skipped.push(`${f.path}: unreadable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        continue;
      }
      const min = minFreeBytes(f.minFree, space.total);
      if (space.free < min) {
        skipped.push(`${f.path}: ${space.free} bytes free, under its minimum of ${f.minFree.value} ${f.minFree.unit}`);
        continue;
      }
      chosen = f;
      break;
    }
    if (!chosen) return { refused: skipped };
    // In-place refresh: a computer with no association as a source gets one to itself (§1.3, §2.5: users mode all).
    const captureScope = await captureAccounts(tx, device.resourceId);
    let associationId = captureScope.associationId;
    if (associationId === undefined) {
      const a = await insertAssociation(
        tx,
        { sourceResourceId: device.resourceId, destinationResourceId: device.resourceId, userAccounts: 'capture-restore-all' },
        'body.',
      );
      associationId = a.id;
      await audit(tx, actor, 'create', 'computer-association', a.id, {
        source: device.resourceId,
        destination: device.resourceId,
        userAccounts: a.userAccounts,
        reason: 'in-place refresh: created with the capture request',
      });
    }
    const storeId = randomUUID();
    const key = randomBytes(32);
    const keyId = keyIdOf(key);
    await mkdir(join(storeDir(chosen.path, storeId), 'USMT', 'packs'), { recursive: true, mode: 0o700 });
    await tx.query(
      `INSERT INTO state_stores (store_id, state, source_resource_id, source_name, association_id, folder_path, sealed_key, key_id, deployment_id, requested_at, last_activity_at)
       VALUES ($1, 'requested', $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
      [storeId, device.resourceId, device.name, associationId, chosen.path, site.secrets.seal(key.toString('base64')), keyId, deploymentId ?? null, now],
    );
    await audit(tx, actor, 'userstate-request', 'state-store', storeId, { type: 'capture', folder: chosen.path, association: associationId, skipped });
    const row = (await loadStore(tx, storeId))!;
    return grantOf(site, row, 'capture', captureScope.mode, captureScope.accounts);
  });
  if ('refused' in grant)
    return refused(
      noCapacity(
        `every storage folder is at its maximum number of clients or under its minimum free space (${grant.refused.join('; ')})`,
        'free space or raise a folder’s limits, add a storage folder, or delete stores that are no longer needed',
        { folders: grant.refused },
      ),
    );
  return grant;
}

/**
 * Whose accounts a capture takes (§1.3): "capture and restore specified accounts" captures only the
 * association's accounts (it is then the source's only association); the other two modes capture
 * every account. The association the store is recorded with: the source's first.
 */
async function captureAccounts(tx: Queryable, sourceResourceId: number): Promise<{ associationId?: number; mode: UserAccountMode; accounts: string[] }> {
  const { rows } = await tx.query<{ id: string | number; user_accounts: UserAccountMode; accounts: string[] }>(
    'SELECT id, user_accounts, accounts FROM computer_associations WHERE source_resource_id = $1 ORDER BY id',
    [sourceResourceId],
  );
  const specified = rows.find((r) => r.user_accounts === 'capture-restore-specified');
  if (specified) return { associationId: Number(specified.id), mode: specified.user_accounts, accounts: specified.accounts };
  return { associationId: rows[0] ? Number(rows[0].id) : undefined, mode: rows[0]?.user_accounts ?? 'capture-restore-all', accounts: [] };
}

function grantOf(site: Site, r: Row, type: 'capture' | 'restore', userAccounts: UserAccountMode, accounts: string[]): StoreGrant {
  if (!r.sealed_key) throw new SiteError('conflict', { input: 'storeId', rule: `store ${r.store_id} was deleted: its key is gone` });
  return {
    storeId: r.store_id,
    type,
    key: site.secrets.open(r.sealed_key),
    keyId: r.key_id,
    storePath: `stores/${r.store_id}`,
    sourceName: r.source_name,
    accounts,
    userAccounts,
  };
}

async function requestRestore(site: Site, device: MpDevice, options: SmpOptions): Promise<StoreGrant> {
  const actor = deviceActor(device);
  const now = nowOf(options);
  const { rows: associations } = await site.db.query<{
    id: string | number;
    source_resource_id: string | number;
    user_accounts: UserAccountMode;
    accounts: string[];
  }>('SELECT id, source_resource_id, user_accounts, accounts FROM computer_associations WHERE destination_resource_id = $1 ORDER BY id', [device.resourceId]);
  const refuse = async (rule: string, hint: string): Promise<never> => {
    await audit(site.db, actor, 'userstate-request-refused', 'state-store', '-', { type: 'restore', reason: rule });
    throw new SiteError('conflict', { input: 'body.type', rule, hint, details: { reason: 'NO_ASSOCIATION' } });
  };
  if (!associations.length)
    return refuse(
      `no-association: no computer association names ${device.name} (${device.resourceId}) as its destination computer`,
      'an administrator creates a computer association from the source computer to this one',
    );
  const sources = associations.map((a) => Number(a.source_resource_id));
  const grant = await site.db.transaction(async (tx) => {
    const { rows } = await tx.query<Row>(
      `${SELECT} WHERE s.source_resource_id = ANY($1::bigint[]) AND s.state IN ('captured', 'restoring') ORDER BY s.captured_at DESC NULLS LAST LIMIT 1 FOR UPDATE OF s`,
      [sources],
    );
    const r = rows[0];
    if (!r) return undefined;
    const a = associations.find((x) => Number(x.source_resource_id) === Number(r.source_resource_id))!;
    await tx.query(
      "UPDATE state_stores SET state = 'restoring', restore_resource_id = $2, restore_requested_at = $3, last_activity_at = $3, association_id = $4 WHERE store_id = $1",
      [r.store_id, device.resourceId, now, Number(a.id)],
    );
    // "Capture all, restore specified" and "specified": only the association's accounts are restored (§1.3).
    const accounts = a.user_accounts === 'capture-restore-all' ? [] : a.accounts;
    await audit(tx, actor, 'userstate-request', 'state-store', r.store_id, {
      type: 'restore',
      association: Number(a.id),
      source: r.source_name,
      userAccounts: a.user_accounts,
    });
    return grantOf(site, r, 'restore', a.user_accounts, accounts);
  });
  if (!grant)
    return refuse(
      `no-association: the computer associations of ${device.name} name no source computer with captured user state (${sources.join(', ')})`,
      'capture the source computer first (Request State Store, Capture User State, Release State Store), then restore',
    );
  return grant;
}

// ---------------------------------------------------------------------------------------------
// Release State Store

export async function releaseStore(
  site: Site,
  device: MpDevice,
  storeId: string,
  input: { phase: 'capture' | 'restore'; outcome: 'success' | 'failure' },
  options: SmpOptions = {},
): Promise<StateStore> {
  checkStoreId(storeId);
  const actor = deviceActor(device);
  const now = nowOf(options);
  const settings = await getSmpSettings(site.db);
  const keep = retentionMs(settings.deletion);
  let deleteNow: Row | undefined;
  const result = await site.db.transaction(async (tx) => {
    const r = await loadStore(tx, storeId, true);
    const mine = r && (input.phase === 'capture' ? num(r.source_resource_id) === device.resourceId : num(r.restore_resource_id) === device.resourceId);
    if (!r || !mine)
      return { refused: input.phase === 'capture' ? 'not the computer that captures this store' : 'not the computer that restores this store', row: undefined };
    const already = input.phase === 'capture' ? ['captured', 'abandoned'] : ['restored', 'deleted'];
    if (already.includes(r.state)) {
      await audit(tx, actor, 'userstate-release', 'state-store', storeId, { ...input, again: true, state: r.state });
      return { row: r, refused: undefined };
    }
    const expected = input.phase === 'capture' ? ['requested', 'capturing'] : ['restoring'];
    if (!expected.includes(r.state))
      throw conflict(
        'body.phase',
        `store ${storeId} is ${r.state}: a ${input.phase} release needs a store that is ${expected.join(' or ')}`,
        'release the phase this computer requested',
      );
    let state: StoreState;
    const sets: string[] = ['released_at = $2', 'last_activity_at = $2'];
    if (input.phase === 'capture' && input.outcome === 'success') {
      const { rows: files } = await tx.query<{ name: string; complete: boolean }>('SELECT name, complete FROM state_store_files WHERE store_id = $1', [
        storeId,
      ]);
      const missing = ['store.json', 'manifest.osdm'].filter((n) => !files.some((f) => f.name === n && f.complete));
      const partial = files.filter((f) => !f.complete).map((f) => f.name);
      if (missing.length || partial.length)
        throw conflict(
          'body.outcome',
          `store-incomplete: the store cannot be released as captured: ${[...missing.map((m) => `${m} missing`), ...partial.map((p) => `${p} not uploaded completely`)].join(', ')}`,
          'upload the rest of the store, or release it with outcome "failure"',
        );
      state = 'captured';
      sets.push('captured_at = $2');
    } else if (input.phase === 'capture') {
      state = 'abandoned';
      sets.push('abandoned_at = $2', `expires_at = $3`);
    } else if (input.outcome === 'success') {
      state = 'restored';
      sets.push('restored_at = $2', 'expires_at = $3');
    } else {
      // A failed restore keeps the state restorable: captured user data is never lost (§2.5).
      state = 'captured';
    }
    const expires = new Date(now.getTime() + keep);
    await tx.query(
      `UPDATE state_stores SET state = '${state}', ${sets.join(', ')} WHERE store_id = $1`,
      sets.some((x) => x.includes('$3')) ? [storeId, now, expires] : [storeId, now],
    );
    await audit(tx, actor, 'userstate-release', 'state-store', storeId, {
      ...input,
      state,
      ...(state === 'restored' || state === 'abandoned' ? { expiresAt: new Date(now.getTime() + keep).toISOString() } : {}),
    });
    const row = (await loadStore(tx, storeId))!;
    if ((state === 'restored' || state === 'abandoned') && keep === 0) deleteNow = row;
    return { row, refused: undefined };
  });
  if (result.refused !== undefined || !result.row) throw await refuseDevice(site, device, storeId, `release ${input.phase}`, result.refused ?? 'unknown');
  if (deleteNow)
    return deleteStoreNow(
      site,
      { tokenId: 'smp', name: 'state migration point (delete immediately)', role: 'full-administrator' },
      deleteNow,
      'deletion policy: immediately after release',
      now,
    );
  return toStore(result.row);
}

// ---------------------------------------------------------------------------------------------
// Files

/** The files of a store, for the computer capturing it (to resume) or restoring it (sizes and hashes). */
export async function listStoreFiles(site: Site, device: MpDevice, storeId: string): Promise<{ storeId: string; state: StoreState; files: StoreFile[] }> {
  checkStoreId(storeId);
  const r = await loadStore(site.db, storeId);
  const role = r && accessOf(r, device);
  if (!r || !role) throw await refuseDevice(site, device, storeId, 'list files', 'neither the capturing nor the restoring computer');
  const files = await filesOf(site.db, storeId);
  return { storeId, state: r.state, files: role === 'restore' ? files.filter((f) => f.complete) : files };
}

async function filesOf(db: Queryable, storeId: string): Promise<StoreFile[]> {
  const { rows } = await db.query<{ name: string; size: string | number; sha256: string; received: string | number; complete: boolean }>(
    'SELECT name, size, sha256, received, complete FROM state_store_files WHERE store_id = $1 ORDER BY name',
    [storeId],
  );
  return rows.map((f) => ({ name: f.name, size: Number(f.size), sha256: f.sha256, received: Number(f.received), complete: f.complete }));
}

/** Which side of the store this device is: the capturing computer (while it captures), the restoring one (while it restores). */
function accessOf(r: Row, device: MpDevice): 'capture' | 'restore' | undefined {
  if (num(r.source_resource_id) === device.resourceId && (r.state === 'requested' || r.state === 'capturing')) return 'capture';
  if (num(r.restore_resource_id) === device.resourceId && r.state === 'restoring') return 'restore';
  return undefined;
}

export function checkFileName(name: string, input = 'params.name'): string {
  if (!STORE_FILE_PATTERN.test(name))
    throw badInput(input, `${JSON.stringify(name.slice(0, 80))} is not a store file: store.json, manifest.osdm or packs/NNNNNN.osdp (six digits)`);
  return name;
}

/** `bytes a-b/total`, or none (the whole file in one request). */
export function parseContentRange(header: string | undefined, contentLength: number | undefined): { start: number; end: number; total: number } {
  if (header === undefined || header === '') {
    if (contentLength === undefined)
      throw badInput('headers.content-length', 'an upload without Content-Range needs a Content-Length', 'send Content-Range: bytes a-b/total');
    return { start: 0, end: contentLength - 1, total: contentLength };
  }
  const m = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15})$/.exec(header.trim());
  if (!m)
    throw badInput('headers.content-range', `${JSON.stringify(header.slice(0, 80))} is not "bytes a-b/total"`, 'send Content-Range: bytes 0-1048575/4194304');
  const [start, end, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (end < start || end >= total) throw badInput('headers.content-range', `bytes ${start}-${end} are not a range inside a file of ${total} bytes`);
  if (contentLength !== undefined && contentLength !== end - start + 1)
    throw badInput('headers.content-length', `Content-Length ${contentLength} is not the ${end - start + 1} bytes of Content-Range ${header}`);
  return { start, end, total };
}

/** One upload at a time per file in this process (two servers sharing a folder: the database row decides). */
const uploading = new Set<string>();

/**
 * One piece of a store file: `Content-Range` from the bytes received so far (a connection that
 * broke keeps what arrived: the computer resumes from there, sending only what is missing); the
 * whole file's SHA-256 is checked when its last byte arrives (a mismatch discards it: 422). Sizes
 * are limited per kind of file and the folder's minimum free space is kept, both before a byte is
 * written.
 */
export async function uploadStoreFile(
  site: Site,
  device: MpDevice,
  storeId: string,
  name: string,
  input: { contentRange?: string; contentLength?: number; sha256?: string },
  body: Readable,
  options: SmpOptions = {},
): Promise<StoreFile & { written: number }> {
  checkStoreId(storeId);
  checkFileName(name);
  const sha256 = (input.sha256 ?? '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sha256))
    throw badInput('headers.x-content-sha256', 'the SHA-256 of the whole file (64 hexadecimal characters) is required', 'send X-Content-SHA256');
  const range = parseContentRange(input.contentRange, input.contentLength);
  const limit = maxBytesOf(name);
  if (range.total > limit)
    throw new SiteError('too-large', {
      input: 'headers.content-range',
      rule: `${name} may be at most ${limit} bytes; this one is ${range.total}`,
      hint: 'cut packs at 256 MiB of data',
    });
  const r = await loadStore(site.db, storeId);
  const role = r && accessOf(r, device);
  if (!r || role !== 'capture') {
    if (r && num(r.source_resource_id) === device.resourceId && ['captured', 'restoring', 'restored'].includes(r.state))
      throw conflict(
        'params.storeId',
        `store-read-only: store ${storeId} is ${r.state}: a released capture is read-only`,
        'request a new store to capture again',
      );
    throw await refuseDevice(site, device, storeId, `upload ${name}`, 'not the computer that captures this store');
  }
  const lockKey = `${storeId}/${name}`;
  if (uploading.has(lockKey))
    throw conflict('params.name', `upload-busy: ${name} of store ${storeId} is being uploaded by another request`, 'wait for it to end, then resume');
  uploading.add(lockKey);
  try {
    return await writePiece(site, device, r, name, sha256, range, body, options);
  } finally {
    uploading.delete(lockKey);
  }
}

async function writePiece(
  site: Site,
  device: MpDevice,
  r: Row,
  name: string,
  sha256: string,
  range: { start: number; end: number; total: number },
  body: Readable,
  options: SmpOptions,
): Promise<StoreFile & { written: number }> {
  const storeId = r.store_id;
  const actor = deviceActor(device);
  const now = nowOf(options);
  const { rows } = await site.db.query<{ size: string; sha256: string; received: string; complete: boolean }>(
    'SELECT size, sha256, received, complete FROM state_store_files WHERE store_id = $1 AND name = $2',
    [storeId, name],
  );
  let existing = rows[0] ? { size: Number(rows[0].size), sha256: rows[0].sha256, received: Number(rows[0].received), complete: rows[0].complete } : undefined;
  const same = existing && existing.size === range.total && existing.sha256 === sha256;
  if (existing?.complete) {
    body.resume();
    if (same) return { name, ...existing, written: 0 };
    throw conflict(
      'headers.x-content-sha256',
      `file-complete: ${name} is already uploaded with another content (SHA-256 ${existing.sha256})`,
      'a store file is written once; request a new store',
    );
  }
  if (existing && !same) {
    if (range.start !== 0)
      throw conflict(
        'headers.content-range',
        `upload-changed: ${name} was started with another size or SHA-256; continue it, or send it again from byte 0`,
        'resume with the same file',
      );
    existing = undefined; // a new start replaces what was there
  }
  const received = existing?.received ?? 0;
  if (range.start !== received)
    throw new SiteError('conflict', {
      input: 'headers.content-range',
      rule: `range-not-contiguous: the store has bytes 0–${received - 1} of ${name}; the next piece starts at byte ${received}, not ${range.start}`,
      hint: 'ask the store’s files for what it received, and send from there',
      details: { received },
    });
  if (!existing) {
    const { rows: count } = await site.db.query<{ n: string }>('SELECT count(*) AS n FROM state_store_files WHERE store_id = $1', [storeId]);
    if (Number(count[0]!.n) >= MAX_STORE_FILES)
      throw new SiteError('too-large', { input: 'params.name', rule: `a store holds at most ${MAX_STORE_FILES} files` });
  }
  // The folder keeps its minimum free space: what is still to come must fit above it (before a byte is written).
  const settings = await getSmpSettings(site.db);
  const folder = settings.storageFolders.find((f) => f.path === r.folder_path);
  const space = await (options.freeSpace ?? defaultFreeSpace)(r.folder_path);
  const reserve = folder ? minFreeBytes(folder.minFree, space.total) : 0;
  const toCome = range.total - range.start;
  if (space.free - toCome < reserve)
    throw new SiteError('insufficient-storage', {
      input: 'headers.content-range',
      rule: `folder-full: the storage folder has ${space.free} bytes free; ${toCome} more would leave less than its minimum free space (${reserve} bytes)`,
      hint: 'an administrator frees space in the storage folder or lowers its minimum free space; the upload resumes from here',
    });
  await site.db.query(
    `INSERT INTO state_store_files (store_id, name, size, sha256, received, complete, updated_at) VALUES ($1, $2, $3, $4, $5, false, $6)
     ON CONFLICT (store_id, name) DO UPDATE SET size = EXCLUDED.size, sha256 = EXCLUDED.sha256, received = EXCLUDED.received, complete = false, updated_at = EXCLUDED.updated_at`,
    [storeId, name, range.total, sha256, received, now],
  );
  const final = filePath(r.folder_path, storeId, name);
  const partial = `${final}.partial`;
  await mkdir(join(final, '..'), { recursive: true, mode: 0o700 });
  // What the file holds beyond the bytes the database counted (a crash between write and commit) is cut off.
  const fh = await open(partial, constants.O_RDWR | constants.O_CREAT, 0o600);
  let written = 0;
  let failure: unknown;
  const want = range.end - range.start + 1;
  try {
    await fh.truncate(received);
    let position = received;
    try {
      for await (const chunk of body) {
        const c = chunk as Buffer;
        if (written + c.length > want) throw badInput('headers.content-range', `the body is longer than the ${want} bytes of Content-Range`);
        let off = 0;
        while (off < c.length) {
          const { bytesWritten } = await fh.write(c, off, c.length - off, position);
          off += bytesWritten;
          position += bytesWritten;
        }
        written += c.length;
      }
      if (written < want) failure = Object.assign(new Error(`the body ended after ${written} of ${want} bytes`), { code: 'ECONNRESET' });
    } catch (e) {
      failure = e;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  if (failure instanceof SiteError) {
    await site.db.query('UPDATE state_store_files SET received = $3 WHERE store_id = $1 AND name = $2', [storeId, name, received]);
    throw failure;
  }
  const have = received + Math.min(written, want);
  let complete = false;
  if (have === range.total && !failure) {
    const got = await sha256Of(partial);
    if (got !== sha256) {
      await rm(partial, { force: true });
      await site.db.query('UPDATE state_store_files SET received = 0, updated_at = $3 WHERE store_id = $1 AND name = $2', [storeId, name, now]);
      await audit(site.db, actor, 'userstate-upload', 'state-store', storeId, { file: name, from: range.start, to: have, hashMismatch: true });
      throw new SiteError('bad-input', {
        input: 'headers.x-content-sha256',
        rule: `hash-mismatch: ${name} arrived with SHA-256 ${got}, not ${sha256}; it was discarded`,
        hint: 'send the file again from byte 0',
        status: 422,
      });
    }
    await rename(partial, final);
    complete = true;
  }
  await site.db.transaction(async (tx) => {
    await tx.query('UPDATE state_store_files SET received = $3, complete = $4, updated_at = $5 WHERE store_id = $1 AND name = $2', [
      storeId,
      name,
      have,
      complete,
      now,
    ]);
    await tx.query(
      `UPDATE state_stores SET state = CASE WHEN state = 'requested' THEN 'capturing' ELSE state END, last_activity_at = $2,
         bytes = (SELECT coalesce(sum(size), 0) FROM state_store_files WHERE store_id = $1 AND complete) WHERE store_id = $1`,
      [storeId, now],
    );
    await audit(tx, actor, 'userstate-upload', 'state-store', storeId, { file: name, from: range.start, to: have, size: range.total, complete });
  });
  if (failure)
    throw new SiteError('bad-input', {
      input: 'body',
      rule: `upload-interrupted: the body ended after ${Math.min(written, want)} of ${want} bytes (${(failure as Error).message}); ${have} bytes of ${name} are kept`,
      hint: 'resume from there',
      details: { received: have },
    });
  return { name, size: range.total, sha256, received: have, complete, written };
}

async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

/** A file of the store for the computer restoring it (audited; another computer: 404, audited). */
export async function openStoreFileForRestore(
  site: Site,
  device: MpDevice,
  storeId: string,
  name: string,
  range: { start: number; end?: number } | undefined,
  options: SmpOptions = {},
): Promise<{ path: string; size: number; sha256: string }> {
  checkStoreId(storeId);
  checkFileName(name);
  const r = await loadStore(site.db, storeId);
  if (!r || accessOf(r, device) !== 'restore') throw await refuseDevice(site, device, storeId, `download ${name}`, 'not the computer that restores this store');
  const { rows } = await site.db.query<{ size: string; sha256: string }>(
    'SELECT size, sha256 FROM state_store_files WHERE store_id = $1 AND name = $2 AND complete',
    [storeId, name],
  );
  if (!rows[0]) throw notFound(`file of store ${storeId}`, name, 'list the store’s files');
  await site.db.query('UPDATE state_stores SET last_activity_at = $2 WHERE store_id = $1', [storeId, nowOf(options)]);
  await audit(site.db, deviceActor(device), 'userstate-download', 'state-store', storeId, {
    file: name,
    ...(range ? { from: range.start, ...(range.end !== undefined ? { to: range.end } : {}) } : {}),
  });
  return { path: filePath(r.folder_path, storeId, name), size: Number(rows[0].size), sha256: rows[0].sha256 };
}

// ---------------------------------------------------------------------------------------------
// The administrator's side

export async function listStores(db: Queryable, filter: { state?: StoreState; resourceId?: number; limit?: number } = {}): Promise<StateStore[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.state) where.push(`s.state = $${params.push(filter.state)}`);
  if (filter.resourceId !== undefined) where.push(`(s.source_resource_id = $${params.push(filter.resourceId)} OR s.restore_resource_id = $${params.length})`);
  const limit = Math.min(Math.max(filter.limit ?? 1000, 1), MAX_LISTED_STORES);
  const { rows } = await db.query<Row>(`${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.requested_at DESC LIMIT ${limit}`, params);
  return rows.map(toStore);
}

export async function getStore(db: Queryable, storeId: string): Promise<StateStore & { fileList: StoreFile[] }> {
  checkStoreId(storeId);
  const r = await loadStore(db, storeId);
  if (!r) throw notFound('user state store', storeId, 'list the user state stores to find its id');
  return { ...toStore(r), fileList: await filesOf(db, storeId) };
}

/**
 * User State Recovery Information (§2.4): the data key and where the store lives, for `osd
 * userstate extract` by hand. Audited; the key is never in the audit entry.
 */
export async function recoverStore(
  site: Site,
  actor: Actor,
  storeId: string,
): Promise<{ storeId: string; key: string; keyId: string; state: StoreState; sourceName: string; folder: string; path: string }> {
  checkStoreId(storeId);
  const r = await loadStore(site.db, storeId);
  if (!r) throw notFound('user state store', storeId, 'list the user state stores to find its id');
  if (!r.sealed_key || r.state === 'deleted')
    throw conflict('params.storeId', `store ${storeId} was deleted on ${iso(r.deleted_at)}: its data and key are gone`);
  await audit(site.db, actor, 'userstate-recovery', 'state-store', storeId, { source: r.source_name, state: r.state });
  return {
    storeId,
    key: site.secrets.open(r.sealed_key),
    keyId: r.key_id,
    state: r.state,
    sourceName: r.source_name,
    folder: r.folder_path,
    path: join(r.folder_path, storeId),
  };
}

/** Deletes a store now (its files and key). A store under way (requested, capturing, restoring) only with `force`. */
export async function deleteStore(site: Site, actor: Actor, storeId: string, options: { force?: boolean } & SmpOptions = {}): Promise<StateStore> {
  checkStoreId(storeId);
  const r = await loadStore(site.db, storeId);
  if (!r) throw notFound('user state store', storeId, 'list the user state stores to find its id');
  if (r.state === 'deleted') throw conflict('params.storeId', `store ${storeId} was already deleted on ${iso(r.deleted_at)}`);
  if (['requested', 'capturing', 'restoring'].includes(r.state) && !options.force)
    throw conflict('params.storeId', `store ${storeId} is ${r.state}: a computer is using it`, 'wait for its Release State Store, or delete it with force');
  return deleteStoreNow(site, actor, r, 'deleted by an administrator', nowOf(options));
}

async function deleteStoreNow(site: Site, actor: Actor, r: Row, reason: string, now: Date): Promise<StateStore> {
  await rm(storeDir(r.folder_path, r.store_id), { recursive: true, force: true });
  await site.db.transaction(async (tx) => {
    // Another server sweeping the same store at the same time: one of them records the deletion.
    const { rows } = await tx.query<{ store_id: string }>(
      "UPDATE state_stores SET state = 'deleted', deleted_at = $2, sealed_key = NULL, bytes = 0 WHERE store_id = $1 AND state <> 'deleted' RETURNING store_id",
      [r.store_id, now],
    );
    if (!rows.length) return;
    await tx.query('DELETE FROM state_store_files WHERE store_id = $1', [r.store_id]);
    await audit(tx, actor, 'userstate-delete', 'state-store', r.store_id, { reason, state: r.state, source: r.source_name, folder: r.folder_path });
  });
  return toStore((await loadStore(site.db, r.store_id))!);
}

export const SWEEPER_ACTOR: Actor = { tokenId: 'smp-sweeper', name: 'state migration point (retention)', role: 'full-administrator' };

/**
 * The retention sweep (`osd server` every few minutes; tests with a fake clock): captures neither
 * released nor touched for 24 hours are abandoned (kept for the retention, like a released one),
 * and restored or abandoned stores whose retention ran out are deleted.
 */
export async function sweepStores(
  site: Site,
  options: SmpOptions = {},
): Promise<{ abandoned: string[]; deleted: string[]; failed: { storeId: string; error: string }[] }> {
  const now = nowOf(options);
  const keep = retentionMs((await getSmpSettings(site.db)).deletion);
  const stale = new Date(now.getTime() - STALE_CAPTURE_MS);
  const abandoned = await site.db.transaction(async (tx) => {
    const { rows } = await tx.query<{ store_id: string }>(
      `UPDATE state_stores SET state = 'abandoned', abandoned_at = $1, expires_at = $2
        WHERE state IN ('requested', 'capturing') AND last_activity_at <= $3 RETURNING store_id`,
      [now, new Date(now.getTime() + keep), stale],
    );
    for (const r of rows) await audit(tx, SWEEPER_ACTOR, 'userstate-abandon', 'state-store', r.store_id, { reason: 'not released within 24 hours' });
    return rows.map((r) => r.store_id);
  });
  const { rows: expired } = await site.db.query<Row>(`${SELECT} WHERE s.state IN ('restored', 'abandoned') AND s.expires_at <= $1 ORDER BY s.expires_at`, [
    now,
  ]);
  const deleted: string[] = [];
  const failed: { storeId: string; error: string }[] = [];
  for (const r of expired) {
    // One store that cannot be deleted now (its folder unreachable) does not keep the others.
    try {
      await deleteStoreNow(
        site,
        SWEEPER_ACTOR,
        r,
        r.state === 'restored' ? 'retention after the restore ran out' : 'retention of an abandoned capture ran out',
        now,
      );
      deleted.push(r.store_id);
    } catch (e) {
      failed.push({ storeId: r.store_id, error: (e as Error).message });
    }
  }
  return { abandoned, deleted, failed };
}

/** Whether a path exists (for tests and the CLI's messages). */
export async function storeFolderExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
