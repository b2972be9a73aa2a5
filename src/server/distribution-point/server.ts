/** A distribution point as a standalone HTTP server: its own content store at `root` (blobs + packages). */
import Fastify from 'fastify';
import { ContentStore } from '../../site/content/store.js';
import { distributionPointRoutes } from './routes.js';
import { siteFormatFrameworkOptions } from '../framework-errors.js';

export interface StartDistributionPointOptions {
  root: string;
  pushToken: string;
  /** Default 127.0.0.1: listening on other interfaces is a decision, not a default. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  maxBlobBytes?: number;
  logger?: boolean;
}

export interface RunningDistributionPoint {
  url: string;
  close(): Promise<void>;
}

export async function startDistributionPoint(opts: StartDistributionPointOptions): Promise<RunningDistributionPoint> {
  const store = await ContentStore.open(opts.root);
  const app = Fastify({ logger: opts.logger ?? false, forceCloseConnections: true, ...siteFormatFrameworkOptions() });
  await app.register(distributionPointRoutes({ store, pushToken: opts.pushToken, maxBlobBytes: opts.maxBlobBytes }));
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: 'not-found', message: `${request.method} ${request.url.split('?')[0]}: no such endpoint on this distribution point` });
  });
  const host = opts.host ?? '127.0.0.1';
  await app.listen({ host, port: opts.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () => app.close(),
  };
}
