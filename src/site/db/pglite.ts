/**
 * The embedded database: PGlite in a data directory. One process owns the directory (PGlite is
 * single-connection), so transactions are serialised by PGlite itself.
 */
import { mkdirSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import type { Database, Queryable, QueryResult } from './database.js';

/** int8 and numeric columns come back as JS numbers on both adapters (sizes fit in 2^53). */
const parsers = {
  [types.INT8]: (v: string) => Number(v),
  [types.NUMERIC]: (v: string) => Number(v),
};

function wrap(q: Pick<PGlite, 'query' | 'exec'>): Queryable {
  return {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      const r = await q.query<T>(sql, params as unknown[]);
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await q.exec(sql);
    },
  };
}

export async function openPglite(dataDir: string | undefined, template?: Blob | File): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    ...(template ? { loadDataDir: template } : {}),
    parsers,
  });
  const base = wrap(db);
  const database: Database & { inner: PGlite } = {
    inner: db,
    kind: 'pglite',
    location: dataDir ?? 'memory',
    query: base.query,
    exec: base.exec,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: () => db.close(),
  };
  return database;
}

/** A dump of a migrated in-memory database, to clone per test (creating one costs 3–5 s). */
export async function dumpPglite(db: Database): Promise<Blob> {
  const inner = (db as unknown as { inner?: PGlite }).inner;
  if (!inner) throw new Error('dumpPglite needs a database opened by openPglite');
  return inner.dumpDataDir('none');
}
