#!/usr/bin/env node
// The baseline for bench/api.bench.mjs: bare Fastify (the same version the admin API uses) with one
// unauthenticated trivial route, GET /ping → {}, in its own process. Prints {"url"}; stops on SIGTERM
// or when its stdin closes.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/ping', async () => ({}));
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${app.server.address().port}` })}\n`);
let stopping = false;
const stop = () =>
  !stopping &&
  (stopping = true) &&
  void app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
process.once('SIGTERM', stop);
// The benchmark holds our stdin open: when it goes away, however it ends, so do we.
process.stdin.on('end', stop).resume();
