/**
 * A minimal streaming HTTP client over node:http(s): bodies go out and come in as Node streams
 * (no buffering, no web-stream conversions on the multi-gigabyte paths), and every failure to reach
 * the server becomes a ContentError `dp-unreachable` that names the URL.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { ContentError, isAbort } from './errors.js';

export interface HttpRequestOptions {
  method: string;
  headers?: Record<string, string | number>;
  body?: Readable | Buffer | string;
  signal?: AbortSignal;
  /** Idle time (no bytes either way) after which the request fails; 0 waits for ever. Default 120 s. */
  idleTimeoutMs?: number;
}

/** Sends a request and resolves with the response once its headers arrived (the body is still to read). */
export function httpRequest(url: string, opts: HttpRequestOptions): Promise<IncomingMessage> {
  const target = new URL(url);
  const mod = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
  if (!mod) {
    return Promise.reject(
      new ContentError({
        code: 'dp-url-invalid',
        status: 400,
        input: url,
        rule: 'is not an http:// or https:// URL',
        hint: 'give the distribution point URL, e.g. http://dp1:8090',
      }),
    );
  }
  return new Promise<IncomingMessage>((resolve, reject) => {
    let answered = false;
    // agent:false: a connection per request. Node's global agent keeps sockets alive, and one the
    // server closed while the caller was busy (an agent applying a WIM) failed the next request
    // (netboot.md "What failed").
    const req = mod.request(target, { method: opts.method, headers: opts.headers, signal: opts.signal, agent: false });
    const timeout = opts.idleTimeoutMs ?? 120_000;
    if (timeout > 0) req.setTimeout(timeout, () => req.destroy(Object.assign(new Error(`no data for ${timeout / 1000} s`), { code: 'ETIMEDOUT' })));
    req.on('response', (res) => {
      answered = true;
      resolve(res);
    });
    req.on('error', (e) => {
      if (!answered) reject(unreachable(`${opts.method} ${url}`, e));
    });
    const body = opts.body;
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) {
      req.end(body);
    } else {
      // The server may answer before it has read the whole body (401, 413, "already present");
      // the upload error that follows is then expected, and the answer is what counts.
      pipeline(body, req).catch((e: unknown) => {
        if (!answered) reject(unreachable(`${opts.method} ${url}`, e));
      });
    }
  });
}

/** A network failure as a ContentError; an abort by the caller stays an AbortError. */
export function unreachable(input: string, e: unknown): unknown {
  if (isAbort(e) || e instanceof ContentError) return e;
  const err = e as NodeJS.ErrnoException;
  return new ContentError({
    code: 'dp-unreachable',
    status: 502,
    input,
    rule: `the distribution point could not be reached or the transfer broke off (${err?.code ?? err?.message ?? String(e)})`,
    hint: 'check that the distribution point is running and reachable from here, then retry (downloads resume)',
    cause: e,
  });
}

/** Reads a small response body (JSON answers and errors), refusing more than `limit` bytes. */
export async function readBody(res: IncomingMessage, input: string, limit = 256 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of res) {
      n += (c as Buffer).length;
      if (n > limit) {
        res.destroy();
        throw new ContentError({
          code: 'dp-response-invalid',
          status: 502,
          input,
          rule: `answer is larger than ${limit} bytes`,
          hint: 'check the distribution point URL',
        });
      }
      chunks.push(c as Buffer);
    }
  } catch (e) {
    throw unreachable(input, e);
  }
  return Buffer.concat(chunks);
}

/** A non-2xx answer as a ContentError carrying the server's code, rule and hint (and extras like `missing`). */
export async function responseError(res: IncomingMessage, input: string): Promise<ContentError> {
  return errorAnswer(res.statusCode ?? 0, (await readBody(res, input, 1 << 20)).toString('utf8'), input);
}

/** A non-2xx answer's status and body text as a ContentError (see responseError). */
export function errorAnswer(status: number, text: string, input: string): ContentError {
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: a proxy or a different server answered
  }
  const { error, message, input: _input, rule, hint, win32, ...details } = body;
  void _input;
  return new ContentError({
    code: typeof error === 'string' ? error : 'dp-error',
    status,
    input,
    rule: typeof rule === 'string' ? rule : typeof message === 'string' ? message : `answered HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`,
    hint: typeof hint === 'string' ? hint : undefined,
    win32: typeof win32 === 'string' ? Number.parseInt(win32, 16) : undefined,
    details: Object.keys(details).length > 0 ? details : undefined,
  });
}

export async function readJson<T>(res: IncomingMessage, input: string): Promise<T> {
  const text = (await readBody(res, input)).toString('utf8');
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ContentError({
      code: 'dp-response-invalid',
      status: 502,
      input,
      rule: `answer is not JSON: ${text.slice(0, 120)}`,
      hint: 'check the distribution point URL',
    });
  }
}
