/**
 * Install Application (task-sequence-format §8.10, engine-semantics §8, osd-features §2.7;
 * docs/software-updates.md "Applications"), in the full OS:
 *
 * 1. The list: `ApplicationName` (comma-separated model names, in order) or the dynamic list
 *    `BaseVariableName` + `01`, `02`, … — values are exact, case-sensitive display names (or model
 *    names); the first missing number ends the list, a missing `01` means nothing installs.
 * 2. The site's answer (ApplicationCatalog.lookup): each installable application with its
 *    dependencies. One the site refuses (not allowed from a task sequence without being deployed,
 *    user-only, retired …) fails with the reasons; a name it does not know fails in the explicit
 *    list and is a warning in a dynamic list ("doesn't install the application, and the task
 *    sequence continues", task-sequence-steps.md).
 * 3. Per application, dependencies first: the first Windows Installer or Script deployment type
 *    [I: requirement rules are not modelled]; its detection method against the installed OS
 *    (src/actions/software/detection.ts) — detected ⇒ skipped; else its content from a distribution
 *    point (hash-checked) and its install command as a real process in the full OS
 *    (src/actions/os/process.ts); a program that does not exist ⇒ 0x80070002; an exit code among the
 *    success codes or the restart codes ⇒ detection again (not detected ⇒ ConfigMgr's 0x87D00324);
 *    any other exit code ⇒ that application failed with it. An application whose dependency failed fails.
 * 4. A restart code (3010, 1641): the engine restarts the computer and this step runs again, carrying
 *    on with the applications after it (ConfigMgr: "the task sequence engine restarts the computer.
 *    After the restart, the task sequence automatically continues"); what was done is the step's state.
 * 5. `ContinueOnInstallError`: off ⇒ the first failure ends the step with that application's code;
 *    on ⇒ the others are still installed and [I] the step succeeds (engine-semantics §12.4).
 *    `_TSAppInstallStatus`: Error if an application failed, else Warning if one was not installed
 *    for another reason (an unknown dynamic-list value), else Success; `TSErrorOnWarning=True` makes
 *    a Warning fail the step.
 */
import { existsSync } from 'node:fs';
import type { StepExecution, StepResult } from '../../engine/ports.js';
import { installApplication } from '../../sequence/catalog/index.js';
import { WIN32 } from '../errors.js';
import { boolProperty, defineHandler, type HandlerContext } from '../handler.js';
import { PROCESS_ABORTED, PROGRAM_NOT_FOUND, runInFullOs } from '../os/process.js';
import type { ApplicationDefinition, ApplicationDeploymentType, ApplicationLookup } from '../services.js';
import { detect } from '../software/detection.js';
import { installedOs, type InstalledOs } from '../software/os.js';

/** ConfigMgr: "The application was not detected after installation completed." */
export const NOT_DETECTED_AFTER_INSTALL = 0x87d00324;
/** E_FAIL: an application the site will not let a task sequence install. */
const REFUSED = 0x80004005;
const COMPONENT = { component: 'InstallApplication' };
const EMPTY_STEP = 'the step names no application (ApplicationName) and no base variable (BaseVariableName): there is nothing to install';

type Outcome = { result: 'installed' | 'detected' } | { result: 'failed'; code: number; message: string } | { result: 'warning'; message: string };

interface AppStepState {
  format: 'openosd.install-application/v1';
  /** Per application (model name or the name asked for), what happened; carried over a restart. */
  done: Record<string, Outcome>;
}

