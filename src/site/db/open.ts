/**
 * Opens the site database named by the server's options and brings its schema up to date:
 * `--database postgres://…` for PostgreSQL, otherwise PGlite in `<data>/db`.
 */
import { join } from 'node:path';
import { badInput } from '../errors.js';
import { START_UP_INPUT } from '../start-up-inputs.js';
import type { Database } from './database.js';
import { migrate, type MigrationReport } from './migrate.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';

export interface DatabaseOptions {
  /** The site's data directory (PGlite lives in `<dataDir>/db` unless a URL is given). */
  dataDir?: string;
  /** postgres:// or postgresql:// URL. */
  url?: string;
}

export async function openDatabase(options: DatabaseOptions): Promise<{ db: Database; migration: MigrationReport }> {
  let db: Database;
  if (options.url) {
    if (!/^postgres(ql)?:\/\//.test(options.url)) {
      throw badInput(
        START_UP_INPUT.database,
        `${options.url.split('@').pop()}: only postgres:// and postgresql:// URLs are supported`,
        'give a PostgreSQL URL, or none to use the embedded database in the data folder',
      );
    }
    db = await openPostgres(options.url);
  } else {
    db = await openPglite(options.dataDir ? join(options.dataDir, 'db') : undefined);
  }
  try {
    return { db, migration: await migrate(db) };
  } catch (e) {
    await db.close().catch(() => {});
    throw e;
  }
}
