import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ContentTooLargeError } from '../../../src/site/content/errors.js';
import { ContentStore, manifestHash } from '../../../src/site/content/store.js';
import { bytes, contentError, sha256sum, syncContentError, tempDir, writeFiles } from './fixtures.js';

const tmp = tempDir('store');
afterAll(tmp.cleanup);
let n = 0;
let store: ContentStore;
let src: string;
beforeEach(async () => {
  n++;
  store = await ContentStore.open(join(tmp.dir, `store-${n}`));
  src = join(tmp.dir, `src-${n}`);
  mkdirSync(src);
});

async function blobs(s: ContentStore): Promise<string[]> {
  const out: string[] = [];
  for await (const h of s.listBlobs()) out.push(h);
  return out;
}

describe('ContentStore.importPath', () => {
  it('imports one file as a one-entry manifest whose hash equals sha256sum', async () => {
    const file = join(src, 'install.wim');
    writeFileSync(file, bytes(3 * 1024 * 1024 + 17));
    const m = await store.importPath(file);
    expect(m.files).toEqual([{ path: 'install.wim', size: 3 * 1024 * 1024 + 17, sha256: sha256sum(file) }]);
    expect(m.size).toBe(3 * 1024 * 1024 + 17);
    expect(m.sha256).toBe(manifestHash(m.files));
    const blob = store.blobPath(m.files[0].sha256);
    expect(blob).toBe(join(store.root, 'blobs', m.files[0].sha256.slice(0, 2), m.files[0].sha256));
    expect(readFileSync(blob).equals(readFileSync(file))).toBe(true);
    expect(await store.has(m.files[0].sha256)).toBe(true);
    expect(readdirSync(store.tmpDir)).toEqual([]);
  });

  it('imports a nested folder with relative "/" paths, sorted, hashes equal to sha256sum', async () => {
    writeFiles(src, {
      'b.txt': 'bee',
      'a/deep/er/file.bin': bytes(70_000, 7),
      'a/empty.txt': '',
      'Z/x.txt': 'x',
    });
    mkdirSync(join(src, 'empty-folder'));
    const m = await store.importPath(src);
    expect(m.files.map((f) => f.path)).toEqual(['Z/x.txt', 'a/deep/er/file.bin', 'a/empty.txt', 'b.txt']);
    for (const f of m.files) {
      expect(f.sha256).toBe(sha256sum(join(src, f.path)));
      expect(f.size).toBe(statSync(join(src, f.path)).size);
      expect(await store.verify(f.sha256)).toBe(true);
    }
    expect(m.size).toBe(3 + 70_000 + 0 + 1);
  });

  it('stores identical content once, and never rewrites an existing blob', async () => {
    writeFiles(src, { 'one.bin': bytes(5000, 3), 'dir/two.bin': bytes(5000, 3), 'three.bin': 'other' });
    const m = await store.importPath(src);
    expect(new Set(m.files.map((f) => f.sha256)).size).toBe(2);
    expect(await blobs(store)).toHaveLength(2);
    const blob = store.blobPath(m.files[0].sha256);
    utimesSync(blob, new Date('2001-01-01'), new Date('2001-01-01'));
    const before = statSync(blob);
    const again = await store.importPath(src);
    expect(again).toEqual(m);
    const after = statSync(blob);
    expect(after.ino).toBe(before.ino);
    // Reused, so marked young again (a garbage collector sparing young blobs must spare it).
    expect(after.mtimeMs).toBeGreaterThan(Date.now() - 60_000);
    expect(await blobs(store)).toHaveLength(2);
    expect(readdirSync(store.tmpDir)).toEqual([]);
  });

  it('gives the same manifest hash for the same content imported from different places', async () => {
    const other = join(tmp.dir, `elsewhere-${n}`);
    for (const root of [src, other]) writeFiles(root, { 'x/y.txt': 'same', 'z.bin': bytes(1234, 9) });
    const a = await store.importPath(src);
    const b = await (await ContentStore.open(join(tmp.dir, `second-${n}`))).importPath(other);
    expect(b.sha256).toBe(a.sha256);
    writeFiles(other, { 'z.bin': bytes(1234, 10) });
    expect((await store.importPath(other)).sha256).not.toBe(a.sha256);
  });

  it('reports progress up to the total', async () => {
    writeFiles(src, { 'a.bin': bytes(3 << 20, 1), 'b.bin': bytes(100, 2) });
    const seen: [number, number][] = [];
    await store.importPath(src, { onProgress: (d, t) => seen.push([d, t]) });
    expect(seen[0]).toEqual([0, (3 << 20) + 100]);
    expect(seen.at(-1)).toEqual([(3 << 20) + 100, (3 << 20) + 100]);
    for (let i = 1; i < seen.length; i++) expect(seen[i][0]).toBeGreaterThanOrEqual(seen[i - 1][0]);
  });

  it('refuses a source over maxBytes before copying anything', async () => {
    writeFiles(src, { 'a.bin': bytes(2000) });
    const e = await contentError(store.importPath(src, { maxBytes: 1999 }));
    expect(e).toBeInstanceOf(ContentTooLargeError);
    expect(e.status).toBe(413);
    expect(await blobs(store)).toEqual([]);
  });

  it('stops on abort half-way through a file and leaves no temporary file', async () => {
    writeFiles(src, { 'a.bin': bytes(4 << 20) });
    const ac = new AbortController();
    const e = await store.importPath(src, { signal: ac.signal, onProgress: (done) => done > 0 && ac.abort() }).catch((x: unknown) => x);
    expect((e as Error).name).toBe('AbortError');
    expect(readdirSync(store.tmpDir)).toEqual([]);
    expect(await blobs(store)).toEqual([]);
  });

  it('refuses symbolic links inside a folder, naming the link', async () => {
    writeFiles(src, { 'real.txt': 'x' });
    symlinkSync('/etc/passwd', join(src, 'link'));
    const e = await contentError(store.importPath(src));
    expect(e.code).toBe('content-source-invalid');
    expect(e.input).toBe(join(src, 'link'));
    expect(e.rule).toMatch(/symbolic link/);
    expect(await blobs(store)).toEqual([]);
  });

  it('refuses a symbolic link to a folder too (no escaping the source)', async () => {
    mkdirSync(join(src, 'sub'));
    writeFiles(src, { 'sub/a.txt': 'a' });
    symlinkSync(tmp.dir, join(src, 'sub', 'up'));
    expect((await contentError(store.importPath(src))).rule).toMatch(/symbolic link/);
  });

  it('refuses an empty folder, a missing source and a dangling link', async () => {
    mkdirSync(join(src, 'only-folders', 'deeper'), { recursive: true });
    expect((await contentError(store.importPath(src))).code).toBe('content-source-empty');
    const missing = await contentError(store.importPath(join(src, 'nope')));
    expect(missing.code).toBe('content-source-missing');
    expect(missing.status).toBe(404);
    expect(missing.message).toContain(join(src, 'nope'));
    symlinkSync(join(src, 'gone'), join(src, 'dangling'));
    expect((await contentError(store.importPath(join(src, 'dangling')))).rule).toMatch(/symbolic link to nothing/);
  });

  it('refuses file names Windows cannot hold, and names differing only by case', async () => {
    writeFiles(src, { 'ok.txt': 'x', 'CON.txt': 'y' });
    const e = await contentError(store.importPath(src));
    expect(e.code).toBe('content-path-invalid');
    expect(e.input).toBe(join(src, 'CON.txt'));
    const src2 = join(tmp.dir, `case-${n}`);
    writeFiles(src2, { 'Setup.exe': 'a', 'setup.EXE': 'b' });
    expect((await contentError(store.importPath(src2))).rule).toMatch(/differing only by case/);
  });
});

