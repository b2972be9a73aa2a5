import { describe, expect, it } from 'vitest';
import { ENGINE_ERRORS } from '../../src/engine/error-codes.js';
import { MemoryJournal } from '../../src/engine/memory-journal.js';
import { cmd, cond, group, host, runOnce, ScriptedExecutor, sequence } from './helpers.js';

const fail =
  (code = 1) =>
  () => ({ exitCode: code });

describe('continue on error (engine-semantics §3, the documented table)', () => {
  const ts = sequence(
    group('Group 1', cmd('Step 1', { coe: true }) + cmd('Step 2') + cmd('Step 3'), { coe: true }) +
      group('Group 2', cmd('Step 4') + cmd('Step 5') + cmd('Step 6')),
  );

  it('Step 1 fails (continue on error): Step 2 runs next', async () => {
    const x = new ScriptedExecutor({ 'Step 1': fail() });
    const r = await runOnce(ts, x);
    expect(x.ran).toEqual(['Step 1', 'Step 2', 'Step 3', 'Step 4', 'Step 5', 'Step 6']);
    expect(r.outcome).toMatchObject({ kind: 'finished', succeeded: true });
  });

  it('Step 2 fails: Step 3 is not run, Group 1 swallows the failure, Group 2 runs', async () => {
    const x = new ScriptedExecutor({ 'Step 2': fail(5) });
    const r = await runOnce(ts, x);
    expect(x.ran).toEqual(['Step 1', 'Step 2', 'Step 4', 'Step 5', 'Step 6']);
    expect(r.outcome).toMatchObject({ kind: 'finished', succeeded: true });
    // The swallowed failure stays visible until the next executed step.
    expect(r.log.map((l) => l.message)).toContain('Let the parent group (Group 1) decide whether to continue execution');
  });

  it('Step 4 fails: the task sequence fails, Steps 5 and 6 never run', async () => {
    const x = new ScriptedExecutor({ 'Step 4': fail(0x80070002) });
    const r = await runOnce(ts, x);
    expect(x.ran).toEqual(['Step 1', 'Step 2', 'Step 3', 'Step 4']);
    expect(r.outcome).toMatchObject({ kind: 'finished', succeeded: false, exitCode: 0x80070002 });
    expect(r.outcome.kind === 'finished' && r.outcome.failedInstruction?.path).toBe('Group 2 / Step 4');
    expect(r.log.some((l) => l.message.startsWith('Failed to run the action: Step 4.') && l.message.endsWith('(Error: 80070002; Source: Windows)'))).toBe(true);
  });
});

describe('the MDT "gather logs on failure" try/catch pattern', () => {
  const ts = sequence(
    group('Execute Task Sequence', cmd('Install') + cmd('Configure'), { coe: true }) +
      group(
        'Gather Logs and StateStore on Failure',
        `<step type="SMS_TaskSequence_SetVariableAction" name="Set Error Code" description=""><action>tsenv.exe "ErrorReturnCode=%_SMSTSLastActionRetCode%"</action><defaultVarList><variable name="VariableName" property="VariableName" hidden="true">ErrorReturnCode</variable><variable name="VariableValue" property="VariableValue" hidden="true">%_SMSTSLastActionRetCode%</variable></defaultVarList></step>` +
          cmd('Copy Logs') +
          cmd('Error in the task sequence'),
        { condition: cond('_SMSTSLastActionSucceeded', 'equals', 'false') },
      ),
  );
  const setVariable = (x: import('../../src/engine/ports.js').StepExecution) => {
    x.variables.set(x.properties.VariableName, x.variables.expand(x.properties.VariableValue));
    return { exitCode: 0 };
  };

  it('a failure runs the handler, which records the code and ends the TS failed', async () => {
    const x = new ScriptedExecutor({ Install: fail(1603), 'Set Error Code': setVariable, 'Error in the task sequence': fail(1) });
    const r = await runOnce(ts, x);
    expect(x.ran).toEqual(['Install', 'Set Error Code', 'Copy Logs', 'Error in the task sequence']);
    expect(r.engine.variables().ErrorReturnCode).toBe('1603');
    expect(r.outcome).toMatchObject({ kind: 'finished', succeeded: false, exitCode: 1 });
  });

  it('without a failure the handler group is skipped, with the reason', async () => {
    const x = new ScriptedExecutor({ 'Set Error Code': setVariable });
    const r = await runOnce(ts, x);
    expect(x.ran).toEqual(['Install', 'Configure']);
    expect(r.outcome).toMatchObject({ kind: 'finished', succeeded: true });
    const skip = r.events.find((e) => e.outcome === 'skipped');
    expect(skip?.path).toBe('Gather Logs and StateStore on Failure');
    expect(skip?.reason).toMatch(/_SMSTSLastActionSucceeded/);
  });
});

