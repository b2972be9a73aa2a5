/**
 * Named statements (QueryOptions.name) answer exactly what the same statement answers unnamed, on
 * both databases. On PGlite they are PREPAREd once and run by EXECUTE with the parameters written as
 * literals (src/site/db/pglite.ts): quotes, backslashes and other text must arrive unchanged, and a
 * value with no literal form (NUL, an array) goes the ordinary way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/site/db/database.js';
import { DB_KINDS, openTestDatabase } from './helpers/site.js';

describe.each(DB_KINDS)('named statements on %s', (kind) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(kind);
    await db.exec('CREATE TABLE named_t (id bigint PRIMARY KEY, t text, b boolean, at timestamptz, n numeric)');
  });
  afterAll(async () => db?.close());

  const INSERT = 'INSERT INTO named_t (id, t, b, at, n) VALUES ($1, $2, $3, $4, $5) RETURNING id, t, b, at, n';
  const SELECT = 'SELECT id, t, b, at, n FROM named_t WHERE id = $1';

  it('stores and reads text, booleans, times, numbers and NULL unchanged', async () => {
    const values: unknown[][] = [
      [1, "it's a 'quote'", true, new Date('2026-12-07T20:00:00.123Z'), 1.5],
      [2, "back\\slash \\' and $1 and -- comment; DROP TABLE named_t", false, null, -42],
      [3, 'ünïcødé ✓ \n newline \t tab', null, new Date(0), 12345678901234],
      [4, '', true, null, null],
    ];
    for (const v of values) {
      const named = await db.query<Record<string, unknown>>(INSERT, v, { name: 'osd_test_named_insert' });
      expect(named.rows[0]).toEqual({ id: v[0], t: v[1], b: v[2], at: v[3], n: v[4] });
      const read = await db.query(SELECT, [v[0]], { name: 'osd_test_named_select' });
      const plain = await db.query(SELECT, [v[0]]);
      expect(read.rows).toEqual(plain.rows);
    }
    expect((await db.query('SELECT count(*)::int AS n FROM named_t')).rows[0]).toEqual({ n: 4 });
    // PGlite keeps them prepared on its one session; PostgreSQL per pooled connection (pg's own).
    if (kind === 'pglite') {
      const names = (await db.query<{ name: string }>('SELECT name FROM pg_prepared_statements')).rows.map((r) => r.name);
      expect(names).toEqual(expect.arrayContaining(['osd_test_named_insert', 'osd_test_named_select']));
    }
  });

  it('counts the rows an UPDATE changed, and runs inside a transaction', async () => {
    const r = await db.query('UPDATE named_t SET b = $1 WHERE id < $2', [true, 3], { name: 'osd_test_named_update' });
    expect(r.rowCount).toBe(2);
    const inTx = await db.transaction(async (tx) => {
      const a = await tx.query(SELECT, [1], { name: 'osd_test_named_select' }); // prepared before
      const b = await tx.query('SELECT t FROM named_t WHERE id = $1', [2], { name: 'osd_test_named_in_tx' }); // not yet
      return [a.rows[0], b.rows[0]];
    });
    expect(inTx).toEqual([expect.objectContaining({ id: 1, b: true }), { t: "back\\slash \\' and $1 and -- comment; DROP TABLE named_t" }]);
  });

  it('refuses what the database refuses, named or not (a NUL in text)', async () => {
    const plain = await db.query(SELECT.replace('id = $1', 't = $1'), ['a\0b']).catch((e: { code?: string }) => e.code);
    const named = await db.query(SELECT.replace('id = $1', 't = $1'), ['a\0b'], { name: 'osd_test_named_by_text' }).catch((e: { code?: string }) => e.code);
    expect(named).toEqual(plain);
    // The same statement still works with ordinary text afterwards.
    expect((await db.query(SELECT.replace('id = $1', 't = $1'), [''], { name: 'osd_test_named_by_text' })).rows).toHaveLength(1);
  });

  it('reports an error of a prepared statement as the ordinary way does, and the session goes on', async () => {
    // On PGlite a prepared statement runs in one round (pglite.ts executeOnce): an error must not leave the session waiting.
    const DIVIDE = 'SELECT 1 / $1::int AS q';
    expect((await db.query(DIVIDE, [2], { name: 'osd_test_named_divide' })).rows).toEqual([{ q: 0 }]);
    const plain = await db.query(DIVIDE, [0]).catch((e: { code?: string }) => e.code);
    const named = await db.query(DIVIDE, [0], { name: 'osd_test_named_divide' }).catch((e: { code?: string }) => e.code);
    expect(plain).toBe('22012');
    expect(named).toBe(plain);
    expect((await db.query(DIVIDE, [1], { name: 'osd_test_named_divide' })).rows).toEqual([{ q: 1 }]);
    expect((await db.query('SELECT count(*)::int AS n FROM named_t')).rows[0]).toEqual({ n: 4 });
    // Many at once (the admin API's load): each gets its own answer.
    const ids = [1, 2, 3, 4, 1, 2, 3, 4, 99];
    const rows = await Promise.all(ids.map((id) => db.query<{ id: number }>(SELECT, [id], { name: 'osd_test_named_select' })));
    expect(rows.map((r) => r.rows[0]?.id ?? null)).toEqual([1, 2, 3, 4, 1, 2, 3, 4, null]);
  });
});