describe('ContentStore.open', () => {
  it('deletes what a crash left in tmp/ and keeps complete blobs', async () => {
    writeFiles(src, { 'a.txt': 'complete' });
    const m = await store.importPath(src);
    const tmpRoot = join(store.root, 'tmp');
    // A crash mid-import leaves a half-written temporary file, never a half blob.
    writeFileSync(join(tmpRoot, '1234-deadbeef.tmp'), 'half');
    mkdirSync(join(tmpRoot, 'stray-dir'));
    const dead = join(tmpRoot, `${hostname()}.999999999.deadbeef`);
    mkdirSync(dead);
    writeFileSync(join(dead, 'x.tmp'), 'half');
    // Another server sharing the library (this host, alive; another host, recent) keeps its imports.
    const live = join(tmpRoot, `${hostname()}.${process.pid}.cafef00d`);
    const otherHost = join(tmpRoot, 'other-host.42.0badf00d');
    for (const d of [live, otherHost]) {
      mkdirSync(d);
      writeFileSync(join(d, 'in-progress.tmp'), 'busy');
    }
    const reopened = await ContentStore.open(store.root);
    expect(readdirSync(tmpRoot).sort()).toEqual([basename(store.tmpDir), basename(reopened.tmpDir), basename(live), basename(otherHost)].sort());
    expect(readdirSync(reopened.tmpDir)).toEqual([]);
    expect(await reopened.verify(m.files[0].sha256)).toBe(true);
  });
});

