import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_SYSTEMS, ALL_UNKNOWN_COMPUTERS } from '../../../src/site/seed.js';
import { DB_KINDS, startTestApi, type TestApi } from '../helpers/site.js';
import { addCollection, addSiteObjects, expectNoSecret, type SiteObjects, wizardAnswers } from '../task-sequences/fixtures.js';

const TS = '/api/v1/task-sequences';
const DEP = '/api/v1/deployments';

/** A task sequence naming the given packages in its steps (Apply OS, driver packages, a package). */
function contentXml(o: SiteObjects): string {
  const step = (type: string, name: string, vars: Record<string, [string, string]>, action: string, condition = ''): string =>
    `<step type="${type}" name="${name}">${condition}<action>${action}</action><defaultVarList>${Object.entries(vars)
      .map(([n, [p, v]]) => `<variable name="${n}" property="${p}">${v}</variable>`)
      .join('')}</defaultVarList></step>`;
  const lang = (l: string) =>
    `<condition><expression type="SMS_TaskSequence_VariableConditionExpression"><variable name="Operator">equals</variable><variable name="Value">${l}</variable><variable name="Variable">Language</variable></expression></condition>`;
  return `<sequence version="3.10"><group name="Install">${[
    step(
      'SMS_TaskSequence_ApplyOperatingSystemAction',
      'Apply en-US',
      { OSDImageIndex: ['ImageIndex', '2'], ImagePackageID: ['ImagePackageID', o.osImage] },
      'osdapplyos.exe /image:' + o.osImage + ',%OSDImageIndex%',
      lang('en-US'),
    ),
    step(
      'SMS_TaskSequence_ApplyOperatingSystemAction',
      'Apply de-DE',
      { OSDImageIndex: ['ImageIndex', '1'], ImagePackageID: ['ImagePackageID', o.osImageDe] },
      'osdapplyos.exe /image:' + o.osImageDe + ',%OSDImageIndex%',
      lang('de-DE'),
    ),
    step(
      'SMS_TaskSequence_ApplyDriverPackageAction',
      'Surface drivers',
      { OSDApplyDriverDriverPackageID: ['DriverPackageID', o.driverSurface] },
      'osddriverclient.exe /install:' + o.driverSurface,
    ),
    step(
      'SMS_TaskSequence_ApplyDriverPackageAction',
      'Common drivers',
      { OSDApplyDriverDriverPackageID: ['DriverPackageID', o.driverAny] },
      'osddriverclient.exe /install:' + o.driverAny,
    ),
    step(
      'SMS_TaskSequence_SetupWindowsAndSMSAction',
      'Setup Windows and ConfigMgr',
      { SMSClientPackageID: ['ClientPackageID', o.client] },
      'smsboot.exe /client',
    ),
    step(
      'SMS_TaskSequence_InstallSoftwareAction',
      'Install Tools',
      { PackageID: ['PackageID', o.toolsX86], _SMSSWDProgramName: ['ProgramName', 'Install'] },
      `smsswd.exe /pkg:${o.toolsX86} /install /labelname:Install`,
    ),
  ].join('')}</group></sequence>`;
}

const SCRIPT_XML = (pkg: string) =>
  `<sequence version="3.10"><group name="Scripts"><step type="SMS_TaskSequence_InstallSoftwareAction" name="Install Tools"><action>smsswd.exe /pkg:${pkg} /install /labelname:Install</action><defaultVarList><variable name="PackageID" property="PackageID">${pkg}</variable><variable name="_SMSSWDProgramName" property="ProgramName">Install</variable></defaultVarList></step></group></sequence>`;

