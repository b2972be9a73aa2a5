import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDeviceByIdentity } from '../../../src/site/devices/devices.js';
import { DB_KINDS, startTestApi, type TestApi } from '../helpers/site.js';

describe.each(DB_KINDS)('devices and computer associations on %s', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(kind);
  });
  afterAll(async () => api?.close());

  it('imports one computer, storing the MAC in colon upper-case form and the GUID upper-case', async () => {
    const r = await api.call('POST', '/api/v1/devices', {
      body: { name: 'PC-001', mac: '00-1a-2b-3c-4d-5e', smbiosGuid: '{4c4c4544-0042-3510-8051-b4c04f4a4d31}' },
    });
    expect(r.status).toBe(201);
    expect(r.json.device).toMatchObject({ name: 'PC-001', macAddresses: ['00:1A:2B:3C:4D:5E'], smbiosGuid: '4C4C4544-0042-3510-8051-B4C04F4A4D31' });
    for (const [mac, want] of [
      ['001a2b3c4d5f', '00:1A:2B:3C:4D:5F'],
      ['001a.2b3c.4d60', '00:1A:2B:3C:4D:60'],
      ['00:1a:2b:3c:4d:61', '00:1A:2B:3C:4D:61'],
    ]) {
      const x = await api.call('POST', '/api/v1/devices', { body: { name: `PC-${mac.slice(-2)}`, mac } });
      expect(x.status).toBe(201);
      expect(x.json.device.macAddresses).toEqual([want]);
    }
    const shown = await api.call('GET', `/api/v1/devices/${r.json.device.resourceId}`);
    expect(shown.json.collections.map((c: { collectionId: string }) => c.collectionId)).toEqual(['SMS00001']);
  });

  it('refuses bad names, MACs and GUIDs, naming the field', async () => {
    const long = await api.call('POST', '/api/v1/devices', { body: { name: 'ABCDEFGHIJKLMNOP', mac: '00:11:22:33:44:01' } });
    expect(long.status).toBe(400);
    expect(long.json.input).toBe('body.name');
    expect(long.json.rule).toContain('15');
    const bad = await api.call('POST', '/api/v1/devices', { body: { name: 'PC*1', mac: '00:11:22:33:44' } });
    expect(bad.status).toBe(400);
    expect(bad.json.problems.map((p: { input: string }) => p.input)).toEqual(['body.name', 'body.mac']);
    const none = await api.call('POST', '/api/v1/devices', { body: { name: 'PC-NOID' } });
    expect(none.status).toBe(400);
    expect(none.json.rule).toContain('MAC address or an SMBIOS GUID');
    const guid = await api.call('POST', '/api/v1/devices', { body: { name: 'PC-G', smbiosGuid: '1234' } });
    expect(guid.json.input).toBe('body.smbiosGuid');
    expect((await api.call('GET', '/api/v1/devices?search=PC-NOID')).json.total).toBe(0);
  });

  it('answers 409 for a MAC or GUID that exists, and overwrites the record in place when asked', async () => {
    const first = await api.call('POST', '/api/v1/devices', { body: { name: 'DUP-1', mac: 'AA:BB:CC:00:00:01' } });
    const again = await api.call('POST', '/api/v1/devices', { body: { name: 'DUP-2', mac: 'aa-bb-cc-00-00-01' } });
    expect(again.status).toBe(409);
    expect(again.json.rule).toContain('DUP-1');
    const over = await api.call('POST', '/api/v1/devices', { body: { name: 'DUP-2', mac: 'aabbcc000001', overwriteExisting: true } });
    expect(over.status).toBe(201);
    expect(over.json.overwritten).toBe(true);
    expect(over.json.device.resourceId).toBe(first.json.device.resourceId);
    expect(over.json.device.name).toBe('DUP-2');
    expect((await api.call('GET', '/api/v1/devices?search=DUP-')).json.total).toBe(1);
  });

  it('imports CSV all or nothing, reporting every bad row at once', async () => {
    const bad = await api.call('POST', '/api/v1/devices/import-csv', {
      body: {
        csv: 'Computer,MAC Address,GUID\r\nCSV-01,00:50:56:00:00:01,\r\nCSV 02,00:50:56:00:00:02,\r\nCSV-03,zz,\r\nCSV-04,00:50:56:00:00:01,\r\n',
        mapping: { name: 'Computer', mac: 'MAC Address' },
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.problems.map((p: { row: number }) => p.row)).toEqual([3, 4, 5]);
    expect(bad.json.problems[1].input).toBe('body.csv row 4 column "MAC Address"');
    expect(bad.json.rule).toContain('nothing was imported');
    expect((await api.call('GET', '/api/v1/devices?search=CSV-')).json.total).toBe(0);

    const good = await api.call('POST', '/api/v1/devices/import-csv', {
      body: { csv: 'Name,MAC,SMBIOS GUID\nCSV-01,00-50-56-00-00-01,\n"CSV-02",,11111111-2222-3333-4444-555555555555\n' },
    });
    expect(good.status).toBe(201);
    expect(good.json.imported).toBe(2);
    expect(good.json.computers[0].device.macAddresses).toEqual(['00:50:56:00:00:01']);
    const dup = await api.call('POST', '/api/v1/devices/import-csv', { body: { csv: 'Name,MAC\nCSV-09,00:50:56:00:00:01\n' } });
    expect(dup.status).toBe(409);
    expect(dup.json.problems[0]).toMatchObject({ row: 2, kind: 'conflict' });
  });

  it('finds a device by SMBIOS GUID first, then by MAC', async () => {
    const a = await api.call('POST', '/api/v1/devices', { body: { name: 'ID-A', mac: '02:00:00:00:00:0A' } });
    const b = await api.call('POST', '/api/v1/devices', { body: { name: 'ID-B', smbiosGuid: 'ABCDEF01-2345-6789-ABCD-EF0123456789' } });
    const byGuid = await findDeviceByIdentity(api.site.db, { macs: ['02-00-00-00-00-0a'], smbiosGuid: 'abcdef01-2345-6789-abcd-ef0123456789' });
    expect(byGuid?.resourceId).toBe(b.json.device.resourceId);
    const byMac = await findDeviceByIdentity(api.site.db, { macs: ['02000000000a'], smbiosGuid: '99999999-2345-6789-ABCD-EF0123456789' });
    expect(byMac?.resourceId).toBe(a.json.device.resourceId);
    expect(await findDeviceByIdentity(api.site.db, { macs: ['02:00:00:00:00:FF'] })).toBeUndefined();
  });

  it('creates computer associations by the user-account rules, and from an import with a source computer', async () => {
    const src = (await api.call('POST', '/api/v1/devices', { body: { name: 'OLD-PC', mac: '02:00:00:00:01:01' } })).json.device.resourceId;
    const dst = (await api.call('POST', '/api/v1/devices', { body: { name: 'NEW-PC', mac: '02:00:00:00:01:02' } })).json.device.resourceId;
    const noAccounts = await api.call('POST', '/api/v1/computer-associations', { body: { sourceResourceId: src, destinationResourceId: dst } });
    expect(noAccounts.status).toBe(400);
    expect(noAccounts.json.input).toBe('body.accounts');
    const a = await api.call('POST', '/api/v1/computer-associations', {
      body: { sourceResourceId: src, destinationResourceId: dst, accounts: ['CONTOSO\\alice'] },
    });
    expect(a.status).toBe(201);
    expect(a.json).toMatchObject({ sourceName: 'OLD-PC', destinationName: 'NEW-PC', userAccounts: 'capture-restore-specified' });
    const second = await api.call('POST', '/api/v1/computer-associations', {
      body: { sourceResourceId: src, destinationResourceId: dst, userAccounts: 'capture-restore-all' },
    });
    expect(second.status).toBe(409);
    const imp = await api.call('POST', '/api/v1/devices', { body: { name: 'NEW-PC2', mac: '02:00:00:00:01:03', sourceComputer: 'new-pc' } });
    expect(imp.status).toBe(201);
    expect(imp.json.association).toMatchObject({ sourceName: 'NEW-PC', destinationName: 'NEW-PC2', userAccounts: 'capture-restore-all' });
    expect((await api.call('GET', '/api/v1/computer-associations')).json).toHaveLength(2);
    expect((await api.call('DELETE', `/api/v1/computer-associations/${a.json.id}`)).status).toBe(200);
    expect((await api.call('GET', '/api/v1/computer-associations')).json).toHaveLength(1);
  });

  it('changes and deletes devices; the unknown-computer objects are protected', async () => {
    const d = (await api.call('POST', '/api/v1/devices', { body: { name: 'CHG-1', mac: '02:00:00:00:02:01' } })).json.device;
    const p = await api.call('PATCH', `/api/v1/devices/${d.resourceId}`, {
      body: { properties: { MANUFACTURER: 'Dell Inc.', custom_tag: 'x' }, client: true },
    });
    expect(p.json.properties).toEqual({ manufacturer: 'Dell Inc.', custom_tag: 'x' });
    expect(p.json.client).toBe(true);
    const before = (await api.call('GET', '/api/v1/collections/SMS00001')).json.memberCount;
    expect((await api.call('DELETE', `/api/v1/devices/${d.resourceId}`)).status).toBe(200);
    expect((await api.call('GET', '/api/v1/collections/SMS00001')).json.memberCount).toBe(before - 1);
    expect((await api.call('DELETE', '/api/v1/devices/2046820353')).status).toBe(409);
  });

  it('lets an OSD manager import computers; an analyst only reads', async () => {
    const mgr = await api.call('POST', '/api/v1/devices', { token: api.tokens['osd-manager'], body: { name: 'MGR-1', mac: '02:00:00:00:03:01' } });
    expect(mgr.status).toBe(201);
    const analyst = await api.call('POST', '/api/v1/devices', { token: api.tokens['read-only-analyst'], body: { name: 'AN-1', mac: '02:00:00:00:03:02' } });
    expect(analyst.status).toBe(403);
    expect((await api.call('GET', '/api/v1/devices', { token: api.tokens['read-only-analyst'] })).status).toBe(200);
    const audit = await api.call('GET', '/api/v1/audit?objectType=device&limit=1000');
    expect(audit.json.some((e: { action: string; actor: string }) => e.action === 'import' && e.actor === 'test osd-manager')).toBe(true);
  });
});

