import { createHash } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContentFile } from '../../../src/transfer/hash.js';
import { bytes, startTestDp, tempDir, TOKEN, type TestDp } from '../../site/content/fixtures.js';

const tmp = tempDir('dp-push');
let dp: TestDp;
beforeAll(async () => {
  dp = await startTestDp(join(tmp.dir, 'dp'), { maxBlobBytes: 1 << 20 });
});
afterAll(async () => {
  await dp.close();
  tmp.cleanup();
});

const auth = { authorization: `Bearer ${TOKEN}` };
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const put = (sha256: string, body: Uint8Array, headers: Record<string, string> = auth) =>
  fetch(`${dp.url}/dp/v1/blobs/${sha256}`, { method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: body as BodyInit });
const putPackage = (id: string, body: unknown) =>
  fetch(`${dp.url}/dp/v1/packages/${id}`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
const tmpEmpty = () => expect(readdirSync(dp.store.tmpDir)).toEqual([]);

async function pushFiles(files: Record<string, Uint8Array>): Promise<ContentFile[]> {
  const out: ContentFile[] = [];
  for (const [path, data] of Object.entries(files)) {
    const res = await put(sha(data), data);
    expect([200, 201]).toContain(res.status);
    out.push({ path, size: data.length, sha256: sha(data) });
  }
  return out;
}

describe('DP push authentication', () => {
  it('answers 401 JSON without a token, with a wrong one, or with another scheme', async () => {
    const h = sha('x');
    const tries: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token-wrong-token' },
      { authorization: `Basic ${TOKEN}` },
      { authorization: `Bearer ${TOKEN}x` },
    ];
    for (const headers of tries) {
      const answers: [string, Response][] = [
        ['HEAD', await fetch(`${dp.url}/dp/v1/blobs/${h}`, { method: 'HEAD', headers })],
        ['PUT', await put(h, Buffer.from('x'), headers)],
        ['GET', await fetch(`${dp.url}/dp/v1/packages`, { headers })],
        ['DELETE', await fetch(`${dp.url}/dp/v1/packages/PS100001`, { method: 'DELETE', headers })],
      ];
      for (const [method, res] of answers) {
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
        if (method === 'HEAD') continue; // no body
        const body = (await res.json()) as Record<string, unknown>;
        expect(body.error).toBe('dp-unauthorized');
        expect(body.message).toMatch(/Bearer|wrong/);
        expect(JSON.stringify(body)).not.toContain(TOKEN);
        expect(body).not.toHaveProperty('stack');
      }
    }
    expect(await dp.store.has(h)).toBe(false);
  });
});

describe('DP blobs', () => {
  it('HEAD is 404 then 200 after a PUT (201), a second PUT is 200', async () => {
    const data = bytes(200_000, 5);
    const h = sha(data);
    expect((await fetch(`${dp.url}/dp/v1/blobs/${h}`, { method: 'HEAD', headers: auth })).status).toBe(404);
    const first = await put(h, data);
    expect(first.status).toBe(201);
    expect(await first.json()).toEqual({ sha256: h, size: data.length, created: true });
    const head = await fetch(`${dp.url}/dp/v1/blobs/${h}`, { method: 'HEAD', headers: auth });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(data.length));
    expect((await put(h, data)).status).toBe(200);
    expect(await dp.store.verify(h)).toBe(true);
    tmpEmpty();
  });

  it('accepts the empty blob', async () => {
    const res = await put(sha(''), new Uint8Array());
    expect(res.status).toBe(201);
    expect(await dp.store.has(sha(''))).toBe(true);
  });

  it('refuses a body that does not match its hash with 422 and 0x80091007, storing nothing', async () => {
    const data = bytes(50_000, 6);
    const claimed = sha('something else entirely');
    const res = await put(claimed, data);
    expect(res.status).toBe(422);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.error).toBe('content-hash-mismatch');
    expect(body.win32).toBe('0x80091007');
    expect(body.actual).toBe(sha(data));
    expect(await dp.store.has(claimed)).toBe(false);
    expect(await dp.store.has(sha(data))).toBe(false);
    tmpEmpty();
  });

  it('refuses a malformed hash (400) and a blob over maxBlobBytes (413), storing nothing', async () => {
    const bad = await put('..%2F..%2Fetc%2Fpasswd', Buffer.from('x'));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('content-hash-invalid');
    const big = bytes((1 << 20) + 1, 8);
    const res = await put(sha(big), big);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toBe('content-too-large');
    expect(await dp.store.has(sha(big))).toBe(false);
    tmpEmpty();
  });

  it('refuses an oversized chunked upload half-way (no Content-Length to check up front)', async () => {
    const big = bytes((1 << 20) + 5000, 9);
    async function* chunks() {
      for (let i = 0; i < big.length; i += 65536) yield big.subarray(i, i + 65536);
    }
    const res = await fetch(`${dp.url}/dp/v1/blobs/${sha(big)}`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: chunks() as unknown as BodyInit,
      duplex: 'half',
    } as RequestInit).catch((e: Error) => e);
    // The DP answers 413 and closes the connection; the client may see the answer or the reset.
    if (!(res instanceof Error)) expect(res.status).toBe(413);
    else expect(res.message).toBeTruthy();
    expect(await dp.store.has(sha(big))).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    tmpEmpty();
  });
});

