/**
 * Request State Store / Release State Store through the agent's HttpStateMigrationService against a
 * real site listening on a socket (user-state.md §2.6–§2.8), with the user state steps between them:
 * a refresh's capture and a replace's restore through a computer association (files back with their
 * SHA-256), a third computer refused after its rounds, capacity with the rounds' waits recorded
 * (§2.8 #7: count 3 → 4 attempts 10 s apart), an upload broken off at 60 % resumed sending only
 * the rest (#6), and the engine with the agent's sealed journal and smsts.log: the key is in
 * neither, nor in the status events.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ContentLibrary } from '../../src/actions/content.js';
import type { DirectoryComputer } from '../../src/actions/directory-computer.js';
import { failureResult } from '../../src/actions/errors.js';
import { ActionExecutor } from '../../src/actions/executor.js';
import type { HandlerContext } from '../../src/actions/handler.js';
import { stepSimulators } from '../../src/actions/handlers/index.js';
import { releaseStateStoreHandler, requestStateStoreHandler, stateStoreTiming } from '../../src/actions/handlers/state-store.js';
import { captureUserStateHandler, restoreUserStateHandler } from '../../src/actions/handlers/user-state.js';
import type { SiteServices } from '../../src/actions/services.js';
import { MpClient } from '../../src/agent/mp-client.js';
import { HttpStateMigrationService } from '../../src/agent/state-migration.js';
import type { JournalState, LogEntry, StatusEvent } from '../../src/engine/ports.js';
import { simulate } from '../../src/engine/simulate/simulate.js';
import { FileJournal } from '../../src/runner/file-journal.js';
import { ProcessExecutor } from '../../src/runner/process-executor.js';
import { SealedSecretsJournal } from '../../src/runner/sealed-journal.js';
import { SmstsLog } from '../../src/runner/smsts-log.js';
import { captureUserState, releaseStateStore, requestStateStore, restoreUserState } from '../../src/sequence/catalog/index.js';
import type { DirectoryVolume } from '../../src/storage/volume/directory.js';
import { issueCredential } from '../../src/site/mp/credentials.js';
import { SYSTEM_ACTOR } from '../../src/site/security/roles.js';
import { directoryComputer, execution, profile, step, type MockExecution } from '../actions/handlers/helpers.js';
import { put } from '../actions/user-state/fixture.js';
import { tempDir } from '../helpers/temp.js';
import { startTestApi, type TestApi } from '../site/helpers/site.js';
import { addCollection } from '../site/task-sequences/fixtures.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let api: TestApi;
let url: string;
let smpRoot: string;
const cred: Record<string, string> = {};
const ids: Record<string, number> = {};
const cleanups: Array<() => void> = [];
const sleeps: number[] = [];
const realSleep = stateStoreTiming.sleep;

beforeAll(async () => {
  api = await startTestApi('pglite');
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const address = api.app.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  smpRoot = tempDir('osd-smp-agent-');
  await addCollection(
    api.site,
    'Lab',
    ['OLD-PC', 'NEW-PC', 'THIRD-PC', 'FULL-PC'].map((name) => ({ name })),
  );
  const { rows } = await api.site.db.query<{ name: string; resource_id: string }>('SELECT name, resource_id FROM devices');
  for (const r of rows) {
    ids[r.name] = Number(r.resource_id);
    cred[r.name] = (await issueCredential(api.site.db, SYSTEM_ACTOR, Number(r.resource_id), { replaceOthers: true })).credential;
  }
});
afterAll(async () => {
  stateStoreTiming.sleep = realSleep;
  await api?.close();
  rmSync(smpRoot, { recursive: true, force: true });
});
beforeEach(async () => {
  sleeps.length = 0;
  stateStoreTiming.sleep = async (ms) => {
    sleeps.push(ms);
  };
  const r = await api.call('PUT', '/api/v1/state-migration-point', {
    body: {
      storageFolders: [{ path: join(smpRoot, 'a'), maxClients: 50, minFree: { value: 1, unit: 'MB' } }],
      deletion: { mode: 'after', value: 1, unit: 'days' },
      restoreOnly: false,
    },
  });
  expect(r.status, r.body).toBe(200);
});
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function service(name: string, sent?: Array<{ name: string; from: number; bytes: number }>): HttpStateMigrationService {
  const client = new MpClient({ siteUrl: url, credential: cred[name], retryForMs: 5_000 });
  return new HttpStateMigrationService(client, { sleep: async () => {}, onSent: (_s, n, from, bytes) => sent?.push({ name: n, from, bytes }) });
}

async function machine(): Promise<{ computer: DirectoryComputer; root: string }> {
  const { computer, cleanup } = directoryComputer(profile('win10-x64-refresh.json'));
  cleanups.push(cleanup);
  const [, , win] = await computer.writeLayout(0, {
    style: 'gpt',
    partitions: [
      { kind: 'efi', sizeBytes: 100 << 20, fileSystem: 'FAT32' },
      { kind: 'msr', sizeBytes: 16 << 20 },
      { kind: 'primary', percentOfRemaining: 100, fileSystem: 'NTFS' },
    ],
  });
  await computer.format(win!, 'NTFS', 'Windows');
  computer.setDrives([{ letter: 'C:', disk: 0, partition: win!.partition }]);
  const root = ((await computer.files(win!)) as DirectoryVolume).root;
  put(root, 'Windows/System32/notepad.exe', 'MZ');
  return { computer, root };
}

/** A step as the engine hands it over, whose own `_` outputs it may set. */
function exec(def: unknown, settings: object, variables: Record<string, string>, environment: 'WinPE' | 'FullOS' = 'FullOS'): MockExecution {
  return execution(step(def as typeof requestStateStore, settings as never), { variables, environment });
}

