#!/usr/bin/env node
// Network apply benchmark (issue 14 "Performance", last item): Apply Operating System of the demo's
// ~500 MB WIM inside the VM, from the distribution point, against `wget -O - URL | wimlib-imagex apply -`
// in the same kind of VM (goal: within 1.2×).
//   npm run build && node bench/netboot-apply.bench.mjs
//   OSD_BENCH_PAIRS=1 node bench/netboot-apply.bench.mjs     (a quick first look; OSD_BENCH_NETBOOT_APPLY_PAIRS, the older name, wins)
//   OSD_BENCH_NETBOOT_APPLY_MB=170 (MiB per edition: 3 editions ≈ 500 MB), OSD_BENCH_NETBOOT_APPLY_TIMEOUT=600 (s per VM)
//   OSD_BENCH_NETBOOT_APPLY_DIAG=0: no diagnostics in pair 1's baseline VM; OSD_BENCH_NETBOOT_APPLY_DIAG_ONLY=1: no pairs,
//   the baseline VM and its diagnostics only (OSD_BENCH_NETBOOT_APPLY_DIAG_ONLY_WHICH=node: the large-block tee alone)
//
// The WIM: `osd lab content` with 170 MiB of incompressible payload per edition (install.wim), exported
// pipable (`wimlib-imagex export … all … --pipable`), added with `osd image add` and distributed to
// the local DP of a real `osd server` (client URL http://10.0.2.2, slirp's host alias). Image 2 is applied.
//  - ours: a lab machine (BIOS profile, blank 2 GiB disk, a MAC of its own: a Required deployment runs
//    once per computer) boots from the network with `osd lab boot --vm`; the boot environment's agent
//    runs the task sequence; its Apply Operating System streams the pipable WIM from the DP into
//    wimlib when the agent can (src/bootenv/guest/stream-apply.ts), else downloads it first. Timed
//    from the run's smsts.log (the guest's clock): `apply` = from the step's line before the image
//    moves ("Streaming image …", or the content download's start) to its "Applied image" line —
//    download or stream, wimlib, the SHA-256 check; not the partition's format, not BCDBoot.
//    `step` = the whole Apply Operating System step as the site recorded it.
//  - baseline: the same boot environment, kernel, QEMU machine (-m 1536 -smp 1, TCG, virtio disk and
//    NIC, slirp), the agent replaced by a probe (bench-built boot environment, `agentEntry`) booted
//    with -kernel/-initrd; its disk gets the partition table the agent just made (copied on the host
//    with sfdisk -d), the probe formats the same partition with the agent's mkntfs arguments, then
//    times `wget -q -O - URL | wimlib-imagex apply - 2 /dev/vdaN` (busybox wget, the same DP URL) with
//    the guest's clock.
// Pairs alternate ours, baseline (B A B A: ours first in each pair, as the baseline's disk gets the
// partition table ours just made), default 5 (bench/lib-ab.mjs, OSD_BENCH_PAIRS); one VM at a time
// (TCG takes a core of this 2-core machine). Printed: per pair the ratio ours / baseline, min / median
// / max over the pairs, the baseline's own spread, the load average; written to
// .tmp/bench/netboot-apply.json (openosd.bench/v1, this benchmark's own summary under "netbootApply").
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, join, resolve } from 'node:path';
import { makeTestContent } from '../dist/lab/test-content/index.js';
import { exportXmlText } from '../dist/sequence/codec/xml-export.js';
import { loadSiteManifest } from '../dist/sequence/site-manifest.js';
import { answersSchema } from '../dist/sequence/wizard/answers.js';
import { generateInstallImageSequence } from '../dist/sequence/wizard/generate/index.js';
import { findVmTools, vmUnavailableReason } from '../dist/lab/vm/firmware.js';
import { qemuArgs } from '../dist/lab/vm/qemu-args.js';
import { buildBootEnv } from '../dist/bootenv/build/index.js';
import { parseCmTrace } from '../dist/engine/log/cmtrace.js';
import { benchRun, pairCount, summarizePairs } from './lib-ab.mjs';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const OSD = join(ROOT, 'bin/osd.js');
const PAIRS = process.env.OSD_BENCH_NETBOOT_APPLY_PAIRS ? Number(process.env.OSD_BENCH_NETBOOT_APPLY_PAIRS) : pairCount();
const bench = benchRun('netboot-apply');
const MB = Number(process.env.OSD_BENCH_NETBOOT_APPLY_MB ?? 170);
const TIMEOUT = Number(process.env.OSD_BENCH_NETBOOT_APPLY_TIMEOUT ?? 600);
const INDEX = 2;
// Pair 1's baseline VM also times wget alone, wget | busybox sha256sum and wget | Node's SHA-256 (after its timed span).
const DIAG = process.env.OSD_BENCH_NETBOOT_APPLY_DIAG !== '0';
// OSD_BENCH_NETBOOT_APPLY_DIAG_ONLY=1: no pairs, the baseline VM and its diagnostics only (written to .tmp/bench/netboot-apply-diag.json).
const DIAG_ONLY = process.env.OSD_BENCH_NETBOOT_APPLY_DIAG_ONLY === '1';
const PROFILE = join(ROOT, 'examples/machines/bios-x64-desktop-bare-metal.json');
const WORK = join(ROOT, '.tmp', 'bench', 'netboot-apply');
const OUT = join(ROOT, '.tmp', 'bench', 'netboot-apply.json');
const LAYOUT = join(WORK, 'layout.json');

