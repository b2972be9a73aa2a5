/**
 * Downloading one content file from a distribution point, as the agent does before running a step:
 * streamed to `<dest>.partial` while hashing, resumable with an HTTP Range request, and renamed to
 * `dest` only once its SHA-256 matches what the site recorded — a mismatch is ConfigMgr's 0x80091007
 * and the partial file is deleted, so a corrupted download never lands.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { dirname } from 'node:path';
import { fsyncDir } from './durable-fs.js';
import { ContentError, ContentHashMismatchError } from './errors.js';
import { checkSha256 } from './hash.js';
import { HashingWriter } from './hashing-writer.js';
import { httpRequest, responseError, unreachable } from './http-request.js';
import { pump } from './pump.js';

export interface DownloadOptions {
  /** Continue an existing `<dest>.partial` (its bytes are rehashed first) instead of starting over. */
  resume?: boolean;
  signal?: AbortSignal;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  /** Extra request headers (a credential: the state migration point's downloads are the restoring computer's only). */
  headers?: Record<string, string>;
}

export async function downloadContentFile(url: string, dest: string, expected: { sha256: string; size: number }, opts: DownloadOptions = {}): Promise<void> {
  checkSha256(expected.sha256, `expected hash of ${url}`);
  const partial = `${dest}.partial`;
  await mkdir(dirname(dest), { recursive: true });
  let { have, hash } = opts.resume ? await resumePoint(partial, expected.size) : { have: 0, hash: createHash('sha256') };
  opts.onProgress?.(have, expected.size);

  if (have < expected.size || expected.size === 0) {
    let res = await get(url, have, expected.sha256, opts.signal, opts.headers);
    if (have > 0 && (res.statusCode === 200 || res.statusCode === 416)) {
      // The server ignored or refused the range (the file changed, or a proxy): start from zero.
      res.resume();
      if (res.statusCode === 416) res = await get(url, 0, expected.sha256, opts.signal, opts.headers);
      have = 0;
      hash = createHash('sha256');
    }
    if (res.statusCode !== 200 && res.statusCode !== 206) throw await responseError(res, `GET ${url}`);
    if (res.statusCode === 206 && !String(res.headers['content-range'] ?? '').startsWith(`bytes ${have}-`)) {
      res.destroy();
      throw new ContentError({
        code: 'dp-response-invalid',
        status: 502,
        input: `GET ${url}`,
        rule: `asked for bytes from ${have} but got ${String(res.headers['content-range'])}`,
        hint: 'download again without resuming',
      });
    }
    await receive(res, partial, have, hash, url, expected, opts);
  }

  const got = (await stat(partial)).size;
  const sha256 = hash.digest('hex');
  if (sha256 !== expected.sha256 || got !== expected.size) {
    await rm(partial, { force: true });
    throw new ContentHashMismatchError(url, expected, { sha256, size: got });
  }
  await rename(partial, dest);
  await fsyncDir(dirname(dest));
}

/** How much of a `.partial` can be kept, with its bytes already hashed. */
async function resumePoint(partial: string, size: number): Promise<{ have: number; hash: Hash }> {
  const hash = createHash('sha256');
  const have = await stat(partial).then(
    (s) => s.size,
    () => 0,
  );
  if (have === 0 || have > size) return { have: 0, hash };
  for await (const chunk of createReadStream(partial, { end: have - 1, highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return { have, hash };
}

function get(url: string, from: number, sha256: string, signal?: AbortSignal, extra: Record<string, string> = {}): Promise<IncomingMessage> {
  // If-Range: should the file behind the URL have changed, the server sends all of it (200), not a splice.
  const headers: Record<string, string> = from > 0 ? { ...extra, range: `bytes=${from}-`, 'if-range': `"${sha256}"` } : { ...extra };
  return httpRequest(url, { method: 'GET', headers, signal });
}

/** Streams the body into the partial file. A broken connection keeps what arrived, for a later resume. */
async function receive(
  res: IncomingMessage,
  partial: string,
  have: number,
  hash: Hash,
  url: string,
  expected: { sha256: string; size: number },
  opts: DownloadOptions,
): Promise<void> {
  const writer = await HashingWriter.resume(partial, have, hash);
  try {
    await pump(res, (bytes) => {
      if (writer.size + bytes.length > expected.size) {
        // More bytes than the file has: it is not the file the site hashed.
        throw new ContentHashMismatchError(url, expected, { sha256: 'unknown (longer than expected)', size: writer.size + bytes.length });
      }
      const wait = writer.write(bytes);
      opts.onProgress?.(writer.size, expected.size);
      return wait;
    });
    // A connection that closes early can end the stream quietly: that is a break, not a bad file.
    if (!res.complete) throw Object.assign(new Error('connection closed before the end of the file'), { code: 'ECONNRESET' });
  } catch (e) {
    if (e instanceof ContentHashMismatchError) {
      await writer.discard();
      throw e;
    }
    await writer.close().catch(() => undefined);
    // An abort shows up on the response as a reset connection: report it as the abort it is.
    if (opts.signal?.aborted) throw opts.signal.reason;
    throw e instanceof ContentError ? e : unreachable(`GET ${url}`, e);
  }
  await writer.close();
}
