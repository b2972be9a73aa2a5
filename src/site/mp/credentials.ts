/**
 * Device credentials (docs/management-point.md § Identity and credentials): a bearer token
 * `osd-dev-<base64url of 32 random bytes>`, shown to the device once; the site keeps its SHA-256
 * only, with an expiry (30 days) and a revocation time. A device credential is for the management
 * point only; the admin API refuses it.
 *
 * Every management point request proves one, so a server keeps what it read of a credential in
 * memory for DEVICE_CREDENTIAL_CACHE_MS (limits.ts) instead of asking the database each time. The
 * expiry is checked against the clock on every request. What makes a credential stop working here —
 * revoking, rotating, registering again, approving or refusing, deleting the device — forgets
 * everything this process read (`forgetDeviceCredentials`), once inside its transaction and again
 * after its commit (a read that began before the commit is not kept: its generation is gone), so
 * the server that made the change refuses at once; a server sharing the database sees it within
 * DEVICE_CREDENTIAL_CACHE_MS.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Database, Queryable } from '../db/database.js';
import { notFound, SiteError } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import { audit } from '../audit.js';
import type { Actor } from '../security/roles.js';
import { checkResourceId } from '../devices/identity.js';
import { DEVICE_CREDENTIAL_CACHE_MS, DEVICE_CREDENTIAL_DAYS, KEEP_ENDED_CREDENTIAL_DAYS, MAX_CACHED_DEVICE_CREDENTIALS } from './limits.js';
import { deviceActor } from './device-actor.js';

export const DEVICE_CREDENTIAL_PREFIX = 'osd-dev-';

export type Approval = 'approved' | 'pending' | 'refused';

/** The device behind a management point request. */
export interface MpDevice {
  resourceId: number;
  name: string;
  /** Registered on first contact (an unknown computer). */
  unknown: boolean;
  approval: Approval;
}

export interface IssuedCredential {
  credential: string;
  credentialId: string;
  expiresAt: string;
}

/** What a credential's check reads: the credential and its device. */
interface CredentialRow {
  id: string;
  resource_id: string | number;
  expires_at: Date;
  revoked_at: Date | null;
  name: string;
  unknown: boolean;
  approval: Approval;
}

/** By credential hash (per process: a hash names one credential whatever the site). */
const credentialCache = new Map<string, { row: CredentialRow; readAt: number }>();
let cacheGeneration = 0;

/**
 * Forgets every credential this process read: call inside the transaction that revokes, rotates or
 * changes a device's approval, and again once it committed.
 */
export function forgetDeviceCredentials(): void {
  cacheGeneration++;
  credentialCache.clear();
}

async function readCredential(db: Queryable, hash: string): Promise<CredentialRow | undefined> {
  const now = Date.now();
  const hit = credentialCache.get(hash);
  if (hit && now - hit.readAt < DEVICE_CREDENTIAL_CACHE_MS) return hit.row;
  const generation = cacheGeneration;
  const { rows } = await db.query<CredentialRow>(
    `SELECT c.id, c.resource_id, c.expires_at, c.revoked_at, d.name, d.unknown, d.approval
       FROM device_credentials c JOIN devices d ON d.resource_id = c.resource_id WHERE c.credential_hash = $1`,
    [hash],
  );
  const row = rows[0];
  credentialCache.delete(hash);
  // A change committed while this read was under way forgot the cache: what was read may be older.
  if (row && generation === cacheGeneration) {
    if (credentialCache.size >= MAX_CACHED_DEVICE_CREDENTIALS) credentialCache.delete(credentialCache.keys().next().value!);
    credentialCache.set(hash, { row, readAt: now });
  }
  return row;
}

function hashCredential(credential: string): string {
  return createHash('sha256').update(credential, 'utf8').digest('hex');
}

/** True when the text looks like a device credential (the admin API refuses these by their form). */
export function isDeviceCredential(token: string): boolean {
  return token.startsWith(DEVICE_CREDENTIAL_PREFIX);
}

/**
 * A new credential for the device. `replaceOthers`: the device's other credentials are revoked
 * (registering again, rotating). Call inside the caller's transaction; the audit entry holds the
 * credential's id, never the credential.
 */
