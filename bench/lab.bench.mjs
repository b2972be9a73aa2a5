#!/usr/bin/env node
// Lab benchmark (issue #5), after `make build`:
//  1. Apply Operating System of a ~500 MB WIM into the NTFS partition of a 4 GB disk image, against
//     bare `mkntfs` + `wimlib-imagex apply` of the same image into a fresh NTFS image file of the
//     same size, measured in the same run: ratio (goal ≤ 1.10).
//  2. The whole WinPE phase of the wizard's task sequence on that disk, split by step.
//  3. Peak RSS of the process running the task sequence for a ~100 MB and a ~1 GB image (goal
//     < 300 MB both): images and disks are streamed, never loaded whole.
//   node bench/lab.bench.mjs [--keep]      (content is cached in .tmp/bench-content-*)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestContent } from '../dist/lab/test-content/index.js';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'osd-lab-bench-'));
const mib = (n) => `${(n / 1048576).toFixed(0)} MiB`;

async function content(totalMB) {
  const dir = join(root, '.tmp', `bench-content-${totalMB}`);
  const c = await makeTestContent(dir, { imageSizeMB: Math.round(totalMB / 3) });
  return c;
}

function boot(contentDir, name, disk) {
  const out = execFileSync(process.execPath, [join(root, 'bench/lab-boot-child.mjs'), contentDir, join(work, 'labs'), name, disk], {
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  const r = JSON.parse(out);
  if (r.result !== 'success') throw new Error(`boot ${name} failed: ${r.message}`);
  return r;
}

function baseline(wim, partitionBytes) {
  const img = join(work, 'baseline.img');
  rmSync(img, { force: true });
  const t = performance.now();
  execFileSync('truncate', ['-s', String(partitionBytes), img]);
  execFileSync('mkntfs', ['--force', '--fast', '--quiet', '--label', 'Windows', img], { stdio: 'ignore' });
  execFileSync('wimlib-imagex', ['apply', wim, '2', img], { stdio: 'ignore' });
  const ms = performance.now() - t;
  rmSync(img, { force: true });
  return ms;
}

try {
  console.log('Lab benchmark (2 cores); building test content (cached under .tmp/)…');
  const c500 = await content(500);
  const wimSize = statSync(c500.wimPath).size;
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const r = boot(c500.root, `apply-${i}`, '4G');
    const apply = r.steps.find((s) => s.step === 'Apply Operating System').ms;
    // The partition the image goes to: 99 % of what remains after EFI + MSR on a 4 GiB disk.
    const part = Math.floor(((4096 - 1 - 500 - 128) * 1048576 * 0.99) / 512) * 512;
    const base = baseline(c500.wimPath, part);
    runs.push({ apply, base, r });
    rmSync(join(work, 'labs', `apply-${i}`), { recursive: true, force: true });
  }
  runs.sort((a, b) => a.apply / a.base - b.apply / b.base);
  const med = runs[1];
  console.log(`\n1. Apply Operating System, WIM ${mib(wimSize)} (image 2), 4 GiB disk — median of 3`);
  console.log(`   ours (format + apply + answer file + splice into the disk image): ${med.apply.toFixed(0)} ms`);
  console.log(`   bare mkntfs + wimlib-imagex apply into a fresh NTFS image:        ${med.base.toFixed(0)} ms`);
  console.log(`   ratio ${(med.apply / med.base).toFixed(2)} (goal ≤ 1.10); all runs: ${runs.map((x) => (x.apply / x.base).toFixed(2)).join(', ')}`);

  console.log(`\n2. Whole WinPE phase of the wizard's task sequence on a 4 GiB disk: ${med.r.totalMs.toFixed(0)} ms`);
  for (const s of med.r.steps) console.log(`   ${s.step.padEnd(40)} ${s.ms.toFixed(0).padStart(7)} ms`);

  console.log('\n3. Peak RSS of the process running the task sequence (wimlib runs as its own process)');
  for (const total of [100, 1000]) {
    const c = await content(total);
    const r = boot(c.root, `rss-${total}`, total > 500 ? '6G' : '4G');
    console.log(
      `   image ~${total} MB (WIM ${mib(statSync(c.wimPath).size)}): peak RSS ${r.maxRssMiB.toFixed(0)} MiB (goal < 300 MiB), ${r.totalMs.toFixed(0)} ms`,
    );
    rmSync(join(work, 'labs', `rss-${total}`), { recursive: true, force: true });
  }
} finally {
  if (!process.argv.includes('--keep')) rmSync(work, { recursive: true, force: true });
}
