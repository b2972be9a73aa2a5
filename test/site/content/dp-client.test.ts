import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DistributionPointClient } from '../../../src/site/content/dp-client.js';
import { ContentStore } from '../../../src/site/content/store.js';
import { bytes, contentError, startTestDp, tempDir, TOKEN, writeFiles, type TestDp } from './fixtures.js';

const tmp = tempDir('dp-client');
let dp: TestDp;
let site: ContentStore;
let client: DistributionPointClient;
beforeAll(async () => {
  dp = await startTestDp(join(tmp.dir, 'dp'));
  site = await ContentStore.open(join(tmp.dir, 'site'));
  client = new DistributionPointClient(`${dp.url}/`, TOKEN);
});
afterAll(async () => {
  await dp.close();
  tmp.cleanup();
});

describe('DistributionPointClient', () => {
  it('distributes a package pushing only the blobs the DP lacks', async () => {
    const src = join(tmp.dir, 'pkg1');
    writeFiles(src, { 'a.bin': bytes(2 << 20, 1), 'copy-of-a.bin': bytes(2 << 20, 1), 'b.txt': 'bee' });
    const m = await site.importPath(src);
    const progress: [number, number][] = [];
    const first = await client.distribute('PS100020', 1, m.files, site, (d, t) => progress.push([d, t]));
    expect(first).toEqual({ pushedBlobs: 2, pushedBytes: (2 << 20) + 3 });
    expect(progress.at(-1)).toEqual([(2 << 20) + 3, (2 << 20) + 3]);
    for (const f of m.files) expect(await client.hasBlob(f.sha256)).toBe(true);

    // A second package sharing a blob pushes only what is new; distributing again pushes nothing.
    const src2 = join(tmp.dir, 'pkg2');
    writeFiles(src2, { 'a.bin': bytes(2 << 20, 1), 'c.txt': 'sea' });
    const m2 = await site.importPath(src2);
    expect(await client.distribute('PS100021', 1, m2.files, site)).toEqual({ pushedBlobs: 1, pushedBytes: 3 });
    expect(await client.distribute('PS100021', 1, m2.files, site)).toEqual({ pushedBlobs: 0, pushedBytes: 0 });

    const list = await client.listPackages();
    expect(list.map((p) => [p.packageId, p.version, p.size])).toEqual([
      ['PS100020', 1, (4 << 20) + 3],
      ['PS100021', 1, (2 << 20) + 3],
    ]);
    expect(list[0].sha256).toBe(m.sha256);
  });

  it('putPackage throws a ContentError listing the missing blobs', async () => {
    const src = join(tmp.dir, 'pkg3');
    writeFiles(src, { 'new.bin': bytes(1000, 33) });
    const m = await site.importPath(src);
    const e = await contentError(client.putPackage('PS100022', 1, m.files));
    expect(e.code).toBe('dp-blobs-missing');
    expect(e.status).toBe(409);
    expect(e.details?.missing).toEqual([m.files[0].sha256]);
    expect(e.message).toContain(dp.url);
  });

  it('pushBlob of a file that does not match its hash fails with 0x80091007', async () => {
    const src = join(tmp.dir, 'pkg4');
    writeFiles(src, { 'x.bin': bytes(5000, 44), 'y.bin': bytes(5000, 45) });
    const [x, y] = (await site.importPath(src)).files;
    const e = await contentError(client.pushBlob(x.sha256, site.blobPath(y.sha256)));
    expect(e.code).toBe('content-hash-mismatch');
    expect(e.status).toBe(422);
    expect(e.win32).toBe(0x80091007);
    expect(await dp.store.has(x.sha256)).toBe(false);
  });

  it('validate and deletePackage (deleting twice is fine)', async () => {
    expect(await client.validate('PS100021')).toEqual({ packageId: 'PS100021', version: 1, ok: true, bad: [] });
    await client.deletePackage('PS100021');
    await client.deletePackage('PS100021');
    expect((await client.listPackages()).map((p) => p.packageId)).toEqual(['PS100020']);
    // c.txt was only in PS100021; a.bin is still used by PS100020.
    const blobs: string[] = [];
    for await (const h of dp.store.listBlobs()) blobs.push(h);
    expect(blobs).toHaveLength(2);
  });

  it('a wrong token is a ContentError dp-unauthorized', async () => {
    const e = await contentError(new DistributionPointClient(dp.url, 'not-the-token-at-all').listPackages());
    expect(e.code).toBe('dp-unauthorized');
    expect(e.status).toBe(401);
  });

  it('an unreachable DP is a ContentError dp-unreachable naming the URL', async () => {
    const e = await contentError(new DistributionPointClient('http://127.0.0.1:1', TOKEN).listPackages());
    expect(e.code).toBe('dp-unreachable');
    expect(e.message).toContain('http://127.0.0.1:1/dp/v1/packages');
    expect(e.rule).toContain('ECONNREFUSED');
  });

  it('builds content URLs with each segment encoded', () => {
    expect(client.contentUrl('PS100020', 'a b/#1%.txt')).toBe(`${dp.url}/content/PS100020/a%20b/%231%25.txt`);
  });
});
