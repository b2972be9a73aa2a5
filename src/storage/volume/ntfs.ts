/**
 * An NTFS partition of a disk image. The ntfs-3g tools only work on a whole file, so the volume keeps
 * a side image holding exactly the partition's bytes, reads and edits it with the native `ntfsfs`
 * helper (libntfs-3g, toolchain.md §3.4: one batch session serves many requests; ntfsfs.ts), and
 * flush() splices it back at the partition's offset (§3.2, §3.3: the side image must be spliced back
 * after every offline change).
 *
 * wimlib can apply an image straight into `sideImagePath` (NTFS-3G mode); flush() notices that the
 * side image changed and splices it.
 *
 * - Keep one NtfsVolume per partition and work folder: the side image's name comes from the disk's
 *   file name and the partition number.
 * - In place (`formatInPlace`, `openInPlace`): the partition itself — a block device node such as
 *   /dev/vda3 in the boot environment, or a file holding exactly the partition's bytes — is what
 *   mkntfs, the helper and wimlib open; there is no side image and nothing to splice (flush ends the
 *   helper's session, which unmounts and so writes everything to the device).
 * - Direct (`format`/`open` with `{ direct: true }`, what the lab uses): the partition's byte range
 *   of the disk image itself, through the offsetio shim (offsetio.ts): every tool runs under it and
 *   is given an empty placeholder path it maps onto the range. Like in place: no side image, nothing
 *   to copy in on open or splice back on flush. Without the shim (not built), a warning says so
 *   once and the volume uses a side image as before.
 * - Names match regardless of case, like Windows (an exact match wins), so writes reuse an existing
 *   folder or file whatever its case and no two names differ only in case.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extractRange, readBytes, spliceRange } from '../disk/byte-range.js';
import type { PartitionInfo } from '../disk/partition-table.js';
import { fault, refused, WIN32 } from '../errors.js';
import { runTool } from '../tools.js';
import type { WimApplyTarget } from '../wim.js';
import { findNativeHelper, metaFields, NtfsfsFailure, NtfsfsSession, requireNativeHelper } from './ntfsfs.js';
import { mapPartition, type OffsetMap, offsetioEnv, warnFallback, zeroRange } from './offsetio.js';
import { SerialQueue } from './serial-queue.js';
import { type FileMeta, folderNotFound, splitVolumePath, VolumeError, type Volume, type VolumeEntry, type WriteMeta } from './volume.js';

/** The ntfs-3g tools print names in the locale's encoding; C would mangle non-ASCII names. */
const NTFS_ENV = { LC_ALL: 'C.UTF-8' };

/** Where scripts/system-packages.sh builds the standalone `mkdir -p` helper, relative to the repository root. */
export const NTFSMKDIR_BUILD_PATH = join('.tmp', 'native', 'ntfsmkdir');

/**
 * The standalone `ntfsmkdir` helper (NtfsVolume itself makes folders through `ntfsfs`):
 * $OSD_NTFSMKDIR, else `.tmp/native/ntfsmkdir` under the repository root, else `ntfsmkdir` on PATH.
 * Undefined when there is none.
 */
export function findNtfsMkdir(): string | undefined {
  return findNativeHelper('ntfsmkdir');
}

/** Files up to this size are read through the batch session into memory; larger ones stream from `ntfsfs cat`. */
const SMALL_READ = 1 << 20;
/**
 * A helper session idle this long is ended, so the side image holds every change soon after the
 * last request (another NtfsVolume on the same image — `osd lab inspect` — reads it) and no process
 * lingers; a loop of requests keeps one session. Node waits for a read-write session's end.
 */
const SESSION_IDLE_MS = 250;

/** mkntfs's arguments for a partition (its start sector goes into the boot sector, for booting from it). */
function mkntfsArgs(label: string, partition: PartitionInfo, target: string): string[] {
  return [
    '--quiet',
    '--force',
    '--fast',
    '--label',
    label,
    '--sector-size',
    '512',
    '--partition-start',
    String(partition.startSector),
    '--heads',
    '255',
    '--sectors-per-track',
    '63',
    target,
  ];
}