/** The names the step asks for, in order: the explicit list, or the dynamic list's values. */
export function requestedApplications(x: Pick<StepExecution, 'properties' | 'variables'>): { names: string[]; dynamic: boolean; base?: string } {
  const base = (x.properties.BaseVariableName ?? '').trim();
  if (base) {
    const names: string[] = [];
    for (let i = 1; i < 100; i++) {
      const v = x.variables.get(`${base}${String(i).padStart(2, '0')}`);
      if (v === undefined) break;
      names.push(v);
    }
    return { names, dynamic: true, base };
  }
  const names = (x.properties.ApplicationName ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  return { names, dynamic: false };
}

function setStatus(x: StepExecution, status: 'Success' | 'Warning' | 'Error'): void {
  x.variables.set('_TSAppInstallStatus', status, { builtIn: true });
}

/** The deployment type a task sequence installs: the first Windows Installer or Script one. */
function deploymentTypeOf(app: ApplicationDefinition): ApplicationDeploymentType | undefined {
  return app.deploymentTypes.find((d) => d.technology === 'msi' || d.technology === 'script');
}

async function run(ctx: HandlerContext): Promise<StepResult> {
  const { x, computer, services } = ctx;
  const catalog = services!.applications!;
  const continueOnError = boolProperty(x, 'ContinueOnInstallError') === true;
  const prior = x.resumed?.stepState as AppStepState | undefined;
  const state: AppStepState = prior?.format === 'openosd.install-application/v1' ? prior : { format: 'openosd.install-application/v1', done: {} };
  if (prior) x.log(`Install Application continues after the restart: ${Object.keys(state.done).length} application(s) already handled`, 'info', COMPONENT);

  const { names, dynamic, base } = requestedApplications(x);
  if (names.length === 0) {
    // A step with neither a list nor a base variable has nothing to do: refused (lint: install-application-empty).
    if (!dynamic) return { exitCode: WIN32.invalidParameter, message: EMPTY_STEP };
    x.log(`There is no variable ${base}01: no application to install`, 'info', COMPONENT);
    setStatus(x, 'Success');
    return { exitCode: 0 };
  }
  x.log(`Applications to install (${dynamic ? `dynamic list ${base}01…` : 'list'}): ${names.join(', ')}`, 'info', COMPONENT);
  const lookup = await catalog.lookup([...new Set(names)], { signal: x.signal });
  const byKey = new Map<string, ApplicationDefinition>();
  for (const a of lookup.applications) {
    byKey.set(a.modelName, a);
    if (!byKey.has(a.name)) byKey.set(a.name, a);
  }
  const os = await installedOs(computer, x);
  const computerName = x.variables.get('_SMSTSMachineName') ?? x.variables.get('OSDComputerName');

  let failure: { code: number; message: string } | undefined;
  const record = (key: string, o: Outcome): void => {
    state.done[key] = o;
    if (o.result === 'failed' && !failure) failure = { code: o.code, message: o.message };
  };

  for (const name of names) {
    const app = byKey.get(name);
    if (!app) {
      if (state.done[name]) continue;
      record(name, notInstallable(name, lookup, dynamic));
      logOutcome(x, name, state.done[name]!);
      if (failure && !continueOnError) return finish(x, state, failure, continueOnError);
      continue;
    }
    // §2.7: the application the step names must allow it (its dependencies are installed as part of it).
    if (!app.allowTaskSequenceInstall) {
      // Kept apart from the application's own outcome: as another's dependency it is still installed.
      const key = `${app.modelName} (named)`;
      if (!state.done[key]) {
        record(key, {
          result: 'failed',
          code: REFUSED,
          message: `${app.name} cannot be installed by a task sequence: "Allow this application to be installed from the Install Application task sequence action without being deployed" is not set`,
        });
        logOutcome(x, app.name, state.done[key]!);
      }
      if (failure && !continueOnError) return finish(x, state, failure, continueOnError);
      continue;
    }
    for (const a of installOrder(app, byKey)) {
      if (state.done[a.modelName]) continue;
      const failedDep = a.dependencies.map((d) => ({ d, o: state.done[d] })).find((e) => e.o?.result === 'failed');
      let outcome: Outcome;
      let restart = false;
      if (failedDep) {
        const dep = byKey.get(failedDep.d)?.name ?? failedDep.d;
        const code = (failedDep.o as { code: number }).code;
        outcome = { result: 'failed', code, message: `${a.name}: its dependency ${dep} failed to install` };
      } else {
        ({ outcome, restart } = await installOne(ctx, a, os, computerName));
      }
      record(a.modelName, outcome);
      logOutcome(x, a.name, outcome);
      await os.registry.save();
      if (restart) {
        x.log(`${a.name} asked for a restart: the computer restarts and the step continues afterwards`, 'info', COMPONENT);
        return { exitCode: 0, restart: { target: 'HD', rerun: true, stepState: state, reason: `${a.name} returned a restart code` } };
      }
      if (failure && !continueOnError) return finish(x, state, failure, continueOnError);
    }
  }
  await clearCache(ctx, state, byKey);
  return finish(x, state, failure, continueOnError);
}

/** `OSDAppClearCache` ("Clear application content from cache after installing"): the installed applications' content goes from the host's cache. */
async function clearCache({ x, services }: HandlerContext, state: AppStepState, byKey: Map<string, ApplicationDefinition>): Promise<void> {
  if (boolProperty(x, 'OSDAppClearCache') !== true) return;
  const catalog = services!.applications!;
  const ids = [
    ...new Set(
      Object.entries(state.done)
        .filter(([, o]) => o.result === 'installed')
        .map(([k]) => byKey.get(k)?.packageId)
        .filter((id): id is string => !!id),
    ),
  ];
  if (!catalog.clearContent) {
    x.log('OSDAppClearCache is set but this host keeps no application content cache to clear', 'info', COMPONENT);
    return;
  }
  for (const id of ids) await catalog.clearContent(id);
  if (ids.length) x.log(`Cleared the content of ${ids.join(', ')} from the cache (OSDAppClearCache)`, 'info', COMPONENT);
}

/** Why a name is not installed: refused (an error) or unknown (an error, or in a dynamic list a warning). */
function notInstallable(name: string, lookup: ApplicationLookup, dynamic: boolean): Outcome {
  const refused = lookup.refused.find((r) => r.modelName === name || r.name === name);
  if (refused) return { result: 'failed', code: REFUSED, message: `${refused.name} cannot be installed by a task sequence: ${refused.reasons.join('; ')}` };
  if (dynamic)
    return {
      result: 'warning',
      message: `no application is named "${name}" (a dynamic list value must be the application's exact name, case-sensitive): not installed`,
    };
  return { result: 'failed', code: WIN32.fileNotFound, message: `the site has no application ${name}` };
}

/** The application's dependencies (theirs first), then itself. */
function installOrder(app: ApplicationDefinition, byKey: Map<string, ApplicationDefinition>, seen = new Set<string>()): ApplicationDefinition[] {
  if (seen.has(app.modelName)) return [];
  seen.add(app.modelName);
  const out: ApplicationDefinition[] = [];
  for (const d of app.dependencies) {
    const dep = byKey.get(d);
    if (dep) out.push(...installOrder(dep, byKey, seen));
  }
  out.push(app);
  return out;
}

async function installOne(
  { x, services }: HandlerContext,
  app: ApplicationDefinition,
  os: InstalledOs,
  computerName: string | undefined,
): Promise<{ outcome: Outcome; restart: boolean }> {
  const dt = deploymentTypeOf(app);
  if (!dt) return { outcome: { result: 'failed', code: REFUSED, message: `${app.name} has no Windows Installer or Script deployment type` }, restart: false };
  const opts = { workDir: services?.workDir, computerName };
  const before = await detect(dt.detectionMethod, os, x, opts);
  x.log(`${app.name} (${dt.name}): ${before.detail}`, 'info', COMPONENT);
  if (before.detected) return { outcome: { result: 'detected' }, restart: false };

  const command = dt.installCommand.trim();
  if (!command)
    return { outcome: { result: 'failed', code: WIN32.fileNotFound, message: `${app.name} (${dt.name}) has no installation program` }, restart: false };
  const folder = app.packageId ? await services!.applications!.content(app.packageId, { signal: x.signal }) : undefined;
  const missing = missingProgram(command, folder);
  if (missing)
    return {
      outcome: {
        result: 'failed',
        code: PROGRAM_NOT_FOUND,
        message: `${app.name} (${dt.name}): the installation program ${missing} is not in the application's content${app.packageId ? ` (${app.packageId})` : ''}`,
      },
      restart: false,
    };
  x.log(`Installing ${app.name} (${dt.name}): ${command}`, 'info', COMPONENT);
  // A Windows exit code above 255 (3010) comes through OSD_EXIT_CODE_FILE (src/actions/os/process.ts).
  const r = await runInFullOs({
    volume: os.files,
    command,
    content: folder,
    registry: os.registry,
    workDir: services?.workDir,
    signal: x.signal,
    computerName,
    onLine: (line, stream) => x.log(`${app.name}: ${line}`, stream === 'stderr' ? 'warning' : 'verbose', COMPONENT),
  });
  if (r.exitCode === PROCESS_ABORTED && x.signal.aborted) throw x.signal.reason ?? new Error('aborted');
  // The shell's "command not found" (127), or a program that could not start at all.
  if (r.exitCode === 127 || r.exitCode === PROGRAM_NOT_FOUND)
    return {
      outcome: {
        result: 'failed',
        code: PROGRAM_NOT_FOUND,
        message: `${app.name} (${dt.name}): the installation program was not found: ${command} (${lastLine(r.output)})`,
      },
      restart: false,
    };
  const success = dt.successCodes.includes(r.exitCode);
  const restart = dt.restartCodes.includes(r.exitCode);
  if (!success && !restart)
    return {
      outcome: {
        result: 'failed',
        code: r.exitCode >>> 0,
        message: `${app.name} (${dt.name}) failed: the installer exited with ${r.exitCode}${r.stopped ? ` (${r.stopped})` : ''}`,
      },
      restart: false,
    };
  const after = await detect(dt.detectionMethod, os, x, opts);
  x.log(`${app.name} (${dt.name}) after installation (exit code ${r.exitCode}): ${after.detail}`, 'info', COMPONENT);
  if (!after.detected)
    return {
      outcome: {
        result: 'failed',
        code: NOT_DETECTED_AFTER_INSTALL,
        message: `${app.name} (${dt.name}) was not detected after installation completed (exit code ${r.exitCode}; ${after.detail})`,
      },
      restart: false,
    };
  return { outcome: { result: 'installed' }, restart };
}

/** A program the command names by a relative path (`setup.sh`, `.\install.cmd`, `sh install.sh`) that the content lacks. */
function missingProgram(command: string, folder: string | undefined): string | undefined {
  const tokens = command.match(/"[^"]*"|\S+/g) ?? [];
  const first = tokens[0]?.replace(/"/g, '');
  const candidates =
    first && /^(sh|bash|dash|pwsh|powershell|cmd)$/i.test(first)
      ? tokens
          .slice(1)
          .filter((t) => !t.startsWith('-') && !/^\/[a-z]$/i.test(t))
          .slice(0, 1)
      : tokens.slice(0, 1);
  for (const raw of candidates) {
    const t = raw.replace(/"/g, '');
    if (!/\.(sh|cmd|bat|ps1|exe|msi)$/i.test(t) || t.startsWith('/') || t.includes('%') || t.includes('$')) continue;
    if (!folder) return t;
    const rel = t.replace(/^\.[\\/]/, '').replace(/\\/g, '/');
    if (!existsSyncSafe(`${folder}/${rel}`)) return t;
  }
  return undefined;
}

function existsSyncSafe(p: string): boolean {
  try {
    return existsSync(p);
  } catch {
    return false;
  }
}

function lastLine(output: string): string {
  const lines = output.split(/\r?\n/).filter((l) => l.trim() !== '');
  return lines[lines.length - 1]?.slice(0, 200) ?? 'no output';
}

function logOutcome(x: StepExecution, name: string, o: Outcome): void {
  if (o.result === 'installed') x.log(`${name} installed successfully`, 'info', COMPONENT);
  else if (o.result === 'detected') x.log(`${name} is already installed: skipped`, 'info', COMPONENT);
  else if (o.result === 'warning') x.log(`${name}: ${o.message}`, 'warning', COMPONENT);
  else if (o.result === 'failed') x.log(`${o.message} (0x${o.code.toString(16).toUpperCase().padStart(8, '0')})`, 'error', COMPONENT);
}

function finish(x: StepExecution, state: AppStepState, failure: { code: number; message: string } | undefined, continueOnError: boolean): StepResult {
  const outcomes = Object.values(state.done);
  const status = outcomes.some((o) => o.result === 'failed') ? 'Error' : outcomes.some((o) => o.result === 'warning') ? 'Warning' : 'Success';
  setStatus(x, status);
  const count = (r: Outcome['result']): number => outcomes.filter((o) => o.result === r).length;
  x.log(
    `Install Application: ${count('installed')} installed, ${count('detected')} already installed, ${count('failed')} failed, ${count('warning')} not installed; _TSAppInstallStatus=${status}`,
    status === 'Success' ? 'info' : status === 'Warning' ? 'warning' : 'error',
    COMPONENT,
  );
  if (failure && !continueOnError) return { exitCode: failure.code, message: failure.message };
  if (status === 'Warning' && /^true$/i.test(x.variables.get('TSErrorOnWarning') ?? '')) {
    const warning = outcomes.find((o): o is { result: 'warning'; message: string } => o.result === 'warning')!;
    return { exitCode: REFUSED, message: `TSErrorOnWarning is true and an application was not installed: ${warning.message}` };
  }
  return { exitCode: 0 };
}

export const installApplicationHandler = defineHandler(installApplication, {
  // Without a site (the lab alone, `osd ts run`) there is no application to install: predicted.
  canRun: ({ services }) => services?.applications !== undefined,
  run,
  simulate: ({ x, note }) => {
    const { names, dynamic, base } = requestedApplications(x);
    if (dynamic && names.length === 0) {
      note(`installs nothing: there is no variable ${base}01`);
      x.variables.set('_TSAppInstallStatus', 'Success', { builtIn: true });
      return { exitCode: 0 };
    }
    if (!dynamic && names.length === 0) {
      note(EMPTY_STEP);
      return { exitCode: WIN32.invalidParameter, message: EMPTY_STEP };
    }
    note(`installs ${names.join(', ')} (and their dependencies) unless already detected`);
    x.variables.set('_TSAppInstallStatus', 'Success', { builtIn: true });
    return {
      exitCode: 0,
      predicted: {
        assumed: [
          'the site answers every application as installable from a task sequence, with its dependencies and content on a distribution point',
          'every installer returns a success code and its detection method finds it afterwards',
          'no installer returns a restart code (3010/1641 would restart the computer and run the step again)',
        ],
      },
    };
  },
});
