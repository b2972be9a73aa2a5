/** Each kind of change, on a small ConfigMgr-style sequence, plus the move rules and secret masking. */
import { describe, expect, it } from 'vitest';
import { importXmlText } from '../../../src/sequence/codec/xml-import.js';
import { diffSequences, formatChanges, SECRET_MASK, type SequenceChange } from '../../../src/sequence/diff/index.js';
import type { Group, Step, TaskSequence } from '../../../src/sequence/model/task-sequence.js';
import { findItem } from '../../../src/sequence/model/walk.js';
import { insertAt, itemAt, loadCorpus, moveTo, removeAt, variableCondition } from './helpers.js';

const RUN = 'type="SMS_TaskSequence_RunCommandLineAction" runIn="WinPEandFullOS" successCodeList="0 3010" retryCount="0" runFromNet="false"';
const cmd = (name: string, line: string, extra = ''): string =>
  `<step ${RUN} name="${name}"><action>${line}</action><defaultVarList>` +
  `<variable name="CommandLine" property="CommandLine" hidden="true">${line}</variable>${extra}</defaultVarList></step>`;

const XML = `<sequence version="3.10">
<referenceList><reference package="PS100001"/><reference package="PS100002" program="*"/></referenceList>
<globalVarList><variable name="OSDStateSMPRetryCount" property="SMPRetryCount">3</variable></globalVarList>
<group name="Prepare" description="">
  ${cmd('Run A', 'cmd /c a.cmd', '<variable name="SMSTSRunCommandLineUserName" property="UserName">CORP\\svc</variable><variable name="SMSTSRunCommandLineUserPassword" property="UserPassword">Secr3t!pw</variable>')}
  ${cmd('Run B', 'cmd /c b.cmd')}
  ${cmd('Run C', 'cmd /c c.cmd')}
  <step type="SMS_TaskSequence_SetVariableAction" name="Set Join" ${RUN.slice(RUN.indexOf('runIn'))}>
    <action>tsenv.exe "OSDJoinPassword=Pa55word!"</action>
    <defaultVarList><variable name="DoNotShowVariableValue" property="DoNotShowVariableValue" hidden="true">true</variable><variable name="VariableName" property="VariableName" hidden="true">OSDJoinPassword</variable><variable name="VariableValue" property="VariableValue" hidden="true">Pa55word!</variable></defaultVarList>
  </step>
</group>
<group name="Install">
  <condition><expression type="SMS_TaskSequence_VariableConditionExpression"><variable name="Operator">equals</variable><variable name="Value">false</variable><variable name="Variable">_SMSTSInWinPE</variable></expression></condition>
  ${cmd('Restart Computer', 'smsboot.exe /target:HD')}
  ${cmd('Apply', 'OSDApplyOS.exe /image:PS100001,1')}
  ${cmd('Restart Computer', 'smsboot.exe /target:HD')}
  <group name="Drivers">
    ${cmd('Dell', 'dell.cmd')}
    ${cmd('HP', 'hp.cmd')}
  </group>
</group>
</sequence>`;

const base = (): TaskSequence => importXmlText(XML, 'test').sequence;
const step = (ts: TaskSequence, path: string): Step => itemAt(ts, path) as Step;
const kinds = (changes: SequenceChange[]): string[] => changes.map((c) => c.kind);

function diffAfter(edit: (ts: TaskSequence) => void): SequenceChange[] {
  const a = base();
  const b = structuredClone(a);
  edit(b);
  return diffSequences(a, b);
}

