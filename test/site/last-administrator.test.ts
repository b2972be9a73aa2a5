/**
 * Issue 10 item 6: the site cannot be locked out through the API. Revoking the last valid Full
 * Administrator token is refused (409, naming the rule, with a hint), race-free on PostgreSQL; the
 * recovery service creates a new one from the server machine when every token is revoked or
 * expired, and checks the key file first.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';
import { recoverAdminToken } from '../../src/site/security/recover.js';
import { DB_KINDS, startTestApi, type TestApi } from './helpers/site.js';

describe.each(DB_KINDS)('the last Full Administrator token on %s', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(kind);
  });
  afterAll(async () => api?.close());

  /** Full Administrator tokens that work (not revoked, not expired), read from the database. */
  const adminIds = async (): Promise<string[]> =>
    (
      await api.site.db.query<{ id: string }>(
        `SELECT id FROM api_tokens WHERE role = 'full-administrator' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) ORDER BY created_at, id`,
      )
    ).rows.map((r) => r.id);

  it('cannot be revoked; another one can, and so can tokens of other roles', async () => {
    const [only] = await adminIds();
    const refused = await api.call('DELETE', `/api/v1/tokens/${only}`);
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ error: 'conflict', input: only });
    expect(refused.json.rule).toMatch(/last valid Full Administrator token/);
    expect(refused.json.hint).toMatch(/create another Full Administrator token first/);
    // Still works.
    expect((await api.call('GET', '/api/v1/site')).status).toBe(200);

    const second = await api.call('POST', '/api/v1/tokens', { body: { name: 'second admin', role: 'full-administrator' } });
    expect(second.status).toBe(201);
    const revoked = await api.call('DELETE', `/api/v1/tokens/${only}`, { token: second.json.token });
    expect(revoked.status).toBe(200);
    expect(revoked.json.revokedAt).not.toBeNull();
    // Revoking an already revoked token stays harmless.
    expect((await api.call('DELETE', `/api/v1/tokens/${only}`, { token: second.json.token })).status).toBe(200);
    // Now the second one is the last.
    expect((await api.call('DELETE', `/api/v1/tokens/${second.json.info.id}`, { token: second.json.token })).status).toBe(409);
    const analyst = await api.call('POST', '/api/v1/tokens', { token: second.json.token, body: { name: 'analyst', role: 'read-only-analyst' } });
    expect((await api.call('DELETE', `/api/v1/tokens/${analyst.json.info.id}`, { token: second.json.token })).status).toBe(200);
    api.tokens['full-administrator'] = second.json.token;
  });

  it('counts only tokens that work: an expired administrator token is no other administrator', async () => {
    const [current] = await adminIds();
    const expiring = await api.call('POST', '/api/v1/tokens', {
      body: { name: 'expiring admin', role: 'full-administrator', expiresAt: new Date(Date.now() + 60_000).toISOString() },
    });
    expect(expiring.status).toBe(201);
    await api.site.db.query(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [expiring.json.info.id]);
    const refused = await api.call('DELETE', `/api/v1/tokens/${current}`);
    expect(refused.status).toBe(409);
  });

  it('survives concurrent revokes of the last two administrator tokens: one is left', async () => {
    for (let round = 0; round < 5; round++) {
      const a = await api.call('POST', '/api/v1/tokens', { body: { name: `race a${round}`, role: 'full-administrator' } });
      const b = await api.call('POST', '/api/v1/tokens', { body: { name: `race b${round}`, role: 'full-administrator' } });
      // Only a and b remain valid.
      for (const id of await adminIds()) {
        if (id !== a.json.info.id && id !== b.json.info.id) await api.site.db.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1', [id]);
      }
      // Each revokes itself (what locked the site out): both pass authentication before either commits.
      const answers = await Promise.all([
        api.call('DELETE', `/api/v1/tokens/${a.json.info.id}`, { token: a.json.token }),
        api.call('DELETE', `/api/v1/tokens/${b.json.info.id}`, { token: b.json.token }),
      ]);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
      const left = await adminIds();
      expect(left).toHaveLength(1);
      api.tokens['full-administrator'] = left[0] === a.json.info.id ? a.json.token : b.json.token;
    }
  });
});

describe('recovery (the service; the CLI process is tested in test/server/token-recover.test.ts)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi('postgres');
  });
  afterAll(async () => api?.close());

  it('refuses a missing folder, a missing or wrong key file, and a database that is not a site', async () => {
    const url = (api.site.db as unknown as { location: string }).location;
    expect(url).toMatch(/^postgres/);
    await expect(recoverAdminToken({ dataDir: join(api.dataDir, 'nope'), databaseUrl: url })).rejects.toMatchObject({
      code: 'bad-input',
      input: 'data folder',
    });
    const empty = tempDir('openosd-recover-empty-');
    await expect(recoverAdminToken({ dataDir: empty })).rejects.toMatchObject({ code: 'bad-input', input: 'key file' });
    const wrongKey = join(empty, 'wrong.key');
    writeFileSync(wrongKey, `${randomBytes(32).toString('base64')}\n`);
    await expect(recoverAdminToken({ dataDir: api.dataDir, databaseUrl: url, keyFile: wrongKey })).rejects.toMatchObject({
      code: 'bad-input',
      input: 'key file',
      rule: expect.stringMatching(/does not match this site/),
    });
    await expect(recoverAdminToken({ dataDir: empty, keyFile: wrongKey })).rejects.toMatchObject({
      code: 'bad-input',
      input: 'data folder',
      rule: expect.stringMatching(/no embedded site database/),
    });
  });

  it('creates a working Full Administrator token when every token is revoked or expired, with an audit entry', async () => {
    const url = (api.site.db as unknown as { location: string }).location;
    await api.site.db.query(`UPDATE api_tokens SET revoked_at = now() WHERE role <> 'full-administrator'`);
    await api.site.db.query(`UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE role = 'full-administrator'`);
    expect((await api.call('GET', '/api/v1/site')).status).toBe(401);
    const r = await recoverAdminToken({ dataDir: api.dataDir, databaseUrl: url, name: 'break glass' });
    expect(r.file).toBe(join(api.dataDir, 'admin.token'));
    expect(statSync(r.file).mode & 0o777).toBe(0o600);
    expect(existsSync(r.file)).toBe(true);
    const site = await api.call('GET', '/api/v1/site', { token: r.token });
    expect(site.status).toBe(200);
    expect(site.json.you).toMatchObject({ name: 'break glass', role: 'full-administrator' });
    const entries = (await api.call('GET', '/api/v1/audit?objectType=token', { token: r.token })).json as Array<{
      action: string;
      objectId: string;
      details: Record<string, unknown>;
    }>;
    const recovered = entries.find((e) => e.action === 'recover');
    expect(recovered).toMatchObject({ objectId: r.info.id, details: { note: 'recovered by the server machine', role: 'full-administrator' } });
    expect(JSON.stringify(entries)).not.toContain(r.token);
  });
});
