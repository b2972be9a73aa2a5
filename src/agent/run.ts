/**
 * One agent run on a destination computer (docs/management-point.md "The agent on the computer"):
 *
 *   register (or reuse the credential) → policy → choose (choose.ts) → the pinned sequence and the
 *   content answer → refuse a computer that cannot run the boot image or the OS image, before
 *   anything is written (compatibility.ts) → download (all first, or as each step needs it) →
 *   the engine exactly as the lab composes it (simulate(...) with the ActionExecutor, the handlers'
 *   predictions, a FileJournal and smsts.log) with the policy's variables, every status event
 *   through the outbox → smsts.log (and rotated parts) uploaded at the end and on failure.
 *
 * Resumable after kill -9: `current-run.json` says where the run is (download, engine, ended), the
 * engine's journal where the sequence is, the outbox what the site has not acknowledged; starting
 * the agent again carries on from there (the site may be down meanwhile: the run goes on and the
 * messages wait).
 *
 * The agent sees the computer only through the `Computer` port and a restart callback, and the
 * machine through its facts and profile: the lab is one caller, a boot environment another.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Computer } from '../actions/computer.js';
import { ActionExecutor } from '../actions/executor.js';
import type { SiteServices } from '../actions/services.js';
import { stepSimulators } from '../actions/handlers/index.js';
import type { InitialVariable } from '../engine/engine.js';
import { scrubSecrets } from '../engine/environment.js';
import type { MachineProfile } from '../engine/machine-profile/index.js';
import type { Executor, LogSeverity, RestartTarget, StatusSink } from '../engine/ports.js';
import { compileProgram } from '../engine/program.js';
import { simulate, type MediaType, type SimulationReport } from '../engine/simulate/simulate.js';
import { FileJournal } from '../runner/file-journal.js';
import { SealedSecretsJournal } from '../runner/sealed-journal.js';
import { ProcessExecutor } from '../runner/process-executor.js';
import { SmstsLog } from '../runner/smsts-log.js';
import { placeSmstsLog } from '../actions/os/smsts-log-copy.js';
import { importJsonText } from '../sequence/codec/json.js';
import { applyOperatingSystem } from '../sequence/catalog/index.js';
import { namesPackage } from '../sequence/content-references.js';
import type { TaskSequence } from '../sequence/model/task-sequence.js';
import { chooseDeployment, type WizardAnswers } from './choose.js';
import { incompatibilities } from './compatibility.js';
import { DownloadingContentLibrary, type DownloadProgress } from './download.js';
import { prepareDriverCatalog, usesAutoApplyDrivers } from './drivers.js';
import { AgentError, NOT_APPLICABLE_CODE } from './errors.js';
import { MpClient } from './mp-client.js';
import { Outbox } from './outbox.js';
import { HttpStateMigrationService } from './state-migration.js';
import type { ContentPackage, MachineFacts, Policy, StatusMessage } from './protocol.js';
import { AgentState, type CurrentRun } from './state.js';
import { MpApplicationCatalog, MpSoftwareUpdateCatalog } from './software.js';
import { runMessage, statusSinkOf } from './status.js';

export interface AgentRunOptions {
  siteUrl: string;
  /** The agent's folder on the computer's disk (the lab: `<machine>/state/agent`). */
  stateDir: string;
  computer: Computer;
  /** Before the computer restarts (the lab flushes its disks; a real computer reboots). */
  restart: (target: 'WinPE' | 'OS') => Promise<void>;
  facts: MachineFacts;
  /** What the engine's conditions read of the machine (inventory, built-in variables). */
  profile: MachineProfile;
  /** How the task sequence starts (PXE, media; none: Software Center in the full OS). */
  mediaType?: MediaType;
  /**
   * Started from boot media: the media's variables and the prestart command's (later win). The
   * site's collection and device variables win over them: bootable media contact the management
   * point (engine-semantics §12.3's open question, decided so for bootable media, as
   * docs/boot-media.md says; stand-alone media, which would replace them, do not exist here).
   */
  mediaVariables?: InitialVariable[];
  /** The user's choice of an Available deployment (`--choose`). */
  choose?: string;
  answers?: WizardAnswers;
  onProgress?: (p: DownloadProgress) => void;
  /** Human-readable lines as the run goes (the CLI prints them). */
  onLine?: (line: string) => void;
  /** How long to keep trying an unreachable site for requests the run cannot do without (default 10 minutes). */
  retryForMs?: number;
  /** How long to try delivering status and logs at the end before leaving them for the next start (default: retryForMs). */
  deliverForMs?: number;
  signal?: AbortSignal;
}

