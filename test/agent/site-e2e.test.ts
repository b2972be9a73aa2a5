// The agent against a real `osd server` process (issue 12 acceptance, part): the site's own
// management point and local distribution point; an OS image uploaded and distributed; the
// wizard's WinPE phase deployed Required to a collection holding a known lab machine whose device
// variable names it; `osd lab boot NAME --site URL` runs it — the disk checked as the lab tests do,
// the site holding a status message for every instruction and the uploaded smsts.log.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab } from '../../src/lab/create.js';
import { ntfsPartition } from '../helpers/lab-disk.js';
import { LabMachine } from '../../src/lab/lab-machine.js';
import { makeTestContent, type TestContent } from '../../src/lab/test-content/index.js';
import { exportXmlText } from '../../src/sequence/codec/xml-export.js';
import { walkItems } from '../../src/sequence/model/walk.js';
import { loadSiteManifest } from '../../src/sequence/site-manifest.js';
import { answersSchema } from '../../src/sequence/wizard/answers.js';
import { generateInstallImageSequence } from '../../src/sequence/wizard/generate/index.js';
import { adminTools, callServer, runLab, startServer, stopServer, type StartedServer } from '../helpers/osd-server.js';
import { tempDir } from '../helpers/temp.js';
import { makeWim, WINPE_PROPERTIES } from '../site/objects/fixtures.js';

const ROOT = resolve(__dirname, '../..');
const MACHINES = join(ROOT, 'examples/machines');
const MAC = '00:15:5D:0C:12:07';
const MAC_X86 = '00:15:5D:0C:12:86';
const MAC_RESTART = '00:15:5D:0C:12:99';
let dir: string;
let content: TestContent;
let server: StartedServer;
let deploymentId: string;
let resourceId: number;
let stepNames: string[];
let x86ResourceId: number;
let restartResourceId: number;
let imageId64: string;
let tsXml: string;
let tsId: string;

const { osd, api } = adminTools(() => server);

beforeAll(async () => {
  dir = tempDir('osd-site-e2e-');
  content = await makeTestContent(join(dir, 'content'));
  server = await startServer(join(dir, 'site'), ['--local-dp-port', '0']);
  const image = JSON.parse(await osd('image', 'add', content.wimPath, '--json'));
  const imageId = (image.package?.packageId ?? image.packageId ?? image.id) as string;
  expect(imageId, JSON.stringify(image)).toMatch(/^[A-Z0-9]{3}[0-9A-F]{5}$/);
  // A Windows PE boot image (x64): a deployment to media and PXE needs one.
  const bootWim = await makeWim(join(dir, 'boot'), 'boot.wim', [
    { name: 'Microsoft Windows PE (x64)', description: 'WinPE', properties: WINPE_PROPERTIES(9, [10, 0, 22621]), payload: 'winpe' },
  ]);
  const boot = JSON.parse(await osd('boot-image', 'add', bootWim, '--json'));
  const bootId = (boot.package?.packageId ?? boot.packageId ?? boot.id) as string;
  expect(bootId, JSON.stringify(boot)).toMatch(/^[A-Z0-9]{3}[0-9A-F]{5}$/);
  await osd('distribute', imageId, bootId, '--dp', 'local', '--wait');

  // The wizard's WinPE phase with the site's image (the full-OS group disabled, as the lab tests do).
  const site = loadSiteManifest(content.siteManifestPath);
  const ts = generateInstallImageSequence(
    answersSchema.parse({
      taskSequence: { name: 'Site install', bootImageId: content.bootImageId },
      installWindows: { imagePackageId: content.imagePackageId, imageIndex: 2, configureBitLocker: false, localAdministrator: { mode: 'randomAndDisabled' } },
      configureNetwork: { join: 'workgroup', workgroup: 'LABWG' },
      stateMigration: { captureUserSettings: false, captureNetworkSettings: false, captureWindowsSettings: false },
      includeUpdates: 'none',
    }),
    site,
  );
  // The full-OS group (client and USMT packages this site does not hold) is left out, not just disabled:
  // a deployment refuses references to content the site lacks.
  ts.items = ts.items.filter((i) => !(i.kind === 'group' && i.name === 'Setup Operating System'));
  ts.references = [];
  stepNames = [...walkItems(ts)].filter((v) => v.item.kind === 'step').map((v) => v.item.name);
  const file = join(dir, 'ts.xml');
  tsXml = exportXmlText(ts).split(content.imagePackageId).join(imageId);
  imageId64 = imageId;
  writeFileSync(file, tsXml);
  const pushed = JSON.parse(await osd('ts', 'push', file, '--name', 'Site install', '--boot-image', bootId, '--json'));
  tsId = (pushed.taskSequence?.id ?? pushed.id) as string;

  const collection = (await api('POST', '/collections', { name: 'Lab machines' })).collection.collectionId as string;
  resourceId = (await api('POST', '/devices', { name: 'LAB-E2E-01', mac: MAC, collectionId: collection })).device.resourceId as number;
  await api('PUT', `/devices/${resourceId}/variables/OSDComputerName`, { value: 'LAB-E2E-01' });
  x86ResourceId = (await api('POST', '/devices', { name: 'LAB-E2E-X86', mac: MAC_X86, collectionId: collection })).device.resourceId as number;
  restartResourceId = (await api('POST', '/devices', { name: 'LAB-E2E-03', mac: MAC_RESTART, collectionId: collection })).device.resourceId as number;
  const dep = JSON.parse(
    await osd(
      'deploy',
      tsId,
      '--collection',
      collection,
      '--purpose',
      'required',
      '--available-to',
      'media-pxe',
      '--content-option',
      'download-when-needed',
      '--confirm-high-risk',
      '--json',
    ),
  );
  deploymentId = (dep.deployment?.id ?? dep.id) as string;
}, 300_000);
afterAll(async () => server && stopServer(server.proc));

