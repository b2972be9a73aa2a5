/**
 * `osd lab boot NAME --vm [--site URL] [--iso FILE] [--timeout S] [--json]`: the lab machine as a
 * QEMU VM (src/lab/vm/, docs/vm-lab.md). The serial console is echoed line by line (on stderr with
 * --json), the result said at the end. Exit codes: 0 the deployed OS's marker was seen, 1 a
 * failure was seen (or the VM stopped without the marker), 2 bad input, 3 the time limit.
 */
import { InvalidArgumentError } from 'commander';
import type { LabMachine } from '../lab/lab-machine.js';
import { InputError } from '../sequence/input-error.js';
import { CliExit, print, printJson, showable } from './output.js';

export interface LabVmFlags {
  site?: string;
  iso?: string;
  timeout?: number;
  json?: boolean;
}

/** `--timeout` in seconds. */
export function seconds(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a time in seconds, e.g. 180');
  return n;
}

/** The options of `osd lab boot` that mean nothing for a VM (the site or the media decide). */
export function refuseNonVmOptions(opts: object): void {
  const names: Record<string, string> = {
    ts: '--ts',
    content: '--content',
    var: '--var',
    secretVar: '--secret-var',
    packageId: '--package-id',
    choose: '--choose',
    answers: '--answers',
    mediaType: '--media-type',
  };
  const extra = Object.keys(names).find((k) => (opts as Record<string, unknown>)[k] !== undefined);
  if (extra) {
    throw new InputError({
      input: names[extra]!,
      rule: 'is not used with --vm: the VM boots from the site (--site) or boot media (--iso), which give the task sequence',
      hint: 'drop it, or boot without --vm to run the file-only lab',
    });
  }
}

export async function bootLabVmCommand(m: LabMachine, opts: LabVmFlags): Promise<void> {
  const echo = (line: string, s: number): void => {
    const text = `[${s.toFixed(1).padStart(6)}] ${showable(line)}\n`;
    if (opts.json) process.stderr.write(text);
    else process.stdout.write(text);
  };
  // QEMU's driver loads when a VM boots, not when osd starts (issue 16 item 2).
  const { bootLabVm } = await import('../lab/vm/boot-vm.js');
  const report = await bootLabVm(m, {
    site: opts.site,
    iso: opts.iso,
    timeoutSeconds: opts.timeout,
    onLine: echo,
    log: (line) => process.stderr.write(`osd: ${line}\n`),
  });
  if (opts.json) printJson(report);
  else print(`${report.exitCode === 0 ? 'OK' : report.exitCode === 3 ? 'TIME LIMIT' : 'FAILED'}: ${report.message}\nserial console: ${report.serialLog}`);
  if (report.exitCode !== 0) throw new CliExit(report.exitCode);
}
