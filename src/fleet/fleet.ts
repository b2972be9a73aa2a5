/**
 * `osd bench fleet`: N simulated agents against real `osd server` processes, for load and fault
 * testing (issue 12 item 6). A simulated agent does what the real one (src/agent) asks of the
 * management point — register as an unknown computer, fetch its policy, the deployment's sequence
 * and content, send the status messages of a whole run (run, group and step messages, as
 * src/agent/status.ts makes them) and upload its smsts.log — but runs no engine and downloads
 * nothing: the site is what is measured. With PostgreSQL, K servers share one database and the
 * agents are spread over them, so adding a server shows whether it adds throughput.
 *
 * The computers go through a rollout's phases together — all register, then all ask for policy,
 * then the deployment's sequence and content, then run, then upload their logs — so each phase's
 * rate is the site's for that kind of request alone.
 *
 * Batching follows the real agent's outbox (src/agent/outbox.ts): it sends a message as soon as it
 * is written, one request at a time, and what was written while a request was under way goes in the
 * next (at most 500). A step lasts longer than a round trip, so in a deployment each message goes
 * alone: `batch` 1, the default. `batch` N sends N at a time — an agent whose messages queued up
 * behind a slow or unreachable site. In the run phase every computer sends its next batch as soon
 * as the last is answered: the site's capacity. With `rate`, every computer then runs the deployment
 * once more (the paced phase, its requests timed as `status-paced`), every computer at work at once
 * and its messages written at that rate across the fleet (open loop: a rollout's computers go on
 * whatever the answers' speed) and sent as the outbox sends them — each alone while the site keeps
 * up, those written meanwhile together when it does not — for the latency at a given load.
 *
 * What it sets up on the site (through the admin API, as an administrator would): a small boot
 * image (a real WIM made with wimlib), a task sequence of `steps` Run Command Line steps using it,
 * and a Required deployment of it to All Unknown Computers, available to media and PXE.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OsdError } from '../common/errors.js';
import { runCommandLine } from '../sequence/catalog/steps/run-command-line.js';
import { runTool } from '../storage/tools.js';
import { FleetHttp, Latencies, ok } from './http.js';
import { peakMemory, startFleetServer, stopFleetServer, type FleetServer } from './servers.js';

export interface FleetOptions {
  /** bin/osd.js of this checkout. */
  osd: string;
  devices: number;
  /** Server processes (more than one needs `database`). */
  servers: number;
  database?: string;
  /** Agents at work at the same time. */
  concurrency: number;
  /** Run Command Line steps in the fleet's task sequence. */
  steps: number;
  /** Bytes of the smsts.log each agent uploads. */
  logBytes: number;
  /** Status messages per request (1: as the real agent sends while its steps outlast a round trip). */
  batch?: number;
  /** Then a second run of every computer, its messages offered at this rate by the whole fleet (open loop). */
  rate?: number;
  /** Node.js options for the server processes (e.g. `--cpu-prof`, `--cpu-prof-dir=DIR` to profile them). */
  serverNodeArgs?: string[];
  onProgress?: (line: string) => void;
  /** Told as each phase starts and ends, with the server processes' ids (a benchmark samples their CPU). */
  onPhase?: (phase: string, event: 'start' | 'end', serverPids: number[]) => void;
}

/** One phase of the rollout: every computer's requests of that kind, and how long they took together. */
export interface FleetPhase {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
}

export interface FleetReport {
  devices: number;
  servers: number;
  database: 'pglite' | 'postgresql';
  concurrency: number;
  steps: number;
  batch: number;
  /** The status messages per second offered in the paced phase. */
  rate?: number;
  wallSeconds: number;
  phases: Record<'register' | 'policy' | 'content' | 'run' | 'log', FleetPhase> & { paced?: FleetPhase };
  agentsSucceeded: number;
  agentsFailed: number;
  firstFailure?: string;
  statusMessages: number;
  /** Status messages stored per second during the run phase. */
  statusMessagesPerSecond: number;
  /** … and during the paced phase, with the messages a request carried there on average. */
  pacedStatusMessagesPerSecond?: number;
  pacedMessagesPerRequest?: number;
  /** Policy requests answered per second during the policy phase. */
  policyRequestsPerSecond: number;
  requests: ReturnType<Latencies['summary']>;
  serverPeakMemoryBytes: number[];
}

