/**
 * Request State Store and Release State Store (user-state.md §1.4, §2.6; task-sequence-format
 * §8.16), through the site's state migration point (`ctx.services.stateMigration`; the agent's is
 * src/agent/state-migration.ts, over the device credential).
 *
 * Variables Request State Store sets — the contract with Capture / Restore User State (keep the
 * names stable):
 *
 *   OSDStateStorePath      `%_SMSTSUserStatePath%\<storeId>` — a local staging folder (§2.6 step 2),
 *                          its `USMT` sub-folder made on the computer's drive when it can be (a
 *                          restore puts the store's `store.json` there: MDT's condition "Folder
 *                          %OSDStateStorePath%\USMT exists" holds) — or, with no such drive, the
 *                          store's location (below).
 *   _OSDStateStoreRemote   the store's URL on the state migration point (…/mp/v1/userstate/stores/<id>):
 *                          set means "the store is remote" (the steps stream packs up and down).
 *   _OSDStateStoreKey      the store's data key, base64 of 32 bytes — a SECRET variable: masked in
 *                          smsts.log and status, sealed in the agent's journal, never exported;
 *                          cleared by Release State Store.
 *   _OSDStateStoreId       the store's id (a UUID: the store format's storeId, the SMP's id and its
 *                          folder's name alike).
 *   _OSDStateStoreType     capture | restore: the phase Release State Store releases.
 *   _OSDStateStoreAccounts the computer association's accounts, comma-separated (absent: all): for a
 *                          restore, those this computer may restore ("capture all and restore
 *                          specified", "specified"); for a capture, those to capture ("capture and
 *                          restore specified accounts" only, §1.3).
 *   _OSDStateStoreUserAccounts  the association's user-accounts mode.
 *
 * The uploads and downloads themselves are `ctx.services.stateMigration.putFile/getFile` in the
 * user state steps (src/actions/user-state/step.ts).
 *
 * Request: `1 + OSDStateSMPRetryCount` rounds `OSDStateSMPRetryTime` seconds apart [I: the count is
 * the retries after the first round, §2.6]; every attempt and why it failed is in the log. Failure
 * codes [I]: no capacity (every storage folder full, or restore-only) 0x80070070 (ERROR_DISK_FULL);
 * no association / no captured state 0x80070490 (ERROR_NOT_FOUND); the site unreachable 0x80072EFD
 * (ERROR_INTERNET_CANNOT_CONNECT); the device refused 0x80070005; no state migration point on this
 * host 0x80004005. Release: the outcome is the previous step's (`_SMSTSLastActionSucceeded`: "the
 * step right before Release must succeed", §1.4).
 *
 * Where the host has no state migration point (the lab without a site, `osd ts run`) the steps are
 * predicted (`canRun`), reported as predicted, never as done; `run` without one fails with the reason.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OsdError } from '../../common/errors.js';
import type { StepExecution, StepResult } from '../../engine/ports.js';
import { releaseStateStore, requestStateStore } from '../../sequence/catalog/index.js';
import { filesOfDrive } from '../computer.js';
import { defineHandler, predictSet, type HandlerContext } from '../handler.js';
import type { StateMigrationService, StateStoreGrant } from '../services.js';
import { WIN32 } from '../errors.js';
import { userStatePath } from '../user-state/paths.js';

export const STATE_STORE_VARIABLES = {
  path: 'OSDStateStorePath',
  remote: '_OSDStateStoreRemote',
  key: '_OSDStateStoreKey',
  id: '_OSDStateStoreId',
  type: '_OSDStateStoreType',
  accounts: '_OSDStateStoreAccounts',
  userAccounts: '_OSDStateStoreUserAccounts',
} as const;

/** The codes of §2.6 failures (see the header). */
export const STATE_STORE_CODES = {
  noCapacity: WIN32.diskFull,
  noAssociation: WIN32.notFound,
  unreachable: 0x80072efd,
  refused: WIN32.accessDenied,
  noService: WIN32.generic,
} as const;

/** The waits between rounds; tests shorten them. */
export const stateStoreTiming = {
  sleep: (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(t);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }),
};

const builtIn = (x: StepExecution, name: string, value: string, secret = false): void => x.variables.set(name, value, { builtIn: true, secret });

function intSetting(x: StepExecution, name: string, fallback: number, max: number): number {
  const raw = (x.properties[name] ?? x.variables.get(name) ?? '').trim();
  if (raw === '') return fallback;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) > max)
    throw new OsdError('step-failed', { input: name, rule: `${name} is "${raw}": a whole number from 0 to ${max}`, exitCode: WIN32.invalidParameter });
  return Number(raw);
}