describe('added and removed', () => {
  it('reports an added step once, with its path in B', () => {
    const changes = diffAfter((b) =>
      insertAt(b, 'Prepare', importXmlText(`<sequence version="3.10">${cmd('Run Z', 'z.cmd')}</sequence>`).sequence.items[0], 1),
    );
    expect(changes).toEqual([{ kind: 'added', itemKind: 'step', pathB: 'Prepare / Run Z', message: 'step "Run Z" added to "Prepare"' }]);
  });

  it('reports a removed group once, not each of its steps', () => {
    const changes = diffAfter((b) => removeAt(b, 'Install / Drivers'));
    expect(changes).toEqual([
      { kind: 'removed', itemKind: 'group', pathA: 'Install / Drivers', message: 'group "Drivers" removed from "Install" (and its 2 steps)' },
    ]);
  });

  it('removing one of two identical duplicates moves nothing', () => {
    const changes = diffAfter((b) => removeAt(b, 'Install / Restart Computer'));
    expect(kinds(changes)).toEqual(['removed']);
  });

  it('inserting at the top of a group does not move the siblings', () => {
    const changes = diffAfter((b) =>
      insertAt(b, 'Install', importXmlText(`<sequence version="3.10">${cmd('First', 'f.cmd')}</sequence>`).sequence.items[0], 0),
    );
    expect(kinds(changes)).toEqual(['added']);
  });
});

describe('moves', () => {
  it('reports only the step that moved within its group', () => {
    const changes = diffAfter((b) => moveTo(b, 'Prepare / Run C', 'Prepare', 0));
    expect(changes).toEqual([
      expect.objectContaining({
        kind: 'moved',
        pathA: 'Prepare / Run C',
        pathB: 'Prepare / Run C',
        before: 'Prepare',
        after: 'Prepare',
        indexA: 3,
        indexB: 1,
        message: 'step "Run C" moved within "Prepare" from position 3 to 1',
      }),
    ]);
  });

  it('reports a moved group once, not its children', () => {
    const changes = diffAfter((b) => moveTo(b, 'Install / Drivers', '', 0));
    expect(changes).toEqual([
      expect.objectContaining({
        kind: 'moved',
        itemKind: 'group',
        pathA: 'Install / Drivers',
        pathB: 'Drivers',
        message: 'group "Drivers" moved from "Install" to the top level',
      }),
    ]);
  });

  it('reports a step moved and renamed as both', () => {
    const changes = diffAfter((b) => {
      moveTo(b, 'Prepare / Run B', 'Install / Drivers', 1);
      itemAt(b, 'Install / Drivers / Run B').name = 'Run Lenovo';
    });
    expect(kinds(changes)).toEqual(['moved', 'renamed']);
    expect(changes[0]).toMatchObject({ pathA: 'Prepare / Run B', pathB: 'Install / Drivers / Run Lenovo', before: 'Prepare', after: 'Install / Drivers' });
  });

  it('recognises a step moved and edited by its name', () => {
    const changes = diffAfter((b) => {
      moveTo(b, 'Install / Apply', 'Prepare');
      step(b, 'Prepare / Apply').action = 'OSDApplyOS.exe /image:PS100001,2';
    });
    expect(kinds(changes)).toEqual(['moved', 'action-changed']);
  });

  it('recognises a step renamed and edited in place', () => {
    const changes = diffAfter((b) => {
      const s = step(b, 'Prepare / Run B');
      s.name = 'Run B2';
      s.disable = true;
      s.condition = variableCondition('X', 'equals', '1');
    });
    expect(kinds(changes)).toEqual(['renamed', 'option-changed', 'condition-changed']);
  });

  it('recognises a renamed group whose contents also changed', () => {
    const changes = diffAfter((b) => {
      const g = itemAt(b, 'Install / Drivers') as Group;
      g.name = 'Driver packages';
      step(b, 'Install / Driver packages / HP').name = 'HP EliteBook';
      removeAt(b, 'Install / Driver packages / Dell');
    });
    expect(changes.map((c) => [c.kind, c.pathA ?? null, c.pathB ?? null])).toEqual([
      ['renamed', 'Install / Drivers', 'Install / Driver packages'],
      ['removed', 'Install / Drivers / Dell', null],
      ['renamed', 'Install / Drivers / HP', 'Install / Driver packages / HP EliteBook'],
    ]);
  });

  it('swapping two groups reports one move', () => {
    const changes = diffAfter((b) => moveTo(b, 'Install', '', 0));
    expect(kinds(changes)).toEqual(['moved']);
  });
});

