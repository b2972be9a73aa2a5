/**
 * The initramfs as a list of entries before it is written: folders, files taken from this machine
 * (by path: nothing is copied until the archive is written), generated files, symbolic links and
 * device nodes. A program is added with the shared libraries `ldd` names for it (netboot.md §2:
 * "Tools copied with ldd"), each at the path the dynamic loader looks for it.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, posix } from 'node:path';
import { OsdError } from '../../common/errors.js';
import { runTool } from '../../storage/tools.js';
import { type CpioEntry, comparePaths } from './cpio.js';

export class InitramfsTree {
  private readonly entries = new Map<string, CpioEntry>();
  /** Host files the tree takes (for the package list and the cache key). */
  readonly hostFiles = new Set<string>();

  private norm(path: string): string {
    const p = posix.normalize(`/${path}`);
    return p.length > 1 ? p.replace(/\/$/, '') : p;
  }

  has(path: string): boolean {
    return this.entries.has(this.norm(path));
  }

  dir(path: string, mode = 0o755): this {
    const p = this.norm(path);
    if (p === '/') return this;
    const e = this.entries.get(p);
    if (e && e.kind !== 'dir') throw new Error(`${p} is already in the initramfs as a ${e.kind}`);
    this.dir(posix.dirname(p));
    if (!e) this.entries.set(p, { kind: 'dir', path: p, mode });
    return this;
  }

  private put(e: CpioEntry): void {
    const p = this.norm(e.path);
    this.dir(posix.dirname(p));
    const old = this.entries.get(p);
    if (old && old.kind === 'dir') throw new Error(`${p} is already in the initramfs as a folder`);
    this.entries.set(p, { ...e, path: p });
  }

  /** A file of this machine at `path` in the initramfs (its mode: executable or not, from the host file). */
  file(path: string, source: string, mode?: number): this {
    const st = statSync(source);
    if (!st.isFile()) throw new Error(`${source} is not a file`);
    this.hostFiles.add(source);
    this.put({ kind: 'file', path, source, size: st.size, mode: mode ?? (st.mode & 0o111 ? 0o755 : 0o644) });
    return this;
  }

  data(path: string, data: string | Buffer, mode = 0o644): this {
    this.put({ kind: 'data', path, data: typeof data === 'string' ? Buffer.from(data, 'utf8') : data, mode });
    return this;
  }

  symlink(path: string, target: string): this {
    this.put({ kind: 'symlink', path, target });
    return this;
  }

  chardev(path: string, major: number, minor: number, mode = 0o600): this {
    this.put({ kind: 'chardev', path, major, minor, mode });
    return this;
  }

  /**
   * A program at `path` with the libraries it needs. A host symbolic link (mcopy → mtools) stays a
   * link, with its target added beside it.
   */
  async program(path: string, source: string, libs: LibraryResolver): Promise<this> {
    const at = this.norm(path);
    const l = lstatSync(source);
    if (l.isSymbolicLink()) {
      const real = realpathSync(source);
      const target = readlinkSync(source);
      // Keep a link within the same folder as a link (mtools' applets); otherwise take the file itself.
      if (!target.includes('/') && dirname(real) === dirname(source)) {
        const targetAt = posix.join(posix.dirname(at), target);
        if (!this.has(targetAt)) await this.program(targetAt, real, libs);
        this.symlink(at, target);
        return this;
      }
      source = real;
    }
    this.file(at, source, 0o755);
    for (const lib of await libs.of(source)) if (!this.has(lib.path)) this.file(lib.path, lib.source, 0o755);
    return this;
  }

  /** The entries in archive order. */
  list(): CpioEntry[] {
    return [...this.entries.values()].sort((a, b) => comparePaths(a.path, b.path));
  }

  /**
   * A SHA-256 over everything the archive will hold: paths, modes, generated contents, and each host
   * file's path, size and modification time (Debian's files do not change under a version).
   */
  fingerprint(extra: readonly string[] = []): string {
    const h = createHash('sha256');
    for (const x of extra) h.update(`${x}\n`);
    for (const e of this.list()) {
      h.update(`${e.kind} ${e.path}`);
      if (e.kind === 'dir') h.update(` ${e.mode ?? 0o755}`);
      if (e.kind === 'symlink') h.update(` ${e.target}`);
      if (e.kind === 'chardev') h.update(` ${e.mode} ${e.major} ${e.minor}`);
      if (e.kind === 'data') h.update(` ${e.mode} `).update(e.data);
      if (e.kind === 'file') h.update(` ${e.mode} ${e.source} ${e.size} ${statSync(e.source).mtimeMs}`);
      h.update('\n');
    }
    return h.digest('hex');
  }
}

/** `ldd`'s answer for each program, remembered. */
export class LibraryResolver {
  private readonly cache = new Map<string, Array<{ path: string; source: string }>>();

  async of(program: string): Promise<Array<{ path: string; source: string }>> {
    const known = this.cache.get(program);
    if (known) return known;
    let out: string;
    try {
      out = (await runTool('ldd', [program], { okCodes: [0, 1] })).stdout;
    } catch (e) {
      throw new OsdError('fault', { input: program, rule: `ldd could not list its libraries: ${(e as Error).message}`, hint: 'install libc-bin', cause: e });
    }
    const libs: Array<{ path: string; source: string }> = [];
    if (/not a dynamic executable|statically linked/.test(out)) {
      this.cache.set(program, libs);
      return libs;
    }
    for (const line of out.split('\n')) {
      const t = line.trim();
      if (!t || t.startsWith('linux-vdso') || t.startsWith('linux-gate')) continue;
      const missing = /^(\S+) => not found/.exec(t);
      if (missing)
        throw new OsdError('fault', {
          input: program,
          rule: `needs the library ${missing[1]}, which this machine does not have`,
          hint: 'install the package that provides it (apt-file search)',
        });
      const m = /^(?:\S+ => )?(\/\S+) \(0x[0-9a-f]+\)$/.exec(t);
      if (!m) continue;
      const path = m[1]!;
      if (!isAbsolute(path)) continue;
      libs.push({ path, source: realpathSync(path) });
    }
    this.cache.set(program, libs);
    return libs;
  }
}

/** Joins a path inside the initramfs (for callers building paths from parts). */
export function inRoot(...parts: string[]): string {
  return posix.normalize(join('/', ...parts));
}
