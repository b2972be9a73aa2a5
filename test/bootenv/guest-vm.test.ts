// The agent program inside the real boot environment on a VM (QEMU, TCG): the boot environment's
// kernel and initramfs started directly (-kernel/-initrd: network boot is docs/network-boot.md's
// and netboot-e2e's business) with a blank virtio disk, against a running `osd server` holding a
// Required deployment of the bootable test OS (the wizard's Windows PE phase: partition, apply, the
// answer file, BCDBoot). The agent partitions /dev/vda, formats NTFS in place on /dev/vda3 and
// applies the WIM to it, installs the boot files and ends DONE; the disk alone then starts the
// deployed OS, which prints its marker — under UEFI (OVMF) and under BIOS (SeaBIOS).
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findVmTools } from '../../src/lab/vm/firmware.js';
import { qemuArgs } from '../../src/lab/vm/qemu-args.js';
import { runVm } from '../../src/lab/vm/run-vm.js';
import { makeTestContent, type TestContent } from '../../src/lab/test-content/index.js';
import { exportXmlText } from '../../src/sequence/codec/xml-export.js';
import { loadSiteManifest } from '../../src/sequence/site-manifest.js';
import { answersSchema } from '../../src/sequence/wizard/answers.js';
import { generateInstallImageSequence } from '../../src/sequence/wizard/generate/index.js';
import { bootEnvSkipReason, buildBootEnvForTests } from '../helpers/bootenv.js';
import { adminTools, startServer, stopServer, type StartedServer } from '../helpers/osd-server.js';
import { kernelForTests, qemuSkipReason } from '../helpers/qemu.js';
import { tempDir } from '../helpers/temp.js';
import { makeWim, WINPE_PROPERTIES } from '../site/objects/fixtures.js';

const SKIP = qemuSkipReason() ?? bootEnvSkipReason();
const VMS = [
  { firmware: 'uefi', mac: '52:54:00:0e:14:c1', name: 'GUESTVM-UEFI' },
  { firmware: 'bios', mac: '52:54:00:0e:14:c2', name: 'GUESTVM-BIOS' },
] as const;

let dir: string;
let server: StartedServer;
let bootEnv: { dir: string };
let content: TestContent;
const resourceIds: Record<string, number> = {};
const { osd, api } = adminTools(() => server);

/** The smsts.log the agent uploaded for the device's last run (what a failure's lines do not say). */
async function siteLog(name: string): Promise<string> {
  const runs = await api('GET', `/devices/${resourceIds[name]}/runs`);
  const run = ((runs.runs ?? runs) as Array<{ runId: string }>)[0];
  if (!run) return '(no run at the site)';
  const r = await fetch(`${server.url}/api/v1/devices/${resourceIds[name]}/runs/${run.runId}/logs/smsts.log`, {
    headers: { authorization: `Bearer ${server.token}` },
  });
  return (await r.text()).split('\n').slice(-30).join('\n');
}

