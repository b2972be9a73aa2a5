/**
 * The state migration point's admin side (docs/state-migration-point.md; user-state.md §1.2, §2.4,
 * §2.5): its settings (storage folders, deletion policy, restore-only), the user state stores with
 * their state, sizes and times, User State Recovery Information (the data key and where the store
 * lives; audited) and deleting a store. Computer associations are in collection-routes.ts.
 */
import { z } from 'zod';
import { getSmpSettings, setSmpSettings, smpSettingsChangeSchema, smpSettingsSchema } from '../../../site/userstate/settings.js';
import { deleteStore, getStore, listStores, recoverStore, STORE_STATES, sweepStores } from '../../../site/userstate/stores.js';
import { MAX_LISTED_STORES } from '../../../site/userstate/limits.js';
import { route } from '../route.js';

const storeIdParam = z.object({ storeId: z.string().max(64) }).strict();
const store = z.object({
  storeId: z.string(),
  state: z.enum(STORE_STATES),
  sourceResourceId: z.number().nullable(),
  sourceName: z.string(),
  associationId: z.number().nullable(),
  restoreResourceId: z.number().nullable(),
  folder: z.string(),
  path: z.string(),
  keyId: z.string(),
  deploymentId: z.string().nullable(),
  bytes: z.number(),
  files: z.number(),
  requestedAt: z.string(),
  lastActivityAt: z.string(),
  capturedAt: z.string().nullable(),
  restoreRequestedAt: z.string().nullable(),
  releasedAt: z.string().nullable(),
  restoredAt: z.string().nullable(),
  abandonedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  deletedAt: z.string().nullable(),
});

export const userstateRoutes = [
  route({
    method: 'GET',
    path: '/state-migration-point',
    tag: 'user state',
    summary: 'The state migration point: storage folders (in the order captures try them), deletion policy, restore-only mode',
    permission: 'read',
    response: smpSettingsSchema,
    handler: async ({ site }) => getSmpSettings(site.db),
  }),
  route({
    method: 'PUT',
    path: '/state-migration-point',
    tag: 'user state',
    summary: 'Change the state migration point (what is given replaces the current value; folders are created owner-only when absent)',
    permission: 'site.write',
    body: smpSettingsChangeSchema,
    response: smpSettingsSchema,
    handler: async ({ site, actor, body }) => setSmpSettings(site.db, actor, site.dataDir, body),
  }),
  route({
    method: 'GET',
    path: '/userstate/stores',
    tag: 'user state',
    summary: 'User state stores, newest first: state, source computer, association, folder, size, times (never the key)',
    permission: 'read',
    query: z
      .object({
        state: z.enum(STORE_STATES).optional(),
        resourceId: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
        limit: z.coerce.number().int().min(1).max(MAX_LISTED_STORES).optional(),
      })
      .strict(),
    response: z.array(store),
    handler: async ({ site, query }) => listStores(site.db, query),
  }),
  route({
    method: 'GET',
    path: '/userstate/stores/:storeId',
    tag: 'user state',
    summary: 'One user state store with its files',
    permission: 'read',
    params: storeIdParam,
    response: store.extend({
      fileList: z.array(z.object({ name: z.string(), size: z.number(), sha256: z.string(), received: z.number(), complete: z.boolean() })),
    }),
    handler: async ({ site, params }) => getStore(site.db, params.storeId),
  }),
  route({
    method: 'GET',
    path: '/userstate/stores/:storeId/recovery',
    tag: 'user state',
    summary: "User State Recovery Information: the store's data key (base64) and where it lives, for osd userstate extract (audited)",
    permission: 'device.write',
    params: storeIdParam,
    response: z.object({
      storeId: z.string(),
      key: z.string(),
      keyId: z.string(),
      state: z.enum(STORE_STATES),
      sourceName: z.string(),
      folder: z.string(),
      path: z.string(),
    }),
    handler: async ({ site, actor, params }) => recoverStore(site, actor, params.storeId),
  }),
  route({
    method: 'DELETE',
    path: '/userstate/stores/:storeId',
    tag: 'user state',
    summary: 'Delete a user state store now (its files and key); one a computer is using only with force=true',
    permission: 'device.write',
    params: storeIdParam,
    query: z.object({ force: z.enum(['true', 'false']).optional() }).strict(),
    response: store,
    handler: async ({ site, actor, params, query }) => deleteStore(site, actor, params.storeId, { force: query.force === 'true' }),
  }),
  route({
    method: 'POST',
    path: '/userstate/sweep',
    tag: 'user state',
    summary: 'Apply the deletion policy now (the server does it every 5 minutes): stale captures abandoned, expired stores deleted',
    permission: 'site.write',
    response: z.object({ abandoned: z.array(z.string()), deleted: z.array(z.string()), failed: z.array(z.object({ storeId: z.string(), error: z.string() })) }),
    handler: async ({ site }) => sweepStores(site),
  }),
];
