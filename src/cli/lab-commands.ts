/** `osd lab …`: virtual destination computers on disk-image files (docs/lab.md). */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { MediaType } from '../engine/simulate/simulate.js';
import type { LabMachine } from '../lab/lab-machine.js';
import { registerTestContentCommand } from './test-content-command.js';
import { bootLabVmCommand, refuseNonVmOptions, seconds } from './lab-vm-commands.js';
import { InputError } from '../sequence/input-error.js';
import { assignment, collect, conditionErrors, report } from './engine-commands.js';
import { CliExit, EXIT_FINDINGS, print, printJson } from './output.js';

// The lab (disk images, file systems, the engine, the agent, QEMU) loads in the action that runs,
// not when osd starts (issue 16 item 2).

interface LabFlags {
  labDir?: string;
  json?: boolean;
}

async function openLab(name: string, opts: LabFlags): Promise<LabMachine> {
  const { LabMachine, labRoot } = await import('../lab/lab-machine.js');
  return LabMachine.load(join(labRoot(opts.labDir), name));
}

/** `osd lab create`'s options; `--users FILE.json`: users with files on the preinstalled OS (src/lab/users.ts). */
type CreateFlags = LabFlags & { profile: string; disk?: string[]; preinstalledOs?: string; mac?: string; smbiosGuid?: string; users?: string };