const osdLab = (args: string[], env: { OSD_LAB_DIR: string }) => runLab(env.OSD_LAB_DIR, args);

describe('osd lab boot --site against osd server', () => {
  it('deploys the known lab machine: disk, status for every instruction, log at the site', async () => {
    const labs = join(dir, 'labs');
    await createLab(labs, 'e2e', { profilePath: join(MACHINES, 'uefi-x64-laptop-bare-metal.json'), disks: ['2G'], mac: MAC });
    const r = await osdLab(['lab', 'boot', 'e2e', '--site', server.url], { OSD_LAB_DIR: labs });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Deployment ${deploymentId} ".*": succeeded`));

    const lab = LabMachine.load(join(labs, 'e2e'));
    const win = ntfsPartition(lab.diskPath(0), 2, dir, 'win.img');
    expect(win.table.label).toBe('gpt');
    expect(win.read('/edition.txt')).toMatch(/Enterprise/);
    // The device variable of the site named the computer.
    expect(win.read('/Windows/Panther/Unattend/Unattend.xml')).toMatch(/<ComputerName>LAB-E2E-01<\/ComputerName>/);

    // The site: the run with a record per instruction, and its log.
    const runs = await api('GET', `/devices/${resourceId}/runs`);
    expect(JSON.stringify(runs)).toContain(deploymentId);
    const run = (runs.runs ?? runs)[0] as { runId: string; result?: string; steps?: unknown[] };
    expect(run.result).toBe('succeeded');
    // Every step of the sequence has its record at the site, with an outcome.
    const steps = (run as { steps: Array<{ name: string; kind: string; outcome: string }> }).steps.filter((x) => x.kind === 'step');
    for (const name of stepNames)
      expect(
        steps.map((x) => x.name),
        name,
      ).toContain(name);
    expect(steps.every((x) => x.outcome !== 'started')).toBe(true);
    const status = await api('GET', `/deployments/${deploymentId}/status`);
    expect(status.counts).toMatchObject({ success: 1, error: 0 });
    const log = await fetch(`${server.url}/api/v1/devices/${resourceId}/runs/${run.runId}/logs/smsts.log`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(log.status).toBe(200);
    expect(await log.text()).toContain(`Running deployment ${deploymentId}`);
  }, 300_000);

  it('refuses the 32-bit-only BIOS machine before anything is written, with the reason in the status and the log', async () => {
    const labs = join(dir, 'labs');
    await createLab(labs, 'x86', { profilePath: join(MACHINES, 'bios-x86-desktop.json'), disks: ['2G'], mac: MAC_X86 });
    const r = await osdLab(['lab', 'boot', 'x86', '--site', server.url], { OSD_LAB_DIR: labs });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(1);
    expect(r.stdout).toMatch(/Refused: This computer \(x86, BIOS\) cannot run deployment .*: the boot image .* is x64/);
    // Nothing on the disk: no partition table.
    const lab = LabMachine.load(join(labs, 'x86'));
    expect(() => execFileSync('sfdisk', ['--json', lab.diskPath(0)], { stdio: 'pipe' })).toThrow();
    // The site: a refused run with the reason, and the log.
    const runs = await api('GET', `/devices/${x86ResourceId}/runs`);
    const run = (runs.runs ?? runs)[0] as { runId: string; result: string };
    expect(run.result).toBe('refused');
    expect(JSON.stringify(run)).toMatch(/cannot run deployment/);
    const log = await fetch(`${server.url}/api/v1/devices/${x86ResourceId}/runs/${run.runId}/logs/smsts.log`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(await log.text()).toContain('Nothing was written to this computer');
  }, 120_000);

  it('the server restarted in the middle of a deployment: the run goes on and the site ends up with all of it', async () => {
    const labs = join(dir, 'labs');
    await createLab(labs, 'restart', { profilePath: join(MACHINES, 'uefi-x64-laptop-bare-metal.json'), disks: ['2G'], mac: MAC_RESTART });
    const dps = (await api('GET', '/distribution-points')) as unknown;
    const dpUrl = JSON.stringify(dps).match(/http:\/\/[^"]+?:(\d+)/);
    expect(dpUrl, JSON.stringify(dps)).not.toBeNull();
    const port = new URL(server.url).port;
    const booting = osdLab(['lab', 'boot', 'restart', '--site', server.url], { OSD_LAB_DIR: labs });
    // Once the site has the first step's result, the server is killed and started again on the same ports.
    for (;;) {
      const r = await callServer(server, 'GET', `/devices/${restartResourceId}/runs`);
      const steps = ((r.json?.runs ?? r.json ?? [])[0]?.steps ?? []) as Array<{ kind: string; outcome: string }>;
      if (steps.some((x) => x.kind === 'step' && x.outcome === 'succeeded')) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    await stopServer(server.proc);
    await new Promise((res) => setTimeout(res, 1000));
    server = await startServer(join(dir, 'site'), ['--local-dp-port', dpUrl![1]!, '--port', port]);
    const r = await booting;
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stderr).toMatch(/could not be reached/);
    const runs = await api('GET', `/devices/${restartResourceId}/runs`);
    const run = (runs.runs ?? runs)[0] as { result: string; steps: Array<{ name: string; kind: string; outcome: string }> };
    expect(run.result).toBe('succeeded');
    const steps = run.steps.filter((x) => x.kind === 'step');
    for (const name of stepNames)
      expect(
        steps.map((x) => x.name),
        name,
      ).toContain(name);
    expect(steps.every((x) => x.outcome !== 'started')).toBe(true);
  }, 180_000);

  it("refuses an x64 OS image on the 32-bit-only machine even with an x86 boot image (the site's image architectures)", async () => {
    const bootWim = await makeWim(join(dir, 'boot86'), 'boot.wim', [
      { name: 'Microsoft Windows PE (x86)', description: 'WinPE', properties: WINPE_PROPERTIES(0, [10, 0, 22621]), payload: 'winpe x86' },
    ]);
    const boot86 = JSON.parse(await osd('boot-image', 'add', bootWim, '--json'));
    const boot86Id = (boot86.package?.packageId ?? boot86.packageId ?? boot86.id) as string;
    await osd('distribute', boot86Id, '--dp', 'local', '--wait');
    const file = join(dir, 'ts86.xml');
    writeFileSync(file, tsXml);
    const pushed = JSON.parse(await osd('ts', 'push', file, '--name', 'Site install (x86 boot)', '--boot-image', boot86Id, '--json'));
    const tsId = (pushed.taskSequence?.id ?? pushed.id) as string;
    const collection = (await api('POST', '/collections', { name: 'Old desktops' })).collection.collectionId as string;
    const rid = (await api('POST', '/devices', { name: 'LAB-E2E-X86B', mac: '00:15:5D:0C:12:8B', collectionId: collection })).device.resourceId as number;
    await osd('deploy', tsId, '--collection', collection, '--purpose', 'required', '--available-to', 'media-pxe', '--confirm-high-risk', '--json');
    const labs = join(dir, 'labs');
    await createLab(labs, 'x86b', { profilePath: join(MACHINES, 'bios-x86-desktop.json'), disks: ['2G'], mac: '00:15:5D:0C:12:8B' });
    const r = await osdLab(['lab', 'boot', 'x86b', '--site', server.url], { OSD_LAB_DIR: labs });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(
        `"Install Operating System / Apply Operating System" applies image 2 of ${imageId64}, an x64 operating system: this computer's processor is x86 \\(32-bit\\) only`,
      ),
    );
    expect(r.stdout).not.toMatch(/the boot image/);
    const runs = await api('GET', `/devices/${rid}/runs`);
    expect(((runs.runs ?? runs)[0] as { result: string }).result).toBe('refused');
  }, 120_000);

  it("the demo's three machines at once — bare-metal UEFI x64, bare-metal BIOS x64, a known computer named by its device variable", async () => {
    const machines = [
      { lab: 'demo-uefi', name: 'LAB-UEFI', profile: 'uefi-x64-laptop-bare-metal.json', mac: '00:15:5D:0C:13:01', label: 'gpt', windows: 2 },
      { lab: 'demo-bios', name: 'LAB-BIOS', profile: 'bios-x64-desktop-bare-metal.json', mac: '00:15:5D:0C:13:02', label: 'dos', windows: 1 },
      { lab: 'demo-known', name: 'LAB-KNOWN', profile: 'uefi-x64-laptop-bare-metal.json', mac: '00:15:5D:0C:13:03', label: 'gpt', windows: 2 },
    ];
    const collection = (await api('POST', '/collections', { name: 'Demo machines' })).collection.collectionId as string;
    const ids = new Map<string, number>();
    for (const m of machines)
      ids.set(m.name, (await api('POST', '/devices', { name: m.name, mac: m.mac, collectionId: collection })).device.resourceId as number);
    await api('PUT', `/devices/${ids.get('LAB-KNOWN')}/variables/OSDComputerName`, { value: 'WS-KNOWN-01' });
    const dep = JSON.parse(
      await osd('deploy', tsId, '--collection', collection, '--purpose', 'required', '--available-to', 'media-pxe', '--confirm-high-risk', '--json'),
    );
    const demoDeployment = (dep.deployment?.id ?? dep.id) as string;
    const labs = join(dir, 'labs');
    for (const m of machines) await createLab(labs, m.lab, { profilePath: join(MACHINES, m.profile), disks: ['2G'], mac: m.mac });

    // Booted concurrently, as the demo does.
    const results = await Promise.all(machines.map((m) => osdLab(['lab', 'boot', m.lab, '--site', server.url], { OSD_LAB_DIR: labs })));
    for (const [i, r] of results.entries()) expect(r.status, `${machines[i]!.lab}\n${r.stdout}\n${r.stderr}`).toBe(0);

    for (const m of machines) {
      // The disk, as the lab tests read it: the firmware's partition style, the image on the Windows partition.
      const lab = LabMachine.load(join(labs, m.lab));
      const win = ntfsPartition(lab.diskPath(0), m.windows, dir, `${m.lab}-win.img`);
      expect(win.table.label, m.lab).toBe(m.label);
      expect(win.read('/edition.txt'), m.lab).toMatch(/Enterprise/);
      const unattend = win.read('/Windows/Panther/Unattend/Unattend.xml');
      if (m.name === 'LAB-KNOWN') expect(unattend).toMatch(/<ComputerName>WS-KNOWN-01<\/ComputerName>/);

      // The site: a succeeded run of this deployment with a record for every step, and its log.
      const runs = await api('GET', `/devices/${ids.get(m.name)}/runs`);
      const run = (
        (runs.runs ?? runs) as Array<{ runId: string; deploymentId: string; result: string; steps: Array<{ name: string; kind: string; outcome: string }> }>
      ).find((x) => x.deploymentId === demoDeployment)!;
      expect(run?.result, m.name).toBe('succeeded');
      const steps = run.steps.filter((x) => x.kind === 'step');
      for (const name of stepNames)
        expect(
          steps.map((x) => x.name),
          `${m.name}: ${name}`,
        ).toContain(name);
      // The firmware's partition step ran, the other one was skipped by its condition, in ConfigMgr's words.
      const partition = steps.filter((x) => /^Partition Disk 0/.test(x.name));
      expect(partition.map((x) => x.outcome).sort(), m.name).toEqual(['skipped', 'succeeded']);
      const log = await fetch(`${server.url}/api/v1/devices/${ids.get(m.name)}/runs/${run.runId}/logs/smsts.log`, {
        headers: { authorization: `Bearer ${server.token}` },
      });
      expect(log.status, m.name).toBe(200);
      const text = await log.text();
      expect(text).toContain(`Running deployment ${demoDeployment}`);
      expect(text).toMatch(/The task execution engine started execution/);
    }
    const status = await api('GET', `/deployments/${demoDeployment}/status`);
    expect(status.counts).toMatchObject({ success: 3, error: 0, 'in-progress': 0, unknown: 0 });
  }, 300_000);
});
