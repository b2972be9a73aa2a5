/** `osd media create`: boot media (ISO, USB image) of a boot environment that point at a site (docs/boot-media.md). */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { CreateMediaResult } from '../bootenv/media/create.js';
import { InputError } from '../sequence/input-error.js';
import { collect } from './engine-commands.js';
import { mib, print, printJson } from './output.js';

interface MediaFlags {
  bootEnv: string;
  site: string;
  iso?: string;
  usb?: string;
  password?: boolean;
  prestart?: string;
  prestartFiles?: string;
  variable?: string[];
  retry?: number;
  menuTimeout?: number;
  json?: boolean;
}

function seconds(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number of seconds, e.g. 120');
  return n;
}

/** A line typed at the terminal without showing it. */
function askHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = process.stdin;
    process.stderr.write(prompt);
    input.setRawMode(true);
    input.resume();
    let text = '';
    const done = (e?: Error): void => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (e) reject(e);
      else resolve(text);
    };
    const onData = (b: Buffer): void => {
      for (const ch of b.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new InputError({ input: '--password', rule: 'cancelled' }));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    input.on('data', onData);
  });
}

/** The first line of standard input (a script: `printf '%s\n' "$PW" | osd media create … --password`). */
async function firstLineOfStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += (chunk as Buffer).toString('utf8');
    if (text.includes('\n')) break;
  }
  return text.split('\n')[0]!.replace(/\r$/, '');
}

/**
 * The media password: asked twice at a terminal (not shown), else the first line of standard input.
 * Never an argument: the command line is visible to every user of the machine (ps) and kept in shell history.
 */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) {
    const a = await askHidden('Media password: ');
    const b = await askHidden('Media password again: ');
    if (a !== b) throw new InputError({ input: '--password', rule: 'the two passwords differ', hint: 'type the same password twice' });
    return a;
  }
  return firstLineOfStdin();
}

function describe(r: CreateMediaResult): string {
  const lines = [`Boot media for the site ${r.site}`];
  if (r.iso) lines.push(`  ISO        ${r.iso.path}  ${mib(r.iso.bytes)}  (hybrid: CD/DVD or USB stick; BIOS and UEFI)`);
  if (r.usb) lines.push(`  USB image  ${r.usb.path}  ${mib(r.usb.bytes)}  (MBR, FAT32 ${r.usb.fatSerial}; BIOS and UEFI; write it to a stick with dd)`);
  lines.push(`  boot environment  ${r.bootEnvironment.name} ${r.bootEnvironment.version} (${r.bootEnvironment.architecture})`);
  lines.push(`  password   ${r.settings.password ? 'yes (stored as a salted scrypt hash)' : 'none'}`);
  if (r.settings.prestart !== undefined)
    lines.push(`  prestart   ${r.settings.prestart}${r.settings.prestartFiles ? ` (+ ${r.settings.prestartFiles} file(s))` : ''}`);
  if (r.settings.variables.length) lines.push(`  variables  ${r.settings.variables.join(', ')}`);
  lines.push(`  kernel command line  ${r.kernelCommandLine}`);
  return lines.join('\n');
}

export function registerMediaCommands(program: Command): void {
  const media = program.command('media').description('boot media: the boot environment on an ISO or USB stick, pointing at a site (for networks without PXE)');
  media
    .command('create')
    .description('make bootable media: a hybrid ISO and/or a raw USB disk image that boot the boot environment (BIOS and UEFI) and turn to the site')
    .requiredOption('--boot-env <dir>', 'the boot environment folder (osd boot-image build --out DIR)')
    .requiredOption('--site <url>', 'the site as the booting computer reaches it, e.g. http://192.0.2.10:8080')
    .option('--iso <file>', 'write a hybrid ISO (CD/DVD, or dd to a USB stick)')
    .option('--usb <file>', 'write a raw USB disk image (MBR, one FAT32 partition)')
    .option('--password', 'protect the media with a password, asked at the terminal (or the first line of standard input); stored only as a salted hash')
    .option('--prestart <command>', 'a command the boot environment runs (sh -c) before it asks the site for a task sequence')
    .option('--prestart-files <dir>', "files for the prestart command, its working folder on the media (held in the boot environment's RAM)")
    .option('--variable <NAME=VALUE>', 'a media variable (repeatable): a task sequence variable set when the media start', collect)
    .option('--retry <seconds>', 'how long the boot environment keeps trying an unreachable site (default: its own, 120)', seconds)
    .option('--menu-timeout <seconds>', 'how long the boot menu waits before it starts (default 3)', seconds)
    .option('--json', 'print the result as JSON')
    .action(async (o: MediaFlags) => {
      const password = o.password ? await readPassword() : undefined;
      // Loaded when the command runs, not when osd starts (issue 16 item 2).
      const { createMedia } = await import('../bootenv/media/create.js');
      const r = await createMedia({
        bootEnv: o.bootEnv,
        site: o.site,
        iso: o.iso,
        usb: o.usb,
        password,
        prestart: o.prestart,
        prestartFiles: o.prestartFiles,
        variables: o.variable ?? [],
        retrySeconds: o.retry,
        menuTimeoutSeconds: o.menuTimeout,
        log: (line) => process.stderr.write(`osd: ${line}\n`),
      });
      if (o.json) printJson(r);
      else print(describe(r));
    });
}
