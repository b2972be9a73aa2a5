import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DistributionPointClient } from '../../../src/site/content/dp-client.js';
import { ContentStore } from '../../../src/site/content/store.js';
import { bytes, startTestDp, tempDir, TOKEN, writeFiles, type TestDp } from '../../site/content/fixtures.js';

const tmp = tempDir('dp-content');
let dp: TestDp;
const wim = bytes(300_000, 77);
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const wimUrl = () => `${dp.url}/content/PS100010/sources/install.wim`;

beforeAll(async () => {
  dp = await startTestDp(join(tmp.dir, 'dp'));
  const src = join(tmp.dir, 'src');
  writeFiles(src, { 'sources/install.wim': wim, 'odd name #1%.txt': 'odd', 'empty.txt': '', 'deep/er/x.txt': 'x' });
  const site = await ContentStore.open(join(tmp.dir, 'site'));
  const client = new DistributionPointClient(dp.url, TOKEN);
  await client.distribute('PS100010', 4, (await site.importPath(src)).files, site);
  // A package with a file called manifest.json: the file must stay reachable.
  const src2 = join(tmp.dir, 'src2');
  writeFiles(src2, { 'manifest.json': '{"mine":true}', 'other.txt': 'o' });
  await client.distribute('PS100011', 1, (await site.importPath(src2)).files, site);
});
afterAll(async () => {
  await dp.close();
  tmp.cleanup();
});

