/**
 * Boot media (docs/boot-media.md): the ISO's and the USB image's structure read back with the tools
 * that read them (xorriso, sfdisk, mtools, cpio), the media settings archive, the password hash,
 * the prestart command, and bad input. No QEMU here (media-boot.test.ts boots them).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMedia, checkSiteUrl } from '../../src/bootenv/media/create.js';
import { mediaGrubConfig, mediaKernelCommandLine } from '../../src/bootenv/media/grub-config.js';
import { hashMediaPassword, readMediaConfig, verifyMediaPassword, type MediaConfig } from '../../src/bootenv/media/media-config.js';
import { parsePrestartVariables, runPrestartCommand } from '../../src/bootenv/media/prestart.js';
import { startFromMedia } from '../../src/bootenv/media/media-start.js';
import { main } from '../../src/cli/main.js';
import { OSD } from '../helpers/osd-server.js';
import { tempDir } from '../helpers/temp.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A boot environment folder as `osd boot-image build` writes it (C2), with stand-in kernel and initramfs bytes. */
function fakeBootEnv(dir: string): { kernel: Buffer; initrd: Buffer } {
  mkdirSync(dir, { recursive: true });
  const kernel = randomBytes(1024 * 1024 + 17);
  const initrd = randomBytes(3 * 1024 * 1024 + 5);
  writeFileSync(join(dir, 'vmlinuz'), kernel);
  writeFileSync(join(dir, 'initrd.cpio.zst'), initrd);
  writeFileSync(
    join(dir, 'bootimage.json'),
    JSON.stringify({
      schema: 'openosd.bootenv/v1',
      name: 'OpenOSD boot environment (x64)',
      architecture: 'x64',
      version: '6.1.176-1+osd.test0000',
      kernel: { file: 'vmlinuz', bytes: kernel.length, sha256: sha(kernel), release: '6.1.0-50-amd64' },
      initrd: { file: 'initrd.cpio.zst', bytes: initrd.length, sha256: sha(initrd) },
      agent: { sha256: '0'.repeat(64), placeholder: true },
      drivers: [],
      packages: [],
    }),
  );
  return { kernel, initrd };
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', env: { ...process.env, MTOOLS_SKIP_CHECK: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Extracts the files of a newc archive into `dir` with cpio(1) and lists them. */
function unpackCpio(archive: string, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('cpio', ['-idm', '--quiet', '--no-absolute-filenames'], { cwd: dir, input: readFileSync(archive) });
  expect(r.status, r.stderr?.toString()).toBe(0);
  return spawnSync('cpio', ['-t', '--quiet'], { input: readFileSync(archive) })
    .stdout.toString()
    .trim()
    .split('\n');
}

async function osd(...args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string) => ((stdout += c), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string) => ((stderr += c), true)) as typeof process.stderr.write;
  try {
    const code = await main(['node', 'osd', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

const work = tempDir('osd-media-');
const env = join(work, 'bootenv');
const bytes = fakeBootEnv(env);
const SITE = 'http://10.0.2.2:8080';

describe('osd media create: the ISO', () => {
  const iso = join(work, 'media.iso');
  let created: Awaited<ReturnType<typeof createMedia>>;

  it('writes a hybrid ISO with El Torito entries for BIOS and UEFI and the boot environment in /boot', async () => {
    created = await createMedia({ bootEnv: env, site: `${SITE}/`, iso, retrySeconds: 30, menuTimeoutSeconds: 1 });
    expect(created.site).toBe(SITE);
    expect(created.iso).toMatchObject({ path: iso, firmware: ['bios', 'uefi'] });
    expect(created.iso!.bytes).toBe(readFileSync(iso).length);
    const eltorito = run('xorriso', ['-indev', iso, '-report_el_torito', 'plain']);
    expect(eltorito).toMatch(/El Torito boot img :\s+1\s+BIOS/);
    expect(eltorito).toMatch(/El Torito boot img :\s+2\s+UEFI/);
    const files = run('xorriso', ['-indev', iso, '-find', '/boot', '-maxdepth', '1', '-type', 'f']);
    for (const f of ['/boot/vmlinuz', '/boot/initrd.cpio.zst', '/boot/media.cpio']) expect(files).toContain(`'${f}'`);
    // The hybrid MBR: a PC BIOS booting the ISO written to a stick.
    const mbr = readFileSync(iso).subarray(0, 512);
    expect(mbr.readUInt16LE(510)).toBe(0xaa55);
  });

  it('carries the kernel and initramfs byte for byte, GRUB booting C1 with osd.boot=media, and the settings archive', () => {
    const out = join(work, 'iso-x');
    mkdirSync(out);
    run('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/boot', out]);
    expect(sha(readFileSync(join(out, 'vmlinuz')))).toBe(sha(bytes.kernel));
    expect(sha(readFileSync(join(out, 'initrd.cpio.zst')))).toBe(sha(bytes.initrd));
    const cfg = readFileSync(join(out, 'grub', 'grub.cfg'), 'utf8');
    expect(cfg).toContain(`linux /boot/vmlinuz console=ttyS0 initrd=bootenv quiet osd.site=${SITE} osd.boot=media osd.retry=30`);
    expect(cfg).toContain('initrd /boot/initrd.cpio.zst /boot/media.cpio');
    expect(cfg).toContain('set timeout=1');
    const names = unpackCpio(join(out, 'media.cpio'), join(out, 'root'));
    expect(names).toEqual(['osd', 'osd/media.json']);
    const config = readMediaConfig(join(out, 'root'));
    expect(config).toMatchObject({ schema: 'openosd.media/v1', media: 'bootable', site: SITE, retrySeconds: 30, variables: [] });
    expect(config!.password).toBeUndefined();
    expect(config!.bootEnvironment).toEqual({
      name: 'OpenOSD boot environment (x64)',
      version: '6.1.176-1+osd.test0000',
      architecture: 'x64',
      initrdSha256: sha(bytes.initrd),
    });
  });
});

describe('osd media create: the USB image', () => {
  const usb = join(work, 'media.img');

  it('is an MBR disk with one active FAT32 partition at 1 MiB holding GRUB for UEFI and the boot files', async () => {
    const r = await createMedia({ bootEnv: env, site: SITE, usb, variables: ['OSDComputerName=PC042', 'SMSTSPreferredAdvertID=LAB20001'] });
    expect(r.usb).toMatchObject({ path: usb, partitionStyle: 'mbr', firmware: ['bios', 'uefi'] });
    const table = JSON.parse(run('sfdisk', ['--json', usb])).partitiontable;
    expect(table.label).toBe('dos');
    expect(table.partitions).toHaveLength(1);
    expect(table.partitions[0]).toMatchObject({ start: 2048, type: 'c', bootable: true });
    const img = `${usb}@@1M`;
    const listing = run('mdir', ['-i', img, '-/', '-b', '::']);
    for (const f of ['::/EFI/BOOT/BOOTX64.EFI', '::/boot/vmlinuz', '::/boot/initrd.cpio.zst', '::/boot/media.cpio', '::/boot/grub/grub.cfg']) {
      expect(listing.toLowerCase()).toContain(f.toLowerCase());
    }
    expect(run('mdir', ['-i', img, '::']).replace(/\s+/g, ' ')).toContain(`Volume Serial Number is ${r.usb!.fatSerial}`);
    const efi = execFileSync('mtype', ['-i', img, '::/EFI/BOOT/BOOTX64.EFI'], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
    expect(efi.subarray(0, 2).toString('latin1')).toBe('MZ');
    expect(sha(execFileSync('mtype', ['-i', img, '::/boot/initrd.cpio.zst'], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' }, maxBuffer: 64 << 20 }))).toBe(
      sha(bytes.initrd),
    );
    // GRUB's boot.img in the MBR points at core.img in sector 1, and the partition table survived it.
    const disk = readFileSync(usb);
    expect(disk.readUInt16LE(510)).toBe(0xaa55);
    expect(disk.readBigUInt64LE(0x5c)).toBe(1n);
    const bootImg = readFileSync('/usr/lib/grub/i386-pc/boot.img');
    expect(disk.subarray(0x68, 0x1b8).equals(bootImg.subarray(0x68, 0x1b8))).toBe(true); // GRUB's boot code
    expect([disk[0x66], disk[0x67]]).toEqual([0x90, 0x90]); // a hard disk: no floppy drive check
    expect(disk[0x1be]).toBe(0x80); // active
    const core = disk.subarray(512, 1024);
    expect(core.readBigUInt64LE(512 - 12)).toBe(2n); // the block list: the rest of core.img from sector 2
    const cfg = execFileSync('mtype', ['-i', img, '::/boot/grub/grub.cfg'], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } }).toString();
    expect(cfg).toContain(`osd.site=${SITE} osd.boot=media`);
    // The settings: the media variables.
    const settings = join(work, 'usb-media.cpio');
    writeFileSync(settings, execFileSync('mtype', ['-i', img, '::/boot/media.cpio'], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } }));
    unpackCpio(settings, join(work, 'usb-root'));
    expect(readMediaConfig(join(work, 'usb-root'))!.variables).toEqual([
      { name: 'OSDComputerName', value: 'PC042' },
      { name: 'SMSTSPreferredAdvertID', value: 'LAB20001' },
    ]);
  });
});

describe('the media settings', () => {
  it('keep the password only as a salted scrypt hash that checks the right password and no other', async () => {
    const iso = join(work, 'pw.iso');
    const password = 'Pässw0rd-media';
    await createMedia({ bootEnv: env, site: SITE, iso, password, prestart: './hello.sh', prestartFiles: join(work, 'pre') }).catch((e: Error) => {
      // The folder does not exist yet: named as bad input (then made below).
      expect(e.message).toContain('--prestart-files');
    });
    mkdirSync(join(work, 'pre', 'sub'), { recursive: true });
    writeFileSync(join(work, 'pre', 'hello.sh'), '#!/bin/sh\necho hello\n', { mode: 0o755 });
    writeFileSync(join(work, 'pre', 'sub', 'data.txt'), 'data');
    await createMedia({ bootEnv: env, site: SITE, iso, password, prestart: './hello.sh', prestartFiles: join(work, 'pre') });
    const out = join(work, 'pw-x');
    mkdirSync(out);
    run('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/boot/media.cpio', join(out, 'media.cpio')]);
    const archive = readFileSync(join(out, 'media.cpio'));
    expect(archive.includes(Buffer.from(password, 'utf8'))).toBe(false);
    const names = unpackCpio(join(out, 'media.cpio'), join(out, 'root'));
    expect(names).toEqual(['osd', 'osd/media.json', 'osd/prestart', 'osd/prestart/hello.sh', 'osd/prestart/sub', 'osd/prestart/sub/data.txt']);
    const config = readMediaConfig(join(out, 'root'))!;
    expect(config.password).toMatchObject({ algorithm: 'scrypt', N: 16384, r: 8, p: 1 });
    expect(verifyMediaPassword(config, password)).toBe(true);
    expect(verifyMediaPassword(config, 'Passw0rd-media')).toBe(false);
    expect(verifyMediaPassword(config, '')).toBe(false);
    expect(config.prestart).toEqual({ command: './hello.sh', files: true });
    // Two media with the same password have different salts.
    expect(hashMediaPassword(password).salt).not.toBe(config.password!.salt);
  });

  it('readMediaConfig: undefined without the file (PXE), bad input naming the file when it is not the format', () => {
    const root = tempDir('osd-media-root-');
    expect(readMediaConfig(root)).toBeUndefined();
    mkdirSync(join(root, 'osd'));
    writeFileSync(join(root, 'osd', 'media.json'), '{"schema":"openosd.media/v1","media":"bootable","site":"http://x y"}');
    expect(() => readMediaConfig(root)).toThrow(/osd\/media\.json site: does not fit the openosd\.media\/v1 format/);
    writeFileSync(join(root, 'osd', 'media.json'), '{');
    expect(() => readMediaConfig(root)).toThrow(/media\.json: is not JSON/);
  });

  it('the prestart command runs in its folder, sets variables through $OSD_PRESTART_VARIABLES, and its exit code is kept', async () => {
    const root = tempDir('osd-prestart-');
    mkdirSync(join(root, 'osd', 'prestart'), { recursive: true });
    writeFileSync(join(root, 'osd', 'prestart', 'name.txt'), 'PC-7\n');
    const config: MediaConfig = {
      schema: 'openosd.media/v1',
      media: 'bootable',
      site: SITE,
      bootEnvironment: { name: 'n', version: 'v', architecture: 'x64', initrdSha256: '0'.repeat(64) },
      prestart: {
        command:
          'echo "OSDComputerName=$(cat name.txt)" >> "$OSD_PRESTART_VARIABLES"; echo "Site=$OSD_SITE" >> "$OSD_PRESTART_VARIABLES"; echo "_SMSTSBad=1" >> "$OSD_PRESTART_VARIABLES"; echo hi',
        files: true,
      },
      variables: [],
    };
    let output = '';
    const r = await runPrestartCommand(config, { root, stdio: 'pipe', onOutput: (t) => (output += t) });
    expect(r.exitCode).toBe(0);
    expect(output).toBe('hi\n');
    expect(r.variables).toEqual([
      { name: 'OSDComputerName', value: 'PC-7' },
      { name: 'Site', value: SITE },
    ]);
    expect(r.ignored).toEqual(['_SMSTSBad=1']);
    const failed = await runPrestartCommand({ ...config, prestart: { command: 'exit 3', files: false } }, { root, stdio: 'pipe' });
    expect(failed.exitCode).toBe(3);
    expect(parsePrestartVariables('A=1\r\n# note\nnot a line\nB=x=y\n')).toEqual({
      variables: [
        { name: 'A', value: '1' },
        { name: 'B', value: 'x=y' },
      ],
      ignored: ['not a line'],
    });
  });

  it('the kernel command line and menu are C1 with the media site', () => {
    expect(mediaKernelCommandLine(SITE)).toBe(`console=ttyS0 initrd=bootenv quiet osd.site=${SITE} osd.boot=media`);
    const cfg = mediaGrubConfig({ site: SITE, bootEnvName: 'x', bootEnvVersion: 'v"$1', timeoutSeconds: 0 });
    expect(cfg).toContain('menuentry "OpenOSD boot environment (v__1)" {');
    expect(checkSiteUrl('https://[2001:db8::1]:8443/osd/')).toBe('https://[2001:db8::1]:8443/osd');
  });
});

