/**
 * Zips crafted byte by byte (PKWARE APPNOTE §4.3), for testing what a reader must refuse: entries
 * whose declared sizes lie, bombs that inflate to gigabytes, zip64 markers, encryption flags,
 * unknown methods, split archives. Plus cheap bombs: deflate pieces of 64 MiB of zeros, made once
 * and concatenated (each piece ends byte-aligned without a final block).
 */
import { constants, crc32, deflateRawSync } from 'node:zlib';

export interface CraftEntry {
  name: string;
  /** Compressed bytes as stored (for method 8, raw deflate). */
  data: Uint8Array;
  method?: number;
  /** Uncompressed size as declared in both headers. */
  size: number;
  crc?: number;
  flags?: number;
}

/** An honest entry: deflated content with its real size and CRC. */
export function deflated(name: string, content: Uint8Array | string): CraftEntry {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return { name, data: deflateRawSync(bytes), method: 8, size: bytes.length, crc: crc32(bytes) };
}

const MiB = 1024 * 1024;
let piece: Buffer | undefined;

/** Raw deflate of `mib` MiB of zeros (a multiple of 64), about 1 KiB per MiB; CRC not computed. */
export function zeroBomb(mib: number): Buffer {
  piece ??= deflateRawSync(Buffer.alloc(64 * MiB), { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
  const parts = Array.from({ length: Math.ceil(mib / 64) }, () => piece!);
  // A final, empty stored block ends the stream.
  return Buffer.concat([...parts, Buffer.from([0x01, 0x00, 0x00, 0xff, 0xff])]);
}

export interface CraftOptions {
  /** Written into the end record's "number of this disk" (a split archive when not 0). */
  disk?: number;
  /** Written as the end record's entry counts (0xffff marks zip64). */
  entryCount?: number;
}

export function craftZip(entries: CraftEntry[], options: CraftOptions = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const method = e.method ?? 8;
    const flags = (e.flags ?? 0) | 0x800;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(e.crc ?? 0, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, Buffer.from(e.data));
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(e.crc ?? 0, 16);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(e.size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + e.data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(options.disk ?? 0, 4);
  end.writeUInt16LE(options.disk ?? 0, 6);
  end.writeUInt16LE(options.entryCount ?? entries.length, 8);
  end.writeUInt16LE(options.entryCount ?? entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
