/**
 * The agent's StateMigrationService (src/actions/services.ts): the state migration point over HTTP
 * with the device credential (docs/state-migration-point.md) — Request State Store, a store's files
 * up (resumable: the site says how many bytes of a file it holds and only the rest is sent, with
 * Content-Range and the whole file's SHA-256, checked by the site at the end) and down (Range
 * resume and SHA-256 through src/transfer/download.ts), Release State Store.
 *
 * The data key the request answers with is handed to the step, which keeps it as the secret
 * variable `_OSDStateStoreKey`; nothing here logs or keeps it.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { StateMigrationService, StateStoreGrant } from '../actions/services.js';
import { downloadContentFile } from '../transfer/download.js';
import { ContentError, isAbort } from '../transfer/errors.js';
import { httpRequest, readBody } from '../transfer/http-request.js';
import { AgentError } from './errors.js';
import { type MpClient, refused, wait } from './mp-client.js';

interface StoreFileState {
  name: string;
  size: number;
  sha256: string;
  received: number;
  complete: boolean;
}

export interface HttpStateMigrationOptions {
  /** Attempts of one file transfer that breaks off (each resumes where the site's copy ends); default 10. */
  attempts?: number;
  /** Waits between attempts (doubling from 0.5 s to 10 s); tests shorten them. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Told after each piece sent (bytes of this piece) — the benchmark and tests count them. */
  onSent?: (storeId: string, name: string, from: number, bytes: number) => void;
  log?: (line: string, severity?: 'info' | 'warning') => void;
}

const enc = encodeURIComponent;

export class HttpStateMigrationService implements StateMigrationService {
  constructor(
    private readonly client: MpClient,
    private readonly options: HttpStateMigrationOptions = {},
  ) {}

  /** One attempt: the step's rounds (OSDStateSMPRetryCount, OSDStateSMPRetryTime) do the retrying. */
  async request(type: 'capture' | 'restore'): Promise<StateStoreGrant> {
    return this.client.request<StateStoreGrant>('POST', '/userstate/requests', { body: { type }, retryForMs: 0 });
  }

  async release(storeId: string, phase: 'capture' | 'restore', outcome: 'success' | 'failure'): Promise<void> {
    await this.client.request<unknown>('POST', `/userstate/stores/${enc(storeId)}/release`, { body: { phase, outcome } });
  }

  private files(storeId: string): Promise<{ files: StoreFileState[] }> {
    return this.client.request<{ files: StoreFileState[] }>('GET', `/userstate/stores/${enc(storeId)}/files`);
  }

  private url(storeId: string, name: string): string {
    return `${this.client.base}/userstate/stores/${enc(storeId)}/files/${enc(name)}`;
  }

  private auth(): Record<string, string> {
    return this.client.credential ? { authorization: `Bearer ${this.client.credential}` } : {};
  }

  private async pause(attempt: number, what: string, e: unknown, signal?: AbortSignal): Promise<void> {
    const ms = Math.min(10_000, 500 * 2 ** attempt);
    this.options.log?.(`${what} broke off (${(e as Error).message}); resuming in ${(ms / 1000).toFixed(1)} s`, 'warning');
    await (this.options.sleep ?? wait)(ms, signal);
  }

  async putFile(storeId: string, name: string, source: { path: string; size: number; sha256: string }, options: { signal?: AbortSignal } = {}): Promise<void> {
    const actual = (await stat(source.path)).size;
    if (actual !== source.size)
      throw new AgentError('bad-input', {
        input: source.path,
        rule: `the file has ${actual} bytes, not the ${source.size} announced`,
        hint: 'write the store file completely before uploading it',
      });
    const attempts = this.options.attempts ?? 10;
    const what = `Uploading ${name} of store ${storeId}`;
    for (let attempt = 0; ; attempt++) {
      if (options.signal?.aborted) throw options.signal.reason;
      // What the site already holds: only the rest is sent (a kill, a broken connection, a restarted server).
      const held = (await this.files(storeId)).files.find((f) => f.name === name);
      const same = held && held.size === source.size && held.sha256 === source.sha256;
      if (same && held.complete) return;
      const from = same ? held.received : 0;
      try {
        const done = await this.sendPiece(storeId, name, source, from, options.signal);
        if (done.complete) return;
      } catch (e) {
        if (options.signal?.aborted || isAbort(e)) throw e;
        if (!retryable(e) || attempt + 1 >= attempts) throw e;
        await this.pause(attempt, what, e, options.signal);
      }
    }
  }

  private async sendPiece(
    storeId: string,
    name: string,
    source: { path: string; size: number; sha256: string },
    from: number,
    signal?: AbortSignal,
  ): Promise<StoreFileState> {
    const bytes = source.size - from;
    const headers: Record<string, string | number> = {
      ...this.auth(),
      accept: 'application/json',
      'content-type': 'application/octet-stream',
      'content-length': bytes,
      'x-content-sha256': source.sha256,
      ...(source.size > 0 ? { 'content-range': `bytes ${from}-${source.size - 1}/${source.size}` } : {}),
    };
    const url = this.url(storeId, name);
    const body = bytes > 0 ? createReadStream(source.path, { start: from, highWaterMark: 1 << 20 }) : '';
    const res = await httpRequest(url, { method: 'PUT', headers, body, signal });
    const text = (await readBody(res, `PUT ${url}`, 1 << 20)).toString('utf8');
    if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300) {
      this.options.onSent?.(storeId, name, from, bytes);
      return JSON.parse(text) as StoreFileState;
    }
    throw refused(`PUT ${url}`, res.statusCode ?? 0, text);
  }

  async getFile(storeId: string, name: string, destination: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const file = (await this.files(storeId)).files.find((f) => f.name === name && f.complete);
    if (!file)
      throw new AgentError('not-found', {
        input: `store ${storeId}`,
        rule: `the state migration point holds no file ${name} of this store`,
        hint: 'the capture was not released completely; capture again',
        code: 'store-file-missing',
      });
    const attempts = this.options.attempts ?? 10;
    for (let attempt = 0; ; attempt++) {
      try {
        await downloadContentFile(this.url(storeId, name), destination, file, { resume: true, signal: options.signal, headers: this.auth() });
        return;
      } catch (e) {
        if (options.signal?.aborted || isAbort(e)) throw e;
        if (!(e instanceof ContentError) || e.code !== 'dp-unreachable' || attempt + 1 >= attempts) throw e;
        await this.pause(attempt, `Downloading ${name} of store ${storeId}`, e, options.signal);
      }
    }
  }
}

function retryable(e: unknown): boolean {
  if (e instanceof ContentError) return e.code === 'dp-unreachable';
  if (e instanceof AgentError) return ['mp-unreachable', 'range-not-contiguous', 'upload-busy'].includes(e.code ?? '') || [502, 503, 504].includes(e.status);
  return false;
}