describe('starting from media in the boot environment (startFromMedia)', () => {
  const base: MediaConfig = {
    schema: 'openosd.media/v1',
    media: 'bootable',
    site: SITE,
    bootEnvironment: { name: 'n', version: 'v', architecture: 'x64', initrdSha256: '0'.repeat(64) },
    variables: [{ name: 'OSDComputerName', value: 'FROM-MEDIA' }],
  };
  const rootWith = (config: MediaConfig): string => {
    const root = tempDir('osd-media-start-');
    mkdirSync(join(root, 'osd'));
    writeFileSync(join(root, 'osd', 'media.json'), JSON.stringify(config));
    return root;
  };

  it('without /osd/media.json (PXE): nothing asked, no variables', async () => {
    const lines: string[] = [];
    expect(await startFromMedia({ root: tempDir('osd-media-none-'), say: (l) => lines.push(l) })).toEqual({ ok: true, variables: [] });
    expect(lines).toEqual([]);
  });

  it('asks for the password until it is right (three tries), then runs the prestart command; its variables come after the media variables', async () => {
    const root = rootWith({
      ...base,
      password: hashMediaPassword('s3cret'),
      prestart: { command: 'echo OSDComputerName=FROM-PRESTART > "$OSD_PRESTART_VARIABLES"', files: false },
    });
    const answers = ['wrong', 's3cret'];
    const lines: string[] = [];
    const r = await startFromMedia({ root, say: (l) => lines.push(l), askPassword: async () => answers.shift(), prestart: { stdio: 'pipe' } });
    expect(r).toMatchObject({
      ok: true,
      variables: [
        { name: 'OSDComputerName', value: 'FROM-MEDIA' },
        { name: 'OSDComputerName', value: 'FROM-PRESTART' },
      ],
    });
    expect(lines).toEqual([
      `boot media for the site ${SITE} (n v)`,
      'the media password is not correct; try again',
      'media password accepted',
      'running the prestart command: echo OSDComputerName=FROM-PRESTART > "$OSD_PRESTART_VARIABLES"',
      'the prestart command set OSDComputerName',
    ]);
  });

  it('stops after three wrong passwords, at the end of input, and on a failing prestart command', async () => {
    const root = rootWith({ ...base, password: hashMediaPassword('s3cret') });
    let asked = 0;
    expect(await startFromMedia({ root, say: () => {}, askPassword: async () => (asked++, 'nope') })).toEqual({
      ok: false,
      reason: 'media password wrong 3 times',
    });
    expect(asked).toBe(3);
    expect(await startFromMedia({ root, say: () => {}, askPassword: async () => undefined })).toEqual({
      ok: false,
      reason: 'media password not given (no console input)',
    });
    const failing = rootWith({ ...base, prestart: { command: 'exit 4', files: false } });
    expect(await startFromMedia({ root: failing, say: () => {}, prestart: { stdio: 'pipe' } })).toEqual({
      ok: false,
      reason: 'prestart command failed (exit code 4)',
    });
  });
});

