/**
 * FAT directories read straight from the disk image, and one directory entry's times and attributes
 * written back in place. mtools copies, makes and deletes (fat.ts); but `mdir` shows times to the
 * minute only and nothing sets a creation time or a folder's times, so metadata comes from here:
 * the BPB, the FAT, and the 32-byte entries (Microsoft's FAT specification, "fatgen103": §3 BPB,
 * §4 FAT, §6 directory entries and dates, §7 long names).
 *
 * FAT keeps local time without a zone; the lab has none, so times are taken as UTC (and mtools is
 * run with TZ=UTC). Resolution: modification 2 s, creation 10 ms, access a day.
 */
import { open } from 'node:fs/promises';
import { fault, refused, WIN32 } from '../errors.js';
import type { FileAttribute, FileMeta, WriteMeta } from './volume.js';

export interface FatEntry {
  /** The long name, else the 8.3 name as Windows shows it (lower-case flags applied). */
  name: string;
  /** The 8.3 name ('HELLOW~1.TXT'). */
  shortName: string;
  attr: number;
  size: number;
  firstCluster: number;
  createdMs?: number;
  modifiedMs: number;
  accessedMs?: number;
  /** Byte offset of the 32-byte short entry in the disk image (a file's identity on FAT). */
  entryOffset: number;
}

const ATTR = { readonly: 0x01, hidden: 0x02, system: 0x04, volume: 0x08, directory: 0x10, archive: 0x20, longName: 0x0f } as const;
const DOS_BITS: Record<FileAttribute, number> = { readonly: 0x01, hidden: 0x02, system: 0x04, archive: 0x20 };

function decodeDate(date: number): [number, number, number] | undefined {
  if (date === 0) return undefined;
  return [1980 + (date >> 9), ((date >> 5) & 0xf) - 1, date & 0x1f];
}

function decodeTime(date: number, time: number, tenths = 0): number | undefined {
  const d = decodeDate(date);
  if (!d) return undefined;
  return Date.UTC(d[0], d[1], d[2], time >> 11, (time >> 5) & 0x3f, (time & 0x1f) * 2) + tenths * 10;
}

