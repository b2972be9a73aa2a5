import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, startTestApi, type TestApi } from '../helpers/site.js';
import { addCollection, addSiteObjects, type SiteObjects, wizardAnswers } from '../task-sequences/fixtures.js';

const TS = '/api/v1/task-sequences';
const DEP = '/api/v1/deployments';

/** A task sequence of one Install Software step on `pkg` (no boot image: clients only). */
const scriptXml = (pkg: string, name = 'Install Tools') =>
  `<sequence version="3.10"><group name="Scripts"><step type="SMS_TaskSequence_InstallSoftwareAction" name="${name}"><action>smsswd.exe /pkg:${pkg} /install /labelname:Install</action><defaultVarList><variable name="PackageID" property="PackageID">${pkg}</variable><variable name="_SMSSWDProgramName" property="ProgramName">Install</variable></defaultVarList></step></group></sequence>`;

describe.each(DB_KINDS)('deployments after creation: show, update, follow or pin a revision, delete, on %s', (kind) => {
  let api: TestApi;
  let o: SiteObjects;
  let osd: string;
  let script: string;
  let lab: string;

  const deploy = async (body: Record<string, unknown>) => {
    const r = await api.call('POST', DEP, { body });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return r.json.deployment as { id: string; revision: number; followLatest: boolean };
  };
  const get = async (id: string) => (await api.call('GET', `${DEP}/${id}`)).json;
  const save = async (id: string, base: number, name: string) => {
    const r = await api.call('PUT', `${TS}/${id}`, { body: { baseRevision: base, format: 'xml', content: scriptXml(o.toolsX86, name) } });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json as { revision: { revision: number }; warnings: string[] };
  };

  beforeAll(async () => {
    api = await startTestApi(kind);
    o = await addSiteObjects(api.site);
    osd = (await api.call('POST', `${TS}/wizard/install-image`, { body: wizardAnswers(o) })).json.taskSequence.id;
    script = (await api.call('POST', TS, { body: { name: 'Script only', format: 'xml', content: scriptXml(o.toolsX86) } })).json.taskSequence.id;
    lab = await addCollection(api.site, 'Lab desktops', [{ name: 'LAB01' }, { name: 'LAB02' }]);
  });
  afterAll(async () => api?.close());

  it('a new deployment follows the latest revision (as in ConfigMgr); one given a revision pins it; saves and reverts move only the first', async () => {
    const following = await deploy({ taskSequenceId: script, collectionId: lab });
    expect(following).toMatchObject({ revision: 1, followLatest: true, currentRevision: 1, updatedAt: null });
    const latest = await deploy({ taskSequenceId: script, collectionId: lab, revision: 'latest' });
    expect(latest).toMatchObject({ revision: 1, followLatest: true });
    const pinned = await deploy({ taskSequenceId: script, collectionId: lab, revision: 1 });
    expect(pinned).toMatchObject({ revision: 1, followLatest: false });

    const saved = await save(script, 1, 'Install Tools v2');
    expect(saved.revision.revision).toBe(2);
    expect(saved.warnings.join('\n')).toContain(
      `deployments ${[following.id, latest.id].sort().join(', ')} follow the latest revision: computers now run revision 2`,
    );
    expect(await get(following.id)).toMatchObject({ revision: 2, followLatest: true, currentRevision: 2 });
    expect(await get(pinned.id)).toMatchObject({ revision: 1, followLatest: false, currentRevision: 2 });
    // What computers get is read from `revision`: the content manifest follows it.
    expect((await api.call('GET', `${DEP}/${following.id}/content-manifest`)).json.revision).toBe(2);

    const reverted = await api.call('POST', `${TS}/${script}/revert`, { body: { revision: 1 } });
    expect(reverted.json.revision.revision).toBe(3);
    expect(reverted.json.warnings.join('\n')).toContain('computers now run revision 3');
    expect((await get(following.id)).revision).toBe(3);
    expect((await get(pinned.id)).revision).toBe(1);

    // Moving: the pinned one to the latest, the following one pinned to 2.
    const moved = await api.call('PATCH', `${DEP}/${pinned.id}`, { body: { revision: 'latest' } });
    expect(moved.status).toBe(200);
    expect(moved.json).toMatchObject({ revision: 3, followLatest: true, warnings: expect.any(Array) });
    expect(moved.json.updatedAt).toEqual(expect.any(String));
    const pinnedNow = await api.call('PATCH', `${DEP}/${following.id}`, { body: { revision: 2 } });
    expect(pinnedNow.json).toMatchObject({ revision: 2, followLatest: false });
    expect(pinnedNow.json.warnings).toContain('revision 2 is deployed, not the current revision 3');
    await save(script, 3, 'Install Tools v4');
    expect((await get(following.id)).revision).toBe(2);
    expect((await get(pinned.id)).revision).toBe(4);

    const missing = await api.call('PATCH', `${DEP}/${following.id}`, { body: { revision: 9 } });
    expect(missing.status).toBe(400);
    expect(missing.json.input).toBe('body.revision');
    expect(missing.json.rule).toContain('no revision 9 (its current revision is 4)');
    expect(await get(following.id)).toMatchObject({ revision: 2, followLatest: false });

    const auditLog = await api.call('GET', `/api/v1/audit?objectType=deployment&objectId=${following.id}&limit=100`);
    const update = auditLog.json.find((e: { action: string; objectId: string }) => e.action === 'update' && e.objectId === following.id);
    expect(update.details.changes).toEqual({ revision: { before: 3, after: 2 }, followLatest: { before: true, after: false } });
  });

  it('a deployment made before following existed (a row without the option) stays pinned', async () => {
    const d = await deploy({ taskSequenceId: script, collectionId: lab, revision: 4 });
    // As migration 009 leaves older rows: follow_latest false.
    const { rows } = await api.site.db.query<{ follow_latest: boolean }>('SELECT follow_latest FROM deployments WHERE deployment_id = $1', [d.id]);
    expect(rows[0]!.follow_latest).toBe(false);
    await save(script, 4, 'Install Tools v5');
    expect((await get(d.id)).revision).toBe(4);
  });

  it('updates the settings the wizard lets an admin change afterwards, and only those given', async () => {
    const d = await deploy({ taskSequenceId: script, collectionId: lab, purpose: 'required', schedules: ['asap'], comments: 'first' });
    const r = await api.call('PATCH', `${DEP}/${d.id}`, {
      body: {
        schedules: [{ at: '2030-01-01T20:00:00Z' }, 'logoff'],
        rerun: 'if-failed',
        showProgress: false,
        availableAt: '2029-12-31T00:00:00Z',
        expiresAt: '2030-06-01T00:00:00+02:00',
        comments: 'moved to the maintenance night',
        restartOutsideMaintenanceWindow: true,
        enabled: false,
      },
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({
      enabled: false,
      purpose: 'required',
      settings: {
        schedules: [{ at: '2030-01-01T20:00:00Z' }, 'logoff'],
        rerun: 'if-failed',
        showProgress: false,
        availableAt: '2029-12-31T00:00:00.000Z',
        expiresAt: '2030-05-31T22:00:00.000Z',
        comments: 'moved to the maintenance night',
        restartOutsideMaintenanceWindow: true,
        softwareInstallOutsideMaintenanceWindow: false,
        contentOption: 'download-when-needed',
      },
    });
    const cleared = await api.call('PATCH', `${DEP}/${d.id}`, { body: { expiresAt: null, enabled: true } });
    expect(cleared.json).toMatchObject({ enabled: true, settings: { expiresAt: null, comments: 'moved to the maintenance night' } });
    const audits = (await api.call('GET', `/api/v1/audit?objectType=deployment&objectId=${d.id}&limit=100`)).json as Array<{
      action: string;
      objectId: string;
      details: { changes?: Record<string, unknown> };
    }>;
    const mine = audits.filter((a) => a.objectId === d.id && a.action === 'update');
    expect(mine.map((a) => Object.keys(a.details.changes ?? {}).sort())).toEqual(
      expect.arrayContaining([
        ['availableAt', 'comments', 'enabled', 'expiresAt', 'rerun', 'restartOutsideMaintenanceWindow', 'schedules', 'showProgress'],
        ['enabled', 'expiresAt'],
      ]),
    );
  });

  it('refuses an update that breaks a rule of creation, naming the field, and changes nothing (§4.1, §4.3, §4.4)', async () => {
    const available = await deploy({ taskSequenceId: script, collectionId: lab });
    const required = await deploy({ taskSequenceId: script, collectionId: lab, purpose: 'required', schedules: ['asap'] });
    const pxe = await deploy({ taskSequenceId: osd, collectionId: lab, availability: 'clients-media-pxe' });
    const expiring = await deploy({ taskSequenceId: script, collectionId: lab, availableAt: '2030-01-01T00:00:00Z', expiresAt: '2030-02-01T00:00:00Z' });
    const cases: Array<[string, Record<string, unknown>, number, string | RegExp]> = [
      [available.id, { schedules: ['asap'] }, 400, 'body.schedules'],
      [required.id, { schedules: [] }, 400, 'body.schedules'],
      [required.id, { schedules: [{ recurring: 'interval', start: '2030-01-01T00:00:00Z', every: 90, unit: 'minutes' }] }, 400, 'body.schedules[0].every'],
      [required.id, { preDownload: true }, 400, 'body.preDownload'],
      [available.id, { availableAt: '2030-01-02T00:00:00Z', expiresAt: '2030-01-01T00:00:00Z' }, 400, 'body.expiresAt'],
      [pxe.id, { contentOption: 'download-all-first' }, 400, 'body.contentOption'],
      [expiring.id, { availableAt: '2030-03-01T00:00:00Z' }, 400, 'body.availableAt'],
      [available.id, { contentOption: 'access-from-dp' }, 400, 'body.contentOption'],
      [available.id, { rerun: 'sometimes' }, 400, /^body\.rerun/],
      [available.id, { purpose: 'required' }, 400, /purpose/],
      [available.id, { comments: 'x'.repeat(513) }, 400, /^body\.comments/],
      [available.id, { revision: 0 }, 400, /^body\.revision/],
      [available.id, {}, 400, 'body'],
    ];
    for (const [id, body, status, input] of cases) {
      const before = await get(id);
      const r = await api.call('PATCH', `${DEP}/${id}`, { body });
      expect(r.status, `${JSON.stringify(body)} → ${JSON.stringify(r.json)}`).toBe(status);
      if (typeof input === 'string') expect(r.json.input).toBe(input);
      else expect(r.json.input).toMatch(input);
      expect(await get(id), JSON.stringify(body)).toEqual(before);
    }
    expect((await api.call('PATCH', `${DEP}/PS1FFFFF`, { body: { enabled: false } })).status).toBe(404);
    // The same settings within the rules are accepted.
    expect((await api.call('PATCH', `${DEP}/${pxe.id}`, { body: { contentOption: 'download-when-needed', preDownload: true } })).status).toBe(200);
    expect((await api.call('PATCH', `${DEP}/${required.id}`, { body: { schedules: ['logon'] } })).json.settings.schedules).toEqual(['logon']);
  });

  it('needs deployment.write to update or delete; delete removes it, once', async () => {
    const d = await deploy({ taskSequenceId: script, collectionId: lab });
    const analyst = api.tokens['read-only-analyst'];
    expect((await api.call('PATCH', `${DEP}/${d.id}`, { token: analyst, body: { comments: 'x' } })).status).toBe(403);
    expect((await api.call('DELETE', `${DEP}/${d.id}`, { token: analyst })).status).toBe(403);
    const count = async () => (await api.call('GET', `${TS}/${script}`)).json.deploymentCount as number;
    const before = await count();
    const del = await api.call('DELETE', `${DEP}/${d.id}`, { token: api.tokens['osd-manager'] });
    expect(del.status).toBe(200);
    expect(del.json.id).toBe(d.id);
    expect(await count()).toBe(before - 1);
    expect((await api.call('GET', `${DEP}/${d.id}`)).status).toBe(404);
    const again = await api.call('DELETE', `${DEP}/${d.id}`);
    expect(again.status).toBe(404);
    expect(again.json.see).toBeDefined();
  });

  it('lists task sequences with a search over name and id, any case', async () => {
    const all = (await api.call('GET', TS)).json as Array<{
      id: string;
      name: string;
      currentRevision: number;
      bootImageId: string | null;
      deploymentCount: number;
    }>;
    expect(all.map((t) => t.id)).toEqual(expect.arrayContaining([osd, script]));
    const found = (await api.call('GET', `${TS}?search=SCRIPT`)).json as typeof all;
    expect(found.map((t) => t.id)).toEqual([script]);
    expect(found[0]).toMatchObject({ name: 'Script only', currentRevision: 5, bootImageId: null });
    expect(found[0]!.deploymentCount).toBeGreaterThan(0);
    expect(((await api.call('GET', `${TS}?search=${osd.slice(3).toLowerCase()}`)).json as typeof all).map((t) => t.id)).toEqual([osd]);
    expect((await api.call('GET', `${TS}?search=${encodeURIComponent('100%')}`)).json).toEqual([]);
  });
});
