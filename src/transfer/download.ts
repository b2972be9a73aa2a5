/**
 * Downloading one content file from a distribution point, as the agent does before running a step:
 * streamed to `<dest>.partial` while hashing, resumable with an HTTP Range request, and renamed to
 * `dest` only once its SHA-256 matches what the site recorded — a mismatch is ConfigMgr's 0x80091007
 * and the partial file is deleted, so a corrupted download never lands. The hash is computed off the
 * main thread for large files, overlapped with the network and the disk (./verifying-writer.ts).
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { dirname } from 'node:path';
import { fsyncDir } from './durable-fs.js';
import { ContentError, ContentHashMismatchError } from './errors.js';
import { checkSha256 } from './hash.js';
import { httpRequest, responseError, unreachable } from './http-request.js';
import { pump } from './pump.js';
import { VerifyingWriter } from './verifying-writer.js';

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
  let have = opts.resume ? await resumableLength(partial, expected.size) : 0;
  opts.onProgress?.(have, expected.size);

  let res: IncomingMessage | undefined;
  if (have < expected.size || expected.size === 0) {
    res = await get(url, have, expected.sha256, opts.signal, opts.headers);
    if (have > 0 && (res.statusCode === 200 || res.statusCode === 416)) {
      // The server ignored or refused the range (the file changed, or a proxy): start from zero —
      // with this 200's body (left paused until the writer reads it), or asking again after a 416.
      if (res.statusCode === 416) {
        res.resume();
        res = await get(url, 0, expected.sha256, opts.signal, opts.headers);
      }
      have = 0;
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
  }

  // The kept prefix is hashed (in the worker, for a large file) while the rest arrives.
  let writer: VerifyingWriter;
  try {
    writer = await VerifyingWriter.open(partial, have, expected.size, url);
  } catch (e) {
    res?.destroy();
    throw e;
  }
  const { sha256 } = res ? await receive(res, writer, url, expected, opts) : await writer.finish();

  const got = (await stat(partial)).size;
  if (sha256 !== expected.sha256 || got !== expected.size) {
    await rm(partial, { force: true });
    throw new ContentHashMismatchError(url, expected, { sha256, size: got });
  }
  await rename(partial, dest);
  await fsyncDir(dirname(dest));
}

/** How much of a `.partial` can be kept (its bytes are hashed again by the writer). */
async function resumableLength(partial: string, size: number): Promise<number> {
  const have = await stat(partial).then(
    (s) => s.size,
    () => 0,
  );
  return have > size ? 0 : have;
}

function get(url: string, from: number, sha256: string, signal?: AbortSignal, extra: Record<string, string> = {}): Promise<IncomingMessage> {
  // If-Range: should the file behind the URL have changed, the server sends all of it (200), not a splice.
  const headers: Record<string, string> = from > 0 ? { ...extra, range: `bytes=${from}-`, 'if-range': `"${sha256}"` } : { ...extra };
  return httpRequest(url, { method: 'GET', headers, signal });
}

/**
 * Streams the body into the partial file and returns its digest. A broken connection keeps what
 * arrived, for a later resume; a body longer than the file deletes it.
 */
async function receive(
  res: IncomingMessage,
  writer: VerifyingWriter,
  url: string,
  expected: { sha256: string; size: number },
  opts: DownloadOptions,
): Promise<{ sha256: string; size: number }> {
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
    return await writer.finish();
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
}
