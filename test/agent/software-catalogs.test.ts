// The agent's ApplicationCatalog and SoftwareUpdateCatalog (src/agent/software.ts) against the real
// management point (the admin API and /mp/v1 listening on a socket, PGlite) with content on a
// distribution point (the fake DP serving the same files): the applications and updates as the site
// answers them, their packages downloaded into the client cache and hash-checked, Install
// Application and Install Software Updates run through the ActionExecutor with these services on a
// computer in folders — and a payload altered on the DP fails the step with 0x80091007.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionExecutor } from '../../src/actions/executor.js';
import { ContentLibrary } from '../../src/actions/content.js';
import { DownloadingContentLibrary } from '../../src/agent/download.js';
import { MpClient } from '../../src/agent/mp-client.js';
import { MpApplicationCatalog, MpSoftwareUpdateCatalog } from '../../src/agent/software.js';
import { AgentState } from '../../src/agent/state.js';
import type { Executor } from '../../src/engine/ports.js';
import { installApplication, installSoftwareUpdates } from '../../src/sequence/catalog/index.js';
import { tempDir } from '../helpers/temp.js';
import { startTestApi, type TestApi } from '../site/helpers/site.js';
import { execution, step } from '../actions/handlers/helpers.js';
import { installedComputer } from '../actions/handlers/software-fixtures.js';
import { FakeMp } from './fake-mp.js';

const U1 = '44444444-4444-4444-8444-444444444444';
const INSTALL = 'mkdir -p "$ProgramFiles/Notes"\necho installed > "$ProgramFiles/Notes/notes.txt"\n';
const PAYLOAD = Buffer.from('the cumulative update payload');

let api: TestApi;
let dp: FakeMp;
let siteUrl: string;
let credential: string;
let appModel: string;
let appPackage: string;
let updatePackage: string;
const cleanups: Array<() => void> = [];

beforeAll(async () => {
  api = await startTestApi('pglite');
  siteUrl = await api.app.listen({ port: 0, host: '127.0.0.1' });
  dp = await new FakeMp().start();
  const src = tempDir('osd-agent-sw-src-');
  await mkdir(join(src, 'notes'));
  await writeFile(join(src, 'notes', 'install.sh'), INSTALL);
  await mkdir(join(src, 'updates'));
  await writeFile(join(src, 'updates', 'kb1.msu'), PAYLOAD);
  const app = await api.call('POST', '/api/v1/applications', {
    body: {
      name: 'Contoso Notes',
      allowTaskSequenceInstall: true,
      sourcePath: join(src, 'notes'),
      deploymentTypes: [
        {
          name: 'Notes - script',
          technology: 'script',
          installCommand: 'sh install.sh',
          detectionMethod: { kind: 'file', value: '%ProgramFiles%\\Notes\\notes.txt' },
        },
      ],
    },
  });
  expect(app.status, JSON.stringify(app.json)).toBe(201);
  appModel = app.json.modelName;
  appPackage = app.json.packageId;
  const imp = await api.call('POST', '/api/v1/software-updates/import', {
    body: {
      sourcePath: join(src, 'updates'),
      updates: [{ updateId: U1, articleId: '5000009', title: 'Cumulative Update', products: ['Windows 11'], files: [{ name: 'kb1.msu' }] }],
    },
  });
  expect(imp.status, JSON.stringify(imp.json)).toBe(201);
  updatePackage = imp.json.packageId;
  // The DP: the fake one serves these packages' files; the site says they are there.
  dp.packages.set('unused', [
    { packageId: appPackage, name: 'Contoso Notes', sourceVersion: 1, files: [{ path: 'install.sh', bytes: Buffer.from(INSTALL) }] },
    { packageId: updatePackage, name: 'Updates', sourceVersion: 1, files: [{ path: 'kb1.msu', bytes: PAYLOAD }] },
  ]);
  await api.site.db.query(`INSERT INTO distribution_points (name, url, push_token) VALUES ('DP01', $1, $2)`, [dp.url, api.site.secrets.seal('t')]);
  await api.site.db.query(
    `INSERT INTO distribution_status (package_id, dp_name, source_version, state) SELECT package_id, 'DP01', source_version, 'success' FROM packages WHERE package_id = ANY($1::text[])`,
    [[appPackage, updatePackage]],
  );
  const pc = await api.call('POST', '/api/v1/devices', { body: { name: 'PC01', mac: '00:15:5D:02:00:01' } });
  const c = await api.call('POST', '/api/v1/collections', { body: { name: 'Desktops', rules: [{ kind: 'direct', resourceId: pc.json.device.resourceId }] } });
  const deadline = new Date(Date.now() + 86_400_000).toISOString();
  const d = await api.call('POST', '/api/v1/software-update-deployments', {
    body: { name: 'Patch', collectionId: c.json.collection.collectionId, purpose: 'required', deadline, updateIds: [U1] },
  });
  expect(d.status, JSON.stringify(d.json)).toBe(201);
  const reg = await api.call('POST', '/mp/v1/register', {
    token: null,
    body: { macAddresses: ['00:15:5D:02:00:01'], architecture: 'x64', firmware: 'uefi', environment: 'os' },
  });
  credential = reg.json.credential;
});
afterAll(async () => {
  cleanups.forEach((c) => c());
  await dp?.stop();
  await api?.close();
});