export function checkFleetOptions(o: FleetOptions): void {
  const whole = (v: number, name: string, min: number, max: number): void => {
    if (!Number.isInteger(v) || v < min || v > max) throw new OsdError('bad-input', { input: name, rule: `must be a whole number from ${min} to ${max}` });
  };
  whole(o.devices, '--devices', 1, 1_000_000);
  whole(o.servers, '--servers', 1, 64);
  whole(o.concurrency, '--concurrency', 1, 10_000);
  whole(o.steps, '--steps', 1, 1000);
  whole(o.logBytes, '--log-bytes', 0, 16 * 1024 * 1024);
  whole(o.batch ?? 1, '--batch', 1, 500);
  if (o.rate !== undefined) whole(o.rate, '--rate', 1, 1_000_000);
  if (o.servers > 1 && !o.database) {
    throw new OsdError('bad-input', {
      input: '--servers',
      rule: 'several servers share one PostgreSQL database; the embedded database belongs to one server',
      hint: 'add --database postgres://… or use --servers 1',
    });
  }
}

/**
 * Every status message of one run of the fleet's sequence, in the order the real agent writes them
 * (src/agent/status.ts): run started, the group started, each step started and succeeded, the
 * group completed, run succeeded. Their times are given when sent.
 */
function runMessages(runId: string, deploymentId: string, steps: number): Array<Record<string, unknown>> {
  const base = { runId, deploymentId };
  const group = { index: 0, name: 'Fleet', group: null, path: 'Fleet', type: null };
  const msgs: Array<Record<string, unknown>> = [
    { ...base, kind: 'run', outcome: 'started', messageId: 11140 },
    { ...base, kind: 'group', outcome: 'started', messageId: 11124, step: group },
  ];
  for (let i = 0; i < steps; i++) {
    const step = { index: i + 1, name: `Fleet step ${i + 1}`, group: 'Fleet', path: `Fleet / Fleet step ${i + 1}`, type: runCommandLine.type };
    msgs.push({ ...base, kind: 'step', outcome: 'started', messageId: null, step });
    msgs.push({ ...base, kind: 'step', outcome: 'succeeded', messageId: 11134, step, exitCode: 0, actionOutput: `step ${i + 1} of ${steps} done` });
  }
  msgs.push({ ...base, kind: 'group', outcome: 'succeeded', messageId: 11127, step: group });
  msgs.push({ ...base, kind: 'run', outcome: 'succeeded', messageId: 11143, exitCode: 0 });
  return msgs;
}

/** The most messages the agent's outbox sends in one request (src/agent/outbox.ts MAX_BATCH_MESSAGES). */
const MAX_OUTBOX_BATCH = 500;

/** Messages sent per run of a `steps`-step sequence. */
export function messagesPerRun(steps: number): number {
  return 2 * steps + 4;
}

/** Releases status messages at `rate` per second across the fleet (open loop); no pacing without a rate. */
function pacer(rate: number | undefined): (messages: number) => Promise<void> {
  if (!rate) return () => Promise.resolve();
  let due = performance.now();
  return (messages) => {
    const at = Math.max(due, performance.now() - 1000);
    due = at + (messages * 1000) / rate;
    const wait = at - performance.now();
    return wait > 0 ? new Promise((r) => setTimeout(r, wait)) : Promise.resolve();
  };
}

function fakeLog(bytes: number, name: string): string {
  const line = `<![LOG[Executing command line: cmd.exe /c echo ${name}]LOG]!><time="08:00:00.000+000" date="12-07-2026" component="TSManager" context="" type="1" thread="1" file="commandline.cpp:827">\n`;
  return line.repeat(Math.max(0, Math.ceil(bytes / line.length))).slice(0, bytes);
}

interface Site {
  servers: FleetServer[];
  token: string;
  deploymentId: string;
}

async function makeBootWim(dir: string): Promise<string> {
  const tree = join(dir, 'winpe');
  await mkdir(join(tree, 'Windows', 'System32'), { recursive: true });
  await writeFile(join(tree, 'Windows', 'System32', 'winpeshl.ini'), '[LaunchApps]\n');
  const wim = join(dir, 'boot.wim');
  await runTool('wimlib-imagex', ['capture', tree, wim, 'Microsoft Windows PE (x64)', '--compress=none']);
  await runTool('wimlib-imagex', [
    'info',
    wim,
    '1',
    '--image-property',
    'WINDOWS/ARCH=9',
    '--image-property',
    'WINDOWS/INSTALLATIONTYPE=WindowsPE',
    '--image-property',
    'WINDOWS/VERSION/MAJOR=10',
    '--image-property',
    'WINDOWS/VERSION/MINOR=0',
    '--image-property',
    'WINDOWS/VERSION/BUILD=22621',
  ]);
  return wim;
}

