// smsts.log as the engine writes it (issue 12 item 1, docs/smsts-log.md): each line kind admins and
// their scripts search for, from a small task sequence run through the engine, with its exact text
// and type. The texts themselves are checked against the real log in smsts-lines-corpus.test.ts.
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stepSimulators } from '../../src/actions/handlers/index.js';
import { SMSTS, type SmstsLine } from '../../src/engine/log/smsts-lines.js';
import { loadMachineProfile } from '../../src/engine/machine-profile/index.js';
import { MemoryJournal } from '../../src/engine/memory-journal.js';
import type { LogEntry, StepExecution } from '../../src/engine/ports.js';
import { bootstrapLines, logFolder, simulate } from '../../src/engine/simulate/simulate.js';
import { cmd, cond, group, host, runOnce, ScriptedExecutor, sequence } from './helpers.js';

const and = (...operands: string[]) => `<operator type="and">${operands.join('')}</operator>`;
const or = (...operands: string[]) => `<operator type="or">${operands.join('')}</operator>`;
const wmi = (query: string) =>
  `<expression type="SMS_TaskSequence_WMIConditionExpression"><variable name="Namespace">root\\cimv2</variable><variable name="Query">${query}</variable></expression>`;

/** The log as [type, message] pairs, as CMTrace shows them (0 verbose … 3 error). */
const TYPE = { verbose: 0, info: 1, warning: 2, error: 3 } as const;
const lines = (log: LogEntry[]) => log.map((e) => [TYPE[e.severity], e.message] as const);
const as = (l: SmstsLine) => [TYPE[l.severity], l.message] as const;
const messages = (log: LogEntry[]) => log.map((e) => e.message);

/** The entries from the first one equal to `first`, `n` of them. */
function from(log: LogEntry[], first: SmstsLine, n: number) {
  const i = log.findIndex((e) => e.message === first.message);
  expect(i, first.message).toBeGreaterThanOrEqual(0);
  return lines(log.slice(i, i + n));
}

describe('the instruction pointer', () => {
  const ts = sequence(group('Install', cmd('A') + cmd('B')) + cmd('C'));

  it('"Start executing an instruction. Instruction name: X. Instruction pointer: N" (type 1) for groups, steps and group ends', async () => {
    const r = await runOnce(ts, new ScriptedExecutor());
    const pointers = r.log.filter((e) => e.message.startsWith('Start executing an instruction.'));
    expect(lines(pointers)).toEqual([
      [1, 'Start executing an instruction. Instruction name: Install. Instruction pointer: 0'],
      [1, 'Start executing an instruction. Instruction name: A. Instruction pointer: 1'],
      [1, 'Start executing an instruction. Instruction name: B. Instruction pointer: 2'],
      [1, 'Start executing an instruction. Instruction name: Install. Instruction pointer: 3'],
      [1, 'Start executing an instruction. Instruction name: C. Instruction pointer: 4'],
    ]);
    expect(messages(r.log)).toContain('Set a global environment variable _SMSTSInstructionTableSize=5');
  });

  it('each instruction sets the retry count, the action name and the pointer (type 0), as the corpus does', async () => {
    const r = await runOnce(ts, new ScriptedExecutor());
    expect(from(r.log, SMSTS.instruction('A', 1), 3)).toEqual([
      [1, 'Start executing an instruction. Instruction name: A. Instruction pointer: 1'],
      [0, 'Set a global environment variable _SMSTSCurrentActionName=A'],
      [0, 'Set a global environment variable _SMSTSNextInstructionPointer=1'],
    ]);
    const i = r.log.findIndex((e) => e.message === SMSTS.instruction('A', 1).message);
    expect(lines([r.log[i - 1]])).toEqual([[0, 'Set a global environment variable _SMSTSLastActionRetryCount=0']]);
  });

  it('saves its state between instructions: the next pointer and the group stack, then the environment block', async () => {
    const r = await runOnce(ts, new ScriptedExecutor());
    expect(from(r.log, SMSTS.clearLocalDefaults(), 6)).toEqual([
      [0, 'Clear local default environment'],
      [0, 'Set a global environment variable _SMSTSNextInstructionPointer=2'],
      [0, 'Set a TS execution environment variable _SMSTSNextInstructionPointer=2'],
      [0, 'Set a global environment variable _SMSTSInstructionStackString=0'],
      [0, 'Set a TS execution environment variable _SMSTSInstructionStackString=0'],
      [0, 'Save the current environment block'],
    ]);
  });
});

