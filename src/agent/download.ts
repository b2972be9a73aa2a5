/**
 * A package's files from a distribution point into the client cache, `cache/<packageId>/<sourceVersion>/`
 * (docs/management-point.md "The agent on the computer"):
 *
 * - from the first of the package's DP locations that answers; a connection that breaks is resumed
 *   where it stopped (HTTP Range on the `.partial` file), a few times per location, then the next;
 * - every file's SHA-256 is checked before it lands (src/transfer/download.ts: a mismatch is
 *   0x80091007 and the file never lands); a file already in the cache — pre-cached, or from an
 *   earlier attempt — is hashed again before it is used, and fetched again only if it differs;
 * - progress is reported in bytes over the whole package, and the bytes fetched from the network
 *   are counted (the pre-cache test counts them at the distribution point too).
 *
 * "Download all content before starting" fetches every package the run needs before the engine
 * starts; "download content as needed" goes through `DownloadingContentLibrary` — the handlers'
 * ContentLibrary (src/actions/content.ts) over the cache — whose packages are fetched the first
 * time a step names them (`OnDemandExecutor`, run.ts).
 *
 * Streaming (issue 14; docs/boot-environment-agent.md "Streaming the image"): with `streamImages`
 * on (run.ts turns it on for "download when needed" on a computer that can stream), an OS image
 * package whose WIM is pipable is not fetched into the cache: `imageStream` reads its first bytes
 * from the DP (a Range request: the header and the XML copy, a few KB) and names the URLs, hash and
 * size, and Apply Operating System streams it into wimlib on the computer.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ContentLibrary, type StreamableImage } from '../actions/content.js';
import { StepFailure, WIN32 } from '../actions/errors.js';
import { readPipableWimStart } from '../storage/pipable-wim.js';
import { downloadContentFile } from '../transfer/download.js';
import { httpRequest, readBody } from '../transfer/http-request.js';
import { ContentError, ContentHashMismatchError, isAbort } from '../transfer/errors.js';
import { AgentError } from './errors.js';
import type { ContentFileEntry, ContentPackage } from './protocol.js';
import type { AgentState } from './state.js';

export interface DownloadProgress {
  packageId: string;
  /** Bytes of the package in the cache so far (found or fetched). */
  done: number;
  total: number;
}

export interface PackageDownloadOptions {
  onProgress?: (p: DownloadProgress) => void;
  /** One line per event worth the log (a location that failed, a file found in the cache). */
  log?: (line: string, severity?: 'info' | 'warning' | 'error') => void;
  signal?: AbortSignal;
  /** Resumes per location after a broken connection or an unreachable DP (default 10: about a minute of waiting in all). */
  resumesPerLocation?: number;
  /** Wait before a resume (default 200 ms, doubling up to 10 s). */
  resumeWaitMs?: number;
}

export interface PackageDownloadResult {
  folder: string;
  /** Bytes fetched from distribution points (not those already in the cache). */
  fetchedBytes: number;
  /** Files that were already in the cache and matched their hash. */
  cachedFiles: number;
  /** How long fetching took (the site measures throughput from bytes and seconds). */
  seconds: number;
}

/** Makes the package's files present and verified in the cache; returns its folder. */
export async function downloadPackage(state: AgentState, pkg: ContentPackage, opts: PackageDownloadOptions = {}): Promise<PackageDownloadResult> {
  const folder = state.packageDir(pkg.packageId, pkg.sourceVersion);
  const total = pkg.files.reduce((n, f) => n + f.size, 0);
  let doneBefore = 0;
  let fetchedBytes = 0;
  let cachedFiles = 0;
  let seconds = 0;
  opts.onProgress?.({ packageId: pkg.packageId, done: 0, total });
  for (const file of pkg.files) {
    const dest = join(folder, ...file.path.split('/'));
    if (await alreadyInCache(dest, file)) {
      cachedFiles++;
      doneBefore += file.size;
      opts.onProgress?.({ packageId: pkg.packageId, done: doneBefore, total });
      continue;
    }
    const started = performance.now();
    fetchedBytes += await downloadFile(pkg, file, dest, opts, (fileDone) =>
      opts.onProgress?.({ packageId: pkg.packageId, done: doneBefore + fileDone, total }),
    );
    seconds += (performance.now() - started) / 1000;
    doneBefore += file.size;
  }
  if (cachedFiles > 0) opts.log?.(`Package ${pkg.packageId}: ${cachedFiles} of ${pkg.files.length} file(s) found in the cache, hash verified`);
  return { folder, fetchedBytes, cachedFiles, seconds };
}

