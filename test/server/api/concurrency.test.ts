/**
 * Several requests at once on PostgreSQL (where transactions really run concurrently, unlike
 * PGlite): imports get distinct ResourceIDs without waiting on each other, and first-time writes
 * of the same variable do not collide (the API benchmark once saw a 500 there).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../site/helpers/site.js';

describe('concurrent admin API requests on PostgreSQL', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi('postgres');
  });
  afterAll(async () => api?.close());

  it('imports computers at once, each with its own ResourceID', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.call('POST', '/api/v1/devices', { body: { name: `PAR-${String(i).padStart(4, '0')}`, mac: `02:00:00:00:01:${i.toString(16).padStart(2, '0')}` } }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
    const ids = answers.map((a) => a.json.device.resourceId as number);
    expect(new Set(ids).size).toBe(20);
  });

  it('sets the same new variable from many requests at once without an error', async () => {
    const list = await api.call('GET', '/api/v1/devices?search=PAR-0001');
    const id = list.json.devices[0].resourceId as number;
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => api.call('PUT', `/api/v1/devices/${id}/variables/OSDComputerName`, { body: { value: `PC${i}` } })),
    );
    expect(answers.map((a) => a.status).every((s) => s === 200 || s === 201)).toBe(true);
    const vars = await api.call('GET', `/api/v1/devices/${id}/variables`);
    expect(vars.json.filter((v: { name: string }) => v.name === 'OSDComputerName')).toHaveLength(1);
  });
});
