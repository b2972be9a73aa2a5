import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, startTestApi, type TestApi } from '../helpers/site.js';

const members = async (api: TestApi, id: string): Promise<string[]> =>
  (await api.call('GET', `/api/v1/collections/${id}/members?limit=1000`)).json.members.map((m: { name: string }) => m.name).sort();

describe.each(DB_KINDS)('collections on %s', (kind) => {
  let api: TestApi;
  const ids: Record<string, number> = {};
  const create = async (body: Record<string, unknown>): Promise<string> => {
    const r = await api.call('POST', '/api/v1/collections', { body });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return r.json.collection.collectionId;
  };

  beforeAll(async () => {
    api = await startTestApi(kind);
    const computers: [string, string[], Record<string, unknown>][] = [
      [
        'DELL-01',
        ['00:11:22:00:00:01'],
        { manufacturer: 'Dell Inc.', model: 'Latitude 7440', OperatingSystemNameandVersion: 'Microsoft Windows NT Workstation 10.0', build: 19045 },
      ],
      [
        'DELL-02',
        ['00:11:22:00:00:02', '00:11:22:00:00:12'],
        { manufacturer: 'Dell Inc.', model: 'OptiPlex 7010', OperatingSystemNameandVersion: 'Microsoft Windows NT Workstation 10.0', build: '22631' },
      ],
      ['HP-01', ['00:11:22:00:00:03'], { manufacturer: 'HP', model: 'EliteBook 840 G9', ChassisColour: 'Silver' }],
      ['LENOVO-01', ['00:11:22:00:00:04'], { manufacturer: 'LENOVO', model: 'ThinkPad T14' }],
      [
        'SRV-01',
        ['00:11:22:00:00:05'],
        { manufacturer: 'VMware, Inc.', model: 'VMware7,1', OperatingSystemNameandVersion: 'Microsoft Windows NT Server 10.0' },
      ],
    ];
    for (const [name, macs, properties] of computers) {
      const r = await api.call('POST', '/api/v1/devices', { body: { name, macAddresses: macs, properties } });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      ids[name] = r.json.device.resourceId;
    }
  });
  afterAll(async () => api?.close());

  it('evaluates query rules: LIKE, IN, AND/OR/NOT, numbers, multi-valued MACs, class-qualified names', async () => {
    const q = async (where: string): Promise<string[]> => {
      const id = await create({
        name: `Q ${where.slice(0, 200)}`,
        rules: [{ kind: 'query', query: `select SMS_R_System.ResourceId, SMS_R_System.Name from SMS_R_System where ${where}` }],
      });
      return members(api, id);
    };
    expect(await q(`SMS_R_System.Manufacturer like 'dell%'`)).toEqual(['DELL-01', 'DELL-02']);
    expect(await q(`Model like '%book 8__ G_'`)).toEqual(['HP-01']);
    expect(await q(`Manufacturer like '[hl]%'`)).toEqual(['HP-01', 'LENOVO-01']);
    expect(await q(`Manufacturer in ('hp', 'Lenovo')`)).toEqual(['HP-01', 'LENOVO-01']);
    expect(await q(`Manufacturer not in ('hp', 'Lenovo') and not (Name = 'srv-01')`)).toEqual(['DELL-01', 'DELL-02']);
    expect(await q(`(Manufacturer = 'HP' or Model like 'ThinkPad%') or Name = 'DELL-01'`)).toEqual(['DELL-01', 'HP-01', 'LENOVO-01']);
    expect(await q(`OperatingSystemNameandVersion like '%Server%'`)).toEqual(['SRV-01']);
    expect(await q(`Build >= 20000`)).toEqual(['DELL-02']);
    expect(await q(`MACAddresses = '00-11-22-00-00-12'`)).toEqual(['DELL-02']);
    expect(await q(`MACAddresses like '%:12'`)).toEqual(['DELL-02']);
    expect(await q(`MACAddresses in ('00:11:22:00:00:03', '001122000004')`)).toEqual(['HP-01', 'LENOVO-01']);
    expect(await q(`chassiscolour = 'SILVER'`)).toEqual(['HP-01']);
    expect(await q(`OperatingSystemNameandVersion is null`)).toEqual(['HP-01', 'LENOVO-01']);
    expect(await q(`ResourceId = ${ids['SRV-01']}`)).toEqual(['SRV-01']);
    // select * matches every imported device, never the unknown-computer objects.
    const all = await create({ name: 'Every system', rules: [{ kind: 'query', query: 'select * from SMS_R_System' }] });
    expect(await members(api, all)).toEqual(['DELL-01', 'DELL-02', 'HP-01', 'LENOVO-01', 'SRV-01']);
  });

  it('refuses invalid WQL with a 400 naming the rule, the column and the problem', async () => {
    const r = await api.call('POST', '/api/v1/collections', {
      body: {
        name: 'Bad query',
        rules: [
          { kind: 'direct', resourceId: ids['HP-01'] },
          { kind: 'query', query: 'select * from SMS_R_System where Name = ' },
        ],
      },
    });
    expect(r.status).toBe(400);
    expect(r.json.input).toBe('body.rules[1].query');
    expect(r.json.rule).toMatch(/^column 41: expected a constant but found the end of the query/);
    const join = await api.call('POST', '/api/v1/collections', {
      body: { name: 'Join', rules: [{ kind: 'query', query: 'select * from SMS_R_System inner join SMS_G_System_COMPUTER_SYSTEM on x = y' }] },
    });
    expect(join.status).toBe(400);
    expect(join.json.rule).toContain('column 28');
    expect((await api.call('GET', '/api/v1/collections?search=Bad query')).json).toHaveLength(0);
  });

  it('combines direct, include and exclude rules within the limiting collection', async () => {
    const dell = await create({ name: 'Dell', rules: [{ kind: 'query', query: `select * from SMS_R_System where Manufacturer = 'Dell Inc.'` }] });
    const laptops = await create({
      name: 'Laptops',
      rules: [{ kind: 'query', query: `select * from SMS_R_System where Model like 'Latitude%' or Model like 'EliteBook%' or Model like 'ThinkPad%'` }],
    });
    const combo = await create({
      name: 'Dell plus HP minus laptops',
      rules: [
        { kind: 'include', collectionId: dell },
        { kind: 'direct', resourceId: ids['HP-01'] },
        { kind: 'direct', resourceId: ids['SRV-01'] },
        { kind: 'exclude', collectionId: laptops },
      ],
    });
    expect(await members(api, combo)).toEqual(['DELL-02', 'SRV-01']);
    const limited = await create({
      name: 'Limited to Dell',
      limitingCollectionId: dell,
      rules: [
        { kind: 'direct', resourceId: ids['HP-01'] },
        { kind: 'direct', resourceId: ids['DELL-01'] },
      ],
    });
    expect(await members(api, limited)).toEqual(['DELL-01']);
    const c = (await api.call('GET', `/api/v1/collections/${limited}`)).json;
    expect(c).toMatchObject({ memberCount: 1, limitingCollectionId: dell, limitingCollectionName: 'Dell', ruleCount: 2 });
    expect(c.evaluatedAt).not.toBeNull();
  });

  it('re-evaluates dependents after a rule change, and on evaluate', async () => {
    const base = await create({ name: 'Base', rules: [{ kind: 'direct', resourceId: ids['HP-01'] }] });
    const mid = await create({ name: 'Mid', rules: [{ kind: 'include', collectionId: base }] });
    const top = await create({ name: 'Top', limitingCollectionId: mid, rules: [{ kind: 'query', query: 'select * from SMS_R_System' }] });
    expect(await members(api, top)).toEqual(['HP-01']);
    const added = await api.call('POST', `/api/v1/collections/${base}/rules`, { body: { kind: 'direct', resourceId: ids['LENOVO-01'] } });
    expect(added.status).toBe(201);
    expect(added.json.evaluated.map((e: { collectionId: string }) => e.collectionId)).toEqual([base, mid, top]);
    expect(await members(api, top)).toEqual(['HP-01', 'LENOVO-01']);
    await api.call('DELETE', `/api/v1/collections/${base}/rules/${added.json.rule.ruleId}`);
    expect(await members(api, top)).toEqual(['HP-01']);
    // A changed device joins and leaves its query collections at once (issue 16 item 4: the
    // device's own rows are evaluated with the change), and the counts follow.
    await api.call('PATCH', `/api/v1/devices/${ids['LENOVO-01']}`, { body: { properties: { manufacturer: 'HP', model: 'ThinkPad T14' } } });
    const hp = await create({ name: 'HP', rules: [{ kind: 'query', query: `select * from SMS_R_System where Manufacturer = 'HP'` }] });
    expect(await members(api, hp)).toEqual(['HP-01', 'LENOVO-01']);
    await api.call('PATCH', `/api/v1/devices/${ids['LENOVO-01']}`, { body: { properties: { manufacturer: 'LENOVO' } } });
    expect(await members(api, hp)).toEqual(['HP-01']);
    expect((await api.call('GET', `/api/v1/collections/${hp}`)).json.memberCount).toBe(1);
    await api.call('PATCH', `/api/v1/devices/${ids['LENOVO-01']}`, { body: { properties: { manufacturer: 'HP' } } });
    expect(await members(api, hp)).toEqual(['HP-01', 'LENOVO-01']);
    expect((await api.call('GET', `/api/v1/collections/${hp}`)).json.memberCount).toBe(2);
    await api.call('PATCH', `/api/v1/devices/${ids['LENOVO-01']}`, { body: { properties: { manufacturer: 'LENOVO' } } });
    const ev = await api.call('POST', `/api/v1/collections/${hp}/evaluate`);
    expect(ev.json.evaluated).toEqual([{ collectionId: hp, memberCount: 1 }]);
    expect(await members(api, hp)).toEqual(['HP-01']);
  });

  it('refuses cycles across include, exclude and limiting collections, naming the cycle', async () => {
    const a = await create({ name: 'Cycle A' });
    const b = await create({ name: 'Cycle B', rules: [{ kind: 'include', collectionId: a }] });
    const c = await create({ name: 'Cycle C', limitingCollectionId: b });
    const r = await api.call('POST', `/api/v1/collections/${a}/rules`, { body: { kind: 'exclude', collectionId: c } });
    expect(r.status).toBe(400);
    expect(r.json.rule).toBe(
      `this rule would make a cycle: ${a} "Cycle A" excludes ${c} "Cycle C", which is limited to ${b} "Cycle B", which includes ${a} "Cycle A"`,
    );
    const self = await api.call('POST', `/api/v1/collections/${a}/rules`, { body: { kind: 'include', collectionId: a } });
    expect(self.status).toBe(400);
    const lim = await api.call('PATCH', `/api/v1/collections/${a}`, { body: { limitingCollectionId: c } });
    expect(lim.status).toBe(400);
    expect(lim.json.input).toBe('body.limitingCollectionId');
  });

  it('protects built-ins and collections in use; deleting takes the variables along', async () => {
    expect((await api.call('DELETE', '/api/v1/collections/SMS00001')).status).toBe(409);
    expect((await api.call('POST', '/api/v1/collections/SMS000US/rules', { body: { kind: 'direct', resourceId: ids['HP-01'] } })).status).toBe(409);
    expect((await api.call('PATCH', '/api/v1/collections/SMS00001', { body: { name: 'Everything' } })).status).toBe(409);
    expect((await api.call('GET', '/api/v1/collections/SMS00001')).json.memberCount).toBe(7);
    expect(await members(api, 'SMS000US')).toEqual(['x64 Unknown Computer (x64 Unknown Computer)', 'x86 Unknown Computer (x86 Unknown Computer)']);
    const dup = await api.call('POST', '/api/v1/collections', { body: { name: 'all systems' } });
    expect(dup.status).toBe(409);

    const used = await create({ name: 'Used' });
    const user = await create({ name: 'User of Used', rules: [{ kind: 'exclude', collectionId: used }] });
    const refused = await api.call('DELETE', `/api/v1/collections/${used}`);
    expect(refused.status).toBe(409);
    expect(refused.json.rule).toContain(`collection ${user} "User of Used" (exclude rule)`);
    await api.call('PUT', `/api/v1/collections/${user}/variables/OSDTimeZone`, { body: { value: 'UTC' } });
    expect((await api.call('DELETE', `/api/v1/collections/${user}`)).status).toBe(200);
    expect((await api.site.db.query('SELECT 1 FROM collection_variables WHERE collection_id = $1', [user])).rows).toHaveLength(0);
    expect((await api.call('DELETE', `/api/v1/collections/${used}`)).status).toBe(200);
  });

  it('refuses deleting a collection a deployment targets, naming it', async () => {
    const target = await create({ name: 'Deployed to' });
    await api.site.db.query(
      `INSERT INTO software_update_deployments (deployment_id, name, collection_id, purpose, update_ids, available_at, created_by) VALUES ('PS120001', 'Patch Tuesday', $1, 'required', '[]', now(), 'test')`,
      [target],
    );
    const r = await api.call('DELETE', `/api/v1/collections/${target}`);
    expect(r.status).toBe(409);
    expect(r.json.rule).toContain('software update deployment PS120001 "Patch Tuesday"');
  });

  it('lets an OSD manager read but not create collections; an analyst is refused', async () => {
    const mgr = await api.call('POST', '/api/v1/collections', { token: api.tokens['osd-manager'], body: { name: 'By manager' } });
    expect(mgr.status).toBe(403);
    const an = await api.call('POST', `/api/v1/collections/SMS00001/evaluate`, { token: api.tokens['read-only-analyst'] });
    expect(an.status).toBe(403);
    expect((await api.call('GET', '/api/v1/collections', { token: api.tokens['read-only-analyst'] })).status).toBe(200);
  });
});
