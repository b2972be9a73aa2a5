/**
 * The QEMU command line of a lab VM (netboot.md §1, plan contract C4), as an argument list (QEMU is
 * spawned directly, never through a shell):
 *
 * - q35, `-m 1536 -smp 1`, TCG (no KVM here), `-nographic`: the serial console on stdout;
 * - UEFI: OVMF_CODE_4M.fd read-only + the machine's own copy of OVMF_VARS_4M.fd; BIOS: SeaBIOS (default);
 * - the disk images as raw virtio-blk, disk 0 first in the boot order (`bootindex=1`): a blank
 *   disk is skipped at once, so the first boot goes to the network and the restart after the
 *   deployment boots the disk without asking the site (netboot.md "Boot order");
 * - virtio-net on QEMU user networking (slirp) WITHOUT `restrict=on`, so the guest reaches the
 *   host's loopback as 10.0.2.2 (C4); its built-in TFTP serves `tftp/` and BOOTP names `pxe.ipxe`,
 *   which the NIC's iPXE ROM runs (BIOS: pxe-virtio.rom, UEFI: efi-virtio.rom boots itself);
 * - or `--iso`: the ISO as a CD-ROM second in the boot order, the NIC not bootable;
 * - SMBIOS type 1 from the machine profile (make, model, serial, UUID), so the agent's facts are the profile's.
 * No `-no-reboot`: a restart stays in the same QEMU process, as a real computer's does.
 */
import type { VmTools } from './firmware.js';

export type VmFirmware = 'uefi' | 'bios';

export interface VmSpec {
  firmware: VmFirmware;
  /** Raw disk images, disk 0 first. */
  disks: string[];
  /** The NIC's MAC address (xx:xx:xx:xx:xx:xx). */
  mac: string;
  /** Where the UEFI NVRAM copy is (required for UEFI). */
  varsFile?: string;
  /** slirp's TFTP root (holding pxe.ipxe): network boot. */
  tftpRoot?: string;
  /** Boot this ISO (second, after the disk) instead of the network. */
  iso?: string;
  memoryMB?: number;
  smbios?: { manufacturer?: string; product?: string; serial?: string; uuid?: string };
}

/** A value inside a QEMU option list: commas are doubled. */
function q(value: string): string {
  return value.replace(/,/g, ',,');
}

export function qemuArgs(tools: Pick<VmTools, 'ovmfCode'>, spec: VmSpec): string[] {
  const args = ['-machine', 'q35', '-m', String(spec.memoryMB ?? 1536), '-smp', '1', '-nographic', '-no-user-config'];
  if (spec.firmware === 'uefi') {
    if (!spec.varsFile) throw new Error('a UEFI VM needs its NVRAM file (varsFile)');
    args.push('-drive', `if=pflash,format=raw,readonly=on,file=${q(tools.ovmfCode)}`, '-drive', `if=pflash,format=raw,file=${q(spec.varsFile)}`);
  }
  spec.disks.forEach((disk, i) => {
    args.push('-drive', `file=${q(disk)},format=raw,if=none,id=disk${i},cache=unsafe`);
    args.push('-device', `virtio-blk-pci,drive=disk${i}${i === 0 ? ',bootindex=1' : ''}`);
  });
  if (spec.iso) {
    args.push('-drive', `file=${q(spec.iso)},format=raw,if=none,id=cd0,media=cdrom,readonly=on`);
    args.push('-device', 'ide-cd,drive=cd0,bus=ide.0,bootindex=2');
  }
  const netdev = ['user', 'id=n0'];
  if (spec.tftpRoot && !spec.iso) netdev.push(`tftp=${q(spec.tftpRoot)}`, 'bootfile=pxe.ipxe');
  args.push('-netdev', netdev.join(','));
  // Booting the ISO: the NIC has no boot ROM, so the firmware does not try the network after the disc.
  args.push('-device', `virtio-net-pci,netdev=n0,mac=${spec.mac}${spec.iso ? ',romfile=' : ',bootindex=2'}`);
  const s = spec.smbios ?? {};
  const type1 = [
    'type=1',
    ...(s.manufacturer ? [`manufacturer=${q(s.manufacturer)}`] : []),
    ...(s.product ? [`product=${q(s.product)}`] : []),
    ...(s.serial ? [`serial=${q(s.serial)}`] : []),
    ...(s.uuid ? [`uuid=${s.uuid}`] : []),
  ];
  if (type1.length > 1) args.push('-smbios', type1.join(','));
  if (s.uuid) args.push('-uuid', s.uuid);
  return args;
}

/** A MAC address as QEMU wants it (lower-case, colons), or undefined when it is not one. */
export function qemuMac(mac: string): string | undefined {
  const hex = mac.trim().replace(/[-:]/g, '');
  if (!/^[0-9A-Fa-f]{12}$/.test(hex)) return undefined;
  return hex.toLowerCase().match(/../g)!.join(':');
}
