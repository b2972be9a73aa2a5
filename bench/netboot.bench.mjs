#!/usr/bin/env node
// Network boot benchmark (issue 14 "Performance"): power-on → agent start → deployed marker for each
// firmware, split into firmware, network boot program, download, boot, agent start, deployment and
// restart — read off the timestamped serial console of `osd lab boot --vm` (docs/vm-lab.md).
//   npx tsc -p tsconfig.build.json && node bench/netboot.bench.mjs [--runs 5] [--firmware uefi,bios] [--timeout 240]
// A real `osd server` (local DP, its client URL http://10.0.2.2 for the VMs), the boot environment
// (osd boot-image build, cached), the bootable test OS (LAB00012 image 1) deployed Required to a
// collection; every run is a new lab machine with a blank 2 GiB disk and a MAC of its own (the site
// remembers a Required deployment already run). One VM at a time (TCG takes a core; two VMs on this
// 2-core machine would measure each other). Figures: min / median / max over the runs, printed and
// written to .tmp/bench/netboot.json. The machine's load is printed with them: other work running at
// the same time slows TCG, so compare runs made under the same load only.
// Method (bench/lib-ab.mjs, issue 16): runs default to OSD_BENCH_PAIRS (≥ 5); the firmwares alternate
// (UEFI, BIOS, UEFI, BIOS …), so each run is a pair: the comparison UEFI against BIOS (baseline: the
// same boot on the BIOS profile) of power-on → deployed marker and → agent start shows the noise of
// the machine beside the result; every phase's median per firmware is a figure for bench/compare.mjs.
// There is no outside tool that does a network boot of the same deployment to measure against.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { makeTestContent } from '../dist/lab/test-content/index.js';
import { exportXmlText } from '../dist/sequence/codec/xml-export.js';
import { loadSiteManifest } from '../dist/sequence/site-manifest.js';
import { answersSchema } from '../dist/sequence/wizard/answers.js';
import { generateInstallImageSequence } from '../dist/sequence/wizard/generate/index.js';
import { vmUnavailableReason } from '../dist/lab/vm/firmware.js';
import { benchRun, pairCount, summarizePairs } from './lib-ab.mjs';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const OSD = join(ROOT, 'bin/osd.js');
const option = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RUNS = option('runs') === undefined ? pairCount() : Number(option('runs'));
const FIRMWARES = (option('firmware') ?? 'uefi,bios').split(',');
const TIMEOUT = Number(option('timeout') ?? 240);
const PROFILES = { uefi: 'uefi-x64-laptop-bare-metal.json', bios: 'bios-x64-desktop-bare-metal.json' };
const WORK = join(ROOT, '.tmp', 'bench', 'netboot');
const OUT = join(ROOT, '.tmp', 'bench', 'netboot.json');

const unavailable = vmUnavailableReason();
if (unavailable) {
  console.log(`netboot benchmark skipped: ${unavailable}`);
  process.exit(0);
}
if (!(RUNS >= 1) || FIRMWARES.some((f) => !PROFILES[f])) {
  console.error('usage: node bench/netboot.bench.mjs [--runs N>=1] [--firmware uefi,bios] [--timeout S]');
  process.exit(2);
}

/** Runs `osd ARGS…` and answers its output; a failure ends the benchmark with its output. */
function osd(args, env = {}, okCodes = [0]) {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [OSD, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (okCodes.includes(code) ? done({ code, out, err }) : fail(new Error(`osd ${args.join(' ')}: exit ${code}\n${out}\n${err}`))));
  });
}

let server;
const cleanUp = () => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
};
process.on('exit', cleanUp);
process.on('SIGINT', () => process.exit(130));

