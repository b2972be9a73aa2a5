/**
 * The content library (uploads, server-side sources, removal) and distribution points: register
 * them, distribute packages, see the content status (osd-features §3.5).
 */
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { addContent, composeContent, getContent, recordContent } from '../../../site/content/library.js';
import { collectGarbage, contentUsers, contentUsersOf, deleteContent } from '../../../site/content/garbage.js';
import { makeManifest } from '../../../transfer/hash.js';
import { SiteError, badInput } from '../../../site/errors.js';
import {
  addDistributionPoint,
  getDistributionPoint,
  listDistributionPoints,
  removeDistributionPoint,
  updateDistributionPoint,
} from '../../../site/distribution/distribution-points.js';
import {
  contentStatusSummary,
  distribute,
  redistribute,
  removeFromDistributionPoints,
  statusOf,
  validateOnDistributionPoint,
} from '../../../site/distribution/distribution.js';
import { distributionManager } from '../../../site/distribution/manager-registry.js';
import { route } from '../route.js';

const contentFile = z.object({ path: z.string(), size: z.number(), sha256: z.string() });
const contentRecord = z.object({ id: z.string(), size: z.number(), fileCount: z.number(), files: z.array(contentFile), createdAt: z.string() });
const contentSummary = contentRecord.omit({ files: true });
const contentIdParam = z.object({ contentId: z.string().regex(/^[0-9a-f]{64}$/, 'a content id is a lower-case SHA-256 (64 hex digits)') });
const dp = z.object({
  name: z.string(),
  url: z.string(),
  /** The URL computers fetch content from (issue 14, C4): `url` unless set. */
  clientUrl: z.string(),
  clientUrlSet: z.boolean(),
  description: z.string(),
  pxeEnabled: z.boolean(),
  unknownComputerSupport: z.boolean(),
  createdAt: z.string(),
});
const status = z.object({
  packageId: z.string(),
  dpName: z.string(),
  sourceVersion: z.number(),
  currentSourceVersion: z.number(),
  state: z.enum(['pending', 'in-progress', 'success', 'error', 'removing']),
  message: z.string(),
  updatedAt: z.string(),
  sizeBytes: z.number().nullable().describe("the package's content size"),
  copiedBytes: z.number().describe('bytes pushed by the copy in progress (or the last one)'),
  copyBytes: z.number().nullable().describe('bytes that copy has to push (the files the DP lacks); null until known'),
});
const packageIdParam = z.object({ packageId: z.string().regex(/^[A-Z0-9]{3}[0-9A-F]{5}$/, 'a PackageID is a site code and 5 hex digits, e.g. PS100012') });
const dpNameParam = z.object({ name: z.string().min(1) });