function services() {
  const client = new MpClient({ siteUrl, credential, retryForMs: 0 });
  const state = new AgentState(tempDir('osd-agent-sw-'));
  const library = new DownloadingContentLibrary(state, [], { resumeWaitMs: 1, resumesPerLocation: 0 });
  return {
    library,
    state,
    applications: new MpApplicationCatalog(client, library),
    softwareUpdates: new MpSoftwareUpdateCatalog(client, library),
    workDir: tempDir('osd-agent-sw-work-'),
  };
}

const notPredicted: Executor = { execute: async () => ({ exitCode: 0x80004005, message: 'the fallback ran: the handler did not' }) };

describe("the agent's application and software update catalogs", () => {
  it('looks applications up on the management point and downloads their content into the cache, hash-checked', async () => {
    const s = services();
    const lookup = await s.applications.lookup(['Contoso Notes', 'Nope']);
    expect(lookup.applications.map((a) => a.modelName)).toEqual([appModel]);
    expect(lookup.unknown).toEqual(['Nope']);
    const folder = await s.applications.content(appPackage);
    expect(folder).toBe(join(s.state.cacheDir, appPackage, '1'));
    expect(readFileSync(join(folder, 'install.sh'), 'utf8')).toBe(INSTALL);
    await expect(s.applications.content('XYZ99999')).rejects.toMatchObject({ code: 0x80070002 });
  });

  it('runs Install Application and Install Software Updates through the ActionExecutor with the site behind them', async () => {
    const c = await installedComputer(tempDir.bind(null, 'osd-agent-sw-os-'));
    cleanups.push(c.cleanup);
    const s = services();
    const executor = new ActionExecutor(c.computer, new ContentLibrary(tempDir('osd-agent-sw-lib-')), notPredicted, s);
    const apps = execution(step(installApplication, { applications: [appModel] }), { environment: 'FullOS' });
    const r = await executor.execute(apps.x);
    expect(r.exitCode, apps.logs.join('\n')).toBe(0);
    expect(apps.vars()._TSAppInstallStatus).toBe('Success');
    expect(readFileSync(join(c.computer.root, 'disk0', 'p1', 'Program Files', 'Notes', 'notes.txt'), 'utf8')).toBe('installed\n');

    const updates = execution(step(installSoftwareUpdates, { target: 'Mandatory' }), { environment: 'FullOS' });
    const u = await executor.execute(updates.x);
    expect(u.exitCode, updates.logs.join('\n')).toBe(0);
    expect(updates.logs.join('\n')).toContain('Installed KB5000009 Cumulative Update');
  });

  it("clears the installed application's content from the cache with OSDAppClearCache", async () => {
    const c = await installedComputer(tempDir.bind(null, 'osd-agent-sw-os-'));
    cleanups.push(c.cleanup);
    const s = services();
    const executor = new ActionExecutor(c.computer, new ContentLibrary(tempDir('osd-agent-sw-lib-')), notPredicted, s);
    const apps = execution(step(installApplication, { applications: [appModel], clearCache: true }), { environment: 'FullOS' });
    expect((await executor.execute(apps.x)).exitCode, apps.logs.join('\n')).toBe(0);
    expect(apps.logs.join('\n')).toContain(`Cleared the content of ${appPackage} from the cache (OSDAppClearCache)`);
    expect(existsSync(join(s.state.cacheDir, appPackage, '1'))).toBe(false);
  });

  it('fails Install Software Updates with 0x80091007 when the DP serves an altered payload', async () => {
    const c = await installedComputer(tempDir.bind(null, 'osd-agent-sw-os-'));
    cleanups.push(c.cleanup);
    dp.corrupt.add('kb1.msu');
    try {
      const s = services();
      const executor = new ActionExecutor(c.computer, new ContentLibrary(tempDir('osd-agent-sw-lib-')), notPredicted, s);
      const updates = execution(step(installSoftwareUpdates, { target: 'All' }), { environment: 'FullOS' });
      const r = await executor.execute(updates.x);
      expect(r.exitCode).toBe(0x80091007);
      expect(r.message).toContain('kb1.msu');
    } finally {
      dp.corrupt.delete('kb1.msu');
    }
  });
});