export interface NtfsVolumeOptions {
  /**
   * Work on the partition's byte range of the disk image directly, through the offsetio shim (no
   * side image, no copies); falls back to a side image, with a warning, when the shim is missing.
   */
  direct?: boolean;
}

/** The OEM id at byte 3 of a boot sector: "NTFS    " for NTFS. */
export async function bootSectorOemId(diskPath: string, partition: PartitionInfo): Promise<string> {
  return (await readBytes(diskPath, partition.offsetBytes + 3, 8)).toString('latin1');
}

// "    1234 Nov 27 12:07 2026 name" (ntfsls -l: size, then strftime "%b %e %H:%M %Y", then the name).
const LS_LINE = /^ *(\d+) [A-Za-z]{3} +\d{1,2} \d\d:\d\d -?\d+ (.+)$/;

/** Parses `ntfsls -l -F` output; '/' after a name marks a directory (for tools and tests: NtfsVolume lists through ntfsfs). */
export function parseNtfsls(stdout: string): VolumeEntry[] {
  const entries: VolumeEntry[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const m = LS_LINE.exec(line);
    if (!m) throw fault(WIN32.invalidData, `unexpected ntfsls line: ${JSON.stringify(line)}`);
    const [, size, shown] = m;
    const dir = shown.endsWith('/');
    const name = dir ? shown.slice(0, -1) : shown;
    if (name === '.' || name === '..') continue;
    entries.push(dir ? { name, type: 'directory', size: 0 } : { name, type: 'file', size: Number(size) });
  }
  return entries;
}

/**
 * The NtfsVolume of each side image in this process: a new one on the same image (a second open of
 * the partition with the same work folder) first ends the old one's helper session, so no helper
 * still holding the image mounted writes into the fresh copy.
 */
const LIVE = new Map<string, NtfsVolume>();

async function takeOver(v: NtfsVolume): Promise<void> {
  const previous = LIVE.get(v.sideImagePath);
  if (previous && previous !== v) await previous.release();
  LIVE.set(v.sideImagePath, v);
}

export class NtfsVolume implements Volume {
  readonly description: string;
  /** The side image: exactly the partition's bytes. wimlib may apply into it; flush() splices it. */
  readonly sideImagePath: string;
  private readonly queue = new SerialQueue();
  private modified = false;
  /** The `ntfsfs batch` helper holding the side image mounted, while only it uses the image. */
  private session?: NtfsfsSession;
  /** `ntfsfs cat` processes streaming large files: nothing may change the side image under them. */
  private readonly readers = new Set<Promise<void>>();
  /** Streams of `ntfsfs cat` processes openRead returned (a copy within this volume spools them first: see writeStream). */
  private readonly ownStreams = new WeakSet<object>();
  private spools = 0;
  private idleTimer?: NodeJS.Timeout;
  /** A failure of a session ended while idle, reported by the next operation. */
  private idleFailure?: unknown;
  /** The side image's mtime when it last matched the disk (to notice edits by other tools). */
  private syncedMtimeMs = -1;

  /** The partition is opened in place (sideImagePath is the partition itself): nothing to splice. */
  readonly inPlace: boolean;
  /** Direct: the shim's map of the partition onto sideImagePath (a placeholder), else undefined. */
  readonly map?: OffsetMap;
  /** The environment of every ntfs-3g tool run on the volume (the locale; the shim's, when direct). */
  private readonly toolEnv: Record<string, string>;
  /** Where a copy within the volume spools its bytes. */
  private readonly spoolDir: string;

