/**
 * What the boot environment knows of the computer it runs on, read from the kernel's /sys and
 * /proc (the roots are parameters, so tests give a fake tree): the SMBIOS UUID and model, the
 * network adapters' MAC addresses, the firmware (UEFI when /sys/firmware/efi exists), the memory,
 * the disks (/sys/block: virtio vd*, SCSI/SATA sd*, NVMe nvme*n*, eMMC mmcblk*) and the PCI devices
 * with their Windows-style hardware IDs (for Auto Apply Drivers). From them: the MachineFacts the
 * site finds the computer by (§3.2) and a machine profile for the task sequence's conditions.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineFacts } from '../../agent/protocol.js';
import { parseMachineProfile } from '../../engine/machine-profile/index.js';
import type { MachineProfile } from '../../engine/machine-profile/schema.js';

export interface GuestRoots {
  /** The sysfs mount (default /sys). */
  sys: string;
  /** The procfs mount (default /proc). */
  proc: string;
  /** Where device nodes are (default /dev). */
  dev: string;
}

export const DEFAULT_ROOTS: GuestRoots = { sys: '/sys', proc: '/proc', dev: '/dev' };

export interface GuestDisk {
  /** The kernel's name: vda, sda, nvme0n1. */
  name: string;
  /** Its node: /dev/vda. */
  device: string;
  sizeBytes: number;
  bus: 'scsi' | 'sata' | 'nvme' | 'mmc' | 'usb';
  model?: string;
}

export interface GuestAdapter {
  /** eth0 */
  name: string;
  /** Upper case with colons. */
  mac: string;
}

export interface GuestPciDevice {
  /** 0000:00:02.0 */
  address: string;
  vendor: string;
  device: string;
  subsystem: string;
  revision: string;
  /** The PCI class code, six hex digits (020000: Ethernet). */
  classCode: string;
}

export interface GuestHardware {
  uuid?: string;
  make?: string;
  model?: string;
  firmware: 'uefi' | 'bios';
  architecture: 'x64' | 'x86' | 'arm64';
  memoryMB: number;
  adapters: GuestAdapter[];
  disks: GuestDisk[];
  pci: GuestPciDevice[];
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function list(path: string): string[] {
  try {
    return readdirSync(path).sort();
  } catch {
    return [];
  }
}

const DISK_NAME = /^(vd[a-z]+|sd[a-z]+|xvd[a-z]+|nvme\d+n\d+|mmcblk\d+)$/;
const GUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

/** The processor architecture of this Node (the boot environment's is the computer's). */
export function architectureOf(arch: string = process.arch): GuestHardware['architecture'] {
  if (arch === 'x64') return 'x64';
  if (arch === 'ia32') return 'x86';
  if (arch === 'arm64') return 'arm64';
  throw new Error(`the boot environment runs on ${arch}, which OpenOSD does not deploy (x64, x86, arm64)`);
}

function busOf(name: string, sysBlock: string): GuestDisk['bus'] {
  if (name.startsWith('nvme')) return 'nvme';
  if (name.startsWith('mmcblk')) return 'mmc';
  // Windows shows virtio-blk and Xen disks as SCSI; a USB stick's sd* has "usb" in its device path.
  if (name.startsWith('vd') || name.startsWith('xvd')) return 'scsi';
  const device = read(join(sysBlock, name, 'device', 'uevent')) ?? '';
  return /usb/i.test(device) ? 'usb' : 'sata';
}

/** Reads the computer's hardware from the roots (nothing is required but /proc/meminfo's absence is tolerated too). */
export function readGuestHardware(roots: GuestRoots = DEFAULT_ROOTS, arch: string = process.arch): GuestHardware {
  const dmi = join(roots.sys, 'class', 'dmi', 'id');
  const uuid = read(join(dmi, 'product_uuid'))?.toUpperCase();
  const adapters: GuestAdapter[] = [];
  for (const name of list(join(roots.sys, 'class', 'net'))) {
    // Only adapters on a bus (a `device` link): not lo, bridges, tunnels or ifb.
    if (name === 'lo' || !existsSync(join(roots.sys, 'class', 'net', name, 'device'))) continue;
    const mac = read(join(roots.sys, 'class', 'net', name, 'address'))?.toUpperCase();
    // Loopback-like and virtual interfaces without a hardware address are not adapters the site knows.
    if (!mac || !/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/.test(mac) || mac === '00:00:00:00:00:00') continue;
    adapters.push({ name, mac });
  }
  const sysBlock = join(roots.sys, 'block');
  const disks: GuestDisk[] = [];
  // A disk with a mounted file system is in use (the boot medium; a host's own disk, were this run
  // outside the boot environment): never a deployment's target.
  const mounted = (read(join(roots.proc, 'mounts')) ?? '').split('\n').map((l) => l.split(' ')[0] ?? '');
  for (const name of list(sysBlock)) {
    if (!DISK_NAME.test(name)) continue;
    const node = join(roots.dev, name);
    if (mounted.some((m) => m === node || (m.startsWith(node) && /^p?\d+$/.test(m.slice(node.length))))) continue;
    // Removable media (the boot USB stick, a card reader) are never a deployment's target disk.
    if (read(join(sysBlock, name, 'removable')) === '1') continue;
    const sectors = Number(read(join(sysBlock, name, 'size')) ?? '0');
    if (!(sectors > 0)) continue;
    const model = read(join(sysBlock, name, 'device', 'model'));
    disks.push({ name, device: node, sizeBytes: sectors * 512, bus: busOf(name, sysBlock), ...(model ? { model } : {}) });
  }
  // Disk 0 is the first NVMe, then virtio, then SCSI/SATA (the order Windows PE usually numbers them in).
  const rank = (d: GuestDisk) => (d.bus === 'nvme' ? 0 : d.name.startsWith('vd') || d.name.startsWith('xvd') ? 1 : 2);
  disks.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name, 'en', { numeric: true }));
  const pci: GuestPciDevice[] = [];
  const pciRoot = join(roots.sys, 'bus', 'pci', 'devices');
  for (const address of list(pciRoot)) {
    const hex = (file: string, width: number) => (read(join(pciRoot, address, file)) ?? '0x0').replace(/^0x/i, '').toUpperCase().padStart(width, '0');
    pci.push({
      address,
      vendor: hex('vendor', 4),
      device: hex('device', 4),
      subsystem: `${hex('subsystem_device', 4)}${hex('subsystem_vendor', 4)}`,
      revision: hex('revision', 2),
      classCode: hex('class', 6),
    });
  }
  const meminfo = read(join(roots.proc, 'meminfo')) ?? '';
  const kb = Number(/^MemTotal:\s+(\d+) kB/m.exec(meminfo)?.[1] ?? '0');
  return {
    ...(uuid && GUID.test(uuid) ? { uuid } : {}),
    ...(read(join(dmi, 'sys_vendor')) ? { make: read(join(dmi, 'sys_vendor')) } : {}),
    ...(read(join(dmi, 'product_name')) ? { model: read(join(dmi, 'product_name')) } : {}),
    firmware: existsSync(join(roots.sys, 'firmware', 'efi')) ? 'uefi' : 'bios',
    architecture: architectureOf(arch),
    memoryMB: Math.max(64, Math.floor(kb / 1024)),
    adapters,
    disks,
    pci,
  };
}