export type AgentOutcome = 'succeeded' | 'failed' | 'refused' | 'nothing' | 'pending';

export interface AgentRunResult {
  outcome: AgentOutcome;
  runId?: string;
  deploymentId?: string;
  deploymentName?: string;
  exitCode: number;
  message?: string;
  report?: SimulationReport;
  /** Content bytes fetched from distribution points by this run. */
  downloadedBytes: number;
  logPath: string;
  /** Status messages still waiting for the site (0 when everything was delivered). */
  statusPending: number;
  logsUploaded: boolean;
  /** Whether this start resumed a run an earlier process left. */
  resumed: boolean;
}

const COMPONENT = 'TSAgent';

export async function runAgent(options: AgentRunOptions): Promise<AgentRunResult> {
  const state = new AgentState(options.stateDir);
  const smsts = new SmstsLog(state.logsDir);
  let secrets: string[] = [];
  const log = (message: string, severity: LogSeverity = 'info'): void => {
    const text = secrets.length ? scrubSecrets(message, secrets) : message;
    smsts.write({ time: new Date(), component: COMPONENT, severity, message: text, file: 'agent' });
    options.onLine?.(text);
  };
  const client = new MpClient({
    siteUrl: options.siteUrl,
    credential: state.credential(),
    retryForMs: options.retryForMs,
    signal: options.signal,
    onRetry: (what, e, waitMs) => log(`${e.rule}; trying ${what} again in ${(waitMs / 1000).toFixed(1)} s`, 'warning'),
  });
  const outbox = new Outbox(state.outboxDir, {
    onRejected: (messages, e) => log(`The site refused ${messages.length} status message(s), kept in outbox/rejected: ${e.message}`, 'error'),
  });
  // Messages an earlier run could not deliver go first.
  if (outbox.count() > 0) {
    log(`${outbox.count()} status message(s) from before are waiting for the site`);
    outbox.kick(client);
  }
  const deliverFor = options.deliverForMs ?? options.retryForMs ?? 600_000;
  const base = { logPath: smsts.path, downloadedBytes: 0, statusPending: 0, logsUploaded: false };

  let current = state.currentRun();
  const resumed = current !== undefined;
  if (current) {
    log(`Resuming run ${current.runId} of deployment ${current.deploymentId} "${current.name}" (${current.phase})`);
  } else {
    const started = await startRun(options, state, client, log);
    if ('outcome' in started) {
      const statusPending = (await deliver(outbox, client, deliverFor, log)).pending;
      if (started.refusal) {
        // The site knows a run from its messages: the refusal first, then the log it keeps beside it.
        outbox.put(started.refusal.message);
        const pending = (await deliver(outbox, client, deliverFor, log)).pending;
        const logsUploaded = pending === 0 && (await uploadLogs(client, started.refusal.message.runId, state, log, deliverFor));
        return { ...base, ...started.result, statusPending: pending, logsUploaded, resumed };
      }
      return { ...base, ...started.result, statusPending, resumed };
    }
    current = started.run;
  }
  // 'Run started' once per run, also when the process died between saving the run and queueing it.
  if (!current.startQueued) {
    outbox.put(runMessage(current, 'started', { time: new Date(current.startedAt) }));
    current.startQueued = true;
    state.saveCurrentRun(current);
    outbox.kick(client);
  }
  secrets = current.variables.filter((v) => v.secret && v.value !== '').map((v) => v.value);
  const run = current;
  const identity = { runId: run.runId, deploymentId: run.deploymentId };
  const put = (m: StatusMessage): void => {
    outbox.put(m);
    outbox.kick(client);
  };

  let report: SimulationReport | undefined;
  if (run.phase !== 'ended') {
    const sequence = parseSequence(run.sequence, run.deploymentId);
    const needed = run.content.packages.filter((p) => !isBootImage(p, run));
    const library = new DownloadingContentLibrary(state, needed, {
      onProgress: options.onProgress,
      signal: options.signal,
      log: (line, severity) => log(line, severity),
      onFetched: (pkg, r) => {
        run.downloadedBytes = (run.downloadedBytes ?? 0) + r.fetchedBytes;
        run.downloadSeconds = (run.downloadSeconds ?? 0) + r.seconds;
        log(`Package ${pkg.packageId} "${pkg.name}" is in the cache (${r.fetchedBytes} bytes downloaded from a distribution point)`);
      },
    });
    // A pipable OS image streams from the DP into wimlib ("download when needed" only: "download all
    // content first" keeps ConfigMgr's meaning and caches it; docs/boot-environment-agent.md).
    library.streamImages = run.contentOption === 'download-when-needed' && typeof options.computer.applyImageStream === 'function';
    try {
      if (run.phase === 'download') {
        if (run.contentOption === 'download-when-needed') {
          log('Content is downloaded as each step needs it (deployment option "Download content locally when needed by the running task sequence")');
        } else {
          log(`Downloading all content before starting: ${needed.length} package(s), ${needed.reduce((n, p) => n + p.sizeBytes, 0)} bytes`);
          await library.ensure(needed.map((p) => p.packageId));
          put(runMessage(identity, 'downloaded', { bytes: run.downloadedBytes ?? 0, seconds: run.downloadSeconds ?? 0 }));
          run.downloadReported = true;
        }
        run.phase = 'engine';
        state.saveCurrentRun(run);
      } else if (run.contentOption !== 'download-when-needed') {
        // Resumed in the engine: the content is in the cache; every file is hashed again before use.
        await library.ensure(needed.map((p) => p.packageId));
      }
      if (usesAutoApplyDrivers(sequence)) {
        // Auto Apply Drivers chooses from the site's catalog: the packages of the drivers that match this computer, cached before the engine runs.
        const drivers = await prepareDriverCatalog(client, state, options.profile, {
          onProgress: options.onProgress,
          signal: options.signal,
          log: (line, severity) => log(line, severity),
        });
        run.downloadedBytes = (run.downloadedBytes ?? 0) + drivers.fetchedBytes;
        run.downloadSeconds = (run.downloadSeconds ?? 0) + drivers.seconds;
        if (drivers.none) log(`The site offers no driver catalog (${drivers.none}); Auto Apply Drivers will find none`, 'warning');
        else
          log(
            `Driver catalog from the site: ${drivers.offered} driver(s) for ${options.profile.architecture}, ${drivers.matching} matching this computer's devices, from ${drivers.packages.length} driver package(s)${drivers.packages.length ? ` (${drivers.packages.join(', ')})` : ''}`,
          );
      }
      for (const v of run.variables) log(`Policy variable ${v.name} = ${v.secret ? '********' : v.value} (${v.source ?? 'site'})`, 'verbose');
      report = await runEngine(
        options,
        state,
        smsts,
        sequence,
        run,
        library,
        statusSinkOf(put, identity, { continuesOnError: continuesOnErrorOf(sequence) }),
        client,
      );
      // Content fetched as the steps needed it (and drivers): one report of the bytes and the time, as the engine ends.
      if (!run.downloadReported && (run.downloadedBytes ?? 0) > 0) {
        put(runMessage(identity, 'downloaded', { bytes: run.downloadedBytes ?? 0, seconds: run.downloadSeconds ?? 0 }));
        run.downloadReported = true;
      }
      run.result = {
        result: report.result === 'success' ? 'succeeded' : 'failed',
        exitCode: report.exitCode >>> 0,
        message: report.message,
        endedAt: new Date().toISOString(),
      };
    } catch (e) {
      if (options.signal?.aborted) throw e;
      const exitCode =
        e instanceof AgentError || (e as { exitCode?: number }).exitCode !== undefined ? ((e as { exitCode?: number }).exitCode ?? 0x80004005) : 0x80004005;
      const message = e instanceof Error ? e.message : String(e);
      log(`The task sequence could not run: ${message} (Error: ${(exitCode >>> 0).toString(16).toUpperCase()})`, 'error');
      put(runMessage(identity, 'failed', { exitCode, reason: message }));
      run.result = { result: 'failed', exitCode: exitCode >>> 0, message, endedAt: new Date().toISOString() };
    }
    run.phase = 'ended';
    state.saveCurrentRun(run);
  }

  // The end: every message delivered (the site knows a run from its messages), then the log it
  // keeps beside the run, then the run's record goes.
  const flushed = await deliver(outbox, client, deliverFor, log);
  const logsUploaded = flushed.pending === 0 && (await uploadLogs(client, run.runId, state, log, deliverFor));
  if (logsUploaded && flushed.pending === 0) state.endRun();
  else log('The run ended; what the site has not received yet is kept and sent at the next start', 'warning');
  const result = run.result ?? { result: 'failed' as const, exitCode: 0x80004005, message: 'the run ended without a result' };
  return {
    ...base,
    outcome: result.result,
    runId: run.runId,
    deploymentId: run.deploymentId,
    deploymentName: run.name,
    exitCode: result.exitCode,
    message: result.message,
    report,
    downloadedBytes: run.downloadedBytes ?? 0,
    statusPending: flushed.pending,
    logsUploaded,
    resumed,
  };
}