async function run(h: { run?: (ctx: HandlerContext) => Promise<{ exitCode: number; message?: string }> }, ctx: HandlerContext) {
  try {
    return await h.run!(ctx);
  } catch (e) {
    return failureResult(e);
  }
}

const content = new ContentLibrary(tempDir('osd-smp-content-'));

describe('Request / Release State Store through the agent against a real site', () => {
  it('replace: capture on OLD-PC to the state migration point, association, restore on NEW-PC; a third computer refused after its rounds', async () => {
    const old = await machine();
    put(old.root, 'Users/alice/NTUSER.DAT', 'hive');
    const big = randomBytes(3 * 1024 * 1024 + 17);
    put(old.root, 'Users/alice/Documents/big.bin', big);
    put(old.root, 'Users/alice/Documents/Grüße – 日本.txt', 'unicode');
    const oldServices: SiteServices = { stateMigration: service('OLD-PC'), workDir: tempDir('osd-smp-work-') };

    const req = exec(requestStateStore, { requestType: 'capture' }, {});
    expect(await run(requestStateStoreHandler, { x: req.x, computer: old.computer, content, services: oldServices })).toEqual({ exitCode: 0 });
    const v = req.env;
    const storeId = v.get('_OSDStateStoreId')!;
    expect(storeId).toMatch(/^[0-9a-f-]{36}$/);
    expect(v.get('_OSDStateStoreType')).toBe('capture');
    expect(v.get('_OSDStateStoreRemote')).toBe(`${url}/mp/v1/userstate/stores/${storeId}`);
    expect(v.isSecret('_OSDStateStoreKey')).toBe(true);
    expect(v.get('OSDStateStorePath')).toBe(`C:\\_SMSTaskSequence\\UserState\\${storeId}`);
    expect(req.logs.join('\n')).not.toContain(v.get('_OSDStateStoreKey')!);

    const carry = Object.fromEntries(
      ['OSDStateStorePath', '_OSDStateStoreRemote', '_OSDStateStoreKey', '_OSDStateStoreId', '_OSDStateStoreType'].map((n) => [n, v.get(n)!]),
    );
    const cap = exec(captureUserState, {}, carry);
    expect(await run(captureUserStateHandler, { x: cap.x, computer: old.computer, content, services: oldServices })).toEqual({ exitCode: 0 });
    const rel = exec(releaseStateStore, {}, { ...carry, _SMSTSLastActionSucceeded: 'true' });
    expect(await run(releaseStateStoreHandler, { x: rel.x, computer: old.computer, content, services: oldServices })).toEqual({ exitCode: 0 });
    expect(rel.env.get('_OSDStateStoreKey')).toBeUndefined();
    const stored = await api.call('GET', `/api/v1/userstate/stores/${storeId}`);
    expect(stored.json).toMatchObject({ state: 'captured', sourceName: 'OLD-PC' });
    expect(stored.json.fileList.map((f: { name: string }) => f.name)).toEqual(['manifest.osdm', 'packs/000001.osdp', 'store.json']);

    // The association: OLD-PC → NEW-PC. The new computer finds the store by it.
    expect(
      (
        await api.call('POST', '/api/v1/computer-associations', {
          body: { sourceResourceId: ids['OLD-PC'], destinationResourceId: ids['NEW-PC'], userAccounts: 'capture-restore-all' },
        })
      ).status,
    ).toBe(201);
    const neu = await machine();
    const newServices: SiteServices = { stateMigration: service('NEW-PC'), workDir: tempDir('osd-smp-work-') };
    const rr = exec(requestStateStore, { requestType: 'restore' }, {});
    expect(await run(requestStateStoreHandler, { x: rr.x, computer: neu.computer, content, services: newServices })).toEqual({ exitCode: 0 });
    expect(rr.env.get('_OSDStateStoreId')).toBe(storeId);
    expect(rr.env.get('_OSDStateStoreKey')).toBe(v.get('_OSDStateStoreKey'));
    // The staging folder holds the store's header (MDT's "Folder %OSDStateStorePath%\USMT exists").
    expect(JSON.parse(readFileSync(join(neu.root, '_SMSTaskSequence/UserState', storeId, 'USMT/store.json'), 'utf8')).storeId).toBe(storeId);
    const restoreVars = Object.fromEntries(
      ['OSDStateStorePath', '_OSDStateStoreRemote', '_OSDStateStoreKey', '_OSDStateStoreId', '_OSDStateStoreType'].map((n) => [n, rr.env.get(n)!]),
    );
    const res = exec(restoreUserState, {}, restoreVars);
    expect(await run(restoreUserStateHandler, { x: res.x, computer: neu.computer, content, services: newServices })).toEqual({ exitCode: 0 });
    expect(sha(readFileSync(join(neu.root, 'Users/alice/Documents/big.bin')))).toBe(sha(big));
    expect(readFileSync(join(neu.root, 'Users/alice/Documents/Grüße – 日本.txt'), 'utf8')).toBe('unicode');
    const rel2 = exec(releaseStateStore, {}, { ...restoreVars, _SMSTSLastActionSucceeded: 'true' });
    expect(await run(releaseStateStoreHandler, { x: rel2.x, computer: neu.computer, content, services: newServices })).toEqual({ exitCode: 0 });
    expect((await api.call('GET', `/api/v1/userstate/stores/${storeId}`)).json).toMatchObject({ state: 'restored', restoreResourceId: ids['NEW-PC'] });

    // A third computer: no association → 4 rounds (retry count 3), 10 s apart, then ERROR_NOT_FOUND.
    const third = exec(requestStateStore, { requestType: 'restore' }, {});
    const r = await run(requestStateStoreHandler, { x: third.x, computer: neu.computer, content, services: { stateMigration: service('THIRD-PC') } });
    expect(r.exitCode).toBe(0x80070490);
    expect(r.message).toMatch(/after 4 attempt\(s\): no-association/);
    expect(sleeps).toEqual([10_000, 10_000, 10_000]);
    expect(third.env.get('_OSDStateStoreKey')).toBeUndefined();
    expect(third.logs.filter((l) => l.startsWith('warning: Attempt'))).toHaveLength(4);
  });

  it('§2.8 #7: every folder full → 4 attempts 10 s apart (fake clock) → 0x80070070 naming no-capacity; restore-only likewise', async () => {
    await api.call('PUT', '/api/v1/state-migration-point', {
      body: { storageFolders: [{ path: join(smpRoot, 'full'), maxClients: 5, minFree: { value: 100, unit: 'Percent' } }] },
    });
    const m = await machine();
    const x = exec(requestStateStore, { requestType: 'capture', retryCount: 3, retryTime: 10 }, {});
    const r = await run(requestStateStoreHandler, { x: x.x, computer: m.computer, content, services: { stateMigration: service('FULL-PC') } });
    expect(r).toMatchObject({ exitCode: 0x80070070 });
    expect(r.message).toMatch(/failed after 4 attempt\(s\): no-capacity: every storage folder/);
    expect(sleeps).toEqual([10_000, 10_000, 10_000]);
    // OSDStateSMPRetryCount / OSDStateSMPRetryTime as global variables override the step.
    sleeps.length = 0;
    const y = exec(requestStateStore, { requestType: 'capture' }, { OSDStateSMPRetryCount: '1', OSDStateSMPRetryTime: '2' });
    await run(requestStateStoreHandler, { x: y.x, computer: m.computer, content, services: { stateMigration: service('FULL-PC') } });
    expect(sleeps).toEqual([2_000]);
    const bad = exec(requestStateStore, { requestType: 'capture' }, { OSDStateSMPRetryCount: 'many' });
    expect(await run(requestStateStoreHandler, { x: bad.x, computer: m.computer, content, services: { stateMigration: service('FULL-PC') } })).toMatchObject({
      exitCode: 0x80070057,
      message: expect.stringContaining('OSDStateSMPRetryCount is "many"'),
    });
    // No state migration point on this host: a clear failure (and canRun says the step is only predicted here).
    const none = exec(requestStateStore, { requestType: 'capture' }, {});
    expect(requestStateStoreHandler.canRun!({ x: none.x, computer: m.computer, content })).toBe(false);
    expect(await run(requestStateStoreHandler, { x: none.x, computer: m.computer, content })).toMatchObject({
      exitCode: 0x80004005,
      message: expect.stringContaining('no state migration point'),
    });
  });

  it('the state migration point unreachable: every round tried, then 0x80072EFD naming the site; nothing on the computer touched', async () => {
    // A port nothing listens on (a server started and closed again).
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const client = new MpClient({ siteUrl: `http://127.0.0.1:${port}`, credential: cred['OLD-PC'], retryForMs: 200 });
    const unreachable = new HttpStateMigrationService(client, { sleep: async () => {} });
    const m = await machine();
    put(m.root, 'Users/alice/Documents/keep.txt', 'mine');
    const x = exec(requestStateStore, { requestType: 'capture', retryCount: 2, retryTime: 5 }, {});
    const r = await run(requestStateStoreHandler, { x: x.x, computer: m.computer, content, services: { stateMigration: unreachable } });
    expect(r.exitCode, r.message).toBe(0x80072efd);
    expect(r.message).toMatch(/3 attempt\(s\)/);
    expect(sleeps).toEqual([5_000, 5_000]);
    expect(x.x.variables.get('_OSDStateStoreKey')).toBeUndefined();
    expect(readFileSync(join(m.root, 'Users/alice/Documents/keep.txt'), 'utf8')).toBe('mine');
  });

  it('§2.8 #6: an upload broken off at 60 % resumes from the bytes the site kept; only the rest is sent; the SHA-256 matches at the end', async () => {
    const grant = await service('FULL-PC').request('capture');
    const dir = tempDir('osd-smp-pack-');
    const pack = randomBytes(8 * 1024 * 1024);
    const path = join(dir, '000001.osdp');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path, pack);
    // A computer that loses its connection after 60 % of the bytes: the socket closes mid-body.
    const cut = Math.floor(pack.length * 0.6);
    await new Promise<void>((resolve) => {
      const req = http.request(`${url}/mp/v1/userstate/stores/${grant.storeId}/files/${encodeURIComponent('packs/000001.osdp')}`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${cred['FULL-PC']}`,
          'content-type': 'application/octet-stream',
          'content-length': pack.length,
          'content-range': `bytes 0-${pack.length - 1}/${pack.length}`,
          'x-content-sha256': sha(pack),
        },
      });
      req.on('error', () => resolve());
      req.on('response', (res) => {
        res.resume();
        resolve();
      });
      req.write(pack.subarray(0, cut), () => setTimeout(() => req.destroy(), 300));
    });
    // The site kept what arrived (and no more than was sent).
    let held = 0;
    for (let i = 0; i < 50 && held === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      held = (await api.call('GET', `/mp/v1/userstate/stores/${grant.storeId}/files`, { token: cred['FULL-PC'] })).json.files[0]?.received ?? 0;
    }
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(cut);
    const sent: Array<{ name: string; from: number; bytes: number }> = [];
    await service('FULL-PC', sent).putFile(grant.storeId, 'packs/000001.osdp', { path, size: pack.length, sha256: sha(pack) });
    expect(sent).toEqual([{ name: 'packs/000001.osdp', from: held, bytes: pack.length - held }]);
    const files = (await api.call('GET', `/mp/v1/userstate/stores/${grant.storeId}/files`, { token: cred['FULL-PC'] })).json.files;
    expect(files[0]).toMatchObject({ received: pack.length, complete: true, sha256: sha(pack) });
    // Sending it again sends nothing.
    await service('FULL-PC', sent).putFile(grant.storeId, 'packs/000001.osdp', { path, size: pack.length, sha256: sha(pack) });
    expect(sent).toHaveLength(1);
    await service('FULL-PC').release(grant.storeId, 'capture', 'failure');
  });

  it("the key through the engine: a secret variable, masked in smsts.log and status, sealed in the agent's journal, cleared by Release", async () => {
    // OLD-PC's store is captured (first test); NEW-PC restores it again after a failed restore left it restorable.
    const { rows } = await api.site.db.query<{ store_id: string }>("SELECT store_id FROM state_stores WHERE source_name = 'OLD-PC' AND state = 'restored'");
    await api.site.db.query("UPDATE state_stores SET state = 'captured' WHERE store_id = $1", [rows[0]!.store_id]);
    const m = await machine();
    const dir = tempDir('osd-smp-engine-');
    const saved: string[] = [];
    const file = new FileJournal(join(dir, 'journal.json'));
    const recording = {
      load: () => file.load(),
      save: async (s: JournalState) => {
        saved.push(JSON.stringify(s));
        await file.save(s);
      },
    };
    const logLines: LogEntry[] = [];
    const events: StatusEvent[] = [];
    const smsts = new SmstsLog(join(dir, 'logs'));
    const services: SiteServices = { stateMigration: service('NEW-PC'), workDir: join(dir, 'work') };
    const report = await simulate(
      { version: '3.10', items: [step(requestStateStore, { requestType: 'restore' }), step(releaseStateStore, {})] },
      {
        profile: profile('win10-x64-refresh.json'),
        journal: new SealedSecretsJournal(recording, join(dir, 'journal.key')),
        log: { write: (e) => (logLines.push(e), smsts.write(e)) },
        status: { emit: (e) => events.push(e) },
        steps: stepSimulators({}),
        executor: (predicting) => new ActionExecutor(m.computer, content, new ProcessExecutor(predicting), services),
      },
    );
    expect(report.result, report.message).toBe('success');
    const key = (await api.call('GET', `/api/v1/userstate/stores/${rows[0]!.store_id}/recovery`)).json.key as string;
    expect(key).toHaveLength(44);
    const text = readFileSync(join(dir, 'logs', 'smsts.log'), 'utf8');
    expect(text).toContain('_OSDStateStoreKey');
    expect(text).not.toContain(key);
    expect(JSON.stringify(logLines)).not.toContain(key);
    expect(JSON.stringify(events)).not.toContain(key);
    expect(saved.some((s) => s.includes('"_OSDStateStoreKey"') && s.includes('osd-sealed:v1:'))).toBe(true);
    for (const s of saved) expect(s).not.toContain(key);
    expect(readFileSync(join(dir, 'journal.json'), 'utf8')).not.toContain(key);
    // The sealed journal opens again (a resumed run gets its key back), and Release cleared it.
    const loaded = await new SealedSecretsJournal(file, join(dir, 'journal.key')).load();
    expect(loaded!.environment.variables.find((e) => e.name === '_OSDStateStoreKey')).toBeUndefined();
    expect(report.variables?.['_OSDStateStoreId'] ?? rows[0]!.store_id).toBe(rows[0]!.store_id);
  });
});
