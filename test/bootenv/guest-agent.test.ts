// The boot environment's agent program as it runs in the VM — src/bootenv/guest/main.ts bundled
// into one file by the boot environment's own bundler (src/bootenv/build/agent-bundle.ts) and run
// with `node` — on this host, against a fake /sys and /proc and a disk-image file standing for
// /dev/vda (contract C3): the console lines and exit codes for a bad command line and an
// unreachable site; and a whole deployment from a running `osd server` (the wizard's Windows PE
// phase, Required to a collection holding the computer's MAC): DONE, the disk deployed, the site
// holding the run's status and log.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleAgent } from '../../src/bootenv/build/agent-bundle.js';
import { hashMediaPassword, MEDIA_CONFIG_PATH, MEDIA_CONFIG_SCHEMA } from '../../src/bootenv/media/media-config.js';
import { makeTestContent, type TestContent } from '../../src/lab/test-content/index.js';
import { exportXmlText } from '../../src/sequence/codec/xml-export.js';
import { loadSiteManifest } from '../../src/sequence/site-manifest.js';
import { answersSchema } from '../../src/sequence/wizard/answers.js';
import { generateInstallImageSequence } from '../../src/sequence/wizard/generate/index.js';
import { fakeSysfs } from '../helpers/guest-sysfs.js';
import { ntfsPartition } from '../helpers/lab-disk.js';
import { adminTools, startServer, stopServer, type StartedServer } from '../helpers/osd-server.js';
import { tempDir } from '../helpers/temp.js';
import { makeWim, WINPE_PROPERTIES } from '../site/objects/fixtures.js';

const ROOT = resolve(__dirname, '../..');
const MAC = '52:54:00:0E:14:01';
let dir: string;
let agent: string;

beforeAll(async () => {
  dir = tempDir('osd-guest-agent-');
  const bundle = await bundleAgent();
  expect(bundle.placeholder).toBe(false);
  agent = join(dir, 'agent.mjs');
  writeFileSync(agent, bundle.code);
}, 120_000);

interface Ran {
  code: number | null;
  lines: string[];
  stderr: string;
  seconds: number;
}

/** `node agent.mjs` as init runs it, with the test's roots, disks and command line. */
function runAgentProgram(
  name: string,
  cmdline: string,
  options: { disks?: string[]; macs?: string[]; firmware?: 'uefi' | 'bios'; mediaRoot?: string; answers?: string[] } = {},
): Promise<Ran> {
  const root = join(dir, name);
  const roots = fakeSysfs(root, { uuid: '0E140001-0000-4000-8000-000000000001', firmware: options.firmware ?? 'uefi', macs: options.macs ?? [MAC], disks: {} });
  writeFileSync(join(root, 'cmdline'), `${cmdline}\n`);
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, [agent], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        OSD_GUEST_CMDLINE: join(root, 'cmdline'),
        OSD_GUEST_SYS: roots.sys,
        OSD_GUEST_PROC: roots.proc,
        OSD_GUEST_DEV: roots.dev,
        OSD_GUEST_STATE: join(root, 'run-osd'),
        ...(options.disks ? { OSD_GUEST_DISKS: options.disks.join(':') } : {}),
        ...(options.mediaRoot ? { OSD_GUEST_ROOT: options.mediaRoot } : {}),
        // As init sets them in the boot environment (C3): the native NTFS helpers.
        OSD_NTFSFS: join(ROOT, '.tmp/native/ntfsfs'),
        OSD_NTFSMKDIR: join(ROOT, '.tmp/native/ntfsmkdir'),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // Typed at the console as each password prompt shows, as a person would (not typed ahead).
    const answers = [...(options.answers ?? [])];
    let prompts = 0;
    if (answers.length === 0) child.stdin.end();
    let out = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const shown = out.split('Media password: ').length - 1;
      for (; prompts < shown; prompts++) {
        const a = answers.shift();
        if (a === undefined) child.stdin.end();
        else child.stdin.write(`${a}\n`);
      }
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.on('close', (code) => done({ code, lines: out.split('\n').filter(Boolean), stderr, seconds: (Date.now() - started) / 1000 }));
  });
}