describe('ContentStore.importStream', () => {
  it('imports a stream under a validated path', async () => {
    const data = bytes(300_000, 4);
    const f = await store.importStream('drivers/net.inf', Readable.from([data.subarray(0, 1000), data.subarray(1000)]), { maxBytes: 1 << 20 });
    writeFileSync(join(src, 'x'), data);
    expect(f).toEqual({ path: 'drivers/net.inf', size: data.length, sha256: sha256sum(join(src, 'x')) });
    expect(await store.verify(f.sha256)).toBe(true);
  });

  it('refuses an oversized stream with ContentTooLargeError and leaves nothing behind', async () => {
    async function* body() {
      for (let i = 0; i < 10; i++) yield bytes(100_000, i + 1);
    }
    const e = await contentError(store.importStream('big.bin', body(), { maxBytes: 250_000 }));
    expect(e).toBeInstanceOf(ContentTooLargeError);
    expect(e.code).toBe('content-too-large');
    expect(e.status).toBe(413);
    expect(readdirSync(store.tmpDir)).toEqual([]);
    expect(await blobs(store)).toEqual([]);
  });

  it('checks the path before reading a byte', async () => {
    let pulled = false;
    async function* body() {
      pulled = true;
      yield Buffer.from('x');
    }
    const e = await contentError(store.importStream('../../etc/passwd', body(), { maxBytes: 10 }));
    expect(e.code).toBe('content-path-invalid');
    expect(pulled).toBe(false);
  });
});

describe('ContentStore blobs', () => {
  it('validates hashes before building a path from them', () => {
    for (const bad of ['../../etc/passwd', 'ABCDEF'.padEnd(64, '0'), 'a'.repeat(63), `${'a'.repeat(63)}/`]) {
      expect(syncContentError(() => store.blobPath(bad)).code).toBe('content-hash-invalid');
    }
  });

  it('reads ranges, detects corruption, removes blobs and lists them', async () => {
    writeFiles(src, { 'a.bin': bytes(10_000, 1), 'b.bin': bytes(20, 2), 'c.bin': bytes(30, 3) });
    const m = await store.importPath(src);
    const [a, b, c] = m.files;
    const chunks: Buffer[] = [];
    for await (const ch of store.createReadStream(a.sha256, { start: 100, end: 199 })) chunks.push(ch as Buffer);
    expect(Buffer.concat(chunks).equals(bytes(10_000, 1).subarray(100, 200))).toBe(true);

    expect(await store.verify(b.sha256)).toBe(true);
    writeFileSync(store.blobPath(b.sha256), 'tampered');
    expect(await store.verify(b.sha256)).toBe(false);

    expect((await blobs(store)).sort()).toEqual([a.sha256, b.sha256, c.sha256].sort());
    expect(await store.remove([a.sha256, c.sha256, c.sha256])).toBe(2);
    expect(await blobs(store)).toEqual([b.sha256]);
    expect(await store.has(a.sha256)).toBe(false);
    expect(await store.verify(a.sha256)).toBe(false);
    expect(existsSync(store.blobPath(c.sha256))).toBe(false);
  });
});
