// Pre-cache (osd-features §4.4): in the full OS, an Available deployment with pre-download gets only
// the content the site marks for this machine (its architecture, language, model go with the
// request); the later run finds it in the cache and downloads nothing twice.
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectoryComputer } from '../../src/actions/directory-computer.js';
import { machineFactsOf } from '../../src/agent/facts.js';
import { MpClient } from '../../src/agent/mp-client.js';
import { preCache } from '../../src/agent/precache.js';
import type { DeploymentPolicy } from '../../src/agent/protocol.js';
import { runAgent } from '../../src/agent/run.js';
import { AgentState } from '../../src/agent/state.js';
import { loadMachineProfile } from '../../src/engine/machine-profile/index.js';
import { exportJson } from '../../src/sequence/codec/json.js';
import { importXmlText } from '../../src/sequence/codec/xml-import.js';
import { tempDir } from '../helpers/temp.js';
import { FakeMp } from './fake-mp.js';

const MACHINES = resolve(__dirname, '../../examples/machines');
let mp: FakeMp;

const available: DeploymentPolicy = {
  deploymentId: 'PS120007',
  taskSequenceId: 'PS100004',
  name: 'Windows 11 (pre-cached)',
  revision: 1,
  purpose: 'available',
  availability: 'clients',
  contentOption: 'download-all-first',
  preDownload: true,
  offered: true,
};

beforeEach(async () => {
  mp = await new FakeMp().start();
  mp.policy.deployments = [available, { ...available, deploymentId: 'PS120008', preDownload: false }];
  mp.packages.set('PS120007', [
    { packageId: 'PS100030', name: 'Windows 11 x64', sourceVersion: 1, architecture: 'x64', files: [{ path: 'install.wim', bytes: Buffer.alloc(4096, 1) }] },
    { packageId: 'PS100031', name: 'Windows 11 x86', sourceVersion: 1, architecture: 'x86', files: [{ path: 'install.wim', bytes: Buffer.alloc(2048, 2) }] },
    { packageId: 'PS100032', name: 'Scripts', sourceVersion: 4, files: [{ path: 'a.cmd', bytes: Buffer.from('echo') }] },
  ]);
  mp.packages.set('PS120008', [{ packageId: 'PS100040', name: 'Not pre-cached', sourceVersion: 1, files: [{ path: 'x', bytes: Buffer.from('x') }] }]);
  mp.sequences.set(
    'PS120007',
    exportJson(
      importXmlText(
        `<sequence version="3.10"><step type="SMS_TaskSequence_SetVariableAction" name="Mark" description="" runIn="WinPEandFullOS" successCodeList="0"><action>tsenv.exe "A=1"</action><defaultVarList><variable name="VariableName" property="VariableName">A</variable><variable name="VariableValue" property="VariableValue">1</variable></defaultVarList></step></sequence>`,
      ).sequence,
    ),
  );
});
afterEach(() => mp.stop());

async function client(): Promise<MpClient> {
  const c = new MpClient({ siteUrl: mp.url, retryForMs: 0 });
  c.credential = (await c.register({ macAddresses: ['00:11:22:33:44:55'], architecture: 'x64', firmware: 'uefi', environment: 'os' })).credential;
  return c;
}

describe('preCache', () => {
  it("downloads only the content marked for this machine's architecture, and the later run downloads nothing", async () => {
    const profile = loadMachineProfile(join(MACHINES, 'win10-x64-refresh.json'));
    const facts = machineFactsOf(profile, 'os');
    const stateDir = tempDir('osd-precache-');
    const state = new AgentState(stateDir);
    const c = await client();
    state.saveCredential(c.credential!);
    const r = await preCache(c, state, facts);
    expect(mp.contentQueries).toEqual([{ architecture: 'x64', language: 'en-US', model: 'HP EliteDesk 800 G6 Small Form Factor PC', firmware: 'uefi' }]);
    expect(r.deployments.map((d) => d.deploymentId)).toEqual(['PS120007']);
    expect(r.deployments[0]!.packages.map((p) => `${p.packageId} ${p.cached}`)).toEqual(['PS100030 true', 'PS100031 false', 'PS100032 true']);
    expect(r.fetchedBytes).toBe(4096 + 4);
    expect(existsSync(join(stateDir, 'cache', 'PS100031'))).toBe(false);
    expect(existsSync(join(stateDir, 'cache', 'PS100040'))).toBe(false);
    expect(r.lines).toContain('Pre-cache: PS120007: PS100031 "Windows 11 x86" not for this computer (Architecture x86)');

    // Twice: nothing new from the DP.
    const dpBefore = mp.dpBytes;
    expect((await preCache(c, state, facts)).fetchedBytes).toBe(0);
    expect(mp.dpBytes).toBe(dpBefore);

    // The user starts it later: the run's "download all" finds the x64 content and the scripts in the cache.
    // (The fake's x86 package is not for this machine; the run needs only what its content answer marks.)
    mp.packages.set(
      'PS120007',
      mp.packages.get('PS120007')!.filter((p) => p.packageId !== 'PS100031'),
    );
    const run = await runAgent({
      siteUrl: mp.url,
      stateDir,
      computer: new DirectoryComputer(tempDir('osd-precache-pc-'), profile),
      restart: async () => undefined,
      facts,
      profile,
      choose: 'PS120007',
    });
    expect(run.outcome, run.message).toBe('succeeded');
    expect(run.downloadedBytes).toBe(0);
    expect(mp.dpBytes).toBe(dpBefore);
    expect(mp.messages.find((m) => m.outcome === 'downloaded')?.bytes).toBe(0);
  });

  it('an x86 machine caches the x86 image only', async () => {
    const profile = loadMachineProfile(join(MACHINES, 'bios-x86-desktop.json'));
    const state = new AgentState(tempDir('osd-precache-'));
    const r = await preCache(await client(), state, { ...machineFactsOf(profile, 'os'), language: 'en-US' });
    expect(r.deployments[0]!.packages.filter((p) => p.cached).map((p) => p.packageId)).toEqual(['PS100031', 'PS100032']);
  });
});
