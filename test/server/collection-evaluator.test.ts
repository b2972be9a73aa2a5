/**
 * `osd server` evaluates collection membership incrementally by itself (site-server.ts,
 * COLLECTION_EVALUATION_INTERVAL_MS, as ConfigMgr's Collection Membership Evaluation component):
 * a change no request evaluated — here a device and a collection written with plain SQL, which the
 * triggers of migration 016 record — reaches the membership on the next pass, and the change log
 * is emptied.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startSiteServer } from '../../src/server/site-server.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

it('a change recorded but not evaluated by its request reaches the membership on the next pass', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'openosd-collection-evaluator-'));
  dirs.push(dataDir);
  const server = await startSiteServer({ dataDir, port: 0, collectionEvaluationIntervalMs: 100 });
  try {
    const db = server.site.db;
    await db.query(`INSERT INTO collections (collection_id, name, limiting_collection_id) VALUES ('PS100001', 'HP desktops', 'SMS00001')`);
    await db.query(`INSERT INTO collection_rules (collection_id, kind, query) VALUES ('PS100001', 'query', $1)`, [
      "select * from SMS_R_System where Manufacturer = 'HP'",
    ]);
    const { rows } = await db.query<{ resource_id: string }>(
      `INSERT INTO devices (resource_id, name, mac_addresses, client, properties)
       VALUES (nextval('resource_id_seq'), 'EVAL-PC', '["02:00:00:00:00:01"]'::jsonb, true, '{"manufacturer": "HP"}'::jsonb) RETURNING resource_id::text`,
    );
    const rid = rows[0]!.resource_id;
    // Waits for the pass (every 100 ms here); bounded, so a server that never evaluates fails the test.
    let members: string[] = [];
    for (let i = 0; i < 300 && !members.includes(rid); i++) {
      await new Promise((r) => setTimeout(r, 100));
      members = (await db.query<{ resource_id: string }>(`SELECT resource_id::text FROM collection_members WHERE collection_id = 'PS100001'`)).rows.map(
        (r) => r.resource_id,
      );
    }
    expect(members).toEqual([rid]);
    const counts = await db.query<{ member_count: number }>(`SELECT member_count FROM collections WHERE collection_id = 'PS100001'`);
    expect(Number(counts.rows[0]!.member_count)).toBe(1);
    // The change log is consumed (the pass after the one that evaluated finds it empty).
    let left = -1;
    for (let i = 0; i < 100 && left !== 0; i++) {
      left = Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM collection_changes')).rows[0]!.n);
      if (left) await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).toBe(0);
  } finally {
    await server.close();
  }
});

it('refuses a bad interval before opening the site', async () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'openosd-collection-evaluator-bad-')), 'site');
  dirs.push(dataDir);
  await expect(startSiteServer({ dataDir, port: 0, collectionEvaluationIntervalMs: -5 })).rejects.toThrow(
    /collectionEvaluationIntervalMs: -5 .*whole number of milliseconds/,
  );
  expect(existsSync(dataDir)).toBe(false);
});