export const contentRoutes = [
  route({
    method: 'GET',
    path: '/content',
    tag: 'content',
    summary: 'Content in the library (one entry per distinct set of files, by SHA-256)',
    permission: 'read',
    query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100), offset: z.coerce.number().int().min(0).default(0) }),
    response: z.array(contentSummary.extend({ usedBy: z.array(z.string()) })),
    handler: async ({ site, query }) => {
      const { rows } = await site.db.query<{ id: string; size: number; file_count: number; created_at: Date }>(
        'SELECT id, size, file_count, created_at FROM content ORDER BY created_at DESC, id LIMIT $1 OFFSET $2',
        [query.limit, query.offset],
      );
      const users = await contentUsersOf(
        site.db,
        rows.map((r) => r.id),
      );
      return rows.map((r) => ({ id: r.id, size: r.size, fileCount: r.file_count, createdAt: r.created_at.toISOString(), usedBy: users.get(r.id) ?? [] }));
    },
  }),
  route({
    method: 'GET',
    path: '/content/:contentId',
    tag: 'content',
    summary: 'One content: its files with sizes and SHA-256 hashes',
    permission: 'read',
    params: contentIdParam,
    response: contentRecord.extend({ usedBy: z.array(z.string()) }),
    handler: async ({ site, params }) => ({ ...(await getContent(site.db, params.contentId)), usedBy: await contentUsers(site.db, params.contentId) }),
  }),
  route({
    method: 'POST',
    path: '/content',
    tag: 'content',
    summary: 'Add a file or folder the server can read (a package source path) to the library',
    description:
      "The path is read with the server's rights, so it must lie below one of the site's source roots (`osd server --source-root`, by default `<data>/sources`); never /proc, /sys, /dev or the site's own data. A client that has the files itself uploads them instead (PUT /uploads, then POST /content/from-uploads).",
    permission: 'content.write',
    body: z.object({ sourcePath: z.string().min(1).max(4096) }).strict(),
    response: contentRecord,
    status: 201,
    handler: async ({ site, body }) => {
      const m = await addContent(site, body.sourcePath, {}, 'body.sourcePath');
      return getContent(site.db, m.sha256);
    },
  }),
  route({
    method: 'POST',
    path: '/content/from-uploads',
    tag: 'content',
    summary: 'Make one content (a folder) of files uploaded one by one with PUT /uploads',
    permission: 'content.write',
    body: z
      .object({
        files: z
          .array(z.object({ path: z.string().min(1).max(1024), sha256: z.string() }).strict())
          .min(1)
          .max(100_000),
      })
      .strict(),
    response: contentRecord,
    status: 201,
    handler: async ({ site, body }) => {
      const m = await composeContent(site, body.files);
      return getContent(site.db, m.sha256);
    },
  }),
  route({
    method: 'PUT',
    path: '/uploads',
    tag: 'content',
    summary: 'Upload one file (application/octet-stream) into the library; the answer names its content id',
    description: "The file name comes from the `path` query parameter and must be a safe relative path. Refused with 413 above the server's upload limit.",
    permission: 'content.write',
    query: z.object({ path: z.string().min(1) }),
    bodyKind: 'stream',
    response: contentRecord,
    status: 201,
    handler: async ({ site, query, request, reply }) => {
      const limit = request.server.maxUploadBytes;
      const declared = Number(request.headers['content-length']);
      const input = `upload of ${JSON.stringify(query.path)}`;
      if (Number.isFinite(declared) && declared > limit) {
        // The rest of the body is not wanted: close the connection rather than read it.
        void reply.header('connection', 'close');
        throw new SiteError('too-large', {
          input,
          rule: `${declared} bytes is more than the server's upload limit of ${limit} bytes`,
          hint: "put the file below one of the server's source roots and add it with POST /api/v1/content {sourcePath}",
        });
      }
      const body = request.body as Readable | undefined;
      if (!body || typeof (body as Readable).pipe !== 'function')
        throw badInput('Content-Type', 'an upload is sent as application/octet-stream', 'set Content-Type: application/octet-stream');
      // A declared size is promised on the library's disk before a byte is read (507 if it cannot hold it).
      const release = Number.isFinite(declared)
        ? await site.content.reserve(declared, input).catch((e: unknown) => {
            void reply.header('connection', 'close');
            throw e;
          })
        : () => undefined;
      try {
        const file = await site.content.importStream(query.path, body, { maxBytes: limit });
        const manifest = makeManifest([file]);
        await recordContent(site.db, manifest);
        return await getContent(site.db, manifest.sha256);
      } finally {
        release();
      }
    },
  }),
  route({
    method: 'DELETE',
    path: '/content/:contentId',
    tag: 'content',
    summary: 'Remove a content that nothing uses (refused, naming the users, otherwise)',
    permission: 'content.write',
    params: contentIdParam,
    response: z.object({ deleted: z.string() }),
    handler: async ({ site, actor, params }) => {
      await deleteContent(site, actor, params.contentId);
      return { deleted: params.contentId };
    },
  }),
  route({
    method: 'POST',
    path: '/content/garbage-collect',
    tag: 'content',
    summary: 'Delete content rows and files that nothing references (older than an hour)',
    permission: 'site.write',
    response: z.object({ contentRemoved: z.number(), blobsRemoved: z.number(), bytesFreed: z.number() }),
    handler: async ({ site, actor }) => collectGarbage(site, actor),
  }),
  route({
    method: 'GET',
    path: '/distribution-points',
    tag: 'distribution',
    summary: 'Distribution points (never their push tokens)',
    permission: 'read',
    response: z.array(dp),
    handler: async ({ site }) => listDistributionPoints(site.db),
  }),
  route({
    method: 'POST',
    path: '/distribution-points',
    tag: 'distribution',
    summary: 'Register a distribution point (its content server must answer with the push token)',
    permission: 'site.write',
    body: z
      .object({
        name: z.string(),
        url: z.string(),
        clientUrl: z.string().optional(),
        pushToken: z.string(),
        description: z.string().optional(),
        pxeEnabled: z.boolean().optional(),
        unknownComputerSupport: z.boolean().optional(),
        verify: z.boolean().optional(),
      })
      .strict(),
    response: dp,
    status: 201,
    handler: async ({ site, actor, body }) => addDistributionPoint(site, actor, body),
  }),
  route({
    method: 'GET',
    path: '/distribution-points/:name',
    tag: 'distribution',
    summary: 'One distribution point',
    permission: 'read',
    params: dpNameParam,
    response: dp,
    handler: async ({ site, params }) => getDistributionPoint(site.db, params.name),
  }),
  route({
    method: 'PATCH',
    path: '/distribution-points/:name',
    tag: 'distribution',
    summary: 'Change a distribution point',
    permission: 'site.write',
    params: dpNameParam,
    body: z
      .object({
        url: z.string().optional(),
        /** '' clears it: computers then use `url`. */
        clientUrl: z.string().optional(),
        pushToken: z.string().min(16).optional(),
        description: z.string().optional(),
        pxeEnabled: z.boolean().optional(),
        unknownComputerSupport: z.boolean().optional(),
      })
      .strict(),
    response: dp,
    handler: async ({ site, actor, params, body }) => updateDistributionPoint(site, actor, params.name, body),
  }),
  route({
    method: 'DELETE',
    path: '/distribution-points/:name',
    tag: 'distribution',
    summary: 'Forget a distribution point',
    permission: 'site.write',
    params: dpNameParam,
    response: z.object({ deleted: z.string() }),
    handler: async ({ site, actor, params }) => {
      await removeDistributionPoint(site, actor, params.name);
      return { deleted: params.name };
    },
  }),
  route({
    method: 'GET',
    path: '/distribution-points/:name/content',
    tag: 'distribution',
    summary: 'What is on a distribution point, and in what state',
    permission: 'read',
    params: dpNameParam,
    response: z.array(status),
    handler: async ({ site, params }) => {
      await getDistributionPoint(site.db, params.name);
      return statusOf(site.db, undefined, [params.name]);
    },
  }),
  route({
    method: 'POST',
    path: '/distributions',
    tag: 'distribution',
    summary: 'Distribute packages to distribution points',
    description: 'Records the intent and starts copying in the background; with `wait: true` the answer comes after the copy.',
    permission: 'content.write',
    body: z.object({ packageIds: z.array(z.string()).min(1), distributionPoints: z.array(z.string()).min(1), wait: z.boolean().optional() }).strict(),
    response: z.array(status),
    status: 202,
    handler: async ({ site, actor, body }) => {
      const rows = await distribute(site, actor, body.packageIds, body.distributionPoints);
      const pass = distributionManager(site).kick();
      if (!body.wait) return rows;
      await pass;
      return statusOf(site.db, body.packageIds, body.distributionPoints);
    },
  }),
  route({
    method: 'GET',
    path: '/distribution-status',
    tag: 'distribution',
    summary: 'Content status per package: Success / In Progress / Error / Unknown distribution points',
    permission: 'read',
    response: z.array(
      z.object({ packageId: z.string(), name: z.string(), success: z.number(), inProgress: z.number(), error: z.number(), unknown: z.number() }),
    ),
    handler: async ({ site }) => contentStatusSummary(site.db),
  }),
  route({
    method: 'GET',
    path: '/packages/:packageId/distribution',
    tag: 'distribution',
    summary: 'Content Locations of a package: its state on each distribution point',
    permission: 'read',
    params: packageIdParam,
    response: z.array(status),
    handler: async ({ site, params }) => statusOf(site.db, [params.packageId]),
  }),
  route({
    method: 'POST',
    path: '/packages/:packageId/redistribute',
    tag: 'distribution',
    summary: 'Copy a package to a distribution point again, from scratch',
    permission: 'content.write',
    params: packageIdParam,
    body: z.object({ distributionPoint: z.string(), wait: z.boolean().optional() }).strict(),
    response: status,
    handler: async ({ site, actor, params, body }) => {
      await redistribute(site, actor, params.packageId, body.distributionPoint);
      const pass = distributionManager(site).kick();
      if (body.wait) await pass;
      return (await statusOf(site.db, [params.packageId], [body.distributionPoint]))[0]!;
    },
  }),
  route({
    method: 'POST',
    path: '/packages/:packageId/remove-content',
    tag: 'distribution',
    summary: 'Remove a package from distribution points',
    permission: 'content.write',
    params: packageIdParam,
    body: z.object({ distributionPoints: z.array(z.string()).min(1), wait: z.boolean().optional() }).strict(),
    response: z.array(status),
    handler: async ({ site, actor, params, body }) => {
      const rows = await removeFromDistributionPoints(site, actor, params.packageId, body.distributionPoints);
      const pass = distributionManager(site).kick();
      if (!body.wait) return rows;
      await pass;
      return statusOf(site.db, [params.packageId], body.distributionPoints);
    },
  }),
  route({
    method: 'POST',
    path: '/packages/:packageId/validate',
    tag: 'distribution',
    summary: "Re-hash a package's files on a distribution point",
    permission: 'content.write',
    params: packageIdParam,
    body: z.object({ distributionPoint: z.string() }).strict(),
    response: z.object({ ok: z.boolean(), bad: z.array(z.object({ path: z.string(), problem: z.string() })) }),
    handler: async ({ site, actor, params, body }) => validateOnDistributionPoint(site, actor, params.packageId, body.distributionPoint),
  }),
];
