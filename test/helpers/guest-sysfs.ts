/**
 * A fake /sys, /proc and /dev for the boot environment's agent (src/bootenv/guest/facts.ts): the
 * files the kernel would show for a QEMU q35 VM with one virtio NIC and virtio disks. Each disk
 * image file is linked as /dev/<name> so the program finds it by the kernel's name.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GuestRoots } from '../../src/bootenv/guest/facts.js';

export interface FakeMachine {
  uuid?: string;
  firmware: 'uefi' | 'bios';
  macs: string[];
  /** Disks by kernel name: a size in bytes (a fake) or a disk-image file (linked into /dev). */
  disks: Record<string, { sizeBytes: number; file?: string; removable?: boolean }>;
  /** Lines of /proc/mounts. */
  mounts?: string[];
  memoryKb?: number;
}

function put(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `${text}\n`);
}

export function fakeSysfs(root: string, m: FakeMachine): GuestRoots {
  const sys = join(root, 'sys');
  const proc = join(root, 'proc');
  const dev = join(root, 'dev');
  mkdirSync(dev, { recursive: true });
  if (m.uuid) put(join(sys, 'class/dmi/id/product_uuid'), m.uuid.toLowerCase());
  put(join(sys, 'class/dmi/id/sys_vendor'), 'QEMU');
  put(join(sys, 'class/dmi/id/product_name'), 'Standard PC (Q35 + ICH9, 2009)');
  if (m.firmware === 'uefi') mkdirSync(join(sys, 'firmware/efi/efivars'), { recursive: true });
  put(join(sys, 'class/net/lo/address'), '00:00:00:00:00:00');
  m.macs.forEach((mac, i) => {
    put(join(sys, `class/net/eth${i}/address`), mac.toLowerCase());
    mkdirSync(join(sys, `class/net/eth${i}/device`), { recursive: true });
  });
  put(join(sys, 'class/net/ifb0/address'), 'ca:79:72:b5:e1:ba'); // virtual: no device link
  for (const [name, d] of Object.entries(m.disks)) {
    put(join(sys, 'block', name, 'size'), String(Math.floor(d.sizeBytes / 512)));
    put(join(sys, 'block', name, 'removable'), d.removable ? '1' : '0');
    if (d.file) symlinkSync(d.file, join(dev, name));
  }
  put(join(sys, 'block/sr0/size'), '0');
  put(join(sys, 'block/loop0/size'), '2048');
  // The virtio NIC and block device as PCI functions.
  put(join(sys, 'bus/pci/devices/0000:00:02.0/vendor'), '0x1af4');
  put(join(sys, 'bus/pci/devices/0000:00:02.0/device'), '0x1000');
  put(join(sys, 'bus/pci/devices/0000:00:02.0/subsystem_vendor'), '0x1af4');
  put(join(sys, 'bus/pci/devices/0000:00:02.0/subsystem_device'), '0x0001');
  put(join(sys, 'bus/pci/devices/0000:00:02.0/revision'), '0x00');
  put(join(sys, 'bus/pci/devices/0000:00:02.0/class'), '0x020000');
  put(join(proc, 'meminfo'), `MemTotal:       ${m.memoryKb ?? 1534000} kB\nMemFree:        1000000 kB`);
  put(join(proc, 'mounts'), (m.mounts ?? ['rootfs / rootfs rw 0 0', 'proc /proc proc rw 0 0']).join('\n'));
  return { sys, proc, dev };
}
