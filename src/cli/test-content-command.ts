/** `osd lab content <dir>`: builds the test content library (see index.ts). */
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { print, printJson } from './output.js';
import { InputError } from '../sequence/input-error.js';
import type { TestArchitecture } from '../lab/test-content/index.js';

interface ContentFlags {
  imageSizeMb: number;
  arch: TestArchitecture;
  force?: boolean;
  json?: boolean;
  bootableOs?: boolean;
  kernel?: string;
}

function megabytes(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a size in MiB, e.g. 2 or 170');
  return n;
}

/** Adds `content <dir> [--image-size-mb N] [--arch x64|x86] [--force] [--json]` to `lab`. */
export function registerTestContentCommand(lab: Command): Command {
  return lab
    .command('content')
    .description('build a small but real content library: a 3-edition install.wim, boot image record, client, USMT and driver packages, and a site manifest')
    .argument('<dir>', 'folder for the library (created; rebuilt only when the options change or with --force)')
    .option('--image-size-mb <n>', 'incompressible payload per edition in MiB (the WIM holds about 3x)', megabytes, 2)
    .addOption(new Option('--arch <arch>', 'architecture of the images').choices(['x64', 'x86']).default('x64'))
    .option('--bootable-os', 'add the bootable test OS (LAB00012/testos.wim: GRUB + Linux, prints DEPLOYED-OK; docs/vm-lab.md); x64 only')
    .option('--kernel <vmlinuz>', 'with --bootable-os: this kernel (default: the Debian kernel osd boot-image build caches)')
    .option('--force', 'rebuild even when the library is up to date')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, opts: ContentFlags) => {
      if (opts.kernel && !opts.bootableOs) throw new InputError({ input: '--kernel', rule: 'is used only with --bootable-os' });
      // The WIM writer loads when the library is built, not when osd starts (issue 16 item 2).
      const { makeTestContent } = await import('../lab/test-content/index.js');
      const content = await makeTestContent(dir, {
        bootableOs: opts.bootableOs ? (opts.kernel ? { kernel: opts.kernel } : true) : undefined,
        imageSizeMB: opts.imageSizeMb,
        architecture: opts.arch,
        force: opts.force,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      if (opts.json) {
        printJson(content);
        return;
      }
      const images = content.images.map((i) => `    ${i.index}  ${i.name.padEnd(24)} ${i.edition.padEnd(14)} ${i.architecture}`);
      print(
        [
          `Test content in ${content.root}`,
          `  site manifest   ${content.siteManifestPath}`,
          `  image package   ${content.imagePackageId}  ${content.wimPath}`,
          ...images,
          `  boot image      ${content.bootImageId} (record only)`,
          `  client package  ${content.clientPackageId}`,
          `  USMT package    ${content.usmtPackageId}`,
          `  driver catalog  ${content.driverCatalogPath}`,
          ...(content.bootableOs
            ? [
                `  bootable OS     ${content.bootableOs.packageId}  ${content.bootableOs.wimPath}`,
                ...content.bootableOs.images.map((i) => `    ${i.index}  ${i.name.padEnd(28)} marker ${i.marker}`),
              ]
            : []),
        ].join('\n'),
      );
    });
}
