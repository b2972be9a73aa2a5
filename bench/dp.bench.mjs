#!/usr/bin/env node
// Distribution point benchmark (issue 6), after `make build` (npx tsc -p tsconfig.build.json):
//  1. import a 1 GiB file of random data into a content store (hash while copying, fsync);
//  2. distribute it to a DP running as a separate process on 127.0.0.1 (push, verified on arrival);
//  3. download it over loopback with downloadContentFile (streamed, SHA-256 verified, fsync'd,
//     renamed) against `curl -s -o f URL && sha256sum f` of the same file in the same run —
//     median of 3 each, alternating; ratio = ours / curl (goal ≥ 0.8).
//   node bench/dp.bench.mjs [--keep]      (the 1 GiB file is cached in .tmp/bench/)
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomFillSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DistributionPointClient, downloadContentFile } from '../dist/site/content/dp-client.js';
import { ContentStore } from '../dist/site/content/store.js';

const root = new URL('..', import.meta.url).pathname;
const SIZE = 1024 ** 3;
const work = mkdtempSync(join(tmpdir(), 'osd-dp-bench-'));
const mbps = (bytes, ms) => (bytes / 1e6 / (ms / 1000)).toFixed(0);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function sourceFile() {
  const dir = join(root, '.tmp', 'bench');
  const file = join(dir, 'dp-1gib.bin');
  if (existsSync(file) && statSync(file).size === SIZE) return file;
  mkdirSync(dir, { recursive: true });
  const fd = openSync(file, 'w');
  const buf = Buffer.allocUnsafe(16 << 20);
  for (let done = 0; done < SIZE; done += buf.length) writeSync(fd, randomFillSync(buf));
  closeSync(fd);
  return file;
}

async function startDpProcess(dpRoot, token) {
  const child = spawn(process.execPath, [join(root, 'bench/dp-server-child.mjs'), dpRoot], {
    env: { ...process.env, OSD_DP_PUSH_TOKEN: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const line = (await lines.next()).value;
  if (!line) throw new Error('the DP process did not start');
  return { url: JSON.parse(line).url, stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) };
}

async function time(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

let dp;
try {
  console.log('DP benchmark: 1 GiB of random data over loopback (DP in its own process)…');
  const src = sourceFile();
  const store = await ContentStore.open(join(work, 'site'));
  let manifest;
  const importMs = await time(async () => (manifest = await store.importPath(src)));
  const file = manifest.files[0];
  console.log(`\n1. import into the content store (hash + copy + fsync):  ${importMs.toFixed(0)} ms, ${mbps(SIZE, importMs)} MB/s`);

  const token = randomBytes(24).toString('base64url');
  dp = await startDpProcess(join(work, 'dp'), token);
  const client = new DistributionPointClient(dp.url, token);
  let pushed;
  const pushMs = await time(async () => (pushed = await client.distribute('BEN00001', 1, manifest.files, store)));
  console.log(
    `2. distribute to the DP (push, verified on arrival, fsync): ${pushMs.toFixed(0)} ms, ${mbps(pushed.pushedBytes, pushMs)} MB/s (${pushed.pushedBlobs} blob)`,
  );

  const url = client.contentUrl('BEN00001', file.path);
  const ours = [];
  const curl = [];
  const curlSync = [];
  for (let i = 0; i < 3; i++) {
    const a = join(work, `ours-${i}.bin`);
    ours.push(await time(() => downloadContentFile(url, a, file)));
    rmSync(a);
    const b = join(work, `curl-${i}.bin`);
    const t = performance.now();
    const out = execFileSync('sh', ['-c', 'curl -s -f -o "$1" "$2" && sha256sum "$1"', 'sh', b, url], { encoding: 'utf8' });
    curl.push(performance.now() - t);
    if (!out.startsWith(file.sha256)) throw new Error(`curl download hash mismatch: ${out}`);
    rmSync(b);
    // The same with the fsync downloadContentFile does before renaming (coreutils `sync FILE`).
    const c = join(work, `curl-sync-${i}.bin`);
    const t2 = performance.now();
    execFileSync('sh', ['-c', 'curl -s -f -o "$1" "$2" && sha256sum "$1" >/dev/null && sync "$1"', 'sh', c, url]);
    curlSync.push(performance.now() - t2);
    rmSync(c);
  }
  const [o, c, cs] = [median(ours), median(curl), median(curlSync)];
  console.log(
    `3. download over loopback, median of 3 (all runs: ours ${ours.map((x) => mbps(SIZE, x)).join('/')}, curl ${curl.map((x) => mbps(SIZE, x)).join('/')} MB/s)`,
  );
  console.log(`   DP download+verify: ${mbps(SIZE, o)} MB/s, curl+sha256sum: ${mbps(SIZE, c)} MB/s, ratio ${(c / o).toFixed(2)}`);
  console.log(`   (with the same fsync as ours — curl+sha256sum+sync: ${mbps(SIZE, cs)} MB/s, ratio ${(cs / o).toFixed(2)})`);
} finally {
  await dp?.stop();
  if (!process.argv.includes('--keep')) rmSync(work, { recursive: true, force: true });
}
