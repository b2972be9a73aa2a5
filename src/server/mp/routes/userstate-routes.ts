/**
 * The state migration point's device routes (docs/state-migration-point.md; user-state.md §2.5):
 * Request State Store, the store's files (resumable uploads with Content-Range and a final SHA-256
 * check; downloads with Range for the restoring computer only), Release State Store. Every route
 * proves an approved device's credential; a store that is not this computer's answers 404 (and the
 * attempt is audited).
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { badInput, SiteError } from '../../../site/errors.js';
import { STORE_STATES, listStoreFiles, openStoreFileForRestore, releaseStore, requestStore, uploadStoreFile } from '../../../site/userstate/stores.js';
import { parseRange } from '../../distribution-point/range.js';
import { mpRoute } from '../route.js';
import type { MpRouteModule } from './index.js';

/** A request or a release is a few dozen bytes of JSON. */
const SMALL_BODY = 4096;
const storeIdParam = z.object({ storeId: z.string().max(64) }).strict();
const fileParams = z.object({ storeId: z.string().max(64), name: z.string().max(64) }).strict();
const storeFile = z.object({ name: z.string(), size: z.number(), sha256: z.string(), received: z.number(), complete: z.boolean() });

/** The store's URL as the computer reached this server (for OSDStateStorePath and the log). */
function storeUrl(request: { protocol: string; headers: { host?: string } }, storePath: string): string {
  return `${request.protocol}://${request.headers.host ?? 'localhost'}/mp/v1/userstate/${storePath}`;
}

