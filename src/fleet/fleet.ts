/**
 * `osd bench fleet`: N simulated agents against real `osd server` processes, for load and fault
 * testing (issue 12 item 6). A simulated agent does what the real one (src/agent) asks of the
 * management point — register as an unknown computer, fetch its policy, the deployment's sequence
 * and content, send the status messages of a whole run in the batches the real agent sends (one
 * per instruction boundary), and upload its smsts.log — but runs no engine and downloads nothing:
 * the site is what is measured. With PostgreSQL, K servers share one database and the agents are
 * spread over them, so adding a server shows whether it adds throughput.
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
  onProgress?: (line: string) => void;
}

export interface FleetReport {
  devices: number;
  servers: number;
  database: 'pglite' | 'postgresql';
  concurrency: number;
  steps: number;
  wallSeconds: number;
  agentsSucceeded: number;
  agentsFailed: number;
  firstFailure?: string;
  statusMessages: number;
  statusMessagesPerSecond: number;
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
  if (o.servers > 1 && !o.database) {
    throw new OsdError('bad-input', {
      input: '--servers',
      rule: 'several servers share one PostgreSQL database; the embedded database belongs to one server',
      hint: 'add --database postgres://… or use --servers 1',
    });
  }
}

/** The messages of one instruction boundary of a run, as the real agent sends them. */
function stepMessages(runId: string, deploymentId: string, i: number, steps: number): object[] {
  const time = new Date().toISOString();
  const step = { index: i + 1, name: `Fleet step ${i + 1}`, group: 'Fleet', path: `Fleet / Fleet step ${i + 1}`, type: runCommandLine.type };
  const base = { runId, deploymentId, time, kind: 'step', step };
  const msgs: object[] = [
    { ...base, id: randomUUID(), outcome: 'started', messageId: null },
    { ...base, id: randomUUID(), outcome: 'succeeded', messageId: 11134, exitCode: 0, actionOutput: `step ${i + 1} of ${steps} done` },
  ];
  return msgs;
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
  const first = await startFleetServer(0, { osd: o.osd, root, database: o.database, sourceRoot: sources });
  const servers = [first];
  try {
    const keyFile = join(root, 'server-0', 'site.key');
    for (let i = 1; i < o.servers; i++) servers.push(await startFleetServer(i, { osd: o.osd, root, database: o.database, sourceRoot: sources, keyFile }));
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

/** One simulated computer: register, policy, sequence, content, a run's status, its log. */
async function simulatedAgent(http: FleetHttp, n: number, o: FleetOptions, counters: { messages: number; policies: number }): Promise<void> {
  const mac = `02:F1:${[(n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':')}`;
  const reg = ok(
    await http.request<{ credential: string }>('register', 'POST', '/mp/v1/register', {
      json: { macAddresses: [mac], architecture: 'x64', firmware: 'uefi', environment: 'winpe' },
    }),
    `register ${mac}`,
  );
  const token = reg.credential;
  const policy = ok(
    await http.request<{ deployments: Array<{ deploymentId: string; offered: boolean }> }>('policy', 'GET', '/mp/v1/policy?environment=winpe', { token }),
    `policy of ${mac}`,
  );
  counters.policies++;
  const offered = policy.deployments.find((d) => d.offered);
  if (!offered) throw new OsdError('fault', { input: `policy of ${mac}`, rule: 'no deployment is offered to this computer' });
  const dep = offered.deploymentId;
  ok(await http.request('sequence', 'GET', `/mp/v1/deployments/${dep}/sequence`, { token }), `sequence for ${mac}`);
  ok(await http.request('content', 'GET', `/mp/v1/deployments/${dep}/content?architecture=x64&firmware=uefi`, { token }), `content for ${mac}`);
  const runId = randomUUID();
  const send = async (messages: object[]): Promise<void> => {
    const a = ok(await http.request<{ stored: number }>('status', 'POST', '/mp/v1/status', { token, json: { messages } }), `status of ${mac}`);
    counters.messages += messages.length;
    void a;
  };
  await send([{ id: randomUUID(), runId, deploymentId: dep, time: new Date().toISOString(), kind: 'run', outcome: 'started', messageId: 11140 }]);
  for (let i = 0; i < o.steps; i++) await send(stepMessages(runId, dep, i, o.steps));
  await send([
    { id: randomUUID(), runId, deploymentId: dep, time: new Date().toISOString(), kind: 'run', outcome: 'succeeded', messageId: 11143, exitCode: 0 },
  ]);
  if (o.logBytes > 0) ok(await http.request('log', 'PUT', `/mp/v1/runs/${runId}/logs/smsts.log`, { token, text: fakeLog(o.logBytes, mac) }), `log of ${mac}`);
}

export async function runFleet(o: FleetOptions): Promise<FleetReport> {
  checkFleetOptions(o);
  const root = await mkdtemp(join(tmpdir(), 'osd-fleet-'));
  const latencies = new Latencies();
  const site = await setUpSite(o, root, latencies).catch(async (e) => {
    await rm(root, { recursive: true, force: true });
    throw e;
  });
  const clients = site.servers.map((s) => new FleetHttp(s.url, Math.max(1, Math.ceil(o.concurrency / site.servers.length)), latencies));
  const peaks = site.servers.map(() => 0);
  const watch = setInterval(() => {
    site.servers.forEach((s, i) => void peakMemory(s.pid).then((m) => (peaks[i] = Math.max(peaks[i]!, m ?? 0))));
  }, 500);
  const counters = { messages: 0, policies: 0 };
  let next = 0;
  let succeeded = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  let lastShown = 0;
  o.onProgress?.(`${o.devices} simulated computers, ${o.concurrency} at a time, ${o.steps} steps each (deployment ${site.deploymentId})`);
  const started = performance.now();
  try {
    const worker = async (): Promise<void> => {
      for (;;) {
        const n = next++;
        if (n >= o.devices) return;
        try {
          await simulatedAgent(clients[n % clients.length]!, n + 1, o, counters);
          succeeded++;
        } catch (e) {
          failed++;
          firstFailure ??= (e as Error).message;
        }
        const done = succeeded + failed;
        if (performance.now() - lastShown > 2000 || done === o.devices) {
          lastShown = performance.now();
          const secs = (performance.now() - started) / 1000;
          o.onProgress?.(
            `${done}/${o.devices} computers done, ${counters.messages} status messages (${Math.round(counters.messages / secs)}/s)${failed ? `, ${failed} failed` : ''}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.concurrency, o.devices) }, worker));
    const wallSeconds = (performance.now() - started) / 1000;
    for (const [i, s] of site.servers.entries()) peaks[i] = Math.max(peaks[i]!, (await peakMemory(s.pid)) ?? 0);
    return {
      devices: o.devices,
      servers: o.servers,
      database: o.database ? 'postgresql' : 'pglite',
      concurrency: o.concurrency,
      steps: o.steps,
      wallSeconds,
      agentsSucceeded: succeeded,
      agentsFailed: failed,
      ...(firstFailure ? { firstFailure } : {}),
      statusMessages: counters.messages,
      statusMessagesPerSecond: counters.messages / wallSeconds,
      policyRequestsPerSecond: counters.policies / wallSeconds,
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
