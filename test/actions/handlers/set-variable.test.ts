// Set Task Sequence Variable: its run and its prediction are the same code (the drift of issue 11
// item 1 — the prediction did not trim the name nor refuse an empty one — is gone).
import { describe, expect, it } from 'vitest';
import { setVariableHandler } from '../../../src/actions/handlers/set-variable.js';
import { setTaskSequenceVariable } from '../../../src/sequence/catalog/index.js';
import { directoryComputer, execution, simulation, step } from './helpers.js';

const { computer } = directoryComputer();
const content = undefined as never;
const run = (m: ReturnType<typeof execution>) => setVariableHandler.run!({ x: m.x, computer, content });

describe('Set Task Sequence Variable', () => {
  it('sets the expanded value; an empty value deletes; a hidden value is a secret', async () => {
    const m = execution(step(setTaskSequenceVariable, { name: 'OSDComputerName', value: 'PC-%Site%' }), { variables: { Site: 'LON', Old: 'x' } });
    expect(await run(m)).toEqual({ exitCode: 0 });
    expect(m.vars().OSDComputerName).toBe('PC-LON');
    expect(m.logs).toContain('info: Set OSDComputerName to "PC-LON"');

    const del = execution(step(setTaskSequenceVariable, { name: 'Old', value: '' }), { variables: { Old: 'x' } });
    await run(del);
    expect(del.vars().Old).toBeUndefined();

    const secret = execution(step(setTaskSequenceVariable, { name: 'Pin', value: '424242', doNotShowValue: true }));
    await run(secret);
    expect(secret.vars().Pin).toBe('********');
    expect(secret.logs.join('\n')).not.toContain('424242');
  });

  it('trims the name, refuses an empty one with 0x80070057', async () => {
    const padded = execution(step(setTaskSequenceVariable, { name: '  Padded ', value: 'v' }));
    await run(padded);
    expect(padded.vars().Padded).toBe('v');
    const empty = execution(step(setTaskSequenceVariable, { name: '   ', value: 'v' }));
    expect(await run(empty)).toEqual({ exitCode: 0x80070057, message: 'the step names no variable' });
  });

  it('its simulate answer is exactly its run, for every case', async () => {
    const cases = [
      { name: 'A', value: '%B%-x' },
      { name: '  Padded ', value: 'v' },
      { name: '', value: 'v' },
      { name: 'B', value: '' },
      { name: 'Pin', value: '1234', doNotShowValue: true },
    ];
    for (const settings of cases) {
      const s = step(setTaskSequenceVariable, settings);
      const real = execution(s, { variables: { B: 'b' } });
      const predicted = execution(s, { variables: { B: 'b' } });
      const { ctx, notes } = simulation(predicted);
      expect(await setVariableHandler.simulate!(ctx), JSON.stringify(settings)).toEqual(await run(real));
      expect(predicted.vars()).toEqual(real.vars());
      if (settings.name.trim()) expect(notes).toEqual([settings.value === '' ? `deletes ${settings.name.trim()}` : `sets ${settings.name.trim()}`]);
    }
  });
});
