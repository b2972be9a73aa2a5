/**
 * Package content as a destination computer reaches it: one folder per PackageID, as a distribution
 * point serves it (osd-features §2.1). A `content.json` index may map IDs to folders; otherwise the
 * folder is named after the PackageID. A missing package is ConfigMgr's 0x80070002.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../sequence/input-error.js';
import type { WimImageInfo } from '../storage/wim.js';
import { StepFailure, WIN32 } from './errors.js';

export class ContentLibrary {
  private readonly index: Record<string, string> = {};

  constructor(readonly root: string) {
    this.root = resolve(root);
    if (!existsSync(this.root) || !statSync(this.root).isDirectory()) {
      throw new StepFailure(WIN32.pathNotFound, `the content library ${this.root} does not exist (make a test one with \`osd lab content DIR\`)`);
    }
    const indexFile = join(this.root, 'content.json');
    if (existsSync(indexFile)) {
      try {
        const data = JSON.parse(readFileSync(indexFile, 'utf8')) as { packages?: Record<string, string> };
        for (const [id, folder] of Object.entries(data.packages ?? {})) this.index[id.toUpperCase()] = folder;
      } catch (e) {
        throw new StepFailure(WIN32.invalidData, `${indexFile}: not a valid content index (${(e as Error).message})`);
      }
    }
  }

  /** The folder holding package `id`'s files. */
  packageFolder(id: string): string {
    const folder = join(this.root, this.index[id.toUpperCase()] ?? id);
    if (!existsSync(folder) || !statSync(folder).isDirectory()) {
      throw new StepFailure(
        WIN32.fileNotFound,
        `the content of package ${id} is not available: no folder ${folder} (distribute the package, or check --content)`,
      );
    }
    return folder;
  }

  /**
   * A package's WIM to apply as a stream instead of from a folder — only a library that fetches
   * from distribution points can say (the agent's: src/agent/download.ts), and only for a pipable
   * WIM not already in its cache. The plain library has every file at hand: undefined.
   */
  async imageStream(_id: string): Promise<StreamableImage | undefined> {
    return undefined;
  }

  /** A file in the library (e.g. the driver catalog), or undefined. */
  file(relative: string): string | undefined {
    const p = join(this.root, relative);
    return existsSync(p) ? p : undefined;
  }
}

/** A pipable WIM on distribution points: where to stream it from, its recorded hash and size, and its images. */
export interface StreamableImage {
  /** The file's path in the package ("install.wim"). */
  file: string;
  /** Its URL on each distribution point, in the order to try them. */
  urls: string[];
  sha256: string;
  size: number;
  /** The site's stream anchor (the SHA-256 of the WIM's header, XML and metadata), when it recorded one. */
  anchor?: { bytes: number; sha256: string };
  /** Read from the WIM's leading XML copy (pipable WIMs carry one after the header). */
  images: WimImageInfo[];
}

/** A content library the user named (--content): a problem with it is bad input, not a step failure. */
export function openContentLibrary(dir: string, option = '--content'): ContentLibrary {
  try {
    return new ContentLibrary(dir);
  } catch (e) {
    if (e instanceof StepFailure) throw new InputError({ input: `${option} ${dir}`, rule: e.message });
    throw e;
  }
}