export const userstateRoutes: MpRouteModule = () => [
  mpRoute({
    method: 'POST',
    path: '/userstate/requests',
    summary: 'Request State Store: a store to capture into, or the store this computer may restore (computer association)',
    description:
      "capture: the first storage folder under its maximum number of clients and over its minimum free space (503 no-capacity otherwise, or in restore-only mode); a computer with no association as a source gets one to itself (in-place refresh). restore: the latest captured store of a source computer whose association names this computer as the destination (409 no-association otherwise). The answer carries the store's data key (base64): keep it secret.",
    auth: 'device',
    bodyLimit: SMALL_BODY,
    body: z
      .object({
        type: z.enum(['capture', 'restore']),
        deploymentId: z.string().min(1).max(16).optional(),
      })
      .strict(),
    response: z.object({
      storeId: z.string(),
      type: z.enum(['capture', 'restore']),
      key: z.string(),
      keyId: z.string(),
      location: z.string(),
      sourceName: z.string(),
      accounts: z.array(z.string()),
      userAccounts: z.enum(['capture-restore-all', 'capture-all-restore-specified', 'capture-restore-specified']),
    }),
    handler: async ({ site, device, body, request }) => {
      const g = await requestStore(site, device, body);
      return { ...g, location: storeUrl(request, g.storePath) };
    },
  }),
  mpRoute({
    method: 'GET',
    path: '/userstate/stores/:storeId/files',
    summary:
      "A store's files: what the capturing computer uploaded so far (to resume), or what the restoring computer downloads (complete files, sizes, SHA-256)",
    auth: 'device',
    params: storeIdParam,
    response: z.object({ storeId: z.string(), state: z.enum(STORE_STATES), files: z.array(storeFile) }),
    handler: async ({ site, device, params }) => listStoreFiles(site, device, params.storeId),
  }),
  mpRoute({
    method: 'PUT',
    path: '/userstate/stores/:storeId/files/:name',
    summary: 'Upload a piece of a store file (application/octet-stream; name = store.json, manifest.osdm or packs%2FNNNNNN.osdp)',
    description:
      "Content-Range: bytes a-b/total (absent: the whole file) and X-Content-SHA256 (the whole file's). A piece starts where the store's bytes end (409 range-not-contiguous, with details.received); the file is checked when its last byte arrives (422 hash-mismatch: discarded). Packs at most 256 MiB of data plus frame overhead, the manifest 1 GiB, store.json 4 MiB (413); the storage folder keeps its minimum free space (507 folder-full). Only the capturing computer, before its release.",
    auth: 'device',
    params: fileParams,
    bodyKind: 'stream',
    response: storeFile.extend({ written: z.number() }),
    handler: async ({ site, device, params, request, reply }) => {
      const body = request.body as Readable | undefined;
      const declared = request.headers['content-length'];
      if (!body || typeof body.pipe !== 'function') {
        if (declared === '0' || declared === undefined) {
          // An empty body (a zero-byte piece) arrives without a stream.
        } else throw badInput('headers.content-type', 'a store file is sent as application/octet-stream', 'set Content-Type: application/octet-stream');
      }
      const contentLength = declared === undefined ? undefined : Number(declared);
      if (contentLength !== undefined && !Number.isSafeInteger(contentLength)) throw badInput('headers.content-length', 'is not a number of bytes');
      const header = (name: string): string | undefined => {
        const v = request.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      try {
        return await uploadStoreFile(
          site,
          device,
          params.storeId,
          params.name,
          { contentRange: header('content-range'), contentLength, sha256: header('x-content-sha256') },
          body && typeof body.pipe === 'function' ? body : Readable.from([]),
        );
      } catch (e) {
        // A refusal before the body was read: do not read the rest of it.
        if (e instanceof SiteError && !request.raw.readableEnded) void reply.header('connection', 'close');
        throw e;
      }
    },
  }),
  mpRoute({
    method: 'GET',
    path: '/userstate/stores/:storeId/files/:name',
    summary: "Download a file of the store this computer restores (Range, If-Range with the ETag: the file's SHA-256)",
    auth: 'device',
    params: fileParams,
    response: z.unknown(),
    raw: { contentType: 'application/octet-stream' },
    handler: async ({ site, device, params, request, reply }) => {
      const rangeHeader = request.headers.range;
      // The size is known only once the file is found: the range is resolved after.
      const asked = typeof rangeHeader === 'string' ? /^bytes=(\d+)-(\d*)$/.exec(rangeHeader.trim()) : null;
      const file = await openStoreFileForRestore(
        site,
        device,
        params.storeId,
        params.name,
        asked ? { start: Number(asked[1]), ...(asked[2] ? { end: Number(asked[2]) } : {}) } : undefined,
      );
      const etag = `"${file.sha256}"`;
      const ifRange = request.headers['if-range'];
      const range =
        ifRange !== undefined && ifRange !== etag
          ? { kind: 'full' as const }
          : parseRange(typeof rangeHeader === 'string' ? rangeHeader : undefined, file.size);
      if (range.kind === 'unsatisfiable') {
        return reply
          .code(416)
          .header('content-range', `bytes */${file.size}`)
          .send(
            new SiteError('bad-input', {
              input: 'headers.range',
              rule: `range ${JSON.stringify(rangeHeader)} is outside the file's ${file.size} bytes`,
              status: 416,
            }).toJSON(),
          );
      }
      void reply
        .header('accept-ranges', 'bytes')
        .header('etag', etag)
        .header('x-content-sha256', file.sha256)
        .header('content-type', 'application/octet-stream');
      if (range.kind === 'partial') {
        void reply
          .code(206)
          .header('content-range', `bytes ${range.start}-${range.end}/${file.size}`)
          .header('content-length', range.end - range.start + 1);
        return reply.send(createReadStream(file.path, { start: range.start, end: range.end }));
      }
      void reply.code(200).header('content-length', file.size);
      return file.size === 0 ? reply.send() : reply.send(createReadStream(file.path));
    },
  }),
  mpRoute({
    method: 'POST',
    path: '/userstate/stores/:storeId/release',
    summary:
      'Release State Store: after a capture the store becomes read-only and restorable (failure: abandoned); after a restore its retention starts (failure: restorable again)',
    auth: 'device',
    params: storeIdParam,
    bodyLimit: SMALL_BODY,
    body: z.object({ phase: z.enum(['capture', 'restore']), outcome: z.enum(['success', 'failure']) }).strict(),
    response: z.object({ storeId: z.string(), state: z.enum(STORE_STATES), expiresAt: z.string().nullable() }),
    handler: async ({ site, device, params, body }) => releaseStore(site, device, params.storeId, body),
  }),
];
