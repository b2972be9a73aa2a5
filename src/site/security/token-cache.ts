/**
 * The admin API's authentication from memory (issue 16 item 3): token hash → the token's record
 * (id, name, role, expiry, revoked), so a request with a known token costs a SHA-256 and a Map
 * lookup, not a database query. docs/security.md "Token cache" has the design; in short:
 *
 * - Expiry is checked at every request against the clock (the record holds the expiry time).
 * - A revocation in this process is honoured at once: the route calls tokensChanged(db) after the
 *   revoking transaction commits, which empties every cache of this process on that database.
 * - A revocation by another process sharing PostgreSQL (another server, `osd` on the server
 *   machine, an administrator's SQL) is honoured within one second:
 *     1. revokeToken sends NOTIFY osd_api_tokens in its transaction; each cache LISTENs on a
 *        dedicated connection and empties itself when a notification arrives (milliseconds);
 *     2. a cheap check reads a fingerprint of the whole api_tokens table (md5 of every row's id,
 *        role, hash, expiry and revocation: the table holds a handful of rows) every 500 ms
 *        (250 ms while the notification connection is down) and empties the cache when it changed,
 *        which also catches changes no NOTIFY announced (SQL by hand);
 *     3. the guarantee itself does not rest on either arriving: a cached record is used only while
 *        it or the last completed check was read less than TRUST_MS ago (a check started at time T
 *        has seen every commit before T). When the checks stall (database unreachable, pool
 *        saturated), requests read the database again, as without a cache.
 * - A lookup that started before an invalidation does not put its (possibly stale) row in the
 *   cache (an epoch counter), so a revocation cannot be undone by a request in flight.
 * - On PGlite one process owns the data folder (db.lock, pglite.ts): nobody else can revoke a
 *   token while the server runs, so the in-process invalidation is all there is to it.
 * - Unknown tokens are not cached: a wrong token costs a query, as before (no memory to exhaust).
 */
import type { Database } from '../db/database.js';
import type { Actor } from './roles.js';
import { actorOf, bearerTokenHash, findTokenRecord, TOKEN_CHANNEL, type TokenRecord } from './tokens.js';

/** A cached record is used for at most this long after it, or the last completed check, was read. */
export const TRUST_MS = 900;

interface Entry {
  record: TokenRecord;
  /** When the read that gave this record started (performance.now() ms). */
  readAt: number;
}

export interface TokenCacheOptions {
  /** Milliseconds between two checks while notifications arrive (default 500). */
  checkMs?: number;
  /** Milliseconds between two checks while the notification connection is down (default 250). */
  checkMsUnlistened?: number;
  /** Most tokens held (default 10,000); the oldest entry goes first. */
  maxEntries?: number;
  /** The wall clock for expiry, ms since the epoch (tests). */
  now?: () => number;
  /** A problem of the watch (notification connection lost, a check failed): for the server log. */
  onProblem?: (message: string) => void;
}

/** Every cache of this process, by database: tokensChanged(db) reaches them all. */
const cachesOf = new WeakMap<Database, Set<TokenCache>>();

/** Call after a transaction that changed tokens has committed: this process's caches on `db` forget what they hold. */
export function tokensChanged(db: Database): void {
  for (const cache of cachesOf.get(db) ?? []) cache.invalidate();
}

const FINGERPRINT_SQL = `SELECT coalesce(md5(string_agg(
    id || '|' || role || '|' || token_hash || '|' || coalesce(expires_at::text, '-') || '|' || coalesce(revoked_at::text, '-'),
    ',' ORDER BY id)), '') AS f FROM api_tokens`;

