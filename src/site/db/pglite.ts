/**
 * The embedded database: PGlite in a data directory. One process owns the directory (PGlite is
 * single-connection), so transactions are serialised by PGlite itself.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import type { Database, Queryable, QueryResult } from './database.js';
import { processAlive } from '../../storage/process-alive.js';
import { inUse } from '../errors.js';
import { START_UP_INPUT } from '../start-up-inputs.js';

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

/**
 * PGlite is one process's database: a second process writing the same folder would corrupt it.
 * A lock file with the owner's pid keeps a second server out; a lock left by a process that died
 * (killed, power cut) is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  // Beside the folder, not in it: PGlite's initdb wants an empty folder.
  const lock = `${dataDir.replace(/[\\/]+$/, '')}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(lock, 'utf8').trim());
      if (processAlive(pid)) {
        throw inUse(
          START_UP_INPUT.dataFolder,
          `the embedded database in ${dataDir} is in use by process ${pid}`,
          'one server at a time uses an embedded database: stop the other one, or run several servers on PostgreSQL',
        );
      }
      rmSync(lock, { force: true });
    }
  }
  throw new Error(`cannot lock the embedded database in ${dataDir}`);
}

export async function openPglite(dataDir: string | undefined, template?: Blob | File): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const unlock = dataDir ? lockDataDir(dataDir) : () => {};
  let db: PGlite;
  try {
    db = await PGlite.create({
      ...(dataDir ? { dataDir } : {}),
      ...(template ? { loadDataDir: template } : {}),
      parsers,
    });
  } catch (e) {
    unlock();
    throw e;
  }
  const base = wrap(db);
  const database: Database & { inner: PGlite } = {
    inner: db,
    kind: 'pglite',
    location: dataDir ?? 'memory',
    query: base.query,
    exec: base.exec,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: async () => {
      try {
        await db.close();
      } finally {
        unlock();
      }
    },
  };
  return database;
}

/** A dump of a migrated in-memory database, to clone per test (creating one costs 3–5 s). */
export async function dumpPglite(db: Database): Promise<Blob> {
  const inner = (db as unknown as { inner?: PGlite }).inner;
  if (!inner) throw new Error('dumpPglite needs a database opened by openPglite');
  return inner.dumpDataDir('none');
}
