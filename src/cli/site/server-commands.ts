/** `osd server` (the site server), `osd dp serve` (a distribution point), `osd token …`. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { OsdError } from '../../common/errors.js';
import { InputError } from '../../sequence/input-error.js';
import { pxeResponderOptions, withPxeOptions, type PxeCliOptions } from '../network-boot-commands.js';
import type { StartUpInput } from '../../site/start-up-inputs.js';
import { print, printJson } from '../output.js';
import { collect } from '../engine-commands.js';
import { AdminClient, DEFAULT_DATA_DIR, DEFAULT_PORT, withConnection } from './admin-client.js';

function port(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InputError({ input: name, rule: `"${value}" is not a TCP port`, hint: 'use 0–65535 (0 = any free port)' });
  return n;
}

function size(value: string, name: string): number {
  const m = /^(\d+)\s*([KMGT]i?B?)?$/i.exec(value.trim());
  if (!m) throw new InputError({ input: name, rule: `"${value}" is not a size`, hint: 'e.g. 500MiB, 20GiB or a number of bytes' });
  const unit = (m[2] ?? '').toUpperCase()[0];
  const mult = unit === 'K' ? 1024 : unit === 'M' ? 1024 ** 2 : unit === 'G' ? 1024 ** 3 : unit === 'T' ? 1024 ** 4 : 1;
  return Number(m[1]) * mult;
}

/** The site's start-up inputs as `osd server` (and `osd token recover`) takes them. */
const START_UP_OPTION: Record<StartUpInput, string> = {
  'data folder': '--data',
  database: '--database',
  'key file': '--key-file',
  'site code': '--site-code',
  'source roots': '--source-root',
};

/** A site's error about one of its start-up inputs, with the option the user typed as its input (kind, rule and hint kept). */
function inOptionWords(e: unknown): unknown {
  if (!(e instanceof OsdError)) return e;
  const option = e.input === undefined ? undefined : START_UP_OPTION[e.input as StartUpInput];
  if (!option) return e;
  return new OsdError(e.kind, { input: option, rule: e.rule, hint: e.hint, cause: e }, `${option}: ${e.rule}${e.hint ? `\n  hint: ${e.hint}` : ''}`);
}

/** What can stop a site from starting, said in the words of `osd server`: its options. */
function startupError(e: unknown, where: { dataDir: string; port: number; host: string }): unknown {
  if (e instanceof OsdError) return inOptionWords(e);
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EADDRINUSE')
    return new InputError({
      input: '--port',
      rule: `${where.host}:${where.port} is already in use`,
      hint: 'is another osd server running? pick another --port (0 = any free port)',
    });
  if (err?.code === 'EACCES' && err.syscall === 'listen')
    return new InputError({
      input: '--port',
      rule: `not allowed to listen on ${where.host}:${where.port}`,
      hint: 'ports below 1024 need root; pick another --port',
    });
  if (err?.code === 'EACCES' || err?.code === 'EROFS' || err?.code === 'ENOSPC')
    return new InputError({ input: '--data', rule: `${where.dataDir}: ${err.message}`, hint: 'the data folder must be writable by the server' });
  return e;
}

/** A number of seconds from the environment (tuning the distribution lease and pass), in milliseconds. */
function secondsFromEnv(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InputError({ input: name, rule: `"${value}" is not a number of seconds`, hint: 'a positive number, e.g. 30 (fractions allowed)' });
  return Math.round(n * 1000);
}

function waitForSignal(): Promise<string> {
  return new Promise((resolvePromise) => {
    process.once('SIGINT', () => resolvePromise('SIGINT'));
    process.once('SIGTERM', () => resolvePromise('SIGTERM'));
  });
}