describe('DP packages', () => {
  it('refuses a package whose blobs are missing with 409 listing them', async () => {
    const [present] = await pushFiles({ 'a.txt': Buffer.from('present') });
    const absent = { path: 'b.txt', size: 6, sha256: sha('absent') };
    const res = await putPackage('PS100001', { version: 1, files: [present, absent] });
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: string; missing: string[] };
    expect(body.error).toBe('dp-blobs-missing');
    expect(body.missing).toEqual([absent.sha256]);
    expect(readdirSync(join(dp.store.root, 'packages'))).not.toContain('PS100001.json');
  });

  it('validates the PackageID, paths, hashes and sizes of a package (400)', async () => {
    const [f] = await pushFiles({ 'a.txt': Buffer.from('present') });
    for (const id of ['ps100001', 'PS10001', 'PS10000G', 'PS1000011', '..%2F..%2Fx']) {
      const res = await putPackage(id, { version: 1, files: [f] });
      expect(res.status, id).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('package-id-invalid');
    }
    const cases: [unknown, string][] = [
      [{ version: 1, files: [{ ...f, path: '../x' }] }, 'content-path-invalid'],
      [{ version: 1, files: [{ ...f, path: 'C:/x' }] }, 'content-path-invalid'],
      [{ version: 1, files: [f, { ...f, path: 'A.TXT' }] }, 'content-path-invalid'],
      [{ version: 1, files: [{ ...f, sha256: 'XYZ' }] }, 'content-hash-invalid'],
      [{ version: 1, files: [{ ...f, size: 99 }] }, 'content-size-mismatch'],
      [{ version: -1, files: [f] }, 'request-invalid'],
      [{ files: [f] }, 'request-invalid'],
    ];
    for (const [body, code] of cases) {
      const res = await putPackage('PS100002', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const json = (await res.json()) as Record<string, unknown>;
      expect(json.error).toBe(code);
      expect(json.message).toBeTruthy();
    }
    const notJson = await fetch(`${dp.url}/dp/v1/packages/PS100002`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: '{' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as Record<string, unknown>).error).toBe('request-invalid');
  });

  it('stores a manifest atomically, lists it, refuses an older version', async () => {
    const files = await pushFiles({ 'x/one.bin': bytes(1000, 11), 'two.bin': bytes(2000, 12) });
    const res = await putPackage('AB100003', { version: 2, files });
    expect(res.status).toBe(201);
    const list = (await (await fetch(`${dp.url}/dp/v1/packages`, { headers: auth })).json()) as {
      packageId: string;
      version: number;
      size: number;
      files: ContentFile[];
    }[];
    const pkg = list.find((p) => p.packageId === 'AB100003');
    expect(pkg).toMatchObject({ version: 2, size: 3000 });
    expect(pkg?.files.map((f) => f.path)).toEqual(['two.bin', 'x/one.bin']);
    const older = await putPackage('AB100003', { version: 1, files });
    expect(older.status).toBe(409);
    expect(((await older.json()) as { error: string }).error).toBe('dp-package-version-older');
    expect((await putPackage('AB100003', { version: 2, files })).status).toBe(200);
    tmpEmpty();
  });

  it('deletes a package and only the blobs no other package refers to', async () => {
    const shared = bytes(3000, 21);
    const only = bytes(3000, 22);
    const other = bytes(3000, 23);
    const filesA = await pushFiles({ 'shared.bin': shared, 'only.bin': only });
    const filesB = await pushFiles({ 'shared-copy.bin': shared, 'other.bin': other });
    expect((await putPackage('DL100001', { version: 1, files: filesA })).status).toBe(201);
    expect((await putPackage('DL100002', { version: 1, files: filesB })).status).toBe(201);
    const res = await fetch(`${dp.url}/dp/v1/packages/DL100001`, { method: 'DELETE', headers: auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ packageId: 'DL100001', removedBlobs: 1 });
    expect(await dp.store.has(sha(only))).toBe(false);
    expect(await dp.store.has(sha(shared))).toBe(true);
    expect(await dp.store.has(sha(other))).toBe(true);
    expect((await fetch(`${dp.url}/content/DL100001/`)).status).toBe(404);
    expect((await fetch(`${dp.url}/dp/v1/packages/DL100001`, { method: 'DELETE', headers: auth })).status).toBe(404);
  });

  it('a new version removes the blobs only the old version used', async () => {
    const v1 = await pushFiles({ 'f.bin': bytes(500, 31) });
    expect((await putPackage('UP100001', { version: 1, files: v1 })).status).toBe(201);
    const v2 = await pushFiles({ 'f.bin': bytes(500, 32) });
    const res = await putPackage('UP100001', { version: 2, files: v2 });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { removedBlobs: number }).removedBlobs).toBe(1);
    expect(await dp.store.has(v1[0].sha256)).toBe(false);
  });

  it('validate rehashes every file and reports missing and corrupted blobs', async () => {
    const files = await pushFiles({ 'good.bin': bytes(4000, 41), 'bad.bin': bytes(4000, 42), 'gone.bin': bytes(4000, 43) });
    expect((await putPackage('VA100001', { version: 3, files })).status).toBe(201);
    const validate = async () => (await fetch(`${dp.url}/dp/v1/packages/VA100001/validate`, { method: 'POST', headers: auth })).json();
    expect(await validate()).toEqual({ packageId: 'VA100001', version: 3, ok: true, bad: [] });
    const [bad, gone] = [files[1], files[2]];
    writeFileSync(dp.store.blobPath(bad.sha256), bytes(4000, 99));
    await dp.store.remove([gone.sha256]);
    expect(await validate()).toEqual({
      packageId: 'VA100001',
      version: 3,
      ok: false,
      bad: [
        { path: 'bad.bin', sha256: bad.sha256, problem: 'hash-mismatch' },
        { path: 'gone.bin', sha256: gone.sha256, problem: 'missing' },
      ],
    });
    expect((await fetch(`${dp.url}/dp/v1/packages/NO100001/validate`, { method: 'POST', headers: auth })).status).toBe(404);
  });
});
