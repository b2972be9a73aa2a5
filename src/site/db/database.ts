/**
 * The one small interface the site's services use to talk to their database. Two adapters speak
 * the same SQL: PGlite (PostgreSQL in WebAssembly, in a data directory: the embedded default,
 * nothing to install) and PostgreSQL through `pg` (scale-out: several servers, one database).
 * toolchain.md §4: write PostgreSQL-15-compatible SQL (PGlite is PG 18, Debian's server is PG 15).
 */

export interface QueryResult<T> {
  rows: T[];
  /** Rows inserted, updated or deleted by the statement (0 for a SELECT on PGlite). */
  rowCount: number;
}

/** How a statement is sent. */
export interface QueryOptions {
  /**
   * A name for a statement run very often (the management point's hot paths): PostgreSQL parses and
   * plans it once per connection and keeps it prepared; the same name must always carry the same
   * SQL. PGlite, in the process, takes it as an unnamed statement.
   */
  name?: string;
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<T>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export type DatabaseKind = 'pglite' | 'postgres';

export interface Database extends Queryable {
  readonly kind: DatabaseKind;
  /** Where it lives, for messages: the data directory or the URL without its password. */
  readonly location: string;
  /**
   * Runs `fn` in one transaction: every statement commits together or none does (a server
   * killed half-way leaves nothing half-written). Rolled back if `fn` throws.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * PostgreSQL only: LISTEN on `channel` over a dedicated connection of its own (not one of the
   * pool's). `onNotify` gets each notification's payload; `onEnd` is called once if the connection
   * fails or closes, after which nothing more arrives (the caller listens again to resume).
   * Resolves once the LISTEN is in place, with the function that stops it.
   */
  listen?(channel: string, onNotify: (payload: string) => void, onEnd: (error?: Error) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** A URL with its password replaced, safe for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '********';
    return u.toString();
  } catch {
    return '<unparseable database URL>';
  }
}
