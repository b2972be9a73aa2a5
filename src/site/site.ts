/**
 * The site: its database, its secret key and its content library, opened together. Services take
 * a Site (or its parts) and an Actor; the HTTP server and the CLI only compose them.
 *
 * Data directory layout: db/ (PGlite, unless a PostgreSQL URL is given), site.key (secret key, 0600),
 * content/ (the content library), admin.token (the first administrator's token, 0600).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Database } from './db/database.js';
import type { MigrationReport } from './db/migrate.js';
import { migrate } from './db/migrate.js';
import { openDatabase } from './db/open.js';
import { ContentStore } from './content/store.js';
import { defaultSourceRoot } from './content/library.js';
import { badInput } from './errors.js';
import { START_UP_INPUT } from './start-up-inputs.js';
import { SITE_CODE_PATTERN } from './ids.js';
import { reservedSiteCodeReason } from '../common/reserved-ids.js';
import { KEY_CHECK_PLAINTEXT, SecretBox, SecretKeyError } from './security/secret-box.js';
import { getSetting, putSetting } from './settings.js';
import { seedSite } from './seed.js';
import { restrictTree, secureDataFolder } from './data-folder.js';

export interface SiteOptions {
  /** The data directory (content library, key file, PGlite database). */
  dataDir: string;
  /** PostgreSQL URL; without it the embedded PGlite database in `<dataDir>/db` is used. */
  databaseUrl?: string;
  /** An already opened database (tests clone a migrated template); migrated here if needed. */
  database?: Database;
  /** Secret key file; default `<dataDir>/site.key`, created on first start. */
  keyFile?: string;
  /** Three-character site code, used on first start only (default PS1). */
  siteCode?: string;
  /**
   * Folders content may be added from by path (ConfigMgr's package source shares). Unset or empty:
   * `<dataDir>/sources` only (created on start). Never the site's own data, /proc, /sys or /dev.
   */
  sourceRoots?: string[];
  /** The largest content import by path, in bytes (default 64 GiB); the library's free space bounds it too. */
  maxImportBytes?: number;
  /** Space the content library leaves free on its disk (default 1 GiB). */
  minFreeBytes?: number;
}

export const DEFAULT_MAX_IMPORT_BYTES = 64 * 1024 ** 3;

export class Site {
  /** What the start-up checks fixed or found (e.g. data files other users could read), for the server to show. */
  readonly warnings: string[] = [];

  constructor(
    readonly db: Database,
    readonly secrets: SecretBox,
    readonly content: ContentStore,
    readonly siteCode: string,
    readonly dataDir: string,
    readonly migration: MigrationReport,
    /** Folders content may be added from by path (real paths are taken per request). */
    readonly sourceRoots: readonly string[],
    readonly maxImportBytes: number = DEFAULT_MAX_IMPORT_BYTES,
  ) {}

  close(): Promise<void> {
    return this.db.close();
  }
}

export async function openSite(options: SiteOptions): Promise<Site> {
  const requestedCode = options.siteCode?.toUpperCase();
  if (requestedCode !== undefined && !SITE_CODE_PATTERN.test(requestedCode)) {
    throw badInput(START_UP_INPUT.siteCode, `"${options.siteCode}" is not a site code`, 'a site code is three letters or digits, e.g. PS1');
  }
  const reserved = options.siteCode === undefined ? undefined : reservedSiteCodeReason(options.siteCode);
  if (reserved) throw badInput(START_UP_INPUT.siteCode, reserved, 'choose another site code, e.g. PS1');
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  // Before the database opens: a data folder others can reach is fixed (or refused) first.
  const permissions = await secureDataFolder(options.dataDir, options.keyFile ? [options.keyFile] : []);
  let db: Database;
  let migration: MigrationReport;
  if (options.database) {
    db = options.database;
    migration = await migrate(db);
  } else {
    ({ db, migration } = await openDatabase({ dataDir: options.dataDir, url: options.databaseUrl }));
    // A new embedded database arrives with files of mode 0666 (PGlite unpacks them so): owner-only.
    if (!options.databaseUrl) await restrictTree(join(options.dataDir, 'db'));
  }
  try {
    const storedCode = await getSetting<string>(db, 'site_code');
    const keyCheck = await getSetting<string>(db, 'secret_key_check');
    const keyFile = options.keyFile ?? join(options.dataDir, 'site.key');
    // A new site creates its key; an existing one must be given the key it was created with.
    const secrets = SecretBox.open(keyFile, { create: keyCheck === undefined });
    if (keyCheck !== undefined) {
      let matches: boolean;
      try {
        matches = secrets.open(keyCheck) === KEY_CHECK_PLAINTEXT;
      } catch {
        matches = false;
      }
      if (!matches) throw new SecretKeyError(keyFile, 'the key does not match this site', 'use the key file the site was created with');
    } else {
      await putSetting(db, 'secret_key_check', secrets.seal(KEY_CHECK_PLAINTEXT));
    }
    const siteCode = storedCode ?? requestedCode ?? 'PS1';
    if (storedCode === undefined) await putSetting(db, 'site_code', siteCode);
    const content = await ContentStore.open(join(options.dataDir, 'content'), { minFreeBytes: options.minFreeBytes });
    let sourceRoots = options.sourceRoots?.map((r) => resolve(r)) ?? [];
    if (sourceRoots.length === 0) {
      sourceRoots = [defaultSourceRoot(options.dataDir)];
      mkdirSync(sourceRoots[0]!, { recursive: true, mode: 0o700 });
    }
    const site = new Site(db, secrets, content, siteCode, options.dataDir, migration, sourceRoots, options.maxImportBytes ?? DEFAULT_MAX_IMPORT_BYTES);
    site.warnings.push(...permissions.warnings);
    await seedSite(site);
    return site;
  } catch (e) {
    if (!options.database) await db.close().catch(() => {});
    throw e;
  }
}
