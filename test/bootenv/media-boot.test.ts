/**
 * Boot media booted in QEMU (docs/boot-media.md "Tests"): the ISO and the USB image start under
 * UEFI (OVMF) and BIOS (SeaBIOS), GRUB loads the kernel with the media's command line and the
 * settings archive, and — with the real boot environment — the agent turns to the media's site.
 *
 * 1. The media themselves, with the Debian kernel and a small initramfs that prints what it was
 *    given (/proc/cmdline, /osd/media.json, the firmware) and powers off: ISO and USB, each firmware.
 * 2. The real boot environment (`buildBootEnvForTests`, test/helpers/bootenv.ts) from the ISO, each
 *    firmware, against a site nobody answers: the agent names the media's URL, then FAILED.
 * QEMU runs TCG; each boot is given at most ~90 s. No QEMU or firmware: skipped with the reason.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCpio, type CpioEntry } from '../../src/bootenv/build/cpio.js';
import { createMedia } from '../../src/bootenv/media/create.js';
import { bootEnvSkipReason, buildBootEnvForTests } from '../helpers/bootenv.js';
import { kernelForTests, qemuSkipReason } from '../helpers/qemu.js';
import { tempDir } from '../helpers/temp.js';

const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

/** Why these boots cannot run here (QEMU and firmware: the team's check; GRUB and busybox: the media's own), or undefined. */
function skipReason(): string | undefined {
  const vm = qemuSkipReason();
  if (vm) return vm;
  if (!existsSync('/usr/lib/grub/i386-pc/kernel.img') || !existsSync('/usr/lib/grub/x86_64-efi/kernel.img'))
    return 'GRUB is not installed (grub-pc-bin, grub-efi-amd64-bin)';
  if (spawnSync('busybox', ['true']).status !== 0) return 'busybox is not installed (busybox-static)';
  return undefined;
}
const SKIP = skipReason();

type Firmware = 'uefi' | 'bios';

interface Boot {
  outcome: 'matched' | 'failure' | 'exited' | 'time limit';
  lines: string[];
  seconds: number;
}

/**
 * Boots `media` (an ISO as a CD, or a USB image as a disk) and reads the serial console until a line
 * matches `until` (or `failure`), QEMU exits, or the time limit; QEMU is then stopped by its pid.
 */
async function bootMedia(o: {
  media: string;
  kind: 'iso' | 'usb';
  firmware: Firmware;
  dir: string;
  until: RegExp;
  failure?: RegExp;
  seconds: number;
}): Promise<Boot> {
  const args = ['-machine', 'q35', '-m', '1536', '-smp', '1', '-nographic', '-no-reboot', '-nic', 'user,model=virtio-net-pci'];
  if (o.firmware === 'uefi') {
    const vars = join(o.dir, `vars-${o.kind}.fd`);
    copyFileSync(OVMF_VARS, vars);
    args.push('-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`, '-drive', `if=pflash,format=raw,file=${vars}`);
  }
  if (o.kind === 'iso') args.push('-drive', `file=${o.media},media=cdrom,format=raw,readonly=on`);
  else args.push('-drive', `file=${o.media},format=raw,if=none,id=usb0,snapshot=on`, '-device', 'virtio-blk-pci,drive=usb0,bootindex=1');
  const t0 = Date.now();
  const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(join(o.dir, `serial-${o.kind}-${o.firmware}.log`));
  const lines: string[] = [];
  let pending = '';
  return new Promise<Boot>((resolve) => {
    let settled = false;
    const finish = (outcome: Boot['outcome']): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (qemu.exitCode === null && qemu.pid) process.kill(qemu.pid, 'SIGKILL');
      log.end();
      resolve({ outcome, lines, seconds: (Date.now() - t0) / 1000 });
    };
    const timer = setTimeout(() => finish('time limit'), o.seconds * 1000);
    qemu.stdout.on('data', (b: Buffer) => {
      log.write(b);
      pending += b.toString('latin1');
      const parts = pending.split(/\r?\n/);
      pending = parts.pop()!;
      for (const raw of parts) {
        const line = raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').trim();
        if (!line) continue;
        lines.push(line);
        if (o.until.test(line)) finish('matched');
        else if (o.failure?.test(line)) finish('failure');
      }
    });
    qemu.on('exit', () => finish('exited'));
  });
}

/** A TCP port on this machine nobody listens on (taken, then given back). */
async function unusedPort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A boot environment folder (C2) with the Debian kernel and an initramfs that reports what it was given. */
async function reportingBootEnv(dir: string): Promise<void> {
  const vmlinuz = await kernelForTests();
  const release = /vmlinuz-(.+)$/.exec(vmlinuz)?.[1] ?? 'unknown';
  const init = [
    '#!/bin/busybox sh',
    '/bin/busybox mkdir -p /proc /sys',
    '/bin/busybox mount -t proc proc /proc',
    '/bin/busybox mount -t sysfs sysfs /sys',
    'echo "MEDIA-TEST: cmdline $(/bin/busybox cat /proc/cmdline)"',
    'echo "MEDIA-TEST: media.json $(/bin/busybox tr -d "\\n" < /osd/media.json)"',
    'if [ -d /sys/firmware/efi ]; then fw=uefi; else fw=bios; fi',
    'echo "MEDIA-TEST: firmware=$fw done"',
    '/bin/busybox poweroff -f',
    '',
  ].join('\n');
  const entries: CpioEntry[] = [
    { kind: 'dir', path: 'bin' },
    { kind: 'file', path: 'bin/busybox', mode: 0o755, source: '/bin/busybox', size: readFileSync('/bin/busybox').length },
    { kind: 'data', path: 'init', mode: 0o755, data: Buffer.from(init) },
  ];
  const raw = join(dir, 'initrd.cpio');
  const out = createWriteStream(raw);
  await writeCpio(entries, out);
  out.end();
  await once(out, 'close');
  const z = spawnSync('zstd', ['-q', '-f', '-10', raw, '-o', join(dir, 'initrd.cpio.zst')]);
  expect(z.status, z.stderr.toString()).toBe(0);
  copyFileSync(vmlinuz, join(dir, 'vmlinuz'));
  const size = (f: string): number => readFileSync(join(dir, f)).length;
  writeFileSync(
    join(dir, 'bootimage.json'),
    JSON.stringify({
      schema: 'openosd.bootenv/v1',
      name: 'media test environment (x64)',
      architecture: 'x64',
      version: `${release}+osd.mediatst`,
      kernel: { file: 'vmlinuz', bytes: size('vmlinuz'), sha256: sha(join(dir, 'vmlinuz')), release },
      initrd: { file: 'initrd.cpio.zst', bytes: size('initrd.cpio.zst'), sha256: sha(join(dir, 'initrd.cpio.zst')) },
      agent: { sha256: '0'.repeat(64), placeholder: true },
      drivers: [],
      packages: [],
    }),
  );
}

