#!/usr/bin/env node
// Boot environment build benchmark (issue 14 "Performance"): size and build time of
// `osd boot-image build`, cold (empty cache: the kernel .deb downloaded, unpacked, indexed) and
// cached (kernel from the cache, the initramfs written again), and "nothing changed".
// Method (bench/lib-ab.mjs, issue 16): the cold build runs once (a figure: it downloads); then A B
// pairs (OSD_BENCH_PAIRS, default 5) of the cached rebuild (--force: the tree staged again, the cpio
// written, compressed) against the bare compressor on the same bytes (baseline: `zstd -10 -T2 -q -c
// initrd.cpio > FILE`, the build's own zstd arguments, on the cpio the build made, decompressed
// before the pairs): what the build adds to compressing its initramfs. "Nothing changed" is a figure.
// Results: .tmp/bench/bootenv-build.json.
//   node bench/bootenv-build.bench.mjs [--json]       (after `make build`; needs the Debian mirror for the cold run)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBootEnv } from '../dist/bootenv/build/index.js';
import { benchRun, comparePairs, pairCount } from './lib-ab.mjs';

const json = process.argv.includes('--json');
const work = mkdtempSync(join(tmpdir(), 'osd-bench-bootenv-'));
const cache = join(work, 'cache');
const out = join(work, 'env');
const phases = [];

async function run(label, options) {
  const lines = [];
  const t0 = performance.now();
  const r = await buildBootEnv({
    arch: 'x64',
    outDir: out,
    cacheDir: cache,
    log: (l) => lines.push(`${((performance.now() - t0) / 1000).toFixed(1)}s ${l}`),
    ...options,
  });
  const seconds = (performance.now() - t0) / 1000;
  phases.push({ label, seconds: Number(seconds.toFixed(2)), built: r.built, lines });
  return r;
}

try {
  const bench = benchRun('bootenv-build');
  const cold = await run('cold (empty cache)', {});
  const m = cold.manifest;
  const cpio = join(work, 'initrd.cpio');
  execFileSync('sh', ['-c', `zstd -q -d -c '${join(out, m.initrd.file)}' > '${cpio}'`]);
  const pairs = pairCount();
  const cmp = bench.add(
    await comparePairs({
      name: 'cached kernel, initramfs rebuilt (--force)',
      baseline: {
        label: 'zstd -10 -T2 -q -c initrd.cpio > FILE (the same cpio)',
        run: () => {
          const t = performance.now();
          execFileSync('sh', ['-c', `zstd -10 -T2 -q -c '${cpio}' > '${join(work, 'baseline.cpio.zst')}'`]);
          return { value: (performance.now() - t) / 1000 };
        },
      },
      ours: {
        label: 'osd boot-image build --force (cached kernel)',
        run: async () => {
          const t = performance.now();
          await run('cached kernel, initramfs rebuilt (--force)', { force: true });
          return { value: (performance.now() - t) / 1000 };
        },
      },
      unit: 's',
      better: 'lower',
      pairs,
      log: json ? () => {} : undefined,
    }),
  );
  await run('nothing changed', {});
  bench.figure('cold build s', phases[0].seconds, 's', 'lower');
  bench.figure('nothing changed s', phases.at(-1).seconds, 's', 'lower');
  bench.figure('initrd.cpio.zst bytes', m.initrd.bytes, 'bytes', 'lower');
  bench.figure('cached rebuild s (median)', cmp.oursSpread.median, 's', 'lower');
  bench.finish();
  const result = {
    kernel: { release: m.kernel.release, bytes: m.kernel.bytes },
    initrd: { bytes: m.initrd.bytes },
    modules: m.drivers.length,
    packages: m.packages.length,
    agentPlaceholder: !!m.agent.placeholder,
    phases: phases.map(({ label, seconds, built }) => ({ label, seconds, built })),
  };
  if (json) console.log(JSON.stringify({ ...result, log: phases.map((p) => ({ label: p.label, lines: p.lines })) }, null, 2));
  else {
    console.log(
      `boot environment ${m.version}: vmlinuz ${(m.kernel.bytes / 1048576).toFixed(1)} MiB, initrd.cpio.zst ${(m.initrd.bytes / 1048576).toFixed(1)} MiB`,
    );
    console.log(`  ${m.drivers.length} modules, ${m.packages.length} Debian packages${m.agent.placeholder ? ', placeholder agent' : ''}`);
    for (const p of phases) {
      console.log(`  ${p.label.padEnd(44)} ${p.seconds.toFixed(1).padStart(6)} s${p.built ? '' : ' (up to date)'}`);
      for (const l of p.lines) console.log(`      ${l}`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
