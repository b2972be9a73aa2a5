/**
 * The push side of a distribution point (/dp/v1, bearer token): the site checks and pushes blobs,
 * then publishes a package manifest that refers to them. Blobs are verified against their name as
 * they arrive; a manifest is accepted only when every blob it names is present.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { checkPathsCoexist, validateContentPath } from '../../site/content/content-path.js';
import { ContentError, ContentTooLargeError } from '../../site/content/errors.js';
import { checkSha256, makeManifest, type ContentFile } from '../../transfer/hash.js';
import type { ContentStore } from '../../site/content/store.js';
import { bearerAuth } from './auth.js';
import { checkPackageId, type DpPackage, type PackageCatalog } from './package-catalog.js';

export interface PushRoutesOptions {
  store: ContentStore;
  catalog: PackageCatalog;
  pushToken: string;
  maxBlobBytes: number;
  /** Blobs that must survive package deletion because something else (a co-hosted site library) uses them. */
  retainBlob?: (sha256: string) => boolean | Promise<boolean>;
}

const PackageBody = z.object({
  version: z.number().int().nonnegative(),
  files: z.array(z.object({ path: z.string(), size: z.number().int().nonnegative(), sha256: z.string() })),
});

/** A package manifest body can be large (one entry per file); blobs never travel as JSON. */
const MANIFEST_BODY_LIMIT = 64 << 20;

export async function pushRoutes(app: FastifyInstance, opts: PushRoutesOptions): Promise<void> {
  const { store, catalog } = opts;
  app.addHook('onRequest', bearerAuth(opts.pushToken));

  // The blob body is handed to the route as the raw request stream, never buffered.
  app.addContentTypeParser('application/octet-stream', (request, payload, done) => {
    const declared = Number(request.headers['content-length']);
    if (declared > opts.maxBlobBytes) done(new ContentTooLargeError(`PUT ${request.url}`, opts.maxBlobBytes, declared), undefined);
    else done(null, payload);
  });

  app.head<{ Params: { sha256: string } }>('/dp/v1/blobs/:sha256', async (request, reply) => {
    const size = await store.blobSize(checkSha256(request.params.sha256, 'blob hash in the URL'));
    if (size === undefined) return reply.code(404).send();
    return reply.code(200).header('content-length', size).send();
  });

  app.put<{ Params: { sha256: string } }>('/dp/v1/blobs/:sha256', async (request, reply) => {
    const sha256 = checkSha256(request.params.sha256, 'blob hash in the URL');
    const body: NodeJS.ReadableStream | AsyncIterable<Uint8Array> = (request.body as NodeJS.ReadableStream | undefined) ?? Readable.from([]);
    const present = await store.blobSize(sha256);
    if (present !== undefined) return reply.code(200).send({ sha256, size: present, created: false });
    const r = await store.putBlob(body, { input: `PUT /dp/v1/blobs/${sha256}`, expectedSha256: sha256, maxBytes: opts.maxBlobBytes });
    return reply.code(r.created ? 201 : 200).send(r);
  });

  app.put<{ Params: { packageId: string } }>('/dp/v1/packages/:packageId', { bodyLimit: MANIFEST_BODY_LIMIT }, async (request, reply) => {
    const packageId = checkPackageId(request.params.packageId, 'PackageID in the URL');
    const input = `PUT /dp/v1/packages/${packageId}`;
    const parsed = PackageBody.safeParse(request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ContentError({
        code: 'request-invalid',
        status: 400,
        input,
        rule: `body ${issue.path.join('.') || '(root)'}: ${issue.message}`,
        hint: 'send { "version": <number>, "files": [{ "path", "size", "sha256" }…] }',
      });
    }
    const files = checkFiles(parsed.data.files, input);
    const manifest = makeManifest(files);
    const pkg: DpPackage = { packageId, version: parsed.data.version, size: manifest.size, sha256: manifest.sha256, files: manifest.files };
    return catalog.exclusive(async () => {
      const old = catalog.get(packageId);
      if (old && old.version > pkg.version) {
        throw new ContentError({
          code: 'dp-package-version-older',
          status: 409,
          input,
          rule: `version ${pkg.version} is older than version ${old.version} already on this distribution point`,
          hint: 'distribute the current version of the package',
        });
      }
      const missing: string[] = [];
      for (const f of uniqueBlobs(files)) {
        const size = await store.blobSize(f.sha256);
        if (size === undefined) missing.push(f.sha256);
        else if (size !== f.size) {
          throw new ContentError({
            code: 'content-size-mismatch',
            status: 400,
            input,
            rule: `file ${JSON.stringify(f.path)} says ${f.size} bytes but blob ${f.sha256} has ${size}`,
            hint: 'send the sizes the content library recorded at import',
          });
        }
      }
      if (missing.length > 0) {
        throw new ContentError({
          code: 'dp-blobs-missing',
          status: 409,
          input,
          rule: `${missing.length} blob(s) the package refers to are not on this distribution point`,
          hint: 'push the missing blobs (PUT /dp/v1/blobs/<sha256>), then the package again',
          details: { missing },
        });
      }
      await catalog.put(pkg);
      // A new version may leave blobs of the old one unreferenced.
      const removedBlobs = old ? await collect(opts, catalog, old, new Set(files.map((f) => f.sha256))) : 0;
      return reply.code(old ? 200 : 201).send({ packageId, version: pkg.version, size: pkg.size, sha256: pkg.sha256, removedBlobs });
    });
  });

  app.get('/dp/v1/packages', async () => catalog.list().map(({ packageId, version, size, sha256, files }) => ({ packageId, version, size, sha256, files })));

  app.delete<{ Params: { packageId: string } }>('/dp/v1/packages/:packageId', async (request, reply) => {
    const packageId = checkPackageId(request.params.packageId, 'PackageID in the URL');
    return catalog.exclusive(async () => {
      const pkg = await catalog.delete(packageId);
      if (!pkg) throw notOnDp(packageId, `DELETE /dp/v1/packages/${packageId}`);
      const removedBlobs = await collect(opts, catalog, pkg, new Set());
      return reply.send({ packageId, removedBlobs });
    });
  });

  app.post<{ Params: { packageId: string } }>('/dp/v1/packages/:packageId/validate', async (request) => {
    const packageId = checkPackageId(request.params.packageId, 'PackageID in the URL');
    const pkg = catalog.get(packageId);
    if (!pkg) throw notOnDp(packageId, `POST /dp/v1/packages/${packageId}/validate`);
    const state = new Map<string, 'ok' | 'missing' | 'hash-mismatch'>();
    for (const f of uniqueBlobs(pkg.files)) {
      state.set(f.sha256, !(await store.has(f.sha256)) ? 'missing' : (await store.verify(f.sha256)) ? 'ok' : 'hash-mismatch');
    }
    const bad = pkg.files.filter((f) => state.get(f.sha256) !== 'ok').map((f) => ({ path: f.path, sha256: f.sha256, problem: state.get(f.sha256) }));
    return { packageId, version: pkg.version, ok: bad.length === 0, bad };
  });
}

