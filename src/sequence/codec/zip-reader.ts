/**
 * Reading a zip (a ConfigMgr console export) without trusting it. The central directory is read
 * by hand (it is small: End of Central Directory record, one header per entry), and only the
 * entries asked for are inflated, counting the bytes they actually inflate to — the sizes a zip
 * declares can lie — against a budget per entry and in total for the zip (limits.ts). A zip bomb
 * is refused after at most the budget of output, in bounded memory.
 *
 * `inflateEntry` inflates with node:zlib's stream, which runs in libuv's thread pool: a server
 * keeps answering other requests meanwhile. `inflateEntrySync` has the same budgets, for the CLI.
 *
 * Refused with a clear message: zip64, multi-disk (split) archives, encrypted entries and any
 * compression other than stored (0) and deflate (8) — none of which a console export uses.
 * Format: PKWARE APPNOTE.TXT §4.3 (6.3.x).
 */
import { createInflateRaw, crc32, inflateRawSync } from 'node:zlib';
import { InputError } from '../input-error.js';
import { formatBytes, MAX_ZIP_ENTRY_BYTES, MAX_ZIP_TOTAL_BYTES } from '../limits.js';

export interface ZipEntry {
  name: string;
  /** General purpose bit flags (bit 0: encrypted, bit 11: UTF-8 name). */
  flags: number;
  /** 0 stored, 8 deflate. */
  method: number;
  crc32: number;
  compressedSize: number;
  /** As declared by the central directory; checked against what the data inflates to. */
  size: number;
  localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const HINT = 'export the task sequence again from the ConfigMgr console (Software Library › Task Sequences › Export)';

function damaged(input: string, rule: string): InputError {
  return new InputError({ input, rule: `not a readable zip file: ${rule}`, hint: HINT });
}

/** The entries of a zip, from its central directory (nothing is inflated). */
export function readZipDirectory(bytes: Uint8Array, input: string): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.length;
  if (len < EOCD_SIZE) throw damaged(input, 'too short to be a zip');
  // The End of Central Directory record closes the file, followed only by its comment (≤ 64 KiB).
  // Searching backwards, prefer the record whose comment length reaches the end exactly.
  let eocd = -1;
  const lowest = Math.max(0, len - EOCD_SIZE - 0xffff);
  for (let at = len - EOCD_SIZE; at >= lowest; at--) {
    if (view.getUint32(at, true) !== EOCD_SIGNATURE) continue;
    if (at + EOCD_SIZE + view.getUint16(at + 20, true) === len) {
      eocd = at;
      break;
    }
    if (eocd === -1) eocd = at;
  }
  if (eocd === -1) throw damaged(input, 'no end of central directory record (the file is truncated or not a zip)');
  const disk = view.getUint16(eocd + 4, true);
  const cdDisk = view.getUint16(eocd + 6, true);
  const entriesHere = view.getUint16(eocd + 8, true);
  const entries = view.getUint16(eocd + 10, true);
  const cdSize = view.getUint32(eocd + 12, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  if (entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff || (eocd >= 20 && view.getUint32(eocd - 20, true) === ZIP64_LOCATOR_SIGNATURE)) {
    throw new InputError({ input, rule: 'zip64 archives are not supported (a console export is a plain zip)', hint: HINT });
  }
  if (disk !== 0 || cdDisk !== 0 || entriesHere !== entries) {
    throw new InputError({ input, rule: 'split (multi-disk) zip archives are not supported', hint: 'join the parts into one zip, or export again' });
  }
  if (cdOffset + cdSize > eocd) throw damaged(input, 'the central directory lies outside the file');
  const out: ZipEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < entries; i++) {
    if (p + CENTRAL_SIZE > cdOffset + cdSize || view.getUint32(p, true) !== CENTRAL_SIGNATURE) {
      throw damaged(input, `central directory entry ${i + 1} of ${entries} is missing or damaged`);
    }
    const flags = view.getUint16(p + 8, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    const compressedSize = view.getUint32(p + 20, true);
    const size = view.getUint32(p + 24, true);
    const localHeaderOffset = view.getUint32(p + 42, true);
    if (compressedSize === 0xffffffff || size === 0xffffffff || localHeaderOffset === 0xffffffff) {
      throw new InputError({ input, rule: 'zip64 entries are not supported (a console export is a plain zip)', hint: HINT });
    }
    const end = p + CENTRAL_SIZE + nameLength + extraLength + commentLength;
    if (end > cdOffset + cdSize) throw damaged(input, `central directory entry ${i + 1} of ${entries} runs past the directory`);
    const nameBytes = bytes.subarray(p + CENTRAL_SIZE, p + CENTRAL_SIZE + nameLength);
    out.push({
      // Bit 11: UTF-8; otherwise code page 437, which agrees with Latin-1 for the ASCII names exports use.
      name: Buffer.from(nameBytes).toString(flags & 0x800 ? 'utf8' : 'latin1'),
      flags,
      method: view.getUint16(p + 10, true),
      crc32: view.getUint32(p + 16, true),
      compressedSize,
      size,
      localHeaderOffset,
    });
    p = end;
  }
  return out;
}

/** What one zip may still inflate: the rest of the total, and at most the per-entry limit. */
export class InflateBudget {
  private used = 0;