describe.each(DB_KINDS)('deployments on %s', (kind) => {
  let api: TestApi;
  let o: SiteObjects;
  let osd: string; // the wizard's task sequence (boot image, Apply OS)
  let content: string; // many packages, for the content manifest
  let script: string; // no boot image
  let lab: string;
  let big: string;
  let withServer: string;
  let withSiteSystem: string;

  const deploy = (body: Record<string, unknown>, token?: string) => api.call('POST', DEP, { body, token });

  beforeAll(async () => {
    api = await startTestApi(kind);
    o = await addSiteObjects(api.site);
    osd = (await api.call('POST', `${TS}/wizard/install-image`, { body: wizardAnswers(o) })).json.taskSequence.id;
    const c = await api.call('POST', TS, { body: { name: 'Content test', format: 'xml', content: contentXml(o), bootImageId: o.bootX64 } });
    expect(c.status).toBe(201);
    content = c.json.taskSequence.id;
    script = (await api.call('POST', TS, { body: { name: 'Script only', format: 'xml', content: SCRIPT_XML(o.toolsX86) } })).json.taskSequence.id;
    lab = await addCollection(api.site, 'Lab desktops', [{ name: 'LAB01' }, { name: 'LAB02' }]);
    big = await addCollection(api.site, 'All desktops', [{ name: 'DESK01' }], 150);
    withServer = await addCollection(api.site, 'Mixed', [{ name: 'PC01' }, { name: 'FILESRV01', server: true }]);
    withSiteSystem = await addCollection(api.site, 'Infrastructure', [{ name: 'PC02' }, { name: 'SITESRV01', siteSystem: true, server: true }]);
  });
  afterAll(async () => api?.close());

  it('offers a task sequence without a boot image to clients only (§4.1)', async () => {
    const r = await deploy({ taskSequenceId: script, collectionId: lab, availability: 'clients-media-pxe' });
    expect(r.status).toBe(400);
    expect(r.json.input).toBe('body.availability');
    expect(r.json.rule).toContain('no boot image');
    const ok = await deploy({ taskSequenceId: script, collectionId: lab });
    expect(ok.status).toBe(201);
    expect(ok.json.deployment).toMatchObject({
      taskSequenceId: script,
      revision: 1,
      collectionId: lab,
      purpose: 'available',
      highRisk: false,
      enabled: true,
      collectionSize: 2,
      settings: { availability: 'clients', rerun: 'always', showProgress: true, contentOption: 'download-when-needed', preDownload: false, schedules: [] },
    });
    expect(ok.json.deployment.id).toMatch(/^PS1[0-9A-F]{5}$/);
  });

  it('enforces the deployment-option visibility rules (§4.3)', async () => {
    const allFirst = await deploy({ taskSequenceId: osd, collectionId: lab, availability: 'clients-media-pxe', contentOption: 'download-all-first' });
    expect(allFirst.status).toBe(400);
    expect(allFirst.json.input).toBe('body.contentOption');
    const allFirstOk = await deploy({ taskSequenceId: osd, collectionId: lab, availability: 'clients', contentOption: 'download-all-first' });
    expect(allFirstOk.status).toBe(201);

    const direct = await deploy({ taskSequenceId: script, collectionId: lab, contentOption: 'access-from-dp' });
    expect(direct.status).toBe(400);
    expect(direct.json.rule).toContain(o.toolsX86);
    expect(direct.json.packages).toEqual([o.toolsX86]);
    await api.site.db.query('UPDATE packages SET copy_to_share = true WHERE package_id = $1', [o.toolsX86]);
    const directOk = await deploy({ taskSequenceId: script, collectionId: lab, contentOption: 'access-from-dp' });
    expect(directOk.status).toBe(201);
    await api.site.db.query('UPDATE packages SET copy_to_share = false WHERE package_id = $1', [o.toolsX86]);
  });

  it('checks purpose, schedules and pre-download, and warns about download-when-needed with an OS image (§4.4)', async () => {
    const noSchedule = await deploy({ taskSequenceId: script, collectionId: lab, purpose: 'required' });
    expect(noSchedule.status).toBe(400);
    expect(noSchedule.json.input).toBe('body.schedules');
    const availableSchedule = await deploy({ taskSequenceId: script, collectionId: lab, schedules: ['asap'] });
    expect(availableSchedule.status).toBe(400);
    const requiredPre = await deploy({ taskSequenceId: script, collectionId: lab, purpose: 'required', schedules: ['asap'], preDownload: true });
    expect(requiredPre.status).toBe(400);
    expect(requiredPre.json.input).toBe('body.preDownload');
    const badInterval = await deploy({
      taskSequenceId: script,
      collectionId: lab,
      purpose: 'required',
      schedules: [{ recurring: 'interval', start: '2030-01-01T00:00:00Z', every: 90, unit: 'minutes' }],
    });
    expect(badInterval.status).toBe(400);
    expect(badInterval.json.input).toBe('body.schedules[0].every');
    const badShape = await deploy({ taskSequenceId: script, collectionId: lab, purpose: 'required', schedules: [{ recurring: 'yearly' }] });
    expect(badShape.status).toBe(400);
    expect(badShape.json.input).toMatch(/^body\.schedules/);
    const expired = await deploy({ taskSequenceId: script, collectionId: lab, availableAt: '2030-01-02T00:00:00Z', expiresAt: '2030-01-01T00:00:00Z' });
    expect(expired.status).toBe(400);
    const schedules = ['asap', { at: '2030-01-01T20:00:00Z' }, { recurring: 'weekly', start: '2030-01-01T20:00:00Z', day: 'friday' }, 'logoff'];
    const required = await deploy({ taskSequenceId: script, collectionId: lab, purpose: 'required', schedules, rerun: 'if-failed' });
    expect(required.status).toBe(201);
    expect(required.json.deployment.settings.schedules).toEqual([schedules[0], schedules[1], { ...(schedules[2] as object), everyWeeks: 1 }, 'logoff']);

    const warned = await deploy({ taskSequenceId: osd, collectionId: lab, preDownload: true });
    expect(warned.status).toBe(201);
    expect(warned.json.warnings.join('\n')).toContain('prefer "download all content locally before starting"');
    const quiet = await deploy({ taskSequenceId: osd, collectionId: lab, preDownload: true, contentOption: 'download-all-first' });
    expect(quiet.json.warnings.join('\n')).not.toContain('prefer "download all content locally before starting"');
  });

  it('refuses a revision that references content the site does not have, naming it (§4.1)', async () => {
    const ts = (await api.call('POST', TS, { body: { name: 'Broken reference', format: 'xml', content: SCRIPT_XML('PS1FFFFF') } })).json.taskSequence.id;
    const r = await deploy({ taskSequenceId: ts, collectionId: lab });
    expect(r.status).toBe(422);
    expect(r.json.error).toBe('blocked');
    expect(r.json.missingReferences).toEqual(['package PS1FFFFF']);
    expect(r.json.rule).toContain('PS1FFFFF');
    expect((await api.call('GET', `${DEP}?taskSequenceId=${ts}`)).json).toEqual([]);
  });

  it('verifies high-risk deployments (§4.5)', async () => {
    const required = { taskSequenceId: osd, purpose: 'required', schedules: ['asap'], availability: 'media-pxe' };
    const allSystems = await deploy({ ...required, collectionId: ALL_SYSTEMS });
    expect(allSystems.status).toBe(422);
    expect(allSystems.json.rule).toContain('All Systems');
    // Not high risk: Available, or a task sequence that does not deploy an OS.
    expect((await deploy({ taskSequenceId: osd, collectionId: ALL_SYSTEMS })).status).toBe(201);
    expect((await deploy({ taskSequenceId: script, collectionId: ALL_SYSTEMS, purpose: 'required', schedules: ['asap'] })).status).toBe(201);

    const unknown = await deploy({ ...required, collectionId: ALL_UNKNOWN_COMPUTERS, schedules: ['asap', { at: '2030-01-01T20:00:00Z' }] });
    expect(unknown.status).toBe(201);
    expect(unknown.json.deployment).toMatchObject({ highRisk: true, collectionSize: 2, settings: { highRiskReasons: [] } });
    expect(unknown.json.warnings.join('\n')).toContain('ignore every schedule');

    const large = await deploy({ ...required, collectionId: big });
    expect(large.status).toBe(409);
    expect(large.json.error).toBe('high-risk-confirmation-required');
    expect(large.json.reasons).toEqual(['the collection has 150 members, more than the default size 100']);
    const confirmed = await deploy({ ...required, collectionId: big, confirmHighRisk: true });
    expect(confirmed.status).toBe(201);
    expect(confirmed.json.deployment).toMatchObject({ highRisk: true, collectionSize: 150, settings: { highRiskReasons: large.json.reasons } });
    const ack = await api.call('GET', `/api/v1/audit?objectType=deployment&objectId=${confirmed.json.deployment.id}`);
    expect(ack.json).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'high-risk deployment acknowledged', details: expect.objectContaining({ reasons: large.json.reasons }) }),
      ]),
    );
    // The size is the one at creation: a later evaluation does not change it.
    await api.site.db.query('UPDATE collections SET member_count = 3 WHERE collection_id = $1', [big]);
    expect((await api.call('GET', `${DEP}/${confirmed.json.deployment.id}`)).json.collectionSize).toBe(150);
    await api.site.db.query('UPDATE collections SET member_count = 150 WHERE collection_id = $1', [big]);

    const server = await deploy({ ...required, collectionId: withServer });
    expect(server.status).toBe(409);
    expect(server.json.reasons).toEqual(['the collection contains servers: FILESRV01']);

    const blocked = await deploy({ ...required, collectionId: withSiteSystem, confirmHighRisk: true });
    expect(blocked.status).toBe(422);
    expect(blocked.json.siteSystems).toEqual(['SITESRV01']);
    expect(
      (await api.call('PUT', '/api/v1/settings/deployment-verification', { body: { defaultSize: 100, maximumSize: 120, siteSystems: 'verify' } })).status,
    ).toBe(200);
    const verify = await deploy({ ...required, collectionId: withSiteSystem });
    expect(verify.status).toBe(409);
    expect(verify.json.reasons).toEqual(['the collection contains site system servers: SITESRV01', 'the collection contains servers: SITESRV01']);
    expect((await deploy({ ...required, collectionId: withSiteSystem, confirmHighRisk: true })).status).toBe(201);
    const tooBig = await deploy({ ...required, collectionId: big, confirmHighRisk: true });
    expect(tooBig.status).toBe(422);
    expect(tooBig.json.rule).toContain('maximum size 120');
    await api.call('PUT', '/api/v1/settings/deployment-verification', { body: { defaultSize: 100, maximumSize: 0, siteSystems: 'block' } });
  });

  it('reads the content manifest for a UEFI x64 unknown computer', async () => {
    const d = await deploy({ taskSequenceId: content, collectionId: ALL_UNKNOWN_COMPUTERS, availability: 'clients-media-pxe', preDownload: true });
    expect(d.status).toBe(201);
    const id = d.json.deployment.id;
    const m = await api.call('GET', `${DEP}/${id}/content-manifest?architecture=x64&language=en-US&firmware=uefi`);
    expect(m.status).toBe(200);
    const byId = new Map<
      string,
      { preCached: boolean; sizeBytes: number; fileCount: number; distributionPoints: string[]; referencedAs: string; type: string }
    >(m.json.packages.map((p: { packageId: string }) => [p.packageId, p]));
    expect([...byId.keys()].sort()).toEqual([o.bootX64, o.osImage, o.osImageDe, o.driverSurface, o.driverAny, o.client, o.toolsX86].sort());
    expect(m.json.preCacheApplies).toBe(true);
    expect(m.json.bootImage).toMatchObject({ packageId: o.bootX64, architecture: 'x64', pxeCompatible: true });
    expect(byId.get(o.bootX64)).toMatchObject({
      referencedAs: 'boot image',
      type: 'boot image',
      sizeBytes: 400_000_000,
      fileCount: 3,
      preCached: true,
      distributionPoints: ['DP01.contoso.com', 'DP02.contoso.com'],
    });
    expect(byId.get(o.osImage)).toMatchObject({ preCached: true, sizeBytes: 5_000_000_000 });
    expect(byId.get(o.osImageDe)).toMatchObject({ preCached: false, distributionPoints: [] });
    expect(byId.get(o.driverSurface)).toMatchObject({ preCached: false, distributionPoints: [] }); // only an old version on DP01
    expect(byId.get(o.driverAny)).toMatchObject({ preCached: true, distributionPoints: ['DP02.contoso.com'] });
    expect(byId.get(o.toolsX86)).toMatchObject({ preCached: false, distributionPoints: [] });
    expect(byId.get(o.client)).toMatchObject({ preCached: true, sizeBytes: 12288, fileCount: 2, distributionPoints: ['DP01.contoso.com', 'DP02.contoso.com'] });
    const total = 400_000_000 + 5_000_000_000 + 5_100_000_000 + 700_000_000 + 50_000_000 + 12288 + 20_000_000;
    expect(m.json.totals).toEqual({
      packages: 7,
      totalBytes: total,
      preCacheBytes: 400_000_000 + 5_000_000_000 + 50_000_000 + 12288,
      notDistributed: [o.osImageDe, o.driverSurface, o.toolsX86].sort(),
      withoutContent: [],
    });

    const surface = await api.call('GET', `${DEP}/${id}/content-manifest?architecture=x64&language=en-US&model=Surface%20Laptop%205&firmware=uefi`);
    expect(surface.json.packages.find((p: { packageId: string }) => p.packageId === o.driverSurface).preCached).toBe(true);
    const german = await api.call('GET', `${DEP}/${id}/content-manifest?architecture=x64&language=de-de&firmware=bios`);
    expect(german.json.packages.find((p: { packageId: string }) => p.packageId === o.osImageDe).preCached).toBe(true);
    expect(german.json.packages.find((p: { packageId: string }) => p.packageId === o.osImage).preCached).toBe(false);

    // An x86 boot image does not boot a UEFI x64 machine (osd-features §5.1), but a BIOS x64 one.
    await api.call('PATCH', `${TS}/${content}`, { body: { bootImageId: o.bootX86 } });
    const x86 = await api.call('GET', `${DEP}/${id}/content-manifest?architecture=x64&language=en-US&firmware=uefi`);
    expect(x86.json.bootImage).toMatchObject({ packageId: o.bootX86, pxeCompatible: false });
    expect(x86.json.packages.map((p: { packageId: string }) => p.packageId)).not.toContain(o.bootX64);
    expect((await api.call('GET', `${DEP}/${id}/content-manifest?architecture=x64&firmware=bios`)).json.bootImage.pxeCompatible).toBe(true);
    await api.call('PATCH', `${TS}/${content}`, { body: { bootImageId: o.bootX64 } });

    // Required: nothing is pre-cached.
    const req = await deploy({ taskSequenceId: content, collectionId: lab, purpose: 'required', schedules: ['asap'] });
    const none = await api.call('GET', `${DEP}/${req.json.deployment.id}/content-manifest?architecture=x64&language=en-US`);
    expect(none.json.preCacheApplies).toBe(false);
    expect(none.json.totals.preCacheBytes).toBe(0);
  });

  it('lists, disables, deletes; a deployed task sequence cannot be deleted', async () => {
    const list = await api.call('GET', `${DEP}?collectionId=${lab}&taskSequenceId=${osd}`);
    expect(list.json.length).toBeGreaterThan(0);
    expect(list.json.every((d: { collectionId: string; taskSequenceId: string }) => d.collectionId === lab && d.taskSequenceId === osd)).toBe(true);
    const depId = list.json[0].id;
    expect((await api.call('PATCH', `${DEP}/${depId}`, { body: { enabled: false } })).json.enabled).toBe(false);
    expect((await api.call('GET', `${DEP}/${depId}`)).json.enabled).toBe(false);

    const del = await api.call('DELETE', `${TS}/${osd}`);
    expect(del.status).toBe(409);
    expect(del.json.error).toBe('in-use');
    expect(del.json.deployments).toContain(depId);
    expect(del.json.rule).toContain(depId);

    for (const d of (await api.call('GET', `${DEP}?taskSequenceId=${osd}`)).json) {
      expect((await api.call('DELETE', `${DEP}/${d.id}`)).status).toBe(200);
    }
    expect((await api.call('GET', `${DEP}/${depId}`)).status).toBe(404);
    expect((await api.call('DELETE', `${TS}/${osd}`)).status).toBe(200);
    expect((await api.call('GET', `${TS}/${osd}`)).status).toBe(404);
    const auditLog = await api.call('GET', '/api/v1/audit?objectType=deployment&limit=1000');
    expect(auditLog.json.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['create', 'disable', 'delete']));
    expectNoSecret(auditLog.body, 'deployment audit');
  });

  it('needs deployment.write to deploy', async () => {
    const analyst = await deploy({ taskSequenceId: script, collectionId: lab }, api.tokens['read-only-analyst']);
    expect(analyst.status).toBe(403);
    expect((await api.call('GET', DEP, { token: api.tokens['read-only-analyst'] })).status).toBe(200);
    const manager = await deploy({ taskSequenceId: script, collectionId: lab }, api.tokens['osd-manager']);
    expect(manager.status).toBe(201);
    expect((await api.call('PATCH', `${DEP}/${manager.json.deployment.id}`, { token: api.tokens['read-only-analyst'], body: { enabled: false } })).status).toBe(
      403,
    );
    expect((await api.call('DELETE', `${DEP}/${manager.json.deployment.id}`, { token: api.tokens['read-only-analyst'] })).status).toBe(403);
    expect((await deploy({ taskSequenceId: script, collectionId: 'PS1FFFF9' })).status).toBe(404);
  });
});
