import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stepSimulators } from '../../../src/actions/handlers/index.js';
import { loadMachineProfile } from '../../../src/engine/machine-profile/index.js';
import { renderSimulation } from '../../../src/engine/simulate/report.js';
import { ConditionErrors, simulate } from '../../../src/engine/simulate/simulate.js';
import { importXmlText } from '../../../src/sequence/codec/xml-import.js';
import { corpusFiles, corpusText } from '../../helpers/corpus.js';
import { cmd, cond, group, sequence } from '../helpers.js';

const MACHINES = resolve(__dirname, '../../../examples/machines');
const profiles = readdirSync(MACHINES).filter((f) => f.endsWith('.json'));
const profile = (name: string) => loadMachineProfile(join(MACHINES, name));
// The step handlers' predictions (the engine defines the port, the handlers answer it).
const STEPS = stepSimulators();

describe('every corpus file simulates on every example machine, explainably', () => {
  for (const file of corpusFiles()) {
    it.each(profiles)(`${file} on %s`, async (machine) => {
      const ts = importXmlText(corpusText(file), file).sequence;
      const r = await simulate(ts, { profile: profile(machine), steps: STEPS });
      expect(['success', 'failure']).toContain(r.result);
      expect(r.instructions.length).toBeGreaterThan(0);
      for (const i of r.instructions) {
        // Every decision has its reason: skips name the false expression, failures their code.
        if (i.outcome === 'skipped' || i.outcome === 'disabled') expect(i.reason, i.path).toBeTruthy();
        if (i.outcome === 'failed') expect(i.reason, i.path).toMatch(/exit code 0x[0-9A-F]{8}/);
      }
      if (r.result === 'failure') expect(r.failedAt).toBeTruthy();
      expect(renderSimulation(r, file)).toMatch(/Result: (SUCCESS|FAILURE)/);
      expect(JSON.stringify(r.variables)).not.toMatch(/P@ss/);
    });
  }
});

describe('what the simulator explains', () => {
  const laptop = () => profile('uefi-x64-laptop-bare-metal.json');

  it('a skip names the false expression and the value it saw', async () => {
    const ts = sequence(
      cmd('Only on BIOS', { condition: cond('_SMSTSBootUEFI', 'notEquals', 'true') }) +
        cmd('Only on Dell', {
          condition: `<expression type="SMS_TaskSequence_WMIConditionExpression"><variable name="Namespace">root\\cimv2</variable><variable name="Query">SELECT * FROM Win32_ComputerSystem WHERE Manufacturer LIKE '%Lenovo%'</variable></expression>`,
        }),
    );
    const r = await simulate(ts, { profile: laptop(), steps: STEPS });
    expect(r.instructions[0]).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringMatching(/_SMSTSBootUEFI notEquals "true" is false \(_SMSTSBootUEFI is "true"\)/),
    });
    expect(r.instructions[1].reason).toMatch(/Dell Inc\./);
  });

  it('--fail makes a step fail, and continue on error / group propagation follow the engine', async () => {
    const ts = sequence(
      group('Try', cmd('A') + cmd('B') + cmd('C'), { coe: true }) +
        group('Catch', cmd('Report'), { condition: cond('_SMSTSLastActionSucceeded', 'equals', 'false') }),
    );
    const r = await simulate(ts, { profile: laptop(), steps: STEPS, fail: [{ step: 'B', exitCode: 1603 }] });
    expect(r.instructions.map((i) => [i.path, i.outcome])).toEqual([
      ['Try', 'ran'],
      ['Try / A', 'ran'],
      ['Try / B', 'failed'],
      ['Try / C', 'notReached'],
      ['Catch', 'ran'],
      ['Catch / Report', 'ran'],
    ]);
    expect(r.result).toBe('success');
  });

  it('follows restarts: Restart in Windows PE from the full OS, Setup Windows into the new OS', async () => {
    const ts = importXmlText(corpusText('cm-export-kb5025885-media-creator.xml')).sequence;
    const r = await simulate(ts, { profile: profile('win10-x64-refresh.json'), steps: STEPS });
    expect(r.startedIn).toBe('FullOS');
    expect(r.reboots.length).toBeGreaterThanOrEqual(0);
    const wizard = sequence(
      `<step type="SMS_TaskSequence_RebootAction" name="Restart in Windows PE" description=""><condition>${cond('_SMSTSInWinPE', 'equals', 'false')}</condition><action>smsboot.exe /target:WinPE</action><defaultVarList><variable name="SMSRebootTarget" property="Target" hidden="true">WinPE</variable></defaultVarList></step>` +
        `<step type="SMS_TaskSequence_ApplyOperatingSystemAction" name="Apply Operating System" description="" runIn="WinPE" successCodeList="0"><action>OSDApplyOS.exe /image:PS100010,%OSDImageIndex%</action><defaultVarList><variable name="OSDImageIndex" property="ImageIndex">1</variable></defaultVarList></step>` +
        `<step type="SMS_TaskSequence_SetupWindowsAndSMSAction" name="Setup Windows and ConfigMgr" description="" runIn="WinPEandFullOS" successCodeList="0"><action>OSDSetupWindows.exe</action></step>` +
        cmd('In the new OS', { runIn: 'FullOS', condition: cond('_SMSTSInWinPE', 'equals', 'false') }),
    );
    const w = await simulate(wizard, { profile: profile('win10-x64-refresh.json'), steps: STEPS });
    expect(w.result).toBe('success');
    expect(w.reboots.map((b) => b.target)).toEqual(['WinPE', 'HD']);
    expect(w.instructions.map((i) => i.outcome)).toEqual(['ran', 'ran', 'ran', 'ran']);
    expect(w.instructions[2].runs).toBe(2);
    expect(w.variables.OSDTargetSystemDrive).toBe('C:');
  });

  it('restarting into the installed OS on a bare-metal machine fails: nothing to boot', async () => {
    const ts = sequence(
      `<step type="SMS_TaskSequence_RebootAction" name="Restart Computer" description=""><action>smsboot.exe /target:HD</action></step>` + cmd('After'),
    );
    const r = await simulate(ts, { profile: laptop(), steps: STEPS });
    expect(r).toMatchObject({ result: 'failure', failedAt: 'Restart Computer' });
    expect(r.message).toMatch(/no operating system|there is none on the disk/);
  });

  it('refuses conditions it cannot evaluate, naming the step path and the construct', async () => {
    const bad = sequence(
      group(
        'G',
        cmd('Bad WQL', {
          condition: `<expression type="SMS_TaskSequence_WMIConditionExpression"><variable name="Namespace">root\\cimv2</variable><variable name="Query">SELEC * FROM Win32_BIOS</variable></expression>`,
        }),
      ) +
        cmd('Bad type', { condition: `<expression type="SMS_TaskSequence_MoonPhaseConditionExpression"><variable name="Phase">full</variable></expression>` }) +
        cmd('Bad operator', { condition: cond('X', 'approximately', '1') }),
    );
    const e = await simulate(bad, { profile: laptop(), steps: STEPS }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConditionErrors);
    const problems = (e as ConditionErrors).problems;
    expect(problems.map((p) => [p.path, p.construct])).toEqual([
      ['G / Bad WQL', 'WQL query'],
      ['Bad type', 'expression type'],
      ['Bad operator', 'operator'],
    ]);
  });
});
