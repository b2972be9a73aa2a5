/**
 * Restart Computer (task-sequence-format §8.1) and Set Task Sequence Variable (§8.13). Run Command
 * Line runs as a process (src/runner/process-executor.ts).
 */
import type { RestartTarget } from '../../engine/ports.js';
import type { StepHandler } from '../handler.js';
import { boolProperty } from '../handler.js';

export const restartComputerHandler: StepHandler = {
  type: 'SMS_TaskSequence_RebootAction',
  async run({ x }) {
    const t = (x.properties.SMSRebootTarget ?? '').trim() || /\/target:(\w+)/i.exec(x.step.action ?? '')?.[1] || 'HD';
    const target: RestartTarget = /^winpe$/i.test(t) ? 'WinPE' : 'HD';
    const message = x.properties.SMSRebootMessage;
    if (message) x.log(`Restart notification: ${message} (${x.properties.SMSRebootTimeout ?? '60'} s)`);
    return { exitCode: 0, restart: { target, reason: `Restart Computer to ${target === 'WinPE' ? 'Windows PE' : 'the installed operating system'}` } };
  },
};

export const setVariableHandler: StepHandler = {
  type: 'SMS_TaskSequence_SetVariableAction',
  async run({ x }) {
    const name = (x.properties.VariableName ?? '').trim();
    if (!name) return { exitCode: 0x80070057, message: 'the step names no variable' };
    const value = x.variables.expand(x.properties.VariableValue ?? '');
    const secret = boolProperty(x, 'DoNotShowVariableValue') === true;
    x.variables.set(name, value, { secret });
    x.log(value === '' ? `Deleted ${name}` : `Set ${name}${secret ? ' (value hidden)' : ` to "${value}"`}`);
    return { exitCode: 0 };
  },
};