rmSync(join(WORK, 'site'), { recursive: true, force: true });
rmSync(join(WORK, 'labs'), { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
const started = Date.now();
console.log('netboot benchmark: preparing the boot environment, the test content and a site …');
await osd(['boot-image', 'build', '--out', join(WORK, 'bootenv')]);
const content = await makeTestContent(join(WORK, 'content'), { bootableOs: true });

server = spawn(
  process.execPath,
  [OSD, 'server', '--data', join(WORK, 'site'), '--port', '0', '--json', '--local-dp-port', '0', '--local-dp-client-url', 'http://10.0.2.2'],
  {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
const facts = await new Promise((done, fail) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const nl = out.indexOf('\n');
    if (nl >= 0) done(JSON.parse(out.slice(0, nl)));
  });
  server.on('exit', (code) => fail(new Error(`osd server exited with ${code}`)));
});
const token = readFileSync(join(WORK, 'site', 'admin.token'), 'utf8').trim();
const admin = (...args) => osd([...args, '--server', facts.url, '--token', token]).then((r) => r.out);
const api = async (method, path, body) => {
  const res = await fetch(`${facts.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};
const idOf = (j) => j.package?.packageId ?? j.packageId ?? j.taskSequence?.id ?? j.deployment?.id ?? j.id;

const bootId = idOf(JSON.parse(await admin('boot-image', 'add', '--bootenv', join(WORK, 'bootenv'), '--pxe', '--json')));
const imageId = idOf(JSON.parse(await admin('image', 'add', content.bootableOs.wimPath, '--json')));
await admin('distribute', imageId, bootId, '--dp', 'local', '--wait');
const ts = generateInstallImageSequence(
  answersSchema.parse({
    taskSequence: { name: 'Netboot bench', bootImageId: content.bootImageId },
    installWindows: {
      imagePackageId: content.bootableOs.packageId,
      imageIndex: 1,
      configureBitLocker: false,
      localAdministrator: { mode: 'randomAndDisabled' },
    },
    configureNetwork: { join: 'workgroup', workgroup: 'BENCH' },
    stateMigration: { captureUserSettings: false, captureNetworkSettings: false, captureWindowsSettings: false },
    includeUpdates: 'none',
  }),
  loadSiteManifest(content.siteManifestPath),
);
// The full-OS group needs client and USMT packages this site does not hold (as the E2E test does).
ts.items = ts.items.filter((i) => !(i.kind === 'group' && i.name === 'Setup Operating System'));
ts.references = [];
writeFileSync(join(WORK, 'ts.xml'), exportXmlText(ts).split(content.bootableOs.packageId).join(imageId));
const tsId = idOf(JSON.parse(await admin('ts', 'push', join(WORK, 'ts.xml'), '--name', 'Netboot bench', '--boot-image', bootId, '--json')));
const collection = (await api('POST', '/collections', { name: 'Netboot bench' })).collection.collectionId;
const machines = [];
for (let run = 1; run <= RUNS; run++)
  for (const [f, firmware] of FIRMWARES.entries()) {
    const mac = `52:54:00:be:${(f + 1).toString(16).padStart(2, '0')}:${run.toString(16).padStart(2, '0')}`;
    const name = `bench-${firmware}-${run}`;
    await api('POST', '/devices', { name: name.toUpperCase(), mac, collectionId: collection });
    machines.push({ run, firmware, mac, name });
  }
await admin('deploy', tsId, '--collection', collection, '--purpose', 'required', '--available-to', 'media-pxe', '--confirm-high-risk', '--json');
console.log(
  `ready in ${((Date.now() - started) / 1000).toFixed(1)} s: site ${facts.url}, boot image ${bootId}, image ${imageId}; ${machines.length} boots, one at a time`,
);

/** The phases of one boot, from its report's milestones and its serial log. */
function phases(report) {
  const m = report.milestones;
  // The last boot file iPXE finished before the boot environment started (its "… ok" line).
  const lines = readFileSync(report.serialLog, 'utf8').split('\n');
  let files;
  for (const line of lines) {
    const x = /^\[ *([\d.]+)\] .*\/boot\/v1\/images\/.*\bok$/.exec(line);
    if (x && (m.bootEnvironment === undefined || Number(x[1]) <= m.bootEnvironment)) files = Number(x[1]);
  }
  const d = (a, b) => (a === undefined || b === undefined ? undefined : Math.round((b - a) * 10) / 10);
  return {
    firmware: m.ipxe, // power-on → the NIC's iPXE ROM
    pxe: d(m.ipxe, m.bootScript), // iPXE: DHCP, TFTP script
    download: d(m.bootScript, files), // site script, kernel + initramfs over HTTP
    boot: d(files, m.bootEnvironment), // kernel start, initramfs unpack, init
    agentStart: d(m.bootEnvironment, m.agentStart), // modules, network, Node and the agent
    deployment: d(m.agentStart, m.agentEnd), // policy, partition, download, apply, BCDBoot, status
    restart: d(m.agentEnd, m.marker), // reboot, firmware, GRUB, the deployed OS's kernel
    toAgent: m.agentStart,
    toMarker: m.marker,
  };
}

const results = [];
for (const machine of machines) {
  const labs = join(WORK, 'labs');
  await osd(['lab', 'create', machine.name, '--profile', join(ROOT, 'examples/machines', PROFILES[machine.firmware]), '--disk', '2G', '--mac', machine.mac], {
    OSD_LAB_DIR: labs,
  });
  const load = os.loadavg()[0];
  const r = await osd(
    ['lab', 'boot', machine.name, '--vm', '--site', facts.url, '--timeout', String(TIMEOUT), '--json'],
    {
      OSD_LAB_DIR: labs,
    },
    [0, 1, 3],
  );
  const report = JSON.parse(r.out);
  const p = report.exitCode === 0 ? phases(report) : undefined;
  results.push({ ...machine, load1: Math.round(load * 10) / 10, outcome: report.outcome, message: report.message, milestones: report.milestones, phases: p });
  console.log(
    `${machine.firmware} run ${machine.run}: ${report.exitCode === 0 ? `DEPLOYED-OK after ${report.seconds} s (agent at ${p.toAgent} s)` : `NOT deployed: ${report.message}`} — load ${load.toFixed(1)}`,
  );
}

const NAMES = ['firmware', 'pxe', 'download', 'boot', 'agentStart', 'deployment', 'restart', 'toAgent', 'toMarker'];
const summary = {};
for (const firmware of FIRMWARES) {
  const ok = results.filter((r) => r.firmware === firmware && r.phases);
  summary[firmware] = { runs: ok.length, failed: results.filter((r) => r.firmware === firmware && !r.phases).length };
  for (const name of NAMES) {
    const v = ok
      .map((r) => r.phases[name])
      .filter((x) => x !== undefined)
      .sort((a, b) => a - b);
    if (v.length) summary[firmware][name] = { min: v[0], median: v[Math.floor((v.length - 1) / 2)], max: v[v.length - 1] };
  }
}
const cell = (s) => (s ? `${s.min.toFixed(1)} / ${s.median.toFixed(1)} / ${s.max.toFixed(1)}` : '—');
console.log(
  `\nseconds, min / median / max over the runs (${os.cpus().length} cores, load average now ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')})`,
);
console.log(`${'phase'.padEnd(12)}${FIRMWARES.map((f) => f.toUpperCase().padEnd(22)).join('')}`);
for (const name of NAMES) console.log(`${name.padEnd(12)}${FIRMWARES.map((f) => cell(summary[f][name]).padEnd(22)).join('')}`);
const bench = benchRun('netboot');
if (FIRMWARES.includes('uefi') && FIRMWARES.includes('bios'))
  for (const [key, what] of [
    ['toMarker', 'power-on → deployed marker'],
    ['toAgent', 'power-on → agent start'],
  ]) {
    const rows = [];
    for (let run = 1; run <= RUNS; run++) {
      const at = (firmware) => results.find((r) => r.run === run && r.firmware === firmware)?.phases?.[key];
      rows.push({ baseline: at('bios'), ours: at('uefi') });
    }
    bench.add(
      summarizePairs({ name: what, baseline: { label: 'the same boot, BIOS profile' }, ours: { label: 'UEFI profile' }, unit: 's', better: 'lower', rows }),
    );
  }
for (const firmware of FIRMWARES)
  for (const name of NAMES) if (summary[firmware][name]) bench.figure(`${firmware}: ${name} s (median)`, summary[firmware][name].median, 's', 'lower');
bench.finish({ netboot: { runs: RUNS, summary, results } });
console.log(`\nwritten to ${OUT}; serial logs in ${join(WORK, 'labs')}/*/state/serial.log`);
cleanUp();
if (results.some((r) => !r.phases)) process.exitCode = 1;