type Started =
  | { run: CurrentRun }
  | {
      outcome: true;
      result: Pick<AgentRunResult, 'outcome' | 'exitCode' | 'message' | 'runId' | 'deploymentId' | 'deploymentName'>;
      refusal?: { message: StatusMessage };
    };

/** Registration, policy, the choice, the sequence and content, the refusal check: a new run, or why none. */
async function startRun(options: AgentRunOptions, state: AgentState, client: MpClient, log: (m: string, s?: LogSeverity) => void): Promise<Started> {
  const { facts } = options;
  const pending = await register(client, state, facts, log);
  if (pending) return { outcome: true, result: { outcome: 'pending', exitCode: 0, message: pending } };
  let policy: Policy;
  try {
    policy = await client.policy(facts.environment);
  } catch (e) {
    if (!(e instanceof AgentError) || e.status !== 401) throw e;
    // The credential was revoked or expired (or the site forgot it): register again, once.
    log(`The site refused the device credential (${e.rule}); registering again`, 'warning');
    state.forgetCredential();
    client.credential = undefined;
    const again = await register(client, state, facts, log);
    if (again) return { outcome: true, result: { outcome: 'pending', exitCode: 0, message: again } };
    policy = await client.policy(facts.environment);
  }
  for (const n of policy.notes ?? []) log(`Site: ${n}`);
  let variables = policy.variables;
  if (options.mediaVariables?.length) {
    const merged = new Map<string, Policy['variables'][number]>();
    for (const v of options.mediaVariables) merged.set(v.name.toLowerCase(), { name: v.name, value: v.value, secret: v.secret ?? false, source: 'media' });
    for (const v of policy.variables) merged.set(v.name.toLowerCase(), v);
    variables = [...merged.values()];
    const overridden = options.mediaVariables.filter((m) => policy.variables.some((v) => v.name.toLowerCase() === m.name.toLowerCase()));
    log(
      `Started from boot media: ${options.mediaVariables.length} media variable(s)${overridden.length ? `, of which the site's collection or device variables override ${overridden.map((v) => v.name).join(', ')}` : ''}`,
    );
  }
  const choice = chooseDeployment({ deployments: policy.deployments, variables, choose: options.choose, answers: options.answers });
  for (const line of choice.lines) log(line);
  const d = choice.deployment;
  if (!d) return { outcome: true, result: { outcome: 'nothing', exitCode: 0, message: choice.reason } };

  const pinned = await client.sequence(d.deploymentId);
  const sequence = parseSequence(pinned.sequence, d.deploymentId);
  const content = await client.content(d.deploymentId, facts);
  const runId = randomUUID();
  const problems = incompatibilities(facts, content, sequence);
  if (problems.length > 0) {
    const reason = `This computer (${facts.architecture}, ${facts.firmware === 'uefi' ? 'UEFI' : 'BIOS'}) cannot run deployment ${d.deploymentId}: ${problems.join('; ')}`;
    log(reason, 'error');
    log('Nothing was written to this computer', 'error');
    const message = runMessage({ runId, deploymentId: d.deploymentId }, 'refused', { reason, exitCode: NOT_APPLICABLE_CODE });
    return {
      outcome: true,
      result: { outcome: 'refused', exitCode: NOT_APPLICABLE_CODE, message: reason, runId, deploymentId: d.deploymentId, deploymentName: d.name },
      refusal: { message },
    };
  }
  log(`Task sequence ${pinned.taskSequenceId} "${pinned.name}" revision ${pinned.revision} (pinned by the deployment); run ${runId}`);
  const run: CurrentRun = {
    format: 'openosd.agent-run/v1',
    runId,
    deploymentId: d.deploymentId,
    taskSequenceId: pinned.taskSequenceId,
    name: d.name,
    revision: pinned.revision,
    contentOption: d.contentOption,
    startedAt: new Date().toISOString(),
    sequence: pinned.sequence,
    content,
    variables: choice.variables,
    phase: 'download',
    downloadedBytes: 0,
  };
  state.saveCurrentRun(run);
  return { run };
}

