/**
 * The site server serves the web console's files at `/` (docs/console.md "How it is served"), with
 * no browser: index.html, a hashed asset with a year's cache, the console's own routes answered
 * with index.html, the admin API untouched (JSON 404 for an unknown API path, a token still needed),
 * nothing outside the console's folder, and a clear page when the console was not built.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminApi } from '../../src/server/api/app.js';
import { startSiteServer } from '../../src/server/site-server.js';
import { consoleFiles } from '../../src/server/console-files.js';
import { createToken } from '../../src/site/security/tokens.js';
import { SYSTEM_ACTOR } from '../../src/site/security/roles.js';
import { openTestSite, type TestSite } from '../site/helpers/site.js';
import { tempDir } from '../helpers/temp.js';

const INDEX =
  '<!doctype html><html lang="en"><head><title>OpenOSD console</title><script type="module" src="/assets/index-AbCdEf12.js"></script></head><body><div id="root"></div></body></html>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4000))});\n`;

describe('the console served by the site server', () => {
  let ts: TestSite;
  let app: FastifyInstance;
  let bare: FastifyInstance;
  let token: string;

  beforeAll(async () => {
    const root = tempDir('openosd-console-dist-');
    const dir = join(root, 'console');
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'assets', 'index-AbCdEf12.js'), SCRIPT);
    writeFileSync(join(dir, 'assets', 'index-AbCdEf12.css'), 'body{margin:0}');
    // A file next to the console's folder that no request may reach.
    writeFileSync(join(root, 'secret.txt'), 'TOP-SECRET-CONTENT');
    ts = await openTestSite('pglite');
    app = await createAdminApi(ts.site, { console: consoleFiles(dir) });
    bare = await createAdminApi(ts.site, { console: consoleFiles(join(dir, 'missing')) });
    token = (await createToken(ts.site.db, SYSTEM_ACTOR, { name: 'console test', role: 'read-only-analyst' })).token;
  });
  afterAll(async () => {
    await app?.close();
    await bare?.close();
    await ts?.close();
  });

  it('serves index.html at / without a token, revalidated on every load', async () => {
    const r = await app.inject({ method: 'GET', url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(r.body).toBe(INDEX);
    const again = await app.inject({ method: 'GET', url: '/', headers: { 'if-none-match': String(r.headers.etag) } });
    expect(again.statusCode).toBe(304);
  });

  it('serves a hashed asset with its type, cached for a year, compressed when the browser accepts it', async () => {
    const r = await app.inject({ method: 'GET', url: '/assets/index-AbCdEf12.js' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.body).toBe(SCRIPT);
    const gz = await app.inject({ method: 'GET', url: '/assets/index-AbCdEf12.js', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(SCRIPT);
    const br = await app.inject({ method: 'GET', url: '/assets/index-AbCdEf12.js', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.rawPayload.length).toBeLessThan(SCRIPT.length / 4);
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(SCRIPT);
    const css = await app.inject({ method: 'HEAD', url: '/assets/index-AbCdEf12.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it("answers the console's own routes with index.html (history routing)", async () => {
    for (const url of ['/software-library/task-sequences', '/software-library/task-sequences/PS100004', '/assets/devices?search=x', '/monitoring']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type'], url).toBe('text/html; charset=utf-8');
      expect(r.body, url).toBe(INDEX);
    }
  });

  it('answers a missing file with an extension as 404, not as the page', async () => {
    const r = await app.inject({ method: 'GET', url: '/assets/index-00000000.js' });
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('leaves the admin API as it was: a token needed, JSON 404 for an unknown path', async () => {
    const noToken = await app.inject({ method: 'GET', url: '/api/v1/task-sequences' });
    expect(noToken.statusCode).toBe(401);
    expect(noToken.json().error).toBe('unauthenticated');
    const unknown = await app.inject({ method: 'GET', url: '/api/v1/no-such-thing', headers: { authorization: `Bearer ${token}` } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/json');
    expect(unknown.json()).toMatchObject({ error: 'not-found', rule: 'no such endpoint' });
    const ok = await app.inject({ method: 'GET', url: '/api/v1/site', headers: { authorization: `Bearer ${token}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().siteCode).toBeTruthy();
    // /api itself and the other services' prefixes are never the console's.
    for (const url of ['/api', '/api/', '/mp/v1/nothing', '/boot/v1/nothing']) {
      const r = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      expect(r.headers['content-type'], url).toContain('application/json');
    }
  });

  it('refuses paths that climb out of the console folder', async () => {
    for (const url of [
      '/../package.json',
      '/assets/../../package.json',
      '/%2e%2e/%2e%2e/package.json',
      '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/..%2f..%2fetc%2fpasswd',
      '/%2e%2e/secret.txt',
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/assets/..\\..\\package.json',
    ]) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.body, url).not.toContain('"name": "openosd"');
      expect(r.body, url).not.toContain('TOP-SECRET-CONTENT');
      expect(r.body, url).not.toMatch(/root:.*:0:0/);
      expect([200, 400, 404], url).toContain(r.statusCode);
      if (r.statusCode === 200) expect(r.body, url).toBe(INDEX);
    }
  });

  it('refuses what is not a read of the console', async () => {
    const r = await app.inject({ method: 'POST', url: '/software-library/task-sequences', payload: {} });
    expect(r.statusCode).toBe(404);
    expect(r.json().error).toBe('not-found');
  });

  it('says the console was not built when dist/console is missing', async () => {
    for (const url of ['/', '/software-library/task-sequences']) {
      const r = await bare.inject({ method: 'GET', url });
      expect(r.statusCode).toBe(404);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.body).toContain('The console was not built');
    }
    const api = await bare.inject({ method: 'GET', url: '/api/v1/site', headers: { authorization: `Bearer ${token}` } });
    expect(api.statusCode).toBe(200);
  });

  it('is wired into the site server: the folder it is given, and whether it held a built console', async () => {
    const root = tempDir('openosd-console-server-');
    mkdirSync(join(root, 'console'));
    writeFileSync(join(root, 'console', 'index.html'), INDEX);
    const dataDir = join(root, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    const server = await startSiteServer({ dataDir, port: 0, consoleDir: join(root, 'console') });
    try {
      expect(server.console).toEqual({ dir: join(root, 'console'), built: true });
      const page = await fetch(`${server.url}/monitoring/deployments`);
      expect(page.status).toBe(200);
      expect(await page.text()).toBe(INDEX);
      const api = await fetch(`${server.url}/api/v1/site`);
      expect(api.status).toBe(401);
    } finally {
      await server.close();
    }
  });
});
