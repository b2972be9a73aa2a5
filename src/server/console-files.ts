/**
 * The web console's files (docs/console.md): the Vite build in dist/console, served by `osd server`
 * at `/` without a token (the console signs in to the admin API itself). Only the files found in the
 * folder when the server starts are served — a request names one of them or gets the console's
 * index.html (the console's own routes, e.g. /software-library/task-sequences), so no path can
 * reach outside the folder. Hashed assets (assets/name-HASH.js) are cached for a year; index.html
 * is revalidated on every load. Text files are sent compressed (brotli or gzip) when the browser
 * accepts it, compressed once on first use.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.svg', '.txt']);
/** The console's files are small (a few hundred KiB); anything larger is not the console's. */
const MAX_FILE_BYTES = 32 * 1024 * 1024;
const MAX_FILES = 5000;

interface ConsoleFile {
  bytes: Buffer;
  type: string;
  etag: string;
  immutable: boolean;
  compressible: boolean;
  br?: Buffer;
  gzip?: Buffer;
}

/** URL paths that are not the console's: the admin API, the management point, network boot. */
export function isConsolePath(url: string): boolean {
  const path = url.split('?')[0]!;
  return !/^\/(api|mp|boot)(\/|$)/.test(path);
}

export interface ConsoleFiles {
  /** The folder served, and whether it held a built console (index.html) when the server started. */
  dir: string;
  built: boolean;
  /** Answers a GET or HEAD for a console path: the file, or index.html for the console's own routes. */
  serve(request: FastifyRequest, reply: FastifyReply): FastifyReply;
}

function extensionOf(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot > path.lastIndexOf('/') ? path.slice(dot).toLowerCase() : '';
}

function walk(dir: string, root: string, out: Map<string, ConsoleFile>): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (out.size >= MAX_FILES) return;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, root, out);
    else if (e.isFile()) {
      const ext = extensionOf(e.name);
      if (!(ext in TYPES) || statSync(p).size > MAX_FILE_BYTES) continue;
      const rel = relative(root, p).split(sep).join('/');
      const bytes = readFileSync(p);
      out.set(`/${rel}`, {
        bytes,
        type: TYPES[ext]!,
        etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`,
        // Vite names what it builds assets/<name>-<hash>.<ext>: a new build is a new name.
        immutable: rel.startsWith('assets/') && /-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/.test(rel),
        compressible: COMPRESSIBLE.has(ext),
      });
    }
  }
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>OpenOSD console not built</title></head>
<body><h1>The console was not built</h1>
<p>This site server has no web console to show: its files (dist/console) are missing.
Build OpenOSD (make build) on the server and start it again. The admin API is unaffected.</p>
</body></html>
`;

/** Reads the console's folder once; a missing folder (or one without index.html) serves a page saying the console was not built. */
export function consoleFiles(dir: string): ConsoleFiles {
  const files = new Map<string, ConsoleFile>();
  if (existsSync(join(dir, 'index.html'))) walk(dir, dir, files);
  const index = files.get('/index.html');
  return {
    dir,
    built: index !== undefined,
    serve(request, reply) {
      void reply.header('x-content-type-options', 'nosniff');
      if (!index) {
        return reply.status(404).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
      }
      let path: string;
      try {
        path = decodeURIComponent(request.url.split('?')[0]!);
      } catch {
        path = '';
      }
      const file = files.get(path);
      // A name with an extension that is not one of the console's files is a missing file, not a
      // console route: 404 (a missing script must not come back as HTML).
      if (!file && extensionOf(path) !== '' && !path.endsWith('.html')) {
        return reply
          .status(404)
          .header('content-type', 'text/plain; charset=utf-8')
          .header('cache-control', 'no-store')
          .send(`${path}: no such file in the console\n`);
      }
      const f = file ?? index;
      void reply
        .header('content-type', f.type)
        .header('etag', f.etag)
        .header('vary', 'accept-encoding')
        .header('cache-control', f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      if (f === index) {
        // The console talks only to this server; it is never framed.
        void reply
          .header('x-frame-options', 'DENY')
          .header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
      }
      if (request.headers['if-none-match'] === f.etag) return reply.status(304).send();
      const accept = String(request.headers['accept-encoding'] ?? '');
      let body = f.bytes;
      if (f.compressible && f.bytes.length > 1024) {
        if (/\bbr\b/.test(accept)) {
          f.br ??= brotliCompressSync(f.bytes, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 9 } });
          body = f.br;
          void reply.header('content-encoding', 'br');
        } else if (/\bgzip\b/.test(accept)) {
          f.gzip ??= gzipSync(f.bytes, { level: 9 });
          body = f.gzip;
          void reply.header('content-encoding', 'gzip');
        }
      }
      return reply.status(200).send(body);
    },
  };
}
