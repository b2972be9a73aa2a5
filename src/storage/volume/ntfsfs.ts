/**
 * The client of the native `ntfsfs` helper (native/ntfsfs.c): where it is, FILETIME ↔ milliseconds,
 * and a batch session — one helper process holding the side image mounted read-write, answering
 * many requests (stat, walk, cat, mkdir, write, meta, link, remove) over its standard input and
 * output, so a user-state restore of thousands of files is one process, not one per file.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { codeOfToolOutput, fault, refused, WIN32 } from '../errors.js';
import { findTool } from '../tools.js';
import type { FileAttribute, FileMeta, VolumeErrorCode, WriteMeta } from './volume.js';

/**
 * A native helper (`ntfsmkdir`, `ntfsfs`): $OSD_<NAME>, else `.tmp/native/<name>` under the
 * repository root (found by walking up from this file, which runs from src/ under vitest and from
 * dist/ when built), else `<name>` on PATH. Undefined when there is none.
 * A `library` (the `offsetio` LD_PRELOAD shim) is `.tmp/native/<name>.so` and is not looked for on
 * PATH; its path is absolute (LD_PRELOAD needs one).
 */
export function findNativeHelper(name: string, kind: 'program' | 'library' = 'program'): string | undefined {
  const fromEnv = process.env[`OSD_${name.toUpperCase()}`];
  if (fromEnv) return existsSync(fromEnv) ? resolvePath(fromEnv) : undefined;
  const file = kind === 'library' ? `${name}.so` : name;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'native', `${name}.c`))) {
      const built = join(dir, '.tmp', 'native', file);
      if (existsSync(built)) return built;
      break;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return kind === 'library' ? undefined : findTool(name);
}

/** The helper's path, or a fault that says how to build it. */
export function requireNativeHelper(name: string): string {
  const found = findNativeHelper(name);
  if (found) return found;
  const env = `OSD_${name.toUpperCase()}`;
  throw fault(
    WIN32.fileNotFound,
    process.env[env]
      ? `${env} points at ${process.env[env]}, which does not exist; build it with \`make deps\` or fix the variable`
      : `the ${name} helper (native/${name}.c) is not built: run \`make deps\` (it needs gcc and ntfs-3g-dev and builds .tmp/native/${name}), or set ${env}`,
  );
}

/** 100-ns intervals between 1601-01-01 (FILETIME's epoch) and 1970-01-01. */
const EPOCH_DIFF = 116444736000000000n;

/**
 * Milliseconds since 1970 as a FILETIME (100 ns since 1601). The shortest decimal that is the
 * double is taken (String(ms)), so 1700000000123.4567 becomes exactly …1234567 and a time read back
 * with `filetimeToMs` is written again unchanged; digits past the 100 ns are rounded.
 */
export function msToFiletime(ms: number): bigint {
  if (!Number.isFinite(ms)) throw refused(`the time ${ms} is not a number of milliseconds`);
  let s = String(ms);
  if (/e/i.test(s)) s = ms.toFixed(7);
  const negative = s.startsWith('-');
  if (negative) s = s.slice(1);
  const [whole, frac = ''] = s.split('.');
  let units = BigInt(whole) * 10000n + BigInt((frac + '0000').slice(0, 4));
  if (frac.length > 4 && frac[4] >= '5') units += 1n;
  return (negative ? -units : units) + EPOCH_DIFF;
}

/** A FILETIME (decimal string or bigint) as milliseconds since 1970, to the 100 ns a double keeps. */
export function filetimeToMs(ft: string | bigint): number {
  const t = BigInt(ft) - EPOCH_DIFF;
  const a = t < 0n ? -t : t;
  return Number(`${t < 0n ? '-' : ''}${a / 10000n}.${String(a % 10000n).padStart(4, '0')}`);
}

const ATTRIBUTE_BITS: Record<FileAttribute, number> = { readonly: 0x1, hidden: 0x2, system: 0x4, archive: 0x20 };

export function attributesOfBits(bits: number): FileAttribute[] {
  return (Object.keys(ATTRIBUTE_BITS) as FileAttribute[]).filter((a) => (bits & ATTRIBUTE_BITS[a]) !== 0);
}

export function bitsOfAttributes(attributes: readonly FileAttribute[]): number {
  let bits = 0;
  for (const a of attributes) {
    if (!(a in ATTRIBUTE_BITS)) throw refused(`'${String(a)}' is not a DOS attribute (readonly, hidden, system, archive)`);
    bits |= ATTRIBUTE_BITS[a];
  }
  return bits;
}

/** The helper's JSON entry. */
interface RawMeta {
  path: string;
  type: FileMeta['type'];
  size: number;
  ctime: string;
  mtime: string;
  atime: string;
  attrs: number;
  links: number;
  id: string;
}

