import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { distributionPointRoutes, startDistributionPoint } from '../../../src/server/distribution-point/index.js';
import { DistributionPointClient } from '../../../src/site/content/dp-client.js';
import { ContentStore } from '../../../src/site/content/store.js';
import { bytes, contentError, tempDir, TOKEN, writeFiles } from '../../site/content/fixtures.js';

const tmp = tempDir('dp-server');
afterAll(tmp.cleanup);

describe('startDistributionPoint', () => {
  it('serves on 127.0.0.1 with a free port, and keeps its packages across a restart', async () => {
    const root = join(tmp.dir, 'dp');
    const site = await ContentStore.open(join(tmp.dir, 'site'));
    const src = join(tmp.dir, 'src');
    writeFiles(src, { 'a.bin': bytes(10_000, 1) });
    const m = await site.importPath(src);

    const dp = await startDistributionPoint({ root, pushToken: TOKEN, port: 0 });
    expect(dp.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await new DistributionPointClient(dp.url, TOKEN).distribute('PS100040', 1, m.files, site);
    const unknown = await fetch(`${dp.url}/nothing/here`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toBe('not-found');
    await dp.close();

    // A crash left a temporary file: the next start removes it; the package is still served.
    writeFileSync(join(root, 'tmp', 'leftover.tmp'), 'half');
    const again = await startDistributionPoint({ root, pushToken: TOKEN });
    try {
      expect(readdirSync(join(root, 'tmp'))).not.toContain('leftover.tmp');
      const res = await fetch(`${again.url}/content/PS100040/a.bin`, { headers: { range: 'bytes=0-9' } });
      expect(res.status).toBe(206);
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes(10_000, 1).subarray(0, 10))).toBe(true);
    } finally {
      await again.close();
    }
  });

  it('refuses to start with a short push token', async () => {
    const e = await contentError(startDistributionPoint({ root: join(tmp.dir, 'dp2'), pushToken: 'short' }));
    expect(e.code).toBe('dp-config-invalid');
  });
});

describe('distributionPointRoutes co-hosted in another fastify app', () => {
  it('keeps its parser and error format to itself, and retainBlob protects shared blobs', async () => {
    const store = await ContentStore.open(join(tmp.dir, 'cohost'));
    const src = join(tmp.dir, 'cohost-src');
    writeFiles(src, { 'kept.bin': bytes(100, 7), 'gone.bin': bytes(100, 8) });
    const m = await store.importPath(src);
    const kept = m.files.find((f) => f.path === 'kept.bin')!.sha256;
    const app = Fastify();
    app.post('/api/other', async (req) => ({ got: typeof req.body }));
    await app.register(distributionPointRoutes({ store, pushToken: TOKEN, retainBlob: (h) => h === kept }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      // The host's own route does not accept raw octet-stream bodies just because the DP does.
      const other = await fetch(`${url}/api/other`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'x' });
      expect(other.status).toBe(415);
      const client = new DistributionPointClient(url, TOKEN);
      // The blobs are in the shared store already: nothing to push.
      expect(await client.distribute('CO100001', 1, m.files, store)).toEqual({ pushedBlobs: 0, pushedBytes: 0 });
      await client.deletePackage('CO100001');
      expect(await store.has(kept)).toBe(true);
      expect(await store.has(m.files.find((f) => f.path === 'gone.bin')!.sha256)).toBe(false);
    } finally {
      await app.close();
    }
  });
});
