import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestContent, TEST_EDITIONS, type TestContent } from '../../../src/lab/test-content/index.js';
import { WINDOWS_BUILD } from '../../../src/lab/test-content/windows-tree.js';
import { DB_KINDS, startTestApi, type TestApi } from '../helpers/site.js';
import { setImageProperties } from '../../../src/lab/test-content/wim.js';
import { makeWim, wimXml, xmlField } from './fixtures.js';
import { pipableWimAnchor } from '../../../src/storage/pipable-wim.js';

let work: string;
let content: TestContent;
let multiWim: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'openosd-objects-pkg-'));
  content = await makeTestContent(join(work, 'library'), { imageSizeMB: 0.05 });
  multiWim = await makeWim(join(work, 'multi'), 'server.wim', [
    {
      name: 'Windows Server 2022 SERVERSTANDARDCORE',
      description: 'Server Core',
      payload: 'core',
      properties: {
        DISPLAYNAME: 'Windows Server 2022 Standard',
        'WINDOWS/ARCH': 9,
        'WINDOWS/EDITIONID': 'ServerStandard',
        'WINDOWS/PRODUCTNAME': 'Microsoft® Windows® Operating System',
        'WINDOWS/PRODUCTTYPE': 'ServerNT',
        'WINDOWS/INSTALLATIONTYPE': 'Server Core',
        'WINDOWS/HAL': 'acpiapic',
        'WINDOWS/VERSION/MAJOR': 10,
        'WINDOWS/VERSION/MINOR': 0,
        'WINDOWS/VERSION/BUILD': 20348,
        'WINDOWS/VERSION/SPBUILD': 587,
        'WINDOWS/LANGUAGES/LANGUAGE': 'de-DE',
        'WINDOWS/LANGUAGES/DEFAULT': 'de-DE',
      },
    },
    {
      name: 'Windows 10 Pro arm64',
      description: 'arm64 client',
      payload: 'a longer payload for the second image',
      properties: {
        'WINDOWS/ARCH': 12,
        'WINDOWS/EDITIONID': 'Professional',
        'WINDOWS/INSTALLATIONTYPE': 'Client',
        'WINDOWS/PRODUCTTYPE': 'WinNT',
        'WINDOWS/VERSION/MAJOR': 10,
        'WINDOWS/VERSION/MINOR': 0,
        'WINDOWS/VERSION/BUILD': 19045,
        'WINDOWS/VERSION/SPBUILD': 3803,
        'WINDOWS/LANGUAGES/LANGUAGE': 'fr-FR',
        'WINDOWS/LANGUAGES/DEFAULT': 'fr-FR',
      },
    },
  ]);
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe.each(DB_KINDS)('packages and OS images on %s', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(kind);
  });
  afterAll(async () => api?.close());

  const count = async (table: string): Promise<number> =>
    Number((await api.site.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n);

  it('adds the test install.wim with every image read from the file', async () => {
    const r = await api.call('POST', '/api/v1/os-images', { body: { sourcePath: content.wimPath, version: '23H2' } });
    expect(r.status).toBe(201);
    const p = r.json;
    expect(p).toMatchObject({ packageType: 257, name: 'install.wim', version: '23H2', sourceVersion: 1, sourcePath: content.wimPath });
    expect(p.properties).toMatchObject({ wimFile: 'install.wim', architecture: 'x64', language: 'en-US' });
    const xml = await wimXml(content.wimPath);
    const { major, minor, build, spBuild } = WINDOWS_BUILD;
    expect(p.properties.images).toHaveLength(TEST_EDITIONS.length);
    for (const e of TEST_EDITIONS) {
      const img = p.properties.images.find((i: { index: number }) => i.index === e.index);
      expect(img).toMatchObject({
        name: e.name,
        displayName: e.name,
        description: e.name,
        edition: e.editionId,
        architecture: 'x64',
        version: `${major}.${minor}.${build}.${spBuild}`,
        productType: 'WinNT',
        installationType: 'Client',
        productName: 'Microsoft® Windows® Operating System',
        languages: ['en-US'],
        defaultLanguage: 'en-US',
        sizeBytes: Number(xmlField(xml, e.index, ['TOTALBYTES'])),
      });
      expect(img.sizeBytes).toBeGreaterThan(0);
      expect(Date.parse(img.createdAt)).toBeGreaterThan(Date.parse('2020-01-01'));
    }
    const file = (await api.site.db.query<{ files: Array<{ path: string }> }>('SELECT files FROM content WHERE id = $1', [p.contentId])).rows[0]!.files;
    expect(file.map((f) => f.path)).toEqual(['install.wim']);
  });

  it('reads a multi-image WIM from a folder: server, HAL, arm64, languages, sizes and creation times', async () => {
    const folder = join(work, 'multi');
    const r = await api.call('POST', '/api/v1/os-images', { body: { sourcePath: folder, name: 'Server and arm', language: 'de-DE' } });
    expect(r.status).toBe(201);
    const xml = await wimXml(multiWim);
    const [core, arm] = r.json.properties.images;
    expect(core).toEqual({
      index: 1,
      name: 'Windows Server 2022 SERVERSTANDARDCORE',
      description: 'Server Core',
      displayName: 'Windows Server 2022 Standard',
      edition: 'ServerStandard',
      architecture: 'x64',
      version: '10.0.20348.587',
      productName: 'Microsoft® Windows® Operating System',
      productType: 'ServerNT',
      installationType: 'Server Core',
      hal: 'acpiapic',
      languages: ['de-DE'],
      defaultLanguage: 'de-DE',
      sizeBytes: Number(xmlField(xml, 1, ['TOTALBYTES'])),
      createdAt: expect.any(String),
    });
    // CREATIONTIME is a FILETIME: check the conversion against the raw value.
    const high = BigInt(xmlField(xml, 1, ['CREATIONTIME', 'HIGHPART'])!);
    const low = BigInt(xmlField(xml, 1, ['CREATIONTIME', 'LOWPART'])!);
    expect(Date.parse(core.createdAt)).toBe(Number(((high << 32n) | low) / 10_000n) - 11_644_473_600_000);
    expect(arm).toMatchObject({ index: 2, name: 'Windows 10 Pro arm64', architecture: 'arm64', version: '10.0.19045.3803', languages: ['fr-FR'], hal: '' });
    expect(arm.sizeBytes).toBe(Number(xmlField(xml, 2, ['TOTALBYTES'])));
    // Mixed architectures: no pre-cache architecture by default; the language given is kept.
    expect(r.json.properties).toMatchObject({ wimFile: 'server.wim', architecture: '', language: 'de-DE' });
    expect(r.json.language).toBe('de-DE');
  });

  it('refuses a file that is not a WIM with a 400 naming it, and records nothing', async () => {
    const bad = join(work, `fake-${kind}.wim`);
    await writeFile(bad, 'this is not a WIM file at all, just text'.repeat(20));
    const before = [await count('packages'), await count('content'), await count('audit_log')];
    const r = await api.call('POST', '/api/v1/os-images', { body: { sourcePath: bad } });
    expect(r.status).toBe(400);
    expect(r.json.input).toBe(bad);
    expect(r.json.rule).toMatch(/not a readable WIM/);
    expect([await count('packages'), await count('content'), await count('audit_log')]).toEqual(before);
  });

  it('refuses folders with no .wim or several, and relative paths', async () => {
    const none = join(work, `none-${kind}`);
    await mkdir(none, { recursive: true });
    await writeFile(join(none, 'readme.txt'), 'x');
    const r0 = await api.call('POST', '/api/v1/os-images', { body: { sourcePath: none } });
    expect(r0.status).toBe(400);
    expect(r0.json).toMatchObject({ input: 'body.sourcePath' });
    expect(r0.json.rule).toContain('no .wim');
    const two = join(work, `two-${kind}`);
    await mkdir(join(two, 'sub'), { recursive: true });
    await copyFile(multiWim, join(two, 'a.wim'));
    await copyFile(multiWim, join(two, 'sub', 'b.wim'));
    const r2 = await api.call('POST', '/api/v1/os-images', { body: { sourcePath: two } });
    expect(r2.status).toBe(400);
    expect(r2.json.rule).toContain('2 .wim files (a.wim, sub/b.wim)');
    const rel = await api.call('POST', '/api/v1/os-images', { body: { sourcePath: 'images/install.wim' } });
    expect(rel.status).toBe(400);
    expect(rel.json.rule).toContain('not an absolute path');
  });

  it('reloads images, and Update Distribution Points bumps the source version only when the source changed', async () => {
    const src = join(work, `reload-${kind}`);
    await mkdir(src, { recursive: true });
    await copyFile(multiWim, join(src, 'server.wim'));
    const created = (await api.call('POST', '/api/v1/os-images', { body: { sourcePath: join(src, 'server.wim') } })).json;
    const same = await api.call('POST', `/api/v1/packages/${created.packageId}/update-content`);
    expect(same.status).toBe(200);
    expect(same.json).toMatchObject({ changed: false, package: { sourceVersion: 1, contentId: created.contentId } });
    // Change the WIM at its source: a new name for image 2.
    await setImageProperties(join(src, 'server.wim'), 2, { NAME: 'Renamed image' });
    const upd = await api.call('POST', `/api/v1/packages/${created.packageId}/update-content`);
    expect(upd.json.changed).toBe(true);
    expect(upd.json.package.sourceVersion).toBe(2);
    expect(upd.json.package.contentId).not.toBe(created.contentId);
    expect(Date.parse(upd.json.package.sourceDate)).toBeGreaterThanOrEqual(Date.parse(created.sourceDate));
    expect(upd.json.package.properties.images[1].name).toBe('Renamed image');
    // Reload reads from the library's copy (unchanged since the update).
    const reload = await api.call('POST', `/api/v1/os-images/${created.packageId}/reload`);
    expect(reload.status).toBe(200);
    expect(reload.json.properties.images.map((i: { name: string }) => i.name)).toEqual(['Windows Server 2022 SERVERSTANDARDCORE', 'Renamed image']);
  });

  it('records the stream anchor of a pipable WIM (add, reload, update); a normal WIM has none', async () => {
    const src = join(work, `pipable-${kind}`);
    await mkdir(src, { recursive: true });
    execFileSync('wimlib-imagex', ['export', multiWim, 'all', join(src, 'server.wim'), '--pipable'], { stdio: 'ignore' });
    const anchor = await pipableWimAnchor(join(src, 'server.wim'));
    expect(anchor?.bytes).toBeGreaterThan(208);
    const created = (await api.call('POST', '/api/v1/os-images', { body: { sourcePath: join(src, 'server.wim') } })).json;
    expect(created.properties.streamAnchor).toEqual(anchor);
    // Anchors removed from the row come back with Reload.
    await api.site.db.query(`UPDATE packages SET properties = properties - 'streamAnchor' WHERE package_id = $1`, [created.packageId]);
    const reload = await api.call('POST', `/api/v1/os-images/${created.packageId}/reload`);
    expect(reload.json.properties.streamAnchor).toEqual(anchor);
    // The source becomes a normal WIM: Update Distribution Points drops the anchor.
    await copyFile(multiWim, join(src, 'server.wim'));
    const upd = await api.call('POST', `/api/v1/packages/${created.packageId}/update-content`);
    expect(upd.json.changed).toBe(true);
    expect(upd.json.package.properties.streamAnchor).toBeUndefined();
    expect(upd.json.package.properties.images).toHaveLength(2);
  });

  it('creates packages with programs, edits them, and lists by type', async () => {
    const src = join(work, `pkg-${kind}`);
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'setup.cmd'), '@echo off\r\nexit /b 0\r\n');
    const r = await api.call('POST', '/api/v1/packages', {
      body: { name: 'Tools', sourcePath: src, architecture: 'x64', programs: [{ name: 'Install', commandLine: 'setup.cmd', allowTaskSequenceInstall: true }] },
    });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({
      packageType: 0,
      sourceVersion: 1,
      contentFileCount: 1,
      properties: { architecture: 'x64', programs: [{ name: 'Install', allowTaskSequenceInstall: true }] },
    });
    const dup = await api.call('POST', '/api/v1/packages', {
      body: {
        name: 'X',
        programs: [
          { name: 'a', commandLine: 'a' },
          { name: 'A', commandLine: 'b' },
        ],
      },
    });
    expect(dup.status).toBe(400);
    expect(dup.json.input).toBe('body.programs[1].name');
    const e = await api.call('PATCH', `/api/v1/packages/${r.json.packageId}`, {
      body: { priority: 'high', copyToShare: true, persistInCache: true, language: 'en-US', version: '2' },
    });
    expect(e.json).toMatchObject({
      priority: 'high',
      copyToShare: true,
      persistInCache: true,
      language: 'en-US',
      version: '2',
      properties: { language: 'en-US' },
    });
    const badPriority = await api.call('PATCH', `/api/v1/packages/${r.json.packageId}`, { body: { priority: 'urgent' } });
    expect(badPriority.status).toBe(400);
    expect(badPriority.json.input).toBe('body.priority');
    const model = await api.call('PATCH', `/api/v1/packages/${r.json.packageId}`, { body: { model: 'X1' } });
    expect(model.status).toBe(400);
    expect(model.json.input).toBe('body.model');
    const list = await api.call('GET', '/api/v1/packages?type=0');
    expect(list.json.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['Tools', 'Configuration Manager Client Package']));
    expect(list.json.every((p: { packageType: number }) => p.packageType === 0)).toBe(true);
  });

  it('sets the content of the built-in client package and refuses to delete it', async () => {
    const client = (await api.call('GET', '/api/v1/packages?type=0')).json.find(
      (p: { builtIn: boolean; name: string }) => p.builtIn && p.name.startsWith('Configuration Manager'),
    );
    expect(client.contentId).toBeNull();
    const src = join(content.root, content.clientPackageId);
    const put = await api.call('PUT', `/api/v1/packages/${client.packageId}/content`, { body: { sourcePath: src } });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ changed: true, package: { sourceVersion: 2, sourcePath: src } });
    expect(put.json.package.contentFileCount).toBeGreaterThan(0);
    const del = await api.call('DELETE', `/api/v1/packages/${client.packageId}`);
    expect(del.status).toBe(400);
    expect(del.json.rule).toContain('built in');
  });

  it('refuses to delete a package a task sequence uses (current or deployed revision), then deletes it when unused', async () => {
    const pkg = (await api.call('POST', '/api/v1/packages', { body: { name: `Referenced ${kind}` } })).json;
    const db = api.site.db;
    await db.query(`INSERT INTO task_sequences (package_id, name, current_revision) VALUES ('PS1FFF01', 'Deploy Windows', 2)`);
    for (const rev of [1, 2]) {
      await db.query(
        `INSERT INTO task_sequence_revisions (package_id, revision, author, body, size_bytes, step_count) VALUES ('PS1FFF01', $1, 'test', '{}', 2, 0)`,
        [rev],
      );
    }
    await db.query(`INSERT INTO task_sequence_references (package_id, revision, ref_id, ref_kind) VALUES ('PS1FFF01', 2, $1, 'package')`, [pkg.packageId]);
    const r = await api.call('DELETE', `/api/v1/packages/${pkg.packageId}`);
    expect(r.status).toBe(409);
    expect(r.json.error).toBe('in-use');
    expect(r.json.rule).toContain('PS1FFF01 (Deploy Windows, revision 2)');
    // Only revision 1 references it, and a deployment runs revision 1: still in use.
    await db.query(`DELETE FROM task_sequence_references WHERE package_id = 'PS1FFF01'`);
    await db.query(`INSERT INTO task_sequence_references (package_id, revision, ref_id, ref_kind) VALUES ('PS1FFF01', 1, $1, 'package')`, [pkg.packageId]);
    await db.query(
      `INSERT INTO deployments (deployment_id, task_sequence_id, revision, collection_id, purpose, settings, collection_size, created_by)
       VALUES ('PS120001', 'PS1FFF01', 1, 'SMS00001', 'available', '{}', 0, 'test')`,
    );
    const r2 = await api.call('DELETE', `/api/v1/packages/${pkg.packageId}`);
    expect(r2.status).toBe(409);
    expect(r2.json.rule).toContain('revision 1');
    // No deployment of revision 1 and the current revision does not reference it: deletable.
    await db.query(`DELETE FROM deployments WHERE deployment_id = 'PS120001'`);
    const r3 = await api.call('DELETE', `/api/v1/packages/${pkg.packageId}`);
    expect(r3.status).toBe(200);
    expect((await api.call('GET', `/api/v1/packages/${pkg.packageId}`)).status).toBe(404);
    const log = await api.call('GET', `/api/v1/audit?objectType=package&objectId=${pkg.packageId}`);
    expect(log.json.map((e: { action: string }) => e.action)).toEqual(['delete', 'create']);
  });

  it('lets an OSD manager add images, not an analyst', async () => {
    const osd = await api.call('POST', '/api/v1/os-images', { token: api.tokens['osd-manager'], body: { sourcePath: multiWim, name: 'by osd manager' } });
    expect(osd.status).toBe(201);
    const analyst = await api.call('POST', '/api/v1/os-images', { token: api.tokens['read-only-analyst'], body: { sourcePath: multiWim } });
    expect(analyst.status).toBe(403);
    const read = await api.call('GET', `/api/v1/os-images/${osd.json.packageId}`, { token: api.tokens['read-only-analyst'] });
    expect(read.status).toBe(200);
    expect(read.json.properties.images).toHaveLength(2);
    expect((await api.call('PATCH', `/api/v1/packages/${osd.json.packageId}`, { token: api.tokens['read-only-analyst'], body: { name: 'x' } })).status).toBe(
      403,
    );
  });
});