export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<TokenRecord | undefined>>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly problem: (message: string) => void;
  /** Bumped by every invalidation; a lookup caches its row only if the epoch did not move meanwhile. */
  private epoch = 0;
  private fingerprint: string | undefined;
  /** When the last completed check started (performance.now() ms); -Infinity before the first. */
  private checkedAt = Number.NEGATIVE_INFINITY;
  /** Whether records must be re-checked at all: only when another process can change tokens. */
  private readonly shared: boolean;
  private timer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private reconnectDelay = 1000;
  private closed = false;

  constructor(
    private readonly db: Database,
    private readonly options: TokenCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new Error(`maxEntries ${options.maxEntries}: a whole number ≥ 1 is needed`);
    this.now = options.now ?? Date.now;
    this.problem = options.onProblem ?? (() => {});
    this.shared = typeof db.listen === 'function';
    let set = cachesOf.get(db);
    if (!set) cachesOf.set(db, (set = new Set()));
    set.add(this);
  }

  /** Starts watching for changes by other processes (PostgreSQL): the first check, then LISTEN. */
  async start(): Promise<void> {
    if (!this.shared || this.closed) return;
    await this.check();
    await this.listen();
    this.schedule();
  }

  /** The actor behind an Authorization header, or a 401 that says what is wrong. */
  async authenticate(authorization: string | undefined): Promise<Actor> {
    const hash = bearerTokenHash(authorization);
    const hit = this.entries.get(hash);
    if (hit && (!this.shared || Math.max(hit.readAt, this.checkedAt) >= performance.now() - TRUST_MS)) return actorOf(hit.record, this.now());
    return actorOf(await this.load(hash), this.now());
  }

  /** Forgets every record (a token changed). */
  invalidate(): void {
    this.epoch++;
    this.entries.clear();
    this.pending.clear();
  }

  /** How many tokens are held (tests, diagnostics). */
  get size(): number {
    return this.entries.size;
  }

  /** Whether notifications arrive now (tests, diagnostics). */
  get listening(): boolean {
    return this.unlisten !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.reconnectTimer);
    cachesOf.get(this.db)?.delete(this);
    this.invalidate();
    const stop = this.unlisten;
    this.unlisten = undefined;
    await stop?.();
  }

  private load(hash: string): Promise<TokenRecord | undefined> {
    const inFlight = this.pending.get(hash);
    if (inFlight) return inFlight;
    const epoch = this.epoch;
    const readAt = performance.now();
    const p = findTokenRecord(this.db, hash).then(
      (record) => {
        if (this.pending.get(hash) === p) this.pending.delete(hash);
        if (record && epoch === this.epoch && !this.closed) {
          if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
          this.entries.set(hash, { record, readAt });
        }
        return record;
      },
      (e: unknown) => {
        if (this.pending.get(hash) === p) this.pending.delete(hash);
        throw e;
      },
    );
    this.pending.set(hash, p);
    return p;
  }

  /** Reads the fingerprint of api_tokens; a change (or a failure) empties the cache. */
  private async check(): Promise<void> {
    const startedAt = performance.now();
    try {
      const { rows } = await this.db.query<{ f: string }>(FINGERPRINT_SQL, [], { name: 'osd_token_fingerprint' });
      const f = rows[0]?.f ?? '';
      if (this.fingerprint !== undefined && f !== this.fingerprint) this.invalidate();
      this.fingerprint = f;
      this.checkedAt = startedAt;
    } catch (e) {
      // Not knowing is treated as a change: records read before it are trusted no longer.
      this.invalidate();
      this.problem(`token check failed: ${(e as Error).message}`);
    }
  }

  private schedule(): void {
    if (this.closed) return;
    const ms = this.unlisten ? (this.options.checkMs ?? 500) : (this.options.checkMsUnlistened ?? 250);
    this.timer = setTimeout(() => void this.check().finally(() => this.schedule()), ms);
    this.timer.unref();
  }

  private async listen(): Promise<void> {
    if (this.closed || !this.db.listen) return;
    try {
      const stop = await this.db.listen(
        TOKEN_CHANNEL,
        () => this.invalidate(),
        (e) => this.lost(e),
      );
      if (this.closed) {
        await stop();
        return;
      }
      this.unlisten = stop;
      this.reconnectDelay = 1000;
      // Notifications sent while nobody listened are lost: start from nothing.
      this.invalidate();
    } catch (e) {
      this.problem(`token notifications: cannot listen (${(e as Error).message}); checking every ${this.options.checkMsUnlistened ?? 250} ms`);
      this.retryListen();
    }
  }

  private lost(e?: Error): void {
    this.unlisten = undefined;
    if (this.closed) return;
    this.invalidate();
    this.problem(
      `token notifications: connection lost${e ? ` (${e.message})` : ''}; checking every ${this.options.checkMsUnlistened ?? 250} ms until it is back`,
    );
    this.retryListen();
  }

  private retryListen(): void {
    if (this.closed) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.listen(), this.reconnectDelay);
    this.reconnectTimer.unref();
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, 10_000);
  }
}
