/**
 * The start of a pipable WIM (wimlib-imagex capture/export --pipable): magic `WLPWM\0\0\0` instead
 * of `MSWIM\0\0\0`, the 208-byte header, then a copy of the XML data behind a 40-byte "pwm blob
 * header" (magic 0x2b9b9ba2443db9d8, uncompressed size, SHA-1, flags) — so a reader of the first
 * bytes knows the images before the file data (netboot.md: streamed apply `wget -O - | wimlib-imagex apply -`).
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { parseWimXml, type WimImageInfo } from './wim.js';

const HEADER_BYTES = 208;
const BLOB_HEADER_BYTES = 40;
const PWM_BLOB_MAGIC = 0x2b9b9ba2443db9d8n;

/** Whether these bytes begin a pipable WIM. */
export function isPipableWim(start: Buffer): boolean {
  return start.length >= 8 && start.subarray(0, 8).equals(Buffer.from('WLPWM\0\0\0', 'latin1'));
}

export type PipableWimStart =
  | { kind: 'not-pipable' }
  /** More bytes are needed: the XML copy ends at `needBytes`. */
  | { kind: 'short'; needBytes: number }
  | { kind: 'pipable'; images: WimImageInfo[] };

/** What the first bytes of a WIM say: not pipable, or pipable with its images (or how many bytes to read to know them). */
export function readPipableWimStart(start: Buffer): PipableWimStart {
  if (!isPipableWim(start)) return { kind: 'not-pipable' };
  const xmlAt = HEADER_BYTES + BLOB_HEADER_BYTES;
  if (start.length < xmlAt) return { kind: 'short', needBytes: xmlAt };
  if (start.readBigUInt64LE(HEADER_BYTES) !== PWM_BLOB_MAGIC) return { kind: 'not-pipable' };
  const size = Number(start.readBigUInt64LE(HEADER_BYTES + 8));
  if (!Number.isSafeInteger(size) || size <= 0 || size > 64 << 20) return { kind: 'not-pipable' };
  if (start.length < xmlAt + size) return { kind: 'short', needBytes: xmlAt + size };
  return { kind: 'pipable', images: parseWimXml(start.subarray(xmlAt, xmlAt + size)) };
}

/**
 * The stream anchor of a pipable WIM: the SHA-256 of its first `bytes` — the header, the XML copy and
 * every image's metadata resource, which a pipable WIM puts before any file data (wimlib write.c,
 * "Layout of pipable WIM"). Recorded by the site when an OS image is added; the boot environment
 * checks it while the WIM streams into wimlib (native/streamcheck.c) and holds back the end of the
 * metadata until it matches. Each file wimlib then extracts is checked by wimlib against the SHA-1
 * that the verified metadata names, so the whole image is verified without hashing every byte of
 * the stream again (docs/boot-environment-agent.md "Streaming").
 */
export interface PipableWimAnchor {
  bytes: number;
  sha256: string;
}

/** Anchors past this are not worth it (a whole-stream hash is then as cheap): metadata of real images is tens of MB. */
const MAX_ANCHOR_BYTES = 1 << 30;
/** 50 bytes per blob table entry; a table past this is not one we trust to read whole. */
const MAX_BLOB_TABLE_BYTES = 256 << 20;
const BLOB_ENTRY_BYTES = 50;
const RESHDR_FLAG_METADATA = 0x02;

function reshdr(buf: Buffer, at: number): { sizeInWim: number; flags: number; offset: number } {
  const sizeInWim = buf.readUIntLE(at, 6) + buf[at + 6]! * 2 ** 48;
  return { sizeInWim, flags: buf[at + 7]!, offset: Number(buf.readBigUInt64LE(at + 8)) };
}

/**
 * The anchor of the pipable WIM at `path`, or undefined when it is not a pipable WIM whose layout
 * this reader is sure of (a normal WIM, a split WIM, a truncated file): such a WIM is then checked
 * by hashing its whole stream.
 */
export async function pipableWimAnchor(path: string): Promise<PipableWimAnchor | undefined> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    if (size < 2 * HEADER_BYTES) return undefined;
    const read = async (at: number, length: number): Promise<Buffer> => {
      const b = Buffer.alloc(length);
      const { bytesRead } = await fh.read(b, 0, length, at);
      return b.subarray(0, bytesRead);
    };
    const first = await read(0, HEADER_BYTES);
    // The header at the end is the complete one (the first has zeroes for the tables).
    const last = await read(size - HEADER_BYTES, HEADER_BYTES);
    if (!isPipableWim(first) || !isPipableWim(last) || last.readUInt32LE(8) !== HEADER_BYTES) return undefined;
    if (last.readUInt16LE(40) !== 1 || last.readUInt16LE(42) !== 1) return undefined; // split WIMs: not streamed
    const images = last.readUInt32LE(44);
    const table = reshdr(last, 48);
    if (images < 1 || table.sizeInWim % BLOB_ENTRY_BYTES !== 0 || table.sizeInWim > MAX_BLOB_TABLE_BYTES) return undefined;
    if (table.offset < HEADER_BYTES || table.offset + table.sizeInWim > size) return undefined;
    const entries = await read(table.offset, table.sizeInWim);
    if (entries.length !== table.sizeInWim) return undefined;
    let end = 0;
    let metadata = 0;
    for (let at = 0; at < entries.length; at += BLOB_ENTRY_BYTES) {
      const r = reshdr(entries, at);
      if (!(r.flags & RESHDR_FLAG_METADATA)) continue;
      // A table that names more metadata resources than images, or one before its own header, is not one to trust.
      if (++metadata > images || r.offset < HEADER_BYTES + BLOB_HEADER_BYTES || r.offset + r.sizeInWim > size) return undefined;
      // Each resource follows its 40-byte pipable blob header, whose hash is the entry's.
      const hdr = await read(r.offset - BLOB_HEADER_BYTES, BLOB_HEADER_BYTES);
      if (hdr.length !== BLOB_HEADER_BYTES || hdr.readBigUInt64LE(0) !== PWM_BLOB_MAGIC) return undefined;
      if (!hdr.subarray(16, 36).equals(entries.subarray(at + 30, at + 50))) return undefined;
      end = Math.max(end, r.offset + r.sizeInWim);
    }
    if (metadata !== images || end <= HEADER_BYTES || end > MAX_ANCHOR_BYTES || end > table.offset) return undefined;
    // Right after the metadata: the first file's blob header, or (no files) the tables.
    const next = await read(end, 8);
    if (end !== table.offset && !(next.length === 8 && next.readBigUInt64LE(0) === PWM_BLOB_MAGIC)) return undefined;
    const hash = createHash('sha256');
    const chunk = Buffer.alloc(1 << 20);
    for (let at = 0; at < end;) {
      const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, end - at), at);
      if (bytesRead === 0) return undefined;
      hash.update(chunk.subarray(0, bytesRead));
      at += bytesRead;
    }
    return { bytes: end, sha256: hash.digest('hex') };
  } finally {
    await fh.close();
  }
}
