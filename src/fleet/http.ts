/**
 * The fleet's HTTP: keep-alive connections per server, JSON in and out, and the time of every
 * request recorded under its kind (register, policy, status …) for the report's percentiles.
 */
import http from 'node:http';
import { OsdError } from '../common/errors.js';

export interface Answer<T = unknown> {
  status: number;
  body: T;
}

export class Latencies {
  private readonly byKind = new Map<string, number[]>();
  private readonly failures = new Map<string, number>();

  add(kind: string, ms: number): void {
    (this.byKind.get(kind) ?? this.byKind.set(kind, []).get(kind)!).push(ms);
  }

  fail(kind: string): void {
    this.failures.set(kind, (this.failures.get(kind) ?? 0) + 1);
  }

  summary(): Record<string, { count: number; failed: number; p50: number; p99: number; max: number }> {
    const out: Record<string, { count: number; failed: number; p50: number; p99: number; max: number }> = {};
    for (const kind of new Set([...this.byKind.keys(), ...this.failures.keys()])) {
      const xs = [...(this.byKind.get(kind) ?? [])].sort((a, b) => a - b);
      const at = (q: number): number => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]! : 0);
      out[kind] = { count: xs.length, failed: this.failures.get(kind) ?? 0, p50: at(0.5), p99: at(0.99), max: xs.at(-1) ?? 0 };
    }
    return out;
  }
}

export class FleetHttp {
  private readonly agent: http.Agent;

  constructor(
    readonly baseUrl: string,
    maxSockets: number,
    private readonly latencies: Latencies,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  /**
   * One request; its time is recorded under `kind` when it answers 2xx, else counted as failed. A
   * kept-alive connection the server closed as the request went out (its idle time-out) is retried
   * once on a new one, as Node's documentation advises: every management point request the fleet
   * makes may be sent twice (status messages by their ids).
   */
  request<T = unknown>(
    kind: string,
    method: string,
    path: string,
    options: { token?: string; json?: unknown; text?: string; contentType?: string } = {},
    retried?: { started: number },
  ): Promise<Answer<T>> {
    const url = new URL(path, this.baseUrl);
    const headers: Record<string, string> = {};
    let payload: Buffer | undefined;
    if (options.json !== undefined) {
      payload = Buffer.from(JSON.stringify(options.json));
      headers['content-type'] = 'application/json';
    } else if (options.text !== undefined) {
      payload = Buffer.from(options.text);
      headers['content-type'] = options.contentType ?? 'text/plain; charset=utf-8';
    }
    if (payload) headers['content-length'] = String(payload.length);
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    // A retried request is timed from its first attempt.
    const started = retried?.started ?? performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) this.latencies.add(kind, performance.now() - started);
          else this.latencies.fail(kind);
          let body: unknown = text;
          if ((res.headers['content-type'] ?? '').includes('json') && text) {
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
          resolve({ status, body: body as T });
        });
      });
      req.on('error', (e) => {
        if (!retried && req.reusedSocket && (e as NodeJS.ErrnoException).code === 'ECONNRESET') {
          resolve(this.request<T>(kind, method, path, options, { started }));
          return;
        }
        this.latencies.fail(kind);
        reject(new OsdError('unavailable', { input: `${method} ${url.pathname}`, rule: (e as Error).message, cause: e }));
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A 2xx answer's body, else an error naming the request and what the server said. */
export function ok<T>(a: Answer<T>, what: string): T {
  if (a.status >= 200 && a.status < 300) return a.body;
  const b = a.body as { input?: string; rule?: string; message?: string } | string;
  const said = typeof b === 'string' ? b.slice(0, 300) : `${b?.input ? `${b.input}: ` : ''}${b?.rule ?? b?.message ?? ''}`;
  throw new OsdError('fault', { input: what, rule: `the server answered ${a.status}: ${said}` });
}
