/**
 * The store format `openosd.userstate/v1` (user-state.md §2.3, §2.4): `USMT/store.json` (public
 * header), `USMT/packs/000001.osdp …` (frames of file data, ≤ 256 MiB a pack) and
 * `USMT/manifest.osdm` (the manifest in the same frames, pack number 0, written last).
 *
 * Frame = 40-byte header + payload. Header: magic `OSDF`, version 1, codec (0 stored, 1
 * deflate-raw), 2 reserved, pack (u32 BE), frame within pack (u64 BE), plaintext length (u32 BE),
 * stored length (u32 BE), nonce = pack ‖ frame (12 bytes). Payload: AES-256-GCM ciphertext + 16-byte
 * tag with AAD = storeId (16 raw bytes) ‖ header; in `plain` mode the payload is the plaintext and
 * there is no tag. A file is cut into frames of ≤ 4 MiB of plaintext, never spanning files; an
 * empty file has none. Streaming both ways: a file is never held whole in memory.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, fstat, open, read } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { constants as zc, deflateRaw, deflateRawSync, inflateRaw, inflateRawSync } from 'node:zlib';
import { DirectoryVolume } from '../../storage/volume/directory.js';
import type { VolumeFiles } from '../computer.js';
import { UserStateError } from './errors.js';
import { NativeCapture, NativeRestore, userstoreHelper } from './native-store.js';

export const STORE_FORMAT = 'openosd.userstate/v1';
export const FRAME_MAGIC = Buffer.from('OSDF', 'ascii');
export const FRAME_HEADER_BYTES = 40;
export const FRAME_PLAIN_MAX = 4 * 1024 * 1024;
export const PACK_MAX_BYTES = 256 * 1024 * 1024;
const TAG_BYTES = 16;
const KEYID_LABEL = 'openosd-userstate-keyid-v1';
export const CODEC_STORED = 0;
export const CODEC_DEFLATE_RAW = 1;

const deflateAsync = promisify(deflateRaw);
const openFd = promisify(open);
const fstatFd = promisify(fstat);
const readFd = promisify(read);
const inflateAsync = promisify(inflateRaw) as (buf: Buffer, options: object) => Promise<Buffer>;

export interface StoreJson {
  format: typeof STORE_FORMAT;
  storeId: string;
  createdUtc: string;
  mode: 'encrypted' | 'plain';
  cipher: 'AES-256-GCM' | 'none';
  compression: 'deflate-raw' | 'none';
  keyId?: string;
  manifest: { file: 'manifest.osdm'; sha256: string };
  packs: Array<{ file: string; bytes: number; sha256: string }>;
}

export interface FrameRef {
  pack: number;
  offset: number;
  frame: number;
}

/** keyId = first 16 bytes of HMAC-SHA256(DEK, "openosd-userstate-keyid-v1") in hex (§2.4). */
export function keyIdOf(dek: Buffer): string {
  return createHmac('sha256', dek).update(KEYID_LABEL).digest().subarray(0, 16).toString('hex');
}

/** A store's data key from its base64 text: 32 bytes, or USERSTATE_WRONG_KEY naming what is wrong. */
export function parseKey(base64: string, input = 'the key'): Buffer {
  const text = base64.trim();
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  if (key.length !== 32)
    throw new UserStateError('USERSTATE_WRONG_KEY', `${input} is not a store key: base64 of 32 bytes (${text.length ? `${key.length} bytes` : 'empty'})`, {
      kind: 'bad-input',
      input,
    });
  return key;
}

/** The 16 raw bytes of a storeId (a UUID). */
export function storeIdBytes(storeId: string): Buffer {
  const hex = storeId.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new UserStateError('USERSTATE_BAD_STORE', `storeId ${storeId} is not a UUID`);
  return Buffer.from(hex, 'hex');
}

export const packName = (n: number): string => `packs/${String(n).padStart(6, '0')}.osdp`;

function header(codec: number, pack: number, frame: number, plainLen: number, storedLen: number): Buffer {
  const h = Buffer.alloc(FRAME_HEADER_BYTES);
  FRAME_MAGIC.copy(h, 0);
  h[4] = 1;
  h[5] = codec;
  h.writeUInt32BE(pack, 8);
  h.writeBigUInt64BE(BigInt(frame), 12);
  h.writeUInt32BE(plainLen, 20);
  h.writeUInt32BE(storedLen, 24);
  h.writeUInt32BE(pack, 28);
  h.writeBigUInt64BE(BigInt(frame), 32);
  return h;
}

/** One frame's bytes: header ‖ (GCM ciphertext ‖ tag | plaintext). `payload` is what `codec` says (compressed or not). */
export function encodeFrame(key: Buffer | undefined, storeId: Buffer, pack: number, frame: number, codec: number, plainLen: number, payload: Buffer): Buffer[] {
  if (!key) return [header(codec, pack, frame, plainLen, payload.length), payload];
  const h = header(codec, pack, frame, plainLen, payload.length + TAG_BYTES);
  const c = createCipheriv('aes-256-gcm', key, h.subarray(28, 40));
  c.setAAD(Buffer.concat([storeId, h]));
  const ct = c.update(payload);
  c.final();
  return [h, ct, c.getAuthTag()];
}