function checkFiles(files: ContentFile[], input: string): ContentFile[] {
  const out = files.map((f, i) => ({
    path: validateContentPath(f.path, `${input} files[${i}].path`),
    size: f.size,
    sha256: checkSha256(f.sha256, `${input} files[${i}].sha256`),
  }));
  checkPathsCoexist(
    out.map((f) => f.path),
    input,
  );
  const sizes = new Map<string, ContentFile>();
  for (const f of out) {
    const other = sizes.get(f.sha256);
    if (other && other.size !== f.size) {
      throw new ContentError({
        code: 'content-size-mismatch',
        status: 400,
        input,
        rule: `files ${JSON.stringify(other.path)} and ${JSON.stringify(f.path)} have the same hash but different sizes`,
        hint: 'send the sizes the content library recorded at import',
      });
    }
    sizes.set(f.sha256, f);
  }
  return out;
}

function uniqueBlobs(files: ContentFile[]): ContentFile[] {
  const seen = new Map<string, ContentFile>();
  for (const f of files) if (!seen.has(f.sha256)) seen.set(f.sha256, f);
  return [...seen.values()];
}

/** Deletes the blobs of `pkg` that neither `keep`, another package, nor `retainBlob` still needs. */
async function collect(opts: PushRoutesOptions, catalog: PackageCatalog, pkg: DpPackage, keep: Set<string>): Promise<number> {
  const referenced = catalog.referencedBlobs();
  const garbage: string[] = [];
  for (const f of uniqueBlobs(pkg.files)) {
    if (keep.has(f.sha256) || referenced.has(f.sha256)) continue;
    if (opts.retainBlob && (await opts.retainBlob(f.sha256))) continue;
    garbage.push(f.sha256);
  }
  return opts.store.remove(garbage);
}

function notOnDp(packageId: string, input: string): ContentError {
  return new ContentError({
    code: 'dp-package-not-found',
    status: 404,
    input,
    rule: `package ${packageId} is not on this distribution point`,
    hint: 'list the packages with GET /dp/v1/packages',
  });
}