describe('skips leave _SMSTSLastAction* alone', () => {
  it('a disabled group with a failing step never runs it', async () => {
    const ts = sequence(
      cmd('First') + group('Off', cmd('Would fail'), { disabled: true }) + cmd('Last', { condition: cond('_SMSTSLastActionName', 'equals', 'First') }),
    );
    const x = new ScriptedExecutor({ 'Would fail': fail() });
    const r = await runOnce(ts, x);
    expect(x.ran).toEqual(['First', 'Last']);
    expect(r.events.find((e) => e.path === 'Off')).toMatchObject({ outcome: 'skipped', reason: 'disabled' });
  });
});

describe('success codes, step defaults and variables', () => {
  it('3010 succeeds without a restart; exit 1 succeeds when the list says "0 1"', async () => {
    const ts = sequence(cmd('Reboot needed') + cmd('One is fine', { codes: '0 1' }));
    const x = new ScriptedExecutor({ 'Reboot needed': fail(3010), 'One is fine': fail(1) });
    const r = await runOnce(ts, x);
    expect(r.outcome).toMatchObject({ kind: 'finished', succeeded: true });
    expect(r.engine.variables()._SMSTSLastActionRetCode).toBe('1');
  });

  it('a global variable overrides a step default; hidden defaults are not overridable; defaults vanish after the step', async () => {
    const ts = sequence(
      cmd('A', {
        vars: [
          ['WorkingDirectory', 'D:\\', false],
          ['CommandLine', 'x', true],
        ],
      }) + cmd('B'),
    );
    const x = new ScriptedExecutor({
      A: (e) => {
        expect(e.properties.WorkingDirectory).toBe('C:\\');
        expect(e.properties.CommandLine).toBe('x');
        return { exitCode: 0 };
      },
    });
    const r = await runOnce(ts, x, {
      vars: [
        { name: 'WorkingDirectory', value: 'C:\\' },
        { name: 'CommandLine', value: 'evil' },
      ],
    });
    expect(r.outcome.kind).toBe('finished');
    expect(x.executions[1].variables.get('WorkingDirectory')).toBe('C:\\');
  });

  it('a step default is visible to its own command line only', async () => {
    const ts = sequence(cmd('A', { action: 'run.cmd %Mode%', vars: [['Mode', 'fast']] }) + cmd('B', { action: 'run.cmd %Mode%' }));
    const x = new ScriptedExecutor();
    await runOnce(ts, x);
    expect(x.executions.map((e) => e.commandLine)).toEqual(['run.cmd fast', 'run.cmd %Mode%']);
  });

  it('read-only variables cannot be set by a step; empty deletes', async () => {
    const ts = sequence(cmd('Set RO') + cmd('Set and delete'));
    const x = new ScriptedExecutor({
      'Set RO': (e) => {
        e.variables.set('_SMSTSInWinPE', 'x');
        return { exitCode: 0 };
      },
    });
    const r = await runOnce(ts, x);
    expect(r.outcome).toMatchObject({ kind: 'finished', succeeded: false, exitCode: ENGINE_ERRORS.readOnlyVariable.code });
    const y = new ScriptedExecutor({
      'Set RO': (e) => {
        e.variables.set('Color', 'blue');
        return { exitCode: 0 };
      },
      'Set and delete': (e) => {
        e.variables.set('Color', '');
        return { exitCode: 0 };
      },
    });
    const r2 = await runOnce(ts, y);
    expect(r2.engine.variables().Color).toBeUndefined();
  });

  it('secrets never reach the log or status', async () => {
    const ts = sequence(cmd('Map drive', { action: 'net use Z: \\\\srv\\share /user:CONTOSO\\svc %JoinPassword%' }));
    const x = new ScriptedExecutor({ 'Map drive': () => ({ exitCode: 5, message: 'access denied for P@ssw0rd!' }) });
    const r = await runOnce(ts, x, { vars: [{ name: 'JoinPassword', value: 'P@ssw0rd!', secret: true }] });
    const text = JSON.stringify(r.log) + JSON.stringify(r.events);
    expect(text).not.toContain('P@ssw0rd!');
    expect(text).toContain('********');
    expect(r.engine.variables().JoinPassword).toBe('********');
  });
});

