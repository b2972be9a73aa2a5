// `osd boot-image build`: the folder's files and manifest, what the initramfs holds, the same bytes twice, added drivers, bad input.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBootEnv, fetchDebianKernel } from '../../src/bootenv/build/index.js';
import { parseBootImageManifest } from '../../src/common/boot-image-manifest.js';
import { bootEnvSkipReason, buildBootEnvForTests } from '../helpers/bootenv.js';
import { tempDir } from '../helpers/temp.js';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/osd.js');
const skip = bootEnvSkipReason();

function osd(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** `cpio` over the decompressed initramfs (GNU cpio and zstd, not our own reader). */
function initrd(file: string, args: string): string {
  const r = spawnSync('sh', ['-c', `zstd -dc "$0" | cpio --quiet ${args}`, file], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`zstd -dc | cpio ${args}: ${r.stderr}`);
  return r.stdout;
}

describe.skipIf(skip)('osd boot-image build', () => {
  let dir: string;
  let listing: string[];

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('build first: npm run build (the CLI runs from dist/)');
    ({ dir } = await buildBootEnvForTests());
    listing = initrd(join(dir, 'initrd.cpio.zst'), '-it').trim().split('\n');
  }, 300_000);

  it('writes bootimage.json, vmlinuz and initrd.cpio.zst whose sizes and hashes the manifest states', () => {
    const m = parseBootImageManifest(readFileSync(join(dir, 'bootimage.json'), 'utf8'));
    expect(m).toMatchObject({ schema: 'openosd.bootenv/v1', architecture: 'x64', name: 'OpenOSD boot environment (x64)' });
    expect(m.kernel.release).toMatch(/^\d+\.\d+\.\d+-\d+-amd64$/);
    expect(m.version).toMatch(new RegExp(`^\\S+\\+osd\\.${m.agent.sha256.slice(0, 8)}$`));
    for (const f of [m.kernel, m.initrd]) {
      expect(readFileSync(join(dir, f.file)).length).toBe(f.bytes);
      expect(sha256(join(dir, f.file))).toBe(f.sha256);
    }
    expect(readFileSync(join(dir, 'initrd.cpio.zst')).subarray(0, 4)).toEqual(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])); // zstd magic
    expect(m.drivers).toEqual(expect.arrayContaining(['virtio_net', 'virtio_blk', 'virtio_pci', 'ext4', 'vfat', 'efivarfs', 'failover', 'jbd2']));
    const names = m.packages.map((p) => p.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining([`linux-image-${m.kernel.release}`, 'busybox-static', 'wimtools', 'ntfs-3g', 'mtools', 'fdisk', 'libc6']));
    // The agent bundle in the initramfs is the one the manifest names.
    const agent = spawnSync('sh', ['-c', `zstd -dc "$0" | cpio --quiet -i --to-stdout opt/osd/agent.mjs`, join(dir, 'initrd.cpio.zst')], {
      maxBuffer: 64 << 20,
    });
    expect(createHash('sha256').update(agent.stdout).digest('hex')).toBe(m.agent.sha256);
  });

  it('holds init, busybox, Node with its libraries, the disk tools, the native helpers, the modules and their index', () => {
    const release = parseBootImageManifest(readFileSync(join(dir, 'bootimage.json'), 'utf8')).kernel.release;
    const must = [
      'init',
      'bin/busybox',
      'dev/console',
      'etc/udhcpc.script',
      'etc/osd/modules',
      'usr/bin/node',
      'opt/osd/agent.mjs',
      'opt/osd/native/ntfsfs',
      'opt/osd/native/ntfsmkdir',
      'usr/sbin/sfdisk',
      'usr/sbin/sgdisk',
      'usr/sbin/mkntfs',
      'usr/bin/wimlib-imagex',
      'usr/bin/mtools',
      'usr/bin/mcopy',
      'usr/sbin/mkfs.fat',
      'usr/sbin/grub-bios-setup',
      'lib64/ld-linux-x86-64.so.2',
      'lib/x86_64-linux-gnu/libc.so.6',
      'lib/x86_64-linux-gnu/libstdc++.so.6',
      'lib/x86_64-linux-gnu/libwim.so.15',
      'lib/x86_64-linux-gnu/libntfs-3g.so.89',
      `lib/modules/${release}/modules.dep`,
      `lib/modules/${release}/kernel/drivers/net/virtio_net.ko`,
      `lib/modules/${release}/kernel/drivers/block/virtio_blk.ko`,
      `lib/modules/${release}/kernel/fs/ext4/ext4.ko`,
    ];
    expect(must.filter((p) => !listing.includes(p))).toEqual([]);
    expect(listing).toEqual([...listing].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    const long = initrd(join(dir, 'initrd.cpio.zst'), '-itv');
    expect(long).toMatch(/^lrwxrwxrwx .* usr\/bin\/mcopy -> mtools$/m);
    // Every entry root-owned with one time (SOURCE_DATE_EPOCH unset: 1970).
    expect(long.split('\n').filter((l) => l && !/ root +root /.test(l))).toEqual([]);
    // Each carried module is in modules.dep with its dependencies carried too; virtio_net loads after failover.
    const dep = initrd(join(dir, 'initrd.cpio.zst'), `-i --to-stdout lib/modules/${release}/modules.dep`);
    const lines = new Map(
      dep
        .trim()
        .split('\n')
        .map((l) => [l.split(':')[0]!, l.split(':')[1]!.trim().split(/\s+/).filter(Boolean)] as const),
    );
    for (const [mod, deps] of lines) {
      expect(listing).toContain(`lib/modules/${release}/${mod}`);
      for (const d of deps) expect(lines.has(d), `${mod} needs ${d}`).toBe(true);
    }
    expect(lines.get('kernel/drivers/net/virtio_net.ko')).toEqual(
      expect.arrayContaining(['kernel/net/core/failover.ko', 'kernel/drivers/net/net_failover.ko']),
    );
    const init = initrd(join(dir, 'initrd.cpio.zst'), '-i --to-stdout init');
    expect(init).toMatch(/^#!\/bin\/busybox sh/);
    expect(init).toContain('export PATH=/usr/sbin:/usr/bin:/sbin:/bin');
    expect(init).toContain('OSD_NTFSFS=/opt/osd/native/ntfsfs OSD_NTFSMKDIR=/opt/osd/native/ntfsmkdir');
    expect(init).toContain('/usr/bin/node /opt/osd/agent.mjs');
    expect(init).toContain('OSD-BOOTENV: $*');
    expect(init).toContain('say "the task sequence did not finish; powering off"');
  });

  it('gives the same bytes when built again from the same inputs', { timeout: 180_000 }, async () => {
    const again = tempDir('osd-bootenv-again-');
    const r = await buildBootEnv({ arch: 'x64', outDir: again, force: true });
    const first = parseBootImageManifest(readFileSync(join(dir, 'bootimage.json'), 'utf8'));
    expect(r.built).toBe(true);
    expect(r.manifest.inputs).toBe(first.inputs);
    expect(r.manifest.initrd.sha256).toBe(first.initrd.sha256);
    expect(r.manifest.kernel.sha256).toBe(first.kernel.sha256);
    expect(sha256(join(again, 'initrd.cpio.zst'))).toBe(sha256(join(dir, 'initrd.cpio.zst')));
    // Built once more without --force: the folder already holds it.
    const t = Date.now();
    const same = await buildBootEnv({ arch: 'x64', outDir: again });
    expect(same.built).toBe(false);
    expect(same.manifest.initrd.sha256).toBe(first.initrd.sha256);
    expect(Date.now() - t).toBeLessThan(30_000);
  });

  it('--drivers adds a module and the modules it depends on', { timeout: 180_000 }, async () => {
    const kernel = await fetchDebianKernel();
    const drivers = tempDir('osd-drivers-');
    // A driver that is not among the defaults: Realtek's r8169, which needs libphy and mdio_devres.
    copyFileSync(join(kernel.modulesDir, 'kernel/drivers/net/ethernet/realtek/r8169.ko'), join(drivers, 'r8169.ko'));
    // One of the firmware files r8169 names (its .modinfo firmware= list), in the folder's firmware/.
    mkdirSync(join(drivers, 'firmware', 'rtl_nic'), { recursive: true });
    writeFileSync(join(drivers, 'firmware', 'rtl_nic', 'rtl8168d-1.fw'), 'test firmware');
    const out = join(tempDir('osd-bootenv-drv-'), 'env');
    const r = osd('boot-image', 'build', '--arch', 'x64', '--drivers', drivers, '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout).manifest as { drivers: string[] };
    expect(m.drivers).toEqual(expect.arrayContaining(['r8169', 'libphy', 'mdio_devres', 'virtio_net']));
    expect(r.stderr).toMatch(/driver: r8169 from .*r8169\.ko \(needs .*libphy/);
    const list = initrd(join(out, 'initrd.cpio.zst'), '-it');
    expect(list).toContain(`lib/modules/${kernel.release}/updates/osd/r8169.ko`);
    expect(list).toContain(`lib/modules/${kernel.release}/kernel/drivers/net/phy/libphy.ko`);
    const dep = initrd(join(out, 'initrd.cpio.zst'), `-i --to-stdout lib/modules/${kernel.release}/modules.dep`);
    expect(dep).toMatch(/^updates\/osd\/r8169\.ko: .*kernel\/drivers\/net\/phy\/libphy\.ko/m);
    expect(initrd(join(out, 'initrd.cpio.zst'), '-i --to-stdout etc/osd/modules').trim().split('\n')).toContain('r8169');
    expect(initrd(join(out, 'initrd.cpio.zst'), '-i --to-stdout lib/firmware/rtl_nic/rtl8168d-1.fw')).toBe('test firmware');
    // The firmware files it names that are nowhere: said, not an error.
    expect(r.stderr).toMatch(
      /r8169: \d+ of its \d+ firmware file\(s\) are neither in the drivers folder's firmware\/ nor in \/lib\/firmware, left out: rtl_nic\//,
    );
  });
});

describe.skipIf(skip)('osd boot-image build: bad input (exit 2, naming it)', () => {
  it('an unknown architecture', () => {
    const r = osd('boot-image', 'build', '--arch', 'arm64', '--out', join(tempDir('osd-bootenv-bad-'), 'x'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--arch arm64: is not an architecture a boot environment can be built for \(x64\)/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('a drivers folder without a .ko, a missing one, a file that is no kernel module, a module for another kernel', () => {
    const empty = tempDir('osd-drivers-empty-');
    writeFileSync(join(empty, 'readme.txt'), 'no drivers here');
    let r = osd('boot-image', 'build', '--drivers', empty, '--out', join(empty, 'out'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--drivers ${empty}: the folder holds no kernel module (.ko file)`);
    expect(existsSync(join(empty, 'out'))).toBe(false);

    r = osd('boot-image', 'build', '--drivers', join(empty, 'nope'), '--out', join(empty, 'out'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the folder does not exist');

    const fake = tempDir('osd-drivers-fake-');
    writeFileSync(join(fake, 'fake.ko'), 'not an ELF file at all, but long enough to be read as one '.repeat(4));
    r = osd('boot-image', 'build', '--drivers', fake, '--out', join(fake, 'out'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(fake, 'fake.ko')}: is not a kernel module (not an ELF file)`);

    const other = tempDir('osd-drivers-other-');
    mkdirSync(join(other, 'net'));
    const elf = Buffer.alloc(256);
    elf.writeUInt32BE(0x7f454c46, 0);
    elf.write('\0name=oldnic\0vermagic=5.10.0-99-amd64 SMP mod_unload modversions \0depends=\0', 64, 'latin1');
    writeFileSync(join(other, 'net', 'oldnic.ko'), elf);
    r = osd('boot-image', 'build', '--drivers', other, '--out', join(other, 'out'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/oldnic\.ko: was built for Linux 5\.10\.0-99-amd64, not for the boot environment's kernel \S+-amd64/);
    expect(r.stderr).toMatch(/rebuild it against linux-headers-/);
  });

  it('--out naming a file', () => {
    const d = tempDir('osd-bootenv-bad-');
    writeFileSync(join(d, 'file'), '');
    const r = osd('boot-image', 'build', '--out', join(d, 'file'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is a file, not a folder');
  });
});