/** What a failed attempt means: the code, whether another round may help, and the words for the log. */
function classify(e: unknown): { code: number; retry: boolean; why: string } {
  const err = e as { kind?: string; code?: string; status?: number; message?: string; rule?: string };
  const why = err.rule ?? err.message ?? String(e);
  if (err.code === 'no-capacity' || /NO_CAPACITY|no-capacity/.test(why)) return { code: STATE_STORE_CODES.noCapacity, retry: true, why };
  if (err.code === 'no-association' || /no-association/.test(why)) return { code: STATE_STORE_CODES.noAssociation, retry: true, why };
  if (err.kind === 'unauthenticated' || err.kind === 'forbidden') return { code: STATE_STORE_CODES.refused, retry: false, why };
  if (err.kind === 'unavailable' || err.kind === 'fault' || err.code === 'mp-unreachable') return { code: STATE_STORE_CODES.unreachable, retry: true, why };
  return { code: STATE_STORE_CODES.noService, retry: false, why };
}

function noService(step: string): StepResult {
  return {
    exitCode: STATE_STORE_CODES.noService,
    message: `${step}: this computer has no state migration point (the task sequence runs without a site): store user state locally (OSDStateStorePath on a drive, or hard links) instead`,
  };
}

/** The local staging folder (§2.6 step 2): made on the computer's drive with its USMT sub-folder when that drive is there. */
async function stage(ctx: HandlerContext, smp: StateMigrationService, grant: StateStoreGrant): Promise<string> {
  const { x } = ctx;
  const base = userStatePath(x);
  const folder = `${base.replace(/[\\/]+$/, '')}\\${grant.storeId}`;
  const m = /^([A-Za-z]:)\\(.*)$/.exec(folder);
  if (!m) return grant.location;
  try {
    const files = await filesOfDrive(ctx.computer, m[1]!);
    const rel = m[2]!.replace(/\\/g, '/');
    await files.mkdirp(`${rel}/USMT`);
    if (grant.type === 'restore') {
      const work = ctx.services?.workDir ?? tmpdir();
      await mkdir(work, { recursive: true });
      const dir = await mkdtemp(join(work, 'store-json-'));
      try {
        await smp.getFile(grant.storeId, 'store.json', join(dir, 'store.json'), { signal: x.signal });
        await files.writeFile(`${rel}/USMT/store.json`, await readFile(join(dir, 'store.json')));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    return folder;
  } catch (e) {
    x.log(`The staging folder ${folder} could not be made on the computer (${(e as Error).message}); OSDStateStorePath is the store's location`, 'warning');
    return grant.location;
  }
}

export const requestStateStoreHandler = defineHandler(requestStateStore, {
  canRun: (ctx) => ctx.services?.stateMigration !== undefined,
  run: async (ctx) => {
    const { x } = ctx;
    const smp = ctx.services?.stateMigration;
    if (!smp) return noService('Request State Store');
    const type = (x.properties.OSDStateRequestType ?? x.variables.get('OSDStateRequestType') ?? '').trim().toLowerCase();
    if (type !== 'capture' && type !== 'restore')
      return {
        exitCode: WIN32.invalidParameter,
        message: `OSDStateRequestType is "${type}": capture (Capture state from the computer) or restore (Restore state from another computer)`,
      };
    let retries: number;
    let waitSeconds: number;
    try {
      retries = intSetting(x, 'OSDStateSMPRetryCount', 3, 600);
      waitSeconds = intSetting(x, 'OSDStateSMPRetryTime', 10, 600);
    } catch (e) {
      return { exitCode: (e as OsdError).exitCode ?? WIN32.invalidParameter, message: (e as Error).message };
    }
    if (/^true$/i.test(x.properties.OSDStateFallbackToNAA ?? ''))
      x.log('OSDStateFallbackToNAA is true: this agent has no network access account; the device credential is used', 'warning');
    const rounds = 1 + retries;
    let last: { code: number; why: string } = { code: STATE_STORE_CODES.noService, why: 'not tried' };
    for (let round = 1; round <= rounds; round++) {
      try {
        x.log(`Request State Store (${type}): asking the state migration point, attempt ${round} of ${rounds}`);
        const grant = await smp.request(type, { signal: x.signal });
        const path = await stage(ctx, smp, grant);
        builtIn(x, STATE_STORE_VARIABLES.key, grant.key, true);
        builtIn(x, STATE_STORE_VARIABLES.remote, grant.location);
        builtIn(x, STATE_STORE_VARIABLES.id, grant.storeId);
        builtIn(x, STATE_STORE_VARIABLES.type, type);
        // The association's accounts: for a restore, those it may restore; for a capture under "capture and restore specified accounts", those it captures.
        builtIn(x, STATE_STORE_VARIABLES.accounts, (grant.accounts ?? []).join(','));
        builtIn(x, STATE_STORE_VARIABLES.userAccounts, grant.userAccounts ?? '');
        x.variables.set(STATE_STORE_VARIABLES.path, path);
        x.log(
          `The state migration point granted store ${grant.storeId} for ${type}${grant.sourceName && type === 'restore' ? ` (captured from ${grant.sourceName}${grant.accounts?.length ? `; accounts ${grant.accounts.join(', ')}` : ''})` : ''} at ${grant.location}`,
        );
        return { exitCode: 0 };
      } catch (e) {
        if (x.signal.aborted) throw e;
        const c = classify(e);
        last = c;
        x.log(`Attempt ${round} of ${rounds}: ${c.why}`, 'warning');
        if (!c.retry) break;
        if (round < rounds) await stateStoreTiming.sleep(waitSeconds * 1000, x.signal);
      }
    }
    return { exitCode: last.code, message: `Request State Store (${type}) failed after ${rounds} attempt(s): ${last.why}` };
  },
  simulate: (ctx) => {
    const computer = ctx.x.variables.get('_SMSTSMachineName') ?? 'COMPUTER';
    predictSet(ctx, 'OSDStateStorePath', `\\\\SMP01.contoso.com\\SMPSTOREC_${computer.toUpperCase()}$`);
    return { exitCode: 0, predicted: { assumed: ['a state migration point grants a store (its path is made up)'] } };
  },
});

export const releaseStateStoreHandler = defineHandler(releaseStateStore, {
  canRun: (ctx) => ctx.services?.stateMigration !== undefined,
  run: async (ctx) => {
    const { x } = ctx;
    const smp = ctx.services?.stateMigration;
    if (!smp) return noService('Release State Store');
    const storeId = x.variables.get(STATE_STORE_VARIABLES.id);
    const phase = x.variables.get(STATE_STORE_VARIABLES.type);
    if (!storeId || (phase !== 'capture' && phase !== 'restore'))
      return { exitCode: WIN32.invalidParameter, message: 'Release State Store: no state store was requested (a Request State Store step comes before it)' };
    // §1.4: the step right before Release must succeed for the store to be released as done.
    const outcome = /^true$/i.test(x.variables.get('_SMSTSLastActionSucceeded') ?? 'true') ? 'success' : 'failure';
    try {
      await smp.release(storeId, phase, outcome, { signal: x.signal });
    } catch (e) {
      if (x.signal.aborted) throw e;
      const c = classify(e);
      return { exitCode: c.code, message: `Release State Store (${phase}) of store ${storeId} failed: ${c.why}` };
    }
    x.log(
      outcome === 'success'
        ? phase === 'capture'
          ? `Store ${storeId} released: captured, read-only, restorable by the destination computer of its association`
          : `Store ${storeId} released: restored; the state migration point's retention starts`
        : `Store ${storeId} released after a failed step: ${phase === 'capture' ? 'the capture is abandoned' : 'the store stays restorable'}`,
      outcome === 'success' ? 'info' : 'warning',
    );
    // The key goes with the release (§2.4); the id stays for the record.
    for (const name of [
      STATE_STORE_VARIABLES.key,
      STATE_STORE_VARIABLES.remote,
      STATE_STORE_VARIABLES.type,
      STATE_STORE_VARIABLES.accounts,
      STATE_STORE_VARIABLES.userAccounts,
    ])
      builtIn(x, name, '');
    await removeStaging(ctx, storeId);
    return { exitCode: 0 };
  },
  simulate: (ctx) => {
    for (const name of [STATE_STORE_VARIABLES.key, STATE_STORE_VARIABLES.remote])
      if (ctx.x.variables.get(name)) ctx.x.variables.set(name, '', { builtIn: true });
    return { exitCode: 0, predicted: { assumed: ['the state migration point releases the store'] } };
  },
});

/** The staging folder Request State Store made (`<_SMSTSUserStatePath>\<storeId>`), removed; anything else is left alone. */
async function removeStaging(ctx: HandlerContext, storeId: string): Promise<void> {
  const path = ctx.x.variables.get(STATE_STORE_VARIABLES.path) ?? '';
  const expected = `${userStatePath(ctx.x).replace(/[\\/]+$/, '')}\\${storeId}`;
  const m = /^([A-Za-z]:)\\(.*)$/.exec(path);
  if (!m || path.toLowerCase() !== expected.toLowerCase()) return;
  try {
    await (await filesOfDrive(ctx.computer, m[1]!)).remove(m[2]!.replace(/\\/g, '/'));
  } catch (e) {
    ctx.x.log(`The staging folder ${path} could not be removed (${(e as Error).message})`, 'warning');
  }
}
