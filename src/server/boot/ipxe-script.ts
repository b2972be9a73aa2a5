/**
 * The iPXE scripts of network boot (docs/network-boot.md), as text: the per-computer answer of
 * `GET /boot/v1/pxe.ipxe` from the site's decision (src/site/boot/pxe-decision.ts), and the stub a
 * TFTP root holds that chains to it (team contract C4).
 *
 * The kernel command line is contract C1: `console=ttyS0 initrd=bootenv quiet osd.site=<URL>
 * osd.boot=pxe osd.bootimage=<PackageID>` — `initrd=bootenv` names the initrd for the kernel's EFI
 * stub under UEFI (netboot.md §1; harmless under BIOS).
 *
 * Booting the disk: `exit` hands back to the firmware, which under BIOS goes on to the next boot
 * device; under OVMF a plain `exit` falls through its own PXE and HTTP boot options (~200 s,
 * netboot.md §1), so UEFI chains `localboot.efi` (GRUB that finds the disk's boot loader) instead.
 */
import type { PxeDecision } from '../../site/boot/pxe-decision.js';

/** Text iPXE prints verbatim: no `${`, no line breaks, no characters its parser treats specially. */
export function ipxeText(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/\$/g, 'S')
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 400);
}

export interface ScriptUrls {
  /** The site as the computer reaches it, from the request's Host header: `http://10.0.2.2:8450`. */
  site: string;
}

/** How the computer boots its own disk after an iPXE script decided not to network-boot. */
export function localBootLines(platform: 'pcbios' | 'efi', urls: ScriptUrls): string[] {
  if (platform === 'pcbios') return ['exit'];
  return [`chain ${urls.site}/boot/v1/localboot.efi || goto osd_exit`, ':osd_exit', 'exit'];
}

/** The kernel command line of contract C1. */
export function kernelCommandLine(siteUrl: string, packageId: string, boot: 'pxe' | 'media' = 'pxe'): string {
  return `console=ttyS0 initrd=bootenv quiet osd.site=${siteUrl} osd.boot=${boot} osd.bootimage=${packageId}`;
}

export function renderPxeScript(decision: PxeDecision, platform: 'pcbios' | 'efi', urls: ScriptUrls): string {
  const lines = ['#!ipxe', `echo OpenOSD: ${ipxeText(decision.reason)}`];
  const local = localBootLines(platform, urls);
  if (decision.action === 'local' || !decision.bootImage) {
    lines.push(...local);
    return `${lines.join('\n')}\n`;
  }
  const b = decision.bootImage;
  const image = `${urls.site}/boot/v1/images/${encodeURIComponent(b.packageId)}`;
  if (decision.action === 'prompt') {
    lines.push(
      `prompt --timeout ${decision.prompt?.timeoutMs ?? 10000} Press any key for network boot (${ipxeText(b.name)})... && goto osd_netboot || goto osd_local`,
      ':osd_local',
      'echo OpenOSD: no key pressed, booting the disk',
      ...local,
      ':osd_netboot',
    );
  }
  lines.push(
    `echo OpenOSD: boot image ${b.packageId} (${ipxeText(b.name)}), ${b.architecture}`,
    `kernel --name vmlinuz ${image}/${encodeURIComponent(b.kernel.file)} ${kernelCommandLine(urls.site, b.packageId)} || goto osd_failed`,
    `initrd --name bootenv ${image}/${encodeURIComponent(b.initrd.file)} || goto osd_failed`,
    'boot || goto osd_failed',
    ':osd_failed',
    // A file whose hash does not match is answered 409: iPXE fails the download and nothing boots.
    `echo OpenOSD: the boot image ${b.packageId} could not be downloaded or started (\${errno}): it is not booted; the site's log says why`,
    'sleep 5',
    ...local,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * The TFTP root's `pxe.ipxe` (contract C4): chains to the site's per-computer script with the
 * computer's MAC, SMBIOS UUID, platform and build architecture. A BIOS iPXE is an i386 build even on
 * x64 hardware, so the stub asks the CPU for long mode (`cpuid --ext 29`) when its iPXE has the
 * cpuid command (checked on the FPU bit, which every x86 CPU has); else `arch` stays empty.
 */
export function pxeStubScript(siteUrl: string): string {
  const site = siteUrl.replace(/\/+$/, '');
  return [
    '#!ipxe',
    // No cpuid command (or not an x86 CPU): osd_arch stays unset, which the site reads as unknown.
    'cpuid 0 || goto osd_chain',
    'set osd_arch x86',
    'cpuid --ext 29 && set osd_arch x64 ||',
    ':osd_chain',
    `chain ${site}/boot/v1/pxe.ipxe?mac=\${net0/mac}&uuid=\${uuid}&platform=\${platform}&buildarch=\${buildarch}&arch=\${osd_arch} || goto osd_failed`,
    // The site's script ended without booting anything (it said to boot the disk): back to the firmware.
    'exit',
    ':osd_failed',
    `echo OpenOSD: the site ${site} did not answer the boot request (\${errno}); booting the disk`,
    'sleep 3',
    'exit',
    '',
  ].join('\n');
}