// --- where a store's files are ------------------------------------------------------------------

/** A writable store folder (the `USMT` folder): on this host (remote mode's staging) or on the computer's volume. */
export interface StoreSink {
  readonly description: string;
  writeFile(name: string, data: Buffer): Promise<void>;
  /** A file written in order; `write` waits while the file cannot take more. */
  create(name: string): Promise<{ write(chunks: Buffer[]): Promise<void>; close(): Promise<void> }>;
  /** The store folder's path on this host, when it is a host folder (the native data path writes there). */
  hostDir?(): string | undefined;
}

/** A readable store folder. */
export interface StoreSource {
  readonly description: string;
  readFile(name: string): Promise<Buffer | undefined>;
  size(name: string): Promise<number | undefined>;
  openRead(name: string): Promise<Readable>;
  /** The file's path on this host, when it is a host file (packs are then read through one reused buffer). */
  hostPath?(name: string): string;
  /** Makes `name` readable without the volume (a disk image's volume serves one request at a time). */
  prefetch?(name: string): Promise<void>;
  /** Removes what prefetch copied. */
  dispose?(): Promise<void>;
  /** The store folder's path on this host, when it is a host folder (the native data path reads there). */
  hostDir?(): string | undefined;
}

/** A store folder on this host (remote mode's staging folder, `osd userstate extract`). */
export class HostStoreDir implements StoreSink, StoreSource {
  readonly description: string;
  constructor(readonly dir: string) {
    this.description = dir;
  }
  async writeFile(name: string, data: Buffer): Promise<void> {
    await mkdir(dirname(join(this.dir, name)), { recursive: true });
    await writeFile(join(this.dir, name), data);
  }
  async create(name: string): Promise<{ write(chunks: Buffer[]): Promise<void>; close(): Promise<void> }> {
    const path = join(this.dir, name);
    await mkdir(dirname(path), { recursive: true });
    const out = createWriteStream(path, { highWaterMark: 8 << 20 });
    const failed = new Promise<never>((_, reject) => out.once('error', reject));
    failed.catch(() => undefined);
    return {
      write: async (chunks) => {
        let ok = true;
        for (const c of chunks) ok = out.write(c) && ok;
        if (!ok) await Promise.race([new Promise<void>((r) => out.once('drain', () => r())), failed]);
      },
      close: () => Promise.race([new Promise<void>((r) => out.end(() => r())), failed]),
    };
  }
  async readFile(name: string): Promise<Buffer | undefined> {
    return readFile(join(this.dir, name)).catch(() => undefined);
  }
  async size(name: string): Promise<number | undefined> {
    return (await stat(join(this.dir, name)).catch(() => undefined))?.size;
  }
  async openRead(name: string): Promise<Readable> {
    // Reads of 8 MiB: most 4 MiB frames lie inside one read, handed on without copying.
    return createReadStream(join(this.dir, name), { highWaterMark: 8 << 20 });
  }
  hostPath(name: string): string {
    return join(this.dir, name);
  }
  hostDir(): string {
    return this.dir;
  }
}

/**
 * A store folder on the computer's volume (`<OSDStateStorePath>\USMT`), through the Computer port.
 * A disk image's volume serves one request at a time (NtfsVolume's session): a pack written as a
 * stream while the capture reads the files it holds would wait for itself, so packs are spooled
 * in a host folder and copied in whole, and read back through one [I]. A folder volume needs neither.
 */
export class VolumeStoreDir implements StoreSink, StoreSource {
  readonly description: string;
  private readonly spool: boolean;
  constructor(
    readonly files: VolumeFiles,
    readonly folder: string,
    options: { spoolDir?: string } = {},
  ) {
    this.description = `${folder} on ${files.description}`;
    this.spool = !(files instanceof DirectoryVolume);
    this.spoolDir = options.spoolDir ?? tmpdir();
  }
  private readonly spoolDir: string;
  hostDir(): string | undefined {
    return this.files instanceof DirectoryVolume ? this.files.hostPath(this.folder) : undefined;
  }
  private path(name: string): string {
    return `${this.folder.replace(/[\\/]+$/, '')}/${name}`;
  }
  private async spoolFile(): Promise<string> {
    const dir = join(this.spoolDir, `osd-userstate-${randomUUID()}`);
    await mkdir(dir, { recursive: true });
    return join(dir, 'spool');
  }
  async writeFile(name: string, data: Buffer): Promise<void> {
    await this.files.writeFile(this.path(name), data);
  }
  async create(name: string): Promise<{ write(chunks: Buffer[]): Promise<void>; close(): Promise<void> }> {
    if (this.spool) {
      const file = await this.spoolFile();
      const host = await new HostStoreDir(dirname(file)).create('spool');
      return {
        write: (chunks) => host.write(chunks),
        close: async () => {
          await host.close();
          try {
            await this.files.writeStream(this.path(name), createReadStream(file, { highWaterMark: 1 << 20 }));
          } finally {
            await rm(dirname(file), { recursive: true, force: true });
          }
        },
      };
    }
    const pass = new PassThrough({ highWaterMark: 8 << 20 });
    const done = this.files.writeStream(this.path(name), pass);
    done.catch(() => undefined);
    return {
      write: async (chunks) => {
        let ok = true;
        for (const c of chunks) ok = pass.write(c) && ok;
        if (!ok) await Promise.race([new Promise<void>((r) => pass.once('drain', () => r())), done]);
      },
      close: async () => {
        pass.end();
        await done;
      },
    };
  }
  async readFile(name: string): Promise<Buffer | undefined> {
    if (!(await this.files.exists(this.path(name)))) return undefined;
    return this.files.readFile(this.path(name));
  }
  async size(name: string): Promise<number | undefined> {
    return (await this.files.stat(this.path(name)))?.size;
  }
  /** Packs copied to this host, by name (at most two kept: the reader goes forward). */
  private readonly spooled = new Map<string, string>();