export function registerServerCommands(program: Command): void {
  program
    .command('server')
    .description('run the site server: admin API (and optionally a distribution point on this machine)')
    .option('--data <dir>', `data directory: database (PGlite), key, content library (default $OSD_DATA or ./${DEFAULT_DATA_DIR})`)
    .option('--database <url>', 'PostgreSQL URL (postgres://user@host/db); default: the embedded database in --data')
    .option('--port <n>', `admin API port (default ${DEFAULT_PORT})`)
    .option('--host <addr>', 'address to listen on (default 127.0.0.1)')
    .option('--key-file <file>', 'secret key file (default <data>/site.key, created on first start)')
    .option('--site-code <code>', 'three-character site code, for a new site (default PS1)')
    .option('--local-dp-port <n>', 'also run a distribution point on this port (0 = any), registered as "local"')
    .option('--local-dp-client-url <url>', "the local DP's URL as computers reach it (without a port: the DP's), e.g. http://10.0.2.2 for QEMU guests")
    .option('--pxe <address>', "also answer PXE (proxyDHCP + TFTP) on this machine's IPv4 address on the computers' network (ports 67, 69, 4011: root)")
    .option('--max-upload <size>', 'largest upload accepted (default 64GiB)')
    .option('--max-import <size>', 'largest content import by path (default 64GiB; the free space of the data folder bounds it too)')
    .option('--source-root <dir>', 'a folder content may be added from by path (repeatable; default: <data>/sources)', collect)
    .option('--json', 'print the start-up facts as one JSON line');
  withPxeOptions(program.commands.find((c) => c.name() === 'server')!).action(
    async (
      o: PxeCliOptions & {
        localDpClientUrl?: string;
        pxe?: string;
        data?: string;
        database?: string;
        port?: string;
        host?: string;
        keyFile?: string;
        siteCode?: string;
        localDpPort?: string;
        maxUpload?: string;
        maxImport?: string;
        sourceRoot?: string[];
        json?: boolean;
      },
    ) => {
      const dataDir = resolve(o.data ?? process.env.OSD_DATA ?? DEFAULT_DATA_DIR);
      // Loaded here, not at the top: every other `osd` command starts without the server's modules.
      const { startSiteServer } = await import('../../server/site-server.js');
      const listenPort = o.port === undefined ? DEFAULT_PORT : port(o.port, '--port');
      const server = await startSiteServer({
        dataDir,
        databaseUrl: o.database ?? process.env.OSD_DATABASE_URL,
        keyFile: o.keyFile,
        siteCode: o.siteCode,
        host: o.host,
        port: listenPort,
        localDpPort: o.localDpPort === undefined ? undefined : port(o.localDpPort, '--local-dp-port'),
        localDpClientUrl: o.localDpClientUrl,
        pxe: o.pxe === undefined ? undefined : { ...pxeResponderOptions(o.pxe, o), log: (l) => process.stderr.write(`osd server: pxe: ${l}\n`) },
        maxUploadBytes: o.maxUpload === undefined ? undefined : size(o.maxUpload, '--max-upload'),
        sourceRoots: o.sourceRoot?.map((r) => resolve(r)),
        maxImportBytes: o.maxImport === undefined ? undefined : size(o.maxImport, '--max-import'),
        logger: !o.json && process.env.OSD_LOG === 'json',
        distribution: { leaseMs: secondsFromEnv('OSD_DISTRIBUTION_LEASE_SECONDS'), passIntervalMs: secondsFromEnv('OSD_DISTRIBUTION_PASS_SECONDS') },
      }).catch((e: unknown) => {
        throw startupError(e, { dataDir, port: listenPort, host: o.host ?? '127.0.0.1' });
      });
      const facts = {
        url: server.url,
        siteCode: server.site.siteCode,
        database: server.site.db.kind,
        databaseLocation: server.site.db.location,
        schemaVersion: server.site.migration.to,
        migrationsApplied: server.site.migration.applied,
        dataDir,
        adminTokenFile: server.adminTokenFile ?? null,
        localDistributionPoint: server.localDp ? { name: server.localDp.name, url: server.localDp.url } : null,
        pxe: server.pxe ? { address: o.pxe, tftpRoot: server.pxe.tftpRoot, dhcpPort: server.pxe.dhcpPort, tftpPort: server.pxe.tftp.port } : null,
        sourceRoots: server.site.sourceRoots,
        console: { url: `${server.url}/`, built: server.console.built },
        warnings: server.warnings,
      };
      for (const w of facts.warnings) process.stderr.write(`osd server: warning: ${w}\n`);
      if (o.json) process.stdout.write(`${JSON.stringify(facts)}\n`);
      else {
        print(`OpenOSD site ${facts.siteCode} listening on ${facts.url}`);
        print(
          `  database: ${facts.database === 'pglite' ? `embedded (PGlite) in ${facts.databaseLocation}` : `PostgreSQL ${facts.databaseLocation}`}, schema version ${facts.schemaVersion}${facts.migrationsApplied.length ? ` (applied ${facts.migrationsApplied.join(', ')})` : ''}`,
        );
        if (facts.adminTokenFile)
          print(`  new site: the first administrator's token is in ${facts.adminTokenFile} (create your own tokens with "osd token create")`);
        if (facts.localDistributionPoint) print(`  distribution point "${facts.localDistributionPoint.name}" on ${facts.localDistributionPoint.url}`);
        if (facts.pxe) print(`  PXE responder on ${facts.pxe.address} (TFTP root ${facts.pxe.tftpRoot}); boot scripts at ${facts.url}/boot/v1/pxe.ipxe`);
        print(`  content by path from: ${facts.sourceRoots.join(', ')} (osd server --source-root; clients upload otherwise)`);
        print(
          facts.console.built
            ? `  console: ${facts.console.url} (sign in with an API token)`
            : `  console: not built (${server.console.dir} is missing; "make build" builds it) — the API works without it`,
        );
        print(`  API: ${facts.url}/api/v1/openapi.json — stop with Ctrl+C`);
      }
      const signal = await waitForSignal();
      await server.close();
      if (!o.json) print(`stopped (${signal})`);
    },
  );

  const dp = program.command('dp').description('distribution points');
  dp.command('serve')
    .description('run a distribution point: a content server the site pushes to and clients download from (push token from $OSD_DP_PUSH_TOKEN)')
    .requiredOption('--dir <dir>', 'where the distribution point keeps its content')
    .option('--port <n>', 'port (default 8451)')
    .option('--host <addr>', 'address to listen on (default 127.0.0.1)')
    .option('--json', 'print the URL as one JSON line')
    .action(async (o: { dir: string; port?: string; host?: string; json?: boolean }) => {
      const pushToken = process.env.OSD_DP_PUSH_TOKEN;
      if (!pushToken || pushToken.length < 16) {
        throw new InputError({
          input: 'OSD_DP_PUSH_TOKEN',
          rule: 'the push token is missing or shorter than 16 characters',
          hint: 'set OSD_DP_PUSH_TOKEN to a long random value (not a command-line argument: ps would show it), and register the DP at the site with the same token',
        });
      }
      const { startDistributionPoint } = await import('../../server/distribution-point/server.js');
      process.umask(0o077); // its store is its own: owner-only files, whatever the umask it was started with
      const running = await startDistributionPoint({
        root: resolve(o.dir),
        pushToken,
        host: o.host,
        port: o.port === undefined ? 8451 : port(o.port, '--port'),
      });
      if (o.json) process.stdout.write(`${JSON.stringify({ url: running.url })}\n`);
      else print(`distribution point listening on ${running.url} (content in ${resolve(o.dir)}) — stop with Ctrl+C`);
      await waitForSignal();
      await running.close();
    });
  withConnection(dp.command('add <name> <url>'))
    .description('register a distribution point at the site (push token from $OSD_DP_PUSH_TOKEN)')
    .option('--client-url <url>', 'the URL computers fetch content from, when it differs from <url> (e.g. http://10.0.2.2:8451 for QEMU guests)')
    .option('--pxe', 'PXE-enabled')
    .option('--unknown-computer-support', 'answer unknown computers')
    .option('--json', 'print JSON')
    .action(async (name: string, url: string, o: { clientUrl?: string; pxe?: boolean; unknownComputerSupport?: boolean; json?: boolean }) => {
      const pushToken = process.env.OSD_DP_PUSH_TOKEN;
      if (!pushToken)
        throw new InputError({ input: 'OSD_DP_PUSH_TOKEN', rule: 'not set', hint: 'set it to the token the distribution point was started with' });
      const r = await AdminClient.fromOptions(o).post('/distribution-points', {
        name,
        url,
        ...(o.clientUrl !== undefined ? { clientUrl: o.clientUrl } : {}),
        pushToken,
        pxeEnabled: o.pxe ?? false,
        unknownComputerSupport: o.unknownComputerSupport ?? false,
      });
      if (o.json) printJson(r);
      else print(`distribution point ${name} registered (${url})`);
    });
  withConnection(dp.command('list'))
    .description('list distribution points')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const r = await AdminClient.fromOptions(o).get<Array<{ name: string; url: string; pxeEnabled: boolean }>>('/distribution-points');
      if (o.json) return printJson(r);
      for (const d of r) print(`${d.name}\t${d.url}${d.pxeEnabled ? '\tPXE' : ''}`);
    });

  const token = program.command('token').description('API tokens');
  withConnection(token.command('create <name>'))
    .description('create an API token (shown once)')
    .requiredOption('--role <role>', 'full-administrator | osd-manager | read-only-analyst')
    .option('--expires <time>', 'expiry, ISO 8601')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { role: string; expires?: string; json?: boolean }) => {
      const r = await AdminClient.fromOptions(o).post<{ token: string; info: { id: string } }>('/tokens', {
        name,
        role: o.role,
        ...(o.expires ? { expiresAt: o.expires } : {}),
      });
      if (o.json) return printJson(r);
      print(r.token);
      process.stderr.write(`token ${r.info.id} "${name}" (${o.role}) created; it is shown only now\n`);
    });
  withConnection(token.command('list'))
    .description('list API tokens (never their values)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const r =
        await AdminClient.fromOptions(o).get<Array<{ id: string; name: string; role: string; revokedAt: string | null; expiresAt: string | null }>>('/tokens');
      if (o.json) return printJson(r);
      for (const t of r) print(`${t.id}\t${t.role}\t${t.name}${t.revokedAt ? '\t(revoked)' : t.expiresAt ? `\texpires ${t.expiresAt}` : ''}`);
    });
  withConnection(token.command('revoke <id>'))
    .description('revoke an API token (the last valid Full Administrator token is refused)')
    .action(async (id: string, o: object) => {
      await AdminClient.fromOptions(o).delete(`/tokens/${encodeURIComponent(id)}`);
      print(`token ${id} revoked`);
    });
  token
    .command('recover')
    .description(
      "on the server machine, when nobody can administer the site (every Full Administrator token revoked or expired): open the site's database directly, check the key file, create a new Full Administrator token and write it to <data>/admin.token (0600)",
    )
    .option('--data <dir>', `the site's data folder (default $OSD_DATA or ./${DEFAULT_DATA_DIR})`)
    .option(
      '--database <url>',
      "the site's PostgreSQL URL (default $OSD_DATABASE_URL; without it the embedded database in --data, which needs osd server stopped)",
    )
    .option('--key-file <file>', "the site's key file (default <data>/site.key)")
    .option('--name <name>', 'the new token\'s name (default "recovered administrator")')
    .option('--print', 'also print the token (it is written to <data>/admin.token either way)')
    .option('--json', 'print JSON (with the token only with --print)')
    .action(async (o: { data?: string; database?: string; keyFile?: string; name?: string; print?: boolean; json?: boolean }) => {
      const dataDir = resolve(o.data ?? process.env.OSD_DATA ?? DEFAULT_DATA_DIR);
      // Loaded here: the database modules are heavy and no other token command needs them.
      const { recoverAdminToken } = await import('../../site/security/recover.js');
      process.umask(0o077); // it writes into the site's data folder: owner-only, like the server
      const r = await recoverAdminToken({ dataDir, databaseUrl: o.database ?? process.env.OSD_DATABASE_URL, keyFile: o.keyFile, name: o.name }).catch(
        (e: unknown) => {
          throw inOptionWords(e);
        },
      );
      if (o.json) return printJson({ file: r.file, info: r.info, ...(o.print ? { token: r.token } : {}) });
      if (o.print) print(r.token);
      process.stderr.write(`new Full Administrator token ${r.info.id} "${r.info.name}" written to ${r.file} (mode 0600); the recovery is in the audit log\n`);
    });
}
