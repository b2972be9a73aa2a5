/**
 * `osd deploy <tsId> --collection ID …`, `osd deploy list`, `osd deploy manifest <id>`: the Deploy
 * Software Wizard (osd-features §4) over the admin API. The server applies every rule; a
 * high-risk deployment asks for --confirm-high-risk with the reasons.
 */
import type { DeploymentInfo } from '../../site/deployments/deployments.js';
import type { DeploymentContentManifest } from '../../site/deployments/content-manifest.js';
import type { Command } from 'commander';
import { Option } from 'commander';
import { InputError } from '../../sequence/input-error.js';
import { print, printJson } from '../output.js';
import { fieldWords } from './field-words.js';
import { AdminClient, type ConnectionOptions, withConnection } from './admin-client.js';
import { registerDeploymentChangeCommands, revisionChoice } from './deploy-change-commands.js';

interface Json extends ConnectionOptions {
  json?: boolean;
}

function line(d: DeploymentInfo): string {
  return `${d.id}  ${d.taskSequenceId} r${d.revision}${d.followLatest ? ' (latest)' : ''} "${d.taskSequenceName}" → ${d.collectionId} "${d.collectionName}"  ${d.purpose}, ${d.settings.availability}${d.highRisk ? ', HIGH RISK' : ''}${d.enabled ? '' : ', disabled'}`;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** `asap`, `logon`, `logoff` or an ISO date-time (a one-time schedule). */
function schedule(value: string, previous: unknown[] = []): unknown[] {
  const v = value.trim();
  if (['asap', 'logon', 'logoff'].includes(v.toLowerCase())) return [...previous, v.toLowerCase()];
  if (!Number.isNaN(Date.parse(v)) && /T/.test(v)) return [...previous, { at: v }];
  throw new InputError({
    input: '--schedule',
    rule: `"${value}" is not a schedule`,
    hint: 'asap, logon, logoff or a date-time such as 2030-01-01T20:00:00Z (recurring schedules: use the API)',
  });
}

export function registerDeployCommands(program: Command): void {
  // `osd deploy list --collection X`: options after a subcommand's name belong to the subcommand
  // (and to `deploy` itself only before it). Needs positional options on every level above.
  program.enablePositionalOptions();
  const deploy = fieldWords(withConnection(program.command('deploy')), {
    taskSequenceId: '<taskSequenceId>',
    collectionId: '--collection',
    availability: '--available-to',
    schedules: '--schedule',
    showProgress: '--no-progress',
  })
    .description("deploy a task sequence to a collection (Available or Required), list deployments, show a deployment's content")
    .argument('<taskSequenceId>', 'task sequence PackageID')
    .option('-c, --collection <collectionId>', 'the collection (required)')
    .option('--revision <n|latest>', 'latest (default): run the current revision, following every save, as ConfigMgr does; N: pin revision N', revisionChoice)
    .addOption(new Option('--purpose <purpose>', 'Available or Required').choices(['available', 'required']).default('available'))
    .addOption(
      new Option('--available-to <who>', 'Make available to').choices(['clients', 'clients-media-pxe', 'media-pxe', 'media-pxe-hidden']).default('clients'),
    )
    .option('--schedule <when>', 'Required: asap | logon | logoff | an ISO date-time (repeat for several)', schedule)
    .option('--available-at <time>', 'when it becomes available (default now)')
    .option('--expires-at <time>', 'when it expires')
    .addOption(new Option('--rerun <behavior>', 'rerun behavior (Required)').choices(['never', 'always', 'if-failed', 'if-succeeded']).default('always'))
    .addOption(
      new Option('--content-option <option>', 'deployment option for content')
        .choices(['download-when-needed', 'download-all-first', 'access-from-dp'])
        .default('download-when-needed'),
    )
    .option('--pre-download', 'pre-download content (Available only)')
    .option('--no-progress', 'do not show the task sequence progress')
    .option('--comments <text>', 'comments')
    .option('--confirm-high-risk', 'acknowledge the high-risk warning (a Required OS deployment to a large collection, or to one with servers or site systems)')
    .option('--json', 'print JSON')
    .action(
      async (
        tsId: string,
        o: Json & {
          collection: string;
          revision?: number | 'latest';
          purpose: string;
          availableTo: string;
          schedule?: unknown[];
          availableAt?: string;
          expiresAt?: string;
          rerun: string;
          contentOption: string;
          preDownload?: boolean;
          progress: boolean;
          comments?: string;
          confirmHighRisk?: boolean;
        },
      ) => {
        // Not a commander requiredOption: that would be demanded of `deploy list` too.
        if (!o.collection)
          throw new InputError({
            input: '--collection',
            rule: 'which collection to deploy to is missing',
            hint: `osd deploy ${tsId} --collection <collectionId>`,
          });
        const r = await AdminClient.fromOptions(o).post<{ deployment: DeploymentInfo; warnings: string[] }>('/deployments', {
          taskSequenceId: tsId,
          collectionId: o.collection,
          ...(o.revision !== undefined ? { revision: o.revision } : {}),
          purpose: o.purpose,
          availability: o.availableTo,
          schedules: o.schedule ?? (o.purpose === 'required' ? ['asap'] : []),
          ...(o.availableAt ? { availableAt: o.availableAt } : {}),
          ...(o.expiresAt ? { expiresAt: o.expiresAt } : {}),
          rerun: o.rerun,
          contentOption: o.contentOption,
          preDownload: o.preDownload ?? false,
          showProgress: o.progress,
          comments: o.comments ?? '',
          confirmHighRisk: o.confirmHighRisk ?? false,
        });
        if (o.json) return printJson(r);
        print(`deployed ${line(r.deployment)}`);
        for (const w of r.warnings) process.stderr.write(`osd: warning: ${w}\n`);
      },
    );

  deploy.enablePositionalOptions();
  registerDeploymentChangeCommands(deploy);

  withConnection(deploy.command('list'))
    .description('list deployments')
    .option('-c, --collection <collectionId>', 'only to this collection')
    .option('--ts <taskSequenceId>', 'only of this task sequence')
    .option('--json', 'print JSON')
    .action(async (o: Json & { collection?: string; ts?: string }) => {
      const q = new URLSearchParams();
      if (o.collection) q.set('collectionId', o.collection);
      if (o.ts) q.set('taskSequenceId', o.ts);
      const r = await AdminClient.fromOptions(o).get<DeploymentInfo[]>(`/deployments${q.size ? `?${q}` : ''}`);
      if (o.json) return printJson(r);
      for (const d of r) print(line(d));
    });

  withConnection(deploy.command('manifest'))
    .description('the content one machine needs for a deployment: packages, sizes, pre-cache, distribution points')
    .argument('<deploymentId>', 'the deployment')
    .option('--architecture <arch>', "the machine's architecture, e.g. x64")
    .option('--language <lang>', "the machine's OS language, e.g. en-US")
    .option('--model <model>', "the machine's model (Win32_ComputerSystemProduct Name)")
    .addOption(new Option('--firmware <firmware>', 'uefi or bios (checks the boot image for PXE)').choices(['uefi', 'bios']))
    .option('--json', 'print JSON')
    .action(async (id: string, o: Json & { architecture?: string; language?: string; model?: string; firmware?: string }) => {
      const q = new URLSearchParams();
      for (const k of ['architecture', 'language', 'model', 'firmware'] as const) if (o[k]) q.set(k, o[k]!);
      const r = await AdminClient.fromOptions(o).get<DeploymentContentManifest>(
        `/deployments/${encodeURIComponent(id)}/content-manifest${q.size ? `?${q}` : ''}`,
      );
      if (o.json) return printJson(r);
      if (r.bootImage)
        print(
          `boot image ${r.bootImage.packageId} (${r.bootImage.architecture})${r.bootImage.pxeCompatible === false ? ' — NOT bootable by this machine: ' + r.bootImage.rule : ''}`,
        );
      for (const p of r.packages) {
        print(
          `${p.preCached ? '*' : ' '} ${p.packageId}  ${p.type.padEnd(17)} ${mb(p.sizeBytes).padStart(11)} ${String(p.fileCount).padStart(5)} files  ${p.name}  [${p.distributionPoints.join(', ') || 'not distributed'}]`,
        );
      }
      print(`${r.totals.packages} packages, ${mb(r.totals.totalBytes)}; pre-cached (*): ${mb(r.totals.preCacheBytes)} — ${r.preCacheRule}`);
      if (r.totals.notDistributed.length) print(`not on any distribution point: ${r.totals.notDistributed.join(', ')}`);
    });
}
