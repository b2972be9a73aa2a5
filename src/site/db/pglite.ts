/**
 * The embedded database: PGlite in a data directory. One process owns the directory (PGlite is
 * single-connection), so transactions are serialised by PGlite itself.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { parse, PGlite, protocol, types } from '@electric-sql/pglite';
import type { Database, Queryable, QueryOptions, QueryResult } from './database.js';
import { processAlive } from '../../storage/process-alive.js';
import { inUse } from '../errors.js';
import { START_UP_INPUT } from '../start-up-inputs.js';

/** int8 and numeric columns come back as JS numbers on both adapters (sizes fit in 2^53). */
const parsers = {
  [types.INT8]: (v: string) => Number(v),
  [types.NUMERIC]: (v: string) => Number(v),
};

/**
 * A parameter written as an SQL literal for EXECUTE, or undefined when it has no safe literal form
 * (the statement then goes the ordinary way). A quoted literal is of unknown type and goes through
 * the parameter type's input function, as a text parameter of the extended protocol does.
 */
function literal(v: unknown): string | undefined {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') return Number.isFinite(v) ? `'${String(v)}'` : undefined;
  if (typeof v === 'bigint') return `'${v.toString()}'`;
  if (typeof v === 'boolean') return v ? "'t'" : "'f'";
  // No NUL (not text in PostgreSQL) and no backslash (special when standard_conforming_strings is
  // off): such a value goes the ordinary way, so the literal means the same whatever the setting.
  if (typeof v === 'string') return /[\0\\]/.test(v) ? undefined : `'${v.replaceAll("'", "''")}'`;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : `'${v.toISOString()}'`;
  return undefined;
}

const STATEMENT_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Named statements (QueryOptions.name, the hot paths) are PREPAREd once on PGlite's one session and
 * then run by EXECUTE (simple protocol), which skips parsing and planning: a device read costs a
 * third of the CPU (issue 16 item 3). They are prepared outside transactions only (a transaction
 * holds PGlite's one session; a statement not yet prepared runs the ordinary way inside one), and
 * only when every parameter has a literal form.
 */
function wrap(
  q: Pick<PGlite, 'query' | 'exec'>,
  prepared: Map<string, Promise<boolean>>,
  canPrepare: boolean,
  execute: (sql: string) => Promise<{ rows: unknown[]; affectedRows?: number }> = async (sql) => (await q.exec(sql)).at(-1)!,
): Queryable {
  return {
    async query<T>(sql: string, params: readonly unknown[] = [], options: QueryOptions = {}): Promise<QueryResult<T>> {
      const name = options.name;
      if (name && STATEMENT_NAME.test(name) && (canPrepare || prepared.has(name))) {
        const literals = params.map(literal);
        if (literals.every((l) => l !== undefined)) {
          let ready = prepared.get(name);
          if (!ready) {
            // A statement PREPARE refuses runs the ordinary way (which reports its error, if any).
            ready = q.exec(`PREPARE ${name} AS ${sql}`).then(
              () => true,
              () => false,
            );
            prepared.set(name, ready);
          }
          if (await ready) {
            // The simple protocol: one round into PGlite, where query() takes two (describe, then execute).
            const r = await execute(literals.length ? `EXECUTE ${name}(${literals.join(', ')})` : `EXECUTE ${name}`);
            return { rows: r.rows as T[], rowCount: r.affectedRows ?? r.rows.length };
          }
        }
      }
      const r = await q.query<T>(sql, params as unknown[]);
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await q.exec(sql);
    },
  };
}

/**
 * An EXECUTE on PGlite's session outside a transaction in one round into PGlite: what exec() does
 * (both of PGlite's locks, the statement, its results parsed with the instance's parsers, the file
 * system synced) without its second round — a Sync after the simple Query, which already ends with
 * ReadyForQuery — and its COPY blob handling (EXECUTE has no COPY). A device read costs ~12 µs less
 * CPU of ~200 (5 %; issue 16 item 3). Inside a transaction the statement goes through the transaction's exec.
 */
async function executeOnce(db: PGlite, sql: string): Promise<{ rows: unknown[]; affectedRows?: number }> {
  await db._checkReady(); // "PGlite is closed", as exec() says it
  return db._runExclusiveTransaction(() =>
    db._runExclusiveQuery(async () => {
      const { messages } = await db.execProtocol(protocol.serialize.query(sql));
      return parse.parseResults(messages, db.parsers).at(-1)!;
    }),
  );
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
  const prepared = new Map<string, Promise<boolean>>();
  const base = wrap(db, prepared, true, (sql) => executeOnce(db, sql));
  const database: Database & { inner: PGlite } = {
    inner: db,
    kind: 'pglite',
    location: dataDir ?? 'memory',
    query: base.query,
    exec: base.exec,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx, prepared, false))),
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
