/**
 * Set Task Sequence Variable (task-sequence-format §8.13). The dry run does exactly what the step
 * does — the same code — since it only touches variables: the name is trimmed and an empty one
 * refused (0x80070057), the value expanded, an empty value deletes the variable.
 */
import type { StepExecution, StepResult } from '../../engine/ports.js';
import { setTaskSequenceVariable } from '../../sequence/catalog/index.js';
import { WIN32 } from '../errors.js';
import { boolProperty, defineHandler } from '../handler.js';

function setVariable(x: StepExecution, note: (text: string) => void): StepResult {
  const name = (x.properties.VariableName ?? '').trim();
  if (!name) return { exitCode: WIN32.invalidParameter, message: 'the step names no variable' };
  const value = x.variables.expand(x.properties.VariableValue ?? '');
  const secret = boolProperty(x, 'DoNotShowVariableValue') === true;
  x.variables.set(name, value, { secret });
  x.log(value === '' ? `Deleted ${name}` : `Set ${name}${secret ? ' (value hidden)' : ` to "${value}"`}`);
  note(value === '' ? `deletes ${name}` : `sets ${name}`);
  return { exitCode: 0 };
}

export const setVariableHandler = defineHandler(setTaskSequenceVariable, {
  run: async ({ x }) => setVariable(x, () => undefined),
  simulate: ({ x, note }) => setVariable(x, note),
});
