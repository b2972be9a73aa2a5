#!/usr/bin/env node
// A distribution point in its own process, for bench/dp.bench.mjs (after `make build`):
//   OSD_DP_PUSH_TOKEN=… node bench/dp-server-child.mjs ROOT   → prints {"url": …} once listening; stops on SIGTERM.
import { startDistributionPoint } from '../dist/server/distribution-point/server.js';

const dp = await startDistributionPoint({ root: process.argv[2], pushToken: process.env.OSD_DP_PUSH_TOKEN ?? '', port: 0 });
process.stdout.write(`${JSON.stringify({ url: dp.url })}\n`);
process.once('SIGTERM', () => void dp.close().then(() => process.exit(0)));
