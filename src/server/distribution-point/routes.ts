/**
 * The distribution point as a fastify plugin, so the site server can co-host one; `server.ts` runs
 * it as its own process. The plugin is encapsulated: its octet-stream parser, auth hook and error
 * format do not leak into the host's other routes.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ContentStore } from '../../site/content/store.js';
import { contentRoutes } from './content-routes.js';
import { dpErrorHandler } from './http-errors.js';
import { PackageCatalog } from './package-catalog.js';
import { pushRoutes } from './push-routes.js';

export const DEFAULT_MAX_BLOB_BYTES = 64 * 1024 ** 3;

export interface DistributionPointOptions {
  store: ContentStore;
  pushToken: string;
  maxBlobBytes?: number;
  /**
   * When the DP shares its store with something else (a co-hosted site library), return true for
   * blobs that must survive the deletion of a DP package. By default the DP owns every blob it holds.
   */
  retainBlob?: (sha256: string) => boolean | Promise<boolean>;
}

export function distributionPointRoutes(opts: DistributionPointOptions): FastifyPluginAsync {
  return async (app) => {
    const catalog = await PackageCatalog.open(opts.store);
    app.setErrorHandler(dpErrorHandler);
    await app.register(pushRoutes, {
      store: opts.store,
      catalog,
      pushToken: opts.pushToken,
      maxBlobBytes: opts.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES,
      retainBlob: opts.retainBlob,
    });
    await app.register(contentRoutes, { store: opts.store, catalog });
  };
}
