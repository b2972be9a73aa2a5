// Restart Computer: where it restarts is its definition's (restarts.into), for run and prediction.
import { describe, expect, it } from 'vitest';
import { restartComputerHandler } from '../../../src/actions/handlers/restart-computer.js';
import { restartComputer, restartInto } from '../../../src/sequence/catalog/index.js';
import { directoryComputer, execution, simulation, step } from './helpers.js';

const { computer } = directoryComputer();

describe('Restart Computer', () => {
  it('restarts into Windows PE or the installed OS, as its target says; run and simulate agree', async () => {
    for (const [settings, target] of [
      [{ target: 'WinPE' as const, message: 'Going to WinPE', messageTimeout: 30 }, 'WinPE'],
      [{ target: 'HD' as const }, 'HD'],
    ] as const) {
      const m = execution(step(restartComputer, settings));
      const r = await restartComputerHandler.run!({ x: m.x, computer, content: undefined as never });
      expect(r).toMatchObject({ exitCode: 0, restart: { target } });
      expect(await restartComputerHandler.simulate!(simulation(execution(step(restartComputer, settings))).ctx)).toEqual(r);
    }
    const notified = execution(step(restartComputer, { target: 'WinPE', message: 'Going to WinPE', messageTimeout: 30 }));
    await restartComputerHandler.run!({ x: notified.x, computer, content: undefined as never });
    expect(notified.logs).toContain('info: Restart notification: Going to WinPE (30 s)');
  });

  it('an empty target (MDT) goes where the command line says, else to the installed OS', () => {
    expect(restartInto(restartComputer, () => undefined, 'smsboot.exe /target:WinPE')).toBe('WinPE');
    expect(restartInto(restartComputer, () => '', 'smsboot.exe')).toBe('FullOS');
    expect(restartInto(restartComputer, (n) => (n === 'SMSRebootTarget' ? ' winpe ' : undefined), undefined)).toBe('WinPE');
  });
});
