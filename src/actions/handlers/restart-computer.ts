/**
 * Restart Computer (task-sequence-format §8.1): asks the engine for a restart into Windows PE or
 * the installed OS — where, the step type's definition says (`restarts.into`), for the run and the
 * dry run alike.
 */
import type { RestartTarget, StepExecution, StepResult } from '../../engine/ports.js';
import { restartComputer, restartInto } from '../../sequence/catalog/index.js';
import { defineHandler } from '../handler.js';

function restart(x: StepExecution): StepResult {
  const target: RestartTarget = restartInto(restartComputer, (n) => x.properties[n], x.step.action) === 'WinPE' ? 'WinPE' : 'HD';
  const message = x.properties.SMSRebootMessage;
  if (message) x.log(`Restart notification: ${message} (${x.properties.SMSRebootTimeout ?? '60'} s)`);
  return { exitCode: 0, restart: { target, reason: `Restart Computer to ${target === 'WinPE' ? 'Windows PE' : 'the installed operating system'}` } };
}

export const restartComputerHandler = defineHandler(restartComputer, {
  run: async ({ x }) => restart(x),
  simulate: ({ x }) => restart(x),
});