  private constructor(
    readonly diskPath: string,
    readonly partition: PartitionInfo,
    workDir: string,
    inPlaceDevice?: string,
    map?: OffsetMap,
  ) {
    this.inPlace = inPlaceDevice !== undefined || map !== undefined;
    this.map = map;
    this.toolEnv = map ? { ...NTFS_ENV, ...offsetioEnv(map) } : NTFS_ENV;
    this.description = inPlaceDevice ? `NTFS partition ${partition.number} (${inPlaceDevice})` : `NTFS partition ${partition.number} of ${basename(diskPath)}`;
    this.sideImagePath = inPlaceDevice ?? map?.placeholder ?? NtfsVolume.sideImageOf(diskPath, partition, workDir);
    this.spoolDir = workDir;
  }

  private static sideImageOf(diskPath: string, partition: PartitionInfo, workDir: string): string {
    return join(workDir, `${basename(diskPath)}.p${partition.number}.ntfs`);
  }

  /**
   * The shim's map of the partition onto a placeholder in `workDir` (`<disk>.p<N>.device`), or
   * undefined — after a warning that says why — when the volume must use a side image.
   */
  private static async directMap(diskPath: string, partition: PartitionInfo, workDir: string): Promise<OffsetMap | undefined> {
    const placeholder = resolve(workDir, `${basename(diskPath)}.p${partition.number}.device`);
    const map = await mapPartition(resolve(diskPath), partition, placeholder);
    if (typeof map === 'string') {
      warnFallback(map);
      return undefined;
    }
    return map;
  }

  /**
   * Formats the partition NTFS in place: mkntfs on the partition itself (`device`: /dev/vda3, or a
   * file of exactly the partition's size), no side image. `partition` gives its start sector (the
   * boot sector records it) and number; `workDir` holds spools of copies within the volume.
   */
  static async formatInPlace(device: string, partition: PartitionInfo, label: string, workDir: string): Promise<NtfsVolume> {
    if (label.length > 32 || /[\x00-\x1f]/.test(label)) throw refused(`the NTFS volume label '${label}' is not valid: at most 32 characters`);
    await mkdir(workDir, { recursive: true });
    const v = new NtfsVolume(device, partition, workDir, device);
    await takeOver(v);
    await runTool('mkntfs', mkntfsArgs(label, partition, device), { env: NTFS_ENV });
    return v;
  }

  /** Opens the NTFS file system on the partition in place (see formatInPlace). */
  static async openInPlace(device: string, partition: PartitionInfo, workDir: string): Promise<NtfsVolume> {
    const oem = (await readBytes(device, 3, 8)).toString('latin1');
    if (oem !== 'NTFS    ') {
      throw fault(
        WIN32.unrecognizedVolume,
        `${device} (partition ${partition.number}) does not hold an NTFS file system (boot sector OEM id ${JSON.stringify(oem)}); format it first`,
      );
    }
    await mkdir(workDir, { recursive: true });
    const v = new NtfsVolume(device, partition, workDir, device);
    await takeOver(v);
    return v;
  }

  /**
   * Formats the partition NTFS: mkntfs on a fresh sparse side image in `workDir` (toolchain.md §3.2),
   * spliced into the disk at once so the disk holds the new file system even before any flush().
   * Direct (`options.direct`, the shim built): the range is zeroed (holes punched) and mkntfs writes
   * into it in place.
   */
  static async format(diskPath: string, partition: PartitionInfo, label: string, workDir: string, options: NtfsVolumeOptions = {}): Promise<NtfsVolume> {
    if (label.length > 32 || /[\x00-\x1f]/.test(label)) throw refused(`the NTFS volume label '${label}' is not valid: at most 32 characters`);
    await mkdir(workDir, { recursive: true });
    const map = options.direct ? await NtfsVolume.directMap(diskPath, partition, workDir) : undefined;
    if (map) {
      const d = new NtfsVolume(diskPath, partition, workDir, undefined, map);
      await takeOver(d);
      await zeroRange(map);
      await runTool('mkntfs', mkntfsArgs(label, partition, map.placeholder), { env: d.toolEnv });
      return d;
    }
    const v = new NtfsVolume(diskPath, partition, workDir);
    await takeOver(v);
    await rm(v.sideImagePath, { force: true });
    await writeFile(v.sideImagePath, '');
    await truncate(v.sideImagePath, partition.sizeBytes);
    await runTool('mkntfs', mkntfsArgs(label, partition, v.sideImagePath), { env: NTFS_ENV });
    v.modified = true;
    await v.flush();
    return v;
  }

