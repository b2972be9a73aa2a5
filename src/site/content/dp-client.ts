/**
 * The site's side of the distribution point protocol (server: src/server/distribution-point/):
 * push blobs, publish package manifests, delete, validate. Bodies are streamed from the content
 * store's blob files; nothing is loaded whole.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { type Readable, Transform } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { ContentError } from './errors.js';
import { checkSha256, type ContentFile } from '../../transfer/hash.js';
import { httpRequest, readJson, responseError, type HttpRequestOptions } from '../../transfer/http-request.js';
import type { ContentStore } from './store.js';

export { downloadContentFile, type DownloadOptions } from '../../transfer/download.js';

export interface DpPackageInfo {
  packageId: string;
  version: number;
  size: number;
  sha256: string;
  files: ContentFile[];
}

export interface DpValidation {
  packageId: string;
  version: number;
  ok: boolean;
  bad: { path: string; sha256: string; problem: 'missing' | 'hash-mismatch' }[];
}

export interface DistributeResult {
  pushedBlobs: number;
  pushedBytes: number;
}

export class DistributionPointClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly pushToken: string,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  async hasBlob(sha256: string): Promise<boolean> {
    const res = await this.call('HEAD', `/dp/v1/blobs/${checkSha256(sha256, 'blob hash')}`, {}, [200, 404]);
    res.resume();
    return res.statusCode === 200;
  }

  /**
   * Streams a local blob file to the DP, which verifies it against `sha256` (422 → ContentError
   * 'content-hash-mismatch'). `onBytes` hears how many bytes have been sent so far.
   */
  async pushBlob(sha256: string, file: string, onBytes?: (sent: number) => void): Promise<void> {
    checkSha256(sha256, 'blob hash');
    const { size } = await stat(file);
    const source = createReadStream(file, { highWaterMark: 1 << 20 });
    let body: Readable = source;
    if (onBytes) {
      let sent = 0;
      body = source.pipe(
        new Transform({
          transform(chunk: Buffer, _encoding, done) {
            sent += chunk.length;
            onBytes(sent);
            done(null, chunk);
          },
        }),
      );
      source.on('error', (e) => body.destroy(e));
    }
    const res = await this.call('PUT', `/dp/v1/blobs/${sha256}`, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': size },
      body,
    });
    res.resume();
  }

  /** Publishes a package manifest; if blobs are missing, throws ContentError 'dp-blobs-missing' with `details.missing`. */
  async putPackage(packageId: string, version: number, files: ContentFile[]): Promise<void> {
    const res = await this.call('PUT', `/dp/v1/packages/${encodeURIComponent(packageId)}`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ version, files: files.map(({ path, size, sha256 }) => ({ path, size, sha256 })) }),
    });
    res.resume();
  }

  /**
   * Puts a package on the DP, pushing only the blobs it lacks. The package PUT itself tells which
   * blobs are missing (one request instead of a HEAD per file); after pushing them it is sent again.
   * A second round covers blobs the DP deleted meanwhile (another package removed concurrently).
   */
  async distribute(
    packageId: string,
    version: number,
    files: ContentFile[],
    store: ContentStore,
    onProgress?: (doneBytes: number, totalBytes: number) => void,
  ): Promise<DistributeResult> {
    const sizes = new Map(files.map((f) => [f.sha256, f.size]));
    const result: DistributeResult = { pushedBlobs: 0, pushedBytes: 0 };
    for (let round = 0; ; round++) {
      let missing: string[];
      try {
        await this.putPackage(packageId, version, files);
        return result;
      } catch (e) {
        if (!(e instanceof ContentError) || e.code !== 'dp-blobs-missing' || round === 2) throw e;
        missing = (e.details?.missing as string[] | undefined) ?? [];
      }
      const total = missing.reduce((n, h) => n + (sizes.get(h) ?? 0), 0);
      let done = 0;
      onProgress?.(0, total);
      for (const sha256 of missing) {
        const before = done;
        await this.pushBlob(sha256, store.blobPath(sha256), onProgress && ((sent) => onProgress(before + sent, total)));
        done = before + (sizes.get(sha256) ?? 0);
        result.pushedBlobs++;
        result.pushedBytes += sizes.get(sha256) ?? 0;
        onProgress?.(done, total);
      }
    }
  }

  /** Removes a package (and the blobs only it used). A package that is not there counts as removed. */
  async deletePackage(packageId: string): Promise<void> {
    const res = await this.call('DELETE', `/dp/v1/packages/${encodeURIComponent(packageId)}`, {}, [200, 404]);
    res.resume();
  }

  /** Rehashes the package's files on the DP (can take as long as reading them; no idle time-out). */
  async validate(packageId: string): Promise<DpValidation> {
    const res = await this.call('POST', `/dp/v1/packages/${encodeURIComponent(packageId)}/validate`, { idleTimeoutMs: 0 });
    return readJson<DpValidation>(res, `POST ${this.baseUrl}/dp/v1/packages/${packageId}/validate`);
  }

  async listPackages(): Promise<DpPackageInfo[]> {
    const res = await this.call('GET', '/dp/v1/packages');
    return readJson<DpPackageInfo[]>(res, `GET ${this.baseUrl}/dp/v1/packages`);
  }

  /** The URL a client downloads a package file from. */
  contentUrl(packageId: string, path: string): string {
    return `${this.baseUrl}/content/${encodeURIComponent(packageId)}/${path.split('/').map(encodeURIComponent).join('/')}`;
  }

  private async call(method: string, path: string, opts: Omit<HttpRequestOptions, 'method'> = {}, ok: number[] = []): Promise<IncomingMessage> {
    const url = `${this.baseUrl}${path}`;
    const res = await httpRequest(url, { ...opts, method, headers: { ...opts.headers, authorization: `Bearer ${this.pushToken}` } });
    const status = res.statusCode ?? 0;
    if ((status >= 200 && status < 300) || ok.includes(status)) return res;
    throw await responseError(res, `${method} ${url}`);
  }
}
