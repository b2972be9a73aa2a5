/**
 * A boot environment folder as `osd boot-image build` writes it (contract C2: bootimage.json +
 * vmlinuz + initrd.cpio.zst), with made-up kernel and initramfs bytes: what the site's network boot
 * tests register and serve without building a real one (H-A's test/helpers/bootenv.ts does that).
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BootImageManifest } from '../../src/common/boot-image-manifest.js';
import { tempDir } from '../helpers/temp.js';

export interface FakeBootEnv {
  dir: string;
  manifest: BootImageManifest;
  kernel: Buffer;
  initrd: Buffer;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export function fakeBootEnv(options: { kernelBytes?: number; initrdBytes?: number; version?: string } = {}): FakeBootEnv {
  const dir = tempDir('osd-fake-bootenv-');
  const kernel = randomBytes(options.kernelBytes ?? 64 * 1024);
  const initrd = randomBytes(options.initrdBytes ?? 256 * 1024);
  writeFileSync(join(dir, 'vmlinuz'), kernel);
  writeFileSync(join(dir, 'initrd.cpio.zst'), initrd);
  const manifest: BootImageManifest = {
    schema: 'openosd.bootenv/v1',
    name: 'OpenOSD boot environment (x64)',
    architecture: 'x64',
    version: options.version ?? '6.1.0-50-amd64+osd.0badc0de',
    kernel: { file: 'vmlinuz', bytes: kernel.length, sha256: sha(kernel), release: '6.1.0-50-amd64' },
    initrd: { file: 'initrd.cpio.zst', bytes: initrd.length, sha256: sha(initrd) },
    agent: { sha256: 'a'.repeat(64) },
    drivers: ['virtio_blk', 'virtio_net'],
    packages: [{ name: 'busybox-static', version: '1:1.35.0-4+deb12u1+b1' }],
  };
  writeFileSync(join(dir, 'bootimage.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir, manifest, kernel, initrd };
}
