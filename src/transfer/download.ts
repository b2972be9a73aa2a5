/**
 * Downloading one content file from a distribution point, as the agent does before running a step:
 * streamed to `<dest>.partial` while hashing, resumable with an HTTP Range request, and renamed to
 * `dest` only once its SHA-256 matches what the site recorded — a mismatch is ConfigMgr's 0x80091007
 * and the partial file is deleted, so a corrupted download never lands. The hash is computed off the
 * main thread for large files, overlapped with the network and the disk (./verifying-writer.ts).
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDir } from './durable-fs.js';
import { ContentError, ContentHashMismatchError, downloadWriteError } from './errors.js';
import { checkSha256 } from './hash.js';
import { errorAnswer, httpRequest, responseError, unreachable } from './http-request.js';
import { pump } from './pump.js';
import { rawGet, rawGetApplies, type RawResponse } from './raw-get.js';
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

  let res: Answer | undefined;
  if (have < expected.size || expected.size === 0) {
    res = await get(url, have, expected.sha256, opts.signal, opts.headers);
    if (have > 0 && (res.status === 200 || res.status === 416)) {
      // The server ignored or refused the range (the file changed, or a proxy): start from zero —
      // with this 200's body (not read yet), or asking again after a 416.
      if (res.status === 416) {
        res.discard();
        res = await get(url, 0, expected.sha256, opts.signal, opts.headers);
      }
      have = 0;
    }
    if (res.status !== 200 && res.status !== 206) throw await res.error();
    if (res.status === 206 && !String(res.headers['content-range'] ?? '').startsWith(`bytes ${have}-`)) {
      res.discard();
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
    res?.discard();
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

/** A response, read by node:http or by the raw reader (./raw-get.ts). */
interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Streams the body into the writer (nothing else: the caller finishes or closes it). */
  body(writer: VerifyingWriter, accept: (n: number) => void): Promise<void>;
  /** The answer as a ContentError (its body read). */
  error(): Promise<ContentError>;
  discard(): void;
}

/**
 * Sends the GET: over a raw socket for http: (the body read straight into the write ring), through
 * node:http for https: and for an answer the raw reader leaves alone (chunked, no length).
 */
async function get(url: string, from: number, sha256: string, signal?: AbortSignal, extra: Record<string, string> = {}): Promise<Answer> {
  // If-Range: should the file behind the URL have changed, the server sends all of it (200), not a splice.
  const headers: Record<string, string> = from > 0 ? { ...extra, range: `bytes=${from}-`, 'if-range': `"${sha256}"` } : { ...extra };
  const input = `GET ${url}`;
  if (downloadTuning.raw && rawGetApplies(url)) {
    let raw: RawResponse | 'fallback';
    try {
      raw = await rawGet(url, headers, { signal });
    } catch (e) {
      throw unreachable(input, e);
    }
    if (raw !== 'fallback') {
      const r = raw;
      return {
        status: r.status,
        headers: r.headers,
        discard: () => r.destroy(),
        error: async () => errorAnswer(r.status, await r.readText(1 << 20).catch(() => ''), input),
        body: (writer, accept) =>
          r.readBody(
            {
              space: () => writer.space(),
              landed: (n) => (accept(n), writer.landed(n)),
              write: (bytes) => (accept(bytes.length), writer.write(bytes)),
            },
            Number(r.headers['content-length']),
          ),
      };
    }
  }
  const res = await httpRequest(url, { method: 'GET', headers, signal });
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    discard: () => res.destroy(),
    error: () => responseError(res, input),
    body: async (writer, accept) => {
      await pump(res, (bytes) => (accept(bytes.length), writer.write(bytes)));
      // A connection that closes early can end the stream quietly: that is a break, not a bad file.
      if (!res.complete) throw Object.assign(new Error('connection closed before the end of the file'), { code: 'ECONNRESET' });
    },
  };
}

/** Test seam: `raw: false` sends every download through node:http (the path https takes). */
export const downloadTuning = { raw: true };

/**
 * Streams the body into the partial file and returns its digest. A broken connection keeps what
 * arrived, for a later resume; a body longer than the file deletes it.
 */
async function receive(
  res: Answer,
  writer: VerifyingWriter,
  url: string,
  expected: { sha256: string; size: number },
  opts: DownloadOptions,
): Promise<{ sha256: string; size: number }> {
  try {
    await res.body(writer, (n) => {
      if (writer.size + n > expected.size) {
        // More bytes than the file has: it is not the file the site hashed.
        throw new ContentHashMismatchError(url, expected, { sha256: 'unknown (longer than expected)', size: writer.size + n });
      }
      opts.onProgress?.(writer.size + n, expected.size);
    });
    return await writer.finish();
  } catch (e) {
    if (e instanceof ContentHashMismatchError) {
      await writer.discard();
      throw e;
    }
    await writer.close().catch(() => undefined);
    // An abort shows up on the response as a reset connection: report it as the abort it is.
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (e instanceof ContentError) throw e;
    // The writer's own failure is this computer's disk, not the distribution point.
    throw e === writer.failure ? downloadWriteError(writer.path, e) : unreachable(`GET ${url}`, e);
  }
}
