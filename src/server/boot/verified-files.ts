/**
 * SHA-256 of files on this server, remembered by path, size and modification time, so a boot file
 * is hashed once and again only when it changed on disk (docs/network-boot.md: a kernel or
 * initramfs is checked against the boot image's recorded hash before it is served).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

interface Known {
  size: number;
  mtimeMs: number;
  sha256: string;
}

export class VerifiedFiles {
  private readonly known = new Map<string, Known>();
  private readonly running = new Map<string, Promise<Known>>();
  /** How many times a file was actually read and hashed (tests check the cache). */
  hashed = 0;

  /** The file's SHA-256 now (hashing it only when its size or time changed since the last time). */
  async sha256(path: string): Promise<{ sha256: string; size: number }> {
    const st = await stat(path);
    const k = this.known.get(path);
    if (k && k.size === st.size && k.mtimeMs === st.mtimeMs) return k;
    let p = this.running.get(path);
    if (!p) {
      p = this.hash(path, st.size, st.mtimeMs).finally(() => this.running.delete(path));
      this.running.set(path, p);
    }
    return p;
  }

  private async hash(path: string, size: number, mtimeMs: number): Promise<Known> {
    this.hashed++;
    const h = createHash('sha256');
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) h.update(chunk as Buffer);
    const k = { size, mtimeMs, sha256: h.digest('hex') };
    this.known.set(path, k);
    return k;
  }
}
