/**
 * Sites for tests, on both databases: PGlite (cloned from a migrated template made once per worker,
 * because creating one costs seconds) and a fresh database in the run's throw-away PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../../src/site/db/database.js';
import { migrate } from '../../../src/site/db/migrate.js';
import { dumpPglite, openPglite } from '../../../src/site/db/pglite.js';
import { openPostgres } from '../../../src/site/db/postgres.js';
import { openSite, type Site } from '../../../src/site/site.js';
import { createToken } from '../../../src/site/security/tokens.js';
import { SYSTEM_ACTOR, type Role } from '../../../src/site/security/roles.js';
import { createAdminApi } from '../../../src/server/api/app.js';

export type DbKind = 'pglite' | 'postgres';
export const DB_KINDS: readonly DbKind[] = ['pglite', 'postgres'];

let template: Promise<Blob> | undefined;

async function pgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const db = await openPglite(undefined);
    await migrate(db);
    const dump = await dumpPglite(db);
    await db.close();
    return dump;
  })();
  return template;
}

let counter = 0;

/** A new, empty, migrated database of the given kind. */
export async function openTestDatabase(kind: DbKind): Promise<Database> {
  if (kind === 'pglite') return openPglite(undefined, await pgliteTemplate());
  const adminUrl = inject('postgresUrl');
  const name = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return openPostgres(url.toString());
}

export function postgresUrlFor(database: string): string {
  const url = new URL(inject('postgresUrl'));
  url.pathname = `/${database}`;
  return url.toString();
}

export interface TestSite {
  site: Site;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * Tests keep their package sources in folders of their own under the system's temporary folder,
 * so that is the test sites' source root (a real site's default is `<data>/sources`).
 */
export interface TestSiteOptions {
  siteCode?: string;
  /** Default: the system's temporary folder; [] gives the site's default (<data>/sources). */
  sourceRoots?: string[];
  maxImportBytes?: number;
  minFreeBytes?: number;
}

export async function openTestSite(kind: DbKind, options: TestSiteOptions = {}): Promise<TestSite> {
  const dataDir = mkdtempSync(join(tmpdir(), `openosd-site-${kind}-`));
  const database = await openTestDatabase(kind);
  const site = await openSite({
    dataDir,
    database,
    siteCode: options.siteCode,
    sourceRoots: options.sourceRoots ?? [tmpdir()],
    maxImportBytes: options.maxImportBytes,
    minFreeBytes: options.minFreeBytes,
  });
  return {
    site,
    dataDir,
    async close() {
      await site.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ApiResponse<T = any> {
  status: number;
  json: T;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface TestApi extends TestSite {
  app: FastifyInstance;
  tokens: Record<Role, string>;
  /** Calls the API through Fastify's inject (no socket). Token defaults to the Full Administrator's. */
  call<T = any>(
    method: string,
    path: string,
    options?: { token?: string | null; body?: unknown; headers?: Record<string, string>; payload?: string | Buffer },
  ): Promise<ApiResponse<T>>;
}

export async function startTestApi(kind: DbKind, options: { maxUploadBytes?: number; maxBodyBytes?: number } & TestSiteOptions = {}): Promise<TestApi> {
  const ts = await openTestSite(kind, options);
  const app = await createAdminApi(ts.site, options);
  const tokens = {} as Record<Role, string>;
  for (const role of ['full-administrator', 'osd-manager', 'read-only-analyst'] as const) {
    tokens[role] = (await createToken(ts.site.db, SYSTEM_ACTOR, { name: `test ${role}`, role })).token;
  }
  return {
    ...ts,
    app,
    tokens,
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      const token = opts.token === undefined ? tokens['full-administrator'] : opts.token;
      if (token) headers.authorization = `Bearer ${token}`;
      const res = await app.inject({
        method: method as 'GET',
        url: path,
        headers,
        ...(opts.payload !== undefined ? { payload: opts.payload } : opts.body !== undefined ? { payload: opts.body as object } : {}),
      });
      let json: unknown;
      try {
        json = res.json();
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, json, body: res.body, headers: res.headers } as ApiResponse;
    },
    async close() {
      await app.close();
      await ts.close();
    },
  };
}
