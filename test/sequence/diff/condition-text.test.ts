/** Readable conditions, and the canonical key the diff compares them by. */
import { describe, expect, it } from 'vitest';
import { importXmlText } from '../../../src/sequence/codec/xml-import.js';
import { conditionKey, describeCondition, describeConditionNode } from '../../../src/sequence/diff/index.js';
import type { Condition, ConditionNode } from '../../../src/sequence/model/task-sequence.js';
import { walkItems } from '../../../src/sequence/model/walk.js';
import { corpusFiles, loadCorpus } from './helpers.js';

/** The condition of a one-step sequence whose <condition> holds `inner`. */
function cond(inner: string): Condition {
  const xml = `<sequence version="3.10"><step name="s" type="T"><condition>${inner}</condition><action>x</action></step></sequence>`;
  const item = importXmlText(xml).sequence.items[0];
  if (item.kind !== 'step' || !item.condition) throw new Error('test XML has no condition');
  return item.condition;
}

const ex = (type: string, props: Record<string, string>): string =>
  `<expression type="SMS_TaskSequence_${type}">${Object.entries(props)
    .map(([k, v]) => `<variable name="${k}">${v}</variable>`)
    .join('')}</expression>`;

const variable = (name: string, op: string, value?: string): string =>
  ex('VariableConditionExpression', { Variable: name, Operator: op, ...(value === undefined ? {} : { Value: value }) });

describe('describeCondition', () => {
  it.each([
    [variable('_SMSTSInWinPE', 'equals', 'false'), '_SMSTSInWinPE equals "false"'],
    [variable('_SMSTSInWinPE', 'Equals', 'false'), '_SMSTSInWinPE equals "false"'],
    [variable('OSVersion', 'GREATEREQUAL', '10'), 'OSVersion greaterEqual "10"'],
    [variable('OSDisk', 'exists'), 'OSDisk exists'],
    [variable('SkipWizard', 'notExists'), 'SkipWizard notExists'],
    [
      ex('WMIConditionExpression', { Namespace: 'root\\cimv2', Query: "SELECT * FROM Win32_ComputerSystem WHERE Model LIKE '%E7270%'" }),
      "WMI root\\cimv2: SELECT * FROM Win32_ComputerSystem WHERE Model LIKE '%E7270%'",
    ],
    [ex('WMIConditionExpression', { Namespace: 'root\\cimv2', Query: 'select *\n   from Win32_BIOS' }), 'WMI root\\cimv2: select * from Win32_BIOS'],
    [ex('FileConditionExpression', { Path: 'X:\\Deploy\\Scripts\\ZTIConfirmDiskpart.vbs' }), 'file exists "X:\\Deploy\\Scripts\\ZTIConfirmDiskpart.vbs"'],
    [
      ex('FileConditionExpression', {
        Path: 'C:\\a.dll',
        Version: '1.2.3',
        VersionOperator: 'greaterEqual',
        DateTime: '2020-01-01T00:00:00Z',
        DateTimeOperator: 'less',
      }),
      'file "C:\\a.dll" version greaterEqual "1.2.3" and modified less "2020-01-01T00:00:00Z"',
    ],
    [ex('FolderConditionExpression', { Path: '%ScriptRoot%' }), 'folder exists "%ScriptRoot%"'],
    [ex('FolderConditionExpression', { Path: 'C:\\x', DateTime: '2021-05-01', DateTimeOperator: 'greater' }), 'folder "C:\\x" modified greater "2021-05-01"'],
    [
      ex('RegistryConditionExpression', { KeyPath: 'HKEY_LOCAL_MACHINE\\$DEST$SOFTWARE', Operator: 'exists', Type: 'REG_SZ' }),
      'registry HKLM\\$DEST$SOFTWARE exists',
    ],
    [
      ex('RegistryConditionExpression', { KeyPath: 'HKEY_LOCAL_MACHINE\\Software\\X', Operator: 'exists', Type: 'REG_DWORD', Value: 'Flag' }),
      'registry HKLM\\Software\\X\\Flag REG_DWORD exists',
    ],
    [
      ex('RegistryConditionExpression', {
        Data: 'FAILURE',
        KeyPath: 'HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows',
        Operator: 'equals',
        Type: 'REG_SZ',
        Value: 'Win10UpgradeStatusCode',
      }),
      'registry HKLM\\Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows\\Win10UpgradeStatusCode REG_SZ equals "FAILURE"',
    ],
    [
      ex('SoftwareConditionExpression', { Operator: 'ThisVersion', ProductCode: '{1111}', ProductName: 'Contoso Agent', Version: '2.0' }),
      'software installed: Contoso Agent 2.0 ({1111})',
    ],
    [
      ex('SoftwareConditionExpression', { Operator: 'AnyVersion', UpgradeCode: '{2222}', ProductName: 'Contoso Agent' }),
      'software installed: any version of Contoso Agent ({2222})',
    ],
    [ex('OSConditionExpression', { Architecture: 'X86', Operator: 'greaterEqual', Version: '6.1' }), 'OS X86 greaterEqual 6.1'],
    [ex('ComputerConditionExpression', { AssetTag: '123', UUID: 'abc' }), 'SMS_TaskSequence_ComputerConditionExpression(AssetTag=123, UUID=abc)'],
    // A known type with an unexpected property is shown in full rather than half-rendered.
    [
      ex('VariableConditionExpression', { Variable: 'A', Operator: 'equals', Value: '1', Extra: 'x' }),
      'SMS_TaskSequence_VariableConditionExpression(Variable=A, Operator=equals, Value=1, Extra=x)',
    ],
  ])('%s', (xml, text) => {
    expect(describeCondition(cond(xml))).toBe(text);
  });

  it('renders and/or/not with parentheses and AND-s top-level operands', () => {
    const a = variable('A', 'equals', '1');
    const b = variable('B', 'equals', '2');
    const c = variable('C', 'exists');
    expect(describeCondition(cond(`${a}${b}`))).toBe('A equals "1" AND B equals "2"');
    expect(describeCondition(cond(`<operator type="or">${a}${b}</operator>${c}`))).toBe('(A equals "1" OR B equals "2") AND C exists');
    expect(describeCondition(cond(`<operator type="not">${a}</operator>`))).toBe('NOT (A equals "1")');
    expect(describeCondition(cond(`<operator type="not"><operator type="or">${a}${b}</operator></operator>`))).toBe('NOT (A equals "1" OR B equals "2")');
    expect(describeCondition(cond(`<operator type="and"><operator type="or">${a}${b}</operator>${c}</operator>`))).toBe(
      '((A equals "1" OR B equals "2") AND C exists)',
    );
  });

  it('shows unparsed XML as written and leaves comments out', () => {
    const a = variable('A', 'equals', '1');
    expect(describeCondition(cond(`<!-- note -->${a}<custom  kind="x">\n  <y/>\n</custom>`))).toBe('A equals "1" AND <custom kind="x"><y/></custom>');
    const raw: ConditionNode = { kind: 'raw', xml: '<foo bar="1"/>' };
    expect(describeConditionNode(raw)).toBe('<foo bar="1"/>');
  });

  it('reads every condition in the corpus without falling back to the generic form', () => {
    for (const file of corpusFiles()) {
      for (const { item } of walkItems(loadCorpus(file))) {
        if (!item.condition) continue;
        const text = describeCondition(item.condition);
        expect(text).not.toMatch(/undefined|SMS_TaskSequence_/);
        expect(text.length).toBeGreaterThan(0);
      }
    }
  });
});

