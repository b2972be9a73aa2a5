/**
 * The site's errors in the site's words, the admin API's route beside them (issue 11 item 5): the
 * hint says what to do as the site knows it ("set the package's content first"), `next` names the
 * step, and the answer's `see` gives the request that does it. Every route the API would name is
 * one it declares.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ROUTES } from '../../../src/server/api/routes/index.js';
import { NEXT_STEP_ROUTES, seeFor } from '../../../src/server/api/next-step-routes.js';
import { NEXT_STEPS } from '../../../src/site/next-steps.js';
import { DB_KINDS, startTestApi, type TestApi } from '../../site/helpers/site.js';
import { tempDir } from '../../helpers/temp.js';

describe('the API words of the site next steps', () => {
  it('name only declared routes, with every id the step carries', () => {
    const declared = new Set(ALL_ROUTES.map((r) => `${r.method} ${r.path}`));
    for (const [step, route] of Object.entries(NEXT_STEP_ROUTES)) {
      if (typeof route !== 'string') continue;
      expect(declared.has(route), `${step}: ${route}`).toBe(true);
      const params = [...route.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]);
      expect(params, step).toEqual([...NEXT_STEPS[step as keyof typeof NEXT_STEPS]]);
    }
  });

  it('fill in the ids, and join several steps', () => {
    expect(seeFor([{ step: 'set-package-content', ids: { packageId: 'PS100005' } }])).toBe('PUT /api/v1/packages/PS100005/content');
    expect(seeFor([{ step: 'add-source-root' }, { step: 'upload-content' }])).toBe('PUT /api/v1/uploads');
    expect(seeFor([{ step: 'add-source-root' }])).toBeUndefined();
  });
});

describe.each(DB_KINDS)('site errors through the admin API on %s', (kind) => {
  let api: TestApi;
  let root: string;
  beforeAll(async () => {
    root = tempDir('openosd-next-steps-');
    api = await startTestApi(kind, { sourceRoots: [root] });
  });
  afterAll(async () => api?.close());

  const noInterfaceWords = (text: string) => expect(text).not.toMatch(/\b(GET|POST|PUT|PATCH|DELETE) \/|\/api\/v1|--[a-z]|\bosd [a-z]/);

  it('a missing object: the hint in the site\'s words, the route to list them in "see"', async () => {
    const r = await api.call('GET', '/api/v1/collections/XYZ00001');
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({
      input: 'XYZ00001',
      rule: 'no collection has this id',
      hint: 'list the collections to find its id',
      next: [{ step: 'list-collections' }],
      see: 'GET /api/v1/collections',
    });
    noInterfaceWords(r.json.hint);
    noInterfaceWords(r.json.message);
  });

  it('a package without content: "set the package\'s content first", and the route with its id', async () => {
    const packages = (await api.call('GET', '/api/v1/packages')).json as Array<{ packageId: string; contentId: string | null }>;
    const empty = packages.find((p) => p.contentId === null)!;
    const r = await api.call('POST', '/api/v1/distributions', { body: { packageIds: [empty.packageId], distributionPoints: ['nowhere'] } });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ hint: "set the package's content first", see: `PUT /api/v1/packages/${empty.packageId}/content` });
    noInterfaceWords(r.json.hint);
  });

  it('a source path outside the source roots: the roots in the rule, no option or command in the hint', async () => {
    const outside = join(tempDir('openosd-outside-'), 'setup.cmd');
    writeFileSync(outside, 'exit /b 0');
    const r = await api.call('POST', '/api/v1/content', { body: { sourcePath: outside } });
    expect(r.status).toBe(403);
    expect(r.json.rule).toContain(`is outside the folders this site adds content from (its source roots: ${root})`);
    expect(r.json).toMatchObject({
      hint: "put it under one of the site's source roots, make its folder one, or upload the content instead",
      next: [{ step: 'add-source-root' }, { step: 'upload-content' }],
      see: 'PUT /api/v1/uploads',
    });
    noInterfaceWords(r.json.hint);
  });
});