/** A time as FAT's date, time (2 s) and tenths (10 ms, 0–199 with the odd second): truncated, as the fields hold. */
export function encodeFatTime(ms: number, what: string): { date: number; time: number; tenths: number } {
  const t = Math.floor(ms / 10) * 10;
  const d = new Date(t);
  const y = d.getUTCFullYear();
  if (!Number.isFinite(t) || y < 1980 || y > 2107)
    throw refused(`${what}: ${new Date(ms).toString()} cannot be stored on FAT, which keeps times from 1980 to 2107`);
  const s = d.getUTCSeconds();
  return {
    date: ((y - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (s >> 1),
    tenths: (s % 2) * 100 + Math.floor(d.getUTCMilliseconds() / 10),
  };
}

/**
 * The upper half of code page 850, the OEM code page mtools writes 8.3 names in (its default): a
 * name like "ü.txt" that fits 8.3 gets no long name, only "Ü       TXT" with the lower-case flags.
 */
const CP850_HIGH = 'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜø£Ø×ƒáíóúñÑªº¿®¬½¼¡«»░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐└┴┬├─┼ãÃ╚╔╩╦╠═╬¤ðÐÊËÈıÍÎÏ┘┌█▄¦Ì▀ÓßÔÒõÕµþÞÚÛÙýÝ¯´\u00ad±‗¾¶§÷¸°¨·¹³²■\u00a0';

function oemString(b: Buffer): string {
  let out = '';
  for (const c of b) out += c < 0x80 ? String.fromCharCode(c) : CP850_HIGH[c - 0x80];
  return out;
}

function lfnChecksum(short: Buffer): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = ((((sum & 1) << 7) | (sum >> 1)) + short[i]) & 0xff;
  return sum & 0xff;
}

function lfnChars(e: Buffer): number[] {
  const out: number[] = [];
  for (const [from, count] of [
    [1, 5],
    [14, 6],
    [28, 2],
  ]) {
    for (let i = 0; i < count; i++) out.push(e.readUInt16LE(from + i * 2));
  }
  return out;
}

/** One FAT file system of a disk image: its geometry, read once, and its FAT, read on each use. */
export class FatReader {
  private constructor(
    private readonly diskPath: string,
    private readonly base: number,
    readonly bytesPerSector: number,
    readonly sectorsPerCluster: number,
    private readonly fatOffset: number,
    private readonly fatBytes: number,
    private readonly rootOffset: number,
    private readonly rootBytes: number,
    private readonly dataOffset: number,
    readonly fatBits: 12 | 16 | 32,
    private readonly rootCluster: number,
  ) {}

  static async open(diskPath: string, offsetBytes: number): Promise<FatReader> {
    const fh = await open(diskPath, 'r');
    try {
      const b = Buffer.alloc(512);
      await fh.read(b, 0, 512, offsetBytes);
      const bps = b.readUInt16LE(11);
      const spc = b[13];
      const reserved = b.readUInt16LE(14);
      const fats = b[16];
      const rootEntries = b.readUInt16LE(17);
      const total = b.readUInt16LE(19) || b.readUInt32LE(32);
      const fatSize = b.readUInt16LE(22) || b.readUInt32LE(36);
      if (![512, 1024, 2048, 4096].includes(bps) || spc === 0 || fats === 0 || fatSize === 0 || b[510] !== 0x55 || b[511] !== 0xaa) {
        throw fault(WIN32.unrecognizedVolume, `${diskPath} at byte ${offsetBytes}: no FAT boot sector (bytes per sector ${bps}, sectors per cluster ${spc})`);
      }
      const rootSectors = Math.ceil((rootEntries * 32) / bps);
      const dataSector = reserved + fats * fatSize + rootSectors;
      const clusters = Math.floor((total - dataSector) / spc);
      // fatgen103 §3.5: the type is the cluster count, nothing else.
      const bits = clusters < 4085 ? 12 : clusters < 65525 ? 16 : 32;
      return new FatReader(
        diskPath,
        offsetBytes,
        bps,
        spc,
        offsetBytes + reserved * bps,
        fatSize * bps,
        offsetBytes + (reserved + fats * fatSize) * bps,
        rootSectors * bps,
        offsetBytes + dataSector * bps,
        bits,
        bits === 32 ? b.readUInt32LE(44) : 0,
      );
    } finally {
      await fh.close();
    }
  }

  get clusterBytes(): number {
    return this.bytesPerSector * this.sectorsPerCluster;
  }

  /** The byte ranges of a directory: the fixed root of FAT12/16, else its cluster chain. */
  private chain(fat: Buffer, first: number): number[] {
    const eoc = this.fatBits === 32 ? 0x0ffffff8 : this.fatBits === 16 ? 0xfff8 : 0xff8;
    const out: number[] = [];
    let c = first;
    const limit = fat.length; // a loop in a damaged FAT must not run forever
    while (c >= 2 && c < eoc && out.length <= limit) {
      out.push(c);
      if (this.fatBits === 32) c = fat.readUInt32LE(c * 4) & 0x0fffffff;
      else if (this.fatBits === 16) c = fat.readUInt16LE(c * 2);
      else {
        const v = fat.readUInt16LE(Math.floor(c * 1.5));
        c = c & 1 ? v >> 4 : v & 0xfff;
      }
    }
    return out;
  }

  /** The first FAT, as it is now (pass it to several readDir calls of one operation). */
  async readFat(): Promise<Buffer> {
    const fh = await open(this.diskPath, 'r');
    try {
      const fat = Buffer.alloc(this.fatBytes);
      await fh.read(fat, 0, this.fatBytes, this.fatOffset);
      return fat;
    } finally {
      await fh.close();
    }
  }

  /**
   * The entries of a directory (`cluster` 0 = the root), without '.', '..', deleted entries and the
   * volume label; names as stored, in on-disk order.
   */
  async readDir(cluster: number, fatNow?: Buffer): Promise<FatEntry[]> {
    const fh = await open(this.diskPath, 'r');
    try {
      const ranges: [number, number][] = [];
      if (cluster === 0 && this.fatBits !== 32) ranges.push([this.rootOffset, this.rootBytes]);
      else {
        const fat = fatNow ?? (await this.readFat());
        for (const c of this.chain(fat, cluster === 0 ? this.rootCluster : cluster))
          ranges.push([this.dataOffset + (c - 2) * this.clusterBytes, this.clusterBytes]);
      }
      const out: FatEntry[] = [];
      let lfn: { checksum: number; parts: number[][]; count: number } | undefined;
      for (const [at, len] of ranges) {
        const buf = Buffer.alloc(len);
        await fh.read(buf, 0, len, at);
        for (let o = 0; o + 32 <= len; o += 32) {
          const e = buf.subarray(o, o + 32);
          if (e[0] === 0x00) return out;
          if (e[0] === 0xe5) {
            lfn = undefined;
            continue;
          }
          const attr = e[11];
          if ((attr & 0x3f) === ATTR.longName) {
            const ord = e[0] & 0x1f;
            if (e[0] & 0x40) lfn = { checksum: e[13], parts: [], count: ord };
            if (lfn && ord >= 1 && ord <= lfn.count && e[13] === lfn.checksum) lfn.parts[ord - 1] = lfnChars(e);
            else lfn = undefined;
            continue;
          }
          const raw = Buffer.from(e.subarray(0, 11));
          if (raw[0] === 0x05) raw[0] = 0xe5;
          let base = oemString(raw.subarray(0, 8)).trimEnd();
          let ext = oemString(raw.subarray(8, 11)).trimEnd();
          const shortName = ext ? `${base}.${ext}` : base;
          let name: string | undefined;
          const whole = lfn && Array.from({ length: lfn.count }, (_, i) => lfn?.parts[i]).every((p) => p !== undefined);
          if (lfn && whole && lfn.checksum === lfnChecksum(e)) {
            const units = lfn.parts.flat();
            const end = units.indexOf(0);
            name = String.fromCharCode(...(end >= 0 ? units.slice(0, end) : units.filter((u) => u !== 0xffff)));
          }
          lfn = undefined;
          if (attr & ATTR.volume) continue;
          if (shortName === '.' || shortName === '..') continue;
          if (!name) {
            if (e[12] & 0x08) base = base.toLowerCase();
            if (e[12] & 0x10) ext = ext.toLowerCase();
            name = ext ? `${base}.${ext}` : base;
          }
          out.push({
            name,
            shortName,
            attr,
            size: attr & ATTR.directory ? 0 : e.readUInt32LE(28),
            firstCluster: (this.fatBits === 32 ? e.readUInt16LE(20) << 16 : 0) | e.readUInt16LE(26),
            createdMs: decodeTime(e.readUInt16LE(16), e.readUInt16LE(14), e[13]),
            modifiedMs: decodeTime(e.readUInt16LE(24), e.readUInt16LE(22)) ?? 0,
            accessedMs: decodeTime(e.readUInt16LE(18), 0),
            entryOffset: at + o,
          });
        }
      }
      return out;
    } finally {
      await fh.close();
    }
  }

  /**
   * The entry at `parts` (names matched regardless of case, long or 8.3); `root` for no parts,
   * undefined when absent or when a file is on the way.
   */
  async lookup(parts: readonly string[]): Promise<{ entry: FatEntry; path: string } | 'root' | undefined> {
    if (parts.length === 0) return 'root';
    let cluster = 0;
    const stored: string[] = [];
    let found: FatEntry | undefined;
    const fat = await this.readFat();
    for (const part of parts) {
      if (found && !(found.attr & ATTR.directory)) return undefined;
      const lower = part.toLowerCase();
      const entries = await this.readDir(cluster, fat);
      found = entries.find((e) => e.name === part) ?? entries.find((e) => e.name.toLowerCase() === lower || e.shortName.toLowerCase() === lower);
      if (!found) return undefined;
      stored.push(found.name);
      cluster = found.firstCluster;
    }
    return found && { entry: found, path: stored.join('/') };
  }

  /** Sets an entry's times and DOS attributes in place (what `meta` does not give is kept). */
  async patch(entry: FatEntry, meta: WriteMeta, what: string): Promise<void> {
    const e = Buffer.alloc(32);
    const fh = await open(this.diskPath, 'r+');
    try {
      await fh.read(e, 0, 32, entry.entryOffset);
      if (meta.createdMs !== undefined) {
        const t = encodeFatTime(meta.createdMs, what);
        e[13] = t.tenths;
        e.writeUInt16LE(t.time, 14);
        e.writeUInt16LE(t.date, 16);
      }
      if (meta.accessedMs !== undefined) e.writeUInt16LE(encodeFatTime(meta.accessedMs, what).date, 18);
      if (meta.modifiedMs !== undefined) {
        const t = encodeFatTime(meta.modifiedMs, what);
        e.writeUInt16LE(t.time, 22);
        e.writeUInt16LE(t.date, 24);
      }
      if (meta.attributes) {
        let bits = 0;
        for (const a of meta.attributes) {
          if (!(a in DOS_BITS)) throw refused(`${what}: '${String(a)}' is not a DOS attribute (readonly, hidden, system, archive)`);
          bits |= DOS_BITS[a];
        }
        e[11] = (e[11] & ~0x27) | bits;
      }
      await fh.write(e, 0, 32, entry.entryOffset);
    } finally {
      await fh.close();
    }
  }

  /** An entry as FileMeta (`path` as stored). */
  metaOf(entry: FatEntry, path: string): FileMeta {
    const attributes = (Object.keys(DOS_BITS) as FileAttribute[]).filter((a) => (entry.attr & DOS_BITS[a]) !== 0);
    return {
      path,
      type: entry.attr & ATTR.directory ? 'directory' : 'file',
      size: entry.size,
      createdMs: entry.createdMs,
      modifiedMs: entry.modifiedMs,
      accessedMs: entry.accessedMs,
      attributes,
      links: 1,
      fileId: `fat:${entry.entryOffset - this.base}`,
    };
  }

  isDirectory(entry: FatEntry): boolean {
    return (entry.attr & ATTR.directory) !== 0;
  }
}
