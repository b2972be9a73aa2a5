/**
 * Lab machines through the agent (issue 12): `osd lab boot NAME --site URL` starts the machine
 * against a site — the agent registers it, takes its policy, chooses the deployment (`--choose`,
 * `--answers` play the user of the WinPE wizard), downloads the content and runs the engine on the
 * machine's disks, reporting to the site — and `osd lab agent NAME --site URL --once` is the agent
 * of a machine in its full OS: a policy poll and pre-cache. The agent's state is the machine's
 * `state/agent/`; the machine's profile gives its facts (MACs, SMBIOS GUID, architecture,
 * firmware, model, language).
 */
import { join } from 'node:path';
import { loadWizardAnswers } from '../agent/choose.js';
import type { DownloadProgress } from '../agent/download.js';
import { machineFactsOf } from '../agent/facts.js';
import { MpClient } from '../agent/mp-client.js';
import { preCache } from '../agent/precache.js';
import { runAgent, type AgentRunResult } from '../agent/run.js';
import { AgentState } from '../agent/state.js';
import type { MediaType } from '../engine/simulate/simulate.js';
import type { LabMachine } from '../lab/lab-machine.js';
import { InputError } from '../sequence/input-error.js';
import { report } from './engine-commands.js';
import { CliExit, EXIT_FINDINGS, print, printJson } from './output.js';
import { formatBytes, startProgress, type Progress } from './progress.js';

export interface LabSiteBootOptions {
  site: string;
  choose?: string;
  answers?: string;
  mediaType?: MediaType;
  json?: boolean;
}

/** The agent's folder of a lab machine. */
export function agentStateDir(m: LabMachine): string {
  return join(m.stateDir, 'agent');
}

/** `osd lab boot NAME --site URL`: one agent run on the lab machine. */
export async function bootLabFromSite(m: LabMachine, opts: LabSiteBootOptions): Promise<void> {
  const environment = m.profile.currentOs && !opts.mediaType ? 'os' : 'winpe';
  const mediaType = opts.mediaType ?? (environment === 'winpe' ? 'PXE' : undefined);
  const answers = opts.answers ? loadWizardAnswers(opts.answers) : undefined;
  const bars = downloadBars(opts.json === true);
  let r: AgentRunResult;
  try {
    r = await runAgent({
      siteUrl: siteUrl(opts.site),
      stateDir: agentStateDir(m),
      computer: m,
      restart: (into) => m.restart(into),
      facts: machineFactsOf(m.profile, environment),
      profile: m.profile,
      mediaType,
      choose: opts.choose,
      answers,
      onProgress: bars.update,
      onLine: opts.json ? undefined : (line) => process.stderr.write(`osd: ${line}\n`),
    });
  } finally {
    bars.close();
  }
  if (r.deploymentId) {
    m.recordBoot({
      at: new Date().toISOString(),
      sequence: `deployment ${r.deploymentId} from ${opts.site}`,
      result: r.outcome === 'succeeded' ? 'success' : 'failure',
      exitCode: r.exitCode,
      message: r.message,
    });
  }
  if (opts.json) {
    const { report: rep, ...rest } = r;
    printJson({ ...rest, report: rep ? { ...rep, log: undefined } : undefined });
  } else {
    if (r.report) await report(`deployment ${r.deploymentId}`, r.report, {});
    print(summary(r));
  }
  if (r.outcome === 'failed' || r.outcome === 'refused') throw new CliExit(EXIT_FINDINGS);
}

/** `osd lab agent NAME --site URL --once`: the agent of a machine in its full OS — a policy poll and pre-cache. */
export async function labAgentOnce(m: LabMachine, opts: { site: string; json?: boolean }): Promise<void> {
  if (!m.profile.currentOs) {
    throw new InputError({
      input: m.name,
      rule: 'has no operating system: the agent polls policy and pre-caches in the full OS',
      hint: 'make the machine with --preinstalled-os, or start a deployment with `osd lab boot NAME --site URL`',
    });
  }
  const state = new AgentState(agentStateDir(m));
  const facts = machineFactsOf(m.profile, 'os');
  const client = new MpClient({ siteUrl: siteUrl(opts.site), credential: state.credential() });
  if (!client.credential) {
    const answer = await client.register({
      macAddresses: facts.macAddresses,
      ...(facts.smbiosGuid ? { smbiosGuid: facts.smbiosGuid } : {}),
      architecture: facts.architecture,
      firmware: facts.firmware,
      ...(facts.name ? { name: facts.name } : {}),
      environment: 'os',
    });
    state.saveCredential(answer.credential);
    state.saveDevice({ resourceId: answer.resourceId, name: answer.name, siteUrl: client.base });
    client.credential = answer.credential;
    if (!opts.json) process.stderr.write(`osd: registered with the site as ${answer.name}\n`);
    if (answer.approval === 'pending') {
      print(`${answer.name} waits for an administrator's approval (osd device approve ${answer.name})`);
      return;
    }
  }
  const bars = downloadBars(opts.json === true);
  let r;
  try {
    r = await preCache(client, state, facts, { onProgress: bars.update });
  } finally {
    bars.close();
  }
  if (opts.json) printJson(r);
  else print([...r.lines, `Pre-cache: ${formatBytes(r.fetchedBytes)} downloaded into ${state.cacheDir}`].join('\n'));
}

function siteUrl(value: string): string {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    return value;
  } catch {
    throw new InputError({
      input: `--site ${value}`,
      rule: 'is not an http:// or https:// URL',
      hint: 'give the site server as osd server printed it, e.g. http://site:8080',
    });
  }
}

/** One progress display per package being downloaded (a bar on a terminal, plain lines otherwise). */
function downloadBars(quiet: boolean): { update: (p: DownloadProgress) => void; close: () => void } {
  const open = new Map<string, Progress>();
  return {
    update: (p) => {
      let bar = open.get(p.packageId);
      if (!bar) {
        if (p.done >= p.total) return;
        bar = startProgress({ label: `downloading ${p.packageId}`, total: p.total, unit: 'bytes', quiet });
        open.set(p.packageId, bar);
      }
      bar.update(p.done);
      if (p.done >= p.total) {
        bar.done();
        open.delete(p.packageId);
      }
    },
    close: () => {
      for (const bar of open.values()) bar.fail();
      open.clear();
    },
  };
}

function summary(r: AgentRunResult): string {
  const lines: string[] = [];
  const code = `0x${(r.exitCode >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
  switch (r.outcome) {
    case 'nothing':
    case 'pending':
      lines.push(`No task sequence ran: ${r.message}`);
      break;
    case 'refused':
      lines.push(`Refused: ${r.message}`);
      break;
    default:
      lines.push(
        `Deployment ${r.deploymentId} "${r.deploymentName}": ${r.outcome}${r.outcome === 'failed' ? ` (${code}${r.message ? `: ${r.message}` : ''})` : ''}`,
      );
  }
  if (r.runId) lines.push(`run ${r.runId}${r.resumed ? ' (resumed)' : ''}; ${formatBytes(r.downloadedBytes)} downloaded`);
  if (r.statusPending > 0) lines.push(`${r.statusPending} status message(s) wait for the site: run osd lab boot again when it answers`);
  if (r.runId && !r.logsUploaded) lines.push('smsts.log is not at the site yet: it is sent at the next start');
  lines.push(`smsts.log: ${r.logPath}`);
  return lines.join('\n');
}
