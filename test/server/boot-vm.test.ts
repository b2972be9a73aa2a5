/**
 * Network boot end to end in QEMU (docs/network-boot.md; netboot.md §1), against a real site server
 * on the loopback: the VM's iPXE (the NIC's ROM under SeaBIOS and OVMF) runs the TFTP root's
 * pxe.ipxe (writeTftpRoot: the stub with the cpuid long-mode check), which chains to
 * GET /boot/v1/pxe.ipxe at 10.0.2.2 (slirp's host alias, contract C4); the site decides:
 *
 * - nothing deployed → UEFI chains localboot.efi (GRUB looking for the disk's boot loader), BIOS
 *   `exit`s to SeaBIOS, which finds no bootable disk;
 * - a Required deployment to unknown computers with an x64 boot environment: an x86 BIOS computer
 *   (QEMU's qemu32 CPU, no long mode: the stub's cpuid says x86) is refused it before any download;
 * - the same boot environment whose initramfs
 *   changed on the site after it was registered → the kernel is downloaded, the initramfs is
 *   refused (409), iPXE says the boot image is not booted, and the disk boots.
 *
 * The whole deployment over PXE (boot environment, agent, restart, deployed OS) is the lead's E2E,
 * test/bootenv/netboot-e2e.test.ts; these stay small (VM tests are the slow part of `make test`).
 *
 * Skipped with the reason when QEMU, its firmware or the boot environment's tools are missing.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { copyFile, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSiteServer, type RunningSiteServer } from '../../src/server/site-server.js';
import { writeTftpRoot } from '../../src/server/boot/boot-files.js';
import { findVmTools } from '../../src/lab/vm/firmware.js';
import { qemuArgs } from '../../src/lab/vm/qemu-args.js';
import { runVm, type RunVmResult } from '../../src/lab/vm/run-vm.js';
import { ALL_UNKNOWN_COMPUTERS } from '../../src/site/seed.js';
import { kernelForTests, qemuSkipReason } from '../helpers/qemu.js';
import { bootEnvSkipReason } from '../helpers/bootenv.js';
import { fakeBootEnv } from '../site/boot-fixtures.js';
import { tempDir } from '../helpers/temp.js';

const SET_VARIABLE_XML = `<sequence version="3.10"><group name="Deploy"><step type="SMS_TaskSequence_SetVariableAction" name="Set Marker"><action>tsenv.exe "OSDMarker=1"</action><defaultVarList><variable name="VariableName" property="VariableName">OSDMarker</variable><variable name="VariableValue" property="VariableValue">1</variable></defaultVarList></step></group></sequence>`;

describe.skipIf(qemuSkipReason())('network boot in a VM', () => {
  let server: RunningSiteServer;
  let token: string;
  let guestSite: string;
  let tftp: string;
  let work: string;

  const api = async (method: string, path: string, body?: unknown) => {
    const r = await server.app.inject({
      method: method as 'GET',
      url: `/api/v1${path}`,
      headers: { authorization: `Bearer ${token}` },
      ...(body ? { payload: body as object } : {}),
    });
    return { status: r.statusCode, json: r.json() };
  };

  /** Boots a VM with a blank disk from the network until `until` shows on its console. */
  const boot = async (
    name: string,
    firmware: 'uefi' | 'bios',
    mac: string,
    until: RegExp,
    timeoutMs = 90_000,
    extraArgs: string[] = [],
  ): Promise<RunVmResult & { lines: string[] }> => {
    const tools = findVmTools()!;
    const disk = join(work, `${name}.img`);
    await writeFile(disk, '');
    await truncate(disk, 64 * 1024 * 1024);
    let varsFile: string | undefined;
    if (firmware === 'uefi') {
      varsFile = join(work, `${name}-vars.fd`);
      await copyFile(tools.ovmfVars, varsFile);
    }
    const lines: string[] = [];
    const r = await runVm({
      qemu: tools.qemu,
      args: [...qemuArgs(tools, { firmware, disks: [disk], mac, varsFile, tftpRoot: tftp }), ...extraArgs],
      serialLog: join(work, `${name}.log`),
      timeoutMs,
      success: until,
      failures: [/Kernel panic/, /PXE-E\d/],
      graceMs: 500,
      onLine: (l) => lines.push(l),
    });
    return { ...r, lines };
  };

  beforeAll(async () => {
    work = tempDir('osd-boot-vm-');
    server = await startSiteServer({ dataDir: join(work, 'site'), port: 0, sourceRoots: [tmpdir()] });
    token = readFileSync(server.adminTokenFile!, 'utf8').trim();
    guestSite = `http://10.0.2.2:${new URL(server.url).port}`;
    tftp = join(work, 'tftp');
    await writeTftpRoot(tftp, { siteUrl: guestSite });
  }, 60_000);
  afterAll(async () => server?.close());

  it('UEFI, nothing deployed: the site says so and localboot.efi looks for the disk’s boot loader', async () => {
    const r = await boot('uefi-nothing', 'uefi', '52:54:00:d0:00:01', /no boot loader on any disk/);
    expect(r.outcome, r.tail.join('\n')).toBe('marker');
    expect(r.lines.some((l) => l.includes('OpenOSD: nothing to run from PXE: no task sequence is deployed to this computer'))).toBe(true);
    expect(r.lines.some((l) => l.includes('OpenOSD: booting the disk'))).toBe(true);
    const audit = await api('GET', `/audit?objectType=pxe&objectId=${encodeURIComponent('52:54:00:D0:00:01')}`);
    expect(audit.json[0]).toMatchObject({ action: 'pxe-local', details: { firmware: 'uefi', architecture: 'x64' } });
  }, 120_000);

  it('BIOS, nothing deployed: iPXE exits to SeaBIOS, which finds no bootable disk; the site learnt the CPU is x64 from the stub’s cpuid', async () => {
    const r = await boot('bios-nothing', 'bios', '52:54:00:d0:00:02', /No bootable device/);
    expect(r.outcome, r.tail.join('\n')).toBe('marker');
    expect(r.lines.some((l) => l.includes('OpenOSD: nothing to run from PXE'))).toBe(true);
    const audit = await api('GET', `/audit?objectType=pxe&objectId=${encodeURIComponent('52:54:00:D0:00:02')}`);
    expect(audit.json[0]).toMatchObject({ action: 'pxe-local', details: { firmware: 'bios' } });
    expect(audit.json[0].details.architecture).toBe('x64');
    expect(r.lines.some((l) => l.includes('did not answer the boot request'))).toBe(false);
  }, 120_000);

  describe.skipIf(bootEnvSkipReason())('a Required deployment of a boot environment', () => {
    let packageId: string;
    let initrdSha: string;

    beforeAll(async () => {
      // A boot environment folder with Debian's real kernel (the full one's boot is the lead's E2E,
      // test/bootenv/netboot-e2e.test.ts); its initramfs never gets served here.
      const env = fakeBootEnv();
      const kernel = readFileSync(await kernelForTests());
      writeFileSync(join(env.dir, 'vmlinuz'), kernel);
      env.manifest.kernel = { ...env.manifest.kernel, bytes: kernel.length, sha256: createHash('sha256').update(kernel).digest('hex') };
      writeFileSync(join(env.dir, 'bootimage.json'), JSON.stringify(env.manifest));
      const added = await api('POST', '/boot-images/boot-environment', { sourcePath: env.dir, pxeEnabled: true });
      expect(added.status, JSON.stringify(added.json)).toBe(201);
      packageId = added.json.packageId;
      initrdSha = env.manifest.initrd.sha256;
      const t = await api('POST', '/task-sequences', { name: 'PXE test', format: 'xml', content: SET_VARIABLE_XML, bootImageId: packageId });
      expect(t.status, JSON.stringify(t.json)).toBe(201);
      const d = await api('POST', '/deployments', {
        taskSequenceId: t.json.taskSequence.id,
        collectionId: ALL_UNKNOWN_COMPUTERS,
        purpose: 'required',
        availability: 'media-pxe',
        schedules: ['asap'],
        confirmHighRisk: true,
      });
      expect(d.status, JSON.stringify(d.json)).toBe(201);
    }, 300_000);

    it('an x86 BIOS computer (a CPU without long mode) is refused the x64 boot image before any download (§5.1)', async () => {
      const r = await boot('bios-x86', 'bios', '52:54:00:d0:00:05', /No bootable device/, 90_000, ['-cpu', 'qemu32']);
      expect(r.outcome, r.tail.join('\n')).toBe('marker');
      // iPXE wraps its console at 80 columns: the reason is read across lines, whitespace aside.
      const text = r.lines.join('').replace(/\s+/g, '');
      const said =
        'OpenOSD: no boot image suits this BIOS x86 computer: the offered boot images are x64; x86 BIOS boots only x86 boot images; nothing is downloaded, the disk boots';
      expect(text).toContain(said.replace(/\s+/g, ''));
      expect(r.lines.some((l) => l.includes(`OpenOSD: boot image ${packageId}`))).toBe(false);
      const decided = await api('GET', `/audit?objectType=pxe&objectId=${encodeURIComponent('52:54:00:D0:00:05')}`);
      expect(decided.json[0]).toMatchObject({ action: 'pxe-local', details: { firmware: 'bios', architecture: 'x86' } });
    }, 120_000);

    it('is not served (409): iPXE says the boot image is not booted, and the disk boots', async () => {
      const blob = server.site.content.blobPath(initrdSha);
      const bytes = readFileSync(blob);
      bytes[bytes.length - 1] ^= 0xff;
      writeFileSync(blob, bytes);
      const r = await boot('bios-tampered', 'bios', '52:54:00:d0:00:04', /No bootable device/);
      expect(r.outcome, r.tail.join('\n')).toBe('marker');
      expect(r.lines.some((l) => l.includes(`OpenOSD: boot image ${packageId}`))).toBe(true);
      expect(r.lines.some((l) => l.includes(`the boot image ${packageId} could not be downloaded or started`))).toBe(true);
      expect(r.lines.some((l) => /Linux version|OSD-AGENT/.test(l))).toBe(false);
      const refused = await api('GET', `/audit?objectType=boot-image&objectId=${packageId}`);
      expect(refused.json[0]).toMatchObject({ action: 'pxe-refuse-file', details: { file: 'initrd.cpio.zst', expected: initrdSha } });
      const decided = await api('GET', `/audit?objectType=pxe&objectId=${encodeURIComponent('52:54:00:D0:00:04')}`);
      expect(decided.json[0]).toMatchObject({ action: 'pxe-boot', details: { bootImage: packageId, firmware: 'bios', architecture: 'x64' } });
    }, 120_000);
  });
});