  /**
   * Opens the NTFS file system already on the partition (copied out to a side image in `workDir`;
   * direct, with `options.direct` and the shim built: nothing copied).
   */
  static async open(diskPath: string, partition: PartitionInfo, workDir: string, options: NtfsVolumeOptions = {}): Promise<NtfsVolume> {
    const oem = await bootSectorOemId(diskPath, partition);
    if (oem !== 'NTFS    ') {
      throw fault(
        WIN32.unrecognizedVolume,
        `partition ${partition.number} of ${diskPath} does not hold an NTFS file system (boot sector OEM id ${JSON.stringify(oem)}); format it with NtfsVolume.format first`,
      );
    }
    await mkdir(workDir, { recursive: true });
    const map = options.direct ? await NtfsVolume.directMap(diskPath, partition, workDir) : undefined;
    if (map) {
      const d = new NtfsVolume(diskPath, partition, workDir, undefined, map);
      await takeOver(d);
      return d;
    }
    const v = new NtfsVolume(diskPath, partition, workDir);
    await takeOver(v);
    await extractRange(diskPath, partition.offsetBytes, partition.sizeBytes, v.sideImagePath);
    v.syncedMtimeMs = (await stat(v.sideImagePath)).mtimeMs;
    return v;
  }

  private parts(path: string): string[] {
    return splitVolumePath(path, this.description);
  }

  private notFound(path: string): VolumeError {
    return new VolumeError('not-found', this.description, path, `${this.description}: ${path || 'the root'} does not exist`);
  }

  async exists(path: string): Promise<boolean> {
    const parts = this.parts(path);
    return this.queue.run(async () => (await this.withSession(path, 'read', (s) => s.stat(parts.join('/')))) !== undefined);
  }

  async readFile(path: string): Promise<Buffer> {
    const parts = this.parts(path);
    return this.queue.run(() => this.withSession(path, 'read', (s) => s.cat(parts.join('/')), true));
  }

  async writeFile(path: string, data: Buffer | string): Promise<void> {
    const parts = this.parts(path);
    return this.queue.run(() => this.withSession(path, 'write', (s) => s.writeFile(parts.join('/'), [Buffer.from(data)], undefined)));
  }

  async copyIn(localPath: string, path: string): Promise<void> {
    const parts = this.parts(path);
    const read = (local: string) => createReadStream(local, { highWaterMark: 1 << 20 });
    return this.queue.run(async () => {
      const s = await stat(localPath);
      if (!s.isDirectory()) {
        await this.withSession(path, 'write', (x) => x.writeFile(parts.join('/'), read(localPath), undefined));
        return;
      }
      // Every folder (empty ones too), then every file, through the one helper session.
      const dirs: string[][] = [parts];
      const files: { local: string; parts: string[] }[] = [];
      const walk = async (local: string, at: string[]): Promise<void> => {
        for (const entry of await readdir(local, { withFileTypes: true })) {
          const child = join(local, entry.name);
          splitVolumePath(entry.name, this.description); // refuses names Windows cannot store
          const kind = entry.isSymbolicLink() ? await stat(child).catch(() => undefined) : entry;
          if (kind?.isDirectory()) {
            dirs.push([...at, entry.name]);
            await walk(child, [...at, entry.name]);
          } else if (kind?.isFile()) {
            files.push({ local: child, parts: [...at, entry.name] });
          }
        }
      };
      await walk(localPath, parts);
      await this.withSession(path, 'write', async (x) => {
        for (const d of dirs) await x.request(`mkdir\t${d.join('/')}`);
        for (const f of files) await x.writeFile(f.parts.join('/'), read(f.local), undefined);
      });
    });
  }