describe.skipIf(SKIP)(`the agent in the boot environment on a VM${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  beforeAll(async () => {
    dir = tempDir('osd-guest-vm-');
    bootEnv = await buildBootEnvForTests();
    content = await makeTestContent(join(dir, 'content'), { bootableOs: { kernel: await kernelForTests() } });
    const os = content.bootableOs!;
    // The guest reaches the host's loopback at 10.0.2.2 (slirp, C4): the local DP says so to computers.
    server = await startServer(join(dir, 'site'), ['--local-dp-port', '0', '--local-dp-client-url', 'http://10.0.2.2']);
    const image = JSON.parse(await osd('image', 'add', os.wimPath, '--json'));
    const imageId = (image.package?.packageId ?? image.packageId ?? image.id) as string;
    const bootWim = await makeWim(join(dir, 'boot'), 'boot.wim', [
      { name: 'Microsoft Windows PE (x64)', description: 'WinPE', properties: WINPE_PROPERTIES(9, [10, 0, 22621]), payload: 'winpe' },
    ]);
    const boot = JSON.parse(await osd('boot-image', 'add', bootWim, '--json'));
    const bootId = (boot.package?.packageId ?? boot.packageId ?? boot.id) as string;
    await osd('distribute', imageId, bootId, '--dp', 'local', '--wait');
    const ts = generateInstallImageSequence(
      answersSchema.parse({
        taskSequence: { name: 'Guest VM install', bootImageId: content.bootImageId },
        installWindows: { imagePackageId: os.packageId, imageIndex: 1, configureBitLocker: false, localAdministrator: { mode: 'randomAndDisabled' } },
        configureNetwork: { join: 'workgroup', workgroup: 'LABWG' },
        stateMigration: { captureUserSettings: false, captureNetworkSettings: false, captureWindowsSettings: false },
        includeUpdates: 'none',
      }),
      loadSiteManifest(content.siteManifestPath),
    );
    ts.items = ts.items.filter((i) => !(i.kind === 'group' && i.name === 'Setup Operating System'));
    ts.references = [];
    const file = join(dir, 'ts.xml');
    writeFileSync(file, exportXmlText(ts).split(os.packageId).join(imageId));
    const pushed = JSON.parse(await osd('ts', 'push', file, '--name', 'Guest VM install', '--boot-image', bootId, '--json'));
    const tsId = (pushed.taskSequence?.id ?? pushed.id) as string;
    const collection = (await api('POST', '/collections', { name: 'Guest VMs' })).collection.collectionId as string;
    for (const vm of VMS)
      resourceIds[vm.name] = (await api('POST', '/devices', { name: vm.name, mac: vm.mac, collectionId: collection })).device.resourceId as number;
    await osd('deploy', tsId, '--collection', collection, '--purpose', 'required', '--available-to', 'media-pxe', '--confirm-high-risk', '--json');
  }, 600_000);
  afterAll(async () => server && stopServer(server.proc));

  for (const vm of VMS) {
    it(`${vm.firmware.toUpperCase()}: DONE on the blank disk, then the disk alone starts the deployed OS`, async () => {
      // The UEFI layout's FAT32 ESP needs the gconv modules the builder puts in the initramfs (mtools).
      const initrd = join(bootEnv.dir, 'initrd.cpio.zst');
      const tools = findVmTools()!;
      const work = join(dir, vm.firmware);
      mkdirSync(work, { recursive: true });
      const disk = join(work, 'disk0.img');
      writeFileSync(disk, '');
      await truncate(disk, 2 * 2 ** 30);
      const varsFile = join(work, 'OVMF_VARS.fd');
      copyFileSync(tools.ovmfVars, varsFile);
      const base = qemuArgs(tools, { firmware: vm.firmware, disks: [disk], mac: vm.mac, varsFile });
      const port = new URL(server.url).port;
      const lines: string[] = [];
      const agent = await runVm({
        qemu: tools.qemu,
        args: [
          ...base,
          '-no-reboot',
          '-kernel',
          join(bootEnv.dir, 'vmlinuz'),
          '-initrd',
          initrd,
          '-append',
          `console=ttyS0 quiet osd.site=http://10.0.2.2:${port} osd.boot=pxe osd.retry=30`,
        ],
        serialLog: join(work, 'agent-serial.log'),
        timeoutMs: 150_000,
        success: /OSD-AGENT DONE outcome=succeeded/,
        graceMs: 8000,
        onLine: (l) => lines.push(l),
      });
      const said = `${lines.join('\n')}\n${agent.qemuErrors}${agent.outcome === 'marker' ? '' : `\nsmsts.log:\n${await siteLog(vm.name)}`}`;
      expect(agent.outcome, said).toBe('marker');
      expect(lines).toContainEqual(expect.stringMatching(/OSD-AGENT: disks: 0 = \/dev\/vda \(scsi, 2048 MiB\)/));
      expect(lines).toContainEqual(expect.stringMatching(/OSD-AGENT: Formatting \/dev\/vda\d NTFS .* in place/));
      expect(lines).toContainEqual(expect.stringMatching(/OSD-AGENT: Applying image 1 of .* to \/dev\/vda\d with wimlib-imagex/));

      const deployed = await runVm({
        qemu: tools.qemu,
        args: [...base, '-no-reboot'],
        serialLog: join(work, 'deployed-serial.log'),
        timeoutMs: 120_000,
        onLine: (l) => lines.push(l),
      });
      expect(deployed.outcome, `${lines.slice(-40).join('\n')}\n${deployed.qemuErrors}`).toBe('marker');
      expect(deployed.line).toMatch(new RegExp(`DEPLOYED-OK firmware=${vm.firmware} `));
    }, 300_000);
  }
});
