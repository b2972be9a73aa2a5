// `osd ts simulate` and `osd ts run` as a user runs them.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCmTrace } from '../../src/engine/log/cmtrace.js';
import { corpusPath } from '../helpers/corpus.js';
import { tempDir } from '../helpers/temp.js';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/osd.js');
const LAPTOP = join(ROOT, 'examples/machines/uefi-x64-laptop-bare-metal.json');
const REFRESH = join(ROOT, 'examples/machines/win10-x64-refresh.json');

const osd = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};
let dir: string;
beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('build first: make build');
  dir = tempDir('osd-sim-');
});

describe('osd ts simulate', () => {
  it('prints what runs and why, exit 0 on a simulated success', () => {
    const r = osd('ts', 'simulate', corpusPath('mdt8456-sccm-client-template.xml'), '--machine', LAPTOP, '-q');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/starts in Windows PE/);
    expect(r.stdout).toMatch(
      /skipped .*Format and Partition Disk\n.*↳ condition is false: _SMSTSBootUEFI notEquals "true" is false \(_SMSTSBootUEFI is "true"\)/,
    );
    expect(r.stdout).toMatch(/Result: SUCCESS/);
    // A dry run: said once, in the summary.
    expect(r.stdout.match(/Simulated: nothing was done/g)).toHaveLength(1);
  });

  it('--json has the documented shape; --fail makes it fail with exit 1; --log writes a CMTrace smsts.log', () => {
    const log = join(dir, 'smsts.log');
    const r = osd(
      'ts',
      'simulate',
      corpusPath('cm-export-child-ts-bitlocker.xml'),
      '--machine',
      REFRESH,
      '--json',
      '--fail',
      'Check TPM Status=1',
      '--fail',
      'Set XTS AES 256 (Fixed Disks)=0x80070005',
      '--var',
      'TPMEnabled=TRUE',
      '--secret-var',
      'BitLockerPin=424242',
      '--log',
      log,
    );
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['result', 'exitCode', 'instructions', 'reboots', 'variables']));
    expect(j.result).toBe('failure');
    expect(j.exitCode).toBe(0x80070005);
    expect(j.instructions[0]).toEqual(expect.objectContaining({ index: 0, path: 'BitLocker', name: 'BitLocker', outcome: 'ran' }));
    const check = j.instructions.find((i: { name: string }) => i.name === 'Check TPM Status');
    expect(check).toMatchObject({ outcome: 'failed', exitCode: 1, type: 'SMS_TaskSequence_RunCommandLineAction' });
    expect(j.variables.BitLockerPin).toBe('********');
    const entries = parseCmTrace(readFileSync(log, 'utf8'));
    // The 2019 engine's words, as the corpus log writes them (docs/smsts-log.md).
    expect(
      entries.some((e) => e.message === 'Start executing an instruction. Instruction name: Eject CD/ISO. Instruction pointer: 1' && e.severity === 'info'),
    ).toBe(true);
    expect(readFileSync(log, 'utf8')).not.toContain('424242');
  });

  it('bad input exits 2 with the step path and the construct', () => {
    const bad = join(dir, 'bad-condition.xml');
    writeFileSync(
      bad,
      '<sequence version="3.10"><group name="Drivers" description=""><step type="SMS_TaskSequence_RunCommandLineAction" name="HP only" description=""><condition><expression type="SMS_TaskSequence_WMIConditionExpression"><variable name="Namespace">root\\cimv2</variable><variable name="Query">SELECT * FROM Win32_ComputerSystem WHERE Manufacturer LIKE ’%HP%’</variable></expression></condition><action>x</action></step></group></sequence>',
    );
    const r = osd('ts', 'simulate', bad, '--machine', LAPTOP);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Drivers \/ HP only: WQL query: /);
    expect(r.stderr).toMatch(/smart quote|’/i);

    const profile = join(dir, 'bad-profile.json');
    writeFileSync(
      profile,
      JSON.stringify({
        schema: 'openosd.machine-profile/v1',
        name: 'x',
        make: 'Dell',
        model: 'M',
        architecture: 'x64',
        firmware: 'uefi',
        disks: [{ index: 0, size: '12 potatoes' }],
      }),
    );
    const p = osd('ts', 'simulate', corpusPath('mdt8456-lti-oem-template.xml'), '--machine', profile);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/disks\[0\]\.size: "12 potatoes" is not a size/);

    const f = osd('ts', 'simulate', corpusPath('mdt8456-lti-oem-template.xml'), '--machine', LAPTOP, '--fail', 'No such step=1');
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/no step is called "No such step"/);
  });
});

describe('osd ts run', () => {
  it('runs Run Command Line steps for real, writes smsts.log, and a second call finds it finished', () => {
    const state = join(dir, 'state');
    const out = join(dir, 'out.txt');
    const ts = join(dir, 'run.xml');
    writeFileSync(
      ts,
      `<sequence version="3.10"><step type="SMS_TaskSequence_RunCommandLineAction" name="Write" description="" successCodeList="0"><action>smsswd.exe /run: echo %Greeting% &gt; ${out}</action></step><step type="SMS_TaskSequence_RunCommandLineAction" name="Exit 3" description="" successCodeList="0 3" continueOnError="false"><action>smsswd.exe /run: exit 3</action></step></sequence>`,
    );
    const r = osd('ts', 'run', ts, '--state', state, '--machine', LAPTOP, '--var', 'Greeting=hello', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8').trim()).toBe('hello');
    const log = parseCmTrace(readFileSync(join(state, 'logs/smsts.log'), 'utf8'));
    expect(log.some((e) => e.message === 'Successfully completed the action (Exit 3) with the exit win32 code 3')).toBe(true);
    const again = osd('ts', 'run', ts, '--state', state, '--machine', LAPTOP, '--json');
    expect(JSON.parse(again.stdout).result).toBe('success');
  });

  it('says which steps were only predicted, not done on this host (issue 11 item 7)', () => {
    const ts = join(dir, 'run-predicted.xml');
    writeFileSync(
      ts,
      `<sequence version="3.10"><step type="SMS_TaskSequence_RunCommandLineAction" name="Echo" description="" successCodeList="0"><action>smsswd.exe /run: true</action></step><step type="SMS_TaskSequence_EnableBitLockerAction" name="Enable BitLocker" description="" runIn="WinPEandFullOS" successCodeList="0"><action>osdenablebitlocker.exe</action></step></sequence>`,
    );
    const text = osd('ts', 'run', ts, '--state', join(dir, 'state-predicted'), '--machine', LAPTOP);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^SUCCESS \(this run: 1 step done, 1 only predicted, not done on this host\)/);
    const json = osd('ts', 'run', ts, '--state', join(dir, 'state-predicted-json'), '--machine', LAPTOP, '--json');
    const j = JSON.parse(json.stdout);
    expect(j).toMatchObject({ result: 'success', stepsDone: 1, stepsPredicted: 1 });
    expect(j.predicted).toEqual([{ path: 'Enable BitLocker', assumed: [expect.stringMatching(/no prediction of its own/)] }]);
    const log = readFileSync(join(dir, 'state-predicted/logs/smsts.log'), 'utf8');
    expect(log).toMatch(/The action \(Enable BitLocker\) was not run: its outcome was predicted/);
  });
});
