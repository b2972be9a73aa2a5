/** The embedded database's folder lock, and migrations on both databases. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { migrate, SchemaTooNewError } from '../../src/site/db/migrate.js';
import { MIGRATIONS } from '../../src/site/db/migrations/index.js';
import { openDatabase } from '../../src/site/db/open.js';
import { openPglite } from '../../src/site/db/pglite.js';
import { openPostgres } from '../../src/site/db/postgres.js';
import { DB_KINDS, openTestDatabase } from './helpers/site.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('the embedded database folder', () => {
  it('is used by one process at a time; a lock left by a dead process is taken over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openosd-pglite-lock-'));
    dirs.push(dir);
    const db = join(dir, 'db');
    const first = await openPglite(db);
    await expect(openPglite(db)).rejects.toThrow(/in use by process \d+/);
    // A member of the error family: a conflict about the site's data folder, in the site's words.
    await expect(openPglite(db)).rejects.toMatchObject({ kind: 'conflict', input: 'data folder', hint: expect.not.stringMatching(/--/) });
    await first.close();
    // A server killed with SIGKILL leaves its lock behind; the pid is gone.
    writeFileSync(`${db}.lock`, '999999999\n');
    const second = await openPglite(db);
    expect((await second.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await second.close();
  });
});

describe.each(DB_KINDS)('migrations on %s', (kind) => {
  it('are applied once, and a schema newer than the program is refused', async () => {
    const db = await openTestDatabase(kind);
    try {
      await migrate(db); // the PostgreSQL test database starts empty, the PGlite one migrated
      const again = await migrate(db);
      expect(again).toEqual({ from: MIGRATIONS.length, to: MIGRATIONS.length, applied: [] });
      const next = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: 'future', sql: 'CREATE TABLE future_thing (id int)' }];
      expect((await migrate(db, next)).applied).toEqual([`${MIGRATIONS.length + 1}-future`]);
      await expect(migrate(db)).rejects.toBeInstanceOf(SchemaTooNewError);
      await expect(migrate(db)).rejects.toMatchObject({
        kind: 'conflict',
        input: kind === 'postgres' ? 'database' : 'data folder',
        rule: expect.stringMatching(/newer than this OpenOSD knows/),
      });
    } finally {
      await db.close();
    }
  });
});

describe('a PostgreSQL database that cannot be opened', () => {
  it('is unavailable when nothing answers, bad input when the server refuses the URL, and not a postgres:// URL is bad input', async () => {
    await expect(openPostgres('postgres://osd@127.0.0.1:1/nothing')).rejects.toMatchObject({
      kind: 'unavailable',
      input: 'database',
      rule: expect.stringMatching(/^cannot connect to the database postgres:\/\/osd@127\.0\.0\.1:1\/nothing/),
    });
    const url = new URL(inject('postgresUrl'));
    url.pathname = '/no_such_database_here';
    await expect(openPostgres(url.toString())).rejects.toMatchObject({ kind: 'bad-input', input: 'database', hint: expect.stringMatching(/database name/) });
    await expect(openDatabase({ url: 'mysql://x@y/z' })).rejects.toMatchObject({
      kind: 'bad-input',
      input: 'database',
      rule: expect.stringMatching(/only postgres:\/\/ and postgresql:\/\/ URLs/),
    });
  });
});