  /** Copies a file to the host before a writer on the same volume needs the volume (spooling back ends only). */
  async prefetch(name: string): Promise<void> {
    if (!this.spool || this.spooled.has(name)) return;
    const file = await this.spoolFile();
    try {
      await pipeline(await this.files.openRead(this.path(name)), createWriteStream(file));
    } catch (e) {
      await rm(dirname(file), { recursive: true, force: true });
      throw e;
    }
    this.spooled.set(name, file);
    for (const [old, f] of this.spooled) {
      if (this.spooled.size <= 2) break;
      if (old === name) continue;
      this.spooled.delete(old);
      await rm(dirname(f), { recursive: true, force: true });
    }
  }
  async openRead(name: string): Promise<Readable> {
    if (!this.spool) return this.files.openRead(this.path(name));
    await this.prefetch(name);
    return createReadStream(this.spooled.get(name)!, { highWaterMark: 1 << 20 });
  }
  async dispose(): Promise<void> {
    for (const f of this.spooled.values()) await rm(dirname(f), { recursive: true, force: true });
    this.spooled.clear();
  }
}

// --- writing ------------------------------------------------------------------------------------

export interface StoreWriterOptions {
  storeId: string;
  /** The DEK; absent for a `plain` store. */
  key?: Buffer;
  /** deflate level (default 1: speed first; 0: frames stored uncompressed) [I]. */
  level?: number;
  packMaxBytes?: number;
  /** Called when a pack is complete (remote mode uploads it while the next one is written). */
  onPack?: (pack: { n: number; file: string; bytes: number; sha256: string }) => Promise<void>;
}

/** What a file became in the store. */
export interface StoredFile {
  size: number;
  sha256: string;
  frames: FrameRef[];
}

/** Frames compressed at once (on the thread pool) while earlier ones are encrypted and written: at most so many, … */
const IN_FLIGHT = 8;
/** … and at most so many plaintext bytes (the writer's memory stays bounded whatever the files' sizes). */
const IN_FLIGHT_BYTES = 16 * 1024 * 1024;
/** Frames of at most this size are deflated on the main thread (a thread-pool round trip costs more); larger ones are sampled first. */
const SAMPLE_BYTES = 4 * 1024;

/** log2 of 1 … SAMPLE_BYTES, for the entropy of a sample. */
const LOG2 = Float64Array.from({ length: SAMPLE_BYTES + 1 }, (_, i) => (i ? Math.log2(i) : 0));
/** Order-0 entropy above this many bits a byte: deflate would not gain 10 % (random bytes: ~7.95 in a 4 KiB sample; text 4–5). */
const STORE_ENTROPY_BITS = 7.2;

/** Whether deflate is worth trying: the byte entropy of (at most) 4 KiB from the middle of `plain`. */
export function looksCompressible(plain: Buffer): boolean {
  const n = Math.min(plain.length, SAMPLE_BYTES);
  if (n < 64) return true;
  const from = (plain.length - n) >> 1;
  const counts = new Uint32Array(256);
  for (let i = from; i < from + n; i++) counts[plain[i]]++;
  // H = log2(n) - (1/n) Σ c·log2(c)
  let sum = 0;
  for (let i = 0; i < 256; i++) if (counts[i] > 1) sum += counts[i] * LOG2[counts[i]];
  return LOG2[n] - sum / n < STORE_ENTROPY_BITS;
}

/**
 * Writes a store: `addFile` for each file in order (streamed: at most a few frames in memory),
 * then `finish` with the manifest (written last) and store.json.
 */
export class StoreWriter {
  private readonly idBytes: Buffer;
  private packN = 0;
  private pack?: { out: Awaited<ReturnType<StoreSink['create']>>; bytes: number; frames: number; hash: ReturnType<typeof createHash> };
  private readonly packs: StoreJson['packs'] = [];
  private readonly packMax: number;
  /** Bytes written to packs so far. */
  bytesWritten = 0;
  /** The native helper while it writes the packs (addHostFile); undefined otherwise. */
  private native?: NativeCapture;
  /** The helper's path and the store's host folder, once looked up (null: the Node path only). */
  private nativeWhere?: { helper: string; dir: string } | null;
  /** Uploads of the packs the helper completed (onPack), one after another. */
  private uploads: Promise<void> = Promise.resolve();

