// Honest reports (issue 11 item 7): a step that was predicted rather than done says so — in the
// status events, smsts.log, the text and JSON reports — and the summary counts them. In a dry run
// everything is predicted: the summary says so once, each step what it assumed.
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stepSimulators } from '../../../src/actions/handlers/index.js';
import { loadMachineProfile } from '../../../src/engine/machine-profile/index.js';
import type { Executor } from '../../../src/engine/ports.js';
import { NO_PREDICTION } from '../../../src/engine/simulate/predicting-executor.js';
import { renderSimulation } from '../../../src/engine/simulate/report.js';
import { simulate } from '../../../src/engine/simulate/simulate.js';
import { cmd, runOnce, ScriptedExecutor, sequence } from '../helpers.js';

const MACHINES = resolve(__dirname, '../../../examples/machines');
const laptop = () => loadMachineProfile(join(MACHINES, 'uefi-x64-laptop-bare-metal.json'));
const STEPS = stepSimulators();

const setVar = (name: string, variable: string, value: string) =>
  `<step type="SMS_TaskSequence_SetVariableAction" name="${name}" description="" successCodeList="0"><action>tsenv.exe "${variable}=${value}"</action><defaultVarList><variable name="VariableName" property="VariableName" hidden="true">${variable}</variable><variable name="VariableValue" property="VariableValue" hidden="true">${value}</variable></defaultVarList></step>`;
const captureUserState = `<step type="SMS_TaskSequence_CaptureUserStateAction" name="Capture User State" description="" successCodeList="0"><action>OSDMigrateUserState.exe /collect</action></step>`;
const requestStore = `<step type="SMS_TaskSequence_RequestStateStoreAction" name="Request State Store" description="" successCodeList="0"><action>osdsmpclient.exe /capture</action></step>`;
const bitlocker = `<step type="SMS_TaskSequence_EnableBitLockerAction" name="Enable BitLocker" description="" runIn="WinPEandFullOS" successCodeList="0"><action>osdenablebitlocker.exe</action></step>`;

describe('a dry run: nothing was done', () => {
  it('every step that ran is predicted, with what it assumed; the summary says it once', async () => {
    const ts = sequence(cmd('Command') + setVar('Set X', 'X', 'one') + requestStore + captureUserState + bitlocker);
    const r = await simulate(ts, { profile: laptop(), steps: STEPS });
    expect(r.dryRun).toBe(true);
    const steps = r.instructions.filter((i) => i.kind === 'step');
    expect(steps.every((i) => i.outcome === 'ran' && i.predicted)).toBe(true);
    expect(r.predictedSteps).toBe(5);
    const byName = (n: string) => r.instructions.find((i) => i.name === n)!;
    expect(byName('Command').assumed).toEqual([NO_PREDICTION]);
    expect(byName('Set X').assumed).toBeUndefined();
    expect(byName('Capture User State').assumed?.[0]).toMatch(/the user state tool captures/);
    const text = renderSimulation(r, 'ts.xml');
    expect(text.match(/Simulated: nothing was done/g)).toHaveLength(1);
    expect(text).toMatch(/2 steps have no prediction of their own and are assumed to succeed without changing anything/);
    expect(text).toMatch(/Capture User State\n.*· assumed: the user state tool captures/);
    expect(text).not.toMatch(/^predicted {2}/m); // no per-step "predicted" mark in a dry run
    expect(text).toMatch(/Steps: 5 ran, 0 failed/);
  });

  it('smsts.log never says a predicted step was completed', async () => {
    const r = await simulate(sequence(setVar('Set X', 'X', 'one') + cmd('Command')), { profile: laptop(), steps: STEPS });
    expect(r.log).not.toMatch(/Successfully completed the action/);
    expect(r.log).toMatch(/The action \(Set X\) was not run: its outcome was predicted, exit win32 code 0/);
    expect(r.log).toMatch(/The action \(Command\) was not run: its outcome was predicted, exit win32 code 0; assumed: success \(exit code 0\) and no change/);
  });

  it('a predicted failure is logged as predicted, not as a failure to run', async () => {
    // Capture User State without a state store fails, as the real step would.
    const r = await simulate(sequence(captureUserState), { profile: laptop(), steps: STEPS });
    expect(r.result).toBe('failure');
    expect(r.instructions[0]).toMatchObject({ outcome: 'failed', predicted: true });
    expect(r.log).toMatch(/The action \(Capture User State\) was not run: it was predicted to fail/);
    expect(r.log).not.toMatch(/Failed to run the action/);
  });
});

describe('a real run: done and predicted told apart', () => {
  // What the lab and `osd ts run` do: some steps for real, the rest predicted.
  const doingCommands = (predicting: Executor): Executor => ({
    execute: async (x) => (x.step.type === 'SMS_TaskSequence_RunCommandLineAction' ? { exitCode: 0 } : predicting.execute(x)),
  });

  it('marks the predicted steps, says what was assumed, counts them in the summary', async () => {
    const ts = sequence(cmd('Command') + requestStore + captureUserState + setVar('Set X', 'X', 'one'));
    const r = await simulate(ts, { profile: laptop(), steps: STEPS, executor: doingCommands });
    expect(r.dryRun).toBe(false);
    expect(r.predictedSteps).toBe(3);
    const byName = (n: string) => r.instructions.find((i) => i.name === n)!;
    expect(byName('Command').predicted).toBeUndefined();
    expect(byName('Capture User State')).toMatchObject({ outcome: 'ran', predicted: true });
    const text = renderSimulation(r, 'ts.xml');
    expect(text).toMatch(/^ran\s+Command$/m);
    expect(text).toMatch(/^predicted\s+Capture User State\n\s+↳ not done, only predicted: assumed the user state tool captures/m);
    expect(text).toMatch(/Steps: 1 done, 3 only predicted \(not done\), 0 failed, 0 skipped, 0 disabled, 0 not reached/);
    expect(text).toMatch(/Only predicted: 3 steps were not done on this computer/);
    expect(text).not.toMatch(/Simulated: nothing was done/);
    expect(r.log).toMatch(/Successfully completed the action \(Command\)/);
    expect(r.log).toMatch(/The action \(Capture User State\) was not run/);
  });

  it("the engine's status events carry the difference", async () => {
    const executor = new ScriptedExecutor({ Predicted: () => ({ exitCode: 0, predicted: { assumed: ['it works'] } }) });
    const run = await runOnce(sequence(cmd('Done') + cmd('Predicted')), executor);
    const succeeded = run.events.filter((e) => e.outcome === 'succeeded');
    expect(succeeded.map((e) => [e.name, e.predicted ?? false, e.assumed])).toEqual([
      ['Done', false, undefined],
      ['Predicted', true, ['it works']],
    ]);
  });
});
