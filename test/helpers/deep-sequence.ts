/**
 * Task sequences at (and past) the nesting limits of src/sequence/limits.ts, for the codec tests
 * and the API tests: groups nested `depth` deep, each with a Run Command Line step, the innermost
 * step carrying a condition whose operators nest `conditionDepth` deep.
 */

const expression = (variable: string, value: string): string =>
  `<expression type="SMS_TaskSequence_VariableConditionExpression"><variable name="Operator">equals</variable><variable name="Value">${value}</variable><variable name="Variable">${variable}</variable></expression>`;

/** A `<condition>` with `depth` operators nested (alternating or/and), true when Deep=yes. */
export function nestedCondition(depth: number): string {
  let inner = expression('Deep', 'yes');
  for (let i = depth; i >= 1; i--) inner = `<operator type="${i % 2 ? 'or' : 'and'}">${inner}</operator>`;
  return `<condition>${inner}</condition>`;
}

function step(name: string, condition = ''): string {
  return `<step type="SMS_TaskSequence_RunCommandLineAction" name="${name}" runIn="WinPEandFullOS" successCodeList="0 3010">${condition}<action>smsswd.exe /run: cmd.exe /c echo ${name}</action><defaultVarList><variable name="CommandLine" property="CommandLine" hidden="true">cmd.exe /c echo ${name}</variable></defaultVarList></step>`;
}

/** Groups G1 … G<depth>, nested; a step in each; the innermost step's condition nests `conditionDepth` operators. */
export function nestedGroupsXml(depth: number, conditionDepth = 0, tag = ''): string {
  let body = step(`Innermost${tag}`, conditionDepth ? nestedCondition(conditionDepth) : '');
  for (let i = depth; i >= 1; i--) body = `<group name="G${i}">${step(`S${i}${tag}`)}${body}</group>`;
  return `<sequence version="3.10">${body}</sequence>`;
}

/** The same inside ConfigMgr's `<SmsTaskSequencePackage>` wrapper. */
export function wrapped(sequenceXml: string): string {
  return `<SmsTaskSequencePackage><BootImageID/><Name>Deep</Name><SequenceData>${sequenceXml}</SequenceData></SmsTaskSequencePackage>`;
}

/** The canonical JSON nesting `depth` groups, written by hand (no codec involved). */
export function nestedGroupsJson(depth: number): string {
  let items: unknown[] = [{ kind: 'step', name: 'Innermost', type: 'SMS_TaskSequence_RunCommandLineAction', action: 'cmd.exe /c echo' }];
  for (let i = depth; i >= 1; i--) items = [{ kind: 'group', name: `G${i}`, items }];
  return JSON.stringify({ format: 'openosd.task-sequence', formatVersion: 1, sequence: { version: '3.10', items } });
}