describe('options', () => {
  it('reports each option with effective before/after values', () => {
    const changes = diffAfter((b) => {
      const s = step(b, 'Prepare / Run A');
      s.disable = true;
      s.continueOnError = true;
      s.successCodeList = '0';
      s.runIn = 'FullOS';
      s.timeout = 900;
      s.retryCount = 2;
      s.runFromNet = true;
      s.startIn = 'C:\\Temp';
      s.description = 'does A';
      s.type = 'SMS_TaskSequence_RunPowerShellScriptAction';
      s.extraAttributes = { successCodes: '0' };
      (itemAt(b, 'Install') as Group).expand = true;
    });
    expect(changes.map((c) => [c.kind, c.field, c.before, c.after])).toEqual([
      ['option-changed', 'type', 'SMS_TaskSequence_RunCommandLineAction', 'SMS_TaskSequence_RunPowerShellScriptAction'],
      ['option-changed', 'disable', false, true],
      ['option-changed', 'continueOnError', false, true],
      ['option-changed', 'description', '', 'does A'],
      ['option-changed', 'successCodeList', '0 3010', '0'],
      ['option-changed', 'runIn', 'WinPEandFullOS', 'FullOS'],
      ['option-changed', 'timeout', null, 900],
      ['option-changed', 'retryCount', 0, 2],
      ['option-changed', 'runFromNet', false, true],
      ['option-changed', 'startIn', '', 'C:\\Temp'],
      ['option-changed', 'successCodes', null, '0'],
      ['option-changed', 'expand', false, true],
    ]);
    expect(changes[1].message).toBe('disable of step "Run A" changed: false → true');
    expect(changes[6].message).toBe('timeout of step "Run A" changed: (none) → 900');
  });

  it('ignores spelling-only differences', () => {
    const changes = diffAfter((b) => {
      const s = step(b, 'Prepare / Run A');
      s.successCodeList = '3010  0';
      s.runIn = 'winpeandfullos';
      s.type = 'sms_tasksequence_runcommandlineaction';
      s.disable = false;
      s.description = '  ';
    });
    expect(changes).toEqual([]);
  });
});

