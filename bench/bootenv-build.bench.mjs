#!/usr/bin/env node
// Boot environment build benchmark (issue 14 "Performance"): size and build time of
// `osd boot-image build`, cold (empty cache: the kernel .deb downloaded, unpacked, indexed) and
// cached (kernel from the cache, the initramfs written again), and "nothing changed".
//   node bench/bootenv-build.bench.mjs [--json]       (after `make build`; needs the Debian mirror for the cold run)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBootEnv } from '../dist/bootenv/build/index.js';

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
  const cold = await run('cold (empty cache)', {});
  await run('cached kernel, initramfs rebuilt (--force)', { force: true });
  await run('nothing changed', {});
  const m = cold.manifest;
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
