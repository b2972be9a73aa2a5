#!/usr/bin/env node
// One lab boot in its own process, for the lab benchmark: prints per-step wall times and the
// process's peak RSS as JSON. Usage: node bench/lab-boot-child.mjs CONTENT_DIR LAB_ROOT NAME DISK
import { join } from 'node:path';
import { ActionExecutor } from '../dist/actions/executor.js';
import { ContentLibrary } from '../dist/actions/content.js';
import { stepSimulators } from '../dist/actions/handlers/index.js';
import { simulate } from '../dist/engine/simulate/simulate.js';
import { createLab } from '../dist/lab/create.js';
import { ProcessExecutor } from '../dist/runner/process-executor.js';
import { loadSiteManifest } from '../dist/sequence/site-manifest.js';
import { answersSchema } from '../dist/sequence/wizard/answers.js';
import { generateInstallImageSequence } from '../dist/sequence/wizard/generate/index.js';

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