/** Registers when there is no credential; returns a message while an administrator's approval is pending. */
async function register(client: MpClient, state: AgentState, facts: MachineFacts, log: (m: string, s?: LogSeverity) => void): Promise<string | undefined> {
  const saved = state.credential();
  if (saved) {
    client.credential = saved;
    return undefined;
  }
  const answer = await client.register({
    macAddresses: facts.macAddresses,
    ...(facts.smbiosGuid ? { smbiosGuid: facts.smbiosGuid } : {}),
    architecture: facts.architecture,
    firmware: facts.firmware,
    ...(facts.name ? { name: facts.name } : {}),
    environment: facts.environment,
  });
  state.saveCredential(answer.credential);
  state.saveDevice({ resourceId: answer.resourceId, name: answer.name, siteUrl: client.base });
  client.credential = answer.credential;
  log(
    `Registered with the site as ${answer.name} (resource ${answer.resourceId}${answer.known ? '' : `, an unknown computer${answer.unknownComputer ? ` (${answer.unknownComputer} Unknown Computer)` : ''}`})`,
  );
  if (answer.approval === 'pending') {
    const m = `${answer.name} waits for an administrator's approval (osd device approve ${answer.name}); run the agent again afterwards`;
    log(m, 'warning');
    return m;
  }
  return undefined;
}

