/**
 * The content library and distribution over the admin API, on both databases: uploads (path
 * traversal and size limits refused, nothing left behind), server-side sources, distribution to a
 * real distribution point process, redistribution, validation, removal, in-use protection.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSourceAllowed } from '../../../src/site/content/library.js';
import { startDistributionPoint, type RunningDistributionPoint } from '../../../src/server/distribution-point/server.js';
import { DB_KINDS, startTestApi, type TestApi } from '../../site/helpers/site.js';

const PUSH_TOKEN = 'test-push-token-0123456789';

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

describe.each(DB_KINDS)('content and distribution API on %s', (kind) => {
  let api: TestApi;
  let dp: RunningDistributionPoint;
  let work: string;
  let dpRoot: string;

  beforeAll(async () => {
    api = await startTestApi(kind, { maxUploadBytes: 1024 * 1024 });
    work = mkdtempSync(join(tmpdir(), 'openosd-content-api-'));
    dpRoot = join(work, 'dp');
    dp = await startDistributionPoint({ root: dpRoot, pushToken: PUSH_TOKEN });
  });
  afterAll(async () => {
    await dp?.close();
    await api?.close();
    rmSync(work, { recursive: true, force: true });
  });

  function blobCount(): number {
    const root = join(api.dataDir, 'content', 'blobs');
    return readdirSync(root).reduce((n, d) => n + readdirSync(join(root, d)).length, 0);
  }

  it('uploads a file; its content id and hash are those of the bytes', async () => {
    const bytes = randomBytes(200_000);
    const r = await api.call('PUT', '/api/v1/uploads?path=setup%2Finstall.msi', { payload: bytes, headers: { 'content-type': 'application/octet-stream' } });
    expect(r.status).toBe(201);
    expect(r.json.files).toEqual([{ path: 'setup/install.msi', size: 200_000, sha256: sha256(bytes) }]);
    const again = await api.call('GET', `/api/v1/content/${r.json.id}`);
    expect(again.json.usedBy).toEqual([]);
  });

  it.each([['..%2F..%2Fetc%2Fpasswd'], ['%2Fetc%2Fpasswd'], ['a%5C..%5Cb'], ['C%3A%2Fwin.ini'], ['con.txt'], ['a%2F.%2Fb']])(
    'refuses the upload path %s and stores nothing',
    async (path) => {
      const before = blobCount();
      const r = await api.call('PUT', `/api/v1/uploads?path=${path}`, { payload: Buffer.from('x'), headers: { 'content-type': 'application/octet-stream' } });
      expect(r.status).toBe(400);
      expect(r.json.rule).toBeTruthy();
      expect(r.json.message).not.toMatch(/\n\s+at /);
      expect(blobCount()).toBe(before);
    },
  );

  it('refuses an upload over the limit with 413, leaving nothing', async () => {
    const before = blobCount();
    const r = await api.call('PUT', '/api/v1/uploads?path=big.bin', {
      payload: randomBytes(1024 * 1024 + 1),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(r.status).toBe(413);
    expect(r.json.error).toBe('too-large');
    expect(blobCount()).toBe(before);
    expect(readdirSync(api.site.content.tmpDir)).toEqual([]);
  });

  it('refuses malformed and oversized JSON bodies clearly', async () => {
    const bad = await api.call('POST', '/api/v1/content', { payload: '{"sourcePath":', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    const extra = await api.call('POST', '/api/v1/content', { body: { sourcePath: '/x', evil: 1 } });
    expect(extra.status).toBe(400);
    expect(extra.json).toMatchObject({ input: 'body.evil', rule: 'unknown key "evil"' });
    const missing = await api.call('POST', '/api/v1/content', { body: { sourcePath: join(work, 'nope') } });
    expect(missing.status).toBe(404);
    expect(missing.json.input).toContain('nope');
  });

  it('distributes a package to a real distribution point, and clients can download it with per-file hashes', async () => {
    const src = join(work, 'pkg');
    mkdirSync(join(src, 'x64'), { recursive: true });
    const a = randomBytes(300_000);
    writeFileSync(join(src, 'x64', 'ccmsetup.exe'), a);
    writeFileSync(join(src, 'readme.txt'), 'client');
    const content = await api.call('POST', '/api/v1/content', { body: { sourcePath: src } });
    expect(content.status).toBe(201);
    expect(content.json.fileCount).toBe(2);
    // The built-in client package gets this content (as setup would give it).
    const { rows } = await api.site.db.query<{ package_id: string }>(`SELECT package_id FROM packages WHERE properties->>'builtIn' = 'client'`);
    const pkg = rows[0]!.package_id;
    await api.site.db.query('UPDATE packages SET content_id = $1 WHERE package_id = $2', [content.json.id, pkg]);

    const reg = await api.call('POST', '/api/v1/distribution-points', { body: { name: 'DP01', url: dp.url, pushToken: PUSH_TOKEN } });
    expect(reg.status).toBe(201);
    expect(JSON.stringify(reg.json)).not.toContain(PUSH_TOKEN);
    const wrong = await api.call('POST', '/api/v1/distribution-points', { body: { name: 'DP02', url: dp.url, pushToken: 'wrong-token-wrong-token' } });
    expect(wrong.status).toBe(400);

    const d = await api.call('POST', '/api/v1/distributions', { body: { packageIds: [pkg], distributionPoints: ['DP01'], wait: true } });
    expect(d.status).toBe(202);
    expect(d.json[0]).toMatchObject({ packageId: pkg, dpName: 'DP01', state: 'success', sourceVersion: 1 });
    const manifest = await (await fetch(`${dp.url}/content/${pkg}/`)).json();
    expect(manifest.files.find((f: { path: string }) => f.path === 'x64/ccmsetup.exe').sha256).toBe(sha256(a));
    const file = Buffer.from(await (await fetch(`${dp.url}/content/${pkg}/x64/ccmsetup.exe`)).arrayBuffer());
    expect(sha256(file)).toBe(sha256(a));

    const summary = await api.call('GET', '/api/v1/distribution-status');
    expect(summary.json.find((s: { packageId: string }) => s.packageId === pkg)).toMatchObject({ success: 1, error: 0, inProgress: 0 });

    // The content is in use now: it cannot be deleted.
    const del = await api.call('DELETE', `/api/v1/content/${content.json.id}`);
    expect(del.status).toBe(409);
    expect(del.json.rule).toContain(pkg);

    // A corrupted copy on the DP is found by Validate and fixed by Redistribute.
    const blobs = join(dpRoot, 'blobs', sha256(a).slice(0, 2), sha256(a));
    writeFileSync(blobs, randomBytes(10));
    const v = await api.call('POST', `/api/v1/packages/${pkg}/validate`, { body: { distributionPoint: 'DP01' } });
    expect(v.json.ok).toBe(false);
    expect((await api.call('GET', `/api/v1/packages/${pkg}/distribution`)).json[0].state).toBe('error');
    const re = await api.call('POST', `/api/v1/packages/${pkg}/redistribute`, { body: { distributionPoint: 'DP01', wait: true } });
    expect(re.json.state).toBe('success');
    expect((await api.call('POST', `/api/v1/packages/${pkg}/validate`, { body: { distributionPoint: 'DP01' } })).json.ok).toBe(true);

    // Remove from the DP: the DP no longer serves it.
    const rm = await api.call('POST', `/api/v1/packages/${pkg}/remove-content`, { body: { distributionPoints: ['DP01'], wait: true } });
    expect(rm.json).toEqual([]);
    expect((await fetch(`${dp.url}/content/${pkg}/`)).status).toBe(404);
    await api.site.db.query('UPDATE packages SET content_id = NULL WHERE package_id = $1', [pkg]);
  });

  it('records an unreachable DP as an error with the reason, not a crash', async () => {
    const dead = await startDistributionPoint({ root: join(work, 'dead'), pushToken: PUSH_TOKEN });
    await api.call('POST', '/api/v1/distribution-points', { body: { name: 'DEAD', url: dead.url, pushToken: PUSH_TOKEN } });
    await dead.close();
    const src = join(work, 'p2.txt');
    writeFileSync(src, 'p2');
    const c = await api.call('POST', '/api/v1/content', { body: { sourcePath: src } });
    const { rows } = await api.site.db.query<{ package_id: string }>(`SELECT package_id FROM packages WHERE properties->>'builtIn' = 'usmt'`);
    await api.site.db.query('UPDATE packages SET content_id = $1 WHERE package_id = $2', [c.json.id, rows[0]!.package_id]);
    const d = await api.call('POST', '/api/v1/distributions', { body: { packageIds: [rows[0]!.package_id], distributionPoints: ['DEAD'], wait: true } });
    expect(d.json[0].state).toBe('error');
    expect(d.json[0].message).toMatch(/127\.0\.0\.1/);
    unlinkSync(src);
    await api.site.db.query('UPDATE packages SET content_id = NULL WHERE package_id = $1', [rows[0]!.package_id]);
  });

  it("refuses sources that are, or hold, the site's own data (key, database, tokens), even through a link", async () => {
    for (const path of [join(api.dataDir, 'site.key'), api.dataDir, join(api.dataDir, '..'), '/']) {
      const r = await api.call('POST', '/api/v1/content', { token: api.tokens['osd-manager'], body: { sourcePath: path } });
      expect(r.status, path).toBe(403);
      expect(r.json.rule).toContain("site's own data");
    }
    const link = join(work, 'innocent-link');
    symlinkSync(api.dataDir, link);
    expect((await api.call('POST', '/api/v1/content', { body: { sourcePath: link } })).status).toBe(403);
    expect((await api.call('POST', '/api/v1/os-images', { body: { sourcePath: join(api.dataDir, 'site.key') } })).status).toBe(403);
    expect((await api.call('POST', '/api/v1/drivers/import', { body: { sourcePath: api.dataDir } })).status).toBe(403);
    const relative = await api.call('POST', '/api/v1/content', { body: { sourcePath: 'some/folder' } });
    expect(relative.status).toBe(400);
    expect(relative.json.rule).toContain('absolute');
  });

  it('keeps to the --source-root folders when the server has them', async () => {
    const allowed = join(work, 'sources');
    mkdirSync(allowed, { recursive: true });
    writeFileSync(join(allowed, 'ok.txt'), 'ok');
    writeFileSync(join(work, 'outside.txt'), 'no');
    const restricted = Object.assign(Object.create(Object.getPrototypeOf(api.site)), api.site, { sourceRoots: [allowed] }) as typeof api.site;
    await expect(checkSourceAllowed(restricted, join(allowed, 'ok.txt'))).resolves.toBe(join(allowed, 'ok.txt'));
    await expect(checkSourceAllowed(restricted, join(work, 'outside.txt'))).rejects.toMatchObject({
      status: 403,
      rule: expect.stringContaining('outside the folders'),
    });
    await expect(checkSourceAllowed(restricted, join(allowed, '..', 'outside.txt'))).rejects.toMatchObject({ status: 403 });
  });

  it('lets only the right roles change content and distribution points', async () => {
    const analyst = api.tokens['read-only-analyst'];
    expect((await api.call('POST', '/api/v1/content', { token: analyst, body: { sourcePath: '/tmp' } })).status).toBe(403);
    expect((await api.call('GET', '/api/v1/distribution-points', { token: analyst })).status).toBe(200);
    const osd = api.tokens['osd-manager'];
    expect((await api.call('POST', '/api/v1/distribution-points', { token: osd, body: { name: 'X', url: dp.url, pushToken: PUSH_TOKEN } })).status).toBe(403);
  });

  it('collects garbage: unreferenced content and blobs go, used ones stay', async () => {
    const before = blobCount();
    await api.site.db.query(`UPDATE content SET created_at = now() - interval '2 hours'`);
    const r = await api.call('POST', '/api/v1/content/garbage-collect');
    expect(r.status).toBe(200);
    expect(r.json.contentRemoved).toBeGreaterThan(0);
    const remaining = await api.site.db.query('SELECT id FROM content');
    // Nothing references any content now (the packages were reset), and blobs are young: rows go, blobs stay until old.
    expect(remaining.rows).toEqual([]);
    expect(blobCount()).toBe(before);
    // Once the files are old too, they go.
    const root = join(api.dataDir, 'content', 'blobs');
    const old = new Date(Date.now() - 3 * 3600_000);
    for (const d of readdirSync(root)) for (const f of readdirSync(join(root, d))) utimesSync(join(root, d, f), old, old);
    const r2 = await api.call('POST', '/api/v1/content/garbage-collect');
    expect(r2.json.blobsRemoved).toBe(before);
    expect(blobCount()).toBe(0);
  });
});
