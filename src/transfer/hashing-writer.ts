/**
 * Streams bytes into a file while hashing them, so a multi-gigabyte file is read once and never held
 * in memory. Writes are coalesced into 1 MiB blocks (network chunks are often 16-64 KiB) and
 * double-buffered: one block is being written while the next one fills, so hashing, receiving and
 * writing overlap.
 */
import { createHash, type Hash } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { tmpName } from './durable-fs.js';

const BLOCK = 1 << 20;

export class HashingWriter {
  private block = Buffer.allocUnsafe(BLOCK);
  private spare = Buffer.allocUnsafe(BLOCK);
  private fill = 0;
  private pending: Promise<void> = Promise.resolve();
  private inFlight = false;
  private error: unknown;
  private closed = false;
  /** Bytes hashed so far (including a resumed prefix). */
  size: number;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private position: number,
    private readonly hash: Hash,
  ) {
    this.size = position;
  }

  /** A new file with a fresh random name in `tmpDir`. */
  static async create(tmpDir: string): Promise<HashingWriter> {
    const path = tmpName(tmpDir);
    return new HashingWriter(path, await open(path, 'wx', 0o600), 0, createHash('sha256'));
  }

  /**
   * Continues a file: `hash` has already seen its first `position` bytes and writing resumes there
   * (position 0 truncates).
   */
  static async resume(path: string, position: number, hash: Hash): Promise<HashingWriter> {
    return new HashingWriter(path, await open(path, position === 0 ? 'w' : 'r+', 0o600), position, hash);
  }

  /**
   * Hashes and buffers a chunk. Returns a promise only when the caller must wait (both blocks are
   * busy); otherwise nothing, so a 64 KiB network chunk costs no promise round trip. The next
   * write must wait until a returned promise has settled.
   */
  write(chunk: Uint8Array): Promise<void> | undefined {
    if (this.error) throw this.error;
    this.hash.update(chunk);
    this.size += chunk.length;
    return this.copy(chunk, 0);
  }

  private copy(chunk: Uint8Array, from: number): Promise<void> | undefined {
    let at = from;
    while (at < chunk.length) {
      const n = Math.min(BLOCK - this.fill, chunk.length - at);
      this.block.set(chunk.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
      if (this.fill === BLOCK) {
        if (this.inFlight) {
          const rest = at;
          return this.pending.then(() => {
            if (this.error) throw this.error;
            this.issue();
            return this.copy(chunk, rest);
          });
        }
        this.issue();
      }
    }
    return undefined;
  }

  /** Hands the filled block to the disk and swaps to the other one (the previous write has completed). */
  private issue(): void {
    if (this.fill === 0) return;
    const full = this.block.subarray(0, this.fill);
    [this.block, this.spare] = [this.spare, this.block];
    this.fill = 0;
    const at = this.position;
    this.position += full.length;
    this.inFlight = true;
    // Never rejects: a write error is kept and thrown at the next write or at close.
    this.pending = writeInPieces(this.fh, full, at).then(
      () => {
        this.inFlight = false;
      },
      (e: unknown) => {
        this.inFlight = false;
        this.error ??= e;
      },
    );
  }

  /** Writes what is buffered, fsyncs and closes; returns the digest of everything written. */
  async finish(): Promise<{ sha256: string; size: number }> {
    await this.close();
    return { sha256: this.hash.digest('hex'), size: this.size };
  }

  /** Writes what is buffered, fsyncs and closes, keeping the file (e.g. a `.partial` to resume later). */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      // A write abandoned half-way (the caller stopped waiting) may still issue a block: let it.
      while (this.inFlight) await this.pending;
      if (!this.error) this.issue();
      while (this.inFlight) await this.pending;
      if (this.error) throw this.error;
      await this.fh.sync();
    } finally {
      this.closed = true;
      await this.fh.close();
    }
  }

  /** Closes and deletes the file (safe to call more than once, and after finish). */
  async discard(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.pending;
      await this.fh.close().catch(() => undefined);
    }
    await rm(this.path, { force: true });
  }
}

/** Tunable (the tests lower it to write in odd-sized pieces). */
export const writePieceTuning = {
  /**
   * A block of a streamed file is written as pieces of this many bytes, all handed to the thread
   * pool at once (writeInPieces). Measured on the quiet 2-core VM (`node bench/dp.bench.mjs`;
   * docs/benchmarks.md, "The DP download after idle time"): a 1 MiB pwrite makes the page cache
   * take large folios, whose memory the hypervisor has reclaimed after a few idle seconds (free
   * page reporting), so each faults on the host — 1.2 s of kernel time per GiB written against
   * 0.25 s for 128 KiB writes, idle or not.
   */
  bytes: 128 << 10,
};

/**
 * Writes all of buf at position as writePieceTuning.bytes pieces at once. Settles only when every
 * piece has (the caller may then reuse buf), rejecting with the first failure.
 */
export async function writeInPieces(fh: FileHandle, buf: Uint8Array, position: number): Promise<void> {
  const size = Math.max(4096, writePieceTuning.bytes);
  const pieces: Promise<void>[] = [];
  for (let from = 0; from < buf.length; from += size) pieces.push(writeAll(fh, buf.subarray(from, from + size), position + from));
  const failed = (await Promise.allSettled(pieces)).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Writes all of buf at position (a positional write may write less than asked). */
export async function writeAll(fh: FileHandle, buf: Uint8Array, position: number): Promise<void> {
  let at = 0;
  while (at < buf.length) {
    const { bytesWritten } = await fh.write(buf, at, buf.length - at, position + at);
    at += bytesWritten;
  }
}
