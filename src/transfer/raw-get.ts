/**
 * A plain-HTTP GET whose body is read by the socket straight into the caller's memory (net's
 * `onread`), for the download's hot path (issue 16 item 5). Through node:http every 64 KiB read
 * costs a fresh Buffer, the HTTP parser, a stream push and a 'data' event, and the download then
 * copies it again into its write ring: ~0.8-1.0 ms of CPU per MiB received over loopback, against
 * ~0.2 ms for reads of up to 1 MiB into the ring itself (measured on a 2-core machine), which is what
 * let `curl -o` outrun it.
 *
 * Scope, on purpose narrow: an http: URL, a response with a Content-Length and no Transfer-Encoding.
 * Anything else (https, chunked, 1xx) answers `fallback` and the caller uses node:http instead.
 */
import net from 'node:net';
import { ContentError } from './errors.js';

const HEAD_LIMIT = 64 << 10;
const SPARE = 256 << 10;

export interface RawHead {
  status: number;
  /** Lowercased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
}

/** Where the body goes: reads land in `space()` when it offers memory, else they are copied with write(). */
export interface BodySink {
  /** A view to read the next bytes into, or undefined (the ring is busy: they go to a spare buffer). */
  space(): Uint8Array | undefined;
  /** `n` bytes were read into the view space() last gave. May ask to wait. */
  landed(n: number): Promise<void> | undefined;
  /** Bytes read into a spare buffer, to copy. May ask to wait. */
  write(bytes: Uint8Array): Promise<void> | undefined;
}

export interface RawResponse extends RawHead {
  /** Reads `length` body bytes into the sink; rejects on a broken connection (code ECONNRESET) or when the sink throws. */
  readBody(sink: BodySink, length: number): Promise<void>;
  /** Reads the body into memory (an error answer), at most `limit` bytes. */
  readText(limit: number): Promise<string>;
  destroy(): void;
}

/** Whether a GET of `url` can take the raw path at all. */
export function rawGetApplies(url: string): boolean {
  return url.startsWith('http://');
}

/**
 * Sends the GET and resolves with the response head, or with 'fallback' when the response is not one
 * this reader handles (the connection is then closed). Connection failures reject with the socket's
 * error (the caller maps them to dp-unreachable).
 */
export function rawGet(
  url: string,
  headers: Record<string, string>,
  opts: { signal?: AbortSignal; idleTimeoutMs?: number } = {},
): Promise<RawResponse | 'fallback'> {
  const target = new URL(url);
  const spare = Buffer.allocUnsafe(SPARE);
  let head = Buffer.allocUnsafe(16 << 10);
  let headFill = 0;
  // The reader's state: 'head' until the blank line, then 'paused' until readBody/readText decide.
  let mode: 'head' | 'paused' | 'body' | 'text' = 'head';
  let leftover: Buffer = Buffer.alloc(0);
  let given: Uint8Array | undefined;
  let onRead: (n: number, buf: Uint8Array) => void = () => undefined;
  let onEnd: (e?: unknown) => void = () => undefined;
  let ended: { error?: unknown } | undefined;

  return new Promise<RawResponse | 'fallback'>((resolve, reject) => {
    let answered = false;
    const socket = net.connect({
      host: target.hostname.replace(/^\[|\]$/g, ''),
      port: Number(target.port || 80),
      onread: {
        buffer: () => {
          if (mode === 'head') {
            if (headFill === head.length) {
              if (head.length >= HEAD_LIMIT) return spare; // the callback fails the request
              head = Buffer.concat([head, Buffer.allocUnsafe(head.length)]);
            }
            return head.subarray(headFill);
          }
          given = mode === 'body' ? onSpace() : undefined;
          return given ?? spare;
        },
        callback: (n, buf) => {
          if (mode === 'head') {
            if (buf === spare) {
              fail(invalid(url, `sent a response head larger than ${HEAD_LIMIT} bytes`));
              return false;
            }
            headFill += n;
            const end = head.subarray(0, headFill).indexOf('\r\n\r\n');
            if (end < 0) return true;
            mode = 'paused';
            socket.pause();
            leftover = Buffer.from(head.subarray(end + 4, headFill));
            let parsed: RawHead | undefined;
            try {
              parsed = parseHead(head.subarray(0, end).toString('latin1'), url);
            } catch (e) {
              fail(e);
              return false;
            }
            answer(parsed);
            return true;
          }
          onRead(n, buf);
          return true;
        },
      },
    });
    let onSpace: () => Uint8Array | undefined = () => undefined;

    const fail = (e: unknown) => {
      if (!answered) {
        answered = true;
        socket.destroy();
        reject(e);
      } else socket.destroy(e instanceof Error ? e : new Error(String(e)));
    };
    const timeout = opts.idleTimeoutMs ?? 120_000;
    if (timeout > 0) socket.setTimeout(timeout, () => socket.destroy(Object.assign(new Error(`no data for ${timeout / 1000} s`), { code: 'ETIMEDOUT' })));
    const onAbort = () => socket.destroy(opts.signal?.reason as Error);
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('connect', () => {
      const lines = [`GET ${target.pathname}${target.search} HTTP/1.1`, `Host: ${target.host}`, 'Connection: close'];
      for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    socket.on('error', (e) => {
      if (!answered) {
        answered = true;
        reject(e);
      }
      if (!ended) ended = { error: e };
      onEnd(e);
    });
    socket.on('end', () => {
      if (!ended) ended = {};
      onEnd();
    });
    socket.on('close', () => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (!answered) {
        answered = true;
        reject(Object.assign(new Error('the connection closed before the response'), { code: 'ECONNRESET' }));
      }
      if (!ended) ended = { error: Object.assign(new Error('the connection closed'), { code: 'ECONNRESET' }) };
      onEnd(ended.error);
    });

    function answer(h: RawHead): void {
      answered = true;
      const length = h.headers['content-length'];
      if (h.status < 200 || h.headers['transfer-encoding'] !== undefined || (h.status < 300 && (length === undefined || !/^\d+$/.test(length)))) {
        socket.destroy();
        resolve('fallback');
        return;
      }
      resolve({
        ...h,
        destroy: () => socket.destroy(),
        readText: (limit) =>
          new Promise<string>((done, failText) => {
            const chunks: Buffer[] = [leftover];
            let size = leftover.length;
            const want = length !== undefined && /^\d+$/.test(length) ? Number(length) : Number.POSITIVE_INFINITY;
            const finish = () => {
              socket.destroy();
              done(Buffer.concat(chunks).subarray(0, Math.min(limit, want)).toString('utf8'));
            };
            if (size >= want || size >= limit) return finish();
            mode = 'text';
            onRead = (n, buf) => {
              chunks.push(Buffer.from(buf.subarray(0, n)));
              size += n;
              if (size >= want || size >= limit) finish();
            };
            onEnd = (e) => (e && size < want ? failText(e) : finish());
            if (ended) onEnd(ended.error);
            else socket.resume();
          }),
        readBody: (sink, total) =>
          new Promise<void>((done, failBody) => {
            let got = 0;
            let settled = false;
            let waiting = false;
            const settle = (e?: unknown) => {
              if (settled) return;
              settled = true;
              socket.destroy();
              if (e === undefined) done();
              else failBody(e);
            };
            const broken = () => Object.assign(new Error('connection closed before the end of the file'), { code: 'ECONNRESET' });
            // Reads on, unless every byte is in (done) or the connection ended early (a break).
            const next = () => {
              if (got >= total) settle();
              else if (ended) settle(ended.error ?? broken());
              else {
                mode = 'body';
                socket.resume();
              }
            };
            // The sink may ask to wait (its ring is full): no reading meanwhile, and not done before it
            // has taken every byte (a copy can be half-way through a chunk).
            const take = (wait: Promise<void> | undefined) => {
              if (!wait) {
                if (got >= total) settle();
                return;
              }
              waiting = true;
              socket.pause();
              wait.then(() => {
                waiting = false;
                if (!settled) next();
              }, settle);
            };
            const count = (n: number) => {
              got += n;
              if (got > total) throw Object.assign(new Error(`the server sent more than the ${total} bytes it announced`), { code: 'EPROTO' });
            };
            onSpace = () => sink.space();
            onRead = (n, buf) => {
              if (settled) return;
              try {
                const inSpace = given !== undefined && buf === given;
                count(n);
                take(inSpace ? sink.landed(n) : sink.write(buf.subarray(0, n)));
              } catch (e) {
                settle(e);
              }
            };
            onEnd = (e) => {
              if (!waiting) settle(got >= total ? undefined : (e ?? broken()));
            };
            try {
              if (leftover.length > 0) {
                count(leftover.length);
                take(sink.write(leftover));
                if (waiting || settled) return;
              }
            } catch (e) {
              settle(e);
              return;
            }
            next();
          }),
      });
    }
  });
}

function parseHead(text: string, url: string): RawHead {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0] ?? '');
  if (!m) throw invalid(url, `answered ${JSON.stringify((lines[0] ?? '').slice(0, 80))}, not an HTTP/1.1 status line`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw invalid(url, `sent a malformed header line ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(m[1]), headers };
}

function invalid(url: string, rule: string): ContentError {
  return new ContentError({ code: 'dp-response-invalid', status: 502, input: `GET ${url}`, rule, hint: 'check the distribution point URL' });
}
