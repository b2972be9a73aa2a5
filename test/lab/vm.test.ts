/**
 * The bootable test OS (src/lab/test-content/bootable-os.ts) and the VM lab (`osd lab boot --vm`,
 * src/lab/vm/): the WIM's contents read back with wimlib, cpio and file headers; then real boots
 * under QEMU (TCG) of lab machines whose disks got the test OS through `osd lab create
 * --preinstalled-os` and its boot loader by file-level tools here in the test (mtools for the ESP,
 * boot.img/core.img written with plain byte copies) — UEFI and BIOS each print the marker; a time
 * limit gives exit 3; a blank disk with no site reports what the console said; a network boot
 * through slirp's TFTP and iPXE asks a site (a small HTTP server here) with the machine's MAC and UUID.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestContent, type TestContent } from '../../src/lab/test-content/index.js';
import { BOOTABLE_OS_EDITIONS, BOOTABLE_OS_FILES } from '../../src/lab/test-content/bootable-os.js';
import { guestSiteUrl, pxeScript } from '../../src/lab/vm/boot-vm.js';
import { qemuArgs } from '../../src/lab/vm/qemu-args.js';
import { kernelForTests, qemuSkipReason } from '../helpers/qemu.js';
import { partitionTable } from '../helpers/lab-disk.js';
import { tempDir } from '../helpers/temp.js';

const ROOT = resolve(import.meta.dirname, '../..');
const OSD = join(ROOT, 'bin/osd.js');
const SKIP = qemuSkipReason();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function osd(args: string[], timeoutMs = 120_000): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [OSD, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** One file of a WIM image, extracted with wimlib. */
function fromWim(wim: string, index: number, path: string, dir: string): Buffer {
  execFileSync('wimlib-imagex', ['extract', wim, String(index), `/${path}`, `--dest-dir=${dir}`, '--no-acls'], { stdio: 'ignore' });
  return readFileSync(join(dir, path.split('/').pop()!));
}

let content: TestContent;
const work = tempDir('osd-vm-');
const labDir = join(work, 'lab');

beforeAll(async () => {
  const kernel = await kernelForTests();
  content = await makeTestContent(join(work, 'content'), { bootableOs: { kernel } });
}, 300_000);

