/**
 * Install Software Updates (task-sequence-format §8.9, engine-semantics §9, osd-features §2.8;
 * docs/software-updates.md), in the full OS:
 *
 * 1. Which updates: only those deployed to a collection the computer is a member of, as the site
 *    answers when the step runs (SoftwareUpdateCatalog.deployed). `SMSInstallUpdateTarget`
 *    `Mandatory` (the default; "Required for installation") takes the Required deployments' updates,
 *    `All` ("Available for installation") the Available ones too.
 * 2. Applicability, evaluated now against the installed OS (its build and product from the SOFTWARE
 *    hive, its architecture from the SYSTEM hive, else the machine's): src/actions/software/updates.ts.
 *    Installed already (recorded in the OS) ⇒ skipped; superseded by an update installed or being
 *    installed ⇒ skipped. None left ⇒ the step succeeds at once.
 * 3. Each update's payload from its deployment package on a distribution point (downloaded and
 *    hash-checked by the host), checked again here file by file against the update's SHA-256 and
 *    size before anything is written (a mismatch fails the step with 0x80091007, a missing file
 *    0x80070002); then copied into `Windows\servicing\Packages\<package>\` and the update recorded
 *    as an installed servicing package — so a second run installs none.
 * 4. An update that needs a restart (restartRequired, WUA's 3010): after the pass the engine restarts
 *    the computer and runs the step again — a new scan, as ConfigMgr's step does after its restart
 *    (task-sequence-steps.md: "Retry this step if computer unexpectedly restarts"; engine-semantics
 *    §7) — until a pass installs nothing needing one; at most MAX_PASSES passes [I].
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import type { StepExecution, StepResult } from '../../engine/ports.js';
import { installSoftwareUpdates } from '../../sequence/catalog/index.js';
import { StepFailure, WIN32 } from '../errors.js';
import { defineHandler, type HandlerContext } from '../handler.js';
import type { SoftwareUpdateOffer } from '../services.js';
import { installedOs } from '../software/os.js';
import { isInstalled, notApplicable, osFacts, packageName, recordInstalled } from '../software/updates.js';

/** CRYPT_E_HASH_VALUE: "The hash value is not correct" (osd-features §6.5). */
export const PAYLOAD_HASH_MISMATCH = 0x80091007;
/** Passes (restarts) one step makes at most [I]: a loop of updates asking for restarts ends. */
export const MAX_PASSES = 5;
const COMPONENT = { component: 'InstallSWUpdate' };

interface UpdatesStepState {
  format: 'openosd.install-software-updates/v1';
  pass: number;
  installed: string[];
}

/** `SMSInstallUpdateTarget` as the step reads it: Mandatory (default) or All; anything else refused. */
export function updateTarget(x: Pick<StepExecution, 'properties' | 'variables'>): 'Mandatory' | 'All' {
  // The step's property, or the variable where a step was written without it (§6: the variable overrides the default).
  const raw = (x.properties.SMSInstallUpdateTarget ?? x.variables.get('SMSInstallUpdateTarget') ?? '').trim();
  if (raw === '' || /^mandatory$/i.test(raw)) return 'Mandatory';
  if (/^all$/i.test(raw)) return 'All';
  throw new StepFailure(WIN32.invalidParameter, `SMSInstallUpdateTarget is "${raw}": it is Mandatory (required updates only) or All (required and available)`);
}