export async function issueCredential(
  db: Queryable,
  actor: Actor,
  resourceId: number,
  options: { replaceOthers: boolean; action?: string },
): Promise<IssuedCredential> {
  checkResourceId(resourceId, 'resourceId');
  if (options.replaceOthers) {
    await db.query('UPDATE device_credentials SET revoked_at = now() WHERE resource_id = $1 AND revoked_at IS NULL', [resourceId]);
    forgetDeviceCredentials();
  }
  // Old rows go: a computer registering again and again must not grow the table. A credential
  // revoked or expired within the week is kept, so its 401 still says why.
  await db.query(
    `DELETE FROM device_credentials WHERE resource_id = $1
       AND (revoked_at < now() - make_interval(days => $2::int) OR expires_at < now() - make_interval(days => $2::int))`,
    [resourceId, KEEP_ENDED_CREDENTIAL_DAYS],
  );
  const credentialId = `cred_${randomBytes(6).toString('hex')}`;
  const credential = `${DEVICE_CREDENTIAL_PREFIX}${randomBytes(32).toString('base64url')}`;
  const { rows } = await db.query<{ expires_at: Date }>(
    `INSERT INTO device_credentials (id, resource_id, credential_hash, expires_at) VALUES ($1, $2, $3, now() + make_interval(days => $4::int))
     RETURNING expires_at`,
    [credentialId, resourceId, hashCredential(credential), DEVICE_CREDENTIAL_DAYS],
  );
  await audit(db, actor, options.action ?? 'issue-credential', 'device', resourceId, { credentialId, replacedOthers: options.replaceOthers });
  return { credential, credentialId, expiresAt: rows[0]!.expires_at.toISOString() };
}

/** Revokes every credential of the device; returns how many were valid. Call inside a transaction. */
export async function revokeCredentials(db: Queryable, actor: Actor, resourceId: number): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    'UPDATE device_credentials SET revoked_at = now() WHERE resource_id = $1 AND revoked_at IS NULL RETURNING id',
    [resourceId],
  );
  forgetDeviceCredentials();
  await audit(db, actor, 'revoke-credentials', 'device', resourceId, { credentials: rows.map((r) => r.id) });
  return rows.length;
}

function unauthenticated(rule: string, hint: string): SiteError {
  return new SiteError('unauthenticated', { input: 'Authorization', rule, hint });
}

/**
 * The device behind an Authorization header, or a 401 that says what is wrong: no credential, an
 * API token (administrators' tokens are not for the management point), an unknown, expired or
 * revoked credential (`credential-revoked` in the rule's words).
 */
export async function authenticateDevice(db: Queryable, authorization: string | undefined): Promise<MpDevice & { credentialId: string }> {
  if (!authorization) throw unauthenticated('the request has no device credential', 'register the computer to get a device credential');
  const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!m) throw unauthenticated('the header is not "Bearer osd-dev-…"', 'give the device credential as a bearer token');
  const token = m[1]!;
  if (!isDeviceCredential(token)) {
    throw unauthenticated(
      'the management point takes device credentials only, not API tokens',
      'register the computer to get a device credential; API tokens are for administering the site',
    );
  }
  const row = await readCredential(db, hashCredential(token));
  if (!row) throw unauthenticated('the device credential is not valid', 'register the computer again to get a new credential');
  if (row.revoked_at) {
    throw new SiteError('unauthenticated', {
      input: 'Authorization',
      rule: `credential-revoked: the device credential of ${row.name} was revoked at ${row.revoked_at.toISOString()}`,
      hint: 'register the computer again to get a new credential',
      details: { reason: 'credential-revoked' },
    });
  }
  if (row.expires_at.getTime() <= Date.now()) {
    throw new SiteError('unauthenticated', {
      input: 'Authorization',
      rule: `credential-expired: the device credential of ${row.name} expired at ${row.expires_at.toISOString()}`,
      hint: 'register the computer again to get a new credential',
      details: { reason: 'credential-expired' },
    });
  }
  if (row.approval === 'refused') {
    throw new SiteError('forbidden', {
      input: 'Authorization',
      rule: `device-refused: an administrator refused the device ${row.name}`,
      hint: 'ask an administrator to approve the device',
      details: { reason: 'device-refused' },
    });
  }
  return { resourceId: Number(row.resource_id), name: row.name, unknown: row.unknown, approval: row.approval, credentialId: row.id };
}

/** The device's new credential in place of all its others (the device asks; its current credential stops working). */
export async function rotateCredential(db: Database, device: MpDevice): Promise<IssuedCredential> {
  try {
    return await db.transaction((tx) => issueCredential(tx, deviceActor(device), device.resourceId, { replaceOthers: true, action: 'rotate-credential' }));
  } finally {
    forgetDeviceCredentials();
  }
}

/**
 * An administrator revokes every credential of a device: it answers 401 on the management point
 * until it registers again. Returns how many credentials were still valid.
 */
export async function revokeDeviceCredentials(db: Database, actor: Actor, resourceId: number): Promise<{ resourceId: number; name: string; revoked: number }> {
  checkResourceId(resourceId, 'params.resourceId');
  try {
    return await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ name: string }>('SELECT name FROM devices WHERE resource_id = $1 AND unknown_computer IS NULL', [resourceId]);
      if (!rows[0]) throw notFound('device', resourceId, 'list the devices to find its ResourceID', nextSteps('list-devices'));
      const revoked = await revokeCredentials(tx, actor, resourceId);
      return { resourceId, name: rows[0].name, revoked };
    });
  } finally {
    forgetDeviceCredentials();
  }
}