describe.skipIf(SKIP)(`boot media in QEMU: what GRUB hands the kernel${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  const dir = tempDir('osd-media-boot-');
  const SITE = 'http://10.0.2.2:9';
  let iso = '';
  let usb = '';

  it('makes the media of a small reporting boot environment', { timeout: 240_000 }, async () => {
    await reportingBootEnv(dir);
    iso = join(dir, 'media.iso');
    usb = join(dir, 'media.img');
    await createMedia({ bootEnv: dir, site: SITE, iso, usb, menuTimeoutSeconds: 0, retrySeconds: 5, variables: ['OSDComputerName=MEDIA1'] });
  });

  for (const kind of ['iso', 'usb'] as const) {
    for (const firmware of ['uefi', 'bios'] as const) {
      it(
        `${kind.toUpperCase()} under ${firmware === 'uefi' ? 'UEFI (OVMF)' : 'BIOS (SeaBIOS)'}: the kernel gets C1 with osd.boot=media and /osd/media.json`,
        { timeout: 120_000 },
        async () => {
          expect(iso, 'the media were made').not.toBe('');
          const b = await bootMedia({
            media: kind === 'iso' ? iso : usb,
            kind,
            firmware,
            dir,
            until: /MEDIA-TEST: firmware=\w+ done/,
            failure: /Kernel panic|No bootable device|error: /,
            seconds: 90,
          });
          const said = b.lines.slice(-15).join('\n');
          expect(b.outcome, `${b.seconds}s; last lines:\n${said}`).toBe('matched');
          expect(b.lines).toContain(`MEDIA-TEST: firmware=${firmware} done`);
          const cmdline = b.lines.find((l) => l.startsWith('MEDIA-TEST: cmdline '))!;
          expect(cmdline).toContain(`console=ttyS0 initrd=bootenv quiet osd.site=${SITE} osd.boot=media osd.retry=5`);
          const media = JSON.parse(b.lines.find((l) => l.startsWith('MEDIA-TEST: media.json '))!.slice('MEDIA-TEST: media.json '.length));
          expect(media).toMatchObject({ schema: 'openosd.media/v1', site: SITE, variables: [{ name: 'OSDComputerName', value: 'MEDIA1' }] });
        },
      );
    }
  }
});

const SKIP_ENV = SKIP ?? bootEnvSkipReason();

describe.skipIf(SKIP_ENV)(`the boot environment from the media ISO${SKIP_ENV ? ` (skipped: ${SKIP_ENV})` : ''}`, () => {
  const dir = tempDir('osd-media-agent-');
  let iso = '';
  let site = '';
  let placeholder = true;

  it('makes the ISO of the boot environment for a site nobody answers', { timeout: 600_000 }, async () => {
    const env = await buildBootEnvForTests();
    placeholder = env.manifest.agent.placeholder === true;
    site = `http://10.0.2.2:${await unusedPort()}`;
    iso = join(dir, 'bootenv.iso');
    await createMedia({ bootEnv: env.dir, site, iso, menuTimeoutSeconds: 0, retrySeconds: 5 });
  });

  for (const firmware of ['uefi', 'bios'] as const) {
    it(
      `under ${firmware === 'uefi' ? 'UEFI (OVMF)' : 'BIOS (SeaBIOS)'}: the agent starts from the media and names the media's site`,
      { timeout: 150_000 },
      async () => {
        expect(iso, 'the ISO was made').not.toBe('');
        const b = await bootMedia({
          media: iso,
          kind: 'iso',
          firmware,
          dir,
          until: /OSD-AGENT FAILED/,
          failure: /Kernel panic|No bootable device/,
          seconds: 140,
        });
        const said = b.lines.slice(-20).join('\n');
        expect(b.outcome, `${b.seconds}s; last lines:\n${said}`).toBe('matched');
        expect(b.lines, said).toContain(`OSD-BOOTENV: starting the agent (site ${site}, boot media)`);
        if (placeholder) {
          // The boot environment carries the stand-in agent (src/bootenv/guest/main.ts not built into it).
          expect(b.lines).toContain('OSD-AGENT FAILED no agent yet');
          return;
        }
        expect(
          b.lines.some((l) => l.startsWith(`OSD-AGENT: the site ${site} does not answer`)),
          said,
        ).toBe(true);
        expect(b.lines).toContain('OSD-AGENT FAILED site unreachable');
      },
    );
  }
});
