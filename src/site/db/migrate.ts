/**
 * Brings a database to the schema this build knows, on every start. Each migration runs in its
 * own transaction together with its row in schema_migrations, so a crash never leaves a migration
 * half-applied. On PostgreSQL several servers may start at once: an advisory lock lets one migrate
 * while the others wait.
 */
import { OsdError } from '../../common/errors.js';
import { START_UP_INPUT } from '../start-up-inputs.js';
import type { Database } from './database.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

/** pg_advisory_lock key: "OSDM" */
const LOCK_KEY = 0x4f53444d;

/** A database a newer OpenOSD has used: this one cannot know its schema (a conflict with its state). */
export class SchemaTooNewError extends OsdError {
  constructor(
    readonly location: string,
    readonly found: number,
    readonly known: number,
    embedded = false,
  ) {
    super('conflict', {
      input: embedded ? START_UP_INPUT.dataFolder : START_UP_INPUT.database,
      rule: `the database ${location} has schema version ${found}, newer than this OpenOSD knows (${known}): a newer OpenOSD has used it`,
      hint: 'upgrade OpenOSD, or open another database',
    });
    this.name = 'SchemaTooNewError';
  }
}

export interface MigrationReport {
  from: number;
  to: number;
  applied: string[];
}

export async function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  });
  const { rows } = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  const from = Number(rows[0]?.v ?? 0);
  const known = migrations.length ? migrations[migrations.length - 1]!.version : 0;
  if (from > known) throw new SchemaTooNewError(db.location, from, known, db.kind === 'pglite');
  const applied: string[] = [];
  for (const m of migrations) {
    if (m.version <= from) continue;
    // The transaction-scoped lock is held on the transaction's own connection (a pool would hand
    // a session lock and its unlock to different connections); the version is re-read under it.
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
      const r = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
      if (r.rows.length) return false;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      return true;
    });
    if (done) applied.push(`${m.version}-${m.name}`);
  }
  return { from, to: Math.max(from, known), applied };
}