async function runEngine(
  options: AgentRunOptions,
  state: AgentState,
  smsts: SmstsLog,
  sequence: TaskSequence,
  run: CurrentRun,
  library: DownloadingContentLibrary,
  status: StatusSink,
  client: MpClient,
): Promise<SimulationReport> {
  const variables: InitialVariable[] = run.variables.map((v) => ({ name: v.name, value: v.value, secret: v.secret }));
  // The steps' temporary files (processes in the full OS stage there): it must exist before a step makes a folder in it.
  mkdirSync(state.workDir, { recursive: true });
  // What the steps reach on the site through the management point (src/actions/services.ts).
  const services: SiteServices = {
    applications: new MpApplicationCatalog(client, library),
    softwareUpdates: new MpSoftwareUpdateCatalog(client, library),
    stateMigration: new HttpStateMigrationService(client, {
      log: (line, severity) => smsts.write({ time: new Date(), component: COMPONENT, severity: severity ?? 'info', message: line, file: 'state-migration' }),
    }),
    workDir: state.workDir,
  };
  const report = await simulate(sequence, {
    profile: options.profile,
    variables,
    mediaType: options.mediaType,
    // Secret variables (the state store's key, passwords) are sealed in the journal (src/runner/sealed-journal.ts).
    journal: new SealedSecretsJournal(new FileJournal(state.journalPath), state.journalKeyPath),
    log: smsts,
    status,
    steps: stepSimulators({ content: library }),
    executor: (predicting) => new OnDemandExecutor(new ActionExecutor(options.computer, library, new ProcessExecutor(predicting), services), library),
    restart: async (target: RestartTarget) => {
      // smsts.log onto the computer's disk where osd-features §6.1 puts it for this phase.
      await placeSmstsLog(options.computer, smsts.files(), false).catch((e: Error) => copyFailed(smsts, e));
      await options.restart(target === 'WinPE' ? 'WinPE' : 'OS');
    },
  });
  await placeSmstsLog(options.computer, smsts.files(), true).catch((e: Error) => copyFailed(smsts, e));
  return report;
}

