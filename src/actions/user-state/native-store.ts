/**
 * The native data path of the store (native/userstore.c, docs/user-state.md "Round 4"): the helper
 * reads, hashes, compresses, encrypts and writes the frames of a capture, and reads, checks and
 * writes the files of a restore, on both cores, with zlib and OpenSSL (AES-NI, SHA-NI); the
 * TypeScript side keeps the walk, the rules, the manifest, collisions, hard links and store.json.
 * It is used when the helper is built ($OSD_USERSTORE, else .tmp/native/userstore, else PATH) and
 * the store and the files are folders on this host; otherwise the pure-Node code of
 * store-format.ts does the same. Either reads what the other wrote. Failures carry the words and
 * codes the Node path gives (the volume's VolumeError, Node's system error, USERSTATE_INTEGRITY).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { getSystemErrorMap } from 'node:util';
import { findNativeHelper } from '../../storage/volume/ntfsfs.js';
import { utimeSeconds } from '../../storage/volume/times.js';
import { VolumeError } from '../../storage/volume/volume.js';
import { UserStateError } from './errors.js';
import type { FrameRef, StoredFile } from './store-format.js';

/** The helper, or undefined (then the Node path). OSD_USERSTORE set to a missing path forces the Node path. */
export function userstoreHelper(): string | undefined {
  return findNativeHelper('userstore');
}

/** The largest peak RSS a helper of this process reported (KiB), for the benchmark. */
export const nativeStats = { peakRssKiB: 0, runs: 0 };

/** Node's error for a failed system call (`ENOSPC: no space left on device, write`), as fs gives it. */
export function systemError(errno: number, syscall: string, path?: string): NodeJS.ErrnoException {
  const [code, text] = getSystemErrorMap().get(-errno) ?? ['UNKNOWN', 'unknown error'];
  const e = new Error(`${code}: ${text}, ${syscall}${path !== undefined ? ` '${path}'` : ''}`) as NodeJS.ErrnoException;
  e.errno = -errno;
  e.code = code;
  e.syscall = syscall;
  if (path !== undefined) e.path = path;
  return e;
}

interface Waiter {
  resolve: (line: string) => void;
  reject: (e: unknown) => void;
}

/** One helper process: requests on stdin, one answer line each, in order; `P` lines (a pack done) as they come. */
class HelperProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Waiter[] = [];
  private rest = '';
  private stderr = '';
  private failed?: Error;
  readonly exited: Promise<void>;

  constructor(
    helper: string,
    args: string[],
    keyLine: string,
    private readonly onNotice: (line: string) => void,
  ) {
    this.child = spawn(helper, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (text: string) => this.data(text));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (t: string) => {
      if (this.stderr.length < 4096) this.stderr += t;
    });
    this.child.stdin.on('error', () => undefined); // the exit says why
    this.exited = new Promise((resolve) => {
      this.child.once('error', (e) => {
        this.fail(new Error(`the userstore helper ${helper} could not be started (${e.message})`));
        resolve();
      });
      this.child.once('close', (code, signal) => {
        if (code !== 0 || this.waiting.length)
          this.fail(new Error(`the userstore helper ended (${signal ?? `exit code ${code}`})${this.stderr ? `: ${this.stderr.trim()}` : ''}`));
        resolve();
      });
    });
    this.child.stdin.write(`${keyLine}\n`);
  }

  private data(text: string): void {
    this.rest += text;
    let nl: number;
    while ((nl = this.rest.indexOf('\n')) >= 0) {
      const line = this.rest.slice(0, nl);
      this.rest = this.rest.slice(nl + 1);
      if (line.startsWith('P ') || line.startsWith('X ')) this.onNotice(line);
      else this.waiting.shift()?.resolve(line);
    }
  }

  /** Every request waiting, and every later one, fails with `e`. */
  fail(e: Error): void {
    this.failed ??= e;
    for (const w of this.waiting.splice(0)) w.reject(this.failed);
  }

  /** Sends a request (a line, and a path after it); the promise is its answer line. */
  request(line: string, path?: string): Promise<string> {
    if (this.failed) return Promise.reject(this.failed);
    const answer = new Promise<string>((resolve, reject) => this.waiting.push({ resolve, reject }));
    if (path === undefined) this.child.stdin.write(`${line}\n`);
    else {
      const p = Buffer.from(path);
      this.child.stdin.write(`${line} ${p.length}\n`);
      this.child.stdin.write(Buffer.concat([p, Buffer.from('\n')]));
    }
    return answer;
  }

  /** `Q`, then the end of its input; resolves when it has exited. */
  async quit(): Promise<void> {
    const q = this.request('Q');
    this.child.stdin.end();
    const line = await q;
    const kib = Number(line.split(' ')[1]);
    if (Number.isFinite(kib)) nativeStats.peakRssKiB = Math.max(nativeStats.peakRssKiB, kib);
    nativeStats.runs++;
    await this.exited;
    if (this.failed) throw this.failed;
  }

  /** Stops the helper; resolves when it has exited (nothing is written after). */
  async kill(): Promise<void> {
    this.fail(new Error('the userstore helper was stopped'));
    this.child.kill();
    await this.exited;
  }
}

const keyLine = (key: Buffer | undefined): string => (key ? `K ${key.toString('hex')}` : 'P');
const idHex = (storeId: Buffer): string => storeId.toString('hex');

/** A capture's helper: files in, their sizes, SHA-256 and frames out; packs announced as they are complete. */
export class NativeCapture {
  private readonly proc: HelperProcess;

