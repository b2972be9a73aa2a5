// An agent run against a small fake management point (test/agent/fake-mp.ts) on a computer in
// folders (DirectoryComputer): policy → choose → download → the engine → status → logs; the
// refusal of a computer that cannot run the deployment; content whose hash does not match; the
// site unreachable for a while.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectoryComputer } from '../../src/actions/directory-computer.js';
import { machineFactsOf } from '../../src/agent/facts.js';
import type { DeploymentPolicy } from '../../src/agent/protocol.js';
import { MpClient } from '../../src/agent/mp-client.js';
import { runAgent, type AgentRunOptions } from '../../src/agent/run.js';
import { AgentState } from '../../src/agent/state.js';
import { loadMachineProfile } from '../../src/engine/machine-profile/index.js';
import { exportJson } from '../../src/sequence/codec/json.js';
import { importXmlText } from '../../src/sequence/codec/xml-import.js';
import { tempDir } from '../helpers/temp.js';
import { FakeMp } from './fake-mp.js';

const MACHINES = resolve(__dirname, '../../examples/machines');
let mp: FakeMp;
let dir: string;

const step = (type: string, name: string, vars: string, extra = '', action = 'x.exe'): string =>
  `<step type="${type}" name="${name}" description="" runIn="WinPEandFullOS" successCodeList="0"${extra}><action>${action}</action><defaultVarList>${vars}</defaultVarList></step>`;
const setVar = (name: string, variable: string, value: string, extra = ''): string =>
  step(
    'SMS_TaskSequence_SetVariableAction',
    name,
    `<variable name="VariableName" property="VariableName">${variable}</variable><variable name="VariableValue" property="VariableValue">${value}</variable>`,
    extra,
    `tsenv.exe "${variable}=${value}"`,
  );

function sequenceXml(out: string): string {
  return `<sequence version="3.10"><group name="Install" description="">
${setVar('Set marker', 'Marker', 'from-%OSDComputerName%')}
${setVar('Never', 'Never', '1', ' disable="true"')}
<step type="SMS_TaskSequence_SetVariableAction" name="Only on VMs" description="" runIn="WinPEandFullOS" successCodeList="0"><condition><expression type="SMS_TaskSequence_VariableConditionExpression"><variable name="Operator">equals</variable><variable name="Value">true</variable><variable name="Variable">IsVM</variable></expression></condition><action>tsenv.exe "X=1"</action><defaultVarList><variable name="VariableName" property="VariableName">X</variable><variable name="VariableValue" property="VariableValue">1</variable></defaultVarList></step>
${step('SMS_TaskSequence_RunCommandLineAction', 'Record', '<variable name="PackageID" property="PackageID" hidden="true">PS100010</variable>', '', `smsswd.exe /run: echo "%Marker% %OSDJoinPassword%" &gt; ${out}`)}
</group></sequence>`;
}

function deployment(extra: Partial<DeploymentPolicy> = {}): DeploymentPolicy {
  return {
    deploymentId: 'PS120003',
    taskSequenceId: 'PS100004',
    name: 'Windows 11 Enterprise',
    revision: 3,
    purpose: 'required',
    availability: 'media-pxe',
    contentOption: 'download-all-first',
    preDownload: false,
    offered: true,
    ...extra,
  };
}

beforeEach(async () => {
  dir = tempDir('osd-agent-run-');
  mp = await new FakeMp().start();
  mp.policy.deployments = [deployment()];
  mp.policy.variables = [
    { name: 'OSDComputerName', value: 'PC-01', secret: false, source: 'device' },
    { name: 'OSDJoinPassword', value: 'Sup3r-S3cret', secret: true, source: 'collection PS100002' },
  ];
  mp.sequences.set('PS120003', exportJson(importXmlText(sequenceXml(join(dir, 'out.txt'))).sequence));
  mp.packages.set('PS120003', [
    { packageId: 'PS100010', name: 'Tools', sourceVersion: 1, files: [{ path: 'tool.txt', bytes: Buffer.from('tool') }] },
    {
      packageId: 'PS100002',
      name: 'Boot image (x64)',
      sourceVersion: 1,
      referencedAs: 'boot image',
      files: [{ path: 'boot.wim', bytes: Buffer.from('boot') }],
    },
  ]);
  mp.bootImage = { packageId: 'PS100002', architecture: 'x64', pxeCompatible: true };
});
afterEach(() => mp.stop());

