/**
 * The firmware-side boot files (src/server/boot/boot-files.ts, ipxe-script.ts): the TFTP root a PXE
 * responder or QEMU's TFTP serves — the pxe.ipxe stub chaining to the site with the computer's
 * identity (C4), iPXE's network boot programs from Debian, localboot.efi built by grub-mkstandalone
 * (a PE image with our GRUB configuration inside) — and what a script may print.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IPXE_DIR, LOCALBOOT_GRUB_CFG, writeTftpRoot } from '../../src/server/boot/boot-files.js';
import { ipxeText, kernelCommandLine, pxeStubScript } from '../../src/server/boot/ipxe-script.js';
import { findTool } from '../../src/storage/tools.js';
import { tempDir } from '../helpers/temp.js';

const missing = !existsSync(join(IPXE_DIR, 'snponly.efi'))
  ? `${IPXE_DIR}/snponly.efi is missing (Debian package ipxe; scripts/system-packages.sh installs it)`
  : !findTool('grub-mkstandalone')
    ? 'grub-mkstandalone is missing (Debian package grub-efi-amd64-bin)'
    : undefined;

describe('boot files', () => {
  it('the pxe.ipxe stub chains to the site with MAC, UUID, platform, build architecture and the cpuid long-mode check', () => {
    const s = pxeStubScript('http://192.168.77.1:8450/');
    expect(s.startsWith('#!ipxe\n')).toBe(true);
    expect(s).toContain(
      'chain http://192.168.77.1:8450/boot/v1/pxe.ipxe?mac=${net0/mac}&uuid=${uuid}&platform=${platform}&buildarch=${buildarch}&arch=${osd_arch} || goto osd_failed',
    );
    expect(s.split('\n').slice(1, 4)).toEqual(['cpuid 0 || goto osd_chain', 'set osd_arch x86', 'cpuid --ext 29 && set osd_arch x64 ||']);
    expect(kernelCommandLine('http://10.0.2.2:8450', 'PS100004')).toBe(
      'console=ttyS0 initrd=bootenv quiet osd.site=http://10.0.2.2:8450 osd.boot=pxe osd.bootimage=PS100004',
    );
    // Nothing a name or reason holds can expand or break a script line.
    expect(ipxeText('a ${net0/mac}\nb\u00e9')).toBe('a S{net0/mac} b?');
  });

  it.skipIf(missing)('writes a TFTP root: the stub, snponly.efi, undionly.kpxe, ipxe.efi and localboot.efi', async () => {
    const dir = tempDir('osd-tftp-root-');
    const files = await writeTftpRoot(dir, { siteUrl: 'http://10.0.2.2:8450' });
    expect(files).toEqual(['pxe.ipxe', 'snponly.efi', 'undionly.kpxe', 'ipxe.efi', 'localboot.efi']);
    expect(readFileSync(join(dir, 'pxe.ipxe'), 'utf8')).toContain('chain http://10.0.2.2:8450/boot/v1/pxe.ipxe?');
    expect(readFileSync(join(dir, 'snponly.efi')).equals(readFileSync(join(IPXE_DIR, 'snponly.efi')))).toBe(true);
    const efi = readFileSync(join(dir, 'localboot.efi'));
    expect(efi.subarray(0, 2).toString('latin1')).toBe('MZ');
    expect(statSync(join(dir, 'localboot.efi')).size).toBeLessThan(4 * 1024 * 1024);
    // The configuration travels inside the image (a memdisk tar), so the search lines are in its bytes.
    expect(efi.includes(Buffer.from('/EFI/Microsoft/Boot/bootmgfw.efi'))).toBe(true);
    expect(LOCALBOOT_GRUB_CFG).toContain('chainloader ($osd_esp)/EFI/BOOT/BOOTX64.EFI');
  });

  it('refuses a site URL iPXE cannot use', async () => {
    const dir = tempDir('osd-tftp-root-');
    await expect(writeTftpRoot(dir, { siteUrl: 'not a url' })).rejects.toMatchObject({ kind: 'bad-input', input: 'siteUrl' });
    await expect(writeTftpRoot(dir, { siteUrl: 'https://site.contoso.com' })).rejects.toMatchObject({
      kind: 'bad-input',
      rule: expect.stringContaining('not an http:// URL'),
    });
  });
});
