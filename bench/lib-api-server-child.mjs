#!/usr/bin/env node
// The site server in its own process, for bench/api.bench.mjs (after `npx tsc -p tsconfig.build.json`):
//   node bench/lib-api-server-child.mjs DATA_DIR [POSTGRES_URL]   → prints {"url", "adminTokenFile"} once
//   listening; stops on SIGTERM or when its stdin closes.
import { startSiteServer } from '../dist/server/site-server.js';

const [dataDir, databaseUrl] = process.argv.slice(2);
const server = await startSiteServer({ dataDir, databaseUrl: databaseUrl || undefined, port: 0, logger: false });
process.stdout.write(`${JSON.stringify({ url: server.url, adminTokenFile: server.adminTokenFile ?? null })}\n`);
let stopping = false;
const stop = () =>
  !stopping &&
  (stopping = true) &&
  void server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
process.once('SIGTERM', stop);
// The benchmark holds our stdin open: when it goes away, however it ends, so do we.
process.stdin.on('end', stop).resume();
