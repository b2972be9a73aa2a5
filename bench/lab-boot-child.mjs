#!/usr/bin/env node
// One lab boot in its own process, for the lab benchmark: prints per-step wall times and the
// process's peak RSS as JSON. Usage: node bench/lab-boot-child.mjs CONTENT_DIR LAB_ROOT NAME DISK
// The build is dist/, or $OSD_BENCH_DIST (bench/lab.bench.mjs).
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = resolve(process.env.OSD_BENCH_DIST ?? new URL('../dist', import.meta.url).pathname);
const load = (m) => import(pathToFileURL(join(dist, m)).href);
const { ActionExecutor } = await load('actions/executor.js');
const { ContentLibrary } = await load('actions/content.js');
const { stepSimulators } = await load('actions/handlers/index.js');
const { simulate } = await load('engine/simulate/simulate.js');
const { createLab } = await load('lab/create.js');
const { ProcessExecutor } = await load('runner/process-executor.js');
const { loadSiteManifest } = await load('sequence/site-manifest.js');
const { answersSchema } = await load('sequence/wizard/answers.js');
const { generateInstallImageSequence } = await load('sequence/wizard/generate/index.js');

const [contentDir, labRoot, name, disk] = process.argv.slice(2);
const machines = new URL('../examples/machines/', import.meta.url).pathname;
const content = new ContentLibrary(contentDir);
const answers = answersSchema.parse({
  taskSequence: { name: 'Bench', bootImageId: 'LAB00005' },
  installWindows: { imagePackageId: 'LAB00010', imageIndex: 2, configureBitLocker: false },
  configureNetwork: { join: 'workgroup', workgroup: 'BENCH' },
  stateMigration: { captureUserSettings: false, captureNetworkSettings: false, captureWindowsSettings: false },
  includeUpdates: 'none',
});
const ts = generateInstallImageSequence(answers, loadSiteManifest(join(contentDir, 'site.json')));
ts.items.find((i) => i.kind === 'group' && i.name === 'Setup Operating System').disable = true;

const lab = await createLab(labRoot, name, { profilePath: join(machines, 'uefi-x64-laptop-bare-metal.json'), disks: [disk] });
const steps = [];
const t0 = performance.now();
const report = await simulate(ts, {
  profile: lab.profile,
  steps: stepSimulators({ content }),
  restart: (target) => lab.restart(target === 'WinPE' ? 'WinPE' : 'OS'),
  executor: (predicting) => {
    const inner = new ActionExecutor(lab, content, new ProcessExecutor(predicting));
    return {
      async execute(x) {
        const s = performance.now();
        const r = await inner.execute(x);
        steps.push({ step: x.step.name, ms: performance.now() - s });
        return r;
      },
    };
  },
});
const totalMs = performance.now() - t0;
process.stdout.write(JSON.stringify({ result: report.result, message: report.message, totalMs, steps, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
