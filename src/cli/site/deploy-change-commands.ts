/**
 * `osd deploy show | update | delete ID`: a deployment after the Deploy Software Wizard — what it
 * is, the settings its properties dialog lets an admin change (the site applies the wizard's rules
 * again and names a refused field), the revision it runs (`--revision N` pins one, `latest`
 * follows the current one as ConfigMgr does), and deleting it.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { InputError } from '../../sequence/input-error.js';
import type { DeploymentInfo, UpdatedDeployment } from '../../site/deployments/deployments.js';
import { print, printJson } from '../output.js';
import { AdminClient, type ConnectionOptions, withConnection } from './admin-client.js';
import { fieldWords } from './field-words.js';

interface Json extends ConnectionOptions {
  json?: boolean;
}

const AVAILABLE_TO: Record<string, string> = {
  clients: 'Only Configuration Manager clients',
  'clients-media-pxe': 'Configuration Manager clients, media and PXE',
  'media-pxe': 'Only media and PXE',
  'media-pxe-hidden': 'Only media and PXE (hidden)',
};

/** `--revision 3` pins revision 3, `--revision latest` follows the current one. */
export function revisionChoice(value: string): number | 'latest' {
  const v = value.trim().toLowerCase();
  if (v === 'latest') return 'latest';
  if (/^\d+$/.test(v) && Number(v) >= 1) return Number(v);
  throw new InputError({
    input: '--revision',
    rule: `"${value}" is neither a revision number nor "latest"`,
    hint: 'a revision of the task sequence (osd ts history ID lists them), or latest to follow the current one',
  });
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

/** "revision 3 (follows the latest)" / "revision 2 (pinned; the current revision is 3)". */
export function revisionWords(d: Pick<DeploymentInfo, 'revision' | 'followLatest' | 'currentRevision'>): string {
  if (d.followLatest) return `revision ${d.revision} (follows the latest revision)`;
  return `revision ${d.revision} (pinned${d.revision !== d.currentRevision ? `; the current revision is ${d.currentRevision}` : ''})`;
}

function scheduleWords(s: unknown): string {
  if (typeof s === 'string') return s;
  const o = s as Record<string, unknown>;
  if ('at' in o) return String(o.at);
  if (o.recurring === 'weekly') return `every ${String(o.everyWeeks)} week(s) on ${String(o.day)} from ${String(o.start)}`;
  if (o.recurring === 'monthly') return `every ${String(o.everyMonths)} month(s) on day ${String(o.dayOfMonth)} from ${String(o.start)}`;
  return `every ${String(o.every)} ${String(o.unit)} from ${String(o.start)}`;
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

function showDeployment(d: DeploymentInfo): void {
  const s = d.settings;
  const rows: Array<[string, string]> = [
    ['task sequence', `${d.taskSequenceId} "${d.taskSequenceName}", ${revisionWords(d)}`],
    ['collection', `${d.collectionId} "${d.collectionName}" (${d.collectionSize} members when deployed)`],
    ['purpose', d.purpose === 'required' ? 'Required' : 'Available'],
    ['available to', AVAILABLE_TO[s.availability] ?? s.availability],
    ['enabled', yesNo(d.enabled)],
    ['available at', s.availableAt],
    ['expires at', s.expiresAt ?? 'never'],
    ['schedules', s.schedules.length ? s.schedules.map(scheduleWords).join('; ') : '(none)'],
    ['rerun', s.rerun],
    ['show progress', yesNo(s.showProgress)],
    [
      'outside maintenance windows',
      `software installation ${yesNo(s.softwareInstallOutsideMaintenanceWindow)}, restart ${yesNo(s.restartOutsideMaintenanceWindow)}`,
    ],
    ['content', s.contentOption],
    ['pre-download', yesNo(s.preDownload)],
    ['remote distribution point', yesNo(s.useRemoteDp)],
    ['default boundary group', yesNo(s.useDefaultBoundaryGroup)],
    ['high risk', d.highRisk ? `yes, acknowledged: ${s.highRiskReasons.join('; ')}` : 'no'],
    ['created', `${d.createdAt} by ${d.createdBy}`],
    ['updated', d.updatedAt ?? 'never'],
    ['comments', s.comments || '(none)'],
  ];
  print(`deployment ${d.id}`);
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) print(`  ${k.padEnd(width)}  ${v}`);
}

interface UpdateOptions extends Json {
  revision?: number | 'latest';
  enable?: boolean;
  disable?: boolean;
  schedule?: unknown[];
  availableAt?: string;
  expiresAt?: string;
  expiry?: boolean;
  rerun?: string;
  contentOption?: string;
  preDownload?: boolean;
  progress?: boolean;
  installOutsideMaintenanceWindow?: boolean;
  restartOutsideMaintenanceWindow?: boolean;
  comments?: string;
}

/** The update request of the options given (only those). */
function updateBody(o: UpdateOptions): Record<string, unknown> {
  if (o.enable && o.disable) throw new InputError({ input: '--enable', rule: 'cannot be given with --disable', hint: 'choose one' });
  if (o.expiresAt !== undefined && o.expiry === false)
    throw new InputError({ input: '--expires-at', rule: 'cannot be given with --no-expiry', hint: 'choose one' });
  const body: Record<string, unknown> = {};
  if (o.revision !== undefined) body.revision = o.revision;
  if (o.enable) body.enabled = true;
  if (o.disable) body.enabled = false;
  if (o.schedule) body.schedules = o.schedule;
  if (o.availableAt !== undefined) body.availableAt = o.availableAt;
  if (o.expiresAt !== undefined) body.expiresAt = o.expiresAt;
  if (o.expiry === false) body.expiresAt = null;
  if (o.rerun !== undefined) body.rerun = o.rerun;
  if (o.contentOption !== undefined) body.contentOption = o.contentOption;
  if (o.preDownload !== undefined) body.preDownload = o.preDownload;
  if (o.progress !== undefined) body.showProgress = o.progress;
  if (o.installOutsideMaintenanceWindow !== undefined) body.softwareInstallOutsideMaintenanceWindow = o.installOutsideMaintenanceWindow;
  if (o.restartOutsideMaintenanceWindow !== undefined) body.restartOutsideMaintenanceWindow = o.restartOutsideMaintenanceWindow;
  if (o.comments !== undefined) body.comments = o.comments;
  return body;
}

/** Adds show, update and delete under `osd deploy`. */
export function registerDeploymentChangeCommands(deploy: Command): void {
  withConnection(deploy.command('show'))
    .description('a deployment: task sequence and the revision it runs, collection, purpose, schedules and every setting')
    .argument('<deploymentId>', 'the deployment')
    .option('--json', 'print JSON')
    .action(async (id: string, o: Json) => {
      const d = await AdminClient.fromOptions(o).get<DeploymentInfo>(`/deployments/${encodeURIComponent(id)}`);
      if (o.json) return printJson(d);
      showDeployment(d);
    });

  fieldWords(withConnection(deploy.command('update')), {
    enabled: '--enable/--disable',
    schedules: '--schedule',
    showProgress: '--progress/--no-progress',
    expiresAt: '--expires-at',
    preDownload: '--pre-download/--no-pre-download',
    softwareInstallOutsideMaintenanceWindow: '--install-outside-maintenance-window',
  })
    .description(
      'change a deployment as its properties allow: the revision it runs, schedules, availability times, rerun, content option, pre-download, progress, comments, enabled (the wizard\'s rules apply; purpose, "available to" and collection cannot change: deploy again)',
    )
    .argument('<deploymentId>', 'the deployment')
    .option('--revision <n|latest>', 'run revision N (pinned), or latest: follow the current revision as ConfigMgr does', revisionChoice)
    .option('--enable', 'enable the deployment')
    .option('--disable', 'disable the deployment (computers do not run it)')
    .option('--schedule <when>', 'Required: replace the schedules with asap | logon | logoff | an ISO date-time (repeat for several)', schedule)
    .option('--available-at <time>', 'when it becomes available')
    .option('--expires-at <time>', 'when it expires')
    .option('--no-expiry', 'never expires')
    .addOption(new Option('--rerun <behavior>', 'rerun behavior (Required)').choices(['never', 'always', 'if-failed', 'if-succeeded']))
    .addOption(
      new Option('--content-option <option>', 'deployment option for content').choices(['download-when-needed', 'download-all-first', 'access-from-dp']),
    )
    .option('--pre-download', 'pre-download content (Available only)')
    .option('--no-pre-download', 'do not pre-download content')
    .option('--progress', 'show the task sequence progress')
    .option('--no-progress', 'do not show the task sequence progress')
    .option('--install-outside-maintenance-window', 'allow software installation outside maintenance windows')
    .option('--no-install-outside-maintenance-window', 'only within maintenance windows')
    .option('--restart-outside-maintenance-window', 'allow system restarts outside maintenance windows')
    .option('--no-restart-outside-maintenance-window', 'restart only within maintenance windows')
    .option('--comments <text>', 'comments')
    .option('--json', 'print JSON')
    .action(async (id: string, o: UpdateOptions) => {
      const body = updateBody(o);
      if (!Object.keys(body).length)
        throw new InputError({
          input: `osd deploy update ${id}`,
          rule: 'names nothing to change',
          hint: 'give what to change, e.g. --revision latest, --disable, --schedule asap, --comments TEXT (osd deploy update --help lists them)',
        });
      const r = await AdminClient.fromOptions(o).patch<UpdatedDeployment>(`/deployments/${encodeURIComponent(id)}`, body);
      if (o.json) return printJson(r);
      print(`updated ${r.id}: ${r.taskSequenceId} ${revisionWords(r)} → ${r.collectionId}${r.enabled ? '' : ', disabled'}`);
      for (const w of r.warnings) process.stderr.write(`osd: warning: ${w}\n`);
    });

  withConnection(deploy.command('delete'))
    .description('delete a deployment (computers no longer receive it)')
    .argument('<deploymentId>', 'the deployment')
    .option('--json', 'print JSON')
    .action(async (id: string, o: Json) => {
      const d = await AdminClient.fromOptions(o).delete<DeploymentInfo>(`/deployments/${encodeURIComponent(id)}`);
      if (o.json) return printJson(d);
      print(`deleted deployment ${d.id} (${d.taskSequenceId} → ${d.collectionId})`);
    });
}
