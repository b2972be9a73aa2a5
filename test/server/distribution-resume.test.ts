/**
 * Issue 10 item 5: a distribution interrupted by a dead server resumes promptly by itself, with no
 * request and no admin action. `osd server` runs as a real process and copies to a distribution
 * point through a throttling proxy (so the copy is surely in progress); it is killed with SIGKILL
 * mid-copy. On PGlite and PostgreSQL the restarted server finishes the copy; on PostgreSQL, with
 * two servers sharing the database, the one still running takes over from a killed owner (pid
 * gone) and from a hung one (SIGSTOP: alive, but its heartbeat stops) after the lease — without a
 * restart. The DP never holds a broken package: blobs go first, the manifest last.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';
import { startDistributionPoint, type RunningDistributionPoint } from '../../src/server/distribution-point/server.js';
import { DistributionPointClient } from '../../src/site/content/dp-client.js';
import { DB_KINDS, type DbKind } from '../site/helpers/site.js';
import { callServer, newPostgresDatabase, startServer as startOsdServer, stopServer, type StartedServer } from '../helpers/osd-server.js';

const PUSH_TOKEN = 'resume-test-push-token-0123456789';
const MiB = 1024 * 1024;
/** The proxy's rate: 6 MiB of content take about 6 s to copy. */
const RATE = 1 * MiB;
/** What "promptly" means here (the old rule waited 10 minutes). */
const RESUME_BOUND_MS = 30_000;

type Started = StartedServer;
const startServer = (dataDir: string, args: string[], env: Record<string, string> = {}): Promise<Started> => startOsdServer(dataDir, args, { env });
const api = callServer;
const kill = stopServer;

/** A TCP proxy in front of the DP that forwards what the site sends at `rate` bytes/s. */
async function throttlingProxy(target: string, rate: number): Promise<{ url: string; forwarded: () => number; close: () => Promise<void> }> {
  const { hostname, port } = new URL(target);
  let forwarded = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: hostname, port: Number(port) });
    sockets.add(client).add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      client.pause();
      upstream.write(chunk);
      forwarded += chunk.length;
      setTimeout(() => client.resume(), (chunk.length / rate) * 1000);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    forwarded: () => forwarded,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

interface Fixture {
  dataDir: string;
  srcRoot: string;
  dp: RunningDistributionPoint;
  proxy: Awaited<ReturnType<typeof throttlingProxy>>;
}

const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
});

async function fixture(kind: string): Promise<Fixture> {
  const dataDir = tempDir(`openosd-resume-${kind}-`);
  const srcRoot = tempDir('openosd-resume-src-');
  mkdirSync(join(srcRoot, 'client'));
  for (let i = 0; i < 6; i++) writeFileSync(join(srcRoot, 'client', `part${i}.bin`), randomBytes(MiB));
  const dp = await startDistributionPoint({ root: join(tempDir('openosd-resume-dp-'), 'dp'), pushToken: PUSH_TOKEN });
  const proxy = await throttlingProxy(dp.url, RATE);
  cleanup.push(
    () => dp.close(),
    () => proxy.close(),
  );
  return { dataDir, srcRoot, dp, proxy };
}

/** Gives the client package its 6 MiB and registers the DP (through the proxy); returns the PackageID. */
async function prepare(s: Started, f: Fixture): Promise<string> {
  const pkgs = (await api<Array<{ packageId: string; name: string }>>(s, 'GET', '/packages')).json;
  const id = pkgs.find((p) => p.name === 'Configuration Manager Client Package')!.packageId;
  const put = await api(s, 'PUT', `/packages/${id}/content`, { sourcePath: join(f.srcRoot, 'client') });
  expect(put.status, JSON.stringify(put.json)).toBe(200);
  const dp = await api(s, 'POST', '/distribution-points', { name: 'DP01', url: f.proxy.url, pushToken: PUSH_TOKEN });
  expect(dp.status, JSON.stringify(dp.json)).toBe(201);
  return id;
}

async function stateOf(s: Started, packageId: string): Promise<{ state: string; message: string }> {
  const r = await api<Array<{ state: string; message: string }>>(s, 'GET', `/packages/${packageId}/distribution`);
  return r.json[0]!;
}

/** Distributes and waits until the copy is well under way (a MiB through the proxy, not all of it). */
async function distributeAndWaitForCopy(s: Started, f: Fixture, packageId: string): Promise<void> {
  const before = f.proxy.forwarded();
  const d = await api(s, 'POST', '/distributions', { packageIds: [packageId], distributionPoints: ['DP01'] });
  expect(d.status).toBe(202);
  await until('the copy to start', async () => (f.proxy.forwarded() - before > MiB ? true : undefined), 20_000, 20);
  expect(await stateOf(s, packageId)).toMatchObject({ state: 'in-progress' });
}

/** Nothing half-copied is published: the DP holds no package, or only a complete one. */
async function expectNoBrokenPackage(f: Fixture, packageId: string): Promise<void> {
  const client = new DistributionPointClient(f.dp.url, PUSH_TOKEN);
  const pkgs = await client.listPackages();
  if (pkgs.some((p) => p.packageId === packageId)) expect((await client.validate(packageId)).ok).toBe(true);
  else expect(pkgs).toEqual([]);
}

async function expectCopiedWithin(s: Started, f: Fixture, packageId: string, since: number): Promise<number> {
  await until('the distribution to succeed', async () => ((await stateOf(s, packageId)).state === 'success' ? true : undefined), RESUME_BOUND_MS, 200);
  const elapsed = Date.now() - since;
  expect(elapsed).toBeLessThan(RESUME_BOUND_MS);
  expect((await new DistributionPointClient(f.dp.url, PUSH_TOKEN).validate(packageId)).ok).toBe(true);
  return elapsed;
}

