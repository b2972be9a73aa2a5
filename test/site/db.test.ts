/** The embedded database's folder lock, and migrations on both databases. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, SchemaTooNewError } from '../../src/site/db/migrate.js';
import { MIGRATIONS } from '../../src/site/db/migrations/index.js';
import { openPglite } from '../../src/site/db/pglite.js';
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
    } finally {
      await db.close();
    }
  });
});