describe('groups', () => {
  it('"The group (X) has been successfully started" and, at its end, "… successfully completed"', async () => {
    const r = await runOnce(sequence(group('Outer', group('Inner', cmd('A'))) + cmd('B')), new ScriptedExecutor());
    expect(from(r.log, SMSTS.instruction('Outer', 0), 4)).toEqual([
      [1, 'Start executing an instruction. Instruction name: Outer. Instruction pointer: 0'],
      [0, 'Set a global environment variable _SMSTSCurrentActionName=Outer'],
      [0, 'Set a global environment variable _SMSTSNextInstructionPointer=0'],
      [1, 'The group (Outer) has been successfully started'],
    ]);
    // Inner closes at 3, Outer at 4: nested ends close innermost first.
    const ends = r.log.filter((e) => / has been successfully completed$/.test(e.message) || /Instruction pointer: [34]$/.test(e.message));
    expect(lines(ends)).toEqual([
      [1, 'Start executing an instruction. Instruction name: Inner. Instruction pointer: 3'],
      [1, 'The group (Inner) has been successfully completed'],
      [1, 'Start executing an instruction. Instruction name: Outer. Instruction pointer: 4'],
      [1, 'The group (Outer) has been successfully completed'],
    ]);
    expect(messages(r.log)).toContain('Start executing an instruction. Instruction name: B. Instruction pointer: 5');
    // …and a status event for each (the agent's 11127, "group completed").
    expect(r.events.filter((e) => e.kind === 'group').map((e) => [e.name, e.outcome])).toEqual([
      ['Outer', 'started'],
      ['Inner', 'started'],
      ['Inner', 'succeeded'],
      ['Outer', 'succeeded'],
    ]);
  });

  it('a group whose failure was swallowed (continue on error) does not say it completed', async () => {
    const r = await runOnce(sequence(group('Try', cmd('A') + cmd('B'), { coe: true }) + cmd('C')), new ScriptedExecutor({ A: () => ({ exitCode: 1 }) }));
    expect(messages(r.log)).not.toContain(SMSTS.groupCompleted('Try').message);
    expect(lines(r.log)).toContainEqual(as(SMSTS.letParentDecide('Try')));
    expect(messages(r.log)).toContain('Start executing an instruction. Instruction name: C. Instruction pointer: 4');
  });
});

