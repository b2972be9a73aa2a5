/**
 * The content library on disk: blobs named by their SHA-256 under root/blobs/ab/abcdef…, imported
 * through root/tmp/. No database here — the site layer records which blobs make up which package
 * and where they are distributed; this file only guarantees that a blob on disk is complete and is
 * what its name says.
 *
 * Crash safety: a blob is written to root/tmp/<host>.<pid>.<random>/<random>, fsync'd, renamed into
 * place and its folder fsync'd, so after a crash there is either nothing or a complete blob. Each
 * process has its own folder under tmp/, so several servers can share one library (scale-out on
 * shared storage): `open` deletes the folders of processes of this host that are gone, folders of
 * other hosts only when they are a day old, and anything else found in tmp/.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { constants, createReadStream, type ReadStream } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, realpath, rename, rm, stat, statfs, utimes } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { checkPathsCoexist, validateContentPath } from './content-path.js';
import { fsyncDir } from '../../transfer/durable-fs.js';
import { ContentError, ContentHashMismatchError, ContentTooLargeError, sourceReadError } from './errors.js';
import { nextSteps } from '../next-steps.js';
import { checkSha256, isSha256, makeManifest, type ContentFile, type ContentManifest } from '../../transfer/hash.js';
import { HashingWriter } from '../../transfer/hashing-writer.js';
import { pump } from '../../transfer/pump.js';
import { listSourceFiles } from './source-walk.js';
import { processAlive } from '../../storage/process-alive.js';

export { manifestHash, type ContentFile, type ContentManifest } from '../../transfer/hash.js';
export { validateContentPath } from './content-path.js';

const READ_CHUNK = 1 << 20;

export interface ImportOptions {
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  /** Refuse sources larger than this many bytes in total (ContentTooLargeError, 413). */
  maxBytes?: number;
  signal?: AbortSignal;
  /**
   * Called with the real path of each source file as it is opened (links resolved by the kernel,
   * not by a check that could be raced), before a byte is read; throws to refuse the file.
   */
  confine?: (realPath: string, input: string) => void;
}

/** The most files one content may hold (its manifest is one database row). */
export const MAX_CONTENT_FILES = 100_000;
/** Space the library leaves free on its disk: an import that would eat into it is refused (507). */
export const DEFAULT_MIN_FREE_BYTES = 1024 ** 3;
/** How often a stream of unknown length re-checks the free space while it writes. */
const SPACE_CHECK_EVERY = 64 * 1024 ** 2;

export interface ContentStoreOptions {
  /** Bytes that must stay free on the library's disk after an import; default 1 GiB. */
  minFreeBytes?: number;
}

export interface PutBlobResult {
  sha256: string;
  size: number;
  /** False when the store already held the blob (the new copy was dropped, the old one kept). */
  created: boolean;
}

export class ContentStore {
  private readonly blobsDir: string;
  readonly tmpDir: string;

  /** Bytes promised to imports running now, so two of them cannot both take the last free space. */
  private reserved = 0;
  private readonly minFreeBytes: number;

  private constructor(
    readonly root: string,
    options: ContentStoreOptions,
  ) {
    this.blobsDir = join(root, 'blobs');
    this.tmpDir = join(root, 'tmp', `${hostname()}.${process.pid}.${randomBytes(4).toString('hex')}`);
    this.minFreeBytes = options.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES;
  }

  static async open(root: string, options: ContentStoreOptions = {}): Promise<ContentStore> {
    const store = new ContentStore(resolve(root), options);
    // Owner-only, whatever the umask: the library is the site's data (issue 10 §7).
    await mkdir(store.blobsDir, { recursive: true, mode: 0o700 });
    await removeAbandonedTmp(join(store.root, 'tmp'));
    await mkdir(store.tmpDir, { recursive: true, mode: 0o700 });
    return store;
  }

  /** Bytes an import may still write: the disk's free space less the reserve and what running imports hold. */
  async availableBytes(): Promise<number> {
    const fs = await statfs(this.root);
    return Math.max(0, fs.bavail * fs.bsize - this.minFreeBytes - this.reserved);
  }

  /**
   * Promises `bytes` of the library's disk to one import, or refuses (507) when the disk cannot
   * hold them; the returned function gives them back.
   */
  async reserve(bytes: number, input: string): Promise<() => void> {
    const available = await this.availableBytes();
    if (bytes > available) throw noSpace(input, bytes, available);
    this.reserved += bytes;
    let released = false;
    return () => {
      if (!released) this.reserved -= bytes;
      released = true;
    };
  }

  /** root/blobs/ab/abcdef… for a valid lowercase SHA-256; anything else is refused (no path is built from it). */
  blobPath(sha256: string): string {
    checkSha256(sha256, 'blob hash');
    return join(this.blobsDir, sha256.slice(0, 2), sha256);
  }

