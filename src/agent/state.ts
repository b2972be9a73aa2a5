/**
 * The agent's folder on the computer's own disk (docs/management-point.md "The agent on the
 * computer"; the lab: the machine's `state/agent/`):
 *
 *   credential          the device credential (0600)
 *   device.json         what registration answered (resource id, name), no secret
 *   current-run.json    the run under way (0600: it holds the policy's variables, secrets included,
 *                       as the engine's journal does): run id, deployment, pinned sequence, content
 *   journal.json        the engine's journal (src/runner/file-journal.ts), secret variables sealed
 *   journal.key         their key (0600; src/runner/sealed-journal.ts)
 *   work/               steps' temporary files (a user state store on its way to or from the site)
 *   outbox/             status messages not yet acknowledged by the site (outbox.ts)
 *   cache/<packageId>/<sourceVersion>/…   the client cache (download.ts, precache.ts)
 *   logs/               smsts.log and its rotated parts
 *
 * Every file is replaced atomically (temporary file, fsync, rename, fsync the folder): a kill -9 at
 * any moment leaves the old file or the new one.
 */
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDirSync } from './fsync-dir.js';
import { AgentError } from './errors.js';
import type { ContentOption, DeploymentContent, PolicyVariable } from './protocol.js';

/** The run under way, enough for a new process to carry on after a restart or a kill. */
export interface CurrentRun {
  format: 'openosd.agent-run/v1';
  runId: string;
  deploymentId: string;
  taskSequenceId: string;
  name: string;
  revision: number;
  contentOption: ContentOption;
  startedAt: string;
  /** The pinned revision's task sequence, as the JSON model. */
  sequence: unknown;
  content: DeploymentContent;
  variables: PolicyVariable[];
  /** Where the run is: downloading content, in the engine, or ended (logs still to upload). */
  phase: 'download' | 'engine' | 'ended';
  /** Set once 'run started' was queued, so a resumed run does not say it twice. */
  startQueued?: boolean;
  result?: { result: 'succeeded' | 'failed' | 'refused'; exitCode: number; message?: string; endedAt: string };
  /** Content bytes fetched from distribution points by this run. */
  downloadedBytes?: number;
  /** Seconds spent fetching those bytes (for the site's throughput). */
  downloadSeconds?: number;
  /** The `downloaded` message was sent (once a run). */
  downloadReported?: boolean;
}

export interface DeviceRecord {
  resourceId: number;
  name: string;
  siteUrl: string;
}

export class AgentState {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    for (const d of [dir, this.outboxDir, this.cacheDir, this.logsDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
  }

  get outboxDir(): string {
    return join(this.dir, 'outbox');
  }

  get cacheDir(): string {
    return join(this.dir, 'cache');
  }

  get logsDir(): string {
    return join(this.dir, 'logs');
  }

  get journalPath(): string {
    return join(this.dir, 'journal.json');
  }

  /** The key the journal's secret variables are sealed with (0600, made on first use: src/runner/sealed-journal.ts). */
  get journalKeyPath(): string {
    return join(this.dir, 'journal.key');
  }

  /** Steps' temporary files (a user state store's packs before upload, after download): SiteServices.workDir. */
  get workDir(): string {
    return join(this.dir, 'work');
  }

  /** A package's folder in the client cache. */
  packageDir(packageId: string, sourceVersion: number): string {
    return join(this.cacheDir, packageId.toUpperCase(), String(sourceVersion));
  }

  credential(): string | undefined {
    const text = this.read('credential');
    return text?.trim() || undefined;
  }

  saveCredential(credential: string): void {
    this.write('credential', `${credential}\n`, 0o600);
  }

  forgetCredential(): void {
    rmSync(join(this.dir, 'credential'), { force: true });
  }

  device(): DeviceRecord | undefined {
    return this.readJson<DeviceRecord>('device.json');
  }

  saveDevice(device: DeviceRecord): void {
    this.write('device.json', JSON.stringify(device, null, 2), 0o644);
  }

  currentRun(): CurrentRun | undefined {
    return this.readJson<CurrentRun>('current-run.json');
  }

  saveCurrentRun(run: CurrentRun): void {
    this.write('current-run.json', JSON.stringify(run), 0o600);
  }

  /** The run is over and reported: its journal and record go (the cache and the logs stay). */
  endRun(): void {
    const run = this.currentRun();
    if (run) this.write('last-run.json', JSON.stringify({ ...run, sequence: undefined, variables: undefined }, null, 2), 0o644);
    rmSync(this.journalPath, { force: true });
    rmSync(this.journalKeyPath, { force: true });
    rmSync(this.workDir, { recursive: true, force: true });
    rmSync(join(this.dir, 'current-run.json'), { force: true });
    fsyncDirSync(this.dir);
  }

  private read(name: string): string | undefined {
    const p = join(this.dir, name);
    if (!existsSync(p)) return undefined;
    return readFileSync(p, 'utf8');
  }

  private readJson<T>(name: string): T | undefined {
    const text = this.read(name);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new AgentError('fault', {
        input: join(this.dir, name),
        rule: `is not valid JSON (${(e as Error).message})`,
        hint: "the agent's state is damaged: remove the file to start over (a run under way is then lost)",
      });
    }
  }

  private write(name: string, text: string, mode: number): void {
    writeFileDurable(join(this.dir, name), text, mode);
  }
}

/** Writes a file atomically and durably, synchronously (the engine's status sink cannot wait). */
export function writeFileDurable(path: string, text: string, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    const buf = Buffer.from(text);
    let at = 0;
    while (at < buf.length) at += writeSync(fd, buf, at, buf.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, mode);
  renameSync(tmp, path);
  fsyncDirSync(join(path, '..'));
}