describe('skips', () => {
  it('a group skipped by its condition: the evaluation, the skip, why, and "Execution of the instruction (X) has been skipped"', async () => {
    const r = await runOnce(
      sequence(group('Install VMware Tools', cmd('A'), { condition: and(cond('Model', 'equals', 'VMware')) }) + cmd('B')),
      new ScriptedExecutor(),
    );
    expect(from(r.log, SMSTS.evaluating('an AND'), 7)).toEqual([
      [1, 'Evaluating an AND expression'],
      [1, 'Evaluating a variable condition expression'],
      [0, 'Expand a string: Model'],
      [0, 'Expand a string: VMware'],
      [1, 'The group (Install VMware Tools) has been skipped because the condition is evaluated to be false'],
      [1, 'Why the condition is false: Model equals "VMware" is false (Model is not set)'],
      [1, 'Execution of the instruction (Install VMware Tools) has been skipped'],
    ]);
    // The skipped group's end is never reached: the next pointer is after it (as 38 → 41 in the corpus).
    expect(messages(r.log)).toContain('Start executing an instruction. Instruction name: B. Instruction pointer: 3');
  });

  it('an action skipped by its condition, with an OR of WMI expressions', async () => {
    const ts = sequence(
      cmd('Hotkey Driver', {
        condition: and(or(wmi('select * from Win32_ComputerSystem where Model = "A"'), wmi('select * from Win32_ComputerSystem where Model = "B"'))),
      }),
    );
    const r = await runOnce(ts, new ScriptedExecutor());
    expect(from(r.log, SMSTS.evaluating('an AND'), 9)).toEqual([
      [1, 'Evaluating an AND expression'],
      [1, 'Evaluating an OR expression'],
      [1, 'Evaluating a WMI condition expression'],
      [0, 'Expand a string: root\\cimv2'],
      [0, 'Expand a string: select * from Win32_ComputerSystem where Model = "A"'],
      [1, 'Evaluating a WMI condition expression'],
      [0, 'Expand a string: root\\cimv2'],
      [0, 'Expand a string: select * from Win32_ComputerSystem where Model = "B"'],
      [1, 'The action (Hotkey Driver) has been skipped because the condition is evaluated to be false'],
    ]);
    expect(lines(r.log)).toContainEqual([1, 'Execution of the instruction (Hotkey Driver) has been skipped']);
  });

  it('a true condition: "The condition for the action (X) is evaluated to be true"', async () => {
    const r = await runOnce(sequence(cmd('AD Brand', { condition: and(cond('_SMSTSInWinPE', 'equals', 'true')) })), new ScriptedExecutor());
    expect(lines(r.log)).toContainEqual([1, 'The condition for the action (AD Brand) is evaluated to be true']);
  });

  it('disabled group and action: "has been skipped because it is disabled"', async () => {
    const r = await runOnce(
      sequence(group('Temp drivers', cmd('A'), { disabled: true }) + cmd('Set CcmExec to Auto', { disabled: true })),
      new ScriptedExecutor(),
    );
    expect(from(r.log, SMSTS.skippedDisabled('group', 'Temp drivers'), 2)).toEqual([
      [1, 'The group (Temp drivers) has been skipped because it is disabled'],
      [1, 'Execution of the instruction (Temp drivers) has been skipped'],
    ]);
    expect(from(r.log, SMSTS.skippedDisabled('action', 'Set CcmExec to Auto'), 2)).toEqual([
      [1, 'The action (Set CcmExec to Auto) has been skipped because it is disabled'],
      [1, 'Execution of the instruction (Set CcmExec to Auto) has been skipped'],
    ]);
  });
});

describe('an action and its variables', () => {
  it('local defaults, the command line between the rules, the result, then _SMSTSLastAction* in the corpus order', async () => {
    const x = new ScriptedExecutor({
      'Client Buffer': (e) => {
        e.processLog?.started();
        e.processLog?.completed(0);
        return { exitCode: 0 };
      },
    });
    const r = await runOnce(sequence(cmd('Client Buffer', { action: 'smsswd.exe /run: Timeout /T 90', vars: [['WorkingDirectory', 'C:\\']] })), x);
    expect(from(r.log, SMSTS.setLocalDefault('WorkingDirectory'), 14)).toEqual([
      [0, 'Set a local default variable WorkingDirectory'],
      [0, 'Expand a string: smsswd.exe /run: Timeout /T 90'],
      [1, 'Start executing the command line: smsswd.exe /run: Timeout /T 90'],
      [1, '!--------------------------------------------------------------------------------------------!'],
      [0, 'Expand a string: WinPEandFullOS'],
      [1, 'Executing command line: smsswd.exe /run: Timeout /T 90 with options (0, 4)'],
      [1, 'Process completed with exit code 0'],
      [1, '!--------------------------------------------------------------------------------------------!'],
      [1, 'Successfully completed the action (Client Buffer) with the exit win32 code 0'],
      [0, 'Set a global environment variable _SMSTSLastActionRetCode=0'],
      [0, 'Set a global environment variable _SMSTSLastActionName=Client Buffer'],
      [0, 'Set a global environment variable _SMSTSLastActionSucceeded=true'],
      [0, 'Clear local default environment'],
      [0, 'Set a global environment variable _SMSTSNextInstructionPointer=1'],
    ]);
  });

  it('every variable a step sets is a verbose line; a secret is masked there and everywhere', async () => {
    const x = new ScriptedExecutor({
      Join: (e: StepExecution) => {
        e.variables.set('OSDComputerName', 'PC01');
        e.variables.set('OSDJoinPassword', 'Pa55-w0rd', { secret: true });
        e.log('joining with Pa55-w0rd');
        return { exitCode: 0 };
      },
    });
    const r = await runOnce(sequence(cmd('Join')), x, { vars: [{ name: 'DomainAdminPassword', value: 'hunter22', secret: true }] });
    expect(lines(r.log)).toContainEqual([0, 'Set a global environment variable OSDComputerName=PC01']);
    expect(lines(r.log)).toContainEqual([0, 'Set a global environment variable OSDJoinPassword=********']);
    expect(lines(r.log)).toContainEqual([0, 'Set a global environment variable DomainAdminPassword=********']);
    const text = messages(r.log).join('\n');
    expect(text).not.toContain('Pa55-w0rd');
    expect(text).not.toContain('hunter22');
  });

  it('OSDDoNotLogCommand=true keeps the command line out of the log', async () => {
    const x = new ScriptedExecutor({
      Secret: (e) => {
        e.processLog?.started();
        e.processLog?.returned('net use x: /user:a b', 0);
        e.processLog?.completed(0);
        return { exitCode: 0 };
      },
    });
    const r = await runOnce(sequence(cmd('Secret', { action: 'smsswd.exe /run: net use x: /user:a b' })), x, {
      vars: [{ name: 'OSDDoNotLogCommand', value: 'true' }],
    });
    expect(messages(r.log).join('\n')).not.toContain('net use');
    expect(lines(r.log)).toContainEqual([1, 'Process completed with exit code 0']);
  });
});