async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function run({ x, computer, services }: HandlerContext): Promise<StepResult> {
  const catalog = services!.softwareUpdates!;
  const target = updateTarget(x);
  const prior = x.resumed?.stepState as UpdatesStepState | undefined;
  const state: UpdatesStepState =
    prior?.format === 'openosd.install-software-updates/v1'
      ? { ...prior, pass: prior.pass + 1 }
      : { format: 'openosd.install-software-updates/v1', pass: 1, installed: [] };
  if (prior) x.log(`Install Software Updates scans again after the restart (pass ${state.pass})`, 'info', COMPONENT);

  const os = await installedOs(computer, x);
  const facts = await osFacts(os, computer.profile.architecture);
  x.log(
    `The OS: ${facts.productName || 'no product name'}, build ${facts.build ?? 'unknown'}${facts.ubr !== undefined ? `.${facts.ubr}` : ''}, ${facts.architecture}${facts.architectureFrom === 'machine' ? " (the machine's: the OS records none)" : ''}`,
    'info',
    COMPONENT,
  );
  const deployed = await catalog.deployed({ signal: x.signal });
  const targeted = deployed.filter((u) => target === 'All' || u.purpose === 'required');
  x.log(
    `${deployed.length} update(s) deployed to this computer's collections; ${targeted.length} ${target === 'All' ? 'required or available (All)' : 'required (Mandatory)'}`,
    'info',
    COMPONENT,
  );

  // Applicable and not installed; then what a chosen or installed update supersedes.
  const candidates: SoftwareUpdateOffer[] = [];
  const installedIds = new Set<string>();
  for (const u of deployed) if (await isInstalled(os, u, facts.architecture)) installedIds.add(u.updateId.toLowerCase());
  for (const u of targeted) {
    const label = describe(u);
    if (installedIds.has(u.updateId.toLowerCase())) {
      x.log(`${label}: installed already`, 'info', COMPONENT);
      continue;
    }
    const why = notApplicable(u, facts);
    if (why) {
      x.log(`${label}: not applicable (${why})`, 'info', COMPONENT);
      continue;
    }
    candidates.push(u);
  }
  const replacing = [...deployed.filter((u) => installedIds.has(u.updateId.toLowerCase())), ...candidates];
  const toInstall = candidates.filter((u) => {
    const by = replacing.find((s) => s !== u && s.supersedes.some((id) => id.toLowerCase() === u.updateId.toLowerCase()));
    if (by) x.log(`${describe(u)}: superseded by ${describe(by)}, not installed`, 'info', COMPONENT);
    return !by;
  });
  if (toInstall.length === 0) {
    x.log(`No update to install${state.installed.length ? ` (${state.installed.length} installed before the restart)` : ''}`, 'info', COMPONENT);
    return { exitCode: 0 };
  }

  // Every payload checked before anything is written.
  const payloads: Array<{ u: SoftwareUpdateOffer; folder: string | undefined }> = [];
  for (const u of toInstall) {
    if (!u.files.length) {
      payloads.push({ u, folder: undefined });
      continue;
    }
    if (!u.packageId) throw new StepFailure(WIN32.fileNotFound, `${describe(u)} has payload files but no deployment package holds them`);
    const folder = await catalog.content(u.packageId, { signal: x.signal });
    for (const f of u.files) {
      const path = join(folder, ...f.name.split('/'));
      const st = statSync(path, { throwIfNoEntry: false });
      if (!st?.isFile()) throw new StepFailure(WIN32.fileNotFound, `${describe(u)}: its payload ${f.name} is not in the deployment package ${u.packageId}`);
      const hash = st.size === f.size ? await sha256Of(path) : undefined;
      if (hash !== f.sha256.toLowerCase())
        throw new StepFailure(
          PAYLOAD_HASH_MISMATCH,
          `${describe(u)}: the payload ${f.name} of ${u.packageId} ${hash === undefined ? `is ${st.size} bytes, expected ${f.size}` : `has the SHA-256 ${hash}, expected ${f.sha256.toLowerCase()}`} (0x80091007, the hash value is not correct): redistribute the package`,
        );
    }
    payloads.push({ u, folder });
  }

  let restartNeeded: SoftwareUpdateOffer[] = [];
  for (const { u, folder } of payloads) {
    const dir = `Windows/servicing/Packages/${packageName(u, facts.architecture)}`;
    await os.files.mkdirp(dir);
    for (const f of u.files) await os.files.copyIn(join(folder!, ...f.name.split('/')), `${dir}/${f.name.split('/').pop()}`);
    await recordInstalled(os, u, facts.architecture, dir, new Date());
    await os.registry.save();
    state.installed.push(u.updateId);
    x.log(`Installed ${describe(u)}${u.restartRequired ? ' (a restart is required: 3010)' : ''}`, 'info', COMPONENT);
    if (u.restartRequired) restartNeeded.push(u);
  }
  x.log(`${payloads.length} update(s) installed in pass ${state.pass}`, 'info', COMPONENT);
  if (restartNeeded.length && state.pass >= MAX_PASSES) {
    x.log(`Updates still ask for a restart after ${MAX_PASSES} passes; the step ends without another`, 'warning', COMPONENT);
    restartNeeded = [];
  }
  if (restartNeeded.length) {
    return {
      exitCode: 0,
      restart: { target: 'HD', rerun: true, stepState: state, reason: `${restartNeeded.map(describe).join(', ')} require a restart (3010)` },
    };
  }
  return { exitCode: 0 };
}

function describe(u: Pick<SoftwareUpdateOffer, 'articleId' | 'title' | 'updateId'>): string {
  return `${u.articleId ? `KB${u.articleId.replace(/^KB/i, '')} ` : ''}${u.title} (${u.updateId})`;
}

export const installSoftwareUpdatesHandler = defineHandler(installSoftwareUpdates, {
  // Without a site there are no deployments to evaluate: predicted.
  canRun: ({ services }) => services?.softwareUpdates !== undefined,
  run,
  simulate: ({ x, note }) => {
    let target: string;
    try {
      target = updateTarget(x);
    } catch (e) {
      const f = e as StepFailure;
      note(f.message);
      return { exitCode: f.code, message: f.message };
    }
    note(
      `installs the ${target === 'All' ? 'required and available' : 'required (Mandatory)'} updates deployed to this computer's collections that apply to its OS`,
    );
    return {
      exitCode: 0,
      predicted: {
        assumed: [
          'which updates are deployed to the computer and apply to its OS is only known when the step runs',
          'their payloads are on a distribution point and match their hashes',
          'no update needs a restart (one that does restarts the computer and runs the step again)',
        ],
      },
    };
  },
});