/** A log copy onto the disk that failed is the log's own warning, never the run's failure. */
function copyFailed(smsts: SmstsLog, e: Error): void {
  smsts.write({
    time: new Date(),
    component: COMPONENT,
    severity: 'warning',
    message: `smsts.log could not be copied onto the disk: ${e.message}`,
    file: 'agent',
  });
}

/**
 * Downloads the packages a step names before it runs (a no-op when everything was downloaded
 * first). A download that fails is the step's failure with its code (0x80091007 for content whose
 * hash does not match): the content never reaches the step.
 */
export class OnDemandExecutor implements Executor {
  constructor(
    private readonly inner: Executor,
    private readonly library: DownloadingContentLibrary,
  ) {}

  async execute(x: Parameters<Executor['execute']>[0]): ReturnType<Executor['execute']> {
    const named = (x.step.variables ?? [])
      .filter((v) => namesPackage(v))
      .map((v) => (x.properties[v.name] ?? v.value ?? '').trim())
      .filter((id) => id !== '' && !id.includes('%') && this.library.knows(id));
    // Apply Operating System streams a pipable image package from the DP instead (download.ts imageStream).
    const ids: string[] = [];
    for (const id of named) {
      if (x.step.type === applyOperatingSystem.type && (await this.library.imageStream(id))) continue;
      ids.push(id);
    }
    if (ids.length > 0) {
      try {
        await this.library.ensure(ids);
      } catch (e) {
        if (x.signal.aborted) throw e;
        const exitCode = (e as { exitCode?: number }).exitCode ?? 0x80004005;
        const message = e instanceof Error ? e.message : String(e);
        x.log(`Downloading the content of ${ids.join(', ')} failed: ${message}`, 'error');
        return { exitCode, message };
      }
    }
    return this.inner.execute(x);
  }
}

/** smsts.log and its rotated parts to the site; false when the site could not take them now. */
async function uploadLogs(client: MpClient, runId: string, state: AgentState, log: (m: string, s?: LogSeverity) => void, retryForMs: number): Promise<boolean> {
  const names = readdirSync(state.logsDir)
    .filter((f) => f === 'smsts.log' || /^smsts-\d{8}-\d{6}(-\d+)?\.log$/.test(f))
    .sort((a, b) => (a === 'smsts.log' ? 1 : b === 'smsts.log' ? -1 : a < b ? -1 : 1));
  try {
    for (const name of names) {
      if (name === 'smsts.log') log(`Uploading smsts.log to the site (run ${runId})`);
      await client.uploadLog(runId, name, readFileSync(join(state.logsDir, name), 'utf8'), retryForMs);
    }
    return true;
  } catch (e) {
    log(`The logs could not be uploaded now: ${(e as Error).message}`, 'warning');
    return false;
  }
}

async function deliver(outbox: Outbox, client: MpClient, retryForMs: number, log: (m: string, s?: LogSeverity) => void): Promise<{ pending: number }> {
  try {
    const r = await outbox.drain(client, retryForMs);
    return { pending: r.pending };
  } catch (e) {
    const pending = outbox.count();
    log(`${pending} status message(s) wait for the site: ${(e as Error).message}`, 'warning');
    return { pending };
  }
}

function isBootImage(p: ContentPackage, run: CurrentRun): boolean {
  return p.referencedAs === 'boot image' || (run.content.bootImage !== null && p.packageId.toUpperCase() === run.content.bootImage.packageId.toUpperCase());
}

/** The MP sends the JSON model: either the whole canonical document or its `sequence`. */
function parseSequence(value: unknown, deploymentId: string): TaskSequence {
  const doc = typeof value === 'object' && value !== null && 'format' in value ? value : { format: 'openosd.task-sequence', formatVersion: 1, sequence: value };
  return importJsonText(JSON.stringify(doc), `the task sequence of deployment ${deploymentId}`);
}

/** Whether the instruction at a pointer continues on error (its failure is then 11138, ignored). */
function continuesOnErrorOf(sequence: TaskSequence): (pointer: number) => boolean {
  const program = compileProgram(sequence);
  return (pointer) => {
    const ins = program.instructions[pointer];
    return ins?.kind === 'step' && (ins.item as { continueOnError?: boolean }).continueOnError === true;
  };
}
