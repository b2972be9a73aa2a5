import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkVariableName, variablesForDevice } from '../../../src/site/collections/variables.js';
import { UNKNOWN_X64_RESOURCE_ID } from '../../../src/site/seed.js';
import { DB_KINDS, startTestApi, type TestApi } from '../helpers/site.js';

const SECRET = 'P@ssw0rd-never-shown-7f3a';

describe.each(DB_KINDS)('collection and device variables on %s', (kind) => {
  let api: TestApi;
  let device: number;
  let low: string;
  let high: string;
  beforeAll(async () => {
    api = await startTestApi(kind);
    device = (await api.call('POST', '/api/v1/devices', { body: { name: 'VAR-PC', mac: '02:00:00:00:09:01' } })).json.device.resourceId;
    low = (await api.call('POST', '/api/v1/collections', { body: { name: 'Low', variablePriority: 2, rules: [{ kind: 'direct', resourceId: device }] } })).json
      .collection.collectionId;
    high = (await api.call('POST', '/api/v1/collections', { body: { name: 'High', variablePriority: 8, rules: [{ kind: 'direct', resourceId: device }] } }))
      .json.collection.collectionId;
  });
  afterAll(async () => api?.close());

  it('checks names and values', async () => {
    for (const bad of ['_SMSTSMP', '1abc', 'has space', 'a-b.c']) {
      const r = await api.call('PUT', `/api/v1/collections/${low}/variables/${encodeURIComponent(bad)}`, { body: { value: 'x' } });
      expect(r.status, bad).toBe(400);
      expect(r.json.input).toBe('params.name');
    }
    // 257 characters is too long (checked in the service: the URL router's own limit is lower).
    expect(() => checkVariableName('a'.repeat(257), 'params.name')).toThrow(/not a variable name/);
    expect(() => checkVariableName('a'.repeat(256), 'params.name')).not.toThrow();
    const long = await api.call('PUT', `/api/v1/collections/${low}/variables/Big`, { body: { value: 'x'.repeat(4001) } });
    expect(long.status).toBe(400);
    expect(long.json.input).toBe('body.value');
    expect((await api.call('PUT', `/api/v1/collections/${low}/variables/Fine-Name_1`, { body: { value: 'x'.repeat(4000) } })).status).toBe(200);
    // Case-insensitively unique: the second PUT replaces the first and keeps its spelling.
    const again = await api.call('PUT', `/api/v1/collections/${low}/variables/FINE-NAME_1`, { body: { value: 'y' } });
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ name: 'Fine-Name_1', value: 'y', masked: false });
    await api.call('DELETE', `/api/v1/collections/${low}/variables/fine-name_1`);
    expect((await api.call('GET', `/api/v1/collections/${low}/variables`)).json).toEqual([]);
  });

  it('never returns a masked value in any response, yet gives it to the device policy', async () => {
    const put = await api.call('PUT', `/api/v1/devices/${device}/variables/OSDJoinPassword`, { body: { value: SECRET, masked: true } });
    expect(put.status).toBe(200);
    expect(put.json).toEqual({ name: 'OSDJoinPassword', value: null, masked: true });
    await api.call('PUT', `/api/v1/collections/${high}/variables/DomainPassword`, { body: { value: SECRET, masked: true } });
    const bodies = await Promise.all(
      [
        `/api/v1/devices/${device}/variables`,
        `/api/v1/devices/${device}/variables/OSDJoinPassword`,
        `/api/v1/devices/${device}`,
        `/api/v1/devices`,
        `/api/v1/collections/${high}/variables`,
        `/api/v1/collections/${high}/variables/domainpassword`,
        `/api/v1/collections/${high}`,
        `/api/v1/collections/${high}/members`,
        `/api/v1/audit?limit=1000`,
      ].map((p) => api.call('GET', p)),
    );
    for (const b of bodies) {
      expect(b.status).toBe(200);
      expect(b.body).not.toContain(SECRET);
    }
    const stored = await api.site.db.query<{ value: string }>('SELECT value FROM device_variables WHERE resource_id = $1', [device]);
    expect(stored.rows[0].value).not.toContain(SECRET);
    const vars = await variablesForDevice(api.site, device, { unknownComputer: false });
    expect(vars.find((v) => v.name === 'OSDJoinPassword')).toMatchObject({ value: SECRET, masked: true, source: { kind: 'device' } });
    expect(vars.find((v) => v.name === 'DomainPassword')?.value).toBe(SECRET);
  });

  it('replaces a masked value, and unmasks only with a new value', async () => {
    const path = `/api/v1/devices/${device}/variables/OSDJoinPassword`;
    const replaced = await api.call('PUT', path, { body: { value: 'second-secret' } });
    expect(replaced.json).toEqual({ name: 'OSDJoinPassword', value: null, masked: true });
    expect((await variablesForDevice(api.site, device, { unknownComputer: false })).find((v) => v.name === 'OSDJoinPassword')?.value).toBe('second-secret');
    const unmask = await api.call('PUT', path, { body: { masked: false } });
    expect(unmask.status).toBe(400);
    expect(unmask.json.rule).toContain('needs a new value');
    const plain = await api.call('PUT', path, { body: { masked: false, value: 'visible' } });
    expect(plain.json).toEqual({ name: 'OSDJoinPassword', value: 'visible', masked: false });
  });

  it('orders collection variables by priority, then lets device variables override', async () => {
    await api.call('PUT', `/api/v1/collections/${low}/variables/OSDComputerName`, { body: { value: 'from-low' } });
    await api.call('PUT', `/api/v1/collections/${high}/variables/osdcomputername`, { body: { value: 'from-high' } });
    await api.call('PUT', `/api/v1/collections/${low}/variables/OnlyLow`, { body: { value: 'low' } });
    let vars = await variablesForDevice(api.site, device, { unknownComputer: false });
    expect(vars.find((v) => v.name.toLowerCase() === 'osdcomputername')).toMatchObject({
      value: 'from-high',
      source: { kind: 'collection', collectionId: high, priority: 8 },
    });
    expect(vars.find((v) => v.name === 'OnlyLow')?.value).toBe('low');
    // Priorities swapped: the other collection wins.
    await api.call('PATCH', `/api/v1/collections/${low}`, { body: { variablePriority: 9 } });
    vars = await variablesForDevice(api.site, device, { unknownComputer: false });
    expect(vars.find((v) => v.name.toLowerCase() === 'osdcomputername')?.value).toBe('from-low');
    await api.call('PUT', `/api/v1/devices/${device}/variables/OSDCOMPUTERNAME`, { body: { value: 'from-device' } });
    vars = await variablesForDevice(api.site, device, { unknownComputer: false });
    expect(vars.find((v) => v.name.toLowerCase() === 'osdcomputername')?.value).toBe('from-device');
    expect(vars[vars.length - 1].source.kind).toBe('device');
    const bad = await api.call('PATCH', `/api/v1/collections/${low}`, { body: { variablePriority: 10 } });
    expect(bad.status).toBe(400);
  });

  it('gives unknown computers collection variables only', async () => {
    await api.call('PUT', '/api/v1/collections/SMS000US/variables/OSDUnknown', { body: { value: 'yes' } });
    await api.call('PUT', `/api/v1/devices/${UNKNOWN_X64_RESOURCE_ID}/variables/DeviceOnly`, { body: { value: 'no' } });
    const vars = await variablesForDevice(api.site, UNKNOWN_X64_RESOURCE_ID, { unknownComputer: true });
    expect(vars.map((v) => v.name)).toEqual(['OSDUnknown']);
    const known = await variablesForDevice(api.site, UNKNOWN_X64_RESOURCE_ID, { unknownComputer: false });
    expect(known.map((v) => v.name)).toEqual(['OSDUnknown', 'DeviceOnly']);
  });

  it('needs collection.write for collection variables and device.write for device variables', async () => {
    const mgr = api.tokens['osd-manager'];
    expect((await api.call('PUT', `/api/v1/collections/${low}/variables/X`, { token: mgr, body: { value: '1' } })).status).toBe(403);
    expect((await api.call('PUT', `/api/v1/devices/${device}/variables/X`, { token: mgr, body: { value: '1' } })).status).toBe(200);
    expect((await api.call('PUT', `/api/v1/devices/${device}/variables/Y`, { token: api.tokens['read-only-analyst'], body: { value: '1' } })).status).toBe(403);
  });
});
