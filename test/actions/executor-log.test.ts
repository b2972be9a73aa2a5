// The ActionExecutor's lines in smsts.log (docs/smsts-log.md): a step its handler does is the step's
// process — "Executing command line: … with options (0, 4)" and "Process completed with exit code N"
// around it, as the real engine writes them for the step's executable — and a step handed on to a
// prediction gets neither, only the engine's "was not run: its outcome was predicted".
import { describe, expect, it } from 'vitest';
import { ActionExecutor } from '../../src/actions/executor.js';
import { cmd, runOnce, ScriptedExecutor, sequence } from '../engine/helpers.js';
import { directoryComputer } from './handlers/helpers.js';

const setVariable = `<step type="SMS_TaskSequence_SetVariableAction" name="Set Site" description="" successCodeList="0"><action>tsenv.exe "Site=LON"</action><defaultVarList><variable name="VariableName" property="VariableName" hidden="true">Site</variable><variable name="VariableValue" property="VariableValue" hidden="true">LON</variable></defaultVarList></step>`;

describe('ActionExecutor in smsts.log', () => {
  it('a handler run is logged as the step process; a prediction is not', async () => {
    const { computer } = directoryComputer();
    const predicted = new ScriptedExecutor({ Predicted: () => ({ exitCode: 0, predicted: { assumed: ['nothing'] } }) });
    const r = await runOnce(sequence(setVariable + cmd('Predicted')), new ActionExecutor(computer, undefined as never, predicted));
    const messages = r.log.map((e) => [e.severity, e.message]);
    const i = messages.findIndex(([, m]) => m === 'Start executing the command line: tsenv.exe "Site=LON"');
    expect(messages.slice(i, i + 8)).toEqual([
      ['info', 'Start executing the command line: tsenv.exe "Site=LON"'],
      ['info', '!--------------------------------------------------------------------------------------------!'],
      ['verbose', 'Expand a string: WinPEandFullOS'],
      ['info', 'Executing command line: tsenv.exe "Site=LON" with options (0, 4)'],
      ['verbose', 'Set a global environment variable Site=LON'],
      ['info', 'Set Site to "LON"'],
      ['info', 'Process completed with exit code 0'],
      ['info', '!--------------------------------------------------------------------------------------------!'],
    ]);
    const executing = r.log.filter((e) => e.message.startsWith('Executing command line:') || e.message.startsWith('Process completed'));
    expect(executing).toHaveLength(2);
    expect(r.log.map((e) => e.message)).toContain('The action (Predicted) was not run: its outcome was predicted, exit win32 code 0; assumed: nothing');
  });
});
