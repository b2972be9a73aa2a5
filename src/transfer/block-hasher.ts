/**
 * SHA-256 of a stream of blocks, either on the calling thread or in a worker thread (issue 16 item
 * 5: verifying a download must cost the main thread nothing visible). The worker reads the blocks
 * straight out of a SharedArrayBuffer the writer fills — no copy, no transfer — and acknowledges
 * each one so the writer can reuse its memory; it hashes with Node's crypto (OpenSSL, SHA-NI where
 * the CPU has it). Blocks are hashed in the order they are submitted (worker messages are ordered).
 *
 * The worker's code is a string run with `eval: true`, not a file next to this one: the agent runs
 * in the boot environment as one bundled file (src/bootenv/build/agent-bundle.ts), where no sibling
 * module exists to start a worker from.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { ContentError } from './errors.js';

export interface BlockHasher {
  /** Hashes the first `length` bytes of the file at `path` (a resumed prefix); call before any block. */
  prefix(path: string, length: number): Promise<void>;
  /** Hashes `view`; `done` is called once its memory may be reused (never, if the hasher failed). */
  update(view: Uint8Array, done: () => void): void;
  /** The digest of everything submitted, as lowercase hex. */
  digest(): Promise<string>;
  /** Stops the hasher (safe more than once). */
  close(): Promise<void>;
}

/** Hashes on the calling thread: for small files, where starting a worker costs more than it saves. */
export class InlineHasher implements BlockHasher {
  private readonly hash = createHash('sha256');

  async prefix(path: string, length: number): Promise<void> {
    if (length === 0) return;
    let seen = 0;
    for await (const chunk of createReadStream(path, { end: length - 1, highWaterMark: 1 << 20 })) {
      this.hash.update(chunk as Buffer);
      seen += (chunk as Buffer).length;
    }
    if (seen !== length) throw prefixShrank(path, length, seen);
  }

  update(view: Uint8Array, done: () => void): void {
    this.hash.update(view);
    done();
  }

  digest(): Promise<string> {
    return Promise.resolve(this.hash.digest('hex'));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The worker's program (CommonJS, as `eval: true` runs it). Messages: block, prefix, digest; answers: hashed, digest, error. */
const WORKER_SOURCE = `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const memory = new Uint8Array(workerData.memory);
const hash = createHash('sha256');
function prefix(path, length) {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(length, 1 << 20));
    for (let at = 0; at < length; ) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, length - at), at);
      if (n === 0) throw Object.assign(new Error('short'), { shortAt: at });
      hash.update(buf.subarray(0, n));
      at += n;
    }
  } finally {
    closeSync(fd);
  }
}
parentPort.on('message', (m) => {
  try {
    if (m.op === 'block') {
      hash.update(memory.subarray(m.offset, m.offset + m.length));
      parentPort.postMessage({ op: 'hashed' });
    } else if (m.op === 'prefix') {
      prefix(m.path, m.length);
    } else if (m.op === 'digest') {
      parentPort.postMessage({ op: 'digest', sha256: hash.digest('hex') });
    } else {
      throw new Error('unknown message ' + JSON.stringify(m.op));
    }
  } catch (e) {
    parentPort.postMessage({ op: 'error', message: String((e && e.message) || e), code: e && e.code, shortAt: e && e.shortAt, path: m.path, length: m.length });
  }
});
`;

/** Test seam: the tests swap in a worker program that fails, to check the failure surfaces clearly. */
export const hashWorkerProgram = { source: WORKER_SOURCE };

interface WorkerAnswer {
  op: 'hashed' | 'digest' | 'error';
  sha256?: string;
  message?: string;
  code?: string;
  shortAt?: number;
  path?: string;
  length?: number;
}

/** Hashes in a worker thread, reading the blocks from `memory` (the writer's SharedArrayBuffer). */
export class WorkerHasher implements BlockHasher {
  private readonly worker: Worker;
  private readonly acks: (() => void)[] = [];
  private digestWait?: { resolve: (sha256: string) => void; reject: (e: unknown) => void };
  private failure?: ContentError;
  private stopped = false;

  /**
   * @param memory  the shared memory the blocks passed to update() are views of
   * @param label   what is being hashed (the file), for error messages
   * @param onFailure  hears a failure of the worker at once (the writer stops waiting for acks)
   */
  constructor(
    private readonly memory: SharedArrayBuffer,
    private readonly label: string,
    private readonly onFailure: (e: ContentError) => void,
  ) {
    try {
      this.worker = new Worker(hashWorkerProgram.source, { eval: true, workerData: { memory } });
    } catch (e) {
      throw workerFailed(label, e);
    }
    this.worker.on('message', (m: WorkerAnswer) => this.answer(m));
    // An uncaught exception in the worker, or a worker that could not start (no memory, no thread).
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => {
      if (!this.stopped) this.fail(new Error(`the worker thread exited (code ${code}) before the hash was complete`));
    });
  }

  prefix(path: string, length: number): Promise<void> {
    if (length > 0 && !this.failure) this.worker.postMessage({ op: 'prefix', path, length });
    return Promise.resolve();
  }

  update(view: Uint8Array, done: () => void): void {
    if (this.failure) return;
    if (view.buffer !== this.memory) throw new Error('WorkerHasher.update: the block is not a view of the shared memory');
    this.acks.push(done);
    this.worker.postMessage({ op: 'block', offset: view.byteOffset, length: view.byteLength });
  }

  digest(): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<string>((resolve, reject) => {
      this.digestWait = { resolve, reject };
      this.worker.postMessage({ op: 'digest' });
    });
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.worker.terminate();
  }

  private answer(m: WorkerAnswer): void {
    if (m.op === 'hashed') this.acks.shift()?.();
    else if (m.op === 'digest') {
      const w = this.digestWait;
      this.digestWait = undefined;
      w?.resolve(m.sha256 ?? '');
    } else if (m.shortAt !== undefined && m.path !== undefined) this.fail(prefixShrank(m.path, m.length ?? 0, m.shortAt));
    else this.fail(Object.assign(new Error(m.message ?? 'unknown error'), { code: m.code }));
  }

  private fail(e: unknown): void {
    if (this.failure || this.stopped) return;
    this.failure = e instanceof ContentError ? e : workerFailed(this.label, e);
    this.acks.length = 0;
    this.digestWait?.reject(this.failure);
    this.digestWait = undefined;
    this.onFailure(this.failure);
    void this.close();
  }
}

function workerFailed(label: string, e: unknown): ContentError {
  const err = e as NodeJS.ErrnoException;
  return new ContentError({
    code: 'hash-worker-failed',
    status: 500,
    input: label,
    rule: `the SHA-256 worker thread failed (${err?.code ? `${err.code}: ` : ''}${err?.message ?? String(e)}), so the file could not be verified`,
    hint: 'the bytes received so far are kept; retry (the download resumes). If it repeats, the process may be short of memory or threads',
    cause: e,
  });
}

function prefixShrank(path: string, length: number, seen: number): ContentError {
  return new ContentError({
    code: 'content-partial-changed',
    status: 409,
    input: path,
    rule: `held ${length} bytes to resume from but only ${seen} could be read: another process changed it`,
    hint: 'let one download at a time write a file; retry',
  });
}