describe('the bootable test OS in the test content', () => {
  it('is an image package of its own, next to the 3-edition install.wim, in the site manifest and content.json', () => {
    expect(content.bootableOs?.packageId).toBe('LAB00012');
    expect(existsSync(content.bootableOs!.wimPath)).toBe(true);
    const site = JSON.parse(readFileSync(content.siteManifestPath, 'utf8')) as {
      imagePackages: Array<{ id: string; images: Array<{ index: number; name: string; architecture?: string; edition?: string }> }>;
    };
    expect(site.imagePackages.map((p) => p.id)).toEqual(['LAB00010', 'LAB00012']);
    expect(site.imagePackages[0]!.images).toHaveLength(3); // the Windows-like images keep working
    expect(site.imagePackages[1]!.images).toEqual([
      expect.objectContaining({ index: 1, name: 'OpenOSD Test OS Enterprise', architecture: 'x64', edition: 'Enterprise' }),
      expect.objectContaining({ index: 2, name: 'OpenOSD Test OS Pro', architecture: 'x64', edition: 'Professional' }),
    ]);
    const index = JSON.parse(readFileSync(join(content.root, 'content.json'), 'utf8')) as { packages: Record<string, string> };
    expect(index.packages.LAB00012).toBe('LAB00012');
    expect(content.bootableOs!.images.map((i) => i.marker)).toEqual(['LAB00012:1', 'LAB00012:2']);
  });

  it('holds a Windows-like tree, the kernel, the marker initramfs and GRUB for UEFI and BIOS where BCDBoot looks', () => {
    const wim = content.bootableOs!.wimPath;
    const listing = execFileSync('wimlib-imagex', ['dir', wim, '2'], { encoding: 'utf8' }).split('\n');
    for (const f of Object.values(BOOTABLE_OS_FILES)) expect(listing).toContain(`/${f}`);
    for (const f of ['/Windows/System32/config/SOFTWARE', '/Windows/Panther', '/Users/Default/NTUSER.DAT']) expect(listing).toContain(f);
    const dir = tempDir('osd-vm-wim-');
    // The kernel: a bzImage (HdrS), the one given.
    const kernel = fromWim(wim, 2, BOOTABLE_OS_FILES.kernel, dir);
    expect(kernel.toString('latin1', 0x202, 0x206)).toBe('HdrS');
    // GRUB EFI: a PE image for x86-64 (machine 0x8664).
    const efi = fromWim(wim, 2, BOOTABLE_OS_FILES.efi, dir);
    expect(efi.toString('latin1', 0, 2)).toBe('MZ');
    expect(efi.readUInt16LE(efi.readUInt32LE(0x3c) + 4)).toBe(0x8664);
    // GRUB BIOS: boot.img one sector with 55AA; core.img's block list (start 2, the other sectors, segment 0x820).
    const boot = fromWim(wim, 2, BOOTABLE_OS_FILES.biosBoot, dir);
    expect(boot.length).toBe(512);
    expect(boot.readUInt16LE(510)).toBe(0xaa55);
    const core = fromWim(wim, 2, BOOTABLE_OS_FILES.biosCore, dir);
    expect(core.readBigUInt64LE(500)).toBe(2n);
    expect(core.readUInt16LE(508)).toBe(Math.ceil(core.length / 512) - 1);
    expect(core.readUInt16LE(510)).toBe(0x820);
    // The marker of each image, and GRUB's menu passing it to the kernel.
    expect(fromWim(wim, 1, BOOTABLE_OS_FILES.markerCfg, dir).toString()).toBe('set osd_marker=LAB00012:1\n');
    expect(fromWim(wim, 2, BOOTABLE_OS_FILES.markerCfg, dir).toString()).toBe('set osd_marker=LAB00012:2\n');
    expect(fromWim(wim, 2, BOOTABLE_OS_FILES.grubCfg, dir).toString()).toMatch(/linux \/boot\/vmlinuz console=ttyS0 .*osd\.marker=\$osd_marker/);
    // The initramfs: gzip'd newc cpio with busybox, /init and /dev/console, listed by cpio itself.
    const cpio = gunzipSync(fromWim(wim, 2, BOOTABLE_OS_FILES.initrd, dir));
    const names = execFileSync('cpio', ['-t', '--quiet'], { input: cpio, encoding: 'utf8' }).trim().split('\n');
    expect(names).toEqual(['bin', 'bin/busybox', 'dev', 'dev/console', 'init', 'proc', 'sys']);
    const verbose = execFileSync('cpio', ['-tv', '--quiet'], { input: cpio, encoding: 'utf8' });
    expect(verbose).toMatch(/^crw-------.* 5, +1 .*dev\/console$/m);
    expect(cpio.toString('latin1')).toContain('DEPLOYED-OK firmware=$fw marker=$marker');
  });

  it('has the image properties of an x64 client image (the Apply OS and image conditions read them)', () => {
    const info = execFileSync('wimlib-imagex', ['info', content.bootableOs!.wimPath], { encoding: 'utf8' });
    expect(info).toMatch(/Image Count:\s+2/);
    for (const e of BOOTABLE_OS_EDITIONS) expect(info).toContain(`Name:                   ${e.name}`);
    expect(info).toMatch(/Architecture:\s+x86_64/);
    expect(info).toMatch(/Edition ID:\s+Professional/);
  });
});

describe('the QEMU command line', () => {
  it('puts disk 0 first, the NIC with the MAC second and slirp without restrict (C4); UEFI with its own NVRAM copy', () => {
    const args = qemuArgs(
      { ovmfCode: '/usr/share/OVMF/OVMF_CODE_4M.fd' },
      {
        firmware: 'uefi',
        disks: ['/l/m/disk0.img', '/l/m/disk1.img'],
        mac: '52:54:00:aa:bb:01',
        varsFile: '/l/m/state/OVMF_VARS.fd',
        tftpRoot: '/l/m/state/tftp',
        smbios: { product: 'Model, 5', uuid: '4C4C4544-0058-4B10-8032-B7C04F515732' },
      },
    ).join(' ');
    expect(args).toContain('-m 1536 -smp 1 -nographic');
    expect(args).toContain('if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd');
    expect(args).toContain('if=pflash,format=raw,file=/l/m/state/OVMF_VARS.fd');
    expect(args).toContain('virtio-blk-pci,drive=disk0,bootindex=1');
    expect(args).toMatch(/virtio-blk-pci,drive=disk1(?!,bootindex)/);
    expect(args).toContain('-netdev user,id=n0,tftp=/l/m/state/tftp,bootfile=pxe.ipxe');
    expect(args).not.toContain('restrict');
    expect(args).toContain('virtio-net-pci,netdev=n0,mac=52:54:00:aa:bb:01,bootindex=2');
    expect(args).toContain('product=Model,, 5');
    expect(args).not.toContain('-no-reboot');
  });

  it("gives the guest the site at the host's loopback alias 10.0.2.2, and iPXE a script that chains to it with the machine's identity", () => {
    expect(guestSiteUrl('http://127.0.0.1:8080')).toBe('http://10.0.2.2:8080');
    expect(guestSiteUrl('http://localhost:8080/')).toBe('http://10.0.2.2:8080');
    expect(guestSiteUrl('http://192.168.1.5:80/osd')).toBe('http://192.168.1.5/osd');
    expect(() => guestSiteUrl('https://127.0.0.1:8443')).toThrow(/plain HTTP only/);
    expect(pxeScript('http://10.0.2.2:8080')).toContain(
      'chain http://10.0.2.2:8080/boot/v1/pxe.ipxe?mac=${net0/mac}&uuid=${uuid}&platform=${platform}&buildarch=${buildarch}&arch=${osd_arch} || goto osd_failed',
    );
  });
});