describe('properties and command lines', () => {
  it('reports value, added, removed and hidden changes by name, case-insensitively', () => {
    const changes = diffAfter((b) => {
      const s = step(b, 'Prepare / Run A');
      const vars = s.variables!;
      vars[0].name = 'COMMANDLINE'; // case only: no change
      vars[0].value = ' cmd /c a.cmd\n'; // whitespace only: no change
      vars[1].value = 'CORP\\deploy';
      vars[1].hidden = true;
      vars.push({ name: 'WorkingDirectory', property: 'WorkingDirectory', value: 'C:\\Temp' });
      s.variables = vars.filter((v) => v.name !== 'SMSTSRunCommandLineUserPassword');
    });
    expect(changes.map((c) => [c.kind, c.field, c.aspect, c.before, c.after])).toEqual([
      ['property-changed', 'SMSTSRunCommandLineUserName', 'value', 'CORP\\svc', 'CORP\\deploy'],
      ['property-changed', 'SMSTSRunCommandLineUserName', 'hidden', false, true],
      ['property-changed', 'WorkingDirectory', 'added', null, 'C:\\Temp'],
      ['property-changed', 'SMSTSRunCommandLineUserPassword', 'removed', SECRET_MASK, null],
    ]);
    expect(changes[0].message).toBe('property SMSTSRunCommandLineUserName of step "Run A" changed: "CORP\\svc" → "CORP\\deploy"');
  });

  it('reports a changed command line', () => {
    const changes = diffAfter((b) => (step(b, 'Prepare / Run B').action = 'cmd /c b2.cmd'));
    expect(changes).toEqual([
      expect.objectContaining({
        kind: 'action-changed',
        pathA: 'Prepare / Run B',
        before: 'cmd /c b.cmd',
        after: 'cmd /c b2.cmd',
        message: 'command line of step "Run B" changed: "cmd /c b.cmd" → "cmd /c b2.cmd"',
      }),
    ]);
  });

  it('masks secrets in values and in the command line', () => {
    const changes = diffAfter((b) => {
      step(b, 'Prepare / Run A').variables!.find((v) => v.name === 'SMSTSRunCommandLineUserPassword')!.value = 'N3w!secret';
      const set = step(b, 'Prepare / Set Join');
      set.variables!.find((v) => v.name === 'VariableValue')!.value = 'Other#Pass1';
      set.action = 'tsenv.exe "OSDJoinPassword=Other#Pass1"';
    });
    expect(changes.map((c) => [c.kind, c.field ?? null, c.before, c.after])).toEqual([
      ['property-changed', 'SMSTSRunCommandLineUserPassword', SECRET_MASK, SECRET_MASK],
      ['action-changed', null, `tsenv.exe "OSDJoinPassword=${SECRET_MASK}"`, `tsenv.exe "OSDJoinPassword=${SECRET_MASK}"`],
      ['property-changed', 'VariableValue', SECRET_MASK, SECRET_MASK],
    ]);
    const json = JSON.stringify(changes) + formatChanges(changes);
    for (const secret of ['Secr3t!pw', 'N3w!secret', 'Pa55word!', 'Other#Pass1']) expect(json).not.toContain(secret);
  });

  it('masks an old secret left in a new command line', () => {
    const changes = diffAfter((b) => {
      const set = step(b, 'Prepare / Set Join');
      set.variables = set.variables!.filter((v) => v.name !== 'VariableValue');
      set.action = 'tsenv.exe "OSDJoinPassword=Pa55word!" /v';
    });
    const text = JSON.stringify(changes) + formatChanges(changes);
    expect(kinds(changes)).toEqual(['action-changed', 'property-changed']);
    expect(text).not.toContain('Pa55word!');
  });

  it('masks secret Set Dynamic Variables values and secret global variables', () => {
    const rules = (v: string): string =>
      `<Rules><Rule><Variables><Variable Name="OSDJoinPassword" IsSecret="true">${v}</Variable><Variable Name="X" IsSecret="false">1</Variable></Variables></Rule></Rules>`;
    const a = base();
    step(a, 'Prepare / Run C').variables!.push({ name: 'OSDSetDynamicVariablesRules', property: 'Rules', value: rules('old-secret') });
    a.globalVariables!.push({ name: 'OSDLocalAdminPassword', value: 'adm1n-old' });
    const b = structuredClone(a);
    step(b, 'Prepare / Run C').variables!.at(-1)!.value = rules('new-secret');
    b.globalVariables!.at(-1)!.value = 'adm1n-new';
    const changes = diffSequences(a, b);
    expect(kinds(changes)).toEqual(['sequence-changed', 'property-changed']);
    const text = JSON.stringify(changes) + formatChanges(changes);
    for (const secret of ['old-secret', 'new-secret', 'adm1n-old', 'adm1n-new']) expect(text).not.toContain(secret);
    expect(changes[1].after).toBe(rules(SECRET_MASK));
  });
});

describe('conditions', () => {
  it('reports a condition change as readable text', () => {
    const changes = diffAfter((b) => ((itemAt(b, 'Install') as Group).condition = variableCondition('_SMSTSInWinPE', 'equals', 'true')));
    expect(changes).toEqual([
      {
        kind: 'condition-changed',
        itemKind: 'group',
        pathA: 'Install',
        pathB: 'Install',
        before: '_SMSTSInWinPE equals "false"',
        after: '_SMSTSInWinPE equals "true"',
        message: 'condition of group "Install" changed: _SMSTSInWinPE equals "false" → _SMSTSInWinPE equals "true"',
      },
    ]);
  });

  it('reports added and removed conditions', () => {
    const changes = diffAfter((b) => {
      delete (itemAt(b, 'Install') as Group).condition;
      step(b, 'Prepare / Run A').condition = variableCondition('OSDisk', 'exists', '');
    });
    expect(changes.map((c) => [c.pathB, c.before, c.after])).toEqual([
      ['Prepare / Run A', null, 'OSDisk exists'],
      ['Install', '_SMSTSInWinPE equals "false"', null],
    ]);
    expect(changes[1].message).toBe('condition of group "Install" changed: _SMSTSInWinPE equals "false" → (none)');
  });

  it('ignores operator case, property order, an explicit top-level AND and empty conditions', () => {
    const changes = diffAfter((b) => {
      const g = itemAt(b, 'Install') as Group;
      const ex = g.condition!.operands[0];
      if (ex.kind !== 'expression') throw new Error('expected expression');
      ex.properties.reverse();
      ex.properties.find((p) => p.name === 'Operator')!.value = 'Equals';
      ex.properties.find((p) => p.name === 'Variable')!.value = '_SMSTSINWINPE';
      g.condition = { operands: [{ kind: 'operator', operator: 'AND', operands: [ex] }] };
      step(b, 'Prepare / Run A').condition = { operands: [] };
    });
    expect(changes).toEqual([]);
  });
});