function options(profileFile = 'uefi-x64-laptop-bare-metal.json', extra: Partial<AgentRunOptions> = {}): AgentRunOptions & { computer: DirectoryComputer } {
  const profile = loadMachineProfile(join(MACHINES, profileFile));
  const computer = new DirectoryComputer(join(dir, 'computer'), profile);
  return {
    siteUrl: mp.url,
    stateDir: join(dir, 'agent'),
    restart: (into) => computer.restart(into),
    facts: machineFactsOf(profile, 'winpe'),
    profile,
    retryForMs: 20_000,
    ...extra,
    computer,
  };
}

const outcomes = () => mp.messages.map((m) => `${m.kind} ${m.outcome} ${m.messageId ?? '-'}${m.step ? ` ${m.step.name}` : ''}`);

describe('runAgent against a management point', () => {
  it('registers, runs the Required deployment with the policy variables, reports every step and uploads smsts.log', async () => {
    const o = options();
    const r = await runAgent(o);
    expect(r, r.message).toMatchObject({ outcome: 'succeeded', exitCode: 0, deploymentId: 'PS120003', statusPending: 0, logsUploaded: true, resumed: false });
    expect(readFileSync(join(dir, 'out.txt'), 'utf8').trim()).toBe('from-PC-01 Sup3r-S3cret');
    expect(mp.registrations).toBe(1);
    expect(outcomes()).toEqual([
      'run started 11140',
      'run downloaded -',
      'group started 11124 Install',
      'step started - Set marker',
      'step succeeded 11134 Set marker',
      'step skipped 11128 Never',
      'step skipped 11130 Only on VMs',
      'step started - Record',
      'step succeeded 11134 Record',
      'group succeeded 11127 Install',
      'run succeeded 11143',
    ]);
    expect(new Set(mp.messages.map((m) => m.id)).size).toBe(mp.messages.length);
    expect(mp.messages.every((m) => m.runId === r.runId && m.deploymentId === 'PS120003')).toBe(true);
    expect(mp.messages.find((m) => m.outcome === 'downloaded')?.bytes).toBe(4); // the tools, not the boot image
    // The machine's facts went with the content request.
    expect(mp.contentQueries[0]).toMatchObject({ architecture: 'x64', firmware: 'uefi' });
    // smsts.log: the wizard's decisions, the variables with the secret masked, at the site too.
    const log = mp.logs.get(`${r.runId}/smsts.log`)!;
    expect(log).toContain('Running deployment PS120003 "Windows 11 Enterprise" (Required): Required: runs with no interaction');
    expect(log).toContain('Policy variable OSDJoinPassword = ******** (collection PS100002)');
    expect(log).not.toContain('Sup3r-S3cret');
    expect(readFileSync(r.logPath, 'utf8')).toBe(log);
    // The run's record is gone once everything was delivered; the cache stays.
    const state = join(dir, 'agent');
    expect(existsSync(join(state, 'current-run.json'))).toBe(false);
    expect(readdirSync(join(state, 'outbox')).filter((f) => f.endsWith('.json'))).toEqual([]);
    expect(readFileSync(join(state, 'cache', 'PS100010', '1', 'tool.txt'), 'utf8')).toBe('tool');
    expect(existsSync(join(state, 'cache', 'PS100002'))).toBe(false);
    expect(readFileSync(join(state, 'credential'), 'utf8')).toMatch(/^osd-dev-/);

    // Started again: the credential is reused, the deployment (already ran) is not offered: nothing runs.
    mp.policy.deployments = [deployment({ offered: false, reason: 'already ran (succeeded)' })];
    const again = await runAgent(o);
    expect(again).toMatchObject({ outcome: 'nothing' });
    expect(mp.registrations).toBe(1);
  });

  it('resumes a run whose process died right after saving it: run started is sent once, and the run ends', async () => {
    const o = options();
    const state = new AgentState(o.stateDir);
    const c = new MpClient({ siteUrl: mp.url });
    state.saveCredential((await c.register({ macAddresses: ['00:11:22:33:44:55'], architecture: 'x64', firmware: 'uefi', environment: 'winpe' })).credential);
    state.saveCurrentRun({
      format: 'openosd.agent-run/v1',
      runId: '0f8fad5b-d9cb-469f-a165-70867728950e',
      deploymentId: 'PS120003',
      taskSequenceId: 'PS100004',
      name: 'Windows 11 Enterprise',
      revision: 3,
      contentOption: 'download-all-first',
      startedAt: new Date().toISOString(),
      sequence: mp.sequences.get('PS120003'),
      content: mp.content('PS120003'),
      variables: mp.policy.variables,
      phase: 'download',
    });
    const r = await runAgent(o);
    expect(r, r.message).toMatchObject({ outcome: 'succeeded', resumed: true, runId: '0f8fad5b-d9cb-469f-a165-70867728950e' });
    expect(outcomes().filter((x) => x.startsWith('run started'))).toHaveLength(1);
    expect(outcomes()[0]).toBe('run started 11140');
    expect(mp.requests.filter((q) => q.endsWith('/policy'))).toEqual([]);
  });

  it('uploads the rotated parts of smsts.log with it', async () => {
    const o = options();
    mkdirSync(join(dir, 'agent', 'logs'), { recursive: true });
    writeFileSync(join(dir, 'agent', 'logs', 'smsts-20261207-075959.log'), 'an earlier part\n');
    const r = await runAgent(o);
    expect(r.outcome, r.message).toBe('succeeded');
    expect(mp.logs.get(`${r.runId}/smsts-20261207-075959.log`)).toBe('an earlier part\n');
    expect(mp.logs.get(`${r.runId}/smsts.log`)).toContain('Running deployment PS120003');
  });

  it('registers again when the site refuses the credential (revoked)', async () => {
    const o = options();
    mp.policy.deployments = [];
    await runAgent(o);
    mp.revoke();
    expect(await runAgent(o)).toMatchObject({ outcome: 'nothing' });
    expect(mp.registrations).toBe(2);
  });

  it('downloads as each step needs it: the package arrives when "Record" runs', async () => {
    mp.policy.deployments = [deployment({ contentOption: 'download-when-needed' })];
    const o = options();
    let cachedBeforeEngine: boolean | undefined;
    mp.onRequest = (q) => {
      if (q.includes('/status') && cachedBeforeEngine === undefined) cachedBeforeEngine = existsSync(join(dir, 'agent', 'cache', 'PS100010'));
    };
    const r = await runAgent(o);
    expect(r.outcome, r.message).toBe('succeeded');
    expect(cachedBeforeEngine).toBe(false);
    // Content fetched as the steps needed it is reported once, as the engine ends (bytes and seconds, for the site's throughput).
    expect(outcomes().slice(-2)).toEqual(['run succeeded 11143', 'run downloaded -']);
    expect(mp.messages.find((m) => m.outcome === 'downloaded')).toMatchObject({ bytes: 4 });
    expect(r.downloadedBytes).toBe(4);
  });

  it('content whose hash does not match is never used: the step fails with 0x80091007 and the reason', async () => {
    mp.policy.deployments = [deployment({ contentOption: 'download-when-needed' })];
    mp.corrupt.add('tool.txt');
    const r = await runAgent(options());
    expect(r.outcome).toBe('failed');
    expect(r.exitCode).toBe(0x80091007);
    const failed = mp.messages.find((m) => m.kind === 'step' && m.outcome === 'failed')!;
    expect(failed).toMatchObject({ messageId: 11135, exitCode: 0x80091007 | 0, step: { name: 'Record' } });
    expect(failed.actionOutput).toMatch(/hash mismatch/);
    expect(existsSync(join(dir, 'out.txt'))).toBe(false);
    expect(existsSync(join(dir, 'agent', 'cache', 'PS100010', '1', 'tool.txt'))).toBe(false);
    expect(mp.logs.get(`${r.runId}/smsts.log`)).toMatch(/0x80091007/);
  });

  it('downloading everything first: a hash mismatch fails the run before any step, with the code', async () => {
    mp.corrupt.add('tool.txt');
    const r = await runAgent(options());
    expect(r).toMatchObject({ outcome: 'failed', exitCode: 0x80091007 });
    expect(outcomes()).toEqual(['run started 11140', 'run failed 11141']);
    expect(mp.messages[1]).toMatchObject({ exitCode: 0x80091007 | 0 });
    expect(mp.messages[1]!.reason).toMatch(/PS100010 file tool\.txt: content hash is/);
    expect(mp.logs.get(`${r.runId}/smsts.log`)).toMatch(/The task sequence could not run: .*hash mismatch/);
  });

  it('refuses a computer that cannot start the boot image, before anything is written', async () => {
    const o = options('bios-x86-desktop.json');
    const r = await runAgent(o);
    expect(r.outcome).toBe('refused');
    expect(r.message).toMatch(
      /This computer \(x86, BIOS\) cannot run deployment PS120003: the boot image PS100002 is x64: this computer's processor is x86 only/,
    );
    expect(outcomes()).toEqual(['run refused -']);
    expect(mp.messages[0]!.reason).toBe(r.message);
    expect(mp.logs.get(`${r.runId}/smsts.log`)).toContain('Nothing was written to this computer');
    expect(existsSync(join(dir, 'computer'))).toBe(false);
    expect(o.computer.restarts).toEqual([]);
    expect(existsSync(join(dir, 'agent', 'cache', 'PS100010'))).toBe(false);
  });

  it('refuses an x64 OS image on an x86-only computer (boot image fine)', async () => {
    mp.bootImage = { packageId: 'PS100001', architecture: 'x86', pxeCompatible: true };
    const xml = `<sequence version="3.10">${step(
      'SMS_TaskSequence_ApplyOperatingSystemAction',
      'Apply Operating System',
      '<variable name="OSDImageIndex" property="ImageIndex">2</variable><variable name="ImagePackageID" property="ImagePackageID" hidden="true">PS100020</variable>',
    )}</sequence>`;
    mp.sequences.set('PS120003', exportJson(importXmlText(xml).sequence));
    mp.packages.set('PS120003', [
      {
        packageId: 'PS100020',
        name: 'Windows 11',
        sourceVersion: 1,
        images: [{ index: 2, architecture: 'x64' }],
        files: [{ path: 'install.wim', bytes: Buffer.from('w') }],
      },
    ]);
    const r = await runAgent(options('bios-x86-desktop.json'));
    expect(r.outcome).toBe('refused');
    expect(r.message).toMatch(
      /"Apply Operating System" applies image 2 of PS100020, an x64 operating system: this computer's processor is x86 \(32-bit\) only/,
    );
  });

  it('an Available deployment runs only when chosen', async () => {
    mp.policy.deployments = [deployment({ purpose: 'available' })];
    expect(await runAgent(options())).toMatchObject({ outcome: 'nothing' });
    expect(mp.messages).toEqual([]);
    const r = await runAgent(options(undefined, { choose: 'PS120003' }));
    expect(r.outcome, r.message).toBe('succeeded');
    expect(mp.logs.get(`${r.runId}/smsts.log`)).toContain('Task Sequence Wizard: the user selected PS120003');
  });

  it('the site unreachable for a while: the run goes on, status waits, then arrives exactly once', async () => {
    // The site goes away at the first status batch and comes back 1.5 s later.
    let once = false;
    mp.onRequest = (q) => {
      if (q.endsWith('/status') && !once) {
        once = true;
        mp.down = true;
        setTimeout(() => (mp.down = false), 1500);
      }
    };
    const r = await runAgent(options());
    expect(r, r.message).toMatchObject({ outcome: 'succeeded', statusPending: 0, logsUploaded: true });
    expect(new Set(mp.messages.map((m) => m.id)).size).toBe(mp.messages.length);
    expect(outcomes()).toHaveLength(11);
    expect(outcomes().at(-1)).toBe('run succeeded 11143');
  });
});