  constructor(
    private readonly sink: StoreSink,
    private readonly options: StoreWriterOptions,
  ) {
    this.idBytes = storeIdBytes(options.storeId);
    this.packMax = options.packMaxBytes ?? PACK_MAX_BYTES;
  }

  private async compress(plain: Buffer): Promise<{ codec: number; payload: Buffer }> {
    const level = this.options.level ?? 1;
    if (!this.options.key || level === 0) return { codec: CODEC_STORED, payload: plain };
    // Incompressible data (media, archives, encrypted files) is told by the byte entropy of a 4 KiB
    // sample from the frame's middle (a file's header is often not like its body) and stored as it
    // is [I]: a few microseconds, where deflating a sample set up a zlib stream for every frame.
    if (!looksCompressible(plain)) return { codec: CODEC_STORED, payload: plain };
    // Output buffers sized for the usual case (text to a quarter or less): one allocation, no concatenation.
    if (plain.length <= SAMPLE_BYTES) {
      const packed = deflateRawSync(plain, { level, chunkSize: Math.max(64, plain.length + 64) });
      return packed.length < plain.length ? { codec: CODEC_DEFLATE_RAW, payload: packed } : { codec: CODEC_STORED, payload: plain };
    }
    // On the thread pool: the main thread reads, hashes and encrypts meanwhile.
    const packed = await deflateAsync(plain, { level, strategy: zc.Z_DEFAULT_STRATEGY, chunkSize: Math.min(1 << 20, (plain.length >> 1) + 1024) });
    // Incompressible data is stored as it is (a frame's codec is its own).
    return packed.length < plain.length ? { codec: CODEC_DEFLATE_RAW, payload: packed } : { codec: CODEC_STORED, payload: plain };
  }

  private async writeFrame(plainLen: number, codec: number, payload: Buffer): Promise<FrameRef> {
    const frameBytes = FRAME_HEADER_BYTES + payload.length + (this.options.key ? TAG_BYTES : 0);
    if (!this.pack || (this.pack.bytes > 0 && this.pack.bytes + frameBytes > this.packMax)) await this.nextPack();
    const p = this.pack!;
    const ref = { pack: this.packN, offset: p.bytes, frame: p.frames };
    const parts = encodeFrame(this.options.key, this.idBytes, this.packN, p.frames, codec, plainLen, payload);
    for (const part of parts) p.hash.update(part);
    await p.out.write(parts);
    p.bytes += frameBytes;
    p.frames++;
    this.bytesWritten += frameBytes;
    return ref;
  }

  private async closePack(): Promise<void> {
    const p = this.pack;
    if (!p) return;
    this.pack = undefined;
    await p.out.close();
    const entry = { file: packName(this.packN), bytes: p.bytes, sha256: p.hash.digest('hex') };
    this.packs.push(entry);
    await this.options.onPack?.({ n: this.packN, ...entry });
  }

  private async nextPack(): Promise<void> {
    await this.closePack();
    this.packN++;
    this.pack = { out: await this.sink.create(packName(this.packN)), bytes: 0, frames: 0, hash: createHash('sha256') };
  }

  /** Frames waiting for their compression, then to be encrypted and written, in store order (across files). */
  private readonly queue: Array<{ len: number; work: Promise<{ codec: number; payload: Buffer }>; frames: FrameRef[] }> = [];
  private queuedBytes = 0;

  private async drainOne(): Promise<void> {
    const f = this.queue.shift()!;
    this.queuedBytes -= f.len;
    const { codec, payload } = await f.work;
    f.frames.push(await this.writeFrame(f.len, codec, payload));
  }

  /** Every frame added so far written (each StoredFile's `frames` complete). */
  async flush(): Promise<void> {
    while (this.queue.length) await this.drainOne();
  }

  /**
   * Whether `addHostFile` can take files: the native helper (native/userstore.c) is built and this
   * store is a folder on this host. OSD_USERSTORE set to a missing path says no.
   */
  canAddHostFiles(): boolean {
    if (this.nativeWhere === undefined) {
      const helper = userstoreHelper();
      const dir = helper ? this.sink.hostDir?.() : undefined;
      this.nativeWhere = helper && dir ? { helper, dir } : null;
    }
    return this.nativeWhere !== null;
  }

