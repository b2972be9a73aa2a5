/**
 * The start of a pipable WIM (wimlib-imagex capture/export --pipable): magic `WLPWM\0\0\0` instead
 * of `MSWIM\0\0\0`, the 208-byte header, then a copy of the XML data behind a 40-byte "pwm blob
 * header" (magic 0x2b9b9ba2443db9d8, uncompressed size, SHA-1, flags) — so a reader of the first
 * bytes knows the images before the file data (netboot.md: streamed apply `wget -O - | wimlib-imagex apply -`).
 */
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
