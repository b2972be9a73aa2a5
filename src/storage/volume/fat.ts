/**
 * A FAT32 partition of a disk image, edited in place with mtools (`-i disk.img@@OFFSET`): no copy,
 * no mount, so there is nothing to flush (toolchain.md §3.2).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PartitionInfo } from '../disk/partition-table.js';
import { fault, refused, WIN32 } from '../errors.js';
import { runTool, ToolError, type RunResult } from '../tools.js';
import { FatReader } from './fat-raw.js';
import { SerialQueue } from './serial-queue.js';
import { type FileMeta, folderNotFound, slashPath, splitVolumePath, VolumeError, type Volume, type VolumeEntry, type WriteMeta } from './volume.js';

/** FAT32 needs at least 65,525 clusters; below that tools treat the volume as FAT16 (toolchain.md §3.3). */
export const FAT32_MIN_CLUSTERS = 65525;
/** mformat's own arithmetic differs a little from ours; stay clear of the limit. */
const CLUSTER_MARGIN = 64;
const RESERVED_SECTORS = 32;
/**
 * mtools hands names to the locale; C would turn non-ASCII names into '_'. FAT keeps local time
 * without a zone: the lab's is UTC (fat-raw.ts reads it so).
 */
const MTOOLS_ENV = { LC_ALL: 'C.UTF-8', TZ: 'UTC' };
const ARG_CHUNK = 200;

function clusterCount(totalSectors: number, sectorsPerCluster: number): number {
  // Two FATs of 4-byte entries; a data area of whole clusters.
  let clusters = Math.floor((totalSectors - RESERVED_SECTORS) / sectorsPerCluster);
  for (let i = 0; i < 3; i++) {
    const fatSectors = Math.ceil(((clusters + 2) * 4) / 512);
    clusters = Math.floor((totalSectors - RESERVED_SECTORS - 2 * fatSectors) / sectorsPerCluster);
  }
  return clusters;
}

/**
 * The cluster size (in 512-byte sectors) for a FAT32 volume of `totalSectors`: Windows' default for
 * the size, made smaller until the volume has enough clusters to be FAT32 — Windows' own 4 KiB for a
 * 256 MiB partition would give too few (toolchain.md §3.3). Throws when even 512-byte clusters are
 * too few (a partition under about 33 MiB).
 */
export function fat32SectorsPerCluster(totalSectors: number): number {
  const bytes = totalSectors * 512;
  const MiB = 1024 * 1024;
  const GiB = 1024 * MiB;
  let spc =
    bytes <= 64 * MiB ? 1 : bytes <= 128 * MiB ? 2 : bytes <= 256 * MiB ? 4 : bytes <= 8 * GiB ? 8 : bytes <= 16 * GiB ? 16 : bytes <= 32 * GiB ? 32 : 64;
  while (spc > 1 && clusterCount(totalSectors, spc) < FAT32_MIN_CLUSTERS + CLUSTER_MARGIN) spc /= 2;
  if (clusterCount(totalSectors, spc) < FAT32_MIN_CLUSTERS + CLUSTER_MARGIN) {
    throw refused(
      `a FAT32 volume needs at least ${FAT32_MIN_CLUSTERS} clusters, so a partition of at least 33 MiB; this one is ${(bytes / MiB).toFixed(1)} MiB — make the partition bigger`,
    );
  }
  return spc;
}