  async mkdirp(path: string): Promise<void> {
    const parts = this.parts(path);
    return this.queue.run(async () => {
      await this.withSession(path, 'write', (s) => s.request(`mkdir\t${parts.join('/')}`));
    });
  }

  /** A folder's entries (a reparse point shows as an empty file: it is never followed). */
  async list(path: string): Promise<VolumeEntry[]> {
    const parts = this.parts(path);
    const p = parts.join('/');
    return this.queue.run(async () => {
      let entries: FileMeta[];
      try {
        entries = await this.withSession(path, 'read', (s) => s.entries('list', p));
      } catch (e) {
        if (!(e instanceof VolumeError)) throw e;
        // A file at `path` itself is "not a directory"; anything else missing on the way is "not found".
        const itself = e.code === 'not-a-directory' ? await this.withSession(path, 'read', (s) => s.stat(p)) : undefined;
        if (itself) throw new VolumeError('not-a-directory', this.description, path, `${this.description}: ${path} is a file, not a directory`);
        throw folderNotFound(this.description, path);
      }
      return entries.map((m) => ({
        name: m.path.slice(m.path.lastIndexOf('/') + 1),
        type: m.type === 'directory' ? 'directory' : 'file',
        size: m.type === 'file' ? m.size : 0,
      }));
    });
  }

  /** Splices the side image into the disk when it changed since the last flush (or open). */
  flush(): Promise<void> {
    return this.queue.run(async () => {
      await this.exclusive();
      if (this.inPlace) return; // the helper's unmount wrote everything to the partition itself
      const { mtimeMs } = await stat(this.sideImagePath);
      if (!this.modified && mtimeMs === this.syncedMtimeMs) return;
      await spliceRange(this.sideImagePath, this.diskPath, this.partition.offsetBytes, this.partition.sizeBytes);
      this.modified = false;
      this.syncedMtimeMs = mtimeMs;
    });
  }

  /**
   * Hands the side image to another tool (wimlib's NTFS-3G apply): ends the helper session and waits
   * for streaming readers, so nothing else has it open; returns its path. flush() splices what the
   * tool changed.
   */
  async releaseSideImage(): Promise<string> {
    if (this.map) throw fault(WIN32.notSupported, `${this.description} is opened direct (no side image): use applyTarget()`);
    await this.release();
    return this.sideImagePath;
  }

  /** Ends the helper session and waits for streaming readers: no process of this volume has the partition open. */
  async release(): Promise<void> {
    await this.queue.run(() => this.exclusive());
  }

  /**
   * Hands the volume to wimlib's NTFS-3G apply, as releaseSideImage does: the side image (or the
   * partition in place), or — direct — the placeholder with the shim's map, which applyWimImage runs
   * wimlib under, so the image lands in the disk image's partition range with no copy.
   */
  async applyTarget(): Promise<WimApplyTarget> {
    await this.release();
    return this.map ? { kind: 'ntfs-image', path: this.sideImagePath, map: this.map } : { kind: 'ntfs-image', path: this.sideImagePath };
  }

  /** Flushes, then deletes the side image; the volume must not be used afterwards. */
  async close(): Promise<void> {
    await this.flush();
    if (LIVE.get(this.sideImagePath) === this) LIVE.delete(this.sideImagePath);
    if (!this.inPlace || this.map) await rm(this.sideImagePath, { force: true }); // a side image, or the direct placeholder
  }

  // ---- the ntfsfs helper: one batch session per volume, ended before any other tool runs ----

  /**
   * The batch session for a request: a read-only one for reads (streaming readers may run beside
   * it), a read-write one — started after streaming readers finish — for changes. A read-only
   * session is replaced when a change comes; a read-write one serves reads too.
   */
  private async sessionFor(write: boolean): Promise<NtfsfsSession> {
    this.reportIdleFailure();
    if (this.session && (this.session.writable || !write)) return this.session;
    await this.endSession();
    if (write) await this.readersDone();
    const helper = requireNativeHelper('ntfsfs');
    if (write) this.modified = true; // a read-write mount writes the image (its journal, its flags)
    this.session = new NtfsfsSession(helper, this.sideImagePath, write, this.map ? this.toolEnv : {});
    return this.session;
  }