function sequenceXml(steps: number): string {
  const body = Array.from(
    { length: steps },
    (_, i) =>
      `<step type="${runCommandLine.type}" name="Fleet step ${i + 1}" description="" successCodeList="0 3010"><action>smsswd.exe /run: cmd.exe /c echo ${i + 1}</action><defaultVarList><variable name="CommandLine" property="CommandLine">cmd.exe /c echo ${i + 1}</variable></defaultVarList></step>`,
  ).join('\n');
  return `<?xml version="1.0"?>\n<sequence version="3.10"><group name="Fleet" description="">\n${body}\n</group></sequence>\n`;
}

async function setUpSite(o: FleetOptions, root: string, latencies: Latencies): Promise<Site> {
  const sources = join(root, 'sources');
  await mkdir(sources, { recursive: true });
  o.onProgress?.(`starting ${o.servers} server process${o.servers === 1 ? '' : 'es'} (${o.database ? 'PostgreSQL' : 'embedded database'})`);
  const nodeArgs = o.serverNodeArgs ?? [];
  const first = await startFleetServer(0, { osd: o.osd, root, database: o.database, sourceRoot: sources, nodeArgs });
  const servers = [first];
  try {
    const keyFile = join(root, 'server-0', 'site.key');
    for (let i = 1; i < o.servers; i++)
      servers.push(await startFleetServer(i, { osd: o.osd, root, database: o.database, sourceRoot: sources, keyFile, nodeArgs }));
    const token = (await readFile(join(root, 'server-0', 'admin.token'), 'utf8')).trim();
    const admin = new FleetHttp(first.url, 4, latencies);
    try {
      const call = async <T>(method: string, path: string, json?: unknown): Promise<T> =>
        ok(await admin.request<T>('admin', method, `/api/v1${path}`, { token, json }), `${method} /api/v1${path}`);
      const wim = await makeBootWim(sources);
      const boot = await call<{ packageId: string }>('POST', '/boot-images', { sourcePath: wim, pxe: true });
      const ts = await call<{ id?: string; packageId?: string; taskSequence?: { id: string } }>('POST', '/task-sequences', {
        name: `Fleet ${o.steps} steps`,
        format: 'xml',
        content: sequenceXml(o.steps),
        bootImageId: boot.packageId,
      });
      const tsId = ts.taskSequence?.id ?? ts.id ?? ts.packageId;
      const d = await call<{ deployment: { id: string } }>('POST', '/deployments', {
        taskSequenceId: tsId,
        collectionId: 'SMS000US',
        purpose: 'required',
        availability: 'media-pxe',
        schedules: ['asap'],
        confirmHighRisk: true,
      });
      return { servers, token, deploymentId: d.deployment.id };
    } finally {
      admin.close();
    }
  } catch (e) {
    await Promise.all(servers.map(stopFleetServer));
    throw e;
  }
}

/** A simulated computer between phases. */
interface Computer {
  n: number;
  mac: string;
  http: FleetHttp;
  token?: string;
  deploymentId?: string;
  runId?: string;
  failed?: string;
}

/** The phases of a rollout, in order: what each computer asks the management point in it. */
type PhaseName = keyof FleetReport['phases'];
const PHASES: Array<{ name: PhaseName; requests: (o: FleetOptions) => number }> = [
  { name: 'register', requests: () => 1 },
  { name: 'policy', requests: () => 1 },
  { name: 'content', requests: () => 2 },
  { name: 'run', requests: (o) => Math.ceil(messagesPerRun(o.steps) / (o.batch ?? 1)) },
  { name: 'paced', requests: () => 0 }, // as many as the outbox made: counted
  { name: 'log', requests: (o) => (o.logBytes > 0 ? 1 : 0) },
];