export function parseMetaLine(json: string): FileMeta {
  const r = JSON.parse(json) as RawMeta;
  return {
    path: r.path,
    type: r.type,
    size: r.size,
    createdMs: filetimeToMs(r.ctime),
    modifiedMs: filetimeToMs(r.mtime),
    accessedMs: filetimeToMs(r.atime),
    attributes: attributesOfBits(r.attrs),
    links: r.links,
    fileId: r.id,
  };
}

/** The fields of a `write` or `meta` request after the path: CTIME MTIME ATIME ATTRS ('-' = keep). */
export function metaFields(meta: WriteMeta | undefined): string {
  const t = (ms: number | undefined) => (ms === undefined ? '-' : msToFiletime(ms).toString());
  const attrs = meta?.attributes === undefined ? '-' : String(bitsOfAttributes(meta.attributes));
  return [t(meta?.createdMs), t(meta?.modifiedMs), t(meta?.accessedMs), attrs].join('\t');
}

/** A failed request: the helper's kind and message. */
export class NtfsfsFailure extends Error {
  constructor(
    readonly kind: VolumeErrorCode | 'io',
    readonly detail: string,
  ) {
    super(detail);
  }

  /** The Win32 code of an `io` failure, from the errno text it carries. */
  get win32(): number {
    return codeOfToolOutput(this.detail) ?? WIN32.generic;
  }
}

/** Reads lines and exact byte counts from a stream, pausing it when too much is buffered. */
class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private ended = false;
  private wake?: () => void;

  constructor(private readonly stream: Readable) {
    stream.on('data', (b: Buffer) => {
      this.buf = this.buf.length === 0 ? b : Buffer.concat([this.buf, b]);
      if (this.buf.length > 8 << 20) stream.pause();
      this.notify();
    });
    stream.on('end', () => {
      this.ended = true;
      this.notify();
    });
    stream.on('error', () => {
      this.ended = true;
      this.notify();
    });
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private more(): Promise<void> {
    this.stream.resume();
    return new Promise((resolve) => (this.wake = resolve));
  }

  private take(n: number, skip: number): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n + skip);
    return out;
  }

  /** The next line without its newline; undefined at the end of the stream. */
  async line(): Promise<string | undefined> {
    for (;;) {
      const i = this.buf.indexOf(10);
      if (i >= 0) return this.take(i, 1).toString('utf8');
      if (this.ended) return undefined;
      await this.more();
    }
  }

  /** Exactly `n` bytes; undefined when the stream ends first. */
  async bytes(n: number): Promise<Buffer | undefined> {
    while (this.buf.length < n) {
      if (this.ended) return undefined;
      await this.more();
    }
    return Buffer.from(this.take(n, 0));
  }
}

/** A child's stdio pipe is a socket: it can stop keeping Node running. */
interface Pipe {
  ref?: () => void;
  unref?: () => void;
}

/** The largest chunk sent in one frame (the helper's buffer). */
const FRAME = 1 << 20;

/**
 * One `ntfsfs IMAGE batch` process: read-write, or `--read-only` (it never changes the image, so
 * readers may run beside it). Requests must not overlap: the caller (NtfsVolume's queue) runs one at
 * a time. `close()` ends the input; the helper unmounts (writing everything) and exits. An idle
 * read-only session does not keep Node running (`hold`/`release` around each request).
 */
export class NtfsfsSession {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly reader: ByteReader;
  private stderr = '';
  private readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>;
  /** The helper died or answered out of step: the session cannot be used any more. */
  broken = false;