/** Offset in bytes of partition `i` (0-based) of a disk image. */
function partitionOffset(disk: string, i: number): number {
  return partitionTable(disk).partitions[i]!.start * 512;
}

/** `osd lab create` with the test OS preinstalled (image `index`) — the lab's own partition, format and apply. */
async function labWithTestOs(name: string, profile: string, mac: string, index: number): Promise<string> {
  const r = await osd([
    'lab',
    'create',
    name,
    '--lab-dir',
    labDir,
    '--profile',
    join(ROOT, 'examples/machines', profile),
    '--disk',
    '512M',
    '--mac',
    mac,
    '--preinstalled-os',
    `${content.bootableOs!.wimPath}:${index}`,
  ]);
  expect(r.code, r.stderr).toBe(0);
  return join(labDir, name, 'disk0.img');
}

describe.skipIf(SKIP)(`the lab machine as a VM${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  it('UEFI: OVMF boots GRUB from the ESP, which boots the test OS from its NTFS volume: DEPLOYED-OK firmware=uefi', async () => {
    const disk = await labWithTestOs('uefi1', 'uefi-x64-laptop-bare-metal.json', '52:54:00:14:00:01', 2);
    // The boot loader where the firmware looks on removable media (what BCDBoot's copy does, C6), by mtools at the ESP's offset.
    const dir = tempDir('osd-vm-efi-');
    fromWim(content.bootableOs!.wimPath, 2, BOOTABLE_OS_FILES.efi, dir);
    const esp = `${disk}@@${partitionOffset(disk, 0)}`;
    execFileSync('mmd', ['-i', esp, '::/EFI', '::/EFI/Boot']);
    execFileSync('mcopy', ['-i', esp, join(dir, 'bootmgfw.efi'), '::/EFI/Boot/bootx64.efi']);

    const r = await osd(['lab', 'boot', 'uefi1', '--lab-dir', labDir, '--vm', '--timeout', '80', '--json'], 100_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const report = JSON.parse(r.stdout) as { outcome: string; firmware: string; deployed: Record<string, string>; serialLog: string; seconds: number };
    expect(report.outcome).toBe('marker');
    expect(report.firmware).toBe('uefi');
    expect(report.deployed).toEqual({ firmware: 'uefi', marker: 'LAB00012:2', unattend: 'no', drivers: 'no' });
    // The console went to the serial log with times, and was echoed (on stderr with --json).
    const serial = readFileSync(report.serialLog, 'utf8');
    expect(serial).toMatch(/^\[ *\d+\.\d{3}\] OSD-TESTOS: booting \/boot\/vmlinuz from hd0,gpt3 \(marker LAB00012:2\)$/m);
    expect(serial).toMatch(/^\[ *\d+\.\d{3}\] DEPLOYED-OK firmware=uefi marker=LAB00012:2/m);
    expect(r.stderr).toContain('DEPLOYED-OK firmware=uefi');
    const lab = JSON.parse(readFileSync(join(labDir, 'uefi1', 'lab.json'), 'utf8')) as { boots: Array<{ result: string; sequence: string }> };
    expect(lab.boots.at(-1)).toMatchObject({ result: 'success', sequence: '(VM, disk)' });
  }, 150_000);

  it('BIOS: SeaBIOS runs GRUB from the MBR (boot.img + core.img in the gap), which boots the test OS: DEPLOYED-OK firmware=bios', async () => {
    const disk = await labWithTestOs('bios1', 'bios-x64-desktop-bare-metal.json', '52:54:00:14:00:02', 1);
    const dir = tempDir('osd-vm-pcat-');
    const boot = fromWim(content.bootableOs!.wimPath, 1, BOOTABLE_OS_FILES.biosBoot, dir);
    fromWim(content.bootableOs!.wimPath, 1, BOOTABLE_OS_FILES.biosCore, dir); // core.img, written below as it is
    // What grub-bios-setup --no-rs-codes writes (GRUB 2.06 util/setup.c), by hand: the disk's own
    // partition table and signature kept, the boot drive 0xFF, the drive check NOP'ed; core.img from sector 1.
    const mbr = Buffer.alloc(512);
    const fd = openSync(disk, 'r');
    readSync(fd, mbr, 0, 512, 0);
    closeSync(fd);
    const code = Buffer.from(boot);
    mbr.copy(code, 0x03, 0x03, 0x5a);
    mbr.copy(code, 0x1b8, 0x1b8, 0x1fe);
    code[0x64] = 0xff;
    code[0x66] = 0x90;
    code[0x67] = 0x90;
    writeFileSync(join(dir, 'mbr.bin'), code);
    execFileSync('dd', [`if=${join(dir, 'mbr.bin')}`, `of=${disk}`, 'conv=notrunc', 'status=none']);
    execFileSync('dd', [`if=${join(dir, 'core.img')}`, `of=${disk}`, 'bs=512', 'seek=1', 'conv=notrunc', 'status=none']);
    expect(partitionTable(disk).label).toBe('dos'); // the table survived

    const r = await osd(['lab', 'boot', 'bios1', '--lab-dir', labDir, '--vm', '--timeout', '80'], 100_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^\[ *\d+\.\d\] DEPLOYED-OK firmware=bios marker=LAB00012:1 unattend=no drivers=no$/m);
    expect(r.stdout).toMatch(/^OK: the deployed OS booted after [\d.]+ s: DEPLOYED-OK firmware=bios marker=LAB00012:1/m);
  }, 150_000);

  it('a time limit stops the VM: exit 3, QEMU killed, the report says so', async () => {
    const r = await osd(['lab', 'boot', 'bios1', '--lab-dir', labDir, '--vm', '--timeout', '1.5', '--json'], 60_000);
    expect(r.code, r.stderr).toBe(3);
    const report = JSON.parse(r.stdout) as { outcome: string; message: string };
    expect(report.outcome).toBe('timeout');
    expect(report.message).toMatch(/^time limit of 1.5 s reached; QEMU \(pid (\d+)\) killed/);
    const pid = Number(/pid (\d+)/.exec(report.message)![1]);
    expect(() => process.kill(pid, 0)).toThrow(); // gone
  }, 60_000);

  it('a blank disk and no site: the VM finds nothing to boot and the harness reports what the console said (exit 1)', async () => {
    const c = await osd([
      'lab',
      'create',
      'blank1',
      '--lab-dir',
      labDir,
      '--profile',
      join(ROOT, 'examples/machines/bios-x64-desktop-bare-metal.json'),
      '--disk',
      '128M',
      '--mac',
      '52:54:00:14:00:03',
    ]);
    expect(c.code, c.stderr).toBe(0);
    const r = await osd(['lab', 'boot', 'blank1', '--lab-dir', labDir, '--vm', '--timeout', '60', '--json'], 90_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
    const report = JSON.parse(r.stdout) as { outcome: string; line?: string; message: string; tail: string[]; bootFrom: string };
    expect(report.bootFrom).toBe('disk');
    expect(report.outcome).toBe('failure');
    // The NIC's iPXE ROM got an address from slirp but no boot file.
    expect(report.line).toMatch(/Nothing to boot: /);
    expect(report.message).toMatch(/^failure seen after [\d.]+ s: Nothing to boot: /);
    expect(report.tail.join('\n')).toMatch(/iPXE[\s\S]*Configuring \(net0 52:54:00:14:00:03\)/);
  }, 120_000);

  it('network boot: slirp TFTP → iPXE → the site gets the MAC and UUID and answers a boot script; the kernel boots over HTTP from 10.0.2.2', async () => {
    const c = await osd([
      'lab',
      'create',
      'net1',
      '--lab-dir',
      labDir,
      '--profile',
      join(ROOT, 'examples/machines/bios-x64-desktop-bare-metal.json'),
      '--disk',
      '128M',
      '--mac',
      '52:54:00:14:00:04',
      '--smbios-guid',
      '0B9B7D1E-7A55-4B8C-9C1D-2F3E4A5B6C7D',
    ]);
    expect(c.code, c.stderr).toBe(0);
    const dir = tempDir('osd-vm-net-');
    const files: Record<string, Buffer> = {
      '/vmlinuz': fromWim(content.bootableOs!.wimPath, 1, BOOTABLE_OS_FILES.kernel, dir),
      '/initrd.img': fromWim(content.bootableOs!.wimPath, 1, BOOTABLE_OS_FILES.initrd, dir),
    };
    const asked: URL[] = [];
    const server: Server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
      if (url.pathname === '/boot/v1/pxe.ipxe') {
        asked.push(url);
        const base = `http://${req.headers.host}`; // the Host header: what the guest used
        res.end(`#!ipxe\nkernel ${base}/vmlinuz console=ttyS0 quiet initrd=initrd.img osd.marker=from-the-site\ninitrd ${base}/initrd.img\nboot\n`);
      } else if (files[url.pathname]) res.end(files[url.pathname]);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const r = await osd(['lab', 'boot', 'net1', '--lab-dir', labDir, '--vm', '--site', `http://127.0.0.1:${port}`, '--timeout', '80', '--json'], 100_000);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      const report = JSON.parse(r.stdout) as { bootFrom: string; guestSite: string; deployed: Record<string, string>; milestones: Record<string, number> };
      expect(report.bootFrom).toBe('network');
      // The console's milestones, in order (no boot environment here: the site's script boots the marker OS).
      const { ipxe, bootScript, marker } = report.milestones;
      expect(ipxe).toBeGreaterThan(0);
      expect(bootScript).toBeGreaterThanOrEqual(ipxe!);
      expect(marker).toBeGreaterThan(bootScript!);
      expect(report.guestSite).toBe(`http://10.0.2.2:${port}`);
      expect(report.deployed).toMatchObject({ firmware: 'bios', marker: 'from-the-site' });
      expect(asked).toHaveLength(1);
      expect(asked[0]!.host).toBe(`10.0.2.2:${port}`);
      expect(asked[0]!.searchParams.get('mac')).toBe('52:54:00:14:00:04');
      expect(asked[0]!.searchParams.get('uuid')?.toUpperCase()).toBe('0B9B7D1E-7A55-4B8C-9C1D-2F3E4A5B6C7D');
      expect(asked[0]!.searchParams.get('platform')).toBe('pcbios');
      expect(asked[0]!.searchParams.get('buildarch')).toMatch(/^(i386|x86_64)$/);
      expect(asked[0]!.searchParams.get('arch')).toBe('x64'); // cpuid: long mode
      expect(readFileSync(join(labDir, 'net1', 'state', 'tftp', 'pxe.ipxe'), 'utf8')).toContain(`chain http://10.0.2.2:${port}/boot/v1/pxe.ipxe?`);
    } finally {
      server.close();
    }
  }, 120_000);
});

