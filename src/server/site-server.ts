/**
 * `osd server`: the site server process. Opens the site (database, key, content library), makes
 * the first administrator token on a new site, serves the admin API, resumes distribution work a
 * previous process left, and optionally runs a distribution point on this machine ("local DP").
 */
import { SWEEP_INTERVAL_MS } from '../site/userstate/limits.js';
import { sweepStores } from '../site/userstate/stores.js';
import { evaluateAllCollections } from '../site/collections/evaluate.js';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { openSite, type Site } from '../site/site.js';
import { ensureInitialAdminToken } from '../site/security/bootstrap.js';
import { SYSTEM_ACTOR } from '../site/security/roles.js';
import { distributionManager } from '../site/distribution/manager-registry.js';
import type { DistributionTiming } from '../site/distribution/distribution.js';
import { addDistributionPoint, updateDistributionPoint } from '../site/distribution/distribution-points.js';
import { startDistributionPoint, type RunningDistributionPoint } from './distribution-point/server.js';
import { createAdminApi } from './api/app.js';
import { consoleFiles } from './console-files.js';
import { SecretBox } from '../site/security/secret-box.js';
import { writeTftpRoot } from './boot/boot-files.js';
import { startPxeResponder, type DhcpPool, type RunningPxeResponder } from './pxe/responder.js';

export interface SiteServerOptions {
  dataDir: string;
  databaseUrl?: string;
  keyFile?: string;
  siteCode?: string;
  host?: string;
  port?: number;
  /** Run a distribution point on this machine on this port (0 = any), registered as `localDpName`. */
  localDpPort?: number;
  localDpName?: string;
  /** The local DP's URL as computers reach it (issue 14, C4: e.g. http://10.0.2.2:PORT for QEMU guests); default its own URL. */
  localDpClientUrl?: string;
  /**
   * Also answer PXE on this machine (docs/network-boot.md): proxyDHCP (or full DHCP with a pool) and
   * TFTP for the network, its boot programs in `<data>/boot/tftp` chaining to this server at
   * `http://<address>:<port>`. Needs the privileged ports 67, 69 and 4011 (root or CAP_NET_BIND_SERVICE).
   */
  pxe?: { address: string; mode: 'proxy' | 'dhcp'; pool?: DhcpPool; log?: (line: string) => void };
  maxUploadBytes?: number;
  /** Folders content may be added from by path (default: `<data>/sources`). */
  sourceRoots?: string[];
  /** Largest content import by path (default 64 GiB). */
  maxImportBytes?: number;
  logger?: boolean;
  version?: string;
  /** The web console's built files (default: dist/console beside this module's dist/server; docs/console.md). */
  consoleDir?: string;
  /** Distribution lease, heartbeat and periodic pass (defaults: 30 s lease, heartbeat a third of it, a pass every 15 s). */
  distribution?: DistributionTiming;
  /**
   * How often collection membership is evaluated incrementally (default COLLECTION_EVALUATION_INTERVAL_MS;
   * 0 = never): what was recorded as changed and not yet evaluated by the request that changed it.
   */
  collectionEvaluationIntervalMs?: number;
}

/**
 * ConfigMgr's Collection Membership Evaluation component evaluates new and changed resources every
 * 5 minutes by default (its "Incremental Interval"); here evaluateAllCollections does that from the
 * change log of migration 016. Most changes made through the site are evaluated by their request
 * already; this pass takes what is left (devices the management point registered, changes from
 * another path) and keeps the change log short. Several servers on one database each run it; the
 * evaluation lock serialises them and the second finds nothing left.
 */
export const COLLECTION_EVALUATION_INTERVAL_MS = 5 * 60 * 1000;

export interface RunningSiteServer {
  site: Site;
  /** What start-up fixed or found, to show the administrator. */
  warnings: string[];
  app: FastifyInstance;
  url: string;
  /** The file holding the first administrator's token, when this start created it. */
  adminTokenFile?: string;
  localDp?: RunningDistributionPoint & { name: string };
  /** The PXE responder, when `pxe` was given. */
  pxe?: RunningPxeResponder & { tftpRoot: string };
  /** The web console's folder and whether it held a built console at start (docs/console.md). */
  console: { dir: string; built: boolean };
  close(): Promise<void>;
}