  constructor(
    readonly helper: string,
    readonly image: string,
    readonly writable: boolean,
    /** More environment for the helper (the offsetio shim's, when `image` is a partition in a disk image). */
    env: Record<string, string> = {},
  ) {
    this.child = spawn(helper, [image, 'batch', ...(writable ? [] : ['--read-only'])], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C.UTF-8', ...env },
    });
    this.reader = new ByteReader(this.child.stdout);
    this.child.stderr.on('data', (b: Buffer) => {
      this.stderr = (this.stderr + b.toString('utf8')).slice(-4000);
    });
    this.child.stdin.on('error', () => {
      /* a dead helper: its exit tells */
    });
    this.exit = new Promise((resolve) => {
      this.child.on('error', (error) => resolve({ code: null, signal: null, error }));
      this.child.on('close', (code, signal) => resolve({ code, signal }));
    });
  }

  /** Keeps Node running while a request is answered. */
  hold(): void {
    this.child.ref();
    for (const pipe of [this.child.stdout, this.child.stdin, this.child.stderr]) (pipe as unknown as Pipe).ref?.();
  }

  /** An idle session does not keep Node running (the helper unmounts when Node exits and its input closes). */
  release(): void {
    this.child.unref();
    for (const pipe of [this.child.stdout, this.child.stdin, this.child.stderr]) (pipe as unknown as Pipe).unref?.();
  }

  private died(what: string): Error {
    this.broken = true;
    return fault(
      WIN32.generic,
      `${this.helper} (${this.image}) stopped while ${what}${this.stderr.trim() ? `: ${this.stderr.trim().split('\n').slice(-5).join('\n')}` : ''}`,
    );
  }

  /**
   * Writes to the helper's input, waiting when the pipe is full. A helper that has gone (its input
   * closed: it could not open the volume, or died) is not waited for — no 'drain' or 'close' would
   * come any more; reading its answer reports it.
   */
  write(data: string | Buffer): Promise<void> {
    const stdin = this.child.stdin;
    if (stdin.destroyed || stdin.writableEnded) return Promise.resolve();
    if (stdin.write(data)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        stdin.off('drain', done);
        stdin.off('close', done);
        stdin.off('error', done);
        resolve();
      };
      stdin.on('drain', done);
      stdin.on('close', done);
      stdin.on('error', done);
      if (stdin.destroyed) done(); // closed during the write itself
    });
  }

  /** The next answer line; a fault when the helper has gone. */
  async line(what: string): Promise<string> {
    const l = await this.reader.line();
    if (l === undefined) throw await this.gone(what);
    return l;
  }

  /** The fault for a helper that stopped answering, once it has exited (its code or signal, its last words). */
  private async gone(what: string): Promise<Error> {
    const { code, signal, error } = await this.exit;
    return this.died(`${what} (${error ? error.message : signal ? `signal ${signal}` : `exit code ${code}`})`);
  }

  /** An `ok`/`err` answer: the text after "ok\t", or NtfsfsFailure. */
  async answer(what: string): Promise<string> {
    return this.check(await this.line(what), what);
  }

  check(line: string, what: string): string {
    if (line === 'ok') return '';
    if (line.startsWith('ok\t')) return line.slice(3);
    if (line.startsWith('err\t')) {
      const [, kind, ...rest] = line.split('\t');
      throw new NtfsfsFailure(kind as VolumeErrorCode | 'io', rest.join('\t'));
    }
    this.broken = true;
    throw fault(WIN32.invalidData, `${this.helper} answered ${what} with ${JSON.stringify(line.slice(0, 200))}`);
  }

  async request(line: string): Promise<string> {
    await this.write(`${line}\n`);
    return this.answer(line.split('\t')[0]);
  }

  async stat(path: string): Promise<FileMeta | undefined> {
    await this.write(`stat\t${path}\n`);
    const l = await this.line('stat');
    if (l === 'none') return undefined;
    return parseMetaLine(this.check(l, 'stat'));
  }

  /** `walk` (everything below a folder) or `list` (its entries). */
  async entries(op: 'walk' | 'list', path: string): Promise<FileMeta[]> {
    await this.write(`${op}\t${path}\n`);
    const out: FileMeta[] = [];
    for (;;) {
      const l = await this.line(op);
      if (l.startsWith('e\t')) out.push(parseMetaLine(l.slice(2)));
      else {
        this.check(l, op);
        return out;
      }
    }
  }

  /** A whole file through the session (for small files: a large one is streamed by `ntfsfs cat`). */
  async cat(path: string): Promise<Buffer> {
    await this.write(`cat\t${path}\n`);
    const parts: Buffer[] = [];
    for (;;) {
      const l = await this.line('cat');
      if (!l.startsWith('d\t')) {
        this.check(l, 'cat');
        return Buffer.concat(parts);
      }
      const data = await this.reader.bytes(Number(l.slice(2)));
      if (!data) throw await this.gone('cat');
      parts.push(data);
    }
  }

  /** Writes a file from `source`; when the source fails, the helper is told and the source's error is thrown. */
  async writeFile(path: string, source: AsyncIterable<Buffer | string> | Iterable<Buffer>, meta: WriteMeta | undefined): Promise<void> {
    await this.write(`write\t${path}\t${metaFields(meta)}\n`);
    let failed: unknown;
    try {
      for await (const chunk of source) {
        const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        for (let i = 0; i < b.length; i += FRAME) {
          const piece = b.subarray(i, i + FRAME);
          await this.write(`${piece.length}\n`);
          await this.write(piece);
        }
      }
    } catch (e) {
      failed = e;
    }
    await this.write(failed === undefined ? '0\n' : '-1\n');
    const answer = this.answer('write');
    if (failed !== undefined) {
      await answer.catch(() => undefined);
      throw failed;
    }
    await answer;
  }

  /** Ends the session: the helper unmounts the volume, writing everything; a fault when that fails. */
  async close(): Promise<void> {
    this.hold();
    this.child.stdin.end();
    const { code, signal, error } = await this.exit;
    if (error) throw fault(WIN32.fileNotFound, `${this.helper} could not run: ${error.message}`);
    if (code !== 0) throw this.died(`closing the volume (exit code ${code ?? signal})`);
  }

  /** Stops the helper without waiting (after an error that left the protocol out of step). */
  kill(): void {
    this.child.kill('SIGKILL');
  }
}
