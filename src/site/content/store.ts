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
import { createReadStream, type ReadStream } from 'node:fs';
import { lstat, mkdir, readdir, realpath, rename, rm, stat, utimes } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { checkPathsCoexist, validateContentPath } from './content-path.js';
import { fsyncDir } from './durable-fs.js';
import { ContentError, ContentHashMismatchError, ContentTooLargeError } from './errors.js';
import { checkSha256, isSha256, makeManifest, type ContentFile, type ContentManifest } from './hash.js';
import { HashingWriter } from './hashing-writer.js';
import { pump } from './pump.js';
import { listSourceFiles } from './source-walk.js';
import { processAlive } from '../../machine/process-alive.js';

export { manifestHash, type ContentFile, type ContentManifest } from './hash.js';
export { validateContentPath } from './content-path.js';

const READ_CHUNK = 1 << 20;

export interface ImportOptions {
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  /** Refuse sources larger than this many bytes in total (ContentTooLargeError, 413). */
  maxBytes?: number;
  signal?: AbortSignal;
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

  private constructor(readonly root: string) {
    this.blobsDir = join(root, 'blobs');
    this.tmpDir = join(root, 'tmp', `${hostname()}.${process.pid}.${randomBytes(4).toString('hex')}`);
  }

  static async open(root: string): Promise<ContentStore> {
    const store = new ContentStore(resolve(root));
    await mkdir(store.blobsDir, { recursive: true });
    await removeAbandonedTmp(join(store.root, 'tmp'));
    await mkdir(store.tmpDir, { recursive: true });
    return store;
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
    const entries = top.isFile()
      ? [{ abs: await realpath(input), path: validateContentPath(basename(input), input), size: top.size }]
      : await listSourceFiles(input);
    checkPathsCoexist(
      entries.map((e) => e.path),
      input,
    );
    const totalBytes = entries.reduce((n, e) => n + e.size, 0);
    if (opts.maxBytes !== undefined && totalBytes > opts.maxBytes) throw new ContentTooLargeError(input, opts.maxBytes, totalBytes);
    let doneBytes = 0;
    opts.onProgress?.(0, totalBytes);
    const files: ContentFile[] = [];
    for (const e of entries) {
      opts.signal?.throwIfAborted();
      const before = doneBytes;
      const blob = await this.putBlob(createReadStream(e.abs, { highWaterMark: READ_CHUNK }), {
        input: e.abs,
        // A file that grows while we read it must not slip past the limit.
        maxBytes: opts.maxBytes === undefined ? undefined : opts.maxBytes - before,
        signal: opts.signal,
        onBytes: (n) => {
          doneBytes = before + n;
          opts.onProgress?.(doneBytes, totalBytes);
        },
      });
      files.push({ path: e.path, size: blob.size, sha256: blob.sha256 });
    }
    return makeManifest(files);
  }

  /** Imports one file arriving as a stream (an HTTP upload). The path is checked before a byte is read. */
  async importStream(path: string, body: NodeJS.ReadableStream | AsyncIterable<Uint8Array>, opts: { maxBytes: number; signal?: AbortSignal }): Promise<ContentFile> {
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
    body: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
    opts: { input?: string; expectedSha256?: string; maxBytes?: number; signal?: AbortSignal; onBytes?: (n: number) => void } = {},
  ): Promise<PutBlobResult> {
    const input = opts.input ?? 'blob upload';
    if (opts.expectedSha256 !== undefined) checkSha256(opts.expectedSha256, input);
    const writer = await HashingWriter.create(this.tmpDir);
    try {
      await pump(body, (bytes) => {
        opts.signal?.throwIfAborted();
        if (opts.maxBytes !== undefined && writer.size + bytes.length > opts.maxBytes) {
          throw new ContentTooLargeError(input, opts.maxBytes);
        }
        const wait = writer.write(bytes);
        opts.onBytes?.(writer.size);
        return wait;
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
      await mkdir(dir);
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

async function statSource(input: string) {
  try {
    const st = await stat(input);
    if (st.isFile() || st.isDirectory()) return st;
    throw new ContentError({ code: 'content-source-invalid', status: 400, input, rule: 'is neither a file nor a folder', hint: 'import a regular file or a folder of files' });
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
    throw e;
  }
}