/** A cached file counts only if its bytes still hash to what the site recorded. */
async function alreadyInCache(dest: string, file: ContentFileEntry): Promise<boolean> {
  if (!existsSync(dest)) return false;
  if (statSync(dest).size !== file.size) {
    await rm(dest, { force: true });
    return false;
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(dest, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  if (hash.digest('hex') === file.sha256) return true;
  await rm(dest, { force: true });
  return false;
}

/** One file from the first location that delivers it; returns the bytes fetched over the network. */
async function downloadFile(
  pkg: ContentPackage,
  file: ContentFileEntry,
  dest: string,
  opts: PackageDownloadOptions,
  onFile: (done: number) => void,
): Promise<number> {
  if (pkg.locations.length === 0) {
    throw new StepFailure(
      WIN32.fileNotFound,
      `the content of package ${pkg.packageId} is not on any distribution point this computer may use: distribute it, then retry`,
    );
  }
  let fetched = 0;
  let lastError: unknown;
  for (const location of pkg.locations) {
    const url = `${location.url.endsWith('/') ? location.url : `${location.url}/`}${file.path.split('/').map(encodeURIComponent).join('/')}`;
    const resumes = opts.resumesPerLocation ?? 10;
    for (let attempt = 0; attempt <= resumes; attempt++) {
      let resumedFrom = -1;
      let last = 0;
      try {
        await downloadContentFile(
          url,
          dest,
          { sha256: file.sha256, size: file.size },
          {
            resume: true,
            signal: opts.signal,
            onProgress: (done) => {
              if (resumedFrom < 0) resumedFrom = done;
              else fetched += done - last;
              last = done;
              onFile(done);
            },
          },
        );
        return fetched;
      } catch (e) {
        if (isAbort(e)) throw e;
        lastError = e;
        if (e instanceof ContentHashMismatchError) {
          // The DP holds other bytes than the site hashed: this location's copy is bad, try the next.
          opts.log?.(`${url}: ${e.rule}`, 'error');
          break;
        }
        if (!(e instanceof ContentError) || !['dp-unreachable'].includes(e.code)) {
          opts.log?.(`${url}: ${(e as Error).message}`, 'warning');
          break;
        }
        opts.log?.(`${url}: ${e.rule}; resuming (attempt ${attempt + 1} of ${resumes})`, 'warning');
        await new Promise((r) => setTimeout(r, Math.min(10_000, (opts.resumeWaitMs ?? 200) * 2 ** attempt)));
      }
    }
  }
  throw downloadFailure(pkg, file, lastError);
}

/** Why a package's file could not be had, keeping the code the step reports (0x80091007 for a hash mismatch). */
function downloadFailure(pkg: ContentPackage, file: ContentFileEntry, e: unknown): Error {
  if (e instanceof ContentError) {
    return new AgentError(e.win32 !== undefined ? 'step-failed' : 'unavailable', {
      input: `package ${pkg.packageId} file ${file.path}`,
      rule: e.rule,
      hint: e.hint,
      exitCode: e.win32 ?? 0x80004005,
      code: e.code,
      cause: e,
    });
  }
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * The handlers' ContentLibrary over the client cache: a package's folder is
 * `cache/<packageId>/<sourceVersion>/` of the version this run's content answer named. A package
 * not yet fetched is 0x80070002 for a handler that asks; `ensure` fetches it first.
 */
export class DownloadingContentLibrary extends ContentLibrary {
  private readonly packages = new Map<string, ContentPackage>();
  private readonly present = new Set<string>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly streams = new Map<string, Promise<StreamableImage | undefined>>();
  fetchedBytes = 0;
  /** Whether a pipable OS image may be streamed instead of cached (run.ts: "download when needed" on a computer that streams). */
  streamImages = false;

  constructor(
    private readonly state: AgentState,
    packages: ContentPackage[],
    private readonly options: PackageDownloadOptions & { onFetched?: (pkg: ContentPackage, result: PackageDownloadResult) => void } = {},
  ) {
    super(state.cacheDir);
    for (const p of packages) this.packages.set(p.packageId.toUpperCase(), p);
  }

  /**
   * A package the site named during the run (an application's content, a software update
   * deployment package: src/agent/software.ts), fetched like the others when a step asks for it.
   * A newer version than the one known replaces it.
   */
  add(pkg: ContentPackage): void {
    const id = pkg.packageId.toUpperCase();
    const known = this.packages.get(id);
    if (known && known.sourceVersion === pkg.sourceVersion) return;
    this.packages.set(id, pkg);
    this.present.delete(id);
  }

  /** Removes a package's files from the cache (Install Application's "clear application content from cache"); fetched again if asked for. */
  async evict(id: string): Promise<void> {
    const pkg = this.packages.get(id.toUpperCase());
    if (!pkg) return;
    this.present.delete(pkg.packageId.toUpperCase());
    await rm(this.state.packageDir(pkg.packageId, pkg.sourceVersion), { recursive: true, force: true });
  }

  /** Whether the run's content names this package. */
  knows(id: string): boolean {
    return this.packages.has(id.toUpperCase());
  }

  override packageFolder(id: string): string {
    const pkg = this.packages.get(id.toUpperCase());
    if (!pkg) {
      throw new StepFailure(WIN32.fileNotFound, `package ${id} is not in this deployment's content (the site's content answer does not name it)`);
    }
    if (!this.present.has(pkg.packageId.toUpperCase())) {
      throw new StepFailure(WIN32.fileNotFound, `the content of package ${id} has not been downloaded`);
    }
    return this.state.packageDir(pkg.packageId, pkg.sourceVersion);
  }

  /**
   * The package's WIM as a stream source when streaming is on, the package is not already in the
   * cache, holds exactly one file ending .wim (and nothing else needed), and that WIM is pipable
   * on the first DP that answers; else undefined (the package is downloaded as before). Asked once per package.
   */
  override imageStream(id: string): Promise<StreamableImage | undefined> {
    const key = id.toUpperCase();
    const pkg = this.packages.get(key);
    if (!this.streamImages || !pkg || this.present.has(key)) return Promise.resolve(undefined);
    let p = this.streams.get(key);
    if (!p) {
      p = probeStream(pkg, this.options).catch(() => undefined);
      this.streams.set(key, p);
    }
    return p;
  }

  /** Downloads the packages (once each; a second caller waits for the first). */
  async ensure(ids: Iterable<string>): Promise<void> {
    for (const raw of ids) {
      const id = raw.toUpperCase();
      const pkg = this.packages.get(id);
      if (!pkg || this.present.has(id)) continue;
      let p = this.inFlight.get(id);
      if (!p) {
        p = downloadPackage(this.state, pkg, this.options).then((r) => {
          this.fetchedBytes += r.fetchedBytes;
          this.present.add(id);
          this.options.onFetched?.(pkg, r);
        });
        this.inFlight.set(id, p);
        p.catch(() => this.inFlight.delete(id));
      }
      await p;
    }
  }
}

function fileUrl(base: string, path: string): string {
  return `${base.endsWith('/') ? base : `${base}/`}${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** The first `bytes` of a file (a Range request; a server ignoring Range is read up to `bytes` and cut). */
async function readStart(url: string, bytes: number, signal?: AbortSignal): Promise<Buffer> {
  const res = await httpRequest(url, { method: 'GET', headers: { range: `bytes=0-${bytes - 1}` }, signal, idleTimeoutMs: 30_000 });
  if (res.statusCode !== 206 && res.statusCode !== 200) {
    res.resume();
    throw new Error(`${url} answered ${res.statusCode}`);
  }
  if (res.statusCode === 200) {
    const chunks: Buffer[] = [];
    let have = 0;
    for await (const c of res as AsyncIterable<Buffer>) {
      chunks.push(c);
      have += c.length;
      if (have >= bytes) break;
    }
    res.destroy();
    return Buffer.concat(chunks).subarray(0, bytes);
  }
  return readBody(res, url, bytes + 1);
}

/** Whether the package is one pipable WIM on a DP: its images from the file's first bytes. */
async function probeStream(pkg: ContentPackage, opts: PackageDownloadOptions): Promise<StreamableImage | undefined> {
  const wims = pkg.files.filter((f) => /\.wim$/i.test(f.path));
  if (wims.length !== 1 || pkg.locations.length === 0) return undefined;
  const file = wims[0];
  const urls = pkg.locations.map((l) => fileUrl(l.url, file.path));
  for (const url of urls) {
    try {
      let want = 64 << 10;
      for (let i = 0; i < 3; i++) {
        const start = await readStart(url, Math.min(want, file.size), opts.signal);
        const r = readPipableWimStart(start);
        if (r.kind === 'not-pipable') {
          opts.log?.(`Package ${pkg.packageId}: ${file.path} is not a pipable WIM; it is downloaded into the cache before it is applied`);
          return undefined;
        }
        if (r.kind === 'pipable') {
          // The site's anchor counts only for this very file (same path; a package whose content changed has a new answer).
          const a = pkg.streamAnchor;
          const anchor =
            a && a.file === file.path && a.bytes > 0 && a.bytes <= file.size && /^[0-9a-f]{64}$/.test(a.sha256)
              ? { bytes: a.bytes, sha256: a.sha256 }
              : undefined;
          return { file: file.path, urls: [url, ...urls.filter((u) => u !== url)], sha256: file.sha256, size: file.size, anchor, images: r.images };
        }
        if (r.needBytes > file.size) return undefined;
        want = r.needBytes;
      }
      return undefined;
    } catch (e) {
      if (isAbort(e)) throw e;
      opts.log?.(`Package ${pkg.packageId}: the start of ${url} could not be read (${(e as Error).message}); trying the next location`, 'warning');
    }
  }
  return undefined;
}