describe('sequence-level changes', () => {
  it('reports version, references and global variables', () => {
    const changes = diffAfter((b) => {
      b.version = '3.00';
      b.references = [{ package: 'ps100002', program: '*' }, { package: 'PS100003' }];
      b.globalVariables![0].value = '5';
    });
    expect(changes.map((c) => c.message)).toEqual([
      'sequence version changed: 3.10 → 3.00',
      'reference package PS100003 added',
      'reference package PS100001 removed',
      'global variable OSDStateSMPRetryCount changed: "3" → "5"',
    ]);
    expect(changes.every((c) => c.kind === 'sequence-changed' && c.itemKind === undefined)).toBe(true);
  });

  it('reports the package name of a wrapped sequence', () => {
    const a = loadCorpus('mdt8456-sccm-client-template.xml');
    const b = structuredClone(a);
    if (b.envelope?.kind !== 'package') throw new Error('expected a package envelope');
    b.envelope.properties.Name = 'Renamed TS';
    expect(diffSequences(a, b)).toEqual([expect.objectContaining({ kind: 'sequence-changed', field: 'packageName', after: 'Renamed TS' })]);
  });
});

describe('unrelated sequences', () => {
  it('accounts for every item, with valid paths, in reasonable time', () => {
    const files = ['mdt8456-sccm-client-template.xml', 'mdt-hydrationkit-ws2022-dc01-ts.xml', 'cm-export-all-step-types-catalog.xml'];
    for (const fa of files) {
      for (const fb of files) {
        const a = loadCorpus(fa);
        const b = loadCorpus(fb);
        const started = Date.now();
        const changes = diffSequences(a, b);
        expect(Date.now() - started).toBeLessThan(5_000);
        if (fa === fb) expect(changes).toEqual([]);
        else expect(changes.length).toBeGreaterThan(0);
        for (const c of changes) {
          if (c.pathA !== undefined) expect(findItem(a, c.pathA), c.message).toBeDefined();
          if (c.pathB !== undefined) expect(findItem(b, c.pathB), c.message).toBeDefined();
        }
      }
    }
  });
});

describe('output', () => {
  it('is JSON-serialisable and formats in a stable, grouped order', () => {
    const changes = diffAfter((b) => {
      removeAt(b, 'Prepare / Run B');
      step(b, 'Install / Apply').name = 'Apply OS';
      b.version = '3.00';
      moveTo(b, 'Install / Drivers', 'Prepare', 0);
    });
    expect(JSON.parse(JSON.stringify(changes))).toEqual(changes);
    expect(formatChanges(changes)).toBe(
      [
        '4 changes: 1 sequence setting, 1 removed, 1 moved, 1 renamed',
        '',
        'Sequence (1)',
        '  * sequence version changed: 3.10 → 3.00',
        '',
        'Removed (1)',
        '  - step "Run B" removed from "Prepare"',
        '',
        'Moved (1)',
        '  > group "Drivers" moved from "Install" to "Prepare"',
        '',
        'Renamed (1)',
        '  ~ step "Apply" renamed to "Apply OS"',
        '',
      ].join('\n'),
    );
    expect(formatChanges([])).toBe('No differences.\n');
  });
});