describe('conditionKey', () => {
  const a = variable('A', 'equals', '1');
  const b = variable('B', 'equals', '2');

  it('is equal for layout-only differences', () => {
    const reordered = ex('VariableConditionExpression', { Value: ' 1 ', Operator: 'EQUALS', Variable: 'a' });
    expect(conditionKey(cond(reordered))).toBe(conditionKey(cond(a)));
    expect(conditionKey(cond(`<operator type="and">${a}${b}</operator>`))).toBe(conditionKey(cond(`${a}${b}`)));
    expect(conditionKey(cond(`<operator type="or"><operator type="or">${a}</operator>${b}</operator>`))).toBe(
      conditionKey(cond(`<operator type="or">${a}${b}</operator>`)),
    );
    expect(conditionKey(cond(`<!-- x -->${a}`))).toBe(conditionKey(cond(a)));
    expect(conditionKey({ operands: [] })).toBe('');
    expect(conditionKey(undefined)).toBe('');
  });

  it('differs for changes in meaning', () => {
    const keys = [
      cond(a),
      cond(variable('A', 'equals', '2')),
      cond(variable('A', 'notEquals', '1')),
      cond(`${a}${b}`),
      cond(`${b}${a}`),
      cond(`<operator type="or">${a}${b}</operator>`),
      cond(`<operator type="not">${a}</operator>`),
      cond(ex('FolderConditionExpression', { Path: 'C:\\A' })),
      cond(ex('FileConditionExpression', { Path: 'C:\\A' })),
    ].map(conditionKey);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
