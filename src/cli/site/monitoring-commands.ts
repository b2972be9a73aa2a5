/**
 * Monitoring over the admin API (osd-features §4.7, §6; docs/management-point.md "Monitoring"):
 * `osd deploy status ID` (the console's View Status: counts per category and the devices in each),
 * `osd deploy estimate ID --device NAME`, `osd device history NAME` (each run step by step, in
 * ConfigMgr's words) and `osd device log NAME` (the smsts.log the computer uploaded). Devices by
 * name or ResourceID. No logic of its own: the site says everything, this prints it.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { InputError } from '../../sequence/input-error.js';
import type { DeploymentStatus, StatusCategory } from '../../site/mp/monitoring.js';
import type { DurationEstimate } from '../../site/mp/estimate.js';
import type { RunStep, RunWithSteps } from '../../site/mp/runs.js';
import { print, printJson } from '../output.js';
import { AdminClient, type ConnectionOptions, withConnection } from './admin-client.js';
import { resolveDevice } from './device-address.js';

interface Json extends ConnectionOptions {
  json?: boolean;
}

const CATEGORIES: Array<[StatusCategory, string]> = [
  ['success', 'Success'],
  ['in-progress', 'In Progress'],
  ['error', 'Error'],
  ['requirements-not-met', 'Requirements Not Met'],
  ['unknown', 'Unknown'],
];

const enc = encodeURIComponent;

/** 42 s, 12 min 3 s, 1 h 5 min. */
export function durationText(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** 2026-12-07 08:00:01 (UTC, as the site stores it). */
function when(iso: string | null): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : '';
}

function timeOf(iso: string | null): string {
  return iso ? iso.slice(11, 19) : '';
}

function stepLine(s: RunStep): string {
  const times = s.startedAt && s.endedAt ? `${timeOf(s.startedAt)}–${timeOf(s.endedAt)}` : timeOf(s.endedAt ?? s.startedAt);
  const code = s.exitCodeHex !== null ? `${s.exitCodeHex} (${s.exitCode})` : '';
  const outcome = `${s.outcome}${s.predicted ? ' (predicted)' : ''}`;
  return `  ${times.padEnd(17)}  ${outcome.padEnd(17)}  ${code.padEnd(25)}  ${s.kind === 'group' ? `[${s.path || s.name}]` : s.path || s.name}`;
}

function printRun(r: RunWithSteps): void {
  const end = r.endedAt ? ` – ${when(r.endedAt)}` : '';
  print(`run ${r.runId}  ${r.deploymentId} "${r.taskSequenceName}"  ${r.result.toUpperCase()}`);
  print(
    `  ${when(r.startedAt)}${end} (${durationText(r.durationSeconds)}); steps: ${r.stepCounts.run} run, ${r.stepCounts.predicted ? `${r.stepCounts.predicted} only predicted (not done), ` : ''}${r.stepCounts.skipped} skipped, ${r.stepCounts.failed} failed; ` +
      `downloaded ${mb(r.bytesDownloaded)}${r.downloadSeconds > 0 ? ` in ${durationText(r.downloadSeconds)}` : ''}; ${r.restarts} restart${r.restarts === 1 ? '' : 's'}` +
      `${r.logs.length ? `; logs: ${r.logs.join(', ')}` : ''}`,
  );
  for (const s of r.steps) {
    print(stepLine(s));
    // What ConfigMgr's status message says, where it says more than the line: skips and failures.
    if (s.outcome === 'skipped' || s.outcome === 'failed') print(`      ${s.description.split('\n').join('\n      ')}`);
  }
  if (r.lastMessage && r.result !== 'in-progress') print(`  ${r.lastMessage.description}`);
}