describe.each(DB_KINDS)('device list paging on %s', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(kind);
    for (let i = 0; i < 23; i++) {
      const r = await api.call('POST', '/api/v1/devices', {
        body: { name: `PG-${String(i).padStart(3, '0')}`, mac: `02:00:00:00:02:${i.toString(16).padStart(2, '0')}` },
      });
      expect(r.status).toBe(201);
    }
  });
  afterAll(async () => api?.close());

  it('walks every device once with the cursor, in the same order as offsets', async () => {
    const byCursor: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { json: { devices: Array<{ name: string }>; nextCursor: string | null; total: number } } = await api.call(
        'GET',
        `/api/v1/devices?search=PG-&limit=5${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(r.json.total).toBe(cursor ? null : 23);
      byCursor.push(...r.json.devices.map((d) => d.name));
      cursor = r.json.nextCursor;
    } while (cursor);
    const byOffset: string[] = [];
    for (let o = 0; o < 23; o += 5)
      byOffset.push(...(await api.call('GET', `/api/v1/devices?search=PG-&limit=5&offset=${o}`)).json.devices.map((d: { name: string }) => d.name));
    expect(byCursor).toEqual(byOffset);
    expect(byCursor).toHaveLength(23);
    expect(new Set(byCursor).size).toBe(23);
  });

  it('refuses a cursor it did not hand out', async () => {
    const r = await api.call('GET', '/api/v1/devices?cursor=bm9wZQ');
    expect(r.status).toBe(400);
    expect(r.json.input).toBe('query.cursor');
  });
});
