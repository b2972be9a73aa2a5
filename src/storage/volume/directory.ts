/** A Volume that is a plain local directory: the fast back end for tests and dry runs. */
import { cp, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { folderNotFound, splitVolumePath, VolumeError, type Volume, type VolumeEntry } from './volume.js';

export class DirectoryVolume implements Volume {
  readonly root: string;
  readonly description: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.description = `directory ${this.root}`;
  }

  private local(path: string): string {
    return join(this.root, ...splitVolumePath(path, this.description));
  }

  async exists(path: string): Promise<boolean> {
    try {
      await stat(this.local(path));
      return true;
    } catch {
      return false;
    }
  }

  async readFile(path: string): Promise<Buffer> {
    const p = this.local(path);
    const s = await stat(p).catch(() => undefined);
    if (!s) throw new VolumeError('not-found', this.description, path, `${this.description}: ${path} does not exist`);
    if (s.isDirectory()) throw new VolumeError('not-a-file', this.description, path, `${this.description}: ${path} is a directory, not a file`);
    return readFile(p);
  }

  async writeFile(path: string, data: Buffer | string): Promise<void> {
    const p = this.local(path);
    if (p === this.root) throw new VolumeError('not-a-file', this.description, path, `${this.description}: cannot write a file over the root`);
    await this.mkdirp(relative(this.root, dirname(p)));
    try {
      await writeFile(p, data);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EISDIR') {
        throw new VolumeError('not-a-file', this.description, path, `${this.description}: ${path} is a directory; cannot write a file over it`);
      }
      throw e;
    }
  }

  async copyIn(localPath: string, path: string): Promise<void> {
    const p = this.local(path);
    const s = await stat(localPath);
    if (!s.isDirectory()) await mkdir(dirname(p), { recursive: true });
    await cp(localPath, p, { recursive: true, force: true, dereference: true });
  }

  async mkdirp(path: string): Promise<void> {
    const p = this.local(path);
    try {
      await mkdir(p, { recursive: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTDIR') {
        throw new VolumeError('not-a-directory', this.description, path, `${this.description}: cannot create ${path}: a file is in the way`);
      }
      throw e;
    }
  }

  async list(path: string): Promise<VolumeEntry[]> {
    const p = this.local(path);
    const s = await stat(p).catch(() => undefined);
    if (!s) throw folderNotFound(this.description, path);
    if (!s.isDirectory()) throw new VolumeError('not-a-directory', this.description, path, `${this.description}: ${path} is a file, not a directory`);
    const entries = await readdir(p);
    const out: VolumeEntry[] = [];
    for (const name of entries) {
      const es = await stat(join(p, name)).catch(() => undefined);
      if (!es) continue; // a dangling symlink
      out.push({ name, type: es.isDirectory() ? 'directory' : 'file', size: es.isDirectory() ? 0 : es.size });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async flush(): Promise<void> {
    // Writes go straight to the directory.
  }
}