describe('environment, time-outs, restarts', () => {
  it('a WinPE-only step in the full OS fails with a dedicated code (§12.1)', async () => {
    const ts = sequence(cmd('Partition', { runIn: 'WinPE' }));
    const r = await runOnce(ts, new ScriptedExecutor(), { host: host('FullOS') });
    expect(r.outcome).toMatchObject({ succeeded: false, exitCode: ENGINE_ERRORS.wrongEnvironment.code });
  });

  it('a step that exceeds its time-out fails with ERROR_TIMEOUT', async () => {
    const ts = sequence(cmd('Hang', { timeout: 1 }));
    const x = new ScriptedExecutor({ Hang: (e) => new Promise((resolve) => e.signal.addEventListener('abort', () => resolve({ exitCode: 99 }))) });
    const r = await runOnce(ts, x);
    expect(r.outcome).toMatchObject({ succeeded: false, exitCode: ENGINE_ERRORS.timeout.code });
  });

  it('Restart in Windows PE from the full OS resumes at the next step, in WinPE, with the variables', async () => {
    const ts = sequence(
      `<step type="SMS_TaskSequence_RebootAction" name="Restart in Windows PE" description=""><condition>${cond('_SMSTSInWinPE', 'equals', 'false')}</condition><action>smsboot.exe /target:WinPE</action><defaultVarList><variable name="SMSRebootTarget" property="Target" hidden="true">WinPE</variable></defaultVarList></step>` +
        cmd('In WinPE', { condition: cond('_SMSTSinWInPE', 'Equals', 'TRUE') }),
    );
    const journal = new MemoryJournal();
    const x = new ScriptedExecutor({ 'Restart in Windows PE': () => ({ exitCode: 0, restart: { target: 'WinPE' } }) });
    const first = await runOnce(ts, x, { host: host('FullOS'), journal, vars: [{ name: 'Keep', value: 'me' }] });
    expect(first.outcome).toMatchObject({ kind: 'restart', target: 'WinPE' });
    const second = await runOnce(ts, x, { host: host('WinPE'), journal });
    expect(second.outcome).toMatchObject({ kind: 'finished', succeeded: true });
    expect(x.ran).toEqual(['Restart in Windows PE', 'In WinPE']);
    expect(second.engine.variables()).toMatchObject({ Keep: 'me', _SMSTSInWinPE: 'true' });
  });

  it('Setup Windows and ConfigMgr restarts mid-step and completes in the full OS', async () => {
    const ts = sequence(
      `<step type="SMS_TaskSequence_SetupWindowsAndSMSAction" name="Setup Windows and ConfigMgr" description="" runIn="WinPEandFullOS" successCodeList="0"><action>OSDSetupWindows.exe</action></step>` +
        cmd('After', { runIn: 'FullOS' }),
    );
    const journal = new MemoryJournal();
    const x = new ScriptedExecutor({
      'Setup Windows and ConfigMgr': (e) => (e.resumed ? { exitCode: 0 } : { exitCode: 0, restart: { target: 'HD', rerun: true, stepState: { phase: 2 } } }),
    });
    expect((await runOnce(ts, x, { journal })).outcome).toMatchObject({ kind: 'restart', rerun: true });
    const done = await runOnce(ts, x, { host: host('FullOS'), journal });
    expect(done.outcome).toMatchObject({ kind: 'finished', succeeded: true });
    expect(x.executions[1].resumed).toEqual({ stepState: { phase: 2 } });
    expect(x.ran).toEqual(['Setup Windows and ConfigMgr', 'Setup Windows and ConfigMgr', 'After']);
  });

  it('SMSTSRebootRequested + SMSTSRetryRequested: the same step runs again after the restart', async () => {
    const ts = sequence(cmd('Firmware') + cmd('Next'));
    let n = 0;
    const x = new ScriptedExecutor({
      Firmware: (e) => {
        if (n++ === 0) {
          e.variables.set('SMSTSRebootRequested', 'HD');
          e.variables.set('SMSTSRetryRequested', 'true');
        }
        return { exitCode: 0 };
      },
    });
    const journal = new MemoryJournal();
    expect((await runOnce(ts, x, { journal, host: host('FullOS') })).outcome).toMatchObject({ kind: 'restart', target: 'HD', rerun: true });
    const r = await runOnce(ts, x, { journal, host: host('FullOS') });
    expect(x.ran).toEqual(['Firmware', 'Firmware', 'Next']);
    expect(r.engine.variables().SMSTSRebootRequested).toBeUndefined();
  });

  it('an unexpected restart during a step: retried when the step allows it, else the step fails', async () => {
    const ts = sequence(cmd('Install apps', { retry: 2 }) + cmd('Plain', { coe: true }) + cmd('Last'));
    // Simulate a crash: the journal says the step started and never finished.
    const crashAt = async (stepName: string) => {
      const journal = new MemoryJournal();
      const x = new ScriptedExecutor({ [stepName]: () => new Promise(() => undefined) });
      void runOnce(ts, x, { journal });
      await new Promise((r) => setTimeout(r, 20));
      return journal;
    };
    const j1 = await crashAt('Install apps');
    const x1 = new ScriptedExecutor();
    const r1 = await runOnce(ts, x1, { journal: j1 });
    expect(x1.ran).toEqual(['Install apps', 'Plain', 'Last']);
    expect(r1.outcome).toMatchObject({ succeeded: true });

    const j2 = await crashAt('Plain');
    const x2 = new ScriptedExecutor();
    const r2 = await runOnce(ts, x2, { journal: j2 });
    expect(x2.ran).toEqual(['Last']);
    expect(r2.engine.variables()._SMSTSLastActionName).toBe('Last');
    expect(r2.log.some((l) => /restarted unexpectedly while \(Plain\)/.test(l.message))).toBe(true);
  });

  it('a journal from another task sequence is refused', async () => {
    const journal = new MemoryJournal();
    await runOnce(sequence(cmd('A')), new ScriptedExecutor(), { journal });
    await expect(runOnce(sequence(cmd('B')), new ScriptedExecutor(), { journal })).rejects.toThrow(/different task sequence/);
  });
});