async function phaseStep(
  phase: PhaseName,
  c: Computer,
  o: FleetOptions,
  counters: { messages: number; pacedRequests: number },
  pace: (messages: number) => Promise<void>,
): Promise<void> {
  const { http, mac } = c;
  const token = c.token!;
  const dep = c.deploymentId!;
  switch (phase) {
    case 'register': {
      const reg = ok(
        await http.request<{ credential: string }>('register', 'POST', '/mp/v1/register', {
          json: { macAddresses: [mac], architecture: 'x64', firmware: 'uefi', environment: 'winpe' },
        }),
        `register ${mac}`,
      );
      c.token = reg.credential;
      return;
    }
    case 'policy': {
      const policy = ok(
        await http.request<{ deployments: Array<{ deploymentId: string; offered: boolean }> }>('policy', 'GET', '/mp/v1/policy?environment=winpe', { token }),
        `policy of ${mac}`,
      );
      const offered = policy.deployments.find((d) => d.offered);
      if (!offered) throw new OsdError('fault', { input: `policy of ${mac}`, rule: 'no deployment is offered to this computer' });
      c.deploymentId = offered.deploymentId;
      return;
    }
    case 'content':
      ok(await http.request('sequence', 'GET', `/mp/v1/deployments/${dep}/sequence`, { token }), `sequence for ${mac}`);
      ok(await http.request('content', 'GET', `/mp/v1/deployments/${dep}/content?architecture=x64&firmware=uefi`, { token }), `content for ${mac}`);
      return;
    case 'run': {
      c.runId = randomUUID();
      const all = runMessages(c.runId, dep, o.steps);
      const batch = o.batch ?? 1;
      for (let i = 0; i < all.length; i += batch) {
        const time = new Date().toISOString();
        const messages = all.slice(i, i + batch).map((m) => ({ id: randomUUID(), time, ...m }));
        ok(await http.request<{ stored: number }>('status', 'POST', '/mp/v1/status', { token, json: { messages } }), `status of ${mac}`);
        counters.messages += messages.length;
      }
      return;
    }
    case 'paced': {
      // As the agent's outbox (src/agent/outbox.ts): each message is written when the pace says (its
      // time then), and sent as soon as no request is under way — alone while the site keeps up,
      // with those written meanwhile (at most MAX_OUTBOX_BATCH) when it does not.
      c.runId = randomUUID();
      const all = runMessages(c.runId, dep, o.steps);
      const written: string[] = [];
      let wake: (() => void) | undefined;
      const writer = (async () => {
        for (let i = 0; i < all.length; i++) {
          await pace(1);
          written.push(new Date().toISOString());
          wake?.();
        }
      })();
      for (let sent = 0; sent < all.length;) {
        if (written.length === sent) await new Promise<void>((r) => (wake = r));
        wake = undefined;
        const upto = Math.min(written.length, sent + MAX_OUTBOX_BATCH);
        const messages = all.slice(sent, upto).map((m, k) => ({ id: randomUUID(), time: written[sent + k], ...m }));
        ok(await http.request<{ stored: number }>('status-paced', 'POST', '/mp/v1/status', { token, json: { messages } }), `status of ${mac}`);
        counters.messages += messages.length;
        counters.pacedRequests++;
        sent = upto;
      }
      await writer;
      return;
    }
    case 'log':
      if (o.logBytes > 0)
        ok(await http.request('log', 'PUT', `/mp/v1/runs/${c.runId}/logs/smsts.log`, { token, text: fakeLog(o.logBytes, mac) }), `log of ${mac}`);
      return;
  }
}

