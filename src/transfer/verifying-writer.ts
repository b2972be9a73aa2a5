/**
 * Writes a download to its file while hashing it, with the three costs overlapped (issue 16 item 5):
 * the main thread only receives and copies bytes into a ring of 1 MiB blocks; each full block is
 * written by the thread pool (positional writes in pieces, one block at a time: see pump()) and
 * hashed by a worker thread (src/transfer/block-hasher.ts) at the same time, and a block is reused
 * once both are done. The
 * file is flushed to disk as it grows (an fdatasync every 64 MiB that nothing waits for), so the
 * fsync the download needs before its rename has little left to do.
 *
 * Small files are hashed on the calling thread (starting a worker costs milliseconds and a package
 * can hold thousands of small files); `verifyingWriterTuning.workerFromBytes` sets where that ends.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { InlineHasher, WorkerHasher, type BlockHasher } from './block-hasher.js';
import { writeInPieces } from './hashing-writer.js';

const BLOCK = 1 << 20;
const SLOTS = 8;

/** Tunables (the tests lower workerFromBytes to run small files through the worker). */
export const verifyingWriterTuning = {
  /**
   * Files at least this large (bytes, the whole file) are hashed in a worker thread, with two CPUs
   * or more (with one, a second thread can only take turns with the first). Measured on the quiet
   * 2-core machine once the writes no longer stalled (writeInPieces in ./hashing-writer.ts;
   * `node bench/dp.bench.mjs`, 1 GiB, 5 pairs, two runs on 2026-12-08): the worker 1.04 / 1.10 /
   * 1.15× and 0.85 / 1.09 / 1.49× the throughput of hashing on the calling thread, at about the same
   * CPU time. (The 2026-12-07 measurement that kept 2-core machines on the calling thread — 0.4× at
   * 3× the CPU — was that write stall, not the worker.)
   */
  workerFromBytes: availableParallelism() > 1 ? 16 << 20 : Number.POSITIVE_INFINITY,
  /** Bytes written between two background fdatasync calls; 0 disables them. */
  flushEveryBytes: 64 << 20,
};

