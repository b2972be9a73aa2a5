/**
 * Makes a new or renamed file in `dir` durable, synchronously: the agent's status sink is called by
 * the engine without waiting, and a status message must be on the disk before the engine goes on.
 * Some file systems refuse fsync on a directory; that is not fatal.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';

export function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (e) {
    if (!['EINVAL', 'EISDIR', 'EPERM', 'ENOTSUP', 'EBADF'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