describe('the agent program (bundled) on a host standing for the VM', () => {
  it('a command line without the site: FAILED naming osd.site, exit 1', async () => {
    const r = await runAgentProgram('no-site', 'console=ttyS0 initrd=bootenv quiet osd.boot=pxe');
    expect(r.code).toBe(1);
    expect(r.lines.at(-1)).toMatch(/^OSD-AGENT FAILED bad kernel command line: .*osd\.site: is missing/);
  }, 30_000);

  it('the site unreachable: a line per attempt with the wait, then FAILED site unreachable after osd.retry seconds, exit 1', async () => {
    const r = await runAgentProgram('unreachable', 'console=ttyS0 initrd=bootenv quiet osd.site=http://127.0.0.1:1 osd.boot=pxe osd.retry=5');
    expect(r.code).toBe(1);
    const tries = r.lines.filter((l) => l.startsWith('OSD-AGENT: the site http://127.0.0.1:1 does not answer (ECONNREFUSED); trying again in '));
    expect(tries.map((l) => /in (\d+) s$/.exec(l)?.[1])).toEqual(['1', '2']);
    expect(r.lines.at(-1)).toBe('OSD-AGENT FAILED site unreachable');
    expect(r.lines.every((l) => l.startsWith('OSD-AGENT: ') || l.startsWith('OSD-AGENT FAILED '))).toBe(true);
    expect(r.seconds).toBeGreaterThan(2.5);
    expect(r.seconds).toBeLessThan(20);
  }, 30_000);
});