  /**
   * Adds a file of this host through the native helper (only when `canAddHostFiles()`): it reads,
   * hashes, compresses, encrypts and writes the file's frames as `addFile` would, on other
   * threads. Resolves when the helper has the request (after an upload of a completed pack, when
   * `onPack` is given: remote mode keeps one pack in its staging folder); `stored` resolves when
   * the file is in the store, or rejects with a `NativeFileError` when it cannot be read (or with
   * the error that stopped the helper: a pack that cannot be written).
   */
  async addHostFile(hostPath: string): Promise<{ stored: Promise<StoredFile> }> {
    if (!this.canAddHostFiles()) throw new Error('the native userstore helper is not available for this store');
    if (!this.native) {
      // Frames of the Node path first: the helper starts a new pack.
      await this.flush();
      await this.closePack();
      this.native = new NativeCapture(
        this.nativeWhere!.helper,
        {
          storeDir: this.nativeWhere!.dir,
          storeId: this.idBytes,
          firstPack: this.packN + 1,
          packMaxBytes: this.packMax,
          level: this.options.level ?? 1,
          key: this.options.key,
        },
        (p) => {
          const entry = { file: packName(p.n), bytes: p.bytes, sha256: p.sha256 };
          this.packs.push(entry);
          this.packN = p.n;
          this.bytesWritten += p.bytes;
          const onPack = this.options.onPack;
          if (onPack) this.uploads = this.uploads.then(() => onPack({ n: p.n, ...entry }));
        },
      );
    }
    if (this.options.onPack) await this.uploads;
    const stored = this.native.addFile(hostPath);
    stored.catch(() => undefined);
    return { stored };
  }

  /** The helper's last pack closed and announced, the helper ended, the uploads done. */
  private async endNative(): Promise<void> {
    const native = this.native;
    if (!native) return;
    this.native = undefined;
    try {
      await native.finish();
    } finally {
      await this.uploads;
    }
  }

  /** Stops the helper (a capture that failed: no finish will come); resolves when it has exited. */
  async abandon(): Promise<void> {
    const n = this.native;
    this.native = undefined;
    await n?.kill();
  }

  /**
   * Adds one file's bytes (streamed); its frames, size and SHA-256 go into the manifest entry.
   * With `wait: false` the file's last frames may still be compressing when it returns (the next
   * file is read meanwhile): its `frames` array is complete after the next `flush` (or `finish`).
   */
  async addFile(source: AsyncIterable<Buffer | string> | Iterable<Buffer>, options: { wait?: boolean } = {}): Promise<StoredFile> {
    await this.endNative();
    const hash = createHash('sha256');
    const frames: FrameRef[] = [];
    let size = 0;
    let parts: Buffer[] = [];
    let partsLen = 0;
    const emit = async (plain: Buffer): Promise<void> => {
      const work = this.compress(plain);
      work.catch(() => undefined);
      this.queue.push({ len: plain.length, work, frames });
      this.queuedBytes += plain.length;
      while (this.queue.length >= IN_FLIGHT || this.queuedBytes > IN_FLIGHT_BYTES) await this.drainOne();
    };
    for await (const raw of source) {
      let chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
      hash.update(chunk);
      size += chunk.length;
      while (chunk.length > 0) {
        const take = Math.min(FRAME_PLAIN_MAX - partsLen, chunk.length);
        parts.push(take === chunk.length ? chunk : chunk.subarray(0, take));
        partsLen += take;
        chunk = chunk.subarray(take);
        if (partsLen === FRAME_PLAIN_MAX) {
          await emit(parts.length === 1 ? parts[0] : Buffer.concat(parts, partsLen));
          parts = [];
          partsLen = 0;
        }
      }
    }
    if (partsLen > 0) await emit(parts.length === 1 ? parts[0] : Buffer.concat(parts, partsLen));
    if (options.wait !== false) await this.flush();
    return { size, sha256: hash.digest('hex'), frames };
  }

  /** The manifest (written last, pack 0), then store.json. */
  async finish(manifest: unknown, createdUtc = new Date().toISOString()): Promise<StoreJson> {
    await this.endNative();
    await this.flush();
    await this.closePack();
    const text = Buffer.from(JSON.stringify(manifest), 'utf8');
    const out = await this.sink.create('manifest.osdm');
    const mhash = createHash('sha256');
    let frame = 0;
    for (let at = 0; at < text.length || (at === 0 && frame === 0); at += FRAME_PLAIN_MAX) {
      const plain = text.subarray(at, at + FRAME_PLAIN_MAX);
      const { codec, payload } = await this.compress(plain);
      const parts = encodeFrame(this.options.key, this.idBytes, 0, frame++, codec, plain.length, payload);
      for (const p of parts) mhash.update(p);
      await out.write(parts);
      if (text.length === 0) break;
    }
    await out.close();
    const store: StoreJson = {
      format: STORE_FORMAT,
      storeId: this.options.storeId,
      createdUtc,
      mode: this.options.key ? 'encrypted' : 'plain',
      cipher: this.options.key ? 'AES-256-GCM' : 'none',
      compression: this.options.key ? 'deflate-raw' : 'none',
      ...(this.options.key ? { keyId: keyIdOf(this.options.key) } : {}),
      manifest: { file: 'manifest.osdm', sha256: mhash.digest('hex') },
      packs: this.packs,
    };
    await this.sink.writeFile('store.json', Buffer.from(`${JSON.stringify(store, null, 2)}\n`));
    return store;
  }
}

// --- reading ------------------------------------------------------------------------------------

