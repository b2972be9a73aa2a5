/** Shared helpers for the content and distribution point tests: temp dirs, files, sha256sum, a DP on 127.0.0.1:0. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { distributionPointRoutes } from '../../../src/server/distribution-point/routes.js';
import { ContentError } from '../../../src/site/content/errors.js';
import { ContentStore } from '../../../src/site/content/store.js';

export const TOKEN = 'test-push-token-0123456789abcdef';

export function tempDir(name: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `osd-${name}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, data] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
  }
}

/** The hash as coreutils computes it, to check ours against an independent implementation. */
export function sha256sum(file: string): string {
  return execFileSync('sha256sum', ['-b', file], { encoding: 'utf8' }).split(' ')[0];
}

/** Deterministic pseudo-random bytes (fast, reproducible). */
export function bytes(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

export interface TestDp {
  url: string;
  store: ContentStore;
  app: FastifyInstance;
  /** Range headers of the content GETs received, in order. */
  ranges: (string | undefined)[];
  close(): Promise<void>;
}

/** A DP plugin in a fastify app on 127.0.0.1:0, recording Range headers (to see a resume ask for the rest only). */
export async function startTestDp(root: string, opts: { maxBlobBytes?: number } = {}): Promise<TestDp> {
  const store = await ContentStore.open(root);
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const ranges: (string | undefined)[] = [];
  app.addHook('onRequest', async (req) => {
    if (req.method === 'GET' && req.url.startsWith('/content/')) ranges.push(req.headers.range);
  });
  await app.register(distributionPointRoutes({ store, pushToken: TOKEN, maxBlobBytes: opts.maxBlobBytes }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}`, store, app, ranges, close: () => app.close() };
}

/** Awaits a promise that must reject with a ContentError and returns it. */
export async function contentError(p: Promise<unknown>): Promise<ContentError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ContentError) return e;
    throw e;
  }
  throw new Error('expected a ContentError');
}

export function syncContentError(fn: () => unknown): ContentError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ContentError) return e;
    throw e;
  }
  throw new Error('expected a ContentError');
}
