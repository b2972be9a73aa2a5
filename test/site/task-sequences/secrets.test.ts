import { describe, expect, it } from 'vitest';
import { importXmlText } from '../../../src/sequence/codec/xml-import.js';
import { exportXmlText } from '../../../src/sequence/codec/xml-export.js';
import { carryOverSecrets, restoreSecrets, secretChanges, separateSecrets } from '../../../src/site/task-sequences/secrets.js';

const RULES =
  '&lt;Rules&gt;&lt;Rule&gt;&lt;Variables&gt;&lt;Variable Name="MDMUserName" IsSecret="false"&gt;CONTOSO\\svc&lt;/Variable&gt;&lt;Variable Name="MDMPassword" IsSecret="true"&gt;Rule-Secret-9&lt;/Variable&gt;&lt;/Variables&gt;&lt;/Rule&gt;&lt;/Rules&gt;';

const XML = `<sequence version="3.10"><globalVarList><variable name="OSDJoinPassword" property="DomainPassword">Global-Secret-1</variable></globalVarList><group name="G">
<step type="SMS_TaskSequence_SetVariableAction" name="Set pin" runIn="WinPEandFullOS"><action>tsenv.exe "MyPin=Tsenv-Secret-2" /hiddenflag:True</action><defaultVarList><variable name="DoNotShowVariableValue" property="DoNotShowVariableValue">true</variable><variable name="VariableName" property="VariableName">MyPin</variable><variable name="VariableValue" property="VariableValue">Tsenv-Secret-2</variable></defaultVarList></step>
<step type="SMS_TaskSequence_SetDynamicVariablesAction" name="Set MDM" runIn="WinPEandFullOS"><action>OSDSetDynamicVariables.exe</action><defaultVarList><variable name="OSDSetDynamicVariablesRules" property="Rules">${RULES}</variable></defaultVarList></step>
<step type="SMS_TaskSequence_RunCommandLineAction" name="Run as" runIn="WinPEandFullOS"><action>cmd.exe /c whoami</action><defaultVarList><variable name="SMSTSRunCommandLineUserName" property="UserName">CONTOSO\\run</variable><variable name="SMSTSRunCommandLineUserPassword" property="UserPassword">RunAs-Secret-3</variable></defaultVarList></step>
</group></sequence>`;

const ALL = ['Global-Secret-1', 'Tsenv-Secret-2', 'Rule-Secret-9', 'RunAs-Secret-3'];

describe('secret values of a task sequence', () => {
  const ts = importXmlText(XML).sequence;

  it('separates every kind of secret by address and puts them back exactly', () => {
    const stored = separateSecrets(ts, '');
    const text = JSON.stringify(stored.sequence);
    for (const s of ALL) expect(text).not.toContain(s);
    expect(Object.keys(stored.secrets).sort()).toEqual([
      '(global variables) :: OSDJoinPassword',
      'G / Run as :: SMSTSRunCommandLineUserPassword',
      'G / Set MDM :: OSDSetDynamicVariablesRules',
      'G / Set pin :: (command line)',
      'G / Set pin :: VariableValue',
    ]);
    // The non-secret rule value stays readable; the command line loses only the value.
    expect(text).toContain('CONTOSO\\\\svc');
    expect(text).toContain('tsenv.exe \\"MyPin=\\" /hiddenflag:True');
    const masked = JSON.stringify(separateSecrets(ts, '********').sequence);
    expect(masked).toContain('MyPin=********');
    for (const s of ALL) expect(masked).not.toContain(s);

    const restored = restoreSecrets(stored.sequence, stored.secrets);
    const xml = exportXmlText({ ...restored }, { bare: true });
    // Plain secrets are flagged, so even the restored model exports them empty …
    expect(xml).not.toContain('RunAs-Secret-3');
    // … while the model itself holds every value again.
    for (const s of ALL) expect(JSON.stringify(restored)).toContain(s);
  });

  it('carries secrets over an edit that shows them masked or empty, and clears on request', () => {
    const shown = separateSecrets(ts, '********').sequence;
    const carried = carryOverSecrets(shown, ts);
    expect(separateSecrets(carried, '').secrets).toEqual(separateSecrets(ts, '').secrets);
    const exported = separateSecrets(ts, '').sequence;
    expect(separateSecrets(carryOverSecrets(exported, ts), '').secrets).toEqual(separateSecrets(ts, '').secrets);
    const cleared = separateSecrets(carryOverSecrets(shown, ts, ['G / Run as :: SMSTSRunCommandLineUserPassword']), '').secrets;
    expect(cleared['G / Run as :: SMSTSRunCommandLineUserPassword']).toBeUndefined();
    expect(secretChanges(separateSecrets(ts, '').secrets, cleared)).toEqual([
      {
        address: 'G / Run as :: SMSTSRunCommandLineUserPassword',
        change: 'cleared',
        message: 'G / Run as :: SMSTSRunCommandLineUserPassword: secret value cleared (********)',
      },
    ]);
  });
});
