/**
 * A cpio archive in the "newc" format (what the kernel unpacks as an initramfs), written in JS so
 * that the same tree gives the same bytes: entries sorted by path, parents first, every owner
 * root (0:0), every time one fixed value (SOURCE_DATE_EPOCH, else 0), inode numbers counted in
 * order, no hard links. File contents are streamed from their files (never held whole).
 */
import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';

export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; mode: number; source: string; size: number }
  | { kind: 'data'; path: string; mode: number; data: Buffer }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'chardev'; path: string; mode: number; major: number; minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

/** The time every entry gets: SOURCE_DATE_EPOCH (reproducible-builds.org) when set, else 0. */
export function sourceDateEpoch(): number {
  const v = process.env.SOURCE_DATE_EPOCH;
  return v && /^\d{1,12}$/.test(v) ? Number(v) : 0;
}

function header(
  fields: { ino: number; mode: number; nlink: number; mtime: number; size: number; rdevmajor?: number; rdevminor?: number },
  name: string,
): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const hex = (n: number): string => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
  const text =
    '070701' +
    hex(fields.ino) +
    hex(fields.mode) +
    hex(0) + // uid
    hex(0) + // gid
    hex(fields.nlink) +
    hex(fields.mtime) +
    hex(fields.size) +
    hex(0) + // devmajor
    hex(0) + // devminor
    hex(fields.rdevmajor ?? 0) +
    hex(fields.rdevminor ?? 0) +
    hex(nameBytes.length) +
    hex(0); // check
  const head = Buffer.concat([Buffer.from(text, 'latin1'), nameBytes]);
  return Buffer.concat([head, Buffer.alloc(pad4(head.length))]);
}

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

/** Byte-wise path order (never locale order), so every machine sorts alike; a parent sorts before its children. */
export function comparePaths(a: string, b: string): number {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return Buffer.compare(x, y);
}

/** Archive names have no leading slash (`bin/busybox`); the root itself is `.`. */
function archiveName(path: string): string {
  const p = path.replace(/^\/+/, '').replace(/\/+$/, '');
  return p === '' ? '.' : p;
}

function write(out: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = out.write(chunk, (e) => (e ? reject(e) : undefined));
    if (ok) resolve();
    else {
      const onDrain = (): void => {
        out.off('error', onError);
        resolve();
      };
      const onError = (e: Error): void => {
        out.off('drain', onDrain);
        reject(e);
      };
      out.once('drain', onDrain);
      out.once('error', onError);
    }
  });
}

async function copyFile(out: Writable, source: string, size: number, path: string): Promise<void> {
  let seen = 0;
  for await (const chunk of createReadStream(source, { highWaterMark: 1 << 20 })) {
    const b = chunk as Buffer;
    seen += b.length;
    if (seen > size) break;
    await write(out, b);
  }
  if (seen !== size) throw new Error(`${source} (for ${path}) changed while the archive was written: ${seen} bytes, expected ${size}`);
}

/**
 * Writes the entries as one newc archive to `out` (not ended). Returns the number of bytes written.
 * Duplicate paths are an error; missing parent folders must be in the list (InitramfsTree adds them).
 */
export async function writeCpio(entries: readonly CpioEntry[], out: Writable, mtime = sourceDateEpoch()): Promise<number> {
  const sorted = [...entries].sort((a, b) => comparePaths(archiveName(a.path), archiveName(b.path)));
  let total = 0;
  let ino = 1;
  let last: string | undefined;
  const put = async (b: Buffer): Promise<void> => {
    total += b.length;
    await write(out, b);
  };
  for (const e of sorted) {
    const name = archiveName(e.path);
    if (name === last) throw new Error(`the initramfs lists ${name} twice`);
    last = name;
    switch (e.kind) {
      case 'dir':
        await put(header({ ino: ino++, mode: S_IFDIR | (e.mode ?? 0o755), nlink: 2, mtime, size: 0 }, name));
        break;
      case 'symlink': {
        const target = Buffer.from(e.target, 'utf8');
        await put(header({ ino: ino++, mode: S_IFLNK | 0o777, nlink: 1, mtime, size: target.length }, name));
        await put(Buffer.concat([target, Buffer.alloc(pad4(target.length))]));
        break;
      }
      case 'chardev':
        await put(header({ ino: ino++, mode: S_IFCHR | e.mode, nlink: 1, mtime, size: 0, rdevmajor: e.major, rdevminor: e.minor }, name));
        break;
      case 'data':
        await put(header({ ino: ino++, mode: S_IFREG | e.mode, nlink: 1, mtime, size: e.data.length }, name));
        await put(Buffer.concat([e.data, Buffer.alloc(pad4(e.data.length))]));
        break;
      case 'file':
        await put(header({ ino: ino++, mode: S_IFREG | e.mode, nlink: 1, mtime, size: e.size }, name));
        await copyFile(out, e.source, e.size, name);
        total += e.size;
        if (pad4(e.size)) await put(Buffer.alloc(pad4(e.size)));
        break;
    }
  }
  await put(header({ ino: 0, mode: 0, nlink: 1, mtime: 0, size: 0 }, 'TRAILER!!!'));
  // cpio pads its output to whole 512-byte blocks; the kernel does not need it, other readers like it.
  if (total % 512) await put(Buffer.alloc(512 - (total % 512)));
  return total;
}
