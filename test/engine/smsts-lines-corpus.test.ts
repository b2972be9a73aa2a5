// The texts of src/engine/log/smsts-lines.ts against the real log (corpus/logs, SOURCES.md): each
// line we say follows the corpus is built with the corpus' own arguments and must be found there,
// word for word, with the same component and type. So the expected strings of the engine's tests
// are checked against a real ConfigMgr log, not against memory (docs/smsts-log.md).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCmTrace, type ParsedCmTraceEntry } from '../../src/engine/log/cmtrace.js';
import { evaluatingWords, SMSTS, type SmstsLine } from '../../src/engine/log/smsts-lines.js';

const CORPUS = resolve(__dirname, '../../../shared/corpus/logs/configmgr-2019-smsts.log');
const entries: ParsedCmTraceEntry[] = parseCmTrace(readFileSync(CORPUS, 'utf8'));

const found = (l: SmstsLine): ParsedCmTraceEntry[] =>
  entries.filter((e) => e.message === l.message && e.component === (l.component ?? 'TSManager') && e.severity === l.severity);

// Each kind with arguments the corpus has (the test fails if a text, component or type drifts).
const FROM_CORPUS: Array<[string, SmstsLine]> = [
  ['parsing', SMSTS.parsing()],
  ['schema version', SMSTS.schemaVersion('3.10')],
  ['starting the engine', SMSTS.startingEngine()],
  ['stars', SMSTS.stars()],
  ['next instruction pointer on resume', SMSTS.nextInstructionPointer(33)],
  ['engine started', SMSTS.engineStarted()],
  ['TSMBootstrap banner', SMSTS.bootstrapBanner()],
  ['resuming in the full OS', SMSTS.resumingInFullOs()],
  ['starting TS Manager', SMSTS.startingManager()],
  ['a global variable', SMSTS.setGlobal('_SMSTSLastActionRetCode', '0')],
  ['a global variable cleared', SMSTS.setGlobal('SMSTSRebootRequested', '')],
  ['the table size', SMSTS.setGlobal('_SMSTSInstructionTableSize', '85')],
  ['the log path', SMSTS.setGlobal('_SMSTSLogPath', 'C:\\WINDOWS\\CCM\\Logs\\SMSTSLog')],
  ['the current action', SMSTS.setGlobal('_SMSTSCurrentActionName', 'Temp drivers')],
  ['the retry count', SMSTS.setGlobal('_SMSTSLastActionRetryCount', '0')],
  ['the pointer (execution environment)', SMSTS.setExecution('_SMSTSNextInstructionPointer', '24')],
  ['the group stack (execution environment)', SMSTS.setExecution('_SMSTSInstructionStackString', '0 18')],
  ['a local default', SMSTS.setLocalDefault('SMSClientInstallProperties')],
  ['local defaults cleared', SMSTS.clearLocalDefaults()],
  ['environment saved', SMSTS.saveEnvironment()],
  ['a string expanded', SMSTS.expand('OSDSetupWindows.exe')],
  ['a WMI namespace expanded', SMSTS.expand('root\\cimv2')],
  ['a variable name expanded', SMSTS.expand('_SMSTSLaunchMode')],
  ['where a step may run, expanded', SMSTS.expand('WinPEandFullOS')],
  ['the instruction pointer', SMSTS.instruction('Temp drivers', 24)],
  ['an AND', SMSTS.evaluating(evaluatingWords('operator', 'and'))],
  ['an OR', SMSTS.evaluating(evaluatingWords('operator', 'or'))],
  ['a WMI expression', SMSTS.evaluating(evaluatingWords('expression', 'WMI'))],
  ['a variable expression', SMSTS.evaluating(evaluatingWords('expression', 'Variable'))],
  ['a true condition', SMSTS.conditionTrue('action', 'AD Brand')],
  ['a group skipped by its condition', SMSTS.skippedCondition('group', 'Install VMware Tools')],
  ['an action skipped by its condition', SMSTS.skippedCondition('action', 'Hotkey Driver')],
  ['a disabled group', SMSTS.skippedDisabled('group', 'Temp drivers')],
  ['a disabled action', SMSTS.skippedDisabled('action', 'Set CcmExec to Auto')],
  ['an instruction skipped', SMSTS.instructionSkipped('Install VMware Tools')],
  ['a group started', SMSTS.groupStarted('Install Software')],
  ['a group completed', SMSTS.groupCompleted('HP Hotkey Driver')],
  ['the command line started', SMSTS.startCommandLine('OSDSetupWindows.exe')],
  ['the rule around an action', SMSTS.actionRule()],
  ['a process started', SMSTS.executingCommandLine('OSDSetupWindows.exe', 'x')],
  ['a process ended', SMSTS.processCompleted(0, 'x')],
  ['smsswd: a command returned', SMSTS.commandReturned('PowerCfg.exe /s 8c5e7fda-e8bf-4a96-9a85-a6e23a8c635c', 0, 'x')],
  ['an action completed', SMSTS.actionSucceeded('Client Buffer', '0')],
  ['a retry requested', SMSTS.requestedRetry('Setup Windows and Configuration Manager')],
  ['a restart to the hard disk', SMSTS.rebootToHardDisk()],
  ['the engine completed', SMSTS.engineCompleted()],
  ['success', SMSTS.resultSuccess()],
];