describe('osd media create (the built command)', () => {
  it('reads the password from standard input, prints JSON, and the media check that password', async () => {
    const usb = join(work, 'cli.img');
    const r = spawnSync(
      process.execPath,
      [OSD, 'media', 'create', '--boot-env', env, '--site', SITE, '--usb', usb, '--password', '--prestart', 'true', '--json'],
      {
        input: 'from stdin\nsecond line\n',
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ site: SITE, usb: { path: usb, partitionStyle: 'mbr' }, settings: { password: true, prestart: 'true' } });
    expect(r.stderr).toMatch(/osd: writing the USB image: MBR, FAT32 partition of \d+ MiB/);
    const settings = join(work, 'cli-media.cpio');
    writeFileSync(settings, execFileSync('mtype', ['-i', `${usb}@@1M`, '::/boot/media.cpio'], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } }));
    unpackCpio(settings, join(work, 'cli-root'));
    const config = readMediaConfig(join(work, 'cli-root'))!;
    expect(verifyMediaPassword(config, 'from stdin')).toBe(true);
    expect(verifyMediaPassword(config, 'second line')).toBe(false);
  });
});

describe('osd media create: bad input (exit 2, naming it)', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['a site that is not http', ['--site', 'ftp://10.0.0.1', '--iso', join(work, 'x.iso')], /--site: ftp: is not http or https/],
    [
      'a site with credentials',
      ['--site', 'http://u:p@10.0.0.1', '--iso', join(work, 'x.iso')],
      /--site: a site URL on media may not hold a user name or password/,
    ],
    [
      'a site with a quote',
      ['--site', "http://10.0.0.1/a'b", '--iso', join(work, 'x.iso')],
      /--site: .* has characters the boot loader's command line cannot carry/,
    ],
    ['no media named', ['--site', SITE], /--iso \/ --usb: say which media to make/],
    ['a read-only variable', ['--site', SITE, '--iso', join(work, 'x.iso'), '--variable', '_SMSTSMediaType=FullMedia'], /_SMSTSMediaType is read-only/],
    ['a variable without =', ['--site', SITE, '--iso', join(work, 'x.iso'), '--variable', 'OSDComputerName'], /a media variable is NAME=VALUE/],
    ['an output folder that does not exist', ['--site', SITE, '--iso', join(work, 'no', 'x.iso')], /--iso: the folder .* does not exist/],
    ['a bad --retry', ['--site', SITE, '--iso', join(work, 'x.iso'), '--retry', 'soon'], /expected a whole number of seconds/],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const r = await osd('media', 'create', '--boot-env', env, ...args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(join(work, 'x.iso'))).toBe(false);
    });
  }

  it('a folder that is not a boot environment, and one whose initramfs is not the recorded one', async () => {
    const empty = tempDir('osd-media-empty-');
    let r = await osd('media', 'create', '--boot-env', empty, '--site', SITE, '--iso', join(work, 'x.iso'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${empty}: holds no bootimage.json`);
    const other = join(work, 'other-env');
    fakeBootEnv(other);
    writeFileSync(join(other, 'initrd.cpio.zst'), randomBytes(3 * 1024 * 1024 + 5));
    r = await osd('media', 'create', '--boot-env', other, '--site', SITE, '--iso', join(work, 'x.iso'), '--json');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/initrd\.cpio\.zst: the initramfs is not the one bootimage\.json records/);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: 'bad-input' });
    expect(existsSync(join(work, 'x.iso'))).toBe(false);
  });
});
