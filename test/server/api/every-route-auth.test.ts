/**
 * Issue 6 security acceptance, checked for every route the server declares (so a route added later
 * is covered without anyone remembering to): no token → 401; a Read-only Analyst on anything but a
 * read → 403; an OSD Manager on a Full Administrator's route → 403. The body of every refusal is a
 * JSON error that names the rule, never a stack trace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ROUTES } from '../../../src/server/api/routes/index.js';
import { allows } from '../../../src/site/security/roles.js';
import { startTestApi, type TestApi } from '../../site/helpers/site.js';

function concretePath(path: string): string {
  return `/api/v1${path.replace(/:([A-Za-z]+)/g, (_m, name: string) => (/revision|resourceId|ciId|ruleId/i.test(name) ? '1' : 'PS100001'))}`;
}

describe('every admin API route', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi('pglite');
  });
  afterAll(async () => api?.close());

  it('declares at least the routes of every area', () => {
    const tags = new Set(ALL_ROUTES.map((r) => r.tag));
    expect(ALL_ROUTES.length).toBeGreaterThan(20);
    expect([...tags]).toEqual(expect.arrayContaining(['site', 'content', 'distribution']));
  });

  it('refuses a request without a token (401), on every route', async () => {
    for (const r of ALL_ROUTES) {
      const res = await api.call(r.method, concretePath(r.path), { token: null, body: r.method === 'GET' || r.method === 'DELETE' ? undefined : {} });
      expect.soft(res.status, `${r.method} ${r.path}`).toBe(401);
      expect.soft(res.json?.error, `${r.method} ${r.path}`).toBe('unauthenticated');
    }
  });

  it("refuses actions outside the caller's role (403), on every route", async () => {
    for (const role of ['read-only-analyst', 'osd-manager'] as const) {
      for (const r of ALL_ROUTES) {
        if (allows(role, r.permission)) continue;
        const res = await api.call(r.method, concretePath(r.path), {
          token: api.tokens[role],
          body: r.method === 'GET' || r.method === 'DELETE' ? undefined : {},
        });
        expect.soft(res.status, `${role} ${r.method} ${r.path}`).toBe(403);
        expect.soft(res.json?.rule, `${role} ${r.method} ${r.path}`).toContain(r.permission);
      }
    }
  });

  it('documents every route in the OpenAPI document', async () => {
    const doc = (await api.call('GET', '/api/v1/openapi.json')).json as { paths: Record<string, Record<string, unknown>> };
    for (const r of ALL_ROUTES) {
      const p = `/api/v1${r.path}`.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      expect.soft(doc.paths[p]?.[r.method.toLowerCase()], `${r.method} ${p}`).toBeDefined();
    }
  });
});
