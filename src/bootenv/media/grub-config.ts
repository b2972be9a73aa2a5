/**
 * What GRUB does on the boot media: the kernel command line of the boot environment (team contract
 * C1, with osd.boot=media) and the menu that loads the kernel, the boot environment's initramfs and
 * the media settings archive after it. Pure text; docs/boot-media.md shows the result.
 */

/** Paths on the media (ISO 9660 and FAT alike). */
export const MEDIA_KERNEL = '/boot/vmlinuz';
export const MEDIA_INITRD = '/boot/initrd.cpio.zst';
export const MEDIA_SETTINGS_ARCHIVE = '/boot/media.cpio';
export const MEDIA_GRUB_CFG = '/boot/grub/grub.cfg';

/**
 * C1: `console=ttyS0 initrd=bootenv quiet osd.site=<URL> osd.boot=media [osd.retry=<s>]`. The URL has
 * been checked by checkSiteUrl (no spaces, quotes or characters GRUB would read as syntax).
 */
export function mediaKernelCommandLine(site: string, retrySeconds?: number): string {
  return [
    'console=ttyS0',
    'initrd=bootenv',
    'quiet',
    `osd.site=${site}`,
    'osd.boot=media',
    ...(retrySeconds === undefined ? [] : [`osd.retry=${retrySeconds}`]),
  ].join(' ');
}

export interface MenuOptions {
  site: string;
  bootEnvName: string;
  bootEnvVersion: string;
  /** Seconds the menu waits before it boots the entry (0: at once). */
  timeoutSeconds: number;
  retrySeconds?: number;
}

/** GRUB's words in a double-quoted string: no quote, backslash or $ (the names come from our own manifest, still). */
function quoted(text: string): string {
  return `"${text.replace(/["\\$`]/g, '_')}"`;
}

/** The one grub.cfg of the media, shared by the BIOS and the UEFI boot loaders. */
export function mediaGrubConfig(o: MenuOptions): string {
  return [
    `# OpenOSD boot media: ${o.bootEnvName} ${o.bootEnvVersion}, site ${o.site}`,
    '# Written by `osd media create`; the media settings are in /boot/media.cpio (docs/boot-media.md).',
    'if [ "$grub_platform" = "pc" ]; then',
    // SeaBIOS and real BIOSes draw on the screen only: the menu goes to the first serial port too.
    '  serial --unit=0 --speed=115200',
    '  terminal_input --append serial',
    '  terminal_output --append serial',
    'fi',
    // The EFI Linux loader wants a video mode it knows ("no suitable video mode found" otherwise).
    'if [ "$grub_platform" = "efi" ]; then insmod all_video; fi',
    `set timeout=${o.timeoutSeconds}`,
    'set default=0',
    `menuentry ${quoted(`OpenOSD boot environment (${o.bootEnvVersion})`)} {`,
    `  echo ${quoted(`OSD-MEDIA: starting the boot environment ${o.bootEnvVersion} for the site ${o.site}`)}`,
    `  linux ${MEDIA_KERNEL} ${mediaKernelCommandLine(o.site, o.retrySeconds)}`,
    // The settings archive comes second: the kernel unpacks both into one root, so /osd/media.json is there.
    `  initrd ${MEDIA_INITRD} ${MEDIA_SETTINGS_ARCHIVE}`,
    '}',
    '',
  ].join('\n');
}

/**
 * The configuration built into the USB stick's own GRUB images (EFI and BIOS): find the stick's FAT
 * volume by its serial and read the media's grub.cfg from it.
 */
export function usbEarlyConfig(fatSerial: string): string {
  return [`search --no-floppy --fs-uuid --set=root ${fatSerial}`, `configfile ($root)${MEDIA_GRUB_CFG}`, ''].join('\n');
}
