import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DistributionPointClient, downloadContentFile } from '../../../src/site/content/dp-client.js';
import { ContentStore } from '../../../src/site/content/store.js';
import { hashWorkerProgram } from '../../../src/transfer/block-hasher.js';
import { downloadTuning } from '../../../src/transfer/download.js';
import { ContentError } from '../../../src/transfer/errors.js';
import { writePieceTuning } from '../../../src/transfer/hashing-writer.js';
import { verifyingWriterTuning } from '../../../src/transfer/verifying-writer.js';
import { bytes, contentError, startTestDp, tempDir, TOKEN, writeFiles, type TestDp } from './fixtures.js';

const tmp = tempDir('download');
let dp: TestDp;
let client: DistributionPointClient;
const data = bytes(3 * 1024 * 1024 + 123, 5);
const expected = { sha256: createHash('sha256').update(data).digest('hex'), size: data.length };
const url = () => client.contentUrl('PS100030', 'sources/install.wim');
let n = 0;
const dest = () => join(tmp.dir, 'out', `${++n}`, 'install.wim');

beforeAll(async () => {
  dp = await startTestDp(join(tmp.dir, 'dp'));
  client = new DistributionPointClient(dp.url, TOKEN);
  const site = await ContentStore.open(join(tmp.dir, 'site'));
  const src = join(tmp.dir, 'src');
  writeFiles(src, { 'sources/install.wim': data });
  await client.distribute('PS100030', 1, (await site.importPath(src)).files, site);
});
afterAll(async () => {
  await dp.close();
  tmp.cleanup();
});