/** Windows' hardware IDs of a PCI device, most specific first (PCI\VEN_1AF4&DEV_1000&SUBSYS_00011AF4&REV_00 …). */
export function pciHardwareIds(d: GuestPciDevice): { hardwareIds: string[]; compatibleIds: string[] } {
  const base = `PCI\\VEN_${d.vendor}&DEV_${d.device}`;
  return {
    hardwareIds: [
      `${base}&SUBSYS_${d.subsystem}&REV_${d.revision}`,
      `${base}&SUBSYS_${d.subsystem}`,
      `${base}&CC_${d.classCode}`,
      `${base}&CC_${d.classCode.slice(0, 4)}`,
    ],
    compatibleIds: [
      `${base}&REV_${d.revision}`,
      base,
      `PCI\\VEN_${d.vendor}&CC_${d.classCode}`,
      `PCI\\VEN_${d.vendor}&CC_${d.classCode.slice(0, 4)}`,
      `PCI\\VEN_${d.vendor}`,
    ],
  };
}

/** The setup class Windows files a PCI device under, from its class code. */
function pnpClass(classCode: string): string {
  const base = classCode.slice(0, 2);
  if (base === '02') return 'Net';
  if (base === '01') return 'SCSIAdapter';
  if (base === '03') return 'Display';
  if (classCode.startsWith('0C03')) return 'USB';
  if (base === '04') return 'MEDIA';
  return 'System';
}

/** The machine profile the engine's conditions and Auto Apply Drivers read, from the hardware. */
export function guestProfile(hw: GuestHardware, name: string): MachineProfile {
  const input = {
    schema: 'openosd.machine-profile/v1',
    name,
    description: 'this computer, as the boot environment found it (/sys, /proc)',
    architecture: hw.architecture,
    firmware: hw.firmware,
    make: hw.make || 'Unknown',
    model: hw.model || 'Unknown',
    ...(hw.uuid ? { uuid: hw.uuid } : {}),
    memoryMB: hw.memoryMB,
    networkAdapters: hw.adapters.map((a) => ({ mac: a.mac, name: a.name })),
    disks: hw.disks.map((d, index) => ({ index, size: d.sizeBytes, busType: d.bus, ...(d.model ? { model: d.model } : {}) })),
    pnpDevices: hw.pci.map((d) => ({
      deviceId: `PCI\\VEN_${d.vendor}&DEV_${d.device}&SUBSYS_${d.subsystem}&REV_${d.revision}\\${d.address.replace(/[:.]/g, '&')}`,
      name: `PCI device ${d.vendor}:${d.device} (${d.address})`,
      class: pnpClass(d.classCode),
      ...pciHardwareIds(d),
    })),
  };
  return parseMachineProfile(JSON.stringify(input), 'the boot environment’s machine profile');
}

/** The facts the agent registers with (Windows PE's environment: the boot environment stands for it). */
export function guestFacts(hw: GuestHardware): MachineFacts {
  return {
    macAddresses: hw.adapters.map((a) => a.mac),
    ...(hw.uuid ? { smbiosGuid: hw.uuid } : {}),
    architecture: hw.architecture,
    firmware: hw.firmware,
    ...(hw.model ? { model: hw.model } : {}),
    environment: 'winpe',
  };
}