  async has(sha256: string): Promise<boolean> {
    try {
      return (await stat(this.blobPath(sha256))).isFile();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  /** Size of a blob in bytes, or undefined if the store does not hold it. */
  async blobSize(sha256: string): Promise<number | undefined> {
    try {
      return (await stat(this.blobPath(sha256))).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** A stream of a blob's bytes; `range` is inclusive at both ends, as in HTTP. */
  createReadStream(sha256: string, range?: { start: number; end: number }): ReadStream {
    return createReadStream(this.blobPath(sha256), { highWaterMark: READ_CHUNK, ...(range ? { start: range.start, end: range.end } : {}) });
  }

  /** Rehashes a blob; false if it is missing or its bytes no longer match its name. */
  async verify(sha256: string): Promise<boolean> {
    const hash = createHash('sha256');
    try {
      for await (const chunk of this.createReadStream(sha256)) hash.update(chunk as Buffer);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    return hash.digest('hex') === sha256;
  }

  /** Deletes blobs (the caller has decided nothing refers to them); returns how many existed. */
  async remove(hashes: Iterable<string>): Promise<number> {
    let removed = 0;
    const dirs = new Set<string>();
    for (const h of hashes) {
      const p = this.blobPath(h);
      try {
        await rm(p);
        removed++;
        dirs.add(join(p, '..'));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    for (const d of dirs) await fsyncDir(d);
    return removed;
  }

  async *listBlobs(): AsyncIterable<string> {
    for (const prefix of (await readdir(this.blobsDir)).sort()) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      let names: string[];
      try {
        names = await readdir(join(this.blobsDir, prefix));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
        throw e;
      }
      for (const name of names.sort()) if (isSha256(name) && name.startsWith(prefix)) yield name;
    }
  }

  /**
   * Imports a file (a manifest with one entry named after it) or a folder (every file below it, by
   * its relative path). Symbolic links inside a folder are refused: they could point outside the
   * source, and Windows clients could not recreate them anyway. Empty sub-folders are not content.
   */
  async importPath(source: string, opts: ImportOptions = {}): Promise<ContentManifest> {
    const input = resolve(source);
    const top = await statSource(input);
    // The source itself may be a link (to a share, say): it is resolved here, and what lies below
    // it is checked file by file as it is opened.
    const real = await realpath(input).catch((e: unknown) => {
      throw sourceReadError(e, input);
    });
    const entries = top.isFile()
      ? [{ abs: real, path: validateContentPath(basename(input), input), size: top.size }]
      : await listSourceFiles(real, MAX_CONTENT_FILES);
    checkPathsCoexist(
      entries.map((e) => e.path),
      input,
    );
    const totalBytes = entries.reduce((n, e) => n + e.size, 0);
    // Sizes are known before a byte is copied: an import the limit or the disk cannot take is
    // refused at once (a sparse 70 GB file costs a stat, not a full disk).
    if (opts.maxBytes !== undefined && totalBytes > opts.maxBytes) throw new ContentTooLargeError(input, opts.maxBytes, totalBytes);
    const release = await this.reserve(totalBytes, input);
    try {
      let doneBytes = 0;
      opts.onProgress?.(0, totalBytes);
      const files: ContentFile[] = [];
      for (const e of entries) {
        opts.signal?.throwIfAborted();
        const before = doneBytes;
        const blob = await this.putBlob(() => openSourceFile(e.abs, opts.confine), {
          input: e.abs,
          // A file that grows while we read it must not slip past the limit, nor past what was reserved.
          maxBytes: Math.min(opts.maxBytes ?? Infinity, totalBytes) - before,
          signal: opts.signal,
          onBytes: (n) => {
            doneBytes = before + n;
            opts.onProgress?.(doneBytes, totalBytes);
          },
        }).catch((err: unknown) => {
          throw sourceReadError(err, e.abs);
        });
        files.push({ path: e.path, size: blob.size, sha256: blob.sha256 });
      }
      return makeManifest(files);
    } finally {
      release();
    }
  }

  /** Imports one file arriving as a stream (an HTTP upload). The path is checked before a byte is read. */
  async importStream(
    path: string,
    body: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
    opts: { maxBytes: number; signal?: AbortSignal },
  ): Promise<ContentFile> {
    const normal = validateContentPath(path, 'uploaded file path');
    const blob = await this.putBlob(body, { input: `upload of ${JSON.stringify(normal)}`, maxBytes: opts.maxBytes, signal: opts.signal });
    return { path: normal, size: blob.size, sha256: blob.sha256 };
  }

  /**
   * Streams bytes into the store. With `expectedSha256` (a distribution point receiving a push) a
   * mismatch throws ContentHashMismatchError (0x80091007) and stores nothing. Over `maxBytes` throws
   * ContentTooLargeError and stores nothing. A blob already present is kept as it is, not rewritten.
   */
  async putBlob(
    source: NodeJS.ReadableStream | AsyncIterable<Uint8Array> | (() => Promise<NodeJS.ReadableStream>),
    opts: { input?: string; expectedSha256?: string; maxBytes?: number; signal?: AbortSignal; onBytes?: (n: number) => void } = {},
  ): Promise<PutBlobResult> {
    const input = opts.input ?? 'blob upload';
    if (opts.expectedSha256 !== undefined) checkSha256(opts.expectedSha256, input);
    const writer = await HashingWriter.create(this.tmpDir);
    try {
      // A stream is opened only once there is somewhere to put its bytes: one that failed to open
      // while nobody listened would emit an 'error' event nothing handles, and stop the process.
      const body = typeof source === 'function' ? await source() : source;
      let nextSpaceCheck = SPACE_CHECK_EVERY;
      await pump(body, (bytes) => {
        opts.signal?.throwIfAborted();
        if (opts.maxBytes !== undefined && writer.size + bytes.length > opts.maxBytes) {
          throw new ContentTooLargeError(input, opts.maxBytes);
        }
        const wait = writer.write(bytes);
        opts.onBytes?.(writer.size);
        if (writer.size < nextSpaceCheck) return wait;
        // A stream of unknown length (an upload without Content-Length, a push) re-checks the disk.
        nextSpaceCheck = writer.size + SPACE_CHECK_EVERY;
        return Promise.all([wait, this.availableBytes()]).then(([, free]) => {
          if (free < SPACE_CHECK_EVERY) throw noSpace(input, writer.size + SPACE_CHECK_EVERY, free);
        });
      });
      opts.signal?.throwIfAborted();
      const { sha256, size } = await writer.finish();
      if (opts.expectedSha256 !== undefined && sha256 !== opts.expectedSha256) {
        throw new ContentHashMismatchError(input, { sha256: opts.expectedSha256 }, { sha256, size });
      }
      const created = await this.commit(writer.path, sha256);
      return { sha256, size, created };
    } finally {
      // After a commit the temporary name is gone already; otherwise this is the cleanup.
      await writer.discard();
    }
  }

  /**
   * Moves a complete, fsync'd temporary file to its blob name unless the blob exists already. An
   * existing blob is not rewritten, only its mtime refreshed: a garbage collector that spares young
   * blobs (an import about to be recorded) then also spares one this import just reused.
   */
  private async commit(tmpPath: string, sha256: string): Promise<boolean> {
    const dest = this.blobPath(sha256);
    if (await this.has(sha256)) {
      const now = new Date();
      await utimes(dest, now, now).catch(() => undefined);
      return false;
    }
    const dir = join(dest, '..');
    let newDir = false;
    try {
      await mkdir(dir, { mode: 0o700 });
      newDir = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (newDir) await fsyncDir(this.blobsDir);
    await rename(tmpPath, dest);
    await fsyncDir(dir);
    return true;
  }
}

const OTHER_HOST_TMP_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** Whatever an interrupted import left: never a blob anyone refers to (see the header). */
async function removeAbandonedTmp(tmpRoot: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(tmpRoot);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const host = hostname();
  for (const name of entries) {
    const m = /^(.+)\.(\d+)\.[0-9a-f]{8}$/.exec(name);
    let abandoned = true;
    if (m && m[1] === host) abandoned = !processAlive(Number(m[2]));
    else if (m) abandoned = Date.now() - (await stat(join(tmpRoot, name))).mtimeMs > OTHER_HOST_TMP_MAX_AGE_MS;
    if (abandoned) await rm(join(tmpRoot, name), { recursive: true, force: true });
  }
}

function noSpace(input: string, bytes: number, available: number): ContentError {
  return new ContentError({
    code: 'content-no-space',
    status: 507,
    input,
    rule: `needs ${bytes} bytes, and the content library's disk has ${available} bytes to spare (it keeps a reserve free)`,
    hint: 'free space on the server, or remove the content nothing uses',
    details: nextSteps('collect-garbage'),
  });
}

/**
 * Opens a source file for reading: not through a symbolic link (O_NOFOLLOW), never blocking on a
 * FIFO (O_NONBLOCK), refusing anything but a regular file, and confined by the path the kernel
 * actually opened (so a folder swapped for a link after the checks is still caught).
 */
async function openSourceFile(abs: string, confine?: (realPath: string, input: string) => void): Promise<NodeJS.ReadableStream> {
  const fh = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      throw new ContentError({
        code: 'content-source-invalid',
        status: 400,
        input: abs,
        rule: `is not a regular file (${fileKind(st)})`,
        hint: 'content is made of regular files and folders only',
      });
    }
    if (confine) confine(await readlink(`/proc/self/fd/${fh.fd}`).catch(() => abs), abs);
    return fh.createReadStream({ highWaterMark: READ_CHUNK });
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e;
  }
}

function fileKind(st: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSymbolicLink(): boolean;
}): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

async function statSource(input: string) {
  try {
    const st = await stat(input);
    if (st.isFile() || st.isDirectory()) return st;
    throw new ContentError({
      code: 'content-source-invalid',
      status: 400,
      input,
      rule: `is neither a file nor a folder (${fileKind(st)})`,
      hint: 'import a regular file or a folder of files',
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') {
      const dangling = await lstat(input).then(
        (s) => s.isSymbolicLink(),
        () => false,
      );
      throw new ContentError({
        code: 'content-source-missing',
        status: 404,
        input,
        rule: dangling ? 'is a symbolic link to nothing' : 'does not exist',
        hint: 'check the content source path (it must be readable by the site server)',
      });
    }
    throw sourceReadError(e, input);
  }
}