  constructor(
    helper: string,
    o: { storeDir: string; storeId: Buffer; firstPack: number; packMaxBytes: number; level: number; key?: Buffer },
    onPack: (pack: { n: number; bytes: number; sha256: string }) => void,
  ) {
    this.proc = new HelperProcess(
      helper,
      ['capture', o.storeDir, idHex(o.storeId), String(o.firstPack), String(o.packMaxBytes), String(o.level)],
      keyLine(o.key),
      (line) => {
        const [kind, a, b, c] = line.split(' ');
        if (kind === 'P') onPack({ n: Number(a), bytes: Number(b), sha256: c });
        // A pack that cannot be written (disk full …): this file, the files after it and the finish fail with Node's words for it.
        else this.proc.fail(systemError(Number(a), b));
      },
    );
  }

  /**
   * Stores a host file. Rejects with `{ errno, syscall }` (see `fileError`) when it cannot be opened or
   * read, or with the error that stopped the helper.
   */
  async addFile(hostPath: string): Promise<StoredFile> {
    const line = await this.proc.request('F', hostPath);
    const parts = line.split(' ');
    if (parts[0] === 'E') throw new NativeFileError(Number(parts[1]), parts[2]);
    if (parts[0] !== 'F') throw new Error(`the userstore helper answered ${line.slice(0, 80)}`);
    const frames: FrameRef[] = [];
    for (const ref of parts.slice(4)) {
      const [pack, offset, frame] = ref.split(':').map(Number);
      frames.push({ pack, offset, frame });
    }
    return { size: Number(parts[1]), sha256: parts[2], frames };
  }

  /** Ends the helper: its last pack closed (announced before this resolves). */
  finish(): Promise<void> {
    return this.proc.quit();
  }

  kill(): Promise<void> {
    return this.proc.kill();
  }
}

/** A file the capture helper could not open or read. */
export class NativeFileError extends Error {
  constructor(
    readonly errno: number,
    readonly syscall: string,
  ) {
    super(`${syscall} failed (errno ${errno})`);
  }
  /**
   * The error DirectoryVolume's openRead and its reads give for the same failure: a VolumeError for a
   * missing file or a folder, else Node's system error.
   */
  asVolumeError(volumeDescription: string, path: string, hostPath: string): Error {
    if (this.syscall === 'open' && this.errno === 2)
      return new VolumeError('not-found', volumeDescription, path, `${volumeDescription}: ${path} does not exist`);
    if (this.errno === 21) return new VolumeError('not-a-file', volumeDescription, path, `${volumeDescription}: ${path} is a directory, not a file`);
    return systemError(this.errno, this.syscall, this.syscall === 'open' ? hostPath : undefined);
  }
}

/** What a restored file must be, and where it goes. */
export interface NativeWrite {
  hostPath: string;
  size: number;
  sha256: string;
  frames: FrameRef[];
  accessedMs?: number;
  modifiedMs?: number;
  readonly: boolean;
  /** The entry's source, as the Node reader names a frame's failure. */
  where: string;
}

/** A restore's helper: each file's frames read, checked and written to a new host file. */
export class NativeRestore {
  private readonly proc: HelperProcess;

  constructor(
    helper: string,
    private readonly o: { storeDir: string; storeId: Buffer; key?: Buffer; description: string; packName: (n: number) => string },
  ) {
    this.proc = new HelperProcess(helper, ['restore', o.storeDir, idHex(o.storeId)], keyLine(o.key), (line) => {
      const [, a, b] = line.split(' ');
      this.proc.fail(systemError(Number(a), b));
    });
  }

  /** Writes one file (a new one: it must not exist); rejects with the Node path's error for the same failure. */
  async write(w: NativeWrite): Promise<void> {
    const secs = (ms: number | undefined): string => (ms === undefined ? '-' : String(utimeSeconds(ms)));
    const refs = w.frames.map((f) => `${f.pack}:${f.offset}:${f.frame}`);
    const line = await this.proc.request(
      ['W', w.size, w.sha256, secs(w.accessedMs), secs(w.modifiedMs), w.readonly ? 1 : 0, w.frames.length, ...refs].join(' '),
      w.hostPath,
    );
    if (line === 'OK') return;
    const sp = line.indexOf(' ');
    const kind = line.slice(0, sp);
    const rest = line.slice(sp + 1);
    if (kind === 'I') throw new UserStateError('USERSTATE_INTEGRITY', `${w.where}: ${rest}`);
    const [a, b, c] = rest.split(' ');
    if (kind === 'B')
      throw new UserStateError('USERSTATE_INTEGRITY', `${this.o.description}/${this.o.packName(Number(a))} ends before offset ${b} (cut short)`);
    if (kind === 'H')
      throw new UserStateError('USERSTATE_INTEGRITY', `${w.where}: restored ${a} bytes with SHA-256 ${b}; the manifest says ${w.size} bytes, ${w.sha256}`);
    if (kind === 'S') {
      const path = c === 'f' && b === 'open' ? w.hostPath : c.startsWith('p') ? join(this.o.storeDir, this.o.packName(Number(c.slice(1)))) : undefined;
      throw systemError(Number(a), b, path);
    }
    throw new Error(`the userstore helper answered ${line.slice(0, 80)}`);
  }

  finish(): Promise<void> {
    return this.proc.quit();
  }

  kill(): Promise<void> {
    return this.proc.kill();
  }
}