describe('failures', () => {
  it('a step in the wrong environment fails inside the rules, with no process lines', async () => {
    const r = await runOnce(sequence(cmd('Full OS only', { runIn: 'FullOS', coe: true })), new ScriptedExecutor());
    const i = r.log.findIndex((e) => e.message === 'Start executing the command line: smsswd.exe /run: Full OS only');
    expect(lines(r.log.slice(i + 1, i + 5))).toEqual([
      [1, '!--------------------------------------------------------------------------------------------!'],
      [0, 'Expand a string: FullOS'],
      [1, '!--------------------------------------------------------------------------------------------!'],
      [
        3,
        'Failed to run the action: Full OS only.\nthe step can run only in the full OS, and the computer is in Windows PE (Error: 80070032; Source: Windows)',
      ],
    ]);
  });

  it('continue on error: "The execution engine ignored the failure of the action (X) and continues execution"', async () => {
    const r = await runOnce(
      sequence(cmd('Install', { coe: true }) + cmd('Next')),
      new ScriptedExecutor({ Install: () => ({ exitCode: 1603, message: 'Fatal error during installation.' }) }),
    );
    expect(lines(r.log)).toContainEqual([3, 'Failed to run the action: Install.\nFatal error during installation. (Error: 00000643; Source: Windows)']);
    expect(lines(r.log)).toContainEqual([2, 'The execution engine ignored the failure of the action (Install) and continues execution']);
    expect(lines(r.log)).toContainEqual([0, 'Set a global environment variable _SMSTSLastActionRetCode=1603']);
    expect(lines(r.log)).toContainEqual([0, 'Set a global environment variable _SMSTSLastActionSucceeded=false']);
  });

  it('a failure that ends the task sequence: the group aborted, the last action, the engine result', async () => {
    const r = await runOnce(
      sequence(group('Capture Image', cmd('Apply Windows PE'))),
      new ScriptedExecutor({ 'Apply Windows PE': () => ({ exitCode: 0x80070070, message: 'There is not enough space on the disk.' }) }),
    );
    expect(lines(r.log)).toContainEqual([
      3,
      'Failed to run the action: Apply Windows PE.\nThere is not enough space on the disk. (Error: 80070070; Source: Windows)',
    ]);
    expect(lines(r.log.slice(-6))).toEqual([
      [
        3,
        'The execution of the group (Capture Image) has failed and the execution has been aborted. An action failed.\nOperation aborted (Error: 80004004; Source: Windows)',
      ],
      [
        3,
        'Failed to run the last action: Apply Windows PE. Execution of task sequence failed.\nThere is not enough space on the disk. (Error: 80070070; Source: Windows)',
      ],
      [3, 'Task Sequence Engine failed! Code: enExecutionFail'],
      [1, '****************************************************************************'],
      [3, 'Task sequence execution failed with error code 80070070'],
      [3, 'Execution engine result code: Failure (1)'],
    ]);
  });
});