describe('a deployment from osd server through the agent program', () => {
  let server: StartedServer;
  let content: TestContent;
  let deploymentId: string;
  let resourceId: number;
  const { osd, api } = adminTools(() => server);

  beforeAll(async () => {
    content = await makeTestContent(join(dir, 'content'));
    server = await startServer(join(dir, 'site'), ['--local-dp-port', '0']);
    const image = JSON.parse(await osd('image', 'add', content.wimPath, '--json'));
    const imageId = (image.package?.packageId ?? image.packageId ?? image.id) as string;
    const bootWim = await makeWim(join(dir, 'boot'), 'boot.wim', [
      { name: 'Microsoft Windows PE (x64)', description: 'WinPE', properties: WINPE_PROPERTIES(9, [10, 0, 22621]), payload: 'winpe' },
    ]);
    const boot = JSON.parse(await osd('boot-image', 'add', bootWim, '--json'));
    const bootId = (boot.package?.packageId ?? boot.packageId ?? boot.id) as string;
    await osd('distribute', imageId, bootId, '--dp', 'local', '--wait');
    const ts = generateInstallImageSequence(
      answersSchema.parse({
        taskSequence: { name: 'Guest install', bootImageId: content.bootImageId },
        installWindows: { imagePackageId: content.imagePackageId, imageIndex: 2, configureBitLocker: false, localAdministrator: { mode: 'randomAndDisabled' } },
        configureNetwork: { join: 'workgroup', workgroup: 'LABWG' },
        stateMigration: { captureUserSettings: false, captureNetworkSettings: false, captureWindowsSettings: false },
        includeUpdates: 'none',
      }),
      loadSiteManifest(content.siteManifestPath),
    );
    ts.items = ts.items.filter((i) => !(i.kind === 'group' && i.name === 'Setup Operating System'));
    ts.references = [];
    const file = join(dir, 'ts.xml');
    writeFileSync(file, exportXmlText(ts).split(content.imagePackageId).join(imageId));
    const pushed = JSON.parse(await osd('ts', 'push', file, '--name', 'Guest install', '--boot-image', bootId, '--json'));
    const tsId = (pushed.taskSequence?.id ?? pushed.id) as string;
    const collection = (await api('POST', '/collections', { name: 'Boot environment' })).collection.collectionId as string;
    resourceId = (await api('POST', '/devices', { name: 'GUEST-01', mac: MAC, collectionId: collection })).device.resourceId as number;
    await api('PUT', `/devices/${resourceId}/variables/OSDComputerName`, { value: 'GUEST-01' });
    const dep = JSON.parse(
      await osd('deploy', tsId, '--collection', collection, '--purpose', 'required', '--available-to', 'media-pxe', '--confirm-high-risk', '--json'),
    );
    deploymentId = (dep.deployment?.id ?? dep.id) as string;
  }, 300_000);
  afterAll(async () => server && stopServer(server.proc));

  it('DONE outcome=succeeded (exit 0): the disk deployed, the site has the run and its log', async () => {
    const disk = join(dir, 'vda.img');
    writeFileSync(disk, '');
    await import('node:fs/promises').then((fs) => fs.truncate(disk, 2 * 2 ** 30));
    const r = await runAgentProgram('deploy', `console=ttyS0 initrd=bootenv quiet osd.site=${server.url} osd.boot=pxe osd.retry=10`, { disks: [disk] });
    expect(r.code, `${r.lines.join('\n')}\n${r.stderr}`).toBe(0);
    expect(r.lines.at(-1)).toBe('OSD-AGENT DONE outcome=succeeded');
    expect(r.lines).toContainEqual(expect.stringMatching(/^OSD-AGENT: Registered with the site as GUEST-01/));
    expect(r.lines).toContainEqual(expect.stringMatching(new RegExp(`^OSD-AGENT: run .* of deployment ${deploymentId}: succeeded`)));
    const win = ntfsPartition(disk, 2, dir, 'deployed-win.img');
    expect(win.table.label).toBe('gpt');
    expect(win.read('/edition.txt')).toMatch(/Enterprise/);
    expect(win.read('/Windows/Panther/Unattend/Unattend.xml')).toMatch(/<ComputerName>GUEST-01<\/ComputerName>/);
    const runs = await api('GET', `/devices/${resourceId}/runs`);
    const run = (runs.runs ?? runs)[0] as { runId: string; result?: string };
    expect(run.result).toBe('succeeded');
    const log = await fetch(`${server.url}/api/v1/devices/${resourceId}/runs/${run.runId}/logs/smsts.log`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(log.status).toBe(200);
    // BCDBoot found no boot files in the Windows-like image: said in the log, the run still succeeded.
    expect(await log.text()).toMatch(/the image has no Windows\\Boot\\EFI\\bootmgfw\.efi/);
  }, 180_000);

  it('from boot media: the media password asked (wrong, then right), the media variables, then the site — the Required deployment already ran: DONE outcome=nothing', async () => {
    const media = join(dir, 'media-root');
    mkdirSync(join(media, 'osd'), { recursive: true });
    writeFileSync(
      join(media, MEDIA_CONFIG_PATH),
      JSON.stringify({
        schema: MEDIA_CONFIG_SCHEMA,
        media: 'bootable',
        site: server.url,
        bootEnvironment: { name: 'OpenOSD boot environment (x64)', version: 'test', architecture: 'x64', initrdSha256: '0'.repeat(64) },
        password: hashMediaPassword('s3cret'),
        variables: [{ name: 'OSDMediaNote', value: 'from the media' }],
      }),
    );
    const r = await runAgentProgram('media', `console=ttyS0 initrd=bootenv quiet osd.site=${server.url} osd.boot=media osd.retry=10`, {
      disks: [join(dir, 'vda.img')],
      mediaRoot: media,
      answers: ['wrong', 's3cret'],
    });
    expect(r.code, `${r.lines.join('\n')}\n${r.stderr}`).toBe(0);
    expect(r.lines).toContain(`OSD-AGENT: boot media for the site ${server.url} (OpenOSD boot environment (x64) test)`);
    expect(r.lines).toContain('OSD-AGENT: the media password is not correct; try again');
    expect(r.lines).toContain('OSD-AGENT: media password accepted');
    expect(r.lines).toContainEqual(expect.stringMatching(/^OSD-AGENT: Started from boot media: 1 media variable\(s\)$/));
    expect(r.lines.at(-1)).toBe('OSD-AGENT DONE outcome=nothing');
    // The password itself never reaches the console.
    expect(r.lines.join('\n')).not.toContain('s3cret');
  }, 60_000);
});
