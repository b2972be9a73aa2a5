/**
 * A request body that does not fit its route's schema is refused with every problem at once (issue 11
 * item 6): each wrong value, and each unknown key on its own with the key it most likely stands for —
 * an unknown key does not hide the other problems.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, startTestApi, type TestApi } from '../../site/helpers/site.js';

describe.each(DB_KINDS)('request body problems on %s', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(kind);
  });
  afterAll(async () => api?.close());

  it('lists every problem: unknown keys with a "did you mean", wrong types, in nested objects and list items', async () => {
    const r = await api.call('POST', '/api/v1/collections', {
      body: {
        nmae: 'Laptops',
        comment: 5,
        LimitingCollectionId: 'SMS00001',
        rules: [
          { kind: 'query', qurey: 'SELECT * FROM SMS_R_System' },
          { kind: 'direct', resourceId: 'x' },
        ],
      },
    });
    expect(r.status).toBe(400);
    expect(r.json.problems).toEqual(
      expect.arrayContaining([
        { input: 'body.nmae', rule: 'unknown key "nmae"', hint: 'did you mean "name"?' },
        { input: 'body.LimitingCollectionId', rule: 'unknown key "LimitingCollectionId"', hint: 'did you mean "limitingCollectionId"?' },
        { input: 'body.rules.0.qurey', rule: 'unknown key "qurey"', hint: 'did you mean "query"?' },
        expect.objectContaining({ input: 'body.comment', rule: expect.stringMatching(/expected string/) }),
        expect.objectContaining({ input: 'body.name', rule: expect.stringMatching(/expected string/) }),
        expect.objectContaining({ input: 'body.rules.1.resourceId' }),
      ]),
    );
    expect(r.json.problems).toHaveLength(7); // and body.rules[0].query, missing
    // The answer itself names the first problem, and says there are more.
    expect(r.json.hint).toMatch(/7 problems in all, each listed/);
  });

  it('one unknown key: the answer names it with its likely spelling, or the keys there are', async () => {
    const typo = await api.call('POST', '/api/v1/collections', { body: { name: 'Desktops', coment: 'x' } });
    expect(typo.status).toBe(400);
    expect(typo.json).toMatchObject({ error: 'bad-input', input: 'body.coment', rule: 'unknown key "coment"', hint: 'did you mean "comment"?' });
    const far = await api.call('POST', '/api/v1/collections', { body: { name: 'Desktops', colour: 'blue' } });
    expect(far.json).toMatchObject({
      input: 'body.colour',
      rule: 'unknown key "colour"',
      hint: 'the keys here are name, comment, limitingCollectionId, variablePriority, rules',
    });
    expect((await api.call('GET', '/api/v1/collections')).json.map((c: { name: string }) => c.name)).not.toContain('Desktops');
    // A value of the wrong type: the rule says it, and the answer points to the API's reference.
    const wrong = await api.call('POST', '/api/v1/collections', { body: { name: 5 } });
    expect(wrong.json).toMatchObject({
      input: 'body.name',
      rule: expect.stringMatching(/expected string/),
      next: [{ step: 'read-reference' }],
      see: 'GET /api/v1/openapi.json',
    });
    expect(wrong.json.hint).toBeUndefined();
  });
});
