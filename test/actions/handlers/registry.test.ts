// The one list of handlers, the engine's port onto their predictions, and the ActionExecutor over
// the Computer port: a handler per step type, found by its definition; every handler predicts.
import { describe, expect, it } from 'vitest';
import { ActionExecutor } from '../../../src/actions/executor.js';
import { HANDLERS, handlerOf, stepSimulators } from '../../../src/actions/handlers/index.js';
import { StepFailure } from '../../../src/actions/errors.js';
import type { Executor } from '../../../src/engine/ports.js';
import { partitionDisk, setTaskSequenceVariable, STEP_TYPES, upgradeOperatingSystem } from '../../../src/sequence/catalog/index.js';
import { directoryComputer, execution, simulation, step } from './helpers.js';

describe('the handlers', () => {
  it('one per step type, each of a catalog definition, each with a simulate answer', () => {
    const defs = HANDLERS.map((h) => h.definition);
    expect(new Set(defs).size).toBe(defs.length);
    for (const h of HANDLERS) {
      expect(STEP_TYPES, h.definition.type).toContain(h.definition);
      expect(h.simulate, h.definition.type).toBeTypeOf('function');
    }
  });

  it('are found by XML type, whatever its case', () => {
    expect(handlerOf('sms_tasksequence_partitiondiskaction')?.definition).toBe(partitionDisk);
    expect(handlerOf('SMS_TaskSequence_NoSuchAction')).toBeUndefined();
    expect(handlerOf(undefined)).toBeUndefined();
  });

  it("answer the engine's StepSimulators port, with the content and the checks they were given", async () => {
    const simulators = stepSimulators({ checks: true });
    expect(simulators.of('SMS_TaskSequence_EnableBitLockerAction')).toBeUndefined();
    const m = execution(step(setTaskSequenceVariable, { name: 'X', value: '1' }));
    const { ctx } = simulation(m);
    expect(await simulators.of(setTaskSequenceVariable.type)!(ctx)).toEqual({ exitCode: 0 });
    expect(m.vars().X).toBe('1');
  });
});

describe('ActionExecutor', () => {
  const fallback: Executor & { seen: string[] } = {
    seen: [],
    execute: async (x) => (fallback.seen.push(x.step.name), { exitCode: 0, predicted: { assumed: ['fallback'] } }),
  };

  it("runs a handler's run, flushes the computer after it, and hands other steps to the fallback", async () => {
    const { computer, cleanup } = directoryComputer();
    try {
      const executor = new ActionExecutor(computer, undefined as never, fallback);
      const set = execution(step(setTaskSequenceVariable, { name: 'X', value: '1' }));
      expect(await executor.execute(set.x)).toEqual({ exitCode: 0 });
      expect(computer.flushes).toBe(1);
      // Upgrade Operating System has no run here: predicted by the fallback.
      const upgrade = execution(step(upgradeOperatingSystem, {}));
      expect(await executor.execute(upgrade.x)).toEqual({ exitCode: 0, predicted: { assumed: ['fallback'] } });
      expect(fallback.seen).toEqual([upgradeOperatingSystem.displayName]);
    } finally {
      cleanup();
    }
  });

  it("turns what a handler throws into the step's code and message, and logs it", async () => {
    const { computer, cleanup } = directoryComputer();
    try {
      const executor = new ActionExecutor(computer, undefined as never, fallback);
      // Partitioning a disk the computer does not have: ComputerError 0x80070490.
      const m = execution(step(partitionDisk, { ...partitionDisk.examples![0].settings, diskIndex: 9 }));
      const r = await executor.execute(m.x);
      expect(r).toMatchObject({ exitCode: 0x80070490, message: expect.stringMatching(/disk 9 does not exist/) });
      expect(m.logs.at(-1)).toMatch(/^error: .*failed: disk 9 does not exist.*\(0x80070490\)$/);
      expect(new StepFailure(0x80070002, 'x').exitCode).toBe(0x80070002);
    } finally {
      cleanup();
    }
  });
});
