/**
 * Getting back into a site nobody can administer: every Full Administrator token revoked (the API
 * refuses to revoke the last one, but a database edited by hand or a restored backup can still
 * get there) or expired (an expiry is not refused: the only administrator token expiring locks the
 * site out as surely as revoking it).
 *
 * `osd token recover` runs on the server machine and opens the site's database directly, not
 * through the API. Access to the database alone is not enough: the caller must also hold the
 * site's key file (checked against the key check value the site stored at first start), which
 * proves file-system access to the site's secrets. It creates a new Full Administrator token,
 * writes it to `<data>/admin.token` (0600) and records the recovery in the audit log.
 *
 * The embedded database is one process's at a time (`<data>/db.lock`): recovery is refused while
 * a live `osd server` holds it. On PostgreSQL it works while servers run.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { Database } from '../db/database.js';
import { MIGRATIONS } from '../db/migrations/index.js';
import { openPglite } from '../db/pglite.js';
import { openPostgres } from '../db/postgres.js';
import { badInput, inUse, SiteError } from '../errors.js';
import { START_UP_INPUT } from '../start-up-inputs.js';
import { getSetting } from '../settings.js';
import { ADMIN_TOKEN_FILE, writeTokenFile } from './bootstrap.js';
import type { Actor } from './roles.js';
import { KEY_CHECK_PLAINTEXT, SecretBox, SecretKeyError } from './secret-box.js';
import { createToken, TOKEN_LOCK_KEY, type TokenInfo } from './tokens.js';

export interface RecoverOptions {
  /** The site's data directory (PGlite database, key file, where admin.token is written). */
  dataDir: string;
  /** PostgreSQL URL; without it the embedded database in `<dataDir>/db`. */
  databaseUrl?: string;
  /** The site's key file (default `<dataDir>/site.key`). */
  keyFile?: string;
  /** The new token's name (default "recovered administrator"). */
  name?: string;
}

export interface RecoverResult {
  token: string;
  info: TokenInfo;
  /** Where the token was written (mode 0600). */
  file: string;
}

export const RECOVERY_NOTE = 'recovered by the server machine';

function who(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

async function openSiteDatabase(dataDir: string, databaseUrl: string | undefined): Promise<Database> {
  if (databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(databaseUrl))
      throw badInput(
        START_UP_INPUT.database,
        'only postgres:// and postgresql:// URLs are supported',
        'give no URL for a site on the embedded database in its data folder',
      );
    // A refused or unreachable database says so itself (bad input or unavailable, naming the database).
    return await openPostgres(databaseUrl, { maxConnections: 2 });
  }
  const dbDir = join(dataDir, 'db');
  if (!existsSync(dbDir) || !readdirSync(dbDir).length) {
    throw badInput(
      START_UP_INPUT.dataFolder,
      `${dataDir} holds no embedded site database (no ${dbDir})`,
      'give the data folder the site server uses, or the database URL of a site on PostgreSQL',
    );
  }
  try {
    return await openPglite(dbDir);
  } catch (e) {
    if (e instanceof SiteError && e.code === 'in-use') {
      throw inUse(
        START_UP_INPUT.dataFolder,
        e.rule,
        'stop that site server first: the embedded database can be opened by one process at a time; recover, then start the server again',
      );
    }
    throw badInput(START_UP_INPUT.dataFolder, `cannot open the embedded database in ${dbDir}: ${(e as Error).message}`);
  }
}

/** Creates a new Full Administrator token after checking the caller holds the site's key file. */
export async function recoverAdminToken(options: RecoverOptions): Promise<RecoverResult> {
  const dataDir = resolve(options.dataDir);
  if (!existsSync(dataDir) || !statSync(dataDir).isDirectory()) {
    throw badInput(START_UP_INPUT.dataFolder, `${dataDir} is not a folder`, "give the site's data folder (the one holding site.key and admin.token)");
  }
  const keyFile = resolve(options.keyFile ?? join(dataDir, 'site.key'));
  const keyHint = "recovery needs the key file the site was created with (by default site.key in its data folder): it proves access to the site's secrets";
  if (!existsSync(keyFile)) throw badInput(START_UP_INPUT.keyFile, `${keyFile} does not exist`, keyHint);
  let secrets: SecretBox;
  try {
    secrets = SecretBox.open(keyFile, { create: false });
  } catch (e) {
    if (e instanceof SecretKeyError) throw e;
    throw badInput(START_UP_INPUT.keyFile, `${keyFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, keyHint);
  }
  const db = await openSiteDatabase(dataDir, options.databaseUrl);
  try {
    const schema = await db.query<{ v: number | null }>(
      `SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN NULL ELSE (SELECT max(version) FROM schema_migrations) END AS v`,
    );
    const version = schema.rows[0]?.v ?? null;
    const where = options.databaseUrl ? START_UP_INPUT.database : START_UP_INPUT.dataFolder;
    if (version === null) throw badInput(where, `${db.location} is not a site database (it has no schema)`, 'give the database the site server uses');
    const known = MIGRATIONS[MIGRATIONS.length - 1]!.version;
    if (version > known)
      throw badInput(
        where,
        `the database ${db.location} has schema version ${version}, newer than this OpenOSD knows (${known})`,
        'run the recovery with the OpenOSD version the site servers run',
      );
    const keyCheck = await getSetting<string>(db, 'secret_key_check');
    if (keyCheck === undefined)
      throw badInput(
        where,
        `${db.location} holds no site yet (it was never started)`,
        'start the site server once: a new site writes its first administrator token itself',
      );
    let matches = false;
    try {
      matches = secrets.open(keyCheck) === KEY_CHECK_PLAINTEXT;
    } catch {
      matches = false;
    }
    if (!matches) throw badInput(START_UP_INPUT.keyFile, `${keyFile}: the key does not match this site`, keyHint);

    const host = hostname();
    const actor: Actor = { tokenId: 'recovery', name: `recovery on ${host}`, role: 'full-administrator' };
    const file = join(dataDir, ADMIN_TOKEN_FILE);
    return await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [TOKEN_LOCK_KEY]);
      const { token, info } = await createToken(
        tx,
        actor,
        { name: options.name ?? 'recovered administrator', role: 'full-administrator' },
        { action: 'recover', details: { note: RECOVERY_NOTE, host, user: who() } },
      );
      // Written before the commit: if the file cannot be written, no token nobody knows is left behind.
      try {
        writeTokenFile(file, token);
      } catch (e) {
        throw badInput(
          START_UP_INPUT.dataFolder,
          `cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
          "run the recovery as the user that owns the site's data folder",
        );
      }
      return { token, info, file };
    });
  } finally {
    await db.close().catch(() => {});
  }
}
