// What the boot environment's agent reads of the computer (src/bootenv/guest/facts.ts) and of its
// kernel command line (cmdline.ts), from a fake /sys and /proc as QEMU's q35 VM shows them.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/bootenv/guest/cmdline.js';
import { guestFacts, guestProfile, pciHardwareIds, readGuestHardware } from '../../src/bootenv/guest/facts.js';
import { partitionNodeName } from '../../src/bootenv/guest/block-device-computer.js';
import { InputError } from '../../src/sequence/input-error.js';
import { fakeSysfs } from '../helpers/guest-sysfs.js';
import { tempDir } from '../helpers/temp.js';

const GiB = 2 ** 30;
const UUID = '6A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9';

describe('the computer from /sys and /proc', () => {
  it('reads UUID, firmware, MACs of real adapters, memory, disks (not removable, not mounted, not empty) and PCI IDs', () => {
    const root = tempDir('osd-sysfs-');
    const roots = fakeSysfs(root, {
      uuid: UUID,
      firmware: 'uefi',
      macs: ['52:54:00:12:34:56'],
      disks: { vda: { sizeBytes: 2 * GiB }, vdb: { sizeBytes: 1 * GiB, removable: true }, sda: { sizeBytes: 4 * GiB }, nvme0n1: { sizeBytes: 8 * GiB } },
      mounts: [`${join(root, 'dev', 'sda1')} /media ext4 rw 0 0`],
    });
    const hw = readGuestHardware(roots, 'x64');
    expect(hw).toMatchObject({ uuid: UUID, firmware: 'uefi', architecture: 'x64', memoryMB: 1498, make: 'QEMU', model: 'Standard PC (Q35 + ICH9, 2009)' });
    expect(hw.adapters).toEqual([{ name: 'eth0', mac: '52:54:00:12:34:56' }]);
    // nvme first, then virtio; sda holds a mounted file system, vdb is removable, sr0 is empty, loop0 is no disk.
    expect(hw.disks.map((d) => [d.name, d.device, d.bus, d.sizeBytes])).toEqual([
      ['nvme0n1', join(roots.dev, 'nvme0n1'), 'nvme', 8 * GiB],
      ['vda', join(roots.dev, 'vda'), 'scsi', 2 * GiB],
    ]);
    expect(pciHardwareIds(hw.pci[0]!).hardwareIds[0]).toBe('PCI\\VEN_1AF4&DEV_1000&SUBSYS_00011AF4&REV_00');

    const facts = guestFacts(hw);
    expect(facts).toEqual({
      macAddresses: ['52:54:00:12:34:56'],
      smbiosGuid: UUID,
      architecture: 'x64',
      firmware: 'uefi',
      model: 'Standard PC (Q35 + ICH9, 2009)',
      environment: 'winpe',
    });
    const profile = guestProfile(hw, 'MININT-1234');
    expect(profile).toMatchObject({ name: 'MININT-1234', firmware: 'uefi', architecture: 'x64', uuid: UUID, make: 'QEMU', memoryMB: 1498 });
    expect(profile.disks.map((d) => [d.index, d.size, d.busType])).toEqual([
      [0, 8 * GiB, 'nvme'],
      [1, 2 * GiB, 'scsi'],
    ]);
    expect(profile.networkAdapters[0]?.mac).toBe('52:54:00:12:34:56');
    expect(profile.pnpDevices[0]).toMatchObject({ class: 'Net', hardwareIds: expect.arrayContaining(['PCI\\VEN_1AF4&DEV_1000&CC_020000']) });
  });

  it('BIOS when there is no /sys/firmware/efi; no UUID when the file is missing; x86 and arm64 from Node', () => {
    const roots = fakeSysfs(tempDir('osd-sysfs-'), { firmware: 'bios', macs: ['52:54:00:00:00:02'], disks: {} });
    expect(readGuestHardware(roots, 'ia32')).toMatchObject({ firmware: 'bios', architecture: 'x86', disks: [] });
    expect(readGuestHardware(roots, 'arm64').uuid).toBeUndefined();
    expect(() => readGuestHardware(roots, 'riscv64')).toThrow(/runs on riscv64, which OpenOSD does not deploy/);
  });

  it('partition nodes by the kernel name rule', () => {
    expect(partitionNodeName('/dev/vda', 3)).toBe('/dev/vda3');
    expect(partitionNodeName('/dev/nvme0n1', 1)).toBe('/dev/nvme0n1p1');
    expect(partitionNodeName('/dev/mmcblk0', 2)).toBe('/dev/mmcblk0p2');
  });
});

describe('the kernel command line (C1)', () => {
  it('reads osd.site, osd.boot, osd.retry and osd.bootimage among the kernel’s own', () => {
    expect(parseCommandLine('console=ttyS0 initrd=bootenv quiet osd.site=http://10.0.2.2:8080/ osd.boot=pxe osd.bootimage=PS100005 osd.retry=30\n')).toEqual({
      site: 'http://10.0.2.2:8080',
      boot: 'pxe',
      bootImage: 'PS100005',
      retrySeconds: 30,
    });
    expect(parseCommandLine('osd.site="http://10.0.2.2:1" osd.boot=media')).toEqual({ site: 'http://10.0.2.2:1', boot: 'media', retrySeconds: 120 });
  });

  it.each([
    ['console=ttyS0 osd.boot=pxe', /osd\.site: is missing/],
    ['osd.site=10.0.2.2 osd.boot=pxe', /osd\.site=10\.0\.2\.2: is not a URL/],
    ['osd.site=ftp://x osd.boot=pxe', /must be an http:\/\/ or https:\/\/ URL/],
    ['osd.site=http://x', /osd\.boot: is missing/],
    ['osd.site=http://x osd.boot=usb', /osd\.boot=usb: must be pxe or media/],
    ['osd.site=http://x osd.boot=pxe osd.retry=-1', /osd\.retry=-1: must be a whole number of seconds/],
  ])('refuses %s, naming the parameter', (text, message) => {
    let error: unknown;
    try {
      parseCommandLine(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect(String((error as Error).message)).toMatch(message);
  });
});
