/**
 * A small management point and distribution point in one HTTP server, for the agent's tests while
 * the site's own (src/server/mp/) is built: the routes of docs/management-point.md the agent calls,
 * status messages stored once per id, logs kept, and a DP that serves files with Range — and can
 * drop a connection half way, serve other bytes than the hash says, or be down.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ContentPackage, DeploymentContent, Policy, StatusMessage } from '../../src/agent/protocol.js';

export interface FakeFile {
  path: string;
  bytes: Buffer;
}

export interface FakePackage {
  packageId: string;
  name: string;
  sourceVersion: number;
  files: FakeFile[];
  preCached?: boolean;
  referencedAs?: string;
  architecture?: string;
  images?: ContentPackage['images'];
  streamAnchor?: ContentPackage['streamAnchor'];
}

export class FakeMp {
  server!: Server;
  url = '';
  policy: Policy = { device: { resourceId: 16777220, name: 'PC-01', unknown: false }, deployments: [], variables: [], bootImage: null };
  sequences = new Map<string, unknown>();
  packages = new Map<string, FakePackage[]>();
  bootImage: DeploymentContent['bootImage'] = null;
  /** Every stored status message, once per id. */
  messages: StatusMessage[] = [];
  duplicates = 0;
  logs = new Map<string, string>();
  registrations = 0;
  /** Requests seen, `METHOD path`. */
  requests: string[] = [];
  /** Content requests' query (architecture, language, model, firmware). */
  contentQueries: Array<Record<string, string>> = [];
  /** Bytes the DP sent in file bodies. */
  dpBytes = 0;
  /** The MP answers nothing (the connection is destroyed): the site is unreachable. */
  down = false;
  /** Store the next N status batches, then destroy the connection before answering (a lost answer). */
  loseAnswers = 0;
  /** Drop the connection after this many body bytes of the next file download(s). */
  dropAfter: number[] = [];
  /** Paths served with other bytes than their hash says. */
  corrupt = new Set<string>();
  statusBatchSizes: number[] = [];
  /** GET /mp/v1/driver-catalog's catalog (the lab's format, folders inside `driverPackage`); empty by default. */
  driverCatalog: { schema: string; drivers: unknown[] } = { schema: 'openosd.driver-catalog/v1', drivers: [] };
  driverPackage?: FakePackage;
  /** Called with `METHOD path` before each request is answered. */
  onRequest?: (request: string) => void;
  private credential = `osd-dev-${randomBytes(8).toString('hex')}`;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        res.statusCode = 500;
        res.end(JSON.stringify({ error: 'fault', rule: String(e) }));
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  revoke(): void {
    this.credential = `osd-dev-${randomBytes(8).toString('hex')}`;
  }

  content(deploymentId: string, query: Record<string, string> = {}): DeploymentContent {
    return {
      deploymentId,
      bootImage: this.bootImage,
      preCacheApplies: true,
      packages: (this.packages.get(deploymentId) ?? []).map((p) => this.describe(p, query)),
    };
  }

  private describe(p: FakePackage, query: Record<string, string>): ContentPackage {
    const files = p.files.map((f) => ({ path: f.path, size: f.bytes.length, sha256: createHash('sha256').update(f.bytes).digest('hex') }));
    const matches = p.architecture === undefined || query.architecture === undefined || p.architecture === query.architecture;
    return {
      packageId: p.packageId,
      name: p.name,
      sourceVersion: p.sourceVersion,
      sizeBytes: files.reduce((n, f) => n + f.size, 0),
      referencedAs: p.referencedAs ?? 'step',
      preCache: { matches, rule: p.architecture ? `Architecture ${p.architecture}` : 'no pre-cache attribute: downloaded in full' },
      preCached: (p.preCached ?? true) && matches,
      ...(p.architecture ? { architecture: p.architecture } : {}),
      ...(p.images ? { images: p.images } : {}),
      ...(p.streamAnchor ? { streamAnchor: p.streamAnchor } : {}),
      files,
      locations: [{ dp: 'DP01', url: `${this.url}/content/${p.packageId}/` }],
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    this.requests.push(`${req.method} ${path}`);
    this.onRequest?.(`${req.method} ${path}`);
    if (path.startsWith('/content/')) return this.serveFile(req, res, path);
    if (this.down) {
      req.socket.destroy();
      return;
    }
    const body = await readBody(req);
    const json = (status: number, value: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (req.method === 'POST' && path === '/mp/v1/register') {
      this.registrations++;
      return json(201, { resourceId: 16777220, name: 'PC-01', known: true, unknownComputer: null, approval: 'approved', credential: this.credential });
    }
    if (req.headers.authorization !== `Bearer ${this.credential}`)
      return json(401, { error: 'unauthenticated', rule: 'credential-revoked: no valid device credential' });
    if (req.method === 'GET' && path === '/mp/v1/policy') return json(200, this.policy);
    if (req.method === 'GET' && path === '/mp/v1/driver-catalog') {
      const pkg = this.driverPackage;
      const packages = pkg ? this.describe(pkg, {}) : undefined;
      return json(200, {
        architecture: url.searchParams.get('architecture'),
        catalog: this.driverCatalog,
        packages: packages ? [packages] : [],
        unavailable: 0,
      });
    }
    let m = /^\/mp\/v1\/deployments\/([^/]+)\/(sequence|content)$/.exec(path);
    if (req.method === 'GET' && m) {
      const id = decodeURIComponent(m[1]!);
      if (!this.policy.deployments.some((d) => d.deploymentId === id)) return json(404, { error: 'not-found', rule: `no deployment ${id}` });
      if (m[2] === 'sequence')
        return json(200, { deploymentId: id, taskSequenceId: 'PS100004', revision: 3, name: 'Test sequence', sequence: this.sequences.get(id) });
      const q = Object.fromEntries(url.searchParams);
      this.contentQueries.push(q);
      return json(200, this.content(id, q));
    }
    if (req.method === 'POST' && path === '/mp/v1/status') {
      const { messages } = JSON.parse(body.toString('utf8')) as { messages: StatusMessage[] };
      if (messages.length > 500) return json(413, { error: 'too-large', rule: 'more than 500 messages' });
      this.statusBatchSizes.push(messages.length);
      let stored = 0;
      let duplicates = 0;
      for (const msg of messages) {
        if (this.messages.some((x) => x.id === msg.id)) duplicates++;
        else {
          this.messages.push(msg);
          stored++;
        }
      }
      this.duplicates += duplicates;
      if (this.loseAnswers > 0) {
        this.loseAnswers--;
        req.socket.destroy();
        return;
      }
      return json(200, { stored, duplicates });
    }
    m = /^\/mp\/v1\/runs\/([^/]+)\/logs\/([^/]+)$/.exec(path);
    if (req.method === 'PUT' && m) {
      this.logs.set(`${m[1]}/${m[2]}`, body.toString('utf8'));
      res.statusCode = 201;
      res.end();
      return;
    }
    json(404, { error: 'not-found', rule: `no route ${req.method} ${path}` });
  }

  private serveFile(req: IncomingMessage, res: ServerResponse, path: string): void {
    const [, , packageId, ...rest] = path.split('/');
    const rel = rest.map(decodeURIComponent).join('/');
    const all = [...this.packages.values()].flat().concat(this.driverPackage ? [this.driverPackage] : []);
    const file = all.find((p) => p.packageId === packageId)?.files.find((f) => f.path === rel);
    if (!file) {
      res.statusCode = 404;
      res.end();
      return;
    }
    let bytes = file.bytes;
    if (this.corrupt.has(rel)) bytes = Buffer.from(bytes.map((b) => b ^ 0xff));
    const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
    const from = range ? Number(range[1]) : 0;
    const body = bytes.subarray(from);
    res.writeHead(range ? 206 : 200, {
      'content-length': body.length,
      ...(range ? { 'content-range': `bytes ${from}-${bytes.length - 1}/${bytes.length}` } : {}),
    });
    const drop = this.dropAfter.shift();
    if (drop !== undefined && drop < body.length) {
      res.write(body.subarray(0, drop), () => {
        this.dpBytes += drop;
        setTimeout(() => res.socket?.destroy(), 20);
      });
      return;
    }
    this.dpBytes += body.length;
    res.end(body);
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
