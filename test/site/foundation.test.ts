import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { MIGRATIONS } from '../../src/site/db/migrations/index.js';
import { DB_KINDS, startTestApi, type TestApi } from './helpers/site.js';

describe.each(DB_KINDS)('site foundation on %s', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(kind);
  });
  afterAll(async () => api?.close());

  it('is migrated and seeded', async () => {
    const r = await api.call('GET', '/api/v1/site');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      siteCode: 'PS1',
      database: kind,
      schemaVersion: MIGRATIONS[MIGRATIONS.length - 1]!.version,
      you: { role: 'full-administrator' },
    });
    const c = await api.site.db.query<{ collection_id: string; member_count: number }>('SELECT collection_id, member_count FROM collections ORDER BY 1');
    expect(c.rows).toEqual([
      { collection_id: 'SMS00001', member_count: 0 },
      { collection_id: 'SMS000US', member_count: 2 },
    ]);
    const p = await api.site.db.query<{ package_id: string; name: string }>('SELECT package_id, name FROM packages ORDER BY 1');
    expect(p.rows.map((x) => x.name)).toEqual(['Configuration Manager Client Package', 'User State Migration Tool for Windows']);
  });

  it('refuses a request without a token, with a bad token, or outside the role', async () => {
    expect((await api.call('GET', '/api/v1/site', { token: null })).status).toBe(401);
    expect((await api.call('GET', '/api/v1/openapi.json', { token: null })).status).toBe(401);
    expect((await api.call('GET', '/api/v1/nothing-here', { token: null })).status).toBe(401);
    const bad = await api.call('GET', '/api/v1/site', { token: 'osd_nope' });
    expect(bad.status).toBe(401);
    expect(bad.json).toMatchObject({ error: 'unauthenticated', rule: 'the token is not valid' });
    const analyst = await api.call('POST', '/api/v1/tokens', { token: api.tokens['read-only-analyst'], body: { name: 'x', role: 'full-administrator' } });
    expect(analyst.status).toBe(403);
    expect(analyst.json.rule).toContain('Read-only Analyst');
  });

  it('creates, uses and revokes a token; the audit log records it without the token value', async () => {
    const created = await api.call('POST', '/api/v1/tokens', { body: { name: 'pipeline', role: 'osd-manager' } });
    expect(created.status).toBe(201);
    const token = created.json.token as string;
    expect((await api.call('GET', '/api/v1/site', { token })).json.you.role).toBe('osd-manager');
    const list = await api.call('GET', '/api/v1/tokens');
    expect(JSON.stringify(list.json)).not.toContain(token);
    await api.call('DELETE', `/api/v1/tokens/${created.json.info.id}`);
    const after = await api.call('GET', '/api/v1/site', { token });
    expect(after.status).toBe(401);
    expect(after.json.rule).toContain('revoked');
    const auditLog = await api.call('GET', '/api/v1/audit?objectType=token');
    expect(auditLog.json.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['create', 'revoke']));
    expect(JSON.stringify(auditLog.json)).not.toContain(token);
  });

  it('answers malformed bodies with a clear 400', async () => {
    const r = await api.call('POST', '/api/v1/tokens', { payload: '{"name": ', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.json.error).toBe('bad-input');
    const r2 = await api.call('POST', '/api/v1/tokens', { body: { name: 'x', role: 'king' } });
    expect(r2.status).toBe(400);
    expect(r2.json.input).toBe('body.role');
  });

  it('serves an OpenAPI document naming every route', async () => {
    const r = await api.call('GET', '/api/v1/openapi.json');
    expect(r.json.openapi).toBe('3.1.0');
    expect(Object.keys(r.json.paths)).toContain('/api/v1/tokens/{tokenId}');
  });
});
