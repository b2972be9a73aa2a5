/**
 * API tokens. A token is shown once, when created; the site keeps only its SHA-256, so the
 * database (or a backup of it) never holds a usable token.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../db/database.js';
import { badInput, conflict, notFound, SiteError } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import { audit } from '../audit.js';
import { checkName } from '../text-rules.js';
import { isRole, permissionsOf, ROLE_NAMES, ROLES, type Actor, type Permission, type Role } from './roles.js';

const TOKEN_PREFIX = 'osd_';

/** The channel a token change is announced on (token-cache.ts listens to it on PostgreSQL). */
export const TOKEN_CHANNEL = 'osd_api_tokens';

export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

interface TokenRow {
  id: string;
  name: string;
  role: string;
  created_at: Date;
  created_by: string;
  expires_at: Date | null;
  revoked_at: Date | null;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function toInfo(r: TokenRow): TokenInfo {
  return {
    id: r.id,
    name: r.name,
    role: r.role as Role,
    createdAt: r.created_at.toISOString(),
    createdBy: r.created_by,
    expiresAt: r.expires_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null,
  };
}

export async function createToken(
  db: Queryable,
  actor: Actor,
  input: { name: string; role: string; expiresAt?: string | null },
  /** The audit entry's action and extra details (default "create"; recovery says "recover"). */
  auditAs: { action: string; details?: Record<string, unknown> } = { action: 'create' },
): Promise<{ token: string; info: TokenInfo }> {
  const name = input.name.trim();
  if (!name || name.length > 100) throw badInput('body.name', 'a token name is 1–100 characters', 'name it after who or what uses it, e.g. "build pipeline"');
  checkName(name, 'body.name');
  if (!isRole(input.role)) throw badInput('role', `unknown role "${input.role}"`, `use one of ${ROLES.join(', ')}`);
  let expires: Date | null = null;
  if (input.expiresAt) {
    expires = new Date(input.expiresAt);
    if (Number.isNaN(expires.getTime())) throw badInput('expiresAt', `"${input.expiresAt}" is not a date and time`, 'use ISO 8601, e.g. 2027-01-31T00:00:00Z');
    if (expires.getTime() <= Date.now())
      throw badInput('expiresAt', 'the expiry is in the past', 'give a future date, or leave it out for a token that does not expire');
  }
  const id = `tok_${randomBytes(6).toString('hex')}`;
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const { rows } = await db.query<TokenRow>(
    `INSERT INTO api_tokens (id, name, role, token_hash, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
     RETURNING id, name, role, created_at, created_by, expires_at, revoked_at`,
    [id, name, input.role, hashToken(token), actor.name, expires],
  );
  await audit(db, actor, auditAs.action, 'token', id, { name, role: input.role, ...auditAs.details });
  return { token, info: toInfo(rows[0]!) };
}

export async function listTokens(db: Queryable): Promise<TokenInfo[]> {
  const { rows } = await db.query<TokenRow>('SELECT id, name, role, created_at, created_by, expires_at, revoked_at FROM api_tokens ORDER BY created_at, id');
  return rows.map(toInfo);
}

/**
 * Tokens share one lock with the first-token bootstrap and recovery: a revoke checks the set of
 * administrator tokens under it, so two concurrent revokes on PostgreSQL cannot both see "there is
 * another administrator" and together remove the last two (on PGlite transactions are serial).
 */
export const TOKEN_LOCK_KEY = 0x4f53544b; // "OSTK"

/** Full Administrator tokens that work now: not revoked, not expired. */
const VALID_ADMIN = `role = 'full-administrator' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`;

/**
 * Revokes a token. Call it inside a transaction (the routes do). The last valid Full
 * Administrator token cannot be revoked: the site would answer every call with 401 and only the
 * recovery command on the server machine (`osd token recover`) could let anyone in again.
 */
export async function revokeToken(db: Queryable, actor: Actor, id: string): Promise<TokenInfo> {
  await db.query('SELECT pg_advisory_xact_lock($1)', [TOKEN_LOCK_KEY]);
  const target = await db.query<{ name: string; valid_admin: boolean }>(`SELECT name, (${VALID_ADMIN}) AS valid_admin FROM api_tokens WHERE id = $1`, [id]);
  if (!target.rows[0]) throw notFound('token', id, 'list the tokens to find its id', nextSteps('list-tokens'));
  if (target.rows[0].valid_admin) {
    const others = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM api_tokens WHERE ${VALID_ADMIN} AND id <> $1`, [id]);
    if (!others.rows[0]?.n) {
      throw conflict(
        id,
        `"${target.rows[0].name}" is the last valid Full Administrator token: the site must keep at least one, or nobody could administer it`,
        'create another Full Administrator token first, then revoke this one',
        nextSteps('create-token'),
      );
    }
  }
  const { rows } = await db.query<TokenRow>(
    `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1
     RETURNING id, name, role, created_at, created_by, expires_at, revoked_at`,
    [id],
  );
  await audit(db, actor, 'revoke', 'token', id, { name: rows[0]!.name });
  // Delivered when the transaction commits, to every server process listening on this database
  // (token-cache.ts); the caller also calls tokensChanged(db) for this process's caches.
  await db.query('SELECT pg_notify($1, $2)', [TOKEN_CHANNEL, id]);
  return toInfo(rows[0]!);
}

/** The token's hash from an Authorization header, or a 401 that says what is wrong with the header. */
export function bearerTokenHash(authorization: string | undefined): string {
  if (!authorization) {
    throw new SiteError('unauthenticated', {
      input: 'Authorization',
      rule: 'the request has no API token',
      hint: 'give an API token with the request; an administrator creates tokens',
      details: nextSteps('give-token', 'create-token'),
    });
  }
  const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!m || !m[1]!.startsWith(TOKEN_PREFIX)) {
    throw new SiteError('unauthenticated', {
      input: 'Authorization',
      rule: 'the header is not "Bearer osd_…"',
      hint: 'give the API token as a bearer token',
      details: nextSteps('give-token'),
    });
  }
  return hashToken(m[1]!);
}

/** What authentication needs of a token's row (kept in memory by token-cache.ts). */
export interface TokenRecord {
  id: string;
  name: string;
  role: string;
  /** Milliseconds since the epoch, or null for a token that does not expire. */
  expiresAt: number | null;
  revoked: boolean;
}

/** The token with this hash as authentication needs it, or undefined when there is none. */
export async function findTokenRecord(db: Queryable, tokenHash: string): Promise<TokenRecord | undefined> {
  const { rows } = await db.query<TokenRow>(
    'SELECT id, name, role, created_at, created_by, expires_at, revoked_at FROM api_tokens WHERE token_hash = $1',
    [tokenHash],
    { name: 'osd_token_by_hash' },
  );
  const row = rows[0];
  return row && { id: row.id, name: row.name, role: row.role, expiresAt: row.expires_at?.getTime() ?? null, revoked: row.revoked_at !== null };
}

/** The actor of a token that works now (`now` in ms), or a 401 that says why it does not. */
export function actorOf(record: TokenRecord | undefined, now: number = Date.now()): Actor {
  if (!record)
    throw new SiteError('unauthenticated', {
      input: 'Authorization',
      rule: 'the token is not valid',
      hint: 'check for a typo, or ask an administrator for a new token',
    });
  if (record.revoked)
    throw new SiteError('unauthenticated', {
      input: 'Authorization',
      rule: `the token "${record.name}" was revoked`,
      hint: 'ask an administrator for a new token',
    });
  if (record.expiresAt !== null && record.expiresAt <= now) {
    throw new SiteError('unauthenticated', {
      input: 'Authorization',
      rule: `the token "${record.name}" expired at ${new Date(record.expiresAt).toISOString()}`,
      hint: 'ask an administrator for a new token',
    });
  }
  if (!isRole(record.role))
    throw new SiteError('unauthenticated', {
      input: 'Authorization',
      rule: `the token has an unknown role "${record.role}"`,
      hint: 'revoke it and create a new one',
    });
  return { tokenId: record.id, name: record.name, role: record.role };
}

/**
 * The actor behind an Authorization header, or a 401 that says what is wrong, read from the
 * database. The admin API authenticates through a TokenCache (token-cache.ts) instead.
 */
export async function authenticate(db: Queryable, authorization: string | undefined): Promise<Actor> {
  return actorOf(await findTokenRecord(db, bearerTokenHash(authorization)));
}

/** Who is asking, as the console needs it: the token, its role and every permission the role has. */
export interface Caller {
  tokenId: string;
  name: string;
  role: Role;
  roleName: string;
  permissions: Permission[];
  expiresAt: string | null;
}

export async function describeCaller(db: Queryable, actor: Actor): Promise<Caller> {
  const { rows } = await db.query<{ expires_at: Date | null }>('SELECT expires_at FROM api_tokens WHERE id = $1', [actor.tokenId]);
  return {
    tokenId: actor.tokenId,
    name: actor.name,
    role: actor.role,
    roleName: ROLE_NAMES[actor.role],
    permissions: permissionsOf(actor.role),
    expiresAt: rows[0]?.expires_at?.toISOString() ?? null,
  };
}
