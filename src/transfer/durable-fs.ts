/**
 * The few file-system moves crash safety rests on: write under a temporary name, fsync the file,
 * rename it into place, fsync the directory (so the rename itself survives a power cut). A reader
 * therefore sees either no file or a complete one, never a torn write.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** A fresh, unguessable file name inside `dir`. */
export function tmpName(dir: string, suffix = '.tmp'): string {
  return join(dir, `${process.pid}-${randomBytes(8).toString('hex')}${suffix}`);
}

/** Makes a rename or a new file in `dir` durable. Some file systems refuse fsync on a directory; that is not fatal. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (e) {
    if (!['EINVAL', 'EISDIR', 'EPERM', 'ENOTSUP', 'EBADF'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    await fh?.close();
  }
}

/** Writes `data` to `dest` atomically: tmp file in `tmpDir` (same file system), fsync, rename, fsync the directory. */
export async function writeFileAtomic(tmpDir: string, dest: string, data: string | Uint8Array): Promise<void> {
  const tmp = tmpName(tmpDir);
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dirname(dest));
}
