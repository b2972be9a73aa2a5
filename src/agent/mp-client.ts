/**
 * The agent's client of the management point (docs/management-point.md): JSON over HTTP to
 * `<site>/mp/v1`, the device credential as a bearer token, and patience with a site that is not
 * there — a connection refused, a reset, a time-out, a 502/503/504 or a 429 is tried again with
 * exponential backoff (0.5 s doubling to 30 s, with jitter) until `retryForMs` has passed. What the
 * site refuses (4xx) is not retried: it becomes an AgentError of the kind the status says, with the
 * site's own rule and hint.
 */
import { kindOfStatus } from '../common/errors.js';
import { isAbort } from '../transfer/errors.js';
import { AgentError } from './errors.js';
import type {
  DriverCatalogAnswer,
  AgentEnvironment,
  DeploymentContent,
  MachineFacts,
  Policy,
  RegisterAnswer,
  RegisterRequest,
  SequenceAnswer,
  StatusAnswer,
  StatusMessage,
} from './protocol.js';

export interface MpClientOptions {
  /** The site's URL (`http://site:8080`); `/mp/v1` is added. */
  siteUrl: string;
  credential?: string;
  /** How long to keep trying a site that cannot be reached (default 10 minutes; 0: one attempt). */
  retryForMs?: number;
  /** Told before each wait: what failed and how long until the next attempt. */
  onRetry?: (what: string, error: AgentError, waitMs: number) => void;
  signal?: AbortSignal;
  /** Per-request time-out (default 60 s). */
  timeoutMs?: number;
  /** For tests: the waits between attempts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

interface RequestOptions {
  body?: unknown;
  text?: string;
  /** Override the client's retry time for this request. */
  retryForMs?: number;
  /** No credential (registration). */
  anonymous?: boolean;
}

const FIRST_WAIT_MS = 500;
const MAX_WAIT_MS = 30_000;

export class MpClient {
  private credentialValue?: string;
  readonly base: string;

  constructor(private readonly options: MpClientOptions) {
    this.base = `${options.siteUrl.replace(/\/+$/, '')}/mp/v1`;
    this.credentialValue = options.credential;
  }

  get credential(): string | undefined {
    return this.credentialValue;
  }

  set credential(value: string | undefined) {
    this.credentialValue = value;
  }

  register(request: RegisterRequest): Promise<RegisterAnswer> {
    return this.request<RegisterAnswer>('POST', '/register', { body: request, anonymous: true });
  }

  policy(environment: AgentEnvironment): Promise<Policy> {
    return this.request<Policy>('GET', `/policy?environment=${environment}`);
  }

  sequence(deploymentId: string): Promise<SequenceAnswer> {
    return this.request<SequenceAnswer>('GET', `/deployments/${encodeURIComponent(deploymentId)}/sequence`);
  }

  content(deploymentId: string, machine: Pick<MachineFacts, 'architecture' | 'language' | 'model' | 'firmware'>): Promise<DeploymentContent> {
    const q = new URLSearchParams();
    q.set('architecture', machine.architecture);
    if (machine.language) q.set('language', machine.language);
    if (machine.model) q.set('model', machine.model);
    q.set('firmware', machine.firmware);
    return this.request<DeploymentContent>('GET', `/deployments/${encodeURIComponent(deploymentId)}/content?${q.toString()}`);
  }

  /** The drivers Auto Apply Drivers may choose from on a computer of this architecture. */
  driverCatalog(architecture: string): Promise<DriverCatalogAnswer> {
    return this.request<DriverCatalogAnswer>('GET', `/driver-catalog?architecture=${encodeURIComponent(architecture)}`);
  }

  /** One batch (≤ 500 messages, ≤ 1 MiB): acknowledged only once the site stored it. */
  sendStatus(messages: StatusMessage[], retryForMs?: number): Promise<StatusAnswer> {
    return this.request<StatusAnswer>('POST', '/status', { body: { messages }, retryForMs });
  }

  async uploadLog(runId: string, name: string, text: string, retryForMs?: number): Promise<void> {
    await this.request<unknown>('PUT', `/runs/${encodeURIComponent(runId)}/logs/${encodeURIComponent(name)}`, { text, retryForMs });
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const what = `${method} ${this.base}${path.replace(/\?.*$/, '')}`;
    const deadline = Date.now() + (opts.retryForMs ?? this.options.retryForMs ?? 600_000);
    const sleep = this.options.sleep ?? wait;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once<T>(method, path, what, opts);
      } catch (e) {
        if (!(e instanceof AgentError) || !retryable(e)) throw e;
        const waitMs = Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** attempt) * (0.75 + Math.random() * 0.5);
        if (Date.now() + waitMs > deadline) throw e;
        this.options.onRetry?.(what, e, waitMs);
        await sleep(waitMs, this.options.signal);
      }
    }
  }

  private async once<T>(method: string, path: string, what: string, opts: RequestOptions): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (!opts.anonymous && this.credentialValue) headers.authorization = `Bearer ${this.credentialValue}`;
    let body: string | undefined;
    if (opts.text !== undefined) {
      headers['content-type'] = 'text/plain; charset=utf-8';
      body = opts.text;
    } else if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const signals = [AbortSignal.timeout(this.options.timeoutMs ?? 60_000), ...(this.options.signal ? [this.options.signal] : [])];
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { method, headers, body, signal: AbortSignal.any(signals) });
    } catch (e) {
      if (this.options.signal?.aborted) throw this.options.signal.reason;
      throw unreachable(what, e);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      if (this.options.signal?.aborted) throw this.options.signal.reason;
      throw unreachable(what, e);
    }
    if (res.ok) {
      if (text === '') return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new AgentError('unavailable', {
          input: what,
          rule: `the management point answered ${res.status} with something that is not JSON: ${text.slice(0, 120)}`,
          hint: 'check that --site names the site server (osd server), not another service',
          status: 502,
          code: 'mp-response-invalid',
        });
      }
    }
    throw refused(what, res.status, text);
  }
}

function retryable(e: AgentError): boolean {
  return e.code === 'mp-unreachable' || e.status === 502 || e.status === 503 || e.status === 504 || e.status === 429;
}

function unreachable(what: string, e: unknown): AgentError {
  const err = e as { cause?: { code?: string; message?: string }; code?: string; name?: string; message?: string };
  const why =
    isAbort(e) || err?.name === 'TimeoutError' ? 'no answer in time' : (err?.cause?.code ?? err?.code ?? err?.cause?.message ?? err?.message ?? String(e));
  return new AgentError('unavailable', {
    input: what,
    rule: `the management point could not be reached (${why})`,
    hint: 'check that the site server is running and reachable from this computer; the agent keeps trying and keeps its status messages until then',
    code: 'mp-unreachable',
    cause: e,
  });
}

/** The site's JSON error (error, message, rule, hint) as an AgentError of the kind its status says (its rule's leading name as the code: `credential-revoked`, `folder-full` …). */
export function refused(what: string, status: number, text: string): AgentError {
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: a proxy or another server answered
  }
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const rule = str(body.rule) ?? str(body.message) ?? `answered HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
  return new AgentError(kindOfStatus(status), {
    input: str(body.input) ? `${what} (${str(body.input)})` : what,
    rule,
    hint: str(body.hint),
    status,
    // The MP names its rule first (`credential-revoked: …`); else the error's kind.
    code: /^([a-z]+(?:-[a-z]+)+):/.exec(rule)?.[1] ?? str(body.error),
    details: typeof body.details === 'object' && body.details !== null ? (body.details as Record<string, unknown>) : undefined,
  });
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