/** A server on 127.0.0.1:0 answering every request with `handler`; closed by the returned function. */
async function serve(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const tuning = { ...verifyingWriterTuning };
// Every behaviour four times: hashed on the calling thread (small files) and in the worker thread
// (large files; here every file, with a background fdatasync every 1 MiB), the body read by the raw
// socket reader (http:) and by node:http (https:, and answers the raw reader leaves alone); and once
// more with each block written in odd-sized pieces (12 KiB: the last piece of a block is shorter).
const slice = writePieceTuning.bytes;
describe.each([
  { where: 'on the calling thread', workerFromBytes: Number.MAX_SAFE_INTEGER, flushEveryBytes: tuning.flushEveryBytes, raw: true, pieceBytes: slice },
  { where: 'in a worker thread', workerFromBytes: 0, flushEveryBytes: 1 << 20, raw: true, pieceBytes: slice },
  { where: 'in a worker thread, read by node:http', workerFromBytes: 0, flushEveryBytes: 1 << 20, raw: false, pieceBytes: slice },
  {
    where: 'on the calling thread, written in 12 KiB pieces',
    workerFromBytes: Number.MAX_SAFE_INTEGER,
    flushEveryBytes: 1 << 20,
    raw: true,
    pieceBytes: 12 << 10,
  },
])('downloadContentFile, hashing $where', ({ workerFromBytes, flushEveryBytes, raw, pieceBytes }) => {
  beforeAll(
    () => (Object.assign(verifyingWriterTuning, { workerFromBytes, flushEveryBytes }), (writePieceTuning.bytes = pieceBytes), (downloadTuning.raw = raw)),
  );
  afterAll(() => (Object.assign(verifyingWriterTuning, tuning), (writePieceTuning.bytes = slice), (downloadTuning.raw = true)));

  it('downloads, verifies and renames into place, reporting progress', async () => {
    const d = dest();
    const seen: number[] = [];
    await downloadContentFile(url(), d, expected, { onProgress: (done, total) => (expect(total).toBe(data.length), seen.push(done)) });
    expect(readFileSync(d).equals(data)).toBe(true);
    expect(existsSync(`${d}.partial`)).toBe(false);
    expect(seen[0]).toBe(0);
    expect(seen.at(-1)).toBe(data.length);
  });

  it('resumes a truncated .partial with Range bytes=<len>- after rehashing the prefix', async () => {
    const d = dest();
    await downloadContentFile(url(), d, expected);
    const kept = 1_000_003;
    writeFileSync(`${d}.partial`, data.subarray(0, kept));
    const before = dp.ranges.length;
    const seen: number[] = [];
    await downloadContentFile(url(), `${d}`, expected, { resume: true, onProgress: (done) => seen.push(done) });
    expect(dp.ranges.slice(before)).toEqual([`bytes=${kept}-`]);
    expect(seen[0]).toBe(kept);
    expect(readFileSync(d).equals(data)).toBe(true);
    expect(existsSync(`${d}.partial`)).toBe(false);
  });

  it('without resume, starts over even if a .partial exists', async () => {
    const d = dest();
    await downloadContentFile(url(), d, expected);
    writeFileSync(`${d}.partial`, data.subarray(0, 500));
    const before = dp.ranges.length;
    await downloadContentFile(url(), d, expected);
    expect(dp.ranges.slice(before)).toEqual([undefined]);
  });

  it('resuming from a corrupted prefix fails the hash check with 0x80091007 and deletes the partial', async () => {
    const d = dest();
    await downloadContentFile(url(), d, expected);
    const bad = Buffer.from(data.subarray(0, 2000));
    bad[1000] ^= 0xff;
    writeFileSync(`${d}.partial`, bad);
    const e = await contentError(downloadContentFile(url(), d, expected, { resume: true }));
    expect(e.code).toBe('content-hash-mismatch');
    expect(e.win32).toBe(0x80091007);
    expect(e.message).toContain('0x80091007');
    expect(existsSync(`${d}.partial`)).toBe(false);
    // The good file from before stays; a mismatch never replaces it.
    expect(readFileSync(d).equals(data)).toBe(true);
  });

  it('a wrong expected hash or size is a mismatch; nothing lands and no .partial stays', async () => {
    for (const exp of [
      { ...expected, sha256: 'f'.repeat(64) },
      { ...expected, size: data.length - 1 },
      { ...expected, size: data.length + 1 },
    ]) {
      const d = dest();
      const e = await contentError(downloadContentFile(url(), d, exp));
      expect(e.code).toBe('content-hash-mismatch');
      expect(e.status).toBe(422);
      expect(e.win32).toBe(0x80091007);
      expect(existsSync(d)).toBe(false);
      expect(existsSync(`${d}.partial`)).toBe(false);
    }
  });

  it('verifies a complete .partial without asking the DP again', async () => {
    const d = dest();
    await downloadContentFile(url(), d, expected);
    writeFileSync(`${d}.partial`, data);
    const before = dp.ranges.length;
    await downloadContentFile(url(), d, expected, { resume: true });
    expect(dp.ranges.length).toBe(before);
  });

  it('starts over when the .partial is longer than the file', async () => {
    const d = dest();
    await downloadContentFile(url(), d, expected);
    writeFileSync(`${d}.partial`, Buffer.concat([data, Buffer.from('extra')]));
    await downloadContentFile(url(), d, expected, { resume: true });
    expect(readFileSync(d).equals(data)).toBe(true);
  });

  it('a 404 is a ContentError from the DP; an unreachable DP is dp-unreachable', async () => {
    const e = await contentError(downloadContentFile(client.contentUrl('PS100030', 'nope.bin'), dest(), expected));
    expect(e.code).toBe('content-not-found');
    expect(e.status).toBe(404);
    const u = await contentError(downloadContentFile('http://127.0.0.1:1/content/PS100030/x', dest(), expected));
    expect(u.code).toBe('dp-unreachable');
    expect(u.message).toContain('http://127.0.0.1:1/content/PS100030/x');
  });

  it('keeps what arrived when the connection breaks, and a resume completes it', async () => {
    // A server that sends the headers for the whole file but only the first 1 MiB, then drops the connection.
    const cut = 1 << 20;
    const flaky = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': data.length });
      res.write(data.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 20));
    });
    await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
    try {
      const d = dest();
      const e = await contentError(downloadContentFile(`http://127.0.0.1:${(flaky.address() as AddressInfo).port}/x`, d, expected));
      expect(e.code).toBe('dp-unreachable');
      expect(statSync(`${d}.partial`).size).toBe(cut);
      const before = dp.ranges.length;
      await downloadContentFile(url(), d, expected, { resume: true });
      expect(dp.ranges.slice(before)).toEqual([`bytes=${cut}-`]);
      expect(readFileSync(d).equals(data)).toBe(true);
    } finally {
      flaky.closeAllConnections();
      await new Promise((r) => flaky.close(r));
    }
  });

  it('an abort keeps the .partial for later', async () => {
    const d = dest();
    const ac = new AbortController();
    await expect(
      downloadContentFile(url(), d, expected, {
        signal: ac.signal,
        onProgress: (done) => {
          if (done > 0) ac.abort();
        },
      }),
    ).rejects.toThrow(/abort/i);
    expect(existsSync(d)).toBe(false);
    expect(existsSync(`${d}.partial`)).toBe(true);
    truncateSync(`${d}.partial`, 0);
    expect(readdirSync(join(d, '..'))).toEqual(['install.wim.partial']);
  });
  it('a server that ignores the Range header sends the whole file again: the .partial starts over from its body', async () => {
    const plain = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': data.length });
      res.end(data);
    });
    try {
      const d = dest();
      await downloadContentFile(url(), d, expected);
      writeFileSync(`${d}.partial`, data.subarray(0, 5000));
      await downloadContentFile(plain.url, d, expected, { resume: true });
      expect(readFileSync(d).equals(data)).toBe(true);
      expect(existsSync(`${d}.partial`)).toBe(false);
    } finally {
      await plain.close();
    }
  });

  it('a chunked answer (no Content-Length) arrives whole', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      res.write(data.subarray(0, 777_777));
      res.end(data.subarray(777_777));
    });
    try {
      const d = dest();
      await downloadContentFile(server.url, d, expected);
      expect(readFileSync(d).equals(data)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('a server that is not speaking HTTP is dp-response-invalid (raw) or dp-unreachable (node:http); nothing lands', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => (sockets.push(socket), socket.end('SSH-2.0-OpenSSH_9.6\r\n\r\n')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const d = dest();
      const e = await contentError(downloadContentFile(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, d, expected));
      expect(e.code).toBe(raw ? 'dp-response-invalid' : 'dp-unreachable');
      expect(existsSync(d)).toBe(false);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it("a full disk (the .partial is /dev/full) is the destination's download-no-space, not the DP's fault; nothing lands", async () => {
    const d = dest();
    mkdirSync(join(d, '..'), { recursive: true });
    symlinkSync('/dev/full', `${d}.partial`);
    const e = await downloadContentFile(url(), d, expected).then(
      () => undefined,
      (err: unknown) => err as ContentError,
    );
    expect(e).toBeInstanceOf(ContentError);
    expect(e?.code).toBe('download-no-space');
    expect(e?.input).toBe(`${d}.partial`);
    expect(e?.message).toContain('ENOSPC');
    expect(e?.toJSON().win32).toBe('0x80070070');
    expect(existsSync(d)).toBe(false);
  });

  it('a file larger than the write ring (24 MiB in odd-sized chunks) arrives whole', async () => {
    const big = bytes(24 * 1024 * 1024 + 7, 9);
    const bigExpected = { sha256: createHash('sha256').update(big).digest('hex'), size: big.length };
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': big.length });
      let at = 0;
      const more = () => {
        while (at < big.length) {
          const n = Math.min(50_001, big.length - at);
          const ok = res.write(big.subarray(at, at + n));
          at += n;
          if (!ok) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    });
    try {
      const d = dest();
      await downloadContentFile(server.url, d, bigExpected);
      expect(createHash('sha256').update(readFileSync(d)).digest('hex')).toBe(bigExpected.sha256);
      expect(readdirSync(join(d, '..'))).toEqual(['install.wim']);
    } finally {
      await server.close();
    }
  });
});

describe('downloadContentFile: the hashing worker thread failing', () => {
  const source = hashWorkerProgram.source;
  beforeAll(() => Object.assign(verifyingWriterTuning, { workerFromBytes: 0 }));
  afterEach(() => (hashWorkerProgram.source = source));
  afterAll(() => Object.assign(verifyingWriterTuning, tuning));

  for (const [when, program] of [
    ['at its first block', `require('node:worker_threads').parentPort.on('message', () => { throw new Error('injected failure'); });`],
    ['as it starts', `throw new Error('injected failure');`],
    ['by exiting', `require('node:worker_threads').parentPort.on('message', () => process.exit(3));`],
  ] as const) {
    it(`${when} is a clear hash-worker-failed error; nothing lands and the bytes stay for a resume`, async () => {
      hashWorkerProgram.source = program;
      const d = dest();
      const e = await contentError(downloadContentFile(url(), d, expected));
      expect(e.code).toBe('hash-worker-failed');
      expect(e.message).toContain('SHA-256 worker thread failed');
      expect(e.message).toMatch(when === 'by exiting' ? /exited \(code 3\)/ : /injected failure/);
      expect(e.input).toBe(url());
      expect(existsSync(d)).toBe(false);
      // The bytes written are kept (fsync'd) for a resume, which rehashes them.
      expect(existsSync(`${d}.partial`)).toBe(true);
      hashWorkerProgram.source = source;
      await downloadContentFile(url(), d, expected, { resume: true });
      expect(readFileSync(d).equals(data)).toBe(true);
    });
  }
});