const unavailable = vmUnavailableReason();
if (unavailable) {
  console.log(`netboot apply benchmark skipped: ${unavailable}`);
  process.exit(0);
}
if (!(PAIRS >= 1) || !(MB >= 1) || !(TIMEOUT >= 60)) {
  console.error(
    'usage: [OSD_BENCH_NETBOOT_APPLY_PAIRS=N>=1] [OSD_BENCH_NETBOOT_APPLY_MB=M>=1] [OSD_BENCH_NETBOOT_APPLY_TIMEOUT=S>=60] node bench/netboot-apply.bench.mjs',
  );
  process.exit(2);
}
const tools = findVmTools();

/** Runs `osd ARGS…` and answers its output; a failure ends the benchmark with its output. */
function osd(args, env = {}, okCodes = [0]) {
  let p;
  const promise = new Promise((done, fail) => {
    p = spawn(process.execPath, [OSD, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (okCodes.includes(code) ? done({ code, out, err }) : fail(new Error(`osd ${args.join(' ')}: exit ${code}\n${out}\n${err}`))));
  });
  promise.child = p;
  return promise;
}

let server;
let vm;
const cleanUp = () => {
  if (vm && vm.exitCode === null) vm.kill('SIGKILL');
  if (server && server.exitCode === null) server.kill('SIGKILL');
};
process.on('exit', cleanUp);
process.on('SIGINT', () => process.exit(130));

rmSync(join(WORK, 'site'), { recursive: true, force: true });
rmSync(join(WORK, 'labs'), { recursive: true, force: true });
rmSync(join(WORK, 'baseline'), { recursive: true, force: true });
mkdirSync(join(WORK, 'baseline'), { recursive: true });
const started = Date.now();
// What is measured: the working tree as it is at the start (dist/ and the boot environment are built from it).
const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
const source = { commit: git('rev-parse', 'HEAD'), changedInSrc: git('status', '--short', 'src').split('\n').filter(Boolean) };
console.log(`netboot apply benchmark: ${PAIRS} pair(s); preparing the WIM (${MB} MiB per edition), the boot environments and a site …`);

// The demo's WIM, exported pipable (kept between runs).
const content = await makeTestContent(join(WORK, 'content'), { imageSizeMB: MB });
const pipable = join(WORK, `pipable-${MB}`, 'install.wim');
if (!existsSync(pipable)) {
  mkdirSync(join(WORK, `pipable-${MB}`), { recursive: true });
  execFileSync('wimlib-imagex', ['export', content.wimPath, 'all', `${pipable}.part`, '--pipable'], { stdio: 'ignore' });
  execFileSync('mv', [`${pipable}.part`, pipable]);
}
const wimBytes = Number(execFileSync('stat', ['-c', '%s', pipable], { encoding: 'utf8' }).trim());

// The boot environment (ours) and the same build with the probe as its agent (the baseline).
await osd(['boot-image', 'build', '--out', join(WORK, 'bootenv')]);
const probe = join(WORK, 'probe-agent.mjs');
writeFileSync(
  probe,
  `// The baseline's probe (bench/netboot-apply.bench.mjs): formats the partition as the agent does, then times wget | wimlib.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
const say = (l) => console.log('OSD-AGENT: ' + l);
const cmdline = readFileSync('/proc/cmdline', 'utf8');
const arg = (n) => cmdline.split(/\\s+/).find((w) => w.startsWith(n + '='))?.slice(n.length + 1);
const url = arg('osd.bench.url');
const index = arg('osd.bench.index');
const target = arg('osd.bench.target');
const run = (cmd, args, env) => {
  const p = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (p.status !== 0) {
    console.log('OSD-AGENT FAILED ' + cmd + ' exit ' + p.status + ': ' + (p.stderr || p.stdout || '').trim().split('\\n').pop());
    process.exit(1);
  }
};
if (!url || !index || !target) {
  console.log('OSD-AGENT FAILED no osd.bench.url/index/target on the command line');
  process.exit(1);
}
const start = readFileSync('/sys/class/block/' + target.replace('/dev/', '') + '/start', 'utf8').trim();
// src/storage/volume/ntfs.ts mkntfsArgs: what the agent's Apply Operating System formats with.
run('mkntfs', ['--quiet', '--force', '--fast', '--label', 'Windows', '--sector-size', '512', '--partition-start', start, '--heads', '255', '--sectors-per-track', '63', target], { LC_ALL: 'C.UTF-8' });
say('BENCH apply start ' + url + ' image ' + index + ' to ' + target);
const t0 = performance.now();
const p = spawnSync('/bin/sh', ['-c', 'wget -q -O - "$0" | wimlib-imagex apply - "$1" "$2" >/run/osd/wimlib.out 2>&1', url, index, target], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
const seconds = (performance.now() - t0) / 1000;
const said = readFileSync('/run/osd/wimlib.out', 'utf8').split(/[\\r\\n]+/).filter(Boolean).slice(-2).join(' | ');
if (p.status !== 0) {
  console.log('OSD-AGENT FAILED wget | wimlib-imagex exit ' + p.status + ': ' + said + ' ' + (p.stderr || '').trim());
  process.exit(1);
}
say('BENCH apply end seconds=' + seconds.toFixed(3));
say('BENCH wimlib said: ' + said);
// Diagnostics (after the timed span): what each piece of a streamed apply costs in this VM.
if (arg('osd.bench.diag')) {
  const timed = (label, script) => {
    const t = performance.now();
    const d = spawnSync('/bin/sh', ['-c', script, url], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    say('BENCH diag ' + label + ' seconds=' + ((performance.now() - t) / 1000).toFixed(3) + ' exit=' + d.status + ' out=' + (d.stdout || '').trim().slice(0, 80));
  };
  const all = arg('osd.bench.diag') !== 'node';
  if (all) {
    const fifos = (n) => 'W=/run/osd/diag; rm -rf $W; mkdir -p $W; busybox mkfifo ' + n.map((f) => '$W/' + f).join(' ') + '; ';
    timed('wget-cat', 'wget -q -O - "$0" | cat > /dev/null');
    timed('wget-busybox-wc', 'wget -q -O - "$0" | busybox wc -c');
    timed('wget-busybox-sha256sum', 'wget -q -O - "$0" | busybox sha256sum');
    writeFileSync('/run/osd/sha256.cjs', "const h = require('node:crypto').createHash('sha256'); process.stdin.on('data', (b) => h.update(b)).on('end', () => console.log(h.digest('hex')));");
    timed('wget-node-sha256', 'wget -q -O - "$0" | node /run/osd/sha256.cjs');
    timed('wget-tee-1fifo-sha256sum', fifos(['h']) + 'busybox sha256sum < $W/h > $W/sha & wget -q -O - "$0" | busybox tee $W/h | cat > /dev/null; wait');
    timed('wget-tee-2fifos-sha256sum-wc', fifos(['h', 'c']) + 'busybox sha256sum < $W/h > $W/sha & busybox wc -c < $W/c > $W/n & wget -q -O - "$0" | busybox tee $W/h $W/c | cat > /dev/null; wait');
    // The agent's streaming pipeline itself (src/bootenv/guest/stream-apply.ts), wimlib included, onto the partition formatted again.
    run('mkntfs', ['--quiet', '--force', '--fast', '--label', 'Windows', '--sector-size', '512', '--partition-start', start, '--heads', '255', '--sectors-per-track', '63', target], { LC_ALL: 'C.UTF-8' });
    timed('agent-pipeline-with-wimlib', fifos(['h', 'c']) + 'busybox sha256sum < $W/h > $W/sha & busybox wc -c < $W/c > $W/n & busybox wget -q -O - "$0" | busybox tee $W/h $W/c | { wimlib-imagex apply - ' + index + ' ' + target + ' > $W/w.out 2>&1; busybox cat > /dev/null; }; wait');
  }
  // A tee that reads large blocks (Node: 64 KiB), hashes and writes on: what a native helper would do, as an estimate.
  writeFileSync('/run/osd/teehash.cjs', "const h = require('node:crypto').createHash('sha256'); let n = 0; process.stdin.on('data', (b) => { h.update(b); n += b.length; if (!process.stdout.write(b)) { process.stdin.pause(); process.stdout.once('drain', () => process.stdin.resume()); } }).on('end', () => require('node:fs').writeFileSync('/run/osd/teehash.out', h.digest('hex') + ' ' + n));");
  run('mkntfs', ['--quiet', '--force', '--fast', '--label', 'Windows', '--sector-size', '512', '--partition-start', start, '--heads', '255', '--sectors-per-track', '63', target], { LC_ALL: 'C.UTF-8' });
  timed('node-tee-sha256-with-wimlib', 'busybox wget -q -O - "$0" | node /run/osd/teehash.cjs | { wimlib-imagex apply - ' + index + ' ' + target + ' > /run/osd/w2.out 2>&1; busybox cat > /dev/null; }; cat /run/osd/teehash.out /run/osd/w2.out | tail -c 200');
}
console.log('OSD-AGENT DONE outcome=nothing');
`,
);
await buildBootEnv({ arch: 'x64', outDir: join(WORK, 'probe-env'), agentEntry: probe });

server = spawn(
  process.execPath,
  [OSD, 'server', '--data', join(WORK, 'site'), '--port', '0', '--json', '--local-dp-port', '0', '--local-dp-client-url', 'http://10.0.2.2'],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
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
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
};
const idOf = (j) => j.package?.packageId ?? j.packageId ?? j.taskSequence?.id ?? j.deployment?.id ?? j.id;

const bootId = idOf(JSON.parse(await admin('boot-image', 'add', '--bootenv', join(WORK, 'bootenv'), '--pxe', '--json')));
const imageId = idOf(JSON.parse(await admin('image', 'add', pipable, '--json')));
await admin('distribute', imageId, bootId, '--dp', 'local', '--wait');
const dp = (await api('GET', '/distribution-points')).find((d) => d.name === 'local');
const dpManifest = await (await fetch(`${dp.url.replace(/\/$/, '')}/content/${imageId}/`)).json();
const wimFile = dpManifest.files.find((f) => /\.wim$/i.test(f.path))?.path;
const wimUrl = `${dp.clientUrl.replace(/\/$/, '')}/content/${imageId}/${wimFile.split('/').map(encodeURIComponent).join('/')}`;
const ts = generateInstallImageSequence(
  answersSchema.parse({
    taskSequence: { name: 'Netboot apply bench', bootImageId: content.bootImageId },
    installWindows: {
      imagePackageId: content.imagePackageId,
      imageIndex: INDEX,
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
writeFileSync(join(WORK, 'ts.xml'), exportXmlText(ts).split(content.imagePackageId).join(imageId));
const tsId = idOf(JSON.parse(await admin('ts', 'push', join(WORK, 'ts.xml'), '--name', 'Netboot apply bench', '--boot-image', bootId, '--json')));
const collection = (await api('POST', '/collections', { name: 'Netboot apply bench' })).collection.collectionId;
const macOf = (pair, kind) => `52:54:00:ba:${kind.toString(16).padStart(2, '0')}:${pair.toString(16).padStart(2, '0')}`;
for (let pair = 1; pair <= PAIRS; pair++) await api('POST', '/devices', { name: `APPLY-BENCH-${pair}`, mac: macOf(pair, 1), collectionId: collection });
await admin('deploy', tsId, '--collection', collection, '--purpose', 'required', '--available-to', 'media-pxe', '--confirm-high-risk', '--json');
console.log(
  `ready in ${((Date.now() - started) / 1000).toFixed(1)} s: site ${facts.url}, image ${imageId} (${(wimBytes / 1e6).toFixed(0)} MB pipable WIM), image ${INDEX} from ${wimUrl}`,
);

const seconds = (a, b) => Math.round((b.getTime() - a.getTime()) / 10) / 100;

/** One deployment through the agent: the Apply Operating System step's times from the run's smsts.log. */
async function ours(pair) {
  const name = `apply-bench-${pair}`;
  const labs = join(WORK, 'labs');
  await osd(['lab', 'create', name, '--profile', PROFILE, '--disk', '2G', '--mac', macOf(pair, 1)], { OSD_LAB_DIR: labs });
  const load1 = os.loadavg()[0];
  const serialLog = join(labs, name, 'state', 'serial.log');
  const booting = osd(['lab', 'boot', name, '--vm', '--site', facts.url, '--timeout', String(TIMEOUT), '--json'], { OSD_LAB_DIR: labs }, [0, 1, 3]);
  // The deployed image is the Windows-like test OS, which does not boot: after the agent's DONE the
  // restart would wait at the disk until the time limit. The agent's end is what counts, so the
  // VM (the QEMU process this bench's `osd lab boot` started, found by its parent's pid) ends there.
  const watch = setInterval(() => {
    let text;
    try {
      text = readFileSync(serialLog, 'utf8');
    } catch {
      return;
    }
    if (!/OSD-AGENT (DONE|FAILED)/.test(text)) return;
    clearInterval(watch);
    setTimeout(() => {
      const parent = booting.child?.pid;
      const qemu = execFileSync('ps', ['-o', 'pid=', '--ppid', String(parent)], { encoding: 'utf8' })
        .trim()
        .split(/\s+/)
        .filter(Boolean);
      for (const pid of qemu) process.kill(Number(pid), 'SIGKILL');
    }, 2000);
  }, 500);
  const r = await booting.finally(() => clearInterval(watch));
  const report = JSON.parse(r.out);
  const serial = readFileSync(serialLog, 'utf8');
  if (!/OSD-AGENT DONE outcome=succeeded/.test(serial)) throw new Error(`ours, pair ${pair}: the agent did not succeed (${report.message}); see ${serialLog}`);
  const resourceId = /\(resource (\d+)\)/.exec(serial)?.[1];
  const runId = /; run ([0-9a-f-]{36})/.exec(serial)?.[1];
  const log = await api('GET', `/devices/${resourceId}/runs/${runId}/logs/smsts.log`);
  writeFileSync(join(WORK, `smsts-${pair}.log`), log);
  const entries = parseCmTrace(log);
  const at = (re, from = 0) => entries.findIndex((e, i) => i >= from && re.test(e.message));
  const applied = at(/^Applied image \d+ to /);
  const streamed = at(/^Streaming image \d+ of /);
  const stepStart = at(/^Start executing an instruction\. Instruction name: Apply Operating System\b/);
  const start = streamed >= 0 && streamed < applied ? streamed : stepStart;
  const run = await api('GET', `/devices/${resourceId}/runs/${runId}`);
  const step = run.steps.find((s) => /Apply Operating System/i.test(s.name));
  const stepSeconds = step?.startedAt && step?.endedAt ? seconds(new Date(step.startedAt), new Date(step.endedAt)) : undefined;
  return {
    pair,
    load1: Math.round(load1 * 10) / 10,
    mode: streamed >= 0 && streamed < applied ? 'streamed' : 'downloaded then applied',
    apply: start >= 0 && applied >= 0 ? seconds(entries[start].instant, entries[applied].instant) : undefined,
    applyFrom: entries[start]?.message,
    step: stepSeconds,
    stepTimes: step,
    disk: join(labs, name, 'disk0.img'),
    serialLog,
  };
}

/** The probe in the same VM: wget -O - | wimlib-imagex apply - on the partition the agent used. */
async function baseline(pair, table, target, withDiag) {
  const dir = join(WORK, 'baseline', String(pair));
  mkdirSync(dir, { recursive: true });
  const disk = join(dir, 'disk0.img');
  execFileSync('truncate', ['-s', '2G', disk]);
  execFileSync('sfdisk', ['--quiet', '--no-reread', '--no-tell-kernel', disk], { input: table });
  const env = join(WORK, 'probe-env');
  const args = [
    ...qemuArgs(tools, { firmware: 'bios', disks: [disk], mac: macOf(pair, 2) }),
    '-no-reboot',
    '-kernel',
    join(env, 'vmlinuz'),
    '-initrd',
    join(env, 'initrd.cpio.zst'),
    '-append',
    `console=ttyS0 initrd=bootenv quiet osd.site=${facts.url.replace('127.0.0.1', '10.0.2.2')} osd.boot=pxe osd.bench.url=${wimUrl} osd.bench.index=${INDEX} osd.bench.target=${target}${withDiag ? ` osd.bench.diag=${withDiag === true ? 1 : withDiag}` : ''}`,
  ];
  const load1 = os.loadavg()[0];
  const t0 = Date.now();
  const lines = [];
  await new Promise((done) => {
    vm = spawn(tools.qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    const timer = setTimeout(() => vm.kill('SIGKILL'), (withDiag ? 3 : 1) * TIMEOUT * 1000);
    const onData = (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        lines.push(`[${((Date.now() - t0) / 1000).toFixed(3).padStart(8)}] ${buf.slice(0, nl).replace(/\r$/, '')}`);
        buf = buf.slice(nl + 1);
      }
    };
    vm.stdout.on('data', onData);
    vm.stderr.on('data', onData);
    vm.on('close', () => {
      clearTimeout(timer);
      done();
    });
  });
  writeFileSync(join(dir, 'serial.log'), `${lines.join('\n')}\n`);
  const text = lines.join('\n');
  const s = /OSD-AGENT: BENCH apply end seconds=([\d.]+)/.exec(text)?.[1];
  if (!s) throw new Error(`baseline, pair ${pair}: no result (${/OSD-AGENT FAILED.*/.exec(text)?.[0] ?? 'no FAILED line'}); see ${join(dir, 'serial.log')}`);
  // The host's view of the same span (its clock stamps the console lines), as a check of the guest's clock.
  const stamp = (re) => Number(/^\[ *([\d.]+)\]/.exec(lines.find((l) => re.test(l)) ?? '')?.[1]);
  const host = Math.round((stamp(/BENCH apply end/) - stamp(/BENCH apply start/)) * 100) / 100;
  rmSync(disk, { force: true });
  const diag = Object.fromEntries(
    [...text.matchAll(/BENCH diag (\S+) seconds=([\d.]+) exit=(\d+)/g)].map((m) => [m[1], { seconds: Number(m[2]), exit: Number(m[3]) }]),
  );
  const wimlibSaid = /BENCH wimlib said: (.*)/.exec(text)?.[1];
  return { pair, load1: Math.round(load1 * 10) / 10, apply: Number(s), hostSeconds: host, wimlibSaid, diag, serialLog: join(dir, 'serial.log') };
}

/** The partition Apply Operating System used ("Formatting /dev/vda2 NTFS ("Windows")" on the console). */
function windowsPartition(serialLog) {
  const m = /Formatting (\/dev\/vd[a-z]\d+) NTFS \("Windows"\)/.exec(readFileSync(serialLog, 'utf8'));
  if (!m) throw new Error(`no "Windows" partition formatted in ${serialLog}`);
  return m[1];
}

const stats = (xs) => {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? { min: s[0], median: s[Math.floor((s.length - 1) / 2)], max: s[s.length - 1] } : undefined;
};
const cell = (s, d = 2) => (s ? `${s.min.toFixed(d)} / ${s.median.toFixed(d)} / ${s.max.toFixed(d)}` : '—');

if (DIAG_ONLY) {
  // The baseline VM alone with its diagnostics, on the partition layout the agent made in the last full run.
  // (No full run yet: an MBR layout like the BIOS task sequence's, System Reserved, Windows, Recovery.)
  const { table, target } = existsSync(LAYOUT)
    ? JSON.parse(readFileSync(LAYOUT, 'utf8'))
    : { table: 'label: dos\n, 350MiB, 7, *\n, 1200MiB, 7\n, , 7\n', target: '/dev/vda2' };
  const b = await baseline(1, table, target, process.env.OSD_BENCH_NETBOOT_APPLY_DIAG_ONLY_WHICH ?? '1');
  console.log(
    `wget|wimlib ${b.apply.toFixed(2)} s (load ${b.load1}); after it: ${Object.entries(b.diag)
      .map(([k, v]) => `${k} ${v.seconds.toFixed(1)} s`)
      .join(', ')}`,
  );
  mkdirSync(join(ROOT, '.tmp', 'bench'), { recursive: true });
  writeFileSync(
    join(ROOT, '.tmp', 'bench', 'netboot-apply-diag.json'),
    `${JSON.stringify({ at: new Date().toISOString(), loadAverage: os.loadavg(), baseline: b }, null, 2)}\n`,
  );
  cleanUp();
  process.exit(0);
}
const pairs = [];
for (let pair = 1; pair <= PAIRS; pair++) {
  const a = await ours(pair);
  const target = windowsPartition(a.serialLog);
  const table = execFileSync('sfdisk', ['-d', a.disk], { encoding: 'utf8' });
  writeFileSync(LAYOUT, JSON.stringify({ table, target }));
  const b = await baseline(pair, table, target, pair === 1 && DIAG);
  rmSync(a.disk, { force: true });
  const ratio = a.apply !== undefined ? Math.round((a.apply / b.apply) * 1000) / 1000 : undefined;
  pairs.push({ ours: a, baseline: b, ratio });
  console.log(
    `pair ${pair}: ours (${a.mode}) apply ${a.apply?.toFixed(2)} s, whole step ${a.step?.toFixed?.(2) ?? '?'} s (load ${a.load1}); ` +
      `wget|wimlib ${b.apply.toFixed(2)} s (host clock ${b.hostSeconds.toFixed(2)} s, load ${b.load1}); ratio ${ratio?.toFixed(2)}`,
  );
  if (Object.keys(b.diag).length)
    console.log(
      `  in the baseline's VM, after it: ${Object.entries(b.diag)
        .map(([k, v]) => `${k} ${v.seconds.toFixed(1)} s`)
        .join(', ')}`,
    );
}

const result = {
  at: new Date().toISOString(),
  pairs: PAIRS,
  cores: os.cpus().length,
  loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 10) / 10),
  wim: { file: basename(pipable), bytes: wimBytes, mbPerEdition: MB, index: INDEX, url: wimUrl },
  modes: [...new Set(pairs.map((p) => p.ours.mode))],
  ratio: stats(pairs.map((p) => p.ratio)),
  ratioWholeStep: stats(pairs.map((p) => (p.ours.step !== undefined ? p.ours.step / p.baseline.apply : undefined))),
  oursApply: stats(pairs.map((p) => p.ours.apply)),
  oursStep: stats(pairs.map((p) => p.ours.step)),
  baselineApply: stats(pairs.map((p) => p.baseline.apply)),
  baselineHostClock: stats(pairs.map((p) => p.baseline.hostSeconds)),
  source,
};
console.log(
  `\n${(wimBytes / 1e6).toFixed(0)} MB pipable WIM, image ${INDEX}; ${PAIRS} pair(s), ours ${result.modes.join(' / ')} (${result.cores} cores, load average now ${result.loadAverageAtEnd.join(' ')})`,
);
console.log(`ratio ours / wget|wimlib (apply)       min / median / max ${cell(result.ratio)}   (goal ≤ 1.2)`);
console.log(`ratio ours whole step / wget|wimlib    min / median / max ${cell(result.ratioWholeStep)}`);
console.log(`ours apply, s                          ${cell(result.oursApply, 1)}`);
console.log(`ours whole Apply Operating System, s   ${cell(result.oursStep, 1)}`);
console.log(`baseline wget|wimlib, s                ${cell(result.baselineApply, 1)}   (host clock ${cell(result.baselineHostClock, 1)})`);
const BASELINE = 'wget -q -O - URL | wimlib-imagex apply - 2 /dev/vdaN (same VM, guest clock)';
const rows = pairs.map((p) => ({ baseline: { ...p.baseline, value: p.baseline.apply }, ours: { ...p.ours, value: p.ours.apply } }));
const summary = { baseline: { label: BASELINE }, ours: { label: 'osd lab boot --vm: Apply Operating System' }, unit: 's', better: 'lower' };
bench.add(summarizePairs({ ...summary, name: 'apply', goal: { op: '<=', value: 1.2 }, rows }));
bench.add(
  summarizePairs({
    ...summary,
    name: 'whole Apply Operating System step',
    rows: pairs.map((p) => ({ baseline: p.baseline.apply, ours: p.ours.step })),
  }),
);
bench.finish({ netbootApply: result });
copyFileSync(OUT, join(WORK, `result-${Date.now()}.json`));
cleanUp();