export function registerMonitoringCommands(program: Command): void {
  const deploy = program.commands.find((c) => c.name() === 'deploy');
  const device = program.commands.find((c) => c.name() === 'device');
  if (!deploy || !device) throw new Error('register the deploy and device commands first');

  withConnection(deploy.command('status'))
    .description("a deployment's status: Success, In Progress, Error, Requirements Not Met and Unknown, and the devices in each")
    .argument('<deploymentId>', 'the deployment')
    .addOption(new Option('--category <category>', 'list the devices of one category only').choices(CATEGORIES.map(([c]) => c)))
    .option('--limit <n>', 'list at most this many devices', '1000')
    .option('--json', 'print JSON')
    .action(async (id: string, o: Json & { category?: string; limit: string }) => {
      if (!/^\d+$/.test(o.limit)) throw new InputError({ input: '--limit', rule: `"${o.limit}" is not a number` });
      const q = new URLSearchParams({ limit: o.limit });
      if (o.category) q.set('category', o.category);
      const r = await AdminClient.fromOptions(o).get<DeploymentStatus>(`/deployments/${enc(id)}/status?${q}`);
      if (o.json) return printJson(r);
      print(`${r.deploymentId}  ${r.taskSequenceId} "${r.taskSequenceName}" → ${r.collectionId} "${r.collectionName}"`);
      for (const [c, name] of CATEGORIES) print(`  ${name.padEnd(22)}${String(r.counts[c]).padStart(6)}`);
      print(`  ${'Total'.padEnd(22)}${String(r.counts.total).padStart(6)}`);
      for (const [c, name] of CATEGORIES) {
        const devices = r.devices.filter((d) => d.category === c);
        if (!devices.length) continue;
        print('');
        print(`${name} (${r.counts[c]})`);
        for (const d of devices) {
          const last = d.lastMessage ? `${when(d.lastMessage.time)}  ${d.lastMessage.description}` : 'no status message yet';
          print(`  ${d.name} (${d.resourceId})  ${last}`);
        }
      }
      if (r.truncated) print(`\n(more devices than listed: --limit, or --category for one category)`);
    });

  withConnection(deploy.command('estimate'))
    .description('how long a deployment will take on a device: content, measured throughput, restarts, earlier runs')
    .argument('<deploymentId>', 'the deployment')
    .option('--device <device>', 'the device: its name or ResourceID (required)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: Json & { device?: string }) => {
      if (!o.device)
        throw new InputError({ input: '--device', rule: 'which device to estimate for is missing', hint: `osd deploy estimate ${id} --device <name>` });
      const api = AdminClient.fromOptions(o);
      const d = await resolveDevice(api, o.device, '--device');
      const e = await api.get<DurationEstimate>(`/deployments/${enc(id)}/estimate?resourceId=${d.resourceId}`);
      if (o.json) return printJson(e);
      print(`${e.deploymentId} on ${e.deviceName} (${e.resourceId}): about ${durationText(e.totalSeconds)}`);
      print(
        `  download     ${durationText(e.downloadSeconds).padEnd(12)} ${mb(e.content.bytes)} in ${e.content.packages} package${e.content.packages === 1 ? '' : 's'} at ${mb(e.throughput.bytesPerSecond)}/s (${e.throughput.basis})`,
      );
      print(
        `  restarts     ${durationText(e.restarts.seconds).padEnd(12)} ${e.restarts.count} × ${e.restarts.secondsEach} s${e.restarts.steps.length ? `: ${e.restarts.steps.map((s) => s.path).join(', ')}` : ''}`,
      );
      print(`  other steps  ${(e.steps.seconds === null ? 'not counted' : durationText(e.steps.seconds)).padEnd(12)} ${e.steps.basis}`);
      for (const n of e.notes) if (n !== e.steps.basis) print(`  note: ${n}`);
    });

  withConnection(device.command('history'))
    .description("a device's runs, newest first, each step with its outcome, exit code, times and skip reason in ConfigMgr's words")
    .argument('<device>', 'the device: its name or ResourceID')
    .option('--deployment <deploymentId>', 'runs of this deployment only')
    .option('--limit <n>', 'at most this many runs (1 to 100)', '20')
    .option('--json', 'print JSON')
    .action(async (text: string, o: Json & { deployment?: string; limit: string }) => {
      if (!/^\d+$/.test(o.limit)) throw new InputError({ input: '--limit', rule: `"${o.limit}" is not a number` });
      const api = AdminClient.fromOptions(o);
      const d = await resolveDevice(api, text);
      const q = new URLSearchParams({ limit: o.limit });
      if (o.deployment) q.set('deploymentId', o.deployment);
      const h = await api.get<{ resourceId: number; name: string; runs: RunWithSteps[] }>(`/devices/${d.resourceId}/runs?${q}`);
      if (o.json) return printJson(h);
      print(`${h.name} (${h.resourceId}): ${h.runs.length ? `${h.runs.length} run${h.runs.length === 1 ? '' : 's'}` : 'no run reported yet'}`);
      for (const r of h.runs) {
        print('');
        printRun(r);
      }
    });

  withConnection(device.command('log'))
    .description("the smsts.log a device's computer uploaded (its latest run with a log, or --run)")
    .argument('<device>', 'the device: its name or ResourceID')
    .option('--run <runId>', 'the run (default: the latest run that has a log)')
    .option('--name <name>', 'which log: smsts.log or a rotated smsts-<timestamp>.log', 'smsts.log')
    .action(async (text: string, o: ConnectionOptions & { run?: string; name: string }) => {
      const api = AdminClient.fromOptions(o);
      const d = await resolveDevice(api, text);
      let runId = o.run;
      if (!runId) {
        const h = await api.get<{ runs: RunWithSteps[] }>(`/devices/${d.resourceId}/runs?limit=100`);
        runId = h.runs.find((r) => r.logs.includes(o.name))?.runId;
        if (!runId) {
          throw new InputError({
            input: '<device>',
            rule: `no run of ${d.name} has a log named ${o.name}`,
            hint: `a computer uploads its log at the end of a run and when it fails; osd device history ${d.name} lists its runs and their logs`,
          });
        }
      }
      const bytes = await api.request<Buffer>('GET', `/devices/${d.resourceId}/runs/${enc(runId)}/logs/${enc(o.name)}`, undefined, { raw: true });
      process.stdout.write(bytes);
    });
}