export async function startSiteServer(options: SiteServerOptions): Promise<RunningSiteServer> {
  const evaluationMs = options.collectionEvaluationIntervalMs ?? COLLECTION_EVALUATION_INTERVAL_MS;
  if (!Number.isSafeInteger(evaluationMs) || evaluationMs < 0)
    throw new RangeError(`collectionEvaluationIntervalMs: ${evaluationMs} is not a whole number of milliseconds ≥ 0 (0 turns the evaluation off)`);
  // Everything this process writes (database files, content, tokens) is owner-only, whatever the
  // umask it was started with (issue 10 §7); the data folder's existing files are checked in openSite.
  process.umask(0o077);
  const site = await openSite({
    dataDir: options.dataDir,
    databaseUrl: options.databaseUrl,
    keyFile: options.keyFile,
    siteCode: options.siteCode,
    sourceRoots: options.sourceRoots,
    maxImportBytes: options.maxImportBytes,
  });
  let app: FastifyInstance | undefined;
  let localDp: (RunningDistributionPoint & { name: string }) | undefined;
  let pxe: (RunningPxeResponder & { tftpRoot: string }) | undefined;
  // Created before the API can answer, so every request uses the same manager and timing.
  const distribution = distributionManager(site, options.distribution);
  try {
    const adminTokenFile = await ensureInitialAdminToken(site);
    if (options.localDpPort !== undefined) localDp = await startLocalDp(site, options.localDpPort, options.localDpName ?? 'local', options.localDpClientUrl);
    const webConsole = consoleFiles(options.consoleDir ?? fileURLToPath(new URL('../console', import.meta.url)));
    app = await createAdminApi(site, { logger: options.logger, maxUploadBytes: options.maxUploadBytes, version: options.version, console: webConsole });
    const host = options.host ?? '127.0.0.1';
    await app.listen({ host, port: options.port ?? 8450 });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    if (options.pxe) {
      const tftpRoot = join(site.dataDir, 'boot', 'tftp');
      await writeTftpRoot(tftpRoot, { siteUrl: `http://${options.pxe.address}:${port}` });
      pxe = {
        ...(await startPxeResponder({ address: options.pxe.address, mode: options.pxe.mode, pool: options.pxe.pool, tftpRoot, log: options.pxe.log })),
        tftpRoot,
      };
    }
    // Work a previous process recorded but did not finish (it was killed, or the machine rebooted)
    // resumes now; a periodic pass picks up what other servers leave and what no request kicks.
    distribution.start();
    // The state migration point's retention (docs/state-migration-point.md): expired stores deleted, stale captures abandoned.
    let sweeping: Promise<unknown> = Promise.resolve();
    const sweep = (): void => {
      sweeping = sweepStores(site)
        .then((r) => {
          for (const f of r.failed) process.stderr.write(`osd server: user state store ${f.storeId} could not be deleted: ${f.error}\n`);
        })
        .catch((e: unknown) => process.stderr.write(`osd server: the user state sweep failed: ${(e as Error).message}\n`));
    };
    const sweeper = setInterval(sweep, SWEEP_INTERVAL_MS);
    sweeper.unref();
    sweep();
    // Incremental collection evaluation (COLLECTION_EVALUATION_INTERVAL_MS); one pass at a time.
    let evaluating: Promise<unknown> | undefined;
    const evaluateChanges = (): void => {
      if (evaluating) return;
      evaluating = site.db
        .transaction((tx) => evaluateAllCollections(tx))
        .catch((e: unknown) => process.stderr.write(`osd server: the incremental collection evaluation failed: ${(e as Error).message}\n`))
        .finally(() => (evaluating = undefined));
    };
    const evaluator = evaluationMs > 0 ? setInterval(evaluateChanges, evaluationMs) : undefined;
    evaluator?.unref();
    const started = app;
    return {
      site,
      warnings: site.warnings,
      app: started,
      url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
      adminTokenFile,
      localDp,
      pxe,
      console: { dir: webConsole.dir, built: webConsole.built },
      async close() {
        clearInterval(sweeper);
        clearInterval(evaluator);
        await sweeping;
        await evaluating;
        await pxe?.close();
        await started.close();
        await distribution.settle();
        await localDp?.close();
        await site.close();
      },
    };
  } catch (e) {
    await distribution.settle().catch(() => {});
    await pxe?.close().catch(() => {});
    await app?.close().catch(() => {});
    await localDp?.close().catch(() => {});
    await site.close().catch(() => {});
    throw e;
  }
}

/**
 * The local DP keeps its own store under <data>/dp and its push token in <data>/dp/push.token
 * (sealed with the site key), and is registered (or its URL updated) under `name`.
 */
async function startLocalDp(site: Site, port: number, name: string, clientUrl?: string): Promise<RunningDistributionPoint & { name: string }> {
  const root = join(site.dataDir, 'dp');
  const tokenFile = join(root, 'push.token.sealed');
  const box: SecretBox = site.secrets;
  let pushToken: string;
  if (existsSync(tokenFile)) pushToken = box.open(readFileSync(tokenFile, 'utf8').trim());
  else {
    pushToken = randomBytes(24).toString('base64url');
    mkdirSync(root, { recursive: true });
    writeFileSync(tokenFile, box.seal(pushToken), { mode: 0o600 });
  }
  const dp = await startDistributionPoint({ root, pushToken, port });
  // A client URL without a port takes the DP's own (its port may be chosen at start: --local-dp-port 0).
  if (clientUrl && URL.canParse(clientUrl)) {
    const u = new URL(clientUrl);
    if (!u.port) u.port = new URL(dp.url).port;
    clientUrl = u.toString();
  }
  try {
    const { rows } = await site.db.query<{ url: string }>('SELECT url FROM distribution_points WHERE name = $1', [name]);
    if (!rows[0])
      await addDistributionPoint(site, SYSTEM_ACTOR, {
        name,
        url: dp.url,
        clientUrl,
        pushToken,
        description: 'distribution point on the site server',
        verify: false,
      });
    else await updateDistributionPoint(site, SYSTEM_ACTOR, name, { url: dp.url, pushToken, ...(clientUrl !== undefined ? { clientUrl } : {}) });
  } catch (e) {
    await dp.close().catch(() => {});
    throw e;
  }
  return { ...dp, name };
}
