import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSiteManifest } from '../../../src/site/objects/site-manifest.js';
import { DB_KINDS, startTestApi, type TestApi } from '../helpers/site.js';

let work: string;
let appSource: string;
let updateFiles: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'openosd-objects-app-'));
  appSource = join(work, 'app');
  await mkdir(appSource, { recursive: true });
  await writeFile(join(appSource, 'setup.msi'), 'not really an MSI, but content all the same');
  updateFiles = join(work, 'updates');
  await mkdir(updateFiles, { recursive: true });
  await writeFile(join(updateFiles, 'windows11.0-kb5034123-x64.msu'), 'update payload');
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const msi = {
  name: 'Contoso Reader - Windows Installer (*.msi file)',
  technology: 'msi',
  installCommand: 'msiexec /i setup.msi /qn',
  detectionMethod: { kind: 'msi-product-code', value: '{6F2B1C1A-1111-4B4B-9C9C-123456789ABC}' },
};

describe.each(DB_KINDS)('applications and software updates on %s', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(kind);
  });
  afterAll(async () => api?.close());

  it('creates an application with a model name in the site scope and its content as a PackageType 8 package', async () => {
    const r = await api.call('POST', '/api/v1/applications', {
      body: {
        name: 'Contoso Reader',
        publisher: 'Contoso',
        softwareVersion: '5.1',
        allowTaskSequenceInstall: true,
        deploymentTypes: [msi],
        sourcePath: appSource,
      },
    });
    expect(r.status).toBe(201);
    expect(r.json.modelName).toMatch(/^ScopeId_[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\/Application_[0-9a-f-]{36}$/);
    expect(r.json.taskSequenceReady).toEqual({ ok: true, problems: [] });
    expect(r.json.deploymentTypes[0]).toMatchObject({
      runAs: 'system',
      logonRequirement: 'whether-or-not',
      userInteraction: false,
      checkRunningExecutables: false,
    });
    const pkg = await api.call('GET', `/api/v1/packages/${r.json.packageId}`);
    expect(pkg.json).toMatchObject({ packageType: 8, name: 'Contoso Reader', manufacturer: 'Contoso', contentFileCount: 1 });
    // A second application shares the scope.
    const second = await api.call('POST', '/api/v1/applications', { body: { name: 'Second', deploymentTypes: [] } });
    expect(second.json.modelName.split('/')[0]).toBe(r.json.modelName.split('/')[0]);
    expect(second.json.taskSequenceReady.ok).toBe(false);
    expect(second.json.taskSequenceReady.problems).toEqual(
      expect.arrayContaining([expect.stringContaining('Allow this application'), 'the application has no deployment type']),
    );
    // The site manifest offers it to lint and the wizard.
    const manifest = await buildSiteManifest(api.site.db, api.site.siteCode);
    expect(manifest.applications).toEqual(expect.arrayContaining([{ modelName: r.json.modelName, name: 'Contoso Reader', allowTaskSequenceInstall: true }]));
    const dupName = await api.call('POST', '/api/v1/applications', { body: { name: 'contoso reader' } });
    expect(dupName.status).toBe(409);
    expect(dupName.json.input).toBe('body.name');
  });

  it('names every §2.7 rule a deployment type breaks for task sequence installs', async () => {
    const r = await api.call('POST', '/api/v1/applications', {
      body: {
        name: 'Not for task sequences',
        allowTaskSequenceInstall: true,
        deploymentTypes: [
          {
            ...msi,
            name: 'user install',
            runAs: 'user',
            logonRequirement: 'only-when-logged-on',
            userInteraction: true,
            checkRunningExecutables: true,
            postInstallBehavior: 'program-restarts',
          },
          { name: 'App-V', technology: 'appv', detectionMethod: { kind: 'file', value: 'C:\\x' } },
        ],
      },
    });
    expect(r.status).toBe(201);
    const problems: string[] = r.json.taskSequenceReady.problems;
    expect(r.json.taskSequenceReady.ok).toBe(false);
    expect(problems).toHaveLength(6);
    expect(problems.join('\n')).toMatch(/Install for system/);
    expect(problems.join('\n')).toMatch(/Whether or not a user is logged on/);
    expect(problems.join('\n')).toMatch(/user interaction/);
    expect(problems.join('\n')).toMatch(/running executables/);
    expect(problems.join('\n')).toMatch(/3010/);
    expect(problems.join('\n')).toMatch(/App-V; a task sequence installs only Windows Installer or Script/);
    const fixed = await api.call('PATCH', `/api/v1/applications/${r.json.ciId}`, { body: { deploymentTypes: [msi] } });
    expect(fixed.json.taskSequenceReady).toEqual({ ok: true, problems: [] });
    const noCommand = await api.call('PATCH', `/api/v1/applications/${r.json.ciId}`, { body: { deploymentTypes: [{ ...msi, installCommand: '' }] } });
    expect(noCommand.status).toBe(400);
    expect(noCommand.json.input).toBe('body.deploymentTypes[0].installCommand');
    const badTech = await api.call('PATCH', `/api/v1/applications/${r.json.ciId}`, { body: { deploymentTypes: [{ ...msi, technology: 'exe' }] } });
    expect(badTech.status).toBe(400);
    expect(badTech.json.input).toBe('body.deploymentTypes.0.technology');
  });

  it('records supersedence, retires with a warning when a task sequence references it, and refuses deletion while referenced', async () => {
    const list = (await api.call('GET', '/api/v1/applications')).json;
    const reader = list.find((a: { name: string }) => a.name === 'Contoso Reader');
    const v6 = await api.call('POST', '/api/v1/applications', {
      body: { name: 'Contoso Reader 6', allowTaskSequenceInstall: true, deploymentTypes: [msi], supersedes: [reader.ciId] },
    });
    expect(v6.json.supersedes).toEqual([reader.modelName]);
    expect((await api.call('GET', `/api/v1/applications/${reader.ciId}`)).json.supersededBy).toBe(v6.json.modelName);
    const loop = await api.call('PATCH', `/api/v1/applications/${reader.ciId}`, { body: { supersedes: [v6.json.ciId] } });
    expect(loop.status).toBe(400);
    expect(loop.json.input).toBe('body.supersedes[0]');

    const db = api.site.db;
    await db.query(`INSERT INTO task_sequences (package_id, name, current_revision) VALUES ('PS1FFF02', 'Apps', 1)`);
    await db.query(
      `INSERT INTO task_sequence_revisions (package_id, revision, author, body, size_bytes, step_count) VALUES ('PS1FFF02', 1, 'test', '{}', 2, 0)`,
    );
    await db.query(`INSERT INTO task_sequence_references (package_id, revision, ref_id, ref_kind) VALUES ('PS1FFF02', 1, $1, 'application')`, [
      v6.json.modelName,
    ]);
    const retire = await api.call('POST', `/api/v1/applications/${v6.json.ciId}/retire`);
    expect(retire.status).toBe(200);
    expect(retire.json.application.retired).toBe(true);
    expect(retire.json.application.taskSequenceReady.problems).toContain('the application is retired');
    expect(retire.json.warnings[0]).toContain('PS1FFF02 (Apps, revision 1)');
    const del = await api.call('DELETE', `/api/v1/applications/${v6.json.ciId}`);
    expect(del.status).toBe(409);
    expect(del.json.error).toBe('in-use');
    await db.query(`DELETE FROM task_sequences WHERE package_id = 'PS1FFF02'`);
    const stillSuper = await api.call('DELETE', `/api/v1/applications/${v6.json.ciId}`);
    expect(stillSuper.status).toBe(409);
    expect(stillSuper.json.rule).toContain('supersedence');
    await api.call('PATCH', `/api/v1/applications/${v6.json.ciId}`, { body: { supersedes: [] } });
    expect((await api.call('GET', `/api/v1/applications/${reader.ciId}`)).json.supersededBy).toBeNull();
    // Deleting an application takes its content package with it; deleting that package alone is refused.
    const pkgDel = await api.call('DELETE', `/api/v1/packages/${reader.packageId}`);
    expect(pkgDel.status).toBe(409);
    expect(pkgDel.json.rule).toContain('Contoso Reader');
    expect((await api.call('DELETE', `/api/v1/applications/${reader.ciId}`)).status).toBe(200);
    expect((await api.call('GET', `/api/v1/packages/${reader.packageId}`)).status).toBe(404);
  });

  it('lets an OSD manager read applications but not change them', async () => {
    const osd = await api.call('POST', '/api/v1/applications', { token: api.tokens['osd-manager'], body: { name: 'By OSD manager' } });
    expect(osd.status).toBe(403);
    expect(osd.json.rule).toContain('application.write');
    expect((await api.call('POST', '/api/v1/applications', { token: api.tokens['read-only-analyst'], body: { name: 'x' } })).status).toBe(403);
    expect((await api.call('GET', '/api/v1/applications', { token: api.tokens['osd-manager'] })).status).toBe(200);
  });

  const updates = [
    {
      updateId: '8C3FCC84-7410-4A95-8B89-A166A0190486',
      articleId: '5034123',
      bulletinId: '',
      title: '2024-01 Cumulative Update for Windows 11 Version 23H2 for x64-based Systems (KB5034123)',
      classification: 'Security Updates',
      products: ['Windows 11'],
      severity: 'Critical',
    },
    {
      updateId: '{0b2a5a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b}',
      articleId: '890830',
      title: 'Windows Malicious Software Removal Tool x64 - v5.120',
      classification: 'Update Rollups',
      products: ['Windows 10', 'Windows 11'],
      superseded: true,
    },
    { updateId: '11111111-2222-3333-4444-555555555555', title: 'Expired update', expired: true },
  ];

  it('imports software update metadata with a deployment package, re-imports by update id, and filters the list', async () => {
    const r = await api.call('POST', '/api/v1/software-updates/import', { body: { updates, sourcePath: updateFiles, packageName: 'January updates' } });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ imported: 3, updated: 0 });
    const pkg = await api.call('GET', `/api/v1/packages/${r.json.packageId}`);
    expect(pkg.json).toMatchObject({ packageType: 5, name: 'January updates', contentFileCount: 1 });
    expect(r.json.updates.map((u: { updateId: string }) => u.updateId)).toEqual([
      '8c3fcc84-7410-4a95-8b89-a166a0190486',
      '0b2a5a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
      '11111111-2222-3333-4444-555555555555',
    ]);
    const again = await api.call('POST', '/api/v1/software-updates/import', { body: { updates: [{ ...updates[0], severity: 'Important' }] } });
    expect(again.json).toMatchObject({ imported: 0, updated: 1 });
    expect(again.json.updates[0]).toMatchObject({ severity: 'Important', packageId: r.json.packageId });
    expect((await api.call('GET', '/api/v1/software-updates?classification=security%20updates')).json).toHaveLength(1);
    expect((await api.call('GET', '/api/v1/software-updates?product=Windows%2010')).json.map((u: { articleId: string }) => u.articleId)).toEqual(['890830']);
    expect((await api.call('GET', '/api/v1/software-updates?superseded=false&expired=false')).json).toHaveLength(1);
    expect((await api.call('GET', '/api/v1/software-updates?articleId=KB5034123')).json).toHaveLength(1);
    const bad = await api.call('POST', '/api/v1/software-updates/import', { body: { updates: [{ updateId: 'nope', title: 'x' }] } });
    expect(bad.status).toBe(400);
    expect(bad.json.input).toBe('body.updates.0.updateId');
  });

  it('deploys updates to a collection: Required needs a deadline, the collection and updates must exist', async () => {
    const base = { name: 'Patch Tuesday', collectionId: 'SMS00001', updateIds: [updates[0]!.updateId] };
    const noDeadline = await api.call('POST', '/api/v1/software-update-deployments', { body: { ...base, purpose: 'required' } });
    expect(noDeadline.status).toBe(400);
    expect(noDeadline.json.input).toBe('body.deadline');
    const noCollection = await api.call('POST', '/api/v1/software-update-deployments', { body: { ...base, purpose: 'available', collectionId: 'PS1FFFFF' } });
    expect(noCollection.status).toBe(400);
    expect(noCollection.json.input).toBe('body.collectionId');
    const unknown = await api.call('POST', '/api/v1/software-update-deployments', {
      body: { ...base, purpose: 'available', updateIds: ['99999999-2222-3333-4444-555555555555'] },
    });
    expect(unknown.json.input).toBe('body.updateIds[0]');
    const expired = await api.call('POST', '/api/v1/software-update-deployments', {
      body: { ...base, purpose: 'available', updateIds: [updates[2]!.updateId] },
    });
    expect(expired.status).toBe(400);
    const deadline = new Date(Date.now() + 86_400_000).toISOString();
    const r = await api.call('POST', '/api/v1/software-update-deployments', { body: { ...base, purpose: 'required', deadline } });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({
      deploymentId: expect.stringMatching(/^PS1[0-9A-F]{5}$/),
      collectionId: 'SMS00001',
      purpose: 'required',
      deadline,
      updateIds: ['8c3fcc84-7410-4a95-8b89-a166a0190486'],
    });
    expect((await api.call('GET', '/api/v1/software-update-deployments?collectionId=SMS00001')).json).toHaveLength(1);
    const osd = await api.call('DELETE', `/api/v1/software-update-deployments/${r.json.deploymentId}`, { token: api.tokens['osd-manager'] });
    expect(osd.status).toBe(403);
    expect((await api.call('DELETE', `/api/v1/software-update-deployments/${r.json.deploymentId}`)).status).toBe(200);
    expect((await api.call('GET', '/api/v1/software-update-deployments')).json).toEqual([]);
  });
});
