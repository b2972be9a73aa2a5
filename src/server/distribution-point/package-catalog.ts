/**
 * The packages a distribution point holds: one manifest per package at root/packages/<PackageID>.json,
 * written atomically (tmp + fsync + rename), and kept in memory so a client request resolves a file
 * with a map lookup instead of re-reading JSON. Only this process writes the folder.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { caseFoldPath } from '../../site/content/content-path.js';
import { fsyncDir, writeFileAtomic } from '../../transfer/durable-fs.js';
import { ContentError } from '../../site/content/errors.js';
import type { ContentFile } from '../../transfer/hash.js';
import type { ContentStore } from '../../site/content/store.js';

/** ConfigMgr PackageID: a three-character site code and five hex digits (e.g. PS100012). */
export const PACKAGE_ID = /^[A-Z0-9]{3}[0-9A-F]{5}$/;

export function checkPackageId(id: string, input: string): string {
  if (!PACKAGE_ID.test(id)) {
    throw new ContentError({
      code: 'package-id-invalid',
      status: 400,
      input,
      rule: `${JSON.stringify(id.slice(0, 40))} is not a PackageID (site code and five hex digits, e.g. PS100012)`,
      hint: 'use the package ID the site assigned, in uppercase',
    });
  }
  return id;
}

export interface DpPackage {
  packageId: string;
  version: number;
  size: number;
  /** The manifest hash (`manifestHash(files)`). */
  sha256: string;
  files: ContentFile[];
}

interface Entry {
  pkg: DpPackage;
  byPath: Map<string, ContentFile>;
  /** Windows clients ask case-insensitively; `checkPathsCoexist` made the folded keys unique. */
  byFold: Map<string, ContentFile>;
}

export class PackageCatalog {
  private readonly entries = new Map<string, Entry>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private readonly tmpDir: string,
  ) {}

  static async open(store: ContentStore): Promise<PackageCatalog> {
    const catalog = new PackageCatalog(join(store.root, 'packages'), store.tmpDir);
    await mkdir(catalog.dir, { recursive: true });
    for (const name of (await readdir(catalog.dir)).sort()) {
      const m = /^(.*)\.json$/.exec(name);
      if (!m || !PACKAGE_ID.test(m[1])) continue;
      const file = join(catalog.dir, name);
      let pkg: DpPackage;
      try {
        pkg = JSON.parse(await readFile(file, 'utf8')) as DpPackage;
      } catch (e) {
        throw new ContentError({
          code: 'dp-package-unreadable',
          status: 500,
          input: file,
          rule: `is not a readable package manifest (${(e as Error).message})`,
          hint: 'delete the file and distribute the package again',
        });
      }
      catalog.remember(pkg);
    }
    return catalog;
  }

  list(): DpPackage[] {
    return [...this.entries.values()].map((e) => e.pkg).sort((a, b) => (a.packageId < b.packageId ? -1 : 1));
  }

  get(packageId: string): DpPackage | undefined {
    return this.entries.get(packageId)?.pkg;
  }

  /** The file of a package at `path`: exact match first, then case-insensitive. */
  file(packageId: string, path: string): ContentFile | undefined {
    const e = this.entries.get(packageId);
    return e?.byPath.get(path) ?? e?.byFold.get(caseFoldPath(path));
  }

  /** Every blob some package other than `except` refers to. */
  referencedBlobs(except?: string): Set<string> {
    const out = new Set<string>();
    for (const [id, e] of this.entries) if (id !== except) for (const f of e.pkg.files) out.add(f.sha256);
    return out;
  }

  async put(pkg: DpPackage): Promise<void> {
    await writeFileAtomic(this.tmpDir, join(this.dir, `${pkg.packageId}.json`), JSON.stringify(pkg));
    this.remember(pkg);
  }

  async delete(packageId: string): Promise<DpPackage | undefined> {
    const e = this.entries.get(packageId);
    if (!e) return undefined;
    await rm(join(this.dir, `${packageId}.json`), { force: true });
    await fsyncDir(this.dir);
    this.entries.delete(packageId);
    return e.pkg;
  }

  /**
   * Runs catalog changes one at a time: "check the blobs, then write the manifest" must not interleave
   * with "remove a manifest, then delete the blobs nobody refers to", or a new package could lose a blob.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private remember(pkg: DpPackage): void {
    const byPath = new Map<string, ContentFile>();
    const byFold = new Map<string, ContentFile>();
    for (const f of pkg.files) {
      byPath.set(f.path, f);
      byFold.set(caseFoldPath(f.path), f);
    }
    this.entries.set(pkg.packageId, { pkg, byPath, byFold });
  }
}