describe('start-up variable precedence (engine-semantics §2)', async () => {
  const { startupVariables } = await import('../../src/engine/variable-sources.js');
  it('collection variables by precedence (9 beats 1), then device variables, then anything set at run time; globalVarList is lowest', async () => {
    const ts = sequence(
      `<globalVarList><variable name="OSDStateSMPRetryCount" property="SMPRetryCount">3</variable><variable name="Site" property="Site">global</variable></globalVarList>` +
        cmd('Read', { vars: [['OSDComputerName', '%_SMSTSMachineName%']] }),
    );
    const vars = startupVariables({
      collections: [
        {
          collection: 'All Laptops',
          precedence: 9,
          variables: [
            { name: 'Site', value: 'laptops' },
            { name: 'OSDComputerName', value: 'LAP01' },
          ],
        },
        {
          collection: 'London',
          precedence: 1,
          variables: [
            { name: 'Site', value: 'london' },
            { name: 'Wallpaper', value: 'red' },
          ],
        },
      ],
      device: [{ name: 'OSDComputerName', value: 'PC01' }],
    });
    const x = new ScriptedExecutor();
    const r = await runOnce(ts, x, { vars, host: host('WinPE', { _SMSTSMachineName: 'MININT-1' }) });
    expect(r.engine.variables()).toMatchObject({ Site: 'laptops', Wallpaper: 'red', OSDComputerName: 'PC01', OSDStateSMPRetryCount: '3' });
    // The device variable beats the step default (%_SMSTSMachineName%).
    expect(x.executions[0].properties.OSDComputerName).toBe('PC01');
    expect(startupVariables({ media: [{ name: 'A', value: '1' }], device: [{ name: 'B', value: '2' }] })).toEqual([{ name: 'A', value: '1' }]);
  });
});
