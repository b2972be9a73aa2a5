/**
 * Replace, through the agent against a real site (issue 13 acceptance, user-state.md §2.7 "Replace"):
 * the old computer runs a capture-only deployment (Request State Store, Capture User State, Release
 * State Store) with its device credential; the new computer, imported with the old one as its
 * source computer (a computer association), runs the restore deployment and gets the users' files
 * back with the same SHA-256; a third computer running the restore deployment is refused after its
 * rounds and its attempt is in the audit log. The store ends restored, its retention started.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryComputer } from '../../src/actions/directory-computer.js';
import { stateStoreTiming } from '../../src/actions/handlers/state-store.js';
import { machineFactsOf } from '../../src/agent/facts.js';
import { runAgent } from '../../src/agent/run.js';
import { loadMachineProfile, type MachineProfile } from '../../src/engine/machine-profile/index.js';
import { exportJsonText } from '../../src/sequence/codec/json.js';
import { captureUserState, releaseStateStore, requestStateStore, restoreUserState } from '../../src/sequence/catalog/index.js';
import type { TaskSequence } from '../../src/sequence/model/task-sequence.js';
import type { DirectoryVolume } from '../../src/storage/volume/directory.js';
import { step } from '../actions/handlers/helpers.js';
import { put } from '../actions/user-state/fixture.js';
import { tempDir } from '../helpers/temp.js';
import { startTestApi, type TestApi } from '../site/helpers/site.js';

const MACHINES = resolve(__dirname, '../../examples/machines');
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let api: TestApi;
let url: string;
const realSleep = stateStoreTiming.sleep;

/** The refresh machine's profile as another computer (its own MAC, SMBIOS GUID and name). */
function computerProfile(n: number, name: string): MachineProfile {
  const p = loadMachineProfile(join(MACHINES, 'win10-x64-refresh.json'));
  return {
    ...p,
    name,
    uuid: `6A1F9E3B-48C2-4D7A-9E51-2C7B33D0A1${String(n).padStart(2, '0')}`,
    networkAdapters: p.networkAdapters.map((a, i) => ({ ...a, mac: `00:15:5D:0${n}:00:${String(10 + i)}` })),
    currentOs: p.currentOs ? { ...p.currentOs, computerName: name } : p.currentOs,
  };
}

async function computer(profile: MachineProfile): Promise<{ computer: DirectoryComputer; root: string }> {
  const c = new DirectoryComputer(tempDir('osd-replace-pc-'), profile);
  const [, , win] = await c.writeLayout(0, {
    style: 'gpt',
    partitions: [
      { kind: 'efi', sizeBytes: 100 << 20, fileSystem: 'FAT32' },
      { kind: 'msr', sizeBytes: 16 << 20 },
      { kind: 'primary', percentOfRemaining: 100, fileSystem: 'NTFS' },
    ],
  });
  await c.format(win!, 'NTFS', 'Windows');
  c.setDrives([{ letter: 'C:', disk: 0, partition: win!.partition }]);
  const root = ((await c.files(win!)) as DirectoryVolume).root;
  put(root, 'Windows/System32/notepad.exe', 'MZ');
  return { computer: c, root };
}

async function deploy(name: string, items: TaskSequence['items'], collectionId: string): Promise<string> {
  const ts: TaskSequence = { version: '3.10', items };
  const imported = await api.call('POST', '/api/v1/task-sequences', { body: { name, format: 'json', content: exportJsonText(ts) } });
  expect(imported.status, imported.body).toBe(201);
  const id = imported.json.taskSequence?.id ?? imported.json.id;
  const dep = await api.call('POST', '/api/v1/deployments', {
    body: { taskSequenceId: id, collectionId, purpose: 'required', availability: 'clients', schedules: ['asap'], confirmHighRisk: true },
  });
  expect(dep.status, dep.body).toBe(201);
  return dep.json.deployment.id as string;
}

function agent(profile: MachineProfile, c: DirectoryComputer, stateDir: string) {
  return runAgent({
    siteUrl: url,
    stateDir,
    computer: c,
    restart: (into) => c.restart(into),
    facts: machineFactsOf(profile, 'os'),
    profile,
    retryForMs: 20_000,
  });
}

beforeAll(async () => {
  api = await startTestApi('pglite');
  url = await api.app.listen({ host: '127.0.0.1', port: 0 });
  stateStoreTiming.sleep = async () => {};
  const r = await api.call('PUT', '/api/v1/state-migration-point', {
    body: {
      storageFolders: [{ path: tempDir('osd-replace-smp-'), maxClients: 10, minFree: { value: 1, unit: 'MB' } }],
      deletion: { mode: 'after', value: 1, unit: 'days' },
    },
  });
  expect(r.status, r.body).toBe(200);
});
afterAll(async () => {
  stateStoreTiming.sleep = realSleep;
  await api?.close();
});