export async function runFleet(o: FleetOptions): Promise<FleetReport> {
  checkFleetOptions(o);
  const root = await mkdtemp(join(tmpdir(), 'osd-fleet-'));
  const latencies = new Latencies();
  const site = await setUpSite(o, root, latencies).catch(async (e) => {
    await rm(root, { recursive: true, force: true });
    throw e;
  });
  // `concurrency` connections, opened in the first phases and kept: paced, every computer is at work
  // at once but a request waits for a connection only when the site falls behind (that wait is
  // timed). A thousand connections opened at once when the paced phase starts overflow the
  // server's listen backlog, and the SYNs sent again 1 and 3 s later would be timed as the site's.
  const clients = site.servers.map((s) => new FleetHttp(s.url, Math.max(1, Math.ceil(o.concurrency / site.servers.length)), latencies));
  const peaks = site.servers.map(() => 0);
  const watch = setInterval(() => {
    site.servers.forEach((s, i) => void peakMemory(s.pid).then((m) => (peaks[i] = Math.max(peaks[i]!, m ?? 0))));
  }, 500);
  const counters = { messages: 0, pacedRequests: 0 };
  const computers: Computer[] = Array.from({ length: o.devices }, (_, i) => {
    const n = i + 1;
    const mac = `02:F1:${[(n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':')}`;
    return { n, mac, http: clients[i % clients.length]! };
  });
  let firstFailure: string | undefined;
  const phases = {} as FleetReport['phases'];
  let runMessages = 0;
  let pacedMessages = 0;
  o.onProgress?.(
    `${o.devices} simulated computers, ${o.concurrency} at a time, ${o.steps} steps each, ${o.batch ?? 1} status message(s) per request${o.rate ? `, then ${o.rate} messages/s offered` : ''} (deployment ${site.deploymentId})`,
  );
  const started = performance.now();
  try {
    for (const phase of PHASES) {
      if (phase.name === 'paced' && !o.rate) continue;
      const pace = pacer(phase.name === 'paced' ? o.rate : undefined);
      const alive = computers.filter((c) => !c.failed);
      let next = 0;
      let done = 0;
      let lastShown = performance.now();
      const t0 = performance.now();
      const worker = async (): Promise<void> => {
        for (;;) {
          const c = alive[next++];
          if (!c) return;
          try {
            await phaseStep(phase.name, c, o, counters, pace);
          } catch (e) {
            c.failed = (e as Error).message;
            firstFailure ??= c.failed;
          }
          done++;
          if (performance.now() - lastShown > 5000) {
            lastShown = performance.now();
            o.onProgress?.(
              `${phase.name}: ${done}/${alive.length} computers${phase.name === 'run' || phase.name === 'paced' ? `, ${counters.messages} status messages` : ''}`,
            );
          }
        }
      };
      const messagesBefore = counters.messages;
      const pids = site.servers.map((s) => s.pid);
      o.onPhase?.(phase.name, 'start', pids);
      const workers = phase.name === 'paced' ? alive.length : Math.min(o.concurrency, alive.length);
      await Promise.all(Array.from({ length: workers }, worker));
      const seconds = (performance.now() - t0) / 1000;
      o.onPhase?.(phase.name, 'end', pids);
      const requests = phase.name === 'paced' ? counters.pacedRequests : alive.filter((c) => !c.failed).length * phase.requests(o);
      phases[phase.name] = { requests, seconds, requestsPerSecond: requests / seconds };
      const messages = counters.messages - messagesBefore;
      if (phase.name === 'run') runMessages = messages;
      if (phase.name === 'paced') pacedMessages = messages;
      const extra = messages ? `, ${Math.round(messages / seconds)} status messages/s` : '';
      o.onProgress?.(`${phase.name}: ${alive.length} computers in ${seconds.toFixed(1)} s (${Math.round(requests / seconds)} requests/s${extra})`);
    }
    const wallSeconds = (performance.now() - started) / 1000;
    for (const [i, s] of site.servers.entries()) peaks[i] = Math.max(peaks[i]!, (await peakMemory(s.pid)) ?? 0);
    const failed = computers.filter((c) => c.failed).length;
    return {
      devices: o.devices,
      servers: o.servers,
      database: o.database ? 'postgresql' : 'pglite',
      concurrency: o.concurrency,
      steps: o.steps,
      batch: o.batch ?? 1,
      ...(o.rate ? { rate: o.rate } : {}),
      wallSeconds,
      phases,
      agentsSucceeded: o.devices - failed,
      agentsFailed: failed,
      ...(firstFailure ? { firstFailure } : {}),
      statusMessages: counters.messages,
      statusMessagesPerSecond: runMessages / phases.run.seconds,
      ...(phases.paced
        ? { pacedStatusMessagesPerSecond: pacedMessages / phases.paced.seconds, pacedMessagesPerRequest: pacedMessages / Math.max(1, counters.pacedRequests) }
        : {}),
      policyRequestsPerSecond: phases.policy.requestsPerSecond,
      requests: latencies.summary(),
      serverPeakMemoryBytes: peaks,
    };
  } finally {
    clearInterval(watch);
    for (const c of clients) c.close();
    await Promise.all(site.servers.map(stopFleetServer));
    await rm(root, { recursive: true, force: true });
  }
}