export class VerifyingWriter {
  /** Bytes submitted so far, including a resumed prefix. */
  size: number;
  private slot = 0;
  private fill = 0;
  private readonly writing = new Uint8Array(SLOTS);
  private readonly hashing = new Uint8Array(SLOTS);
  private inFlight = false;
  private readonly pending: { slot: number; view: Uint8Array; at: number }[] = [];
  private error: unknown;
  private waiter?: { ready: () => boolean; failFast: boolean; resolve: () => void; reject: (e: unknown) => void };
  private flushing?: Promise<void>;
  private sinceFlush = 0;
  private closed = false;
  private hasher!: BlockHasher;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private position: number,
    private readonly memory: Buffer,
  ) {
    this.size = position;
  }

  /**
   * Opens `path` to write from `position` (0 truncates), its first `position` bytes hashed first
   * (a resumed download). `totalSize` (the whole file) chooses between the worker and the calling
   * thread; `label` names the download in errors.
   */
  static async open(path: string, position: number, totalSize: number, label: string): Promise<VerifyingWriter> {
    const inWorker = totalSize >= verifyingWriterTuning.workerFromBytes;
    const memory = inWorker ? Buffer.from(new SharedArrayBuffer(SLOTS * BLOCK)) : Buffer.allocUnsafeSlow(SLOTS * BLOCK);
    const fh = await open(path, position === 0 ? 'w' : 'r+', 0o600);
    const writer = new VerifyingWriter(path, fh, position, memory);
    try {
      writer.hasher = inWorker ? new WorkerHasher(memory.buffer as SharedArrayBuffer, label, (e) => writer.fail(e)) : new InlineHasher();
      await writer.hasher.prefix(path, position);
    } catch (e) {
      await (writer.hasher as BlockHasher | undefined)?.close();
      await fh.close();
      throw e;
    }
    return writer;
  }

  /**
   * Copies a chunk into the ring. Returns a promise only when the caller must wait (the next block
   * is still being written or hashed); the next write must wait until it has settled.
   */
  write(chunk: Uint8Array): Promise<void> | undefined {
    if (this.error) throw this.error;
    if (this.closed) throw new Error(`${this.path}: written after it was closed`);
    this.size += chunk.length;
    return this.copy(chunk, 0);
  }

  /**
   * The free part of the current block, for a socket to read into directly (src/transfer/raw-get.ts),
   * or undefined when that block is still being written or hashed. Report what landed with landed().
   */
  space(): Uint8Array | undefined {
    if (this.error || this.closed || !this.free(this.slot)) return undefined;
    return this.memory.subarray(this.slot * BLOCK + this.fill, (this.slot + 1) * BLOCK);
  }

  /** `n` bytes were read into the view space() gave. Same contract as write(). */
  landed(n: number): Promise<void> | undefined {
    if (this.error) throw this.error;
    if (this.closed) throw new Error(`${this.path}: written after it was closed`);
    if (n > BLOCK - this.fill) throw new Error(`${this.path}: ${n} bytes landed in a block with ${BLOCK - this.fill} free`);
    this.size += n;
    this.fill += n;
    if (this.fill < BLOCK) return undefined;
    this.issue();
    const next = this.slot;
    return this.free(next) ? undefined : this.until(() => this.free(next), true);
  }

  private copy(chunk: Uint8Array, from: number): Promise<void> | undefined {
    let at = from;
    while (at < chunk.length) {
      const n = Math.min(BLOCK - this.fill, chunk.length - at);
      this.memory.set(chunk.subarray(at, at + n), this.slot * BLOCK + this.fill);
      this.fill += n;
      at += n;
      if (this.fill === BLOCK) {
        this.issue();
        const next = this.slot;
        if (!this.free(next)) {
          const rest = at;
          return this.until(() => this.free(next), true).then(() => this.copy(chunk, rest));
        }
      }
    }
    return undefined;
  }

  private free(slot: number): boolean {
    return this.writing[slot] === 0 && this.hashing[slot] === 0;
  }

  /** Hands the filled block to the disk and to the hasher, and moves to the next slot. */
  private issue(): void {
    if (this.fill === 0) return;
    const slot = this.slot;
    const view = this.memory.subarray(slot * BLOCK, slot * BLOCK + this.fill);
    const at = this.position;
    this.position += this.fill;
    this.fill = 0;
    this.slot = (slot + 1) % SLOTS;
    this.writing[slot] = 1;
    this.hashing[slot] = 1;
    this.hasher.update(view, () => {
      this.hashing[slot] = 0;
      this.wake();
    });
    this.pending.push({ slot, view, at });
    this.pump();
  }

  /**
   * Starts the queued block writes one block at a time: several blocks in flight only spin on the
   * file's inode lock (measured: it tripled the kernel time of a 1 GiB download). Each block goes
   * out in pieces (writeInPieces, where the piece size is measured).
   */
  private pump(): void {
    if (this.inFlight || this.pending.length === 0) return;
    const { slot, view, at } = this.pending.shift()!;
    this.inFlight = true;
    writeInPieces(this.fh, view, at).then(
      () => {
        this.inFlight = false;
        this.writing[slot] = 0;
        this.written(view.length);
        this.pump();
        this.wake();
      },
      (e: unknown) => {
        this.inFlight = false;
        this.writing[slot] = 0;
        // The file is broken: the queued blocks are not written (settle waits for unwritten() === 0).
        for (const queued of this.pending.splice(0)) this.writing[queued.slot] = 0;
        this.fail(e);
      },
    );
  }

  /** Starts a background fdatasync every flushEveryBytes, so the final fsync finds little dirty. */
  private written(bytes: number): void {
    const every = verifyingWriterTuning.flushEveryBytes;
    this.sinceFlush += bytes;
    if (every <= 0 || this.sinceFlush < every || this.flushing || this.closed) return;
    this.sinceFlush = 0;
    this.flushing = this.fh.datasync().then(
      () => {
        this.flushing = undefined;
      },
      (e: unknown) => {
        this.flushing = undefined;
        this.fail(e);
      },
    );
  }

  /** Blocks handed over for writing and not yet written (queued, or the one in flight). */
  private unwritten(): number {
    return this.pending.length + (this.inFlight ? 1 : 0);
  }

  /** The first failure of a write, a flush or the hasher (undefined while all is well). */
  get failure(): unknown {
    return this.error;
  }

  private fail(e: unknown): void {
    this.error ??= e;
    this.wake();
  }

  private until(ready: () => boolean, failFast: boolean): Promise<void> {
    if (failFast && this.error) return Promise.reject(this.error);
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiter = { ready, failFast, resolve, reject };
    });
  }

  private wake(): void {
    const w = this.waiter;
    if (!w) return;
    if (w.failFast && this.error) {
      this.waiter = undefined;
      w.reject(this.error);
    } else if (w.ready()) {
      this.waiter = undefined;
      w.resolve();
    }
  }

  private abandon(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(new Error(`${this.path}: closed while a write was waiting`));
  }

  /** Writes what is buffered, fsyncs and closes; returns the digest of everything submitted. */
  async finish(): Promise<{ sha256: string; size: number }> {
    const sha256 = await this.settle(true);
    return { sha256: sha256!, size: this.size };
  }

  /** Writes what is buffered, fsyncs and closes, keeping the file (a `.partial` to resume later). Safe more than once. */
  async close(): Promise<void> {
    if (!this.closed) await this.settle(false);
  }

  private async settle(digest: boolean): Promise<string | undefined> {
    if (this.closed) throw new Error(`${this.path}: already closed`);
    this.closed = true;
    // A write still waiting for a slot is abandoned (the caller stopped reading): it must not go on.
    this.abandon();
    try {
      if (!this.error) this.issue();
      // Writes only: a failed hasher never acknowledges, and a partial file is worth keeping anyway.
      await this.until(() => this.unwritten() === 0, false);
      await this.flushing;
      if (this.error) throw this.error;
      const synced = this.fh.sync().catch((e: unknown) => {
        this.fail(e);
        throw e;
      });
      const [, sha256] = await Promise.all([synced, digest ? this.hasher.digest() : undefined]);
      return sha256;
    } finally {
      await this.hasher.close();
      await this.fh.close();
    }
  }

  /** Closes and deletes the file (safe to call more than once, and after finish). */
  async discard(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.abandon();
      await this.until(() => this.unwritten() === 0, false);
      await this.flushing;
      await this.hasher.close();
      await this.fh.close().catch(() => undefined);
    }
    await rm(this.path, { force: true });
  }
}
