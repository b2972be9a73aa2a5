/**
 * A file system the deployment writes into: the target of Apply Operating System, the answer file,
 * drivers, the client. Three back ends share this interface — a plain directory (fast tests), a FAT32
 * partition of a disk image (mtools, in place) and an NTFS partition of a disk image (ntfs-3g tools on
 * a side image that flush() splices back) — so an action never knows which one it writes to.
 */
import type { Readable } from 'node:stream';
import { StorageError, WIN32 } from '../errors.js';

export interface VolumeEntry {
  name: string;
  type: 'file' | 'directory';
  size: number;
}

/** The DOS attributes a migration keeps (user-state.md §2.3): no ACLs, streams or EFS data. */
export type FileAttribute = 'readonly' | 'hidden' | 'system' | 'archive';

/** Times in milliseconds since 1970 (UTC). */
export interface FileTimes {
  createdMs?: number;
  modifiedMs?: number;
  accessedMs?: number;
}

/** What a file or folder is, as `stat` and `walk` tell it. */
export interface FileMeta extends FileTimes {
  /** Relative to the volume root, `/`-separated, no leading slash ('' is the root). */
  path: string;
  /** `other`: a reparse point, symbolic link, device … — never followed. */
  type: 'file' | 'directory' | 'other';
  /** Bytes of the file's data (0 for a folder). */
  size: number;
  modifiedMs: number;
  attributes: FileAttribute[];
  /** Hard links to the same file (1 for most). */
  links: number;
  /** The same for every hard link of one file (an MFT reference, an inode number). */
  fileId: string;
}

/** What a write may set besides the bytes. */
export interface WriteMeta extends FileTimes {
  attributes?: FileAttribute[];
}

export interface Volume {
  /** For messages and logs, e.g. "NTFS partition 3 of disk0.img". */
  readonly description: string;
  /**
   * Paths are relative to the volume root, Windows-style or not: 'Windows/Panther/Unattend.xml',
   * '\Windows\Panther', '/EFI/Boot' all work. Lookups are as case-sensitive as the back end.
   */
  exists(path: string): Promise<boolean>;
  readFile(path: string): Promise<Buffer>;
  /** Creates the parent folders first (mkdir -p); replaces an existing file. */
  writeFile(path: string, data: Buffer | string): Promise<void>;
  /** Copies a local file, or a local folder's whole tree, to `path` in the volume, creating parents. */
  copyIn(localPath: string, path: string): Promise<void>;
  mkdirp(path: string): Promise<void>;
  /** The entries of a folder ('' = the root), without '.' and '..'; throws VolumeError when missing. */
  list(path: string): Promise<VolumeEntry[]>;
  /** Makes sure every change is in the disk-image file (a no-op where writes go there directly). */
  flush(): Promise<void>;

  // Metadata and streams (user state migration, applications, updates: issue 13).
  /** A file's or folder's metadata; undefined when nothing is at `path`. */
  stat(path: string): Promise<FileMeta | undefined>;
  /**
   * Everything below folder `path` (not the folder itself), a folder before its contents, names
   * sorted within a folder; links and reparse points are reported as `other`, never followed.
   * VolumeError when `path` is missing or not a folder.
   */
  walk(path: string): AsyncIterable<FileMeta>;
  /** A file's bytes as a stream (a large file is never held in memory). */
  openRead(path: string): Promise<Readable>;
  /** Writes a file from a stream (parents created, an existing file replaced), then sets `meta`. */
  writeStream(path: string, source: Readable | AsyncIterable<Buffer>, meta?: WriteMeta): Promise<void>;
  /** Sets times and attributes of an existing file or folder (what is not given is left as it is). */
  setMeta(path: string, meta: WriteMeta): Promise<void>;
  /** A hard link `newPath` to the file `existing` on the same volume (parents created). StorageError 0x80070032 where the file system has none (FAT). */
  link(existing: string, newPath: string): Promise<void>;
  /** Removes a file, or a folder with everything in it; nothing at `path` is not an error. */
  remove(path: string): Promise<void>;
}

export type VolumeErrorCode = 'not-found' | 'not-a-directory' | 'not-a-file' | 'invalid-path';

/** Windows' answer to each: a missing file, a file where a folder should be, a folder opened as a file, a name it cannot store. */
const VOLUME_ERROR_CODES: Record<VolumeErrorCode, number> = {
  'not-found': WIN32.fileNotFound,
  'not-a-directory': WIN32.pathNotFound,
  'not-a-file': WIN32.accessDenied,
  'invalid-path': WIN32.invalidName,
};

/** A path-level failure on a volume: what is missing or of the wrong kind, and where; `exitCode` is Windows' code for it. */
export class VolumeError extends StorageError {
  constructor(
    readonly code: VolumeErrorCode,
    readonly volume: string,
    readonly path: string,
    message: string,
    /** Another code than the usual one for `code`: a missing folder is ERROR_PATH_NOT_FOUND (0x80070003). */
    win32?: number,
  ) {
    super(code === 'not-found' ? 'not-found' : code === 'invalid-path' ? 'bad-input' : 'fault', win32 ?? VOLUME_ERROR_CODES[code], message, { input: path });
    this.name = 'VolumeError';
  }
}

/** A folder that does not exist: ERROR_PATH_NOT_FOUND (0x80070003), as Windows answers a listing of it. */
export function folderNotFound(volume: string, path: string): VolumeError {
  return new VolumeError('not-found', volume, path, `${volume}: ${path || 'the root'} does not exist`, WIN32.pathNotFound);
}

/**
 * The components of a volume path: '\' and '/' both separate, empty and '.' components are dropped,
 * '..' is refused (a volume path never leaves the volume), as are names Windows cannot store.
 */
export function splitVolumePath(path: string, volume = 'volume'): string[] {
  const parts = path.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  for (const p of parts) {
    if (p === '..') throw new VolumeError('invalid-path', volume, path, `${volume}: '..' is not allowed in a volume path (${path})`);
    if (/[\x00-\x1f<>:"|?*]/.test(p)) {
      throw new VolumeError(
        'invalid-path',
        volume,
        path,
        `${volume}: the name '${p}' in ${path} has a character Windows does not allow in file names (<>:"|?* or a control character)`,
      );
    }
  }
  return parts;
}

/** '/a/b/c' form of a volume path ('/' for the root). */
export function slashPath(parts: readonly string[]): string {
  return `/${parts.join('/')}`;
}
