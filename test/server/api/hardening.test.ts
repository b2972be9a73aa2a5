/**
 * Issue 10, the classes an outside security test found, on both databases, each with more than the
 * one instance it reported: confined source paths (§1), size and disk budgets (§2), bad input as a
 * 400 naming the field on every route (§8), control characters in names (§9), and every error in
 * the site's format (§10). The crash of §0 and the file permissions of §7 need a real server
 * process: test/server/hardening-process.test.ts.
 */
import { mkdir, readdir, symlink, truncate, writeFile } from 'node:fs/promises';
import { statfsSync } from 'node:fs';
import { createServer } from 'node:net';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/temp.js';
import { DB_KINDS, startTestApi, type TestApi } from '../../site/helpers/site.js';
import { makeWim } from '../../site/objects/fixtures.js';
import { ContentStore } from '../../../src/site/content/store.js';

function mkfifoSafe(path: string): Promise<boolean> {
  return mkfifo(path).then(
    () => true,
    () => false,
  );
}

// node:fs/promises has no mkfifo: make one with the mknod system call through a child process.
async function mkfifo(path: string): Promise<void> {
  const { execFileSync } = await import('node:child_process');
  execFileSync('mkfifo', [path]);
}

describe.each(DB_KINDS)('site hardening on %s', (kind) => {
  let api: TestApi;
  let root: string;
  let outside: string;
  beforeAll(async () => {
    root = tempDir('openosd-sources-');
    outside = tempDir('openosd-outside-');
    await writeFile(join(outside, 'secret.txt'), 'outside the source root');
    await mkdir(join(root, 'pkg'));
    await writeFile(join(root, 'pkg', 'setup.cmd'), 'exit /b 0');
    api = await startTestApi(kind, { sourceRoots: [root], maxImportBytes: 8 * 1024 * 1024 });
  });
  afterAll(async () => api?.close());

  const addPath = (sourcePath: string) => api.call('POST', '/api/v1/content', { body: { sourcePath } });

  describe('§1 source paths are confined', () => {
    it('reads below the source root, and nothing outside it, whatever the path says', async () => {
      expect((await addPath(join(root, 'pkg'))).status).toBe(201);
      for (const p of ['/etc/hostname', '/etc/passwd', join(outside, 'secret.txt'), `${root}/../${outside.split('/').pop()}/secret.txt`, '/']) {
        const r = await addPath(p);
        expect.soft(r.status, p).toBe(403);
        expect.soft(r.json.input, p).toBe('body.sourcePath');
        expect.soft(r.json.rule, p).toMatch(/outside the folders this site adds content from|site's own data/);
      }
    });

    it('never reads /proc, /sys or /dev, even with a source root that holds them', async () => {
      const wide = await startTestApi(kind, { sourceRoots: ['/'] });
      try {
        for (const p of ['/proc/self/environ', '/proc/1/cmdline', '/sys/kernel/hostname', '/dev/null', '/dev/zero', '/dev/urandom']) {
          const r = await wide.call('POST', '/api/v1/packages', { body: { name: 'x', sourcePath: p } });
          expect.soft(r.status, p).toBe(403);
          expect.soft(r.json.rule, p).toMatch(/is under \/(proc|sys|dev), which is never content/);
        }
        // The site's own data is refused too, however it is named.
        for (const p of [wide.dataDir, join(wide.dataDir, 'site.key'), join(wide.dataDir, 'db'), join(wide.dataDir, '..')]) {
          const r = await wide.call('POST', '/api/v1/content', { body: { sourcePath: p } });
          expect.soft(r.status, p).toBe(403);
        }
      } finally {
        await wide.close();
      }
    });

    it('resolves links before the check: a link out of the root, to /proc or to the key is refused', async () => {
      await symlink(join(outside, 'secret.txt'), join(root, 'link-out'));
      await symlink('/proc/self/environ', join(root, 'link-proc'));
      await symlink(join(api.dataDir, 'site.key'), join(root, 'link-key'));
      await symlink(outside, join(root, 'dir-link-out'));
      for (const name of ['link-out', 'link-proc', 'link-key', 'dir-link-out']) {
        const r = await addPath(join(root, name));
        expect.soft(r.status, name).toBe(403);
      }
      // A link inside a folder is refused as a link (it could point anywhere).
      await mkdir(join(root, 'with-link'));
      await writeFile(join(root, 'with-link', 'a.txt'), 'a');
      await symlink('/etc/passwd', join(root, 'with-link', 'passwd'));
      const r = await addPath(join(root, 'with-link'));
      expect(r.status).toBe(400);
      expect(r.json.rule).toContain('symbolic link');
    });

    it('refuses FIFOs, sockets and devices as sources and inside folders, without blocking', async () => {
      if (!(await mkfifoSafe(join(root, 'fifo')))) return;
      const started = Date.now();
      const r1 = await addPath(join(root, 'fifo'));
      expect(r1.status).toBe(400);
      expect(r1.json.rule).toMatch(/named pipe|neither a file nor a folder/);
      await mkdir(join(root, 'with-fifo'));
      await writeFile(join(root, 'with-fifo', 'a.txt'), 'a');
      await mkfifo(join(root, 'with-fifo', 'pipe'));
      const r2 = await addPath(join(root, 'with-fifo'));
      expect(r2.status).toBe(400);
      expect(r2.json.rule).toContain('not a regular file');
      const sock = createServer();
      await new Promise<void>((res) => sock.listen(join(root, 'sock'), res));
      try {
        const r3 = await addPath(join(root, 'sock'));
        expect(r3.status).toBe(400);
      } finally {
        sock.close();
      }
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('uses <data>/sources when no source root is configured', async () => {
      const plain = await startTestApi(kind, { sourceRoots: [] });
      try {
        expect(plain.site.sourceRoots).toEqual([join(plain.dataDir, 'sources')]);
        await writeFile(join(plain.dataDir, 'sources', 'tool.exe'), 'MZ');
        expect((await plain.call('POST', '/api/v1/content', { body: { sourcePath: join(plain.dataDir, 'sources', 'tool.exe') } })).status).toBe(201);
        const r = await plain.call('POST', '/api/v1/content', { body: { sourcePath: join(root, 'pkg') } });
        expect(r.status).toBe(403);
        expect(r.json.rule).toContain(`its source roots: ${join(plain.dataDir, 'sources')}`);
      } finally {
        await plain.close();
      }
    });

    it('the same confinement holds on every route that takes a source path', async () => {
      const target = join(outside, 'secret.txt');
      const calls: Array<[string, string, unknown]> = [
        ['POST', '/api/v1/content', { sourcePath: target }],
        ['POST', '/api/v1/packages', { name: 'p', sourcePath: target }],
        ['POST', '/api/v1/os-images', { sourcePath: target }],
        ['POST', '/api/v1/boot-images', { sourcePath: target, imageIndex: 1 }],
        ['POST', '/api/v1/drivers/import', { sourcePath: outside }],
        ['POST', '/api/v1/applications', { name: 'a', sourcePath: outside }],
        [
          'POST',
          '/api/v1/software-updates/import',
          {
            updates: [
              { updateId: '8c3fcc84-7410-4a95-8b89-a166a0190486', articleId: '5034123', title: 'Cumulative Update', classification: 'Security Updates' },
            ],
            sourcePath: outside,
          },
        ],
      ];
      for (const [method, url, body] of calls) {
        const r = await api.call(method, url, { body });
        expect.soft(r.status, url).toBe(403);
        expect.soft(r.json.rule ?? '', url).toContain('outside the folders');
      }
    });
  });

  describe('§2 imports have a budget', () => {
    it('refuses a path import over the site limit before copying (413), and a sparse file larger than the disk (507)', async () => {
      const big = join(root, 'big.bin');
      await writeFile(big, '');
      await truncate(big, 9 * 1024 * 1024);
      const r = await addPath(big);
      expect(r.status).toBe(413);
      expect(r.json.rule).toContain('larger than the limit');

      // A sparse file larger than the whole disk: refused from its size, nothing written.
      const unlimited = await startTestApi(kind, { sourceRoots: [root], maxImportBytes: 2 ** 52 });
      try {
        const fs = statfsSync(root);
        const huge = join(root, 'huge.bin');
        await writeFile(huge, '');
        await truncate(huge, fs.blocks * fs.bsize + 1024 ** 3);
        const started = Date.now();
        const r2 = await unlimited.call('POST', '/api/v1/content', { body: { sourcePath: huge } });
        expect(r2.status).toBe(507);
        expect(r2.json.error).toBe('content-no-space');
        expect(r2.json.rule).toMatch(/needs \d+ bytes/);
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(await readdir(unlimited.site.content.tmpDir)).toEqual([]);
      } finally {
        await unlimited.close();
      }
    });

    it('refuses an upload whose declared size the disk cannot hold (507), before reading it', async () => {
      const fs = statfsSync(api.dataDir);
      const r = await api.call('PUT', '/api/v1/uploads?path=big.bin', {
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(fs.blocks * fs.bsize) },
        payload: Buffer.alloc(0),
      });
      expect([413, 507]).toContain(r.status);
    });

    it('keeps a free-space reserve and counts imports running at the same time', async () => {
      const store = await ContentStore.open(join(tempDir('openosd-store-'), 'c'), { minFreeBytes: 0 });
      const avail = await store.availableBytes();
      const release = await store.reserve(Math.floor(avail * 0.9), 'first import');
      await expect(store.reserve(Math.floor(avail * 0.2), 'second import')).rejects.toMatchObject({ status: 507 });
      release();
      const again = await store.reserve(Math.floor(avail * 0.2), 'second import');
      again();
    });

    it("a read error (EIO) while importing is the caller's 400, and nothing is left half-written", async () => {
      const store = await ContentStore.open(join(tempDir('openosd-store-'), 'c'));
      const { Readable } = await import('node:stream');
      const failing = new Readable({
        read() {
          this.destroy(Object.assign(new Error('I/O error'), { code: 'EIO' }));
        },
      });
      const { sourceReadError } = await import('../../../src/site/content/errors.js');
      const err = await store.putBlob(failing).catch((e: unknown) => sourceReadError(e, '/srv/sources/disk-with-bad-sector.wim'));
      expect(err).toMatchObject({ status: 400, code: 'content-source-unreadable', rule: expect.stringContaining('EIO') });
      expect(await readdir(store.tmpDir)).toEqual([]);
    });
  });

  describe('§8 bad input is a 400 naming the field, the same on every route', () => {
    it('a NUL character in a name, a search, a query rule, a path parameter or a source path', async () => {
      const cases: Array<[string, string, unknown, string]> = [
        ['POST', '/api/v1/packages', { name: 'a\u0000b', sourcePath: join(root, 'pkg') }, 'body.name'],
        ['POST', '/api/v1/collections', { name: 'Lab\u0000' }, 'body.name'],
        ['POST', '/api/v1/devices', { name: 'PC\u0000', macAddresses: ['00:11:22:33:44:55'] }, 'body.name'],
        ['POST', '/api/v1/tokens', { name: 'x\u0000', role: 'read-only-analyst' }, 'body.name'],
        ['POST', '/api/v1/content', { sourcePath: `${root}/pkg\u0000` }, 'body.sourcePath'],
        ['GET', '/api/v1/devices?search=%00', undefined, 'query.search'],
        ['GET', '/api/v1/collections/PS1%0000001', undefined, 'params.collectionId'],
      ];
      for (const [method, url, body, field] of cases) {
        const r = await api.call(method, url, { body });
        expect.soft(r.status, url).toBe(400);
        expect.soft(r.json.input, url).toBe(field);
        expect.soft(r.json.rule, url).toContain('NUL character (U+0000)');
      }
    });

    it('a lone surrogate is refused (never stored as U+FFFD), in a body, a query and a path', async () => {
      const cases: Array<[string, string, string | undefined, string]> = [
        ['POST', '/api/v1/packages', '{"name":"bad \\ud800 name","sourcePath":"/x"}', 'body.name'],
        ['POST', '/api/v1/collections', '{"name":"\\udc00"}', 'body.name'],
        ['GET', '/api/v1/devices?search=%ED%A0%80', undefined, 'query'],
      ];
      for (const [method, url, payload, field] of cases) {
        const r = await api.call(method, url, payload === undefined ? {} : { payload, headers: { 'content-type': 'application/json' } });
        expect.soft(r.status, url).toBe(400);
        expect.soft(String(r.json.input), url).toContain(field);
      }
      const list = await api.call('GET', '/api/v1/collections');
      expect(JSON.stringify(list.json)).not.toContain('\ufffd');
    });

    it('numbers out of range and garbage cursors are 400s, not database errors', async () => {
      for (const url of [
        '/api/v1/devices?limit=9223372036854775808',
        '/api/v1/devices?limit=1e300',
        '/api/v1/devices?cursor=%7B%22a%22%3A1%7D',
        '/api/v1/devices?cursor=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        '/api/v1/devices/9223372036854775808',
        '/api/v1/devices/1e300',
        '/api/v1/devices/-1',
        '/api/v1/audit?before=1e300',
        '/api/v1/drivers/99999999999999999999',
        '/api/v1/task-sequences/PS100001/revisions/1e300',
      ]) {
        const r = await api.call('GET', url);
        expect.soft(r.status, url).toBeGreaterThanOrEqual(400);
        expect.soft(r.status, url).toBeLessThan(500);
      }
      for (const [url, body] of [
        ['/api/v1/collections', { name: 'Big priority', variablePriority: 1e300 }],
        ['/api/v1/collections', { name: 'Big priority', variablePriority: 2 ** 63 }],
        ['/api/v1/computer-associations', { sourceResourceId: 2 ** 63, destinationResourceId: 1e300 }],
      ] as const) {
        const r = await api.call('POST', url, { body });
        expect.soft(r.status, url).toBe(400);
      }
    });

    it('a body that is not UTF-8, nests too deep, or a URL that is not valid percent-encoding', async () => {
      const notUtf8 = await api.call('POST', '/api/v1/collections', {
        payload: Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
        headers: { 'content-type': 'application/json' },
      });
      expect(notUtf8.status).toBe(400);
      expect(notUtf8.json.rule).toContain('not valid UTF-8');
      const deep = await api.call('POST', '/api/v1/collections', {
        payload: `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
        headers: { 'content-type': 'application/json' },
      });
      expect(deep.status).toBe(400);
      expect(deep.json.rule).toContain('nests deeper than');
      const badPath = await api.call('GET', '/api/v1/collections/%E0%A4%A');
      expect(badPath.status).toBe(400);
      expect(badPath.json.error).toBe('bad-input');
      const badQuery = await api.call('GET', '/api/v1/devices?search=%E0%A4%A');
      expect(badQuery.status).toBe(400);
      expect(badQuery.json.input).toBe('query.search');
    });
  });

  describe('§9 names hold no control or invisible characters', () => {
    it('refuses ESC sequences, newlines, C1 controls and direction overrides in object names and content paths', async () => {
      const wim = await makeWim(join(root, 'img'), 'install.wim', [
        { name: 'Windows 11 Enterprise', description: 'ent', payload: 'x', properties: { 'WINDOWS/ARCH': 9 } },
      ]);
      for (const bad of ['evil\u001b[2J', 'two\nlines', 'c1\u009bcontrol', 'exe\u202etxt.exe', 'zero\u200bwidth', 'iso\u2066late']) {
        const cases: Array<[string, string, unknown]> = [
          ['POST', '/api/v1/packages', { name: bad, sourcePath: join(root, 'pkg') }],
          ['POST', '/api/v1/os-images', { name: bad, sourcePath: wim }],
          ['POST', '/api/v1/driver-packages', { name: bad }],
          ['POST', '/api/v1/collections', { name: bad }],
          ['POST', '/api/v1/devices', { name: bad, macAddresses: ['00:11:22:33:44:55'] }],
          ['POST', '/api/v1/tokens', { name: bad, role: 'read-only-analyst' }],
        ];
        for (const [method, url, body] of cases) {
          const r = await api.call(method, url, { body });
          expect.soft(r.status, `${url} ${JSON.stringify(bad)}`).toBe(400);
          expect.soft(r.json.input, `${url} ${JSON.stringify(bad)}`).toBe('body.name');
          // The refusal names the character as U+XXXX; it never echoes it raw.
          expect.soft(JSON.stringify(r.json), url).not.toMatch(/[\u001b\u009b\u202e\u200b\u2066]/);
        }
        const up = await api.call('PUT', `/api/v1/uploads?path=${encodeURIComponent(`${bad}.txt`)}`, {
          payload: Buffer.from('x'),
          headers: { 'content-type': 'application/octet-stream' },
        });
        expect.soft(up.status, `upload ${JSON.stringify(bad)}`).toBe(400);
      }
    });
  });

  describe("§10 every error is in the site's format", () => {
    it('an over-long path segment, an over-long URL, oversized headers and a bad URL', async () => {
      const long = await api.call('GET', `/api/v1/collections/${'a'.repeat(5000)}`);
      expect(long.status).toBe(414);
      expect(long.json).toMatchObject({ error: 'uri-too-long', input: expect.any(String), rule: expect.any(String) });
      const longQuery = await api.call('GET', `/api/v1/devices?search=${'a'.repeat(9000)}`);
      expect(longQuery.status).toBe(414);
      expect(longQuery.json.error).toBe('uri-too-long');

      // Oversized headers are refused by Node's HTTP parser, before Fastify: over a real socket.
      const url = await api.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = new URL(url);
      const answer = await new Promise<{ status: number; body: string; type: string }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: `/api/v1/site?x=${'a'.repeat(20_000)}`, headers: { authorization: `Bearer ${api.tokens['full-administrator']}` } },
          (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode!, body, type: String(res.headers['content-type']) }));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(answer.status).toBe(431);
      expect(answer.type).toContain('application/json');
      expect(JSON.parse(answer.body)).toMatchObject({ error: 'headers-too-large', rule: expect.any(String), hint: expect.any(String) });
    });
  });
});