describe('start, end and restarts', () => {
  it('starts with the engine banner and the table, ends with the result code', async () => {
    const r = await runOnce(sequence(cmd('A')), new ScriptedExecutor());
    expect(lines(r.log.slice(0, 4))).toEqual([
      [1, 'Parsing task sequence . . .'],
      [0, 'Task sequence schema version is 3.10'],
      [1, 'Starting Task Sequence Engine . . . '],
      [1, '****************************************************************************'],
    ]);
    expect(lines(r.log)).toContainEqual([1, 'The task execution engine started execution']);
    expect(lines(r.log.slice(-3))).toEqual([
      [1, 'The task exeuction engine successfully completed the execution'],
      [1, '****************************************************************************'],
      [1, 'Execution engine result code: Success (0)'],
    ]);
  });

  it('a step that restarts to run again (Setup Windows and ConfigMgr): "requested a retry", "Reboot to local harddisk"; after it, the pointer it resumes at', async () => {
    const ts = sequence(group('Install Operating System', cmd('Setup Windows and Configuration Manager')) + cmd('After'));
    let runs = 0;
    const x = new ScriptedExecutor({
      'Setup Windows and Configuration Manager': () => (++runs === 1 ? { exitCode: 0, restart: { target: 'HD', rerun: true } } : { exitCode: 0 }),
    });
    const journal = new MemoryJournal();
    const first = await runOnce(ts, x, { journal });
    expect(first.outcome.kind).toBe('restart');
    expect(from(first.log, SMSTS.requestedRetry('Setup Windows and Configuration Manager'), 3)).toEqual([
      [1, 'The action (Setup Windows and Configuration Manager) requested a retry'],
      [1, 'Reboot to local harddisk'],
      [1, 'Execution engine result code: Reboot (2)'],
    ]);
    expect(lines(first.log)).toContainEqual([0, 'Set a TS execution environment variable _SMSTSNextInstructionPointer=1']);
    const second = await runOnce(ts, x, { journal, host: host('FullOS') });
    expect(lines(second.log)).toContainEqual([1, 'NextInstructionPointer: 1']);
    expect(messages(second.log)).toContain('Start executing an instruction. Instruction name: Setup Windows and Configuration Manager. Instruction pointer: 1');
    expect(messages(second.log)).toContain('The group (Install Operating System) has been successfully completed');
  });

  it('a restart to the next step: "initiated a reboot request"; the group it ended closes in the next boot', async () => {
    const ts = sequence(group('Reboot', cmd('Restart in Windows PE')) + cmd('After'));
    const x = new ScriptedExecutor({ 'Restart in Windows PE': () => ({ exitCode: 0, restart: { target: 'WinPE' } }) });
    const journal = new MemoryJournal();
    const first = await runOnce(ts, x, { journal, host: host('FullOS') });
    expect(lines(first.log)).toContainEqual([1, 'The action (Restart in Windows PE) initiated a reboot request']);
    expect(messages(first.log)).not.toContain('Reboot to local harddisk');
    const second = await runOnce(ts, x, { journal });
    expect(lines(second.log)).toContainEqual([1, 'NextInstructionPointer: 2']);
    expect(from(second.log, SMSTS.instruction('Reboot', 2), 4).at(-1)).toEqual([1, 'The group (Reboot) has been successfully completed']);
    expect(messages(second.log)).toContain('Start executing an instruction. Instruction name: After. Instruction pointer: 3');
  });
});