/** A FAT volume label: at most 11 characters, upper case, none of the characters FAT forbids. */
function fatLabel(label: string): string {
  const l = label.toUpperCase();
  if (l.length > 11 || /[*?.,;:/\\|+=<>[\]"\x00-\x1f]/.test(l)) {
    throw refused(`the FAT volume label '${label}' is not valid: at most 11 characters, none of *?.,;:/\\|+=<>[]"`);
  }
  return l;
}

interface MdirListing {
  /** The folder mdir listed ('::/EFI/Boot'). */
  directory: string;
  entries: VolumeEntry[];
}

// "BOOT     TXT         6 2026-11-27  12:06  Long name.txt": 8.3 name, size or <DIR>, date, time, long name.
const ENTRY = /^(.{8}) (.{3}) +(<DIR>|\d+) +(\d{4}-\d\d-\d\d) +(\d{1,2}:\d\d) ?(?: (.+))?$/u;
const SUMMARY = /^ +\d+ files?\b/;

/** Parses `mdir -a` output (the first folder it lists). */
export function parseMdir(stdout: string): MdirListing {
  const lines = stdout.split('\n');
  const head = lines.findIndex((l) => l.startsWith('Directory for '));
  if (head < 0) throw fault(WIN32.invalidData, `unexpected mdir output (no "Directory for" line): ${stdout.slice(0, 200)}`);
  const directory = lines[head].slice('Directory for '.length).trim();
  const entries: VolumeEntry[] = [];
  for (const line of lines.slice(head + 1)) {
    if (line.trim() === '') continue;
    if (SUMMARY.test(line)) break;
    const m = ENTRY.exec(line);
    if (!m) throw fault(WIN32.invalidData, `unexpected mdir line in the listing of ${directory}: ${JSON.stringify(line)}`);
    const [, base, ext, size, , , long] = m;
    const name = long ?? (ext.trim() ? `${base.trimEnd()}.${ext.trim()}` : base.trimEnd());
    if (name === '.' || name === '..') continue;
    entries.push(size === '<DIR>' ? { name, type: 'directory', size: 0 } : { name, type: 'file', size: Number(size) });
  }
  return { directory, entries };
}

type FatStat = { type: 'directory' } | { type: 'file'; size: number } | undefined;

export class FatVolume implements Volume {
  readonly description: string;
  /** mtools' image argument: the disk file and the partition's byte offset. */
  private readonly image: string;
  private readonly queue = new SerialQueue();

  constructor(
    readonly diskPath: string,
    readonly partition: PartitionInfo,
    /** What the boot sector says (openVolume probes it); mtools handles all three. */
    readonly fatType: 'FAT32' | 'FAT16' | 'FAT12' = 'FAT32',
  ) {
    this.description = `${fatType} partition ${partition.number} of ${basename(diskPath)}`;
    this.image = `${diskPath}@@${partition.offsetBytes}`;
  }

  /**
   * Formats the partition FAT32 in place (mformat; toolchain.md §3.2) with a cluster size that keeps
   * it FAT32 (§3.3) and returns the volume.
   */
  static async format(diskPath: string, partition: PartitionInfo, label: string): Promise<FatVolume> {
    const spc = fat32SectorsPerCluster(partition.sizeSectors);
    const args = ['-i', `${diskPath}@@${partition.offsetBytes}`, '-F', '-T', String(partition.sizeSectors), '-h', '64', '-s', '32'];
    args.push('-H', String(partition.startSector), '-c', String(spc));
    const l = fatLabel(label);
    if (l) args.push('-v', l);
    args.push('::');
    await runTool('mformat', args, { env: MTOOLS_ENV });
    return new FatVolume(diskPath, partition);
  }

  private mtool(tool: string, args: string[], options: { input?: Buffer | string; okCodes?: number[] } = {}): Promise<RunResult> {
    return runTool(tool, ['-i', this.image, ...args], { ...options, env: MTOOLS_ENV });
  }

  private target(parts: readonly string[]): string {
    return `::${slashPath(parts)}`;
  }

  private parts(path: string): string[] {
    return splitVolumePath(path, this.description);
  }

  /** What is at `parts`: mdir lists a folder itself, or a file's folder with the file in it. */
  private async kindOf(parts: readonly string[]): Promise<FatStat> {
    if (parts.length === 0) return { type: 'directory' };
    let out: string;
    try {
      ({ stdout: out } = await this.mtool('mdir', ['-a', this.target(parts)]));
    } catch (e) {
      if (e instanceof ToolError && /not found/i.test(e.output)) return undefined;
      throw e;
    }
    const listing = parseMdir(out);
    if (listing.directory.toLowerCase() === this.target(parts).toLowerCase()) return { type: 'directory' };
    const entry = listing.entries[0];
    return entry?.type === 'file' ? { type: 'file', size: entry.size } : { type: 'directory' };
  }

  private notFound(path: string): VolumeError {
    return new VolumeError('not-found', this.description, path, `${this.description}: ${path || 'the root'} does not exist`);
  }

  async exists(path: string): Promise<boolean> {
    const parts = this.parts(path);
    return this.queue.run(async () => (await this.kindOf(parts)) !== undefined);
  }

  async readFile(path: string): Promise<Buffer> {
    const parts = this.parts(path);
    return this.queue.run(async () => {
      const s = await this.kindOf(parts);
      if (!s) throw this.notFound(path);
      if (s.type !== 'file') throw new VolumeError('not-a-file', this.description, path, `${this.description}: ${path} is a directory, not a file`);
      const { stdoutBytes } = await this.mtool('mcopy', ['-n', this.target(parts), '-']);
      return stdoutBytes ?? Buffer.alloc(0);
    });
  }

  async writeFile(path: string, data: Buffer | string): Promise<void> {
    const parts = this.parts(path);
    return this.queue.run(async () => {
      await this.prepareFileTarget(path, parts);
      await this.mtool('mcopy', ['-o', '-', this.target(parts)], { input: data });
    });
  }

  async copyIn(localPath: string, path: string): Promise<void> {
    const parts = this.parts(path);
    return this.queue.run(async () => {
      const s = await stat(localPath);
      if (!s.isDirectory()) {
        await this.prepareFileTarget(path, parts);
        await this.mtool('mcopy', ['-o', localPath, this.target(parts)]);
        return;
      }
      await this.mkdirpLocked(path, parts);
      const names = await readdir(localPath);
      // mcopy -s copies each folder into the target folder and merges with what is there.
      for (let i = 0; i < names.length; i += ARG_CHUNK) {
        const sources = names.slice(i, i + ARG_CHUNK).map((n) => join(localPath, n));
        await this.mtool('mcopy', ['-s', '-o', ...sources, `${this.target(parts).replace(/\/$/, '')}/`]);
      }
    });
  }

  /** Makes the parent folders and checks that `parts` is not a folder (mcopy would copy into it). */
  private async prepareFileTarget(path: string, parts: readonly string[]): Promise<void> {
    if (parts.length === 0) throw new VolumeError('not-a-file', this.description, path, `${this.description}: cannot write a file over the root`);
    const parent = parts.slice(0, -1);
    await this.mkdirpLocked(parent.join('/'), parent);
    const { stdout } = await this.mtool('mdir', ['-a', this.target(parent)]);
    const name = parts[parts.length - 1].toLowerCase();
    const existing = parseMdir(stdout).entries.find((e) => e.name.toLowerCase() === name);
    if (existing?.type === 'directory') {
      throw new VolumeError('not-a-file', this.description, path, `${this.description}: ${path} is a directory; cannot write a file over it`);
    }
  }

  async mkdirp(path: string): Promise<void> {
    const parts = this.parts(path);
    return this.queue.run(() => this.mkdirpLocked(path, parts));
  }

  private async mkdirpLocked(path: string, parts: readonly string[]): Promise<void> {
    if (parts.length === 0) return;
    // mmd makes each prefix in turn; those that exist fail (exit code 1) and the rest go on.
    const prefixes = parts.map((_, i) => this.target(parts.slice(0, i + 1)));
    const made = await this.mtool('mmd', prefixes, { okCodes: [0, 1] });
    const s = await this.kindOf(parts);
    if (s?.type !== 'directory') {
      throw new VolumeError(
        'not-a-directory',
        this.description,
        path,
        `${this.description}: cannot create the folder ${path}${s?.type === 'file' ? ': a file of that name is in the way' : ''}${made.stderr.trim() ? ` (mmd: ${made.stderr.trim()})` : ''}`,
      );
    }
  }

  async list(path: string): Promise<VolumeEntry[]> {
    const parts = this.parts(path);
    return this.queue.run(async () => {
      let out: string;
      try {
        ({ stdout: out } = await this.mtool('mdir', ['-a', this.target(parts)]));
      } catch (e) {
        if (e instanceof ToolError && /not found/i.test(e.output)) throw folderNotFound(this.description, path);
        throw e;
      }
      const listing = parseMdir(out);
      if (listing.directory.toLowerCase() !== this.target(parts).toLowerCase()) {
        throw new VolumeError('not-a-directory', this.description, path, `${this.description}: ${path} is a file, not a directory`);
      }
      return listing.entries;
    });
  }

  async flush(): Promise<void> {
    // mtools writes straight into the disk image; wait for queued operations to finish.
    await this.queue.run(async () => undefined);
  }

  // ---- metadata and streams: entries read from the image (fat-raw.ts), data through mtools ----

  /** The file system's geometry, read afresh for each operation (the partition may have been formatted again). */
  private raw(): Promise<FatReader> {
    return FatReader.open(this.diskPath, this.partition.offsetBytes);
  }

  /** The root as FileMeta: FAT keeps no entry, so no times or attributes, for it. */
  private rootMeta(): FileMeta {
    return { path: '', type: 'directory', size: 0, modifiedMs: 0, attributes: [], links: 1, fileId: 'fat:root' };
  }

  async stat(path: string): Promise<FileMeta | undefined> {
    const parts = this.parts(path);
    return this.queue.run(async () => {
      const r = await this.raw();
      const found = await r.lookup(parts);
      if (found === 'root') return this.rootMeta();
      return found && r.metaOf(found.entry, found.path);
    });
  }

  async *walk(path: string): AsyncIterable<FileMeta> {
    const parts = this.parts(path);
    // Collected first, so a caller may read each file while it walks.
    const all = await this.queue.run(async () => {
      const r = await this.raw();
      const found = await r.lookup(parts);
      if (!found) throw folderNotFound(this.description, path);
      if (found !== 'root' && !r.isDirectory(found.entry)) {
        throw new VolumeError('not-a-directory', this.description, path, `${this.description}: ${path} is a file, not a directory`);
      }
      const out: FileMeta[] = [];
      const fat = await r.readFat();
      // The order of DirectoryVolume.walk: a folder's entries (sorted), then each subfolder's, depth first.
      const stack: { path: string; cluster: number }[] = [
        found === 'root' ? { path: '', cluster: 0 } : { path: found.path, cluster: found.entry.firstCluster },
      ];
      while (stack.length > 0) {
        const dir = stack.pop() as { path: string; cluster: number };
        const entries = (await r.readDir(dir.cluster, fat)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        const subdirs: { path: string; cluster: number }[] = [];
        for (const e of entries) {
          const child = dir.path ? `${dir.path}/${e.name}` : e.name;
          out.push(r.metaOf(e, child));
          if (r.isDirectory(e)) subdirs.push({ path: child, cluster: e.firstCluster });
        }
        for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
      }
      return out;
    });
    yield* all;
  }

  /** The file copied out by mcopy to a temporary file, streamed from there and deleted when the stream closes. */
  async openRead(path: string): Promise<Readable> {
    const parts = this.parts(path);
    return this.queue.run(async () => {
      const r = await this.raw();
      const found = await r.lookup(parts);
      if (!found) throw this.notFound(path);
      if (found === 'root' || r.isDirectory(found.entry)) {
        throw new VolumeError('not-a-file', this.description, path, `${this.description}: ${path} is a directory, not a file`);
      }
      const dir = await mkdtemp(join(tmpdir(), 'openosd-fat-read-'));
      const local = join(dir, 'data');
      try {
        await this.mtool('mcopy', ['-n', this.target(parts), local]);
      } catch (e) {
        await rm(dir, { recursive: true, force: true });
        throw e;
      }
      const stream = createReadStream(local, { highWaterMark: 1 << 20 });
      stream.on('close', () => void rm(dir, { recursive: true, force: true }));
      return stream;
    });
  }

  /**
   * The source spooled to a temporary file, copied in with mcopy, then the entry's times and
   * attributes set (fat-raw.ts: FAT keeps modification times to 2 s, creation to 10 ms, access to
   * the day).
   */
  async writeStream(path: string, source: Readable | AsyncIterable<Buffer>, meta?: WriteMeta): Promise<void> {
    const parts = this.parts(path);
    if (parts.length === 0) throw new VolumeError('not-a-file', this.description, path, `${this.description}: cannot write a file over the root`);
    const dir = await mkdtemp(join(tmpdir(), 'openosd-fat-write-'));
    try {
      const local = join(dir, 'data');
      await pipeline(source instanceof Readable ? source : Readable.from(source), createWriteStream(local));
      await this.queue.run(async () => {
        // Checked in the image (no mtools process) when the folder is there already.
        const r = await this.raw();
        const parent = await r.lookup(parts.slice(0, -1));
        if (parent === undefined || (parent !== 'root' && !r.isDirectory(parent.entry))) await this.prepareFileTarget(path, parts);
        else {
          const existing = await r.lookup(parts);
          if (existing && existing !== 'root' && r.isDirectory(existing.entry)) {
            throw new VolumeError('not-a-file', this.description, path, `${this.description}: ${path} is a directory; cannot write a file over it`);
          }
        }
        await this.mtool('mcopy', ['-o', local, this.target(parts)]);
        if (meta) await this.patchLocked(path, parts, meta);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async setMeta(path: string, meta: WriteMeta): Promise<void> {
    const parts = this.parts(path);
    return this.queue.run(() => this.patchLocked(path, parts, meta));
  }

  private async patchLocked(path: string, parts: readonly string[], meta: WriteMeta): Promise<void> {
    const r = await this.raw();
    const found = await r.lookup(parts);
    if (!found) throw this.notFound(path);
    if (found === 'root') throw refused(`${this.description}: FAT keeps no times or attributes for the root folder`, WIN32.notSupported);
    await r.patch(found.entry, meta, `${this.description}: ${path}`);
  }

  /** FAT has no hard links (user-state hard-link mode needs NTFS). */
  async link(existing: string, newPath: string): Promise<void> {
    this.parts(existing);
    this.parts(newPath);
    throw refused(`${this.description}: FAT has no hard links; cannot link ${newPath} to ${existing} (hard links need an NTFS volume)`, WIN32.notSupported);
  }

  async remove(path: string): Promise<void> {
    const parts = this.parts(path);
    if (parts.length === 0) throw refused(`${this.description}: the root cannot be removed`, WIN32.accessDenied);
    return this.queue.run(async () => {
      const r = await this.raw();
      const found = await r.lookup(parts);
      if (!found || found === 'root') return;
      const stored = found.path.split('/');
      await this.mtool(r.isDirectory(found.entry) ? 'mdeltree' : 'mdel', [this.target(stored)]);
    });
  }
}