describe('the real smsts.log (corpus/logs/configmgr-2019-smsts.log)', () => {
  it('parses with our CMTrace parser: every entry, types 0–3', () => {
    expect(entries).toHaveLength(5939); // SOURCES.md
    const types = { verbose: 0, info: 0, warning: 0, error: 0 };
    for (const e of entries) types[e.severity]++;
    expect(types).toEqual({ verbose: 1542, info: 4344, warning: 34, error: 19 });
  });

  it.each(FROM_CORPUS)('has our line for %s, word for word, with its component and type', (_kind, l) => {
    expect(found(l).length, `${l.component ?? 'TSManager'} type ${l.severity}: ${l.message}`).toBeGreaterThan(0);
  });

  it('writes the pointer line for a group and for its end (the table counts group ends)', () => {
    const pointers = entries
      .map((e) => /^Start executing an instruction\. Instruction name: (.*)\. Instruction pointer: (\d+)$/.exec(e.message))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], Number(m[2])] as const);
    // HP Hotkey Driver opens at 48, its two steps are 49 and 50, and it closes at 51.
    const hotkey = pointers.filter(([name]) => name === 'HP Hotkey Driver').map(([, p]) => p);
    expect(hotkey).toEqual([48, 51]);
    const completed = entries.findIndex((e) => e.message === SMSTS.groupCompleted('HP Hotkey Driver').message);
    let closing = completed - 1;
    while (!entries[closing].message.startsWith('Start executing an instruction.')) closing--;
    expect(entries[closing].message).toBe(SMSTS.instruction('HP Hotkey Driver', 51).message);
  });

  it('follows a skip with "Execution of the instruction (X) has been skipped", and a step with its variables in this order', () => {
    const skip = entries.findIndex((e) => e.message === SMSTS.skippedCondition('group', 'Install VMware Tools').message);
    expect(entries.slice(skip + 1, skip + 4).map((e) => e.message)).toContain(SMSTS.instructionSkipped('Install VMware Tools').message);
    const done = entries.findIndex((e) => e.message === SMSTS.actionSucceeded('Client Buffer', '0').message);
    const after = entries
      .slice(done + 1, done + 8)
      .filter((e) => e.component === 'TSManager' && e.severity === 'verbose')
      .map((e) => e.message);
    expect(after.slice(0, 4)).toEqual([
      SMSTS.setGlobal('_SMSTSLastActionRetCode', '0').message,
      SMSTS.setGlobal('_SMSTSLastActionName', 'Client Buffer').message,
      SMSTS.setGlobal('_SMSTSLastActionSucceeded', 'true').message,
      SMSTS.clearLocalDefaults().message,
    ]);
  });

  it('has none of the lines we add of our own (they must not pass for real ones)', () => {
    const ours = [SMSTS.conditionWhy('x'), SMSTS.actionPredicted('x', '0', ''), SMSTS.actionPredictedFailure('x', undefined, '1', '')];
    const words = ['Why the condition is false: ', ') was not run: its outcome was predicted', ') was not run: it was predicted to fail'];
    ours.forEach((l, i) => expect(l.message).toContain(words[i]));
    for (const w of words) expect(entries.some((e) => e.message.includes(w))).toBe(false);
  });
});