/** Reads a byte stream forward: exact reads and skips, never backwards. A read inside one of the stream's chunks is a view of it; only a read across chunks is copied (its own bytes, never the rest of a chunk). */
class Cursor {
  private it: AsyncIterator<Buffer>;
  private chunks: Buffer[] = [];
  private have = 0;
  pos = 0;
  ended = false;
  constructor(readonly stream: Readable) {
    this.it = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }
  private async fill(n: number): Promise<void> {
    while (this.have < n && !this.ended) {
      const r = await this.it.next();
      if (r.done) this.ended = true;
      else if (r.value.length > 0) {
        this.chunks.push(r.value);
        this.have += r.value.length;
      }
    }
  }
  /** Drops `n` bytes (≤ have) from the front. */
  private consume(n: number): void {
    this.have -= n;
    this.pos += n;
    while (n > 0) {
      const c = this.chunks[0];
      if (c.length <= n) {
        this.chunks.shift();
        n -= c.length;
      } else {
        this.chunks[0] = c.subarray(n);
        n = 0;
      }
    }
  }
  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    const len = Math.min(n, this.have);
    const first = this.chunks[0];
    let out: Buffer;
    if (len === 0) out = Buffer.alloc(0);
    else if (first.length >= len) out = first.subarray(0, len);
    else {
      out = Buffer.allocUnsafe(len);
      let at = 0;
      for (const c of this.chunks) {
        if (at >= len) break;
        at += c.copy(out, at, 0, Math.min(c.length, len - at));
      }
    }
    this.consume(len);
    return out;
  }
  async skipTo(offset: number): Promise<boolean> {
    while (this.pos < offset) {
      if (this.have === 0) await this.fill(1);
      if (this.have === 0) return false;
      this.consume(Math.min(offset - this.pos, this.have));
    }
    return this.pos === offset;
  }
  close(): void {
    this.stream.destroy();
  }
}

/** What FileCursor reads at once: a 4 MiB frame and most of the next. */
const FILE_WINDOW = 8 << 20;

/**
 * Reads a host file forward as Cursor does, through one buffer reused for the whole pack (a
 * restore allocated 8 MiB for every 8 MiB read — garbage the collector then had to chase): a
 * read is a view of that buffer, valid until the next read. `reuses` tells decodeFrame to copy
 * what it keeps.
 */
