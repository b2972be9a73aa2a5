/**
 * The management point's answers for Install Application and Install Software Updates
 * (src/site/mp/software.ts), through the server on both databases: applications by model name
 * and by exact display name, dependencies first, refusals explained, unknown names; updates
 * deployed to the device's collections with purpose (Required wins), available time, disabled and
 * expired deployments, non-members; device credentials only.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, startTestApi, type TestApi } from '../../site/helpers/site.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'openosd-mp-software-'));
  for (const app of ['runtime', 'editor', 'viewer', 'userapp']) {
    await mkdir(join(work, app), { recursive: true });
    await writeFile(join(work, app, 'install.sh'), `#!/bin/sh\necho ${app}\n`);
  }
  await mkdir(join(work, 'updates'), { recursive: true });
  await writeFile(join(work, 'updates', 'kb1.msu'), 'update one');
  await writeFile(join(work, 'updates', 'kb2.msu'), 'update two');
  await writeFile(join(work, 'updates', 'kb3.msu'), 'update three');
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const U1 = '11111111-1111-4111-8111-111111111111';
const U2 = '22222222-2222-4222-8222-222222222222';
const U3 = '33333333-3333-4333-8333-333333333333';

const dt = (name: string, extra: Record<string, unknown> = {}) => ({
  name: `${name} script`,
  technology: 'script',
  installCommand: 'sh install.sh',
  detectionMethod: { kind: 'file', value: `%ProgramFiles%\\${name}\\done.txt` },
  ...extra,
});

describe.each(DB_KINDS)('management point: applications and software updates on %s', (kind) => {
  let api: TestApi;
  let credential: string;
  let other: string;
  const apps: Record<string, { ciId: number; modelName: string; packageId: string }> = {};
  const mp = (method: string, path: string, body?: unknown, token: string | null = credential) => api.call(method, path, { token, body });

  beforeAll(async () => {
    api = await startTestApi(kind);
    const create = async (key: string, body: Record<string, unknown>) => {
      const r = await api.call('POST', '/api/v1/applications', { body: { sourcePath: join(work, key), ...body } });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      apps[key] = r.json;
    };
    await create('runtime', { name: 'Contoso Runtime', allowTaskSequenceInstall: false, deploymentTypes: [dt('Runtime')] });
    await create('editor', {
      name: 'Contoso Editor',
      allowTaskSequenceInstall: true,
      deploymentTypes: [dt('Editor', { successCodes: [0], restartCodes: [3010] })],
      dependencies: [apps.runtime!.ciId],
    });
    await create('viewer', { name: 'Contoso Viewer', allowTaskSequenceInstall: false, deploymentTypes: [dt('Viewer')] });
    await create('userapp', { name: 'Per-user App', allowTaskSequenceInstall: true, deploymentTypes: [dt('User', { runAs: 'user' })] });
    // The editor's and the runtime's content on a distribution point.
    await api.site.db.query(`INSERT INTO distribution_points (name, url, push_token) VALUES ('DP01', 'http://dp01:8451', $1)`, [api.site.secrets.seal('t')]);
    for (const k of ['runtime', 'editor'])
      await api.site.db.query(
        `INSERT INTO distribution_status (package_id, dp_name, source_version, state) SELECT package_id, 'DP01', source_version, 'success' FROM packages WHERE package_id = $1`,
        [apps[k]!.packageId],
      );
    // Two computers: PC01 in Desktops, PC02 in no collection of ours.
    const ids: number[] = [];
    for (const [name, mac] of [
      ['PC01', '00:15:5D:01:00:01'],
      ['PC02', '00:15:5D:01:00:02'],
    ] as const) {
      const r = await api.call('POST', '/api/v1/devices', { body: { name, mac } });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      ids.push(r.json.device.resourceId);
    }
    const c = await api.call('POST', '/api/v1/collections', { body: { name: 'Desktops', rules: [{ kind: 'direct', resourceId: ids[0] }] } });
    expect(c.status, JSON.stringify(c.json)).toBe(201);
    const desktops = c.json.collection.collectionId as string;
    const c2 = await api.call('POST', '/api/v1/collections', { body: { name: 'Pilot', rules: [{ kind: 'direct', resourceId: ids[0] }] } });
    const pilot = c2.json.collection.collectionId as string;
    const reg = async (mac: string) => {
      const r = await api.call('POST', '/mp/v1/register', {
        token: null,
        body: { macAddresses: [mac], architecture: 'x64', firmware: 'uefi', environment: 'os' },
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      return r.json.credential as string;
    };
    credential = await reg('00:15:5D:01:00:01');
    other = await reg('00:15:5D:01:00:02');

    const imp = await api.call('POST', '/api/v1/software-updates/import', {
      body: {
        sourcePath: join(work, 'updates'),
        packageName: 'Updates 2026-12',
        updates: [
          {
            updateId: U1,
            articleId: '5000001',
            title: '2026-12 Cumulative Update for Windows 11',
            products: ['Windows 11'],
            applicability: { minOsBuild: 22621, maxOsBuild: 22631, architectures: ['x64'] },
            files: [{ name: 'kb1.msu' }],
            restartRequired: true,
          },
          { updateId: U2, articleId: '5000002', title: 'Servicing stack update', files: [{ name: 'kb2.msu' }], supersedes: [U3] },
          { updateId: U3, articleId: '5000003', title: 'An old one', files: [{ name: 'kb3.msu' }], expired: false },
        ],
      },
    });
    expect(imp.status, JSON.stringify(imp.json)).toBe(201);
    expect(imp.json.updates[0]).toMatchObject({ restartRequired: true, files: [{ name: 'kb1.msu', size: 10 }] });
    expect(imp.json.updates[0].files[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    await api.site.db.query(
      `INSERT INTO distribution_status (package_id, dp_name, source_version, state) SELECT package_id, 'DP01', source_version, 'success' FROM packages WHERE package_id = $1`,
      [imp.json.packageId],
    );
    const deploy = async (body: Record<string, unknown>) => {
      const r = await api.call('POST', '/api/v1/software-update-deployments', { body });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
    };
    const deadline = new Date(Date.now() + 86_400_000).toISOString();
    await deploy({ name: 'Available to desktops', collectionId: desktops, purpose: 'available', updateIds: [U1, U2] });
    await deploy({ name: 'Required for the pilot', collectionId: pilot, purpose: 'required', deadline, updateIds: [U1] });
    await deploy({ name: 'Later', collectionId: desktops, purpose: 'available', availableAt: deadline, updateIds: [U3] });
    await deploy({ name: 'Disabled', collectionId: desktops, purpose: 'available', enabled: false, updateIds: [U3] });
  });
  afterAll(async () => api?.close());

  it('answers the named applications with their dependencies first, deployment types, content and locations', async () => {
    const r = await mp('POST', '/mp/v1/applications', { names: [apps.editor!.modelName] });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.applications.map((a: { name: string }) => a.name)).toEqual(['Contoso Runtime', 'Contoso Editor']);
    const editor = r.json.applications[1];
    expect(editor).toMatchObject({
      modelName: apps.editor!.modelName,
      packageId: apps.editor!.packageId,
      dependencies: [apps.runtime!.modelName],
      deploymentTypes: [{ name: 'Editor script', installCommand: 'sh install.sh', successCodes: [0], restartCodes: [3010], detectionMethod: { kind: 'file' } }],
    });
    // ConfigMgr's default codes for a deployment type that gave none.
    expect(r.json.applications[0].deploymentTypes[0]).toMatchObject({ successCodes: [0, 1707], restartCodes: [3010, 1641] });
    expect(r.json.packages.map((p: { packageId: string }) => p.packageId).sort()).toEqual([apps.runtime!.packageId, apps.editor!.packageId].sort());
    const pkg = r.json.packages.find((p: { packageId: string }) => p.packageId === apps.editor!.packageId);
    expect(pkg.files).toEqual([expect.objectContaining({ path: 'install.sh' })]);
    expect(pkg.locations).toEqual([{ dp: 'DP01', url: `http://dp01:8451/content/${apps.editor!.packageId}/` }]);
    expect(r.json).toMatchObject({ refused: [], unknown: [] });
  });

  it('finds a dynamic list value by its exact display name only (case-sensitive), and refuses what a task sequence may not install', async () => {
    const r = await mp('POST', '/mp/v1/applications', { names: ['Contoso Editor', 'contoso editor', 'Contoso Viewer', 'Per-user App', 'Nope'] });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.applications.map((a: { name: string }) => a.name)).toEqual(['Contoso Runtime', 'Contoso Editor']);
    expect(r.json.unknown).toEqual(['contoso editor', 'Nope']);
    const refused = Object.fromEntries(r.json.refused.map((x: { name: string; reasons: string[] }) => [x.name, x.reasons.join(' | ')]));
    expect(refused['Contoso Viewer']).toContain(
      '"Allow this application to be installed from the Install Application task sequence action without being deployed" is not set',
    );
    expect(refused['Per-user App']).toContain('installs for the user');
    // The runtime is only a dependency: asked for by name it is refused (no "allow" flag).
    const rt = await mp('POST', '/mp/v1/applications', { names: ['Contoso Runtime'] });
    expect(rt.json.applications).toEqual([]);
    expect(rt.json.refused[0].reasons[0]).toContain('is not set');
  });

  it('refuses an application whose dependency cannot be installed by a task sequence, saying which', async () => {
    const r = await api.call('PATCH', `/api/v1/applications/${apps.editor!.ciId}`, { body: { dependencies: [apps.userapp!.ciId] } });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const a = await mp('POST', '/mp/v1/applications', { names: ['Contoso Editor'] });
    expect(a.json.applications).toEqual([]);
    expect(a.json.refused[0].reasons.join(' ')).toContain('its dependency Per-user App: deployment type "User script" installs for the user');
    // A cycle is refused when it is made; deleting a dependency while depended on too.
    const cyc = await api.call('PATCH', `/api/v1/applications/${apps.userapp!.ciId}`, { body: { dependencies: [apps.editor!.ciId] } });
    expect(cyc.status).toBe(400);
    expect(cyc.json).toMatchObject({ input: 'body.dependencies[0]' });
    expect(cyc.json.rule).toContain('already depends on this application');
    const del = await api.call('DELETE', `/api/v1/applications/${apps.userapp!.ciId}`);
    expect(del.status).toBe(409);
    expect(del.json.rule).toContain('applications depend on this one: Contoso Editor');
    expect((await api.call('PATCH', `/api/v1/applications/${apps.editor!.ciId}`, { body: { dependencies: [apps.runtime!.ciId] } })).status).toBe(200);
  });

  it('checks the input: names required, a device credential only', async () => {
    expect((await mp('POST', '/mp/v1/applications', { names: [] })).status).toBe(400);
    expect((await mp('POST', '/mp/v1/applications', { names: ['x'], extra: 1 })).status).toBe(400);
    expect((await mp('POST', '/mp/v1/applications', { names: ['x'] }, null)).status).toBe(401);
    expect((await mp('GET', '/mp/v1/software-updates', undefined, api.tokens['full-administrator'])).status).toBe(401);
  });

  it("answers the updates deployed to the device's collections with purpose: Required wins, not yet available and disabled left out", async () => {
    const r = await mp('GET', '/mp/v1/software-updates');
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const byId = Object.fromEntries(r.json.updates.map((u: { updateId: string }) => [u.updateId, u]));
    expect(Object.keys(byId).sort()).toEqual([U1, U2]);
    expect(byId[U1]).toMatchObject({
      purpose: 'required',
      articleId: '5000001',
      restartRequired: true,
      applicability: { minOsBuild: 22621, maxOsBuild: 22631, architectures: ['x64'] },
      files: [{ name: 'kb1.msu', size: 10 }],
    });
    expect(byId[U1].deadline).not.toBeNull();
    expect(byId[U1].deployments).toHaveLength(2);
    expect(byId[U2]).toMatchObject({ purpose: 'available', deadline: null, supersedes: [U3] });
    expect(r.json.packages).toHaveLength(1);
    expect(r.json.packages[0].locations[0].dp).toBe('DP01');
    expect(r.json.packages[0].files.map((f: { path: string }) => f.path).sort()).toEqual(['kb1.msu', 'kb2.msu', 'kb3.msu']);
    // A computer in none of those collections gets none.
    const none = await mp('GET', '/mp/v1/software-updates', undefined, other);
    expect(none.json.updates).toEqual([]);
  });

  it('leaves expired updates out, naming them', async () => {
    await api.site.db.query('UPDATE software_updates SET expired = true WHERE update_id = $1', [U2]);
    const r = await mp('GET', '/mp/v1/software-updates');
    expect(r.json.updates.map((u: { updateId: string }) => u.updateId)).toEqual([U1]);
    expect(r.json.notOffered).toEqual([{ updateId: U2, reason: 'expired' }]);
    await api.site.db.query('UPDATE software_updates SET expired = false WHERE update_id = $1', [U2]);
  });

  it('refuses bad update metadata with the field and the rule', async () => {
    const bad = async (u: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      api.call('POST', '/api/v1/software-updates/import', { body: { updates: [{ updateId: U3, title: 'x', ...u }], ...extra } });
    let r = await bad({ applicability: { minOsBuild: 22631, maxOsBuild: 22000 } });
    expect(r.status).toBe(400);
    expect(r.json.input).toBe('body.updates[0].applicability.maxOsBuild');
    r = await bad({ files: [{ name: 'kb3.msu' }] });
    expect(r.status).toBe(400);
    expect(r.json.rule).toContain('its size and sha256 are required');
    r = await bad({ files: [{ name: 'nothere.msu' }] }, { sourcePath: join(work, 'updates') });
    expect(r.status).toBe(400);
    expect(r.json.rule).toContain('has no file nothere.msu');
    r = await bad({ restartRequried: true });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.json)).toContain('restartRequried');
  });
});