  constructor(
    readonly perEntry = MAX_ZIP_ENTRY_BYTES,
    readonly total = MAX_ZIP_TOTAL_BYTES,
  ) {}

  /** Bytes the next entry may inflate to. */
  limit(): number {
    return Math.min(this.perEntry, this.total - this.used);
  }

  spend(n: number): void {
    this.used += n;
  }

  tooLarge(input: string, entry: ZipEntry, what: string): InputError {
    const limit = this.limit();
    const total = limit < this.perEntry;
    return new InputError({
      input,
      rule: `zip entry ${entry.name} ${what} more than ${formatBytes(limit)}; refused (a console export inflates to at most ${formatBytes(this.perEntry)} per entry and ${formatBytes(this.total)} per zip${total ? `, of which ${formatBytes(this.total - limit)} are used` : ''})`,
      hint: 'a task sequence export holds at most 2 MB of task sequence; this zip is damaged or not a console export',
    });
  }
}

/** The compressed bytes of an entry, after checking what can be checked without inflating. */
function compressedData(bytes: Uint8Array, entry: ZipEntry, budget: InflateBudget, input: string): Uint8Array {
  if (entry.flags & 0x41)
    throw new InputError({
      input,
      rule: `zip entry ${entry.name} is encrypted; encrypted zips are not supported`,
      hint: 'export the task sequence without a password',
    });
  if (entry.method !== 0 && entry.method !== 8) {
    throw new InputError({
      input,
      rule: `zip entry ${entry.name} uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`,
      hint: HINT,
    });
  }
  if (entry.size > budget.limit()) throw budget.tooLarge(input, entry, `declares ${formatBytes(entry.size)}, which is`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localHeaderOffset;
  if (at + LOCAL_SIZE > bytes.length || view.getUint32(at, true) !== LOCAL_SIGNATURE) throw damaged(input, `the local header of ${entry.name} is missing`);
  const start = at + LOCAL_SIZE + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  const end = start + entry.compressedSize;
  if (end > bytes.length) throw damaged(input, `the data of ${entry.name} runs past the end of the file`);
  return bytes.subarray(start, end);
}

/** Checks the inflated data against the central directory (size and CRC-32). */
function verified(data: Uint8Array, entry: ZipEntry, budget: InflateBudget, input: string): Uint8Array {
  if (data.length !== entry.size) {
    throw damaged(input, `${entry.name} declares ${entry.size.toLocaleString('en-US')} bytes but inflates to ${data.length.toLocaleString('en-US')}`);
  }
  if (crc32(data) !== entry.crc32) throw damaged(input, `${entry.name} fails its CRC-32 check`);
  budget.spend(data.length);
  return data;
}

/** Inflates one entry within the budget, blocking (for the CLI; the server uses `inflateEntry`). */
export function inflateEntrySync(bytes: Uint8Array, entry: ZipEntry, budget: InflateBudget, input: string): Uint8Array {
  const data = compressedData(bytes, entry, budget, input);
  const limit = budget.limit();
  if (entry.method === 0) {
    if (data.length > limit) throw budget.tooLarge(input, entry, 'holds');
    return verified(data, entry, budget, input);
  }
  let out: Uint8Array;
  try {
    // zlib stops at maxOutputLength (ERR_BUFFER_TOO_LARGE): memory never exceeds the budget.
    out = inflateRawSync(data, { maxOutputLength: Math.max(limit, 1) });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw budget.tooLarge(input, entry, 'inflates to');
    throw damaged(input, `${entry.name} does not inflate (${(e as Error).message})`);
  }
  return verified(out, entry, budget, input);
}

/**
 * Inflates one entry within the budget, off the main thread: zlib works in the thread pool and
 * hands back 64 KiB chunks, which are counted as they arrive; past the budget the stream is
 * destroyed, so neither memory nor time grows with what a bomb would inflate to.
 */
export async function inflateEntry(bytes: Uint8Array, entry: ZipEntry, budget: InflateBudget, input: string): Promise<Uint8Array> {
  const data = compressedData(bytes, entry, budget, input);
  const limit = budget.limit();
  if (entry.method === 0) {
    if (data.length > limit) throw budget.tooLarge(input, entry, 'holds');
    return verified(data, entry, budget, input);
  }
  const out = await new Promise<Buffer>((resolve, reject) => {
    const inflate = createInflateRaw({ chunkSize: 64 * 1024 });
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const fail = (e: InputError): void => {
      if (done) return;
      done = true;
      inflate.destroy();
      reject(e);
    };
    inflate.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) fail(budget.tooLarge(input, entry, 'inflates to'));
      else chunks.push(chunk);
    });
    inflate.on('error', (e) => fail(damaged(input, `${entry.name} does not inflate (${e.message})`)));
    inflate.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, size));
    });
    inflate.end(data);
  });
  return verified(out, entry, budget, input);
}
