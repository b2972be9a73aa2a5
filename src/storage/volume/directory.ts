/**
 * A Volume that is a plain local directory: the fast back end for tests and dry runs, and what a
 * mounted real volume is. Metadata is what Linux keeps: times (creation is read, never set —
 * Linux cannot), `readonly` as a file without write permission; `hidden`, `system` and `archive`
 * are not kept here (the NTFS back end keeps all four).
 */
import {
  open as openCb,
  write as writeCb,
  closeSync,
  createWriteStream,
  fchmodSync,
  fstatSync,
  futimesSync,
  linkSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { chmod, cp, lstat, mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { refused, WIN32 } from '../errors.js';
import { msFromNs, utimeSeconds } from './times.js';
import { type FileAttribute, type FileMeta, folderNotFound, splitVolumePath, VolumeError, type Volume, type VolumeEntry, type WriteMeta } from './volume.js';

export class DirectoryVolume implements Volume {
  readonly root: string;
  readonly description: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.description = `directory ${this.root}`;
  }

  private local(path: string): string {
    return join(this.root, ...splitVolumePath(path, this.description));
  }

  /** A volume path's path on this host (for a native helper that reads or writes the files itself). */
  hostPath(path: string): string {
    return this.local(path);
  }

  async exists(path: string): Promise<boolean> {
    try {
      await stat(this.local(path));
      return true;
    } catch {
      return false;
    }
  }

  async readFile(path: string): Promise<Buffer> {
    const p = this.local(path);
    const s = await stat(p).catch(() => undefined);
    if (!s) throw new VolumeError('not-found', this.description, path, `${this.description}: ${path} does not exist`);
    if (s.isDirectory()) throw new VolumeError('not-a-file', this.description, path, `${this.description}: ${path} is a directory, not a file`);
    return readFile(p);
  }

  async writeFile(path: string, data: Buffer | string): Promise<void> {
    const p = this.local(path);
    if (p === this.root) throw new VolumeError('not-a-file', this.description, path, `${this.description}: cannot write a file over the root`);
    await this.mkdirp(relative(this.root, dirname(p)));
    try {
      await writeFile(p, data);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EISDIR') {
        throw new VolumeError('not-a-file', this.description, path, `${this.description}: ${path} is a directory; cannot write a file over it`);
      }
      throw e;
    }
  }

  async copyIn(localPath: string, path: string): Promise<void> {
    const p = this.local(path);
    const s = await stat(localPath);
    if (!s.isDirectory()) await mkdir(dirname(p), { recursive: true });
    await cp(localPath, p, { recursive: true, force: true, dereference: true });
  }

  async mkdirp(path: string): Promise<void> {
    const p = this.local(path);
    try {
      await mkdir(p, { recursive: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTDIR') {
        throw new VolumeError('not-a-directory', this.description, path, `${this.description}: cannot create ${path}: a file is in the way`);
      }
      throw e;
    }
  }

  async list(path: string): Promise<VolumeEntry[]> {
    const p = this.local(path);
    const s = await stat(p).catch(() => undefined);
    if (!s) throw folderNotFound(this.description, path);
    if (!s.isDirectory()) throw new VolumeError('not-a-directory', this.description, path, `${this.description}: ${path} is a file, not a directory`);
    const entries = await readdir(p);
    const out: VolumeEntry[] = [];
    for (const name of entries) {
      const es = await stat(join(p, name)).catch(() => undefined);
      if (!es) continue; // a dangling symlink
      out.push({ name, type: es.isDirectory() ? 'directory' : 'file', size: es.isDirectory() ? 0 : es.size });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async flush(): Promise<void> {
    // Writes go straight to the directory.
  }

  async stat(path: string): Promise<FileMeta | undefined> {
    const parts = splitVolumePath(path, this.description);
    // Synchronous: microseconds on a local file system, where an awaited lstat is a thread-pool round trip.
    const s = lstatQuiet(join(this.root, ...parts));
    return s && metaOf(parts.join('/'), s);
  }

  async *walk(path: string): AsyncIterable<FileMeta> {
    const parts = splitVolumePath(path, this.description);
    const top = await lstat(join(this.root, ...parts)).catch(() => undefined);
    if (!top) throw folderNotFound(this.description, path);
    if (!top.isDirectory()) throw new VolumeError('not-a-directory', this.description, path, `${this.description}: ${path} is a file, not a directory`);
    // Depth first without recursion: a deep tree cannot overflow the stack. A folder is listed and
    // its entries lstat'ed synchronously: a few microseconds each on a local file system, where an
    // awaited lstat per entry costs a thread-pool round trip (and, on a busy 2-core machine, a
    // context switch) — the walk of thousands of files was a large part of a capture's time.
    const stack: string[][] = [parts];
    while (stack.length > 0) {
      const dir = stack.pop() as string[];
      const base = join(this.root, ...dir);
      const names = readdirSync(base).sort();
      const subdirs: string[][] = [];
      const metas: FileMeta[] = [];
      for (const name of names) {
        const s = lstatQuiet(join(base, name));
        if (!s) continue;
        const meta = metaOf(dir.length ? `${dir.join('/')}/${name}` : name, s);
        metas.push(meta);
        if (meta.type === 'directory') subdirs.push([...dir, name]);
      }
      yield* metas;
      for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i] as string[]);
    }
  }

  async openRead(path: string): Promise<Readable> {
    const p = this.local(path);
    // open + fstat synchronously (microseconds on a local file system; an awaited call is a
    // thread-pool round trip each), then the bytes in reads of at most 1 MiB.
    let fd: number;
    try {
      fd = openSync(p, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new VolumeError('not-found', this.description, path, `${this.description}: ${path} does not exist`);
      throw e;
    }
    let size: number;
    try {
      const s = fstatSync(fd);
      if (s.isDirectory()) throw new VolumeError('not-a-file', this.description, path, `${this.description}: ${path} is a directory, not a file`);
      size = s.size;
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    // A small file in one read of its size (no 1 MiB buffer to allocate, fill partly and copy).
    return Readable.from(readChunks(fd, size), { objectMode: false });
  }

  async writeStream(path: string, source: Readable | AsyncIterable<Buffer>, meta?: WriteMeta): Promise<void> {
    const p = this.local(path);
    if (p === this.root) throw new VolumeError('not-a-file', this.description, path, `${this.description}: cannot write a file over the root`);
    // A new file in a folder that exists (a restore's usual case): open (exclusive) on the thread
    // pool — creating the inode is the costly part, and it overlaps the caller's work on the next
    // file — then the writes, the times and close on the descriptor synchronously: no mkdir, lstat
    // or path look-ups, and no thread-pool round trip for each (every one cost a context switch
    // on a busy 2-core machine). Anything else: the long way.
    let fd: number | undefined;
    try {
      fd = await openAsync(p, 'wx');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EEXIST' && code !== 'ENOTDIR') throw e;
    }
    if (fd === undefined) {
      await this.mkdirp(relative(this.root, dirname(p)));
      const existing = await lstat(p).catch(() => undefined);
      if (existing?.isDirectory())
        throw new VolumeError('not-a-file', this.description, path, `${this.description}: ${path} is a directory; cannot write a file over it`);
      if (existing && (existing.mode & 0o200) === 0) await chmod(p, existing.mode | 0o200); // replacing a read-only file, as a copy does
      await pipeline(source instanceof Readable ? source : Readable.from(source), createWriteStream(p));
      if (meta) await this.setMeta(path, meta);
      return;
    }
    try {
      for await (const chunk of source as AsyncIterable<Buffer | string>) {
        const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        // A large piece is copied into the page cache on the pool (while the caller decodes the
        // next file); a small one here (the hand-over would cost more than the copy).
        if (b.length >= ASYNC_WRITE_BYTES) for (let at = 0; at < b.length;) at += (await writeAsync(fd, b, at, b.length - at)).bytesWritten;
        else for (let at = 0; at < b.length;) at += writeSync(fd, b, at, b.length - at);
      }
      if (meta?.modifiedMs !== undefined && meta.accessedMs !== undefined) futimesSync(fd, utimeSeconds(meta.accessedMs), utimeSeconds(meta.modifiedMs));
      if (meta?.attributes?.includes('readonly')) fchmodSync(fd, fstatSync(fd).mode & ~0o222);
    } finally {
      closeSync(fd);
    }
    if (meta && (meta.modifiedMs !== undefined || meta.accessedMs !== undefined) && (meta.modifiedMs === undefined || meta.accessedMs === undefined))
      await this.setMeta(path, { modifiedMs: meta.modifiedMs, accessedMs: meta.accessedMs });
  }

  async setMeta(path: string, meta: WriteMeta): Promise<void> {
    const p = this.local(path);
    const s = await lstat(p, { bigint: true }).catch(() => undefined);
    if (!s) throw new VolumeError('not-found', this.description, path, `${this.description}: ${path} does not exist`);
    if (meta.modifiedMs !== undefined || meta.accessedMs !== undefined) {
      const m = meta.modifiedMs ?? msFromNs(s.mtimeNs);
      const a = meta.accessedMs ?? msFromNs(s.atimeNs);
      await utimes(p, utimeSeconds(a), utimeSeconds(m));
    }
    if (meta.attributes && !s.isDirectory()) {
      const readonly = meta.attributes.includes('readonly');
      const mode = Number(s.mode);
      await chmod(p, readonly ? mode & ~0o222 : mode | 0o200);
    }
  }

  async link(existing: string, newPath: string): Promise<void> {
    const from = this.local(existing);
    const to = this.local(newPath);
    // Synchronous, as stat and walk: each call is a few microseconds on a local file system, where
    // each awaited call is a thread-pool round trip (the hard-link capture of 6,000 files took 2.6 s
    // with five awaited calls per file, 0.1 s like this; bench/userstate.bench.mjs).
    const s = lstatQuiet(from);
    if (!s) throw new VolumeError('not-found', this.description, existing, `${this.description}: ${existing} does not exist`);
    if (!s.isFile()) throw refused(`${this.description}: ${existing} is not a file; only files have hard links`, WIN32.accessDenied);
    const parent = dirname(to);
    if (!this.linkFolders.has(parent)) {
      await this.mkdirp(relative(this.root, parent));
      this.linkFolders.add(parent);
    }
    try {
      linkSync(from, to);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && this.linkFolders.delete(parent)) return this.link(existing, newPath); // the folder went away since
      if (code !== 'EEXIST') throw e;
      const t = lstatQuiet(to);
      if (t?.isDirectory())
        throw new VolumeError('not-a-file', this.description, newPath, `${this.description}: ${newPath} is a directory; cannot link a file over it`);
      unlinkSync(to);
      linkSync(from, to);
    }
  }
  /** Folders this volume made or found for links (link's mkdirp once per folder, not once per file). */
  private readonly linkFolders = new Set<string>();

  async remove(path: string): Promise<void> {
    const p = this.local(path);
    if (p === this.root) throw refused(`${this.description}: the root cannot be removed`, WIN32.accessDenied);
    await rm(p, { recursive: true, force: true });
  }
}

const openAsync = promisify(openCb);
const writeAsync = promisify(writeCb);
/** Pieces at least this large are written on the thread pool. */
const ASYNC_WRITE_BYTES = 64 * 1024;

/** lstat, synchronously; undefined for anything that is not there (ENOENT, ENOTDIR, …), as `lstat(…).catch(() => undefined)`. */
function lstatQuiet(p: string): BigIntStats | undefined {
  try {
    // bigint: the times' nanoseconds (times.ts); the sizes fit a number to 8 PiB.
    return lstatSync(p, { throwIfNoEntry: false, bigint: true });
  } catch {
    return undefined;
  }
}

/** Reads of a file's bytes: at most 1 MiB (a reader never has more than a piece or two ahead). */
const READ_CHUNK = 1 << 20;

/** A file's bytes from an open descriptor: `size` bytes (as fstat said at open), in synchronous reads of at most READ_CHUNK; the descriptor closed at the end or when the reader stops. */
async function* readChunks(fd: number, size: number): AsyncGenerator<Buffer> {
  try {
    let left = size;
    while (left > 0) {
      const buf = Buffer.allocUnsafe(Math.min(left, READ_CHUNK));
      const bytesRead = readSync(fd, buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      left -= bytesRead;
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    closeSync(fd);
  }
}

function metaOf(path: string, s: BigIntStats): FileMeta {
  const type = s.isDirectory() ? 'directory' : s.isFile() ? 'file' : 'other';
  const attributes: FileAttribute[] = [];
  if (type === 'file' && (s.mode & 0o222n) === 0n) attributes.push('readonly');
  return {
    path,
    type,
    size: type === 'file' ? Number(s.size) : 0,
    createdMs: s.birthtimeNs > 0n ? msFromNs(s.birthtimeNs) : undefined,
    modifiedMs: msFromNs(s.mtimeNs),
    accessedMs: msFromNs(s.atimeNs),
    attributes,
    links: Number(s.nlink),
    fileId: `${s.dev}:${s.ino}`,
  };
}
