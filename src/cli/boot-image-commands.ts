/**
 * `osd boot-image build`: the boot environment folder (bootimage.json + vmlinuz + initrd.cpio.zst)
 * from Debian packages (docs/boot-environment.md). Progress on stderr; the result on stdout.
 * Registered after the site's `boot-image` commands (object-commands.ts), into the same group.
 */
import type { Command } from 'commander';
import { print, printJson } from './output.js';

function group(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'boot-image') ??
    program.command('boot-image').description('boot images: the boot environments computers start to be deployed')
  );
}

export function registerBootImageBuildCommand(program: Command): void {
  group(program)
    .command('build')
    .description('build the Linux boot environment (kernel, initramfs with busybox, Node, the agent and the disk tools) from Debian packages')
    .option('--arch <arch>', 'architecture: x64', 'x64')
    .option('--drivers <dir>', 'add the kernel modules (.ko) of this folder, with the modules they depend on')
    .option('--out <dir>', 'the folder to write (created)', 'bootenv-x64')
    .option('--force', 'build even when the folder already holds a build of the same inputs')
    .option('--json', 'print the manifest as JSON')
    .action(async (o: { arch: string; drivers?: string; out: string; force?: boolean; json?: boolean }) => {
      // Loaded when the command runs, not when osd starts (issue 16 item 2).
      const { buildBootEnv } = await import('../bootenv/build/index.js');
      const r = await buildBootEnv({
        arch: o.arch,
        driversDir: o.drivers,
        outDir: o.out,
        force: o.force,
        log: (l) => process.stderr.write(`osd: ${l}\n`),
      });
      if (o.json) return printJson({ dir: r.dir, built: r.built, seconds: r.seconds, manifest: r.manifest });
      const m = r.manifest;
      print(
        [
          `${r.built ? 'built' : 'up to date'}: ${m.name} ${m.version} in ${r.dir}`,
          `  kernel  ${m.kernel.file}  ${m.kernel.release}  ${(m.kernel.bytes / 1048576).toFixed(1)} MiB  sha256 ${m.kernel.sha256}`,
          `  initrd  ${m.initrd.file}  ${(m.initrd.bytes / 1048576).toFixed(1)} MiB  sha256 ${m.initrd.sha256}`,
          `  agent   ${m.agent.placeholder ? 'placeholder (src/bootenv/guest/main.ts not there yet)' : `sha256 ${m.agent.sha256}`}`,
          `  drivers ${m.drivers.length} module(s); packages ${m.packages.length}`,
        ].join('\n'),
      );
    });
}
