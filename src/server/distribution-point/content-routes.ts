/**
 * The client side of a distribution point: anonymous reads, as ConfigMgr's HTTP DP allows.
 * A file is found only through the package manifest (a map lookup by content path); no part of the
 * URL is ever joined onto the file system, so `..`, encoded slashes or drive letters lead nowhere.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ContentError } from '../../site/content/errors.js';
import type { ContentStore } from '../../site/content/store.js';
import type { DpPackage, PackageCatalog } from './package-catalog.js';
import { parseRange } from './range.js';

export interface ContentRoutesOptions {
  store: ContentStore;
  catalog: PackageCatalog;
}

type Req = FastifyRequest<{ Params: { packageId: string; '*'?: string } }>;

/**
 * What this distribution point has served since it started, per package: bytes sent (counted as
 * they leave, so an aborted transfer counts what got out) and file requests — how an admin (and the
 * pre-cache test) sees that a computer did not download cached content again. Counters only, no
 * content: `GET /stats`, anonymous like the content it counts.
 */
export class ServedCounters {
  private readonly byPackage = new Map<string, { bytes: number; requests: number }>();

  add(packageId: string, bytes: number, request = false): void {
    const c = this.byPackage.get(packageId) ?? this.byPackage.set(packageId, { bytes: 0, requests: 0 }).get(packageId)!;
    c.bytes += bytes;
    if (request) c.requests++;
  }

  toJSON(): { since: string; packages: Record<string, { bytes: number; requests: number }> } {
    return { since: this.since, packages: Object.fromEntries([...this.byPackage].sort(([a], [b]) => (a < b ? -1 : 1))) };
  }

  private readonly since = new Date().toISOString();
}

export async function contentRoutes(app: FastifyInstance, opts: ContentRoutesOptions): Promise<void> {
  const { store, catalog } = opts;
  const served = new ServedCounters();
  app.get('/stats', async () => served.toJSON());

  const findPackage = (request: Req): DpPackage => {
    // Clients may spell the PackageID in any case (IIS on a ConfigMgr DP does not care either).
    const id = request.params.packageId.toUpperCase();
    const pkg = catalog.get(id);
    if (!pkg) {
      throw new ContentError({
        code: 'content-not-found',
        status: 404,
        input: `${request.method} ${request.url.split('?')[0]}`,
        rule: `package ${request.params.packageId.slice(0, 40)} is not on this distribution point`,
        hint: 'distribute the package to this distribution point, or ask another one',
      });
    }
    return pkg;
  };

  const manifest = (pkg: DpPackage) => ({ packageId: pkg.packageId, version: pkg.version, size: pkg.size, sha256: pkg.sha256, files: pkg.files });

  app.get<{ Params: { packageId: string } }>('/content/:packageId', async (request) => manifest(findPackage(request)));

  app.route<{ Params: { packageId: string; '*': string } }>({
    method: ['GET', 'HEAD'],
    url: '/content/:packageId/*',
    handler: async (request, reply) => {
      const pkg = findPackage(request);
      const path = (request.params['*'] ?? '').normalize('NFC');
      const file = path === '' ? undefined : catalog.file(pkg.packageId, path);
      // `manifest.json` names the manifest unless the package has a file of that name: content wins,
      // so every file stays reachable; the manifest is always at /content/<id>/ too.
      if (path === '' || (file === undefined && path.toLowerCase() === 'manifest.json')) return manifest(pkg);
      if (!file) {
        throw new ContentError({
          code: 'content-not-found',
          status: 404,
          input: `${request.method} ${request.url.split('?')[0]}`,
          rule: `package ${pkg.packageId} (version ${pkg.version}) has no file ${JSON.stringify(path.slice(0, 1024))}`,
          hint: `the package's files are listed at /content/${pkg.packageId}/`,
        });
      }
      return sendFile(request, reply, store, pkg, file.sha256, file.size, served);
    },
  });
}

async function sendFile(
  request: Req,
  reply: FastifyReply,
  store: ContentStore,
  pkg: DpPackage,
  sha256: string,
  size: number,
  served: ServedCounters,
): Promise<FastifyReply> {
  const onDisk = await store.blobSize(sha256);
  if (onDisk === undefined) {
    throw new ContentError({
      code: 'content-blob-missing',
      status: 500,
      input: `${request.method} ${request.url.split('?')[0]}`,
      rule: `the content of this file (blob ${sha256}) is missing from the distribution point`,
      hint: `validate package ${pkg.packageId} on this distribution point and redistribute it`,
    });
  }
  const etag = `"${sha256}"`;
  const input = `${request.method} ${request.url.split('?')[0]}`;
  // A resumer sends If-Range with the ETag it started with; if the content changed it gets the whole file.
  const ifRange = request.headers['if-range'];
  const range = ifRange !== undefined && ifRange !== etag ? { kind: 'full' as const } : parseRange(request.headers.range, size);
  if (range.kind === 'unsatisfiable') {
    const err = new ContentError({
      code: 'range-not-satisfiable',
      status: 416,
      input,
      rule: `range ${JSON.stringify(request.headers.range)} is outside the file's ${size} bytes`,
      hint: 'ask for a range that starts before the end of the file',
    });
    return reply.code(416).header('content-range', `bytes */${size}`).send(err.toJSON());
  }
  reply.header('accept-ranges', 'bytes').header('etag', etag).header('x-content-sha256', sha256).header('content-type', 'application/octet-stream');
  const head = request.method === 'HEAD';
  const counted = <S extends NodeJS.ReadableStream>(stream: S): S => {
    served.add(pkg.packageId, 0, true);
    stream.on('data', (chunk: Buffer) => served.add(pkg.packageId, chunk.length));
    return stream;
  };
  if (range.kind === 'partial') {
    reply
      .code(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
      .header('content-length', range.end - range.start + 1);
    return head ? reply.send() : reply.send(counted(store.createReadStream(sha256, range)));
  }
  reply.code(200).header('content-length', size);
  return head || size === 0 ? reply.send() : reply.send(counted(store.createReadStream(sha256)));
}
