/**
 * POST /collections/validate-query (issue 15, the WQL query editor of Device Collections): a query
 * rule checked without saving it — valid, or the problem with its 1-based column, length and what
 * was expected, exactly as adding the rule would refuse it (same parse and compile); a body that is
 * not a query is a 400 naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../site/helpers/site.js';

describe('POST /collections/validate-query', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi('pglite');
  });
  afterAll(async () => api?.close());

  const check = (query: unknown, token?: string) => api.call('POST', '/api/v1/collections/validate-query', { body: { query }, ...(token ? { token } : {}) });

  it('answers valid for a query a rule takes, for any role that may read', async () => {
    const r = await check("select * from SMS_R_System where SMS_R_System.Name like 'LAB-%'", api.tokens['read-only-analyst']);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ valid: true, problem: null });
  });

  it('answers the problem at its position, as adding the rule refuses it', async () => {
    const query = "select * from SMS_R_System wher SMS_R_System.Name like 'LAB-%'";
    const r = await check(query);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ valid: false, problem: { column: 28, length: 4, expected: 'WHERE or the end of the query' } });
    expect(r.json.problem.rule).toMatch(/wher/);
    expect(query.slice(r.json.problem.column - 1, r.json.problem.column - 1 + r.json.problem.length)).toBe('wher');

    const created = await api.call('POST', '/api/v1/collections', { body: { name: 'Lab' } });
    expect(created.status).toBe(201);
    const added = await api.call('POST', `/api/v1/collections/${created.json.collection.collectionId}/rules`, { body: { kind: 'query', query } });
    expect(added.status).toBe(400);
    expect(added.json).toMatchObject({ input: 'body.query', column: 28, expected: 'WHERE or the end of the query' });

    // An unterminated string on the second line; a constant of the wrong type (found by compiling).
    const second = await check("select * from SMS_R_System\nwhere SMS_R_System.Name like 'LAB-%");
    expect(second.json).toMatchObject({ valid: false, problem: { column: 57 } });
    const typed = await check('select * from SMS_R_System where SMS_R_System.Client = 5');
    expect(typed.status).toBe(200);
    expect(typed.json.valid).toBe(false);
  });

  it('refuses a body that is not a query with a 400 naming the field', async () => {
    for (const body of [{}, { query: '' }, { query: 5 }, { query: 'x'.repeat(16_001) }, { query: 'select * from SMS_R_System', extra: 1 }]) {
      const r = await api.call('POST', '/api/v1/collections/validate-query', { body });
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(r.json.input).toMatch(/^body\./);
    }
    expect((await api.call('POST', '/api/v1/collections/validate-query', { body: { query: 'select' }, token: null })).status).toBe(401);
  });
});
