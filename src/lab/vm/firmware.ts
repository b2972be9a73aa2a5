/**
 * What a lab VM needs from the machine (netboot.md "Packages and versions used"): QEMU for x86-64,
 * OVMF (UEFI), SeaBIOS (BIOS) and the iPXE option ROM of the virtio NIC, all Debian packages
 * (scripts/system-packages.sh installs them as root). No KVM is needed: QEMU runs TCG.
 */
import { existsSync } from 'node:fs';
import { findTool } from '../../storage/tools.js';

export interface VmTools {
  qemu: string;
  /** OVMF's code (read-only pflash) and the NVRAM template copied fresh per run. */
  ovmfCode: string;
  ovmfVars: string;
  /** SeaBIOS (QEMU's default BIOS; named only to check it is installed). */
  seabios: string;
  /** The virtio NIC's iPXE ROMs (QEMU loads them itself: BIOS pxe-virtio.rom, UEFI efi-virtio.rom). */
  ipxeRoms: string[];
}

/** The files, with the Debian package that ships each. */
const REQUIRED = {
  qemu: { path: 'qemu-system-x86_64', pkg: 'qemu-system-x86' },
  ovmfCode: { path: '/usr/share/OVMF/OVMF_CODE_4M.fd', pkg: 'ovmf' },
  ovmfVars: { path: '/usr/share/OVMF/OVMF_VARS_4M.fd', pkg: 'ovmf' },
  seabios: { path: '/usr/share/seabios/bios-256k.bin', pkg: 'seabios' },
  pxeRom: { path: '/usr/lib/ipxe/qemu/pxe-virtio.rom', pkg: 'ipxe-qemu' },
  efiRom: { path: '/usr/lib/ipxe/qemu/efi-virtio.rom', pkg: 'ipxe-qemu' },
} as const;

/** What is missing, each as "FILE (Debian package PKG)"; empty when a VM can run. */
export function missingVmTools(): string[] {
  const missing: string[] = [];
  for (const { path, pkg } of Object.values(REQUIRED)) {
    const found = path.startsWith('/') ? existsSync(path) : findTool(path) !== undefined;
    if (!found) missing.push(`${path} (Debian package ${pkg})`);
  }
  return missing;
}

/** Why a lab VM cannot run here, or undefined when it can. */
export function vmUnavailableReason(): string | undefined {
  const missing = missingVmTools();
  if (missing.length === 0) return undefined;
  return `QEMU or its firmware is not installed: ${missing.join(', ')} — run scripts/system-packages.sh as root`;
}

/** The tools, or undefined with `vmUnavailableReason()` saying why. */
export function findVmTools(): VmTools | undefined {
  if (missingVmTools().length) return undefined;
  return {
    qemu: findTool(REQUIRED.qemu.path)!,
    ovmfCode: REQUIRED.ovmfCode.path,
    ovmfVars: REQUIRED.ovmfVars.path,
    seabios: REQUIRED.seabios.path,
    ipxeRoms: [REQUIRED.pxeRom.path, REQUIRED.efiRom.path],
  };
}