describe.each(DB_KINDS)('a distribution interrupted by SIGKILL on %s', (kind: DbKind) => {
  it('resumes by itself when the server starts again, without any request', async () => {
    const f = await fixture(kind);
    const args = ['--source-root', f.srcRoot, ...(kind === 'postgres' ? ['--database', await newPostgresDatabase()] : [])];
    let s = await startServer(f.dataDir, args);
    cleanup.push(() => kill(s.proc));
    const packageId = await prepare(s, f);
    await distributeAndWaitForCopy(s, f, packageId);
    await kill(s.proc);
    await expectNoBrokenPackage(f, packageId);

    const restart = Date.now();
    s = await startServer(f.dataDir, args);
    cleanup.push(() => kill(s.proc));
    // Only GETs from here on: nothing kicks a pass but the server itself.
    await expectCopiedWithin(s, f, packageId, restart);
    await kill(s.proc, 'SIGTERM');
  });
});

describe('a distribution whose owner stops, with two servers on one PostgreSQL database', () => {
  const env = { OSD_DISTRIBUTION_PASS_SECONDS: '0.5', OSD_DISTRIBUTION_LEASE_SECONDS: '3' };

  async function twoServers(): Promise<{ f: Fixture; servers: Started[]; packageId: string; db: pg.Client }> {
    const f = await fixture('two');
    const database = await newPostgresDatabase();
    // One data folder: the same key file and content library, as shared storage would give them.
    const args = ['--source-root', f.srcRoot, '--database', database];
    const a = await startServer(f.dataDir, args, env);
    cleanup.push(() => kill(a.proc));
    const b = await startServer(f.dataDir, args, env);
    cleanup.push(() => kill(b.proc));
    const db = new pg.Client({ connectionString: database });
    await db.connect();
    cleanup.push(() => db.end());
    const packageId = await prepare(a, f);
    return { f, servers: [a, b], packageId, db };
  }

  async function owner(
    db: pg.Client,
    packageId: string,
    servers: Started[],
  ): Promise<{ owner: Started; other: Started; claim: { claimed_by: string; heartbeat_at: Date } }> {
    const { rows } = await db.query<{ claimed_by: string; heartbeat_at: Date }>(
      `SELECT claimed_by, heartbeat_at FROM distribution_status WHERE package_id = $1 AND state = 'in-progress'`,
      [packageId],
    );
    expect(rows).toHaveLength(1);
    const pid = Number(/\.(\d+)\.[0-9a-f]{8}$/.exec(rows[0]!.claimed_by)![1]);
    const o = servers.find((s) => s.proc.pid === pid)!;
    expect(o).toBeDefined();
    return { owner: o, other: servers.find((s) => s !== o)!, claim: rows[0]! };
  }

  it('the other server takes over from a killed owner without a restart, and the owner renews its claim while it copies', async () => {
    const { f, servers, packageId, db } = await twoServers();
    await distributeAndWaitForCopy(servers[0]!, f, packageId);
    const { owner: killed, other, claim } = await owner(db, packageId, servers);
    // The owner renews its heartbeat (every lease / 3 = 1 s) while the copy runs.
    await until(
      'a heartbeat',
      async () => {
        const { rows } = await db.query<{ heartbeat_at: Date }>('SELECT heartbeat_at FROM distribution_status WHERE package_id = $1', [packageId]);
        return rows[0]!.heartbeat_at > claim.heartbeat_at ? true : undefined;
      },
      5_000,
    );
    await kill(killed.proc);
    const since = Date.now();
    await expectNoBrokenPackage(f, packageId);
    const elapsed = await expectCopiedWithin(other, f, packageId, since);
    // A dead pid on this host is noticed on the next pass, not after the lease.
    expect(elapsed).toBeLessThan(15_000);
    const { rows } = await db.query(`SELECT claimed_by, heartbeat_at FROM distribution_status WHERE package_id = $1`, [packageId]);
    expect(rows[0]).toEqual({ claimed_by: null, heartbeat_at: null });
    await kill(other.proc, 'SIGTERM');
  });

  it('the other server takes over from a hung owner (alive, heartbeat stopped) after the lease; the owner, woken, does not undo it', async () => {
    const { f, servers, packageId, db } = await twoServers();
    await distributeAndWaitForCopy(servers[0]!, f, packageId);
    const { owner: hung, other } = await owner(db, packageId, servers);
    hung.proc.kill('SIGSTOP');
    const since = Date.now();
    // Still in progress within the lease (3 s): the owner's pid is alive, its claim is fresh.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await db.query(`SELECT state FROM distribution_status WHERE package_id = $1`, [packageId])).rows[0]).toEqual({ state: 'in-progress' });
    const elapsed = await expectCopiedWithin(other, f, packageId, since);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    // The hung owner wakes up, finishes its own copy (harmless: same blobs, same manifest) and
    // writes nothing over the state: it no longer holds the claim.
    hung.proc.kill('SIGCONT');
    await new Promise((r) => setTimeout(r, 3000));
    expect(await stateOf(other, packageId)).toMatchObject({ state: 'success' });
    expect((await new DistributionPointClient(f.dp.url, PUSH_TOKEN).validate(packageId)).ok).toBe(true);
    await kill(hung.proc, 'SIGTERM');
    await kill(other.proc, 'SIGTERM');
  });
});