describe.skipIf(SKIP)(`a task sequence deployed in the file lab, then booted as a VM${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  let ts: string;
  beforeAll(async () => {
    // The wizard's install-image sequence with the bootable test OS, image 1.
    const answers = join(work, 'answers.yaml');
    writeFileSync(
      answers,
      readFileSync(join(ROOT, 'examples/wizard/minimal-workgroup.yaml'), 'utf8')
        .replace(/imagePackageId: LAB00010.*/, 'imagePackageId: LAB00012')
        .replace(/imageIndex: 2.*/, 'imageIndex: 1'),
    );
    ts = join(work, 'testos.xml');
    const r = await osd(['ts', 'new', 'install-image', '--answers', answers, '--site', content.siteManifestPath, '--out', ts]);
    expect(r.code, r.stderr).toBe(0);
  });

  for (const [firmware, profile, mac] of [
    ['uefi', 'uefi-x64-laptop-bare-metal.json', '52:54:00:14:00:11'],
    ['bios', 'bios-x64-desktop-bare-metal.json', '52:54:00:14:00:12'],
  ] as const) {
    it(`${firmware.toUpperCase()}: partition, apply the test OS, answer file, BCDBoot (C6) — then the VM boots what was deployed`, async () => {
      const name = `ts-${firmware}`;
      const c = await osd(['lab', 'create', name, '--lab-dir', labDir, '--profile', join(ROOT, 'examples/machines', profile), '--disk', '1G', '--mac', mac]);
      expect(c.code, c.stderr).toBe(0);
      const run = await osd([
        'lab',
        'boot',
        name,
        '--lab-dir',
        labDir,
        '--ts',
        ts,
        '--content',
        content.root,
        '--secret-var',
        'OSDLocalAdminPassword=Example-Only-Pa55',
      ]);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      const log = readFileSync(join(labDir, name, 'state', 'logs', 'smsts.log'), 'utf8');
      expect(log).toContain(`Executing command line: bcdboot.exe C:\\Windows /f ${firmware.toUpperCase()}`);

      const r = await osd(['lab', 'boot', name, '--lab-dir', labDir, '--vm', '--timeout', '80', '--json'], 100_000);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      const report = JSON.parse(r.stdout) as { deployed: Record<string, string> };
      // The image the sequence chose, and the answer file Apply OS and Setup Windows left in Windows\Panther.
      expect(report.deployed).toMatchObject({ firmware, marker: 'LAB00012:1', unattend: 'yes' });
    }, 150_000);
  }
});

describe.skipIf(SKIP)(`boot media${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  it('--iso: a blank disk is skipped and the ISO (grub-mkrescue, BIOS) boots, the NIC has no boot ROM', async () => {
    const dir = tempDir('osd-vm-iso-');
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'boot', 'grub'), { recursive: true });
    writeFileSync(join(tree, 'boot', 'vmlinuz'), fromWim(content.bootableOs!.wimPath, 1, BOOTABLE_OS_FILES.kernel, dir));
    writeFileSync(join(tree, 'boot', 'initrd.img'), fromWim(content.bootableOs!.wimPath, 1, BOOTABLE_OS_FILES.initrd, dir));
    writeFileSync(
      join(tree, 'boot', 'grub', 'grub.cfg'),
      'set timeout=0\nmenuentry media {\n  linux /boot/vmlinuz console=ttyS0 quiet osd.marker=from-the-media\n  initrd /boot/initrd.img\n}\n',
    );
    const iso = join(dir, 'media.iso');
    execFileSync('grub-mkrescue', ['-o', iso, tree], { stdio: 'ignore' });
    const c = await osd([
      'lab',
      'create',
      'iso1',
      '--lab-dir',
      labDir,
      '--profile',
      join(ROOT, 'examples/machines/bios-x64-desktop-bare-metal.json'),
      '--disk',
      '128M',
      '--mac',
      '52:54:00:14:00:05',
    ]);
    expect(c.code, c.stderr).toBe(0);
    const r = await osd(['lab', 'boot', 'iso1', '--lab-dir', labDir, '--vm', '--iso', iso, '--timeout', '80', '--json'], 100_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const report = JSON.parse(r.stdout) as { bootFrom: string; iso: string; deployed: Record<string, string> };
    expect(report).toMatchObject({ bootFrom: 'iso', iso, deployed: { firmware: 'bios', marker: 'from-the-media' } });
    expect(readFileSync(join(labDir, 'iso1', 'state', 'serial.log'), 'utf8')).not.toMatch(/iPXE/); // not the network
  }, 120_000);
});

describe('osd lab boot --vm refuses what it cannot use', () => {
  it('options of the file-only lab, an https site, a missing ISO, --iso without --vm: exit 2 naming the option', async () => {
    const c = await osd([
      'lab',
      'create',
      'bad1',
      '--lab-dir',
      labDir,
      '--profile',
      join(ROOT, 'examples/machines/bios-x64-desktop-bare-metal.json'),
      '--disk',
      '128M',
    ]);
    expect(c.code, c.stderr).toBe(0);
    const cases: Array<[string[], RegExp]> = [
      [['--vm', '--ts', 'x.xml'], /--ts.*not used with --vm/],
      [['--vm', '--site', 'https://127.0.0.1:8443'], /plain HTTP only/],
      [['--vm', '--iso', join(work, 'none.iso')], /--iso .*none\.iso.*not a readable file/],
      [['--iso', join(work, 'none.iso')], /--iso.*used only with --vm/],
      [['--vm', '--timeout', 'soon'], /expected a time in seconds/],
    ];
    for (const [args, message] of cases) {
      const r = await osd(['lab', 'boot', 'bad1', '--lab-dir', labDir, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  }, 60_000);
});