describe('replace through the agent against a real site', () => {
  it('captures the old computer, restores on the new one through its association, refuses a third', async () => {
    const oldProfile = computerProfile(1, 'OLD-PC');
    const newProfile = computerProfile(2, 'NEW-PC');
    const thirdProfile = computerProfile(3, 'THIRD-PC');
    const collection = async (name: string) => (await api.call('POST', '/api/v1/collections', { body: { name } })).json.collection.collectionId as string;
    const oldCol = await collection('Old computers');
    const newCol = await collection('New computers');
    const add = async (p: MachineProfile, collectionId: string, sourceComputer?: string) => {
      const r = await api.call('POST', '/api/v1/devices', {
        body: {
          name: p.name,
          mac: p.networkAdapters[0]!.mac,
          smbiosGuid: p.uuid,
          collectionId,
          ...(sourceComputer ? { sourceComputer, userAccounts: 'capture-restore-all' } : {}),
        },
      });
      expect(r.status, r.body).toBe(201);
      return r.json;
    };
    await add(oldProfile, oldCol);
    const imported = await add(newProfile, newCol, 'OLD-PC');
    expect(imported.association).toMatchObject({ sourceName: 'OLD-PC', destinationName: 'NEW-PC' });
    await add(thirdProfile, newCol);

    const captureId = await deploy(
      'Capture user state',
      [step(requestStateStore, { requestType: 'capture' }), step(captureUserState, {}), step(releaseStateStore, {})],
      oldCol,
    );
    const restoreId = await deploy(
      'Restore user state',
      [step(requestStateStore, { requestType: 'restore', retryCount: 1, retryTime: 1 }), step(restoreUserState, {}), step(releaseStateStore, {})],
      newCol,
    );

    // The old computer's users.
    const old = await computer(oldProfile);
    put(old.root, 'Users/alice/NTUSER.DAT', 'hive');
    put(old.root, 'Users/bob/NTUSER.DAT', 'hive');
    const big = randomBytes(6 * 1024 * 1024 + 5);
    put(old.root, 'Users/alice/Documents/big.bin', big);
    put(old.root, 'Users/alice/Documents/Zürich – 東京.txt', 'non-ASCII');
    put(old.root, 'Users/bob/Desktop/notes.txt', 'bob');

    const captured = await agent(oldProfile, old.computer, tempDir('osd-replace-agent-old-'));
    expect(captured, captured.message).toMatchObject({ outcome: 'succeeded', deploymentId: captureId, statusPending: 0 });
    const stores = (await api.call('GET', '/api/v1/userstate/stores?state=captured')).json as Array<{ storeId: string; sourceName: string; bytes: number }>;
    expect(stores).toHaveLength(1);
    expect(stores[0]).toMatchObject({ sourceName: 'OLD-PC' });
    expect(stores[0]!.bytes).toBeGreaterThan(big.length / 2);

    const neu = await computer(newProfile);
    const restored = await agent(newProfile, neu.computer, tempDir('osd-replace-agent-new-'));
    expect(restored, restored.message).toMatchObject({ outcome: 'succeeded', deploymentId: restoreId });
    expect(sha(readFileSync(join(neu.root, 'Users/alice/Documents/big.bin')))).toBe(sha(big));
    expect(readFileSync(join(neu.root, 'Users/alice/Documents/Zürich – 東京.txt'), 'utf8')).toBe('non-ASCII');
    expect(readFileSync(join(neu.root, 'Users/bob/Desktop/notes.txt'), 'utf8')).toBe('bob');
    const store = (await api.call('GET', `/api/v1/userstate/stores/${stores[0]!.storeId}`)).json;
    expect(store).toMatchObject({ state: 'restored', sourceName: 'OLD-PC' });
    expect(Date.parse(store.expiresAt) - Date.parse(store.restoredAt)).toBe(86_400_000);
    // The smsts.log the site keeps has no key.
    const recovery = (await api.call('GET', `/api/v1/userstate/stores/${stores[0]!.storeId}/recovery`)).json;
    const runs = (await api.call('GET', `/api/v1/devices/${imported.device.resourceId}/runs`)).json.runs;
    const log = await api.call('GET', `/api/v1/devices/${imported.device.resourceId}/runs/${runs[0].runId}/logs/smsts.log`);
    expect(log.body).toContain('Request State Store');
    expect(log.body).not.toContain(recovery.key);

    // A third computer in the same collection: no association → the step fails after its 2 rounds.
    const third = await computer(thirdProfile);
    const refused = await agent(thirdProfile, third.computer, tempDir('osd-replace-agent-third-'));
    expect(refused.outcome).toBe('failed');
    expect(refused.exitCode).toBe(0x80070490);
    expect(existsSync(join(third.root, 'Users/alice'))).toBe(false);
    const audit = await api.site.db.query<{ actor: string; action: string }>("SELECT actor, action FROM audit_log WHERE action = 'userstate-request-refused'");
    expect(audit.rows.filter((r) => r.actor.includes('THIRD-PC'))).toHaveLength(2);
  }, 180_000);
});