describe("a kill between a group's last step and its end", () => {
  it('the next process writes the group end it missed, then carries on', async () => {
    const ts = sequence(group('G', cmd('A')) + cmd('B'));
    // Keep every journal write; resume from the one right after A's checkpoint (G's end not yet written).
    const saved: string[] = [];
    const recording = new MemoryJournal();
    const save = recording.save.bind(recording);
    recording.save = async (state) => {
      saved.push(JSON.stringify(state));
      await save(state);
    };
    await runOnce(ts, new ScriptedExecutor(), { journal: recording });
    const afterA = saved.find((j) => JSON.parse(j).tablePointer === 2 && JSON.parse(j).pointer === 2)!;
    expect(afterA).toBeDefined();
    const journal = new MemoryJournal();
    await journal.save(JSON.parse(afterA));
    const x = new ScriptedExecutor();
    const r = await runOnce(ts, x, { journal });
    expect(x.ran).toEqual(['B']);
    expect(lines(r.log)).toContainEqual([1, 'NextInstructionPointer: 2']);
    expect(from(r.log, SMSTS.instruction('G', 2), 4).at(-1)).toEqual([1, 'The group (G) has been successfully completed']);
    expect(messages(r.log)).toContain('Start executing an instruction. Instruction name: B. Instruction pointer: 3');
  });
});

describe('hosts: TSMBootstrap, _SMSTSLogPath, predictions', () => {
  const MACHINES = resolve(__dirname, '../../examples/machines');
  const laptop = () => loadMachineProfile(join(MACHINES, 'uefi-x64-laptop-bare-metal.json'));

  it('TSMBootstrap writes its banner before each start of the engine, "Resuming Task Sequence in Full OS" when it resumes there', () => {
    expect(bootstrapLines('WinPE', false).map((l) => [l.component, TYPE[l.severity], l.message])).toEqual([
      ['TSMBootstrap', 1, '==============================[ TSMBootStrap.exe ]=============================='],
      ['TSMBootstrap', 1, 'Starting Task Sequence Manager.'],
    ]);
    expect(bootstrapLines('FullOS', true).map((l) => l.message)).toContain('Resuming Task Sequence in Full OS');
  });

  it('_SMSTSLogPath follows the phase (osd-features §6.1)', () => {
    expect(logFolder({ environment: 'WinPE', partitioned: false })).toBe('X:\\Windows\\Temp\\SMSTSLog');
    expect(logFolder({ environment: 'WinPE', partitioned: true })).toBe('X:\\SMSTSLog');
    expect(logFolder({ environment: 'FullOS', partitioned: true, clientInstalled: false })).toBe('C:\\_SMSTaskSequence\\Logs\\Smstslog');
    expect(logFolder({ environment: 'FullOS', partitioned: false, clientInstalled: true })).toBe('C:\\Windows\\CCM\\Logs\\SMSTSLog');
  });

  it('a dry run: the log path per step, the bootstrap banner, and a predicted step never says a process ran or that it completed', async () => {
    const partition = `<step type="SMS_TaskSequence_PartitionDiskAction" name="Partition Disk 0 - UEFI" description="" runIn="WinPE" successCodeList="0"><action>osddiskpart.exe</action><defaultVarList><variable name="OSDDiskIndex" property="DiskIndex">0</variable><variable name="OSDPartitionStyle" property="PartitionStyle">GPT</variable></defaultVarList></step>`;
    const r = await simulate(sequence(cmd('Before') + partition + cmd('After')), { profile: laptop(), steps: stepSimulators() });
    const text = r.log;
    expect(text).toContain('<![LOG[==============================[ TSMBootStrap.exe ]==============================]LOG]!>');
    expect(text).toContain('component="TSMBootstrap"');
    const paths = [...text.matchAll(/Set a global environment variable _SMSTSLogPath=([^\]]*)\]LOG/g)].map((m) => m[1]);
    expect(paths[0]).toBe('X:\\Windows\\Temp\\SMSTSLog');
    expect(paths.at(-1)).toBe('X:\\SMSTSLog');
    expect(text).not.toMatch(/Executing command line:|Process completed with exit code|Successfully completed the action/);
    expect(text).toContain('The action (Before) was not run: its outcome was predicted, exit win32 code 0');
  });
});