export function registerLabCommands(program: Command): void {
  const lab = program.command('lab').description('virtual destination computers: raw disk images a task sequence really partitions, formats and installs');
  const labDir = (c: Command): Command => c.option('--lab-dir <dir>', 'where lab machines live (default: $OSD_LAB_DIR or ./.osd-lab)');

  labDir(
    lab
      .command('create')
      .description('make a lab machine from a machine profile with blank disks, or with an OS installed')
      .argument('<name>', 'machine name (a folder under the lab directory)')
      .requiredOption('-p, --profile <file>', 'machine profile (docs/machine-profile.md)')
      .option('-d, --disk <size>', 'a disk of this size, e.g. 4G or "64 GiB" (repeatable; default: the profile\'s disks)', collect)
      .option('--preinstalled-os <wim:index>', 'install this image first (the usual layout for the firmware), e.g. content/LAB00010/install.wim:2')
      .option('--mac <mac>', "this machine's MAC address instead of the profile's (several machines from one profile)")
      .option('--smbios-guid <guid>', "this machine's SMBIOS GUID instead of the profile's")
      .option('--users <file.json>', 'with --preinstalled-os: users with files on the installed OS (docs/user-state.md "Lab users")')
      .option('--json', 'print the machine as JSON'),
  ).action(async (name: string, opts: CreateFlags) => {
    const { labRoot } = await import('../lab/lab-machine.js');
    const { createLab } = await import('../lab/create.js');
    const log = opts.json ? undefined : (line: string) => process.stderr.write(`osd: ${line}\n`);
    const m = await createLab(labRoot(opts.labDir), name, {
      profilePath: opts.profile,
      disks: opts.disk ?? [],
      preinstalledOs: opts.preinstalledOs,
      mac: opts.mac,
      smbiosGuid: opts.smbiosGuid,
      usersFile: opts.users,
      log,
    });
    if (opts.json) printJson({ name: m.name, dir: m.dir, disks: m.diskImages, drives: m.drives() });
    else print(`created lab machine ${m.name} in ${m.dir}`);
  });

  labDir(
    lab
      .command('boot')
      .description(
        'start the machine and run a task sequence to its end, following the restarts it asks for; run again to resume after a crash. With --site, the agent takes the deployment from the site (policy, content from its distribution point, status and logs back to it)',
      )
      .argument('<name>', 'lab machine')
      .option('-t, --ts <file>', 'task sequence file (XML, zip, JSON); not with --site')
      .option('-c, --content <dir>', 'content library: one folder per PackageID (osd lab content DIR makes a test one); not with --site')
      .option('--site <url>', 'boot against this site (osd server): the agent registers, takes policy, downloads content and reports')
      .option('--choose <deployment>', 'with --site: start this Available deployment (the user in the Task Sequence Wizard)')
      .option('--answers <file>', "with --site: the wizard's answers (YAML/JSON: deployment, variables for empty deployed variables)")
      .option('--var <NAME=VALUE>', 'a variable as a collection or device variable would set it (repeatable)', collect)
      .option('--secret-var <NAME=VALUE>', 'a masked variable (repeatable); never printed', collect)
      .addOption(
        new Option('--media-type <type>', 'start from media or PXE (default: PXE without an OS, else Software Center)').choices([
          'BootMedia',
          'FullMedia',
          'PXE',
          'OEMMedia',
        ]),
      )
      .option('--package-id <id>', 'which task sequence to take from a console export holding several')
      .option('--vm', 'run the machine as a QEMU VM (its firmware, disks and MAC): network boot from --site, or --iso; docs/vm-lab.md')
      .option('--iso <file>', 'with --vm: boot this ISO (osd media create) instead of the network')
      .option('--timeout <seconds>', 'with --vm: the time limit (default 300; exit code 3 when reached)', seconds)
      .option('--json', 'print the report as JSON'),
  ).action(
    async (
      name: string,
      opts: LabFlags & {
        ts?: string;
        content?: string;
        var?: string[];
        secretVar?: string[];
        mediaType?: MediaType;
        packageId?: string;
        site?: string;
        choose?: string;
        answers?: string;
        vm?: boolean;
        iso?: string;
        timeout?: number;
      },
    ) => {
      const m = await openLab(name, opts);
      if (opts.vm) {
        refuseNonVmOptions(opts);
        await bootLabVmCommand(m, { site: opts.site, iso: opts.iso, timeout: opts.timeout, json: opts.json });
        return;
      }
      if (opts.iso !== undefined || opts.timeout !== undefined)
        throw new InputError({ input: opts.iso !== undefined ? '--iso' : '--timeout', rule: 'is used only with --vm' });
      if (opts.site) {
        const extra = (['ts', 'content', 'var', 'secretVar', 'packageId'] as const).find((k) => opts[k] !== undefined);
        if (extra) {
          const option = { ts: '--ts', content: '--content', var: '--var', secretVar: '--secret-var', packageId: '--package-id' }[extra];
          throw new InputError({ input: option, rule: 'is not used with --site: the site gives the task sequence, its content and the variables' });
        }
        const { bootLabFromSite } = await import('./lab-agent-commands.js');
        await bootLabFromSite(m, { site: opts.site, choose: opts.choose, answers: opts.answers, mediaType: opts.mediaType, json: opts.json });
        return;
      }
      if (!opts.ts || !opts.content) {
        throw new InputError({
          input: opts.ts ? '--content' : '--ts',
          rule: 'is required without --site',
          hint: 'give --ts FILE and --content DIR, or --site URL',
        });
      }
      if (opts.choose || opts.answers) throw new InputError({ input: opts.choose ? '--choose' : '--answers', rule: 'is used only with --site' });
      const { openContentLibrary } = await import('../actions/content.js');
      const { ConditionErrors } = await import('../engine/simulate/simulate.js');
      const { bootLab } = await import('../lab/boot.js');
      const { loadTaskSequenceFile } = await import('../sequence/codec/load.js');
      const { sequence } = loadTaskSequenceFile(opts.ts, { packageId: opts.packageId });
      const variables = [
        ...(opts.var ?? []).map((v) => ({ ...assignment(v, '--var'), secret: false })),
        ...(opts.secretVar ?? []).map((v) => ({ ...assignment(v, '--secret-var'), secret: true })),
      ];
      let r;
      try {
        r = await bootLab(m, { sequence, sequenceName: opts.ts, content: openContentLibrary(opts.content), variables, mediaType: opts.mediaType });
      } catch (e) {
        if (e instanceof ConditionErrors) throw conditionErrors(e, opts.ts);
        throw e;
      }
      await report(opts.ts, r, { json: opts.json });
      if (!opts.json) print(`smsts.log: ${r.logPath}`);
      if (r.result !== 'success') throw new CliExit(EXIT_FINDINGS);
    },
  );

  labDir(
    lab
      .command('inspect')
      .description("show the partitions, file systems and key files on the machine's disks")
      .argument('<name>', 'lab machine')
      .option('--json', 'print as JSON'),
  ).action(async (name: string, opts: LabFlags) => {
    const { formatInspection, inspectLab } = await import('../lab/inspect.js');
    const r = await inspectLab(await openLab(name, opts));
    if (opts.json) printJson(r);
    else print(formatInspection(r));
  });

  labDir(lab.command('delete').description('remove a lab machine and its disks').argument('<name>', 'lab machine')).action(
    async (name: string, opts: LabFlags) => {
      const m = await openLab(name, opts);
      rmSync(m.dir, { recursive: true, force: true });
      print(`deleted lab machine ${name}`);
    },
  );

  labDir(
    lab
      .command('agent')
      .description(
        'the agent of a lab machine in its full OS: one policy poll, and pre-cache of the content of Available deployments with pre-download that matches the machine',
      )
      .argument('<name>', 'lab machine (with an OS installed)')
      .requiredOption('--site <url>', 'the site (osd server)')
      .requiredOption('--once', 'poll once and stop (the only mode for now)')
      .option('--json', 'print what was cached as JSON'),
  ).action(async (name: string, opts: LabFlags & { site: string }) => {
    const { labAgentOnce } = await import('./lab-agent-commands.js');
    await labAgentOnce(await openLab(name, opts), { site: opts.site, json: opts.json });
  });

  registerTestContentCommand(lab);
}