class FileCursor {
  readonly reuses = true;
  private buf = Buffer.allocUnsafe(FILE_WINDOW);
  /** Unread bytes are buf[start, end); buf[end] is the file's byte at `next`. */
  private start = 0;
  private end = 0;
  private next = 0;
  pos = 0;
  private constructor(
    private readonly fd: number,
    private readonly size: number,
  ) {}
  static async open(path: string): Promise<FileCursor> {
    const fd = await openFd(path, 'r');
    try {
      return new FileCursor(fd, (await fstatFd(fd)).size);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }
  private async fill(n: number): Promise<void> {
    if (this.end - this.start >= n || this.next >= this.size) return;
    if (n > this.buf.length) {
      const bigger = Buffer.allocUnsafe(n);
      this.buf.copy(bigger, 0, this.start, this.end);
      this.buf = bigger;
    } else if (this.start > 0) this.buf.copy(this.buf, 0, this.start, this.end);
    this.end -= this.start;
    this.start = 0;
    while (this.end < n && this.next < this.size) {
      const { bytesRead } = await readFd(this.fd, this.buf, this.end, Math.min(this.buf.length - this.end, this.size - this.next), this.next);
      if (bytesRead === 0) break;
      this.end += bytesRead;
      this.next += bytesRead;
    }
  }
  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    const len = Math.min(n, this.end - this.start);
    const out = this.buf.subarray(this.start, this.start + len);
    this.start += len;
    this.pos += len;
    return out;
  }
  async skipTo(offset: number): Promise<boolean> {
    if (offset < this.pos || offset > this.size) return false;
    if (offset - this.pos <= this.end - this.start) this.start += offset - this.pos;
    else {
      this.start = this.end = 0;
      this.next = offset;
    }
    this.pos = offset;
    return true;
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** A frame's plaintext from its bytes: header checks (where it should be), GCM tag, decompression, length. */
async function decodeFrame(
  cursor: Cursor | FileCursor,
  expect: { pack: number; frame: number },
  key: Buffer | undefined,
  storeId: Buffer,
  where: string,
): Promise<Buffer> {
  // The header is used after the body is read: its own bytes when the cursor reuses its buffer.
  const view = await cursor.read(FRAME_HEADER_BYTES);
  const h = 'reuses' in cursor ? Buffer.from(view) : view;
  if (h.length < FRAME_HEADER_BYTES) throw new UserStateError('USERSTATE_INTEGRITY', `${where}: the store ends inside a frame header (cut short)`);
  if (!h.subarray(0, 4).equals(FRAME_MAGIC) || h[4] !== 1) throw new UserStateError('USERSTATE_INTEGRITY', `${where}: no frame where the manifest says one is`);
  const pack = h.readUInt32BE(8);
  const frame = Number(h.readBigUInt64BE(12));
  const plainLen = h.readUInt32BE(20);
  const storedLen = h.readUInt32BE(24);
  const codec = h[5];
  if (pack !== expect.pack || frame !== expect.frame)
    throw new UserStateError('USERSTATE_INTEGRITY', `${where}: frame ${pack}/${frame} found where ${expect.pack}/${expect.frame} belongs`);
  if (plainLen > FRAME_PLAIN_MAX || storedLen > FRAME_PLAIN_MAX + TAG_BYTES + 1024 || (codec !== CODEC_STORED && codec !== CODEC_DEFLATE_RAW))
    throw new UserStateError('USERSTATE_INTEGRITY', `${where}: frame header out of bounds (altered)`);
  const body = await cursor.read(storedLen);
  if (body.length < storedLen) throw new UserStateError('USERSTATE_INTEGRITY', `${where}: the store ends inside a frame (cut short)`);
  let payload = key || !('reuses' in cursor) ? body : Buffer.from(body);
  if (key) {
    if (storedLen < TAG_BYTES) throw new UserStateError('USERSTATE_INTEGRITY', `${where}: frame too short for its tag`);
    const d = createDecipheriv('aes-256-gcm', key, h.subarray(28, 40));
    d.setAAD(Buffer.concat([storeId, h]));
    d.setAuthTag(body.subarray(storedLen - TAG_BYTES));
    try {
      // GCM's final() yields nothing more: the plaintext is update()'s (no copy of a 4 MiB frame).
      payload = d.update(body.subarray(0, storedLen - TAG_BYTES));
      d.final();
    } catch {
      throw new UserStateError('USERSTATE_INTEGRITY', `${where}: frame ${pack}/${frame} fails its authentication tag (altered)`);
    }
  }
  let plain = payload;
  if (codec === CODEC_DEFLATE_RAW) {
    try {
      plain =
        payload.length < 65536
          ? inflateRawSync(payload, { maxOutputLength: FRAME_PLAIN_MAX, chunkSize: Math.max(64, plainLen + 1) })
          : await inflateAsync(payload, { maxOutputLength: FRAME_PLAIN_MAX, chunkSize: Math.max(64, plainLen + 1) });
    } catch (e) {
      throw new UserStateError('USERSTATE_INTEGRITY', `${where}: frame ${pack}/${frame} does not decompress (${(e as Error).message})`);
    }
  }
  if (plain.length !== plainLen)
    throw new UserStateError('USERSTATE_INTEGRITY', `${where}: frame ${pack}/${frame} holds ${plain.length} bytes, its header says ${plainLen}`);
  return plain;
}

/**
 * An opened store: store.json read, the key checked against keyId (USERSTATE_WRONG_KEY before
 * anything else), the manifest decrypted and parsed (USERSTATE_STORE_INCOMPLETE without a complete
 * one). File data is then read in store order (`readFrames`), each frame authenticated before its
 * bytes are handed on.
 */
export class StoreReader<M = unknown> {
  private cursor?: { pack: number; c: Cursor | FileCursor };
  /** The native helper restoring files (undefined: not started; null: not available). */
  private native?: NativeRestore | null;

  private constructor(
    readonly source: StoreSource,
    readonly store: StoreJson,
    readonly manifest: M,
    private readonly key: Buffer | undefined,
    private readonly idBytes: Buffer,
  ) {}

  /** store.json alone (no key needed): what kind of store, which key. */
  static async header(source: StoreSource): Promise<StoreJson> {
    const raw = await source.readFile('store.json');
    if (!raw) throw new UserStateError('USERSTATE_NO_STORE', `there is no store in ${source.description} (no store.json)`);
    let store: StoreJson;
    try {
      store = JSON.parse(raw.toString('utf8')) as StoreJson;
    } catch (e) {
      throw new UserStateError('USERSTATE_BAD_STORE', `${source.description}/store.json is not JSON (${(e as Error).message})`);
    }
    if (store?.format !== STORE_FORMAT)
      throw new UserStateError('USERSTATE_BAD_STORE', `${source.description}/store.json: format is ${String(store?.format)}, expected ${STORE_FORMAT}`);
    if (store.mode === 'encrypted' && store.cipher !== 'AES-256-GCM')
      throw new UserStateError('USERSTATE_BAD_STORE', `${source.description}: cipher ${store.cipher} is not one this reader knows (AES-256-GCM)`);
    if (!Array.isArray(store.packs)) throw new UserStateError('USERSTATE_BAD_STORE', `${source.description}/store.json has no packs list`);
    return store;
  }

  static async open<M = unknown>(source: StoreSource, key: Buffer | undefined): Promise<StoreReader<M>> {
    const store = await StoreReader.header(source);
    const idBytes = storeIdBytes(store.storeId);
    if (store.mode === 'encrypted') {
      if (!key) throw new UserStateError('USERSTATE_WRONG_KEY', `the store ${store.storeId} is encrypted and no key was given`);
      const given = Buffer.from(keyIdOf(key), 'hex');
      const wanted = Buffer.from(String(store.keyId ?? ''), 'hex');
      if (wanted.length !== given.length || !timingSafeEqual(given, wanted))
        throw new UserStateError(
          'USERSTATE_WRONG_KEY',
          `the key is not the key of store ${store.storeId} (its keyId is ${store.keyId}; the key's is ${keyIdOf(key)})`,
        );
    }
    const k = store.mode === 'encrypted' ? key : undefined;
    const raw = await source.readFile('manifest.osdm');
    if (raw === undefined) throw new UserStateError('USERSTATE_STORE_INCOMPLETE', `${source.description} has no manifest.osdm: the capture did not finish`);
    if (createHash('sha256').update(raw).digest('hex') !== store.manifest?.sha256)
      throw new UserStateError('USERSTATE_STORE_INCOMPLETE', `${source.description}/manifest.osdm is not the one store.json names (cut short or altered)`);
    const c = new Cursor(Readable.from([raw]));
    const parts: Buffer[] = [];
    for (let frame = 0; c.pos < raw.length; frame++) {
      parts.push(
        await decodeFrame(c, { pack: 0, frame }, k, idBytes, `${source.description}/manifest.osdm`).catch((e: unknown) => {
          throw new UserStateError('USERSTATE_STORE_INCOMPLETE', `the manifest is incomplete or altered: ${(e as Error).message}`);
        }),
      );
    }
    let manifest: M;
    try {
      manifest = JSON.parse(Buffer.concat(parts).toString('utf8')) as M;
    } catch (e) {
      throw new UserStateError('USERSTATE_STORE_INCOMPLETE', `the manifest of ${source.description} is not complete JSON (${(e as Error).message})`);
    }
    if ((manifest as { format?: string })?.format !== STORE_FORMAT)
      throw new UserStateError('USERSTATE_BAD_STORE', `the manifest of ${source.description} is not ${STORE_FORMAT}`);
    return new StoreReader<M>(source, store, manifest, k, idBytes);
  }

  /** Every pack as long as store.json says (a store cut short is refused before anything is written). */
  async checkPacks(): Promise<void> {
    for (const p of this.store.packs) {
      const size = await this.source.size(p.file);
      if (size === undefined) throw new UserStateError('USERSTATE_STORE_INCOMPLETE', `${this.source.description}: ${p.file} is missing`);
      if (size !== p.bytes)
        throw new UserStateError(
          'USERSTATE_STORE_INCOMPLETE',
          `${this.source.description}: ${p.file} holds ${size} bytes, store.json says ${p.bytes} (cut short or altered)`,
        );
    }
  }

  private async cursorAt(ref: FrameRef): Promise<Cursor | FileCursor> {
    if (!this.cursor || this.cursor.pack !== ref.pack || this.cursor.c.pos > ref.offset) {
      this.cursor?.c.close();
      this.cursor = undefined;
      const name = packName(ref.pack);
      const path = this.source.hostPath?.(name);
      this.cursor = { pack: ref.pack, c: path !== undefined ? await FileCursor.open(path) : new Cursor(await this.source.openRead(name)) };
    }
    const c = this.cursor.c;
    if (!(await c.skipTo(ref.offset)))
      throw new UserStateError('USERSTATE_INTEGRITY', `${this.source.description}/${packName(ref.pack)} ends before offset ${ref.offset} (cut short)`);
    return c;
  }

  /**
   * A file's plaintext, frame by frame, each authenticated before it is yielded. Reading files in
   * manifest order reads each pack once, forward; a frame that fails leaves the cursor to be
   * re-placed at the next file's first frame.
   */
  async *readFrames(frames: FrameRef[], where: string): AsyncGenerator<Buffer> {
    for (const ref of frames) {
      const c = await this.cursorAt(ref);
      try {
        yield await decodeFrame(c, ref, this.key, this.idBytes, where);
      } catch (e) {
        this.cursor?.c.close();
        this.cursor = undefined;
        throw e;
      }
    }
  }

  /** Every pack `frames` needs is readable without the store's volume (call before writing to that volume). */
  async prefetch(frames: FrameRef[]): Promise<void> {
    for (const p of new Set(frames.map((f) => f.pack))) await this.source.prefetch?.(packName(p));
  }

  /**
   * The native helper (native/userstore.c) that reads, checks and writes whole files of this store
   * (`write` of a new host file), when it is built and the store is a folder on this host; else
   * undefined (the Node path: `readFrames`). Ended by `finishNative` or `close`.
   */
  nativeRestore(): NativeRestore | undefined {
    if (this.native === undefined) {
      const helper = userstoreHelper();
      const dir = helper ? this.source.hostDir?.() : undefined;
      this.native =
        helper && dir
          ? new NativeRestore(helper, { storeDir: dir, storeId: this.idBytes, key: this.key, description: this.source.description, packName })
          : null;
    }
    return this.native ?? undefined;
  }

  /** Ends the native helper, if one was started (every write answered). */
  async finishNative(): Promise<void> {
    const n = this.native;
    this.native = undefined;
    if (n) await n.finish();
  }

  /** Stops the native helper, if one was started (a restore that failed); resolves when it has exited. */
  async stopNative(): Promise<void> {
    const n = this.native;
    this.native = undefined;
    await n?.kill();
  }

  close(): void {
    this.cursor?.c.close();
    this.cursor = undefined;
    void this.native?.kill();
    this.native = undefined;
    void this.source.dispose?.();
  }
}