  private reportIdleFailure(): void {
    const e = this.idleFailure;
    if (e === undefined) return;
    this.idleFailure = undefined;
    throw e;
  }

  private async readersDone(): Promise<void> {
    while (this.readers.size > 0) await Promise.all([...this.readers]);
  }

  /** Ends the session: the helper unmounts, writing everything into the side image. */
  private async endSession(): Promise<void> {
    clearTimeout(this.idleTimer);
    const s = this.session;
    if (!s) return;
    this.session = undefined;
    await s.close();
  }

  private scheduleIdleEnd(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      void this.queue
        .run(() => this.endSession())
        .catch((e: unknown) => {
          this.idleFailure = e;
        });
    }, SESSION_IDLE_MS);
    // A read-only session may simply die with Node; a read-write one is ended first (Node waits for
    // it), so no helper is still writing the side image when the next process copies it afresh.
    if (!this.session?.writable) this.idleTimer.unref();
  }

  /** Before another tool (wimlib) or a splice uses the side image: no session, no reader. */
  private async exclusive(): Promise<void> {
    this.reportIdleFailure();
    await this.endSession();
    await this.readersDone();
  }

  /**
   * Runs requests on the session (`write`: a read-write one); a failed request becomes a VolumeError
   * naming `path` (or a fault with the errno's code); a session whose helper died or answered out of
   * step is dropped. `read`: a file on the way to `path` is "not found", as for a read on Windows.
   */
  private async withSession<T>(path: string, mode: 'read' | 'write', run: (s: NtfsfsSession) => Promise<T>, fileRead = false): Promise<T> {
    clearTimeout(this.idleTimer);
    const s = await this.sessionFor(mode === 'write');
    s.hold();
    try {
      return await run(s);
    } catch (e) {
      if (e instanceof NtfsfsFailure) {
        const message = `${this.description}: ${e.detail}`;
        if (e.kind === 'io') throw fault(e.win32, message, { input: path });
        if (fileRead && e.kind === 'not-a-directory') throw this.notFound(path);
        throw new VolumeError(e.kind, this.description, path, message);
      }
      if (s.broken && this.session === s) {
        this.session = undefined;
        s.kill();
      }
      throw e;
    } finally {
      if (!s.writable) s.release();
      if (this.session === s) this.scheduleIdleEnd();
    }
  }

  async stat(path: string): Promise<FileMeta | undefined> {
    const parts = this.parts(path);
    return this.queue.run(() => this.withSession(path, 'read', (s) => s.stat(parts.join('/'))));
  }

  async *walk(path: string): AsyncIterable<FileMeta> {
    const parts = this.parts(path);
    // Collected first, so a caller may read each file while it walks (the session is not held).
    let entries: FileMeta[];
    try {
      entries = await this.queue.run(() => this.withSession(path, 'read', (s) => s.entries('walk', parts.join('/'))));
    } catch (e) {
      if (e instanceof VolumeError && e.code === 'not-found') throw folderNotFound(this.description, path);
      if (e instanceof VolumeError && e.code === 'not-a-directory') {
        throw new VolumeError('not-a-directory', this.description, path, `${this.description}: ${path} is a file, not a directory`);
      }
      throw e;
    }
    yield* entries;
  }

  /**
   * A file's bytes: up to 1 MiB read through the session, a larger file streamed by its own
   * `ntfsfs IMAGE cat` process. Until such a stream has ended (or been destroyed), changes to this
   * volume wait — consume it before writing here (writeStream copes with a copy within the volume).
   */
  async openRead(path: string): Promise<Readable> {
    const parts = this.parts(path);
    const p = parts.join('/');
    return this.queue.run(async () => {
      const meta = await this.withSession(path, 'read', (s) => s.stat(p));
      if (!meta) throw this.notFound(path);
      if (meta.type !== 'file') {
        throw new VolumeError(
          'not-a-file',
          this.description,
          path,
          `${this.description}: ${path} is ${meta.type === 'directory' ? 'a directory' : 'a reparse point'}, not a file`,
        );
      }
      if (meta.size <= SMALL_READ) {
        const data = await this.withSession(path, 'read', (s) => s.cat(p), true);
        return Readable.from(data.length > 0 ? [data] : [], { objectMode: false });
      }
      if (this.session?.writable) await this.endSession(); // the reader must see every change
      return this.streamCat(path, p);
    });
  }

  private streamCat(path: string, p: string): Readable {
    const helper = requireNativeHelper('ntfsfs');
    const child = spawn(helper, [this.sideImagePath, 'cat', p], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.toolEnv } });
    // Half a MiB: a reader's read() takes everything buffered, which reaches the mark plus one pipe
    // chunk (64 KiB) — with a 1 MiB mark that was 1 MiB + 64 KiB under load, more than a piece may be.
    const out = new PassThrough({ highWaterMark: 1 << 19 });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-4000);
    });
    child.stdout.pipe(out, { end: false });
    const done = new Promise<void>((resolve) => {
      child.on('error', (e) => {
        out.destroy(fault(WIN32.fileNotFound, `${helper} could not run: ${e.message}`));
        resolve();
      });
      child.on('close', (code) => {
        if (code === 0) out.end();
        else if (!out.destroyed) {
          const said = stderr.trim().split('\n').slice(-3).join('\n');
          out.destroy(
            code === 3 ? this.notFound(path) : fault(WIN32.generic, `${this.description}: reading ${path} failed (${helper} exit code ${code}): ${said}`),
          );
        }
        resolve();
      });
    });
    this.readers.add(done);
    void done.then(() => this.readers.delete(done));
    out.on('close', () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    });
    this.ownStreams.add(out);
    return out;
  }

  async writeStream(path: string, source: Readable | AsyncIterable<Buffer>, meta?: WriteMeta): Promise<void> {
    const parts = this.parts(path);
    if (parts.length === 0) throw new VolumeError('not-a-file', this.description, path, `${this.description}: cannot write a file over the root`);
    metaFields(meta); // refuses bad times and attributes before anything is written
    let from: Readable | AsyncIterable<Buffer> = source;
    let spool: string | undefined;
    if (this.ownStreams.has(source)) {
      // A copy within this volume: its reader keeps the image from changing, so take the bytes first.
      spool = join(this.spoolDir, `${basename(this.sideImagePath)}.spool${++this.spools}`);
      await pipeline(source, createWriteStream(spool));
      from = createReadStream(spool, { highWaterMark: 1 << 20 });
    }
    try {
      await this.queue.run(() => this.withSession(path, 'write', (s) => s.writeFile(parts.join('/'), from, meta)));
    } finally {
      if (spool) await rm(spool, { force: true });
    }
  }

  async setMeta(path: string, meta: WriteMeta): Promise<void> {
    const parts = this.parts(path);
    const fields = metaFields(meta);
    return this.queue.run(async () => {
      await this.withSession(path, 'write', (s) => s.request(`meta\t${parts.join('/')}\t${fields}`));
    });
  }

  async link(existing: string, newPath: string): Promise<void> {
    const from = this.parts(existing);
    const to = this.parts(newPath);
    return this.queue.run(async () => {
      await this.withSession(existing, 'write', (s) => s.request(`link\t${from.join('/')}\t${to.join('/')}`));
    });
  }

  async remove(path: string): Promise<void> {
    const parts = this.parts(path);
    if (parts.length === 0) throw refused(`${this.description}: the root cannot be removed`, WIN32.accessDenied);
    return this.queue.run(async () => {
      await this.withSession(path, 'write', (s) => s.request(`remove\t${parts.join('/')}`));
    });
  }
}