/** A raw request, so the path reaches the server exactly as written (fetch and curl would normalize `..`). */
function raw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const u = new URL(dp.url);
    const req = http.request({ host: u.hostname, port: u.port, path, headers, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('DP content: manifest', () => {
  it('serves the manifest at /content/<id>/, /content/<id> and /content/<id>/manifest.json', async () => {
    for (const url of [
      `${dp.url}/content/PS100010/`,
      `${dp.url}/content/PS100010`,
      `${dp.url}/content/PS100010/manifest.json`,
      `${dp.url}/content/ps100010/`,
    ]) {
      const res = await fetch(url);
      expect(res.status, url).toBe(200);
      const m = (await res.json()) as { packageId: string; version: number; size: number; files: { path: string; size: number; sha256: string }[] };
      expect(m.packageId).toBe('PS100010');
      expect(m.version).toBe(4);
      expect(m.files.map((f) => f.path)).toEqual(['deep/er/x.txt', 'empty.txt', 'odd name #1%.txt', 'sources/install.wim']);
      expect(m.files[3]).toEqual({ path: 'sources/install.wim', size: wim.length, sha256: sha(wim) });
    }
  });

  it('serves a package file named manifest.json as the file; the manifest stays at /content/<id>/', async () => {
    expect(await (await fetch(`${dp.url}/content/PS100011/manifest.json`)).text()).toBe('{"mine":true}');
    expect(((await (await fetch(`${dp.url}/content/PS100011/`)).json()) as { files: unknown[] }).files).toHaveLength(2);
  });
});

describe('DP content: files', () => {
  it('serves a whole file with length, ETag, X-Content-SHA256 and Accept-Ranges', async () => {
    const res = await fetch(wimUrl());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(wim.length));
    expect(res.headers.get('etag')).toBe(`"${sha(wim)}"`);
    expect(res.headers.get('x-content-sha256')).toBe(sha(wim));
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await res.arrayBuffer()).equals(wim)).toBe(true);
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await fetch(wimUrl(), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(wim.length));
    expect(res.headers.get('x-content-sha256')).toBe(sha(wim));
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  const ranges: [string, number, number][] = [
    ['bytes=0-99', 0, 99],
    ['bytes=1000-', 1000, wim.length - 1],
    ['bytes=-500', wim.length - 500, wim.length - 1],
    ['bytes=-999999999', 0, wim.length - 1],
    ['bytes=299990-400000', 299_990, wim.length - 1],
    [`bytes=${wim.length - 1}-${wim.length - 1}`, wim.length - 1, wim.length - 1],
  ];
  it.each(ranges)('serves %s as 206 with the exact bytes', async (range, start, end) => {
    const res = await fetch(wimUrl(), { headers: { range } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${wim.length}`);
    expect(res.headers.get('content-length')).toBe(String(end - start + 1));
    expect(Buffer.from(await res.arrayBuffer()).equals(wim.subarray(start, end + 1))).toBe(true);
  });

  it('answers an unsatisfiable range with 416 and Content-Range bytes */size', async () => {
    for (const range of [`bytes=${wim.length}-`, `bytes=${wim.length + 10}-${wim.length + 20}`, 'bytes=-0']) {
      const res = await fetch(wimUrl(), { headers: { range } });
      expect(res.status, range).toBe(416);
      expect(res.headers.get('content-range')).toBe(`bytes */${wim.length}`);
      expect(((await res.json()) as { error: string }).error).toBe('range-not-satisfiable');
    }
    expect((await fetch(`${dp.url}/content/PS100010/empty.txt`, { headers: { range: 'bytes=0-' } })).status).toBe(416);
  });

  it('ignores ranges it does not serve (several ranges, other units, reversed) and sends the whole file', async () => {
    for (const range of ['bytes=0-1,5-6', 'items=0-1', 'bytes=9-2', 'bytes=x-y']) {
      const res = await fetch(wimUrl(), { headers: { range } });
      expect(res.status, range).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBe(wim.length);
    }
  });

  it('honours If-Range: the matching ETag gets the range, another gets the whole file', async () => {
    expect((await fetch(wimUrl(), { headers: { range: 'bytes=0-9', 'if-range': `"${sha(wim)}"` } })).status).toBe(206);
    expect((await fetch(wimUrl(), { headers: { range: 'bytes=0-9', 'if-range': '"old"' } })).status).toBe(200);
  });

  it('gives curl -r 0-99 the same bytes', async () => {
    // Asynchronously: the DP runs in this process, a synchronous child would block it.
    const curl = async (...args: string[]) => (await promisify(execFile)('curl', args, { encoding: 'buffer', maxBuffer: 1 << 22 })).stdout;
    expect((await curl('-s', '-f', '-r', '0-99', wimUrl())).equals(wim.subarray(0, 100))).toBe(true);
    expect((await curl('-s', '-f', wimUrl())).equals(wim)).toBe(true);
  });

  it('finds names with spaces, # and %, and paths in any case; serves empty files', async () => {
    expect(await (await fetch(`${dp.url}/content/PS100010/${encodeURIComponent('odd name #1%.txt')}`)).text()).toBe('odd');
    const upper = await fetch(`${dp.url}/content/PS100010/SOURCES/Install.WIM`, { headers: { range: 'bytes=0-9' } });
    expect(upper.status).toBe(206);
    const empty = await fetch(`${dp.url}/content/PS100010/empty.txt`);
    expect(empty.status).toBe(200);
    expect(empty.headers.get('content-length')).toBe('0');
    expect(await empty.text()).toBe('');
  });

  it('answers 404 JSON for a path not in the manifest and for an unknown package', async () => {
    for (const url of [
      `${dp.url}/content/PS100010/sources/boot.wim`,
      `${dp.url}/content/PS100010/sources`,
      `${dp.url}/content/PS1FFFFF/x`,
      `${dp.url}/content/nonsense/x`,
    ]) {
      const res = await fetch(url);
      expect(res.status, url).toBe(404);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.error).toBe('content-not-found');
      expect(body.message).toBeTruthy();
      expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js):\d+/);
    }
  });

  it('cannot be made to read outside the package: traversal attempts find nothing', async () => {
    const attempts = [
      '/content/PS100010/../../../../../../etc/passwd',
      '/content/PS100010/sources/../../../../../etc/passwd',
      '/content/PS100010/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/content/PS100010/..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/content/PS100010/..%5c..%5c..%5cetc%5cpasswd',
      '/content/PS100010/%2fetc%2fpasswd',
      '/content/PS100010//etc/passwd',
      '/content/PS100010/C:/Windows/win.ini',
      '/content/PS100010/sources%00/install.wim',
      `/content/PS100010/${'..%2f'.repeat(3)}${encodeURIComponent(join(tmp.dir, 'dp', 'packages', 'PS100010.json'))}`,
      '/content/PS100010/../../blobs',
      '/content/..%2fpackages/PS100010.json',
    ];
    for (const path of attempts) {
      const res = await raw(path);
      expect([400, 404], path).toContain(res.status);
      expect(res.body.toString()).not.toMatch(/root:|"files"/);
    }
  });

  it('answers 500 JSON (not a broken stream) when a blob vanished from the DP', async () => {
    await dp.store.remove([sha('x')]);
    const res = await fetch(`${dp.url}/content/PS100010/deep/er/x.txt`);
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: string; hint: string }).error).toBe('content-blob-missing');
  });
});
