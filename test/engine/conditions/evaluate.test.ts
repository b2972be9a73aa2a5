import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareValues,
  conditionWarnings,
  evaluateCondition,
  explainFalse,
  validateCondition,
  type ConditionContext,
  type ConditionOutcome,
} from '../../../src/engine/conditions/index.js';
import type { MachineInventory } from '../../../src/engine/inventory.js';
import type { Condition, ConditionNode } from '../../../src/sequence/model/task-sequence.js';
import { cond, context, exampleInventory, expr, op, varExpr, withClass, wmi } from './fixtures.js';

const value = (c: Condition | undefined, ctx: ConditionContext = context()): boolean => {
  const o = evaluateCondition(c, ctx);
  return o.value;
};
const one = (node: ConditionNode, vars: Record<string, string> = {}, inv?: MachineInventory): ConditionOutcome =>
  evaluateCondition(cond(node), context(vars, inv));

describe('variable conditions (engine-semantics §4, §13 items 4–6)', () => {
  it('4: case-insensitive values, variable names and operator names (`Equals`)', () => {
    const vars = { _SMSTSInWinPE: 'true' };
    expect(one(varExpr('_SMSTSInWinPE', 'equals', 'TRUE'), vars).value).toBe(true);
    expect(one(varExpr('_SMSTSinWInPE', 'Equals', 'True'), vars).value).toBe(true);
    expect(one(varExpr('_SMSTSInWinPE', 'EQUALS', 'false'), vars).value).toBe(false);
    expect(one(varExpr('_SMSTSInWinPE', 'notequals', 'FALSE'), vars).value).toBe(true);
    expect(one(varExpr(' _SMSTSInWinPE ', ' equals ', '  true  '), vars).value).toBe(true);
  });

  it('5: exists / notExists with unset, set, and set-to-empty (deleted) variables; Value is ignored', () => {
    expect(one(varExpr('OSDStateStorePath', 'exists', ''), {}).value).toBe(false);
    expect(one(varExpr('OSDStateStorePath', 'exists', ' '), { OSDStateStorePath: 'C:\\x' }).value).toBe(true);
    expect(one(varExpr('OSDStateStorePath', 'exists', 'anything'), { OSDStateStorePath: '' }).value).toBe(false);
    expect(one(varExpr('OSDStateStorePath', 'notExists', ''), {}).value).toBe(true);
    expect(one(varExpr('osdstatestorepath', 'NotExists', ''), { OSDStateStorePath: 'x' }).value).toBe(false);
    expect(one(varExpr('X', 'notExists'), { X: '' }).value).toBe(true);
  });

  it('6: numeric and version comparisons', () => {
    expect(one(varExpr('OSCurrentVersion', 'greaterEqual', '6'), { OSCurrentVersion: '10.0.19045' }).value).toBe(true);
    expect(one(varExpr('N', 'less', '10'), { N: '9' }).value).toBe(true);
    expect(one(varExpr('_SMSTSOSUpgradeActionReturnCode', 'equals', '3247440400'), { _SMSTSOSUpgradeActionReturnCode: '3247440400' }).value).toBe(true);
    expect(one(varExpr('N', 'equals', '0x10'), { N: '16' }).value).toBe(true);
    expect(one(varExpr('N', 'equals', '010'), { N: '10' }).value).toBe(true);
    expect(one(varExpr('V', 'greater', '10.0.19044'), { V: '10.0.19045' }).value).toBe(true);
    expect(one(varExpr('V', 'less', '10.0.19045.1'), { V: '10.0.19045' }).value).toBe(true);
    expect(one(varExpr('V', 'lessEqual', '10.0.0.0'), { V: '10' }).value).toBe(true);
    // Text ordering, case-insensitive, when either side is not a number/version.
    expect(one(varExpr('S', 'less', 'b'), { S: 'A' }).value).toBe(true);
    expect(one(varExpr('S', 'greater', 'b'), { S: 'B' }).value).toBe(false);
    // equals on versions stays text (the spec's numeric rule is for integers).
    expect(one(varExpr('V', 'equals', '1.0'), { V: '1.00' }).value).toBe(false);
  });

  it('a missing variable compares as the empty string', () => {
    expect(one(varExpr('SkipWizard', 'notEquals', 'YES')).value).toBe(true);
    expect(one(varExpr('SkipWizard', 'equals', '')).value).toBe(true);
    expect(one(varExpr('SkipWizard', 'equals', 'YES')).value).toBe(false);
  });

  it('the trace says what the variable was', () => {
    const o = one(varExpr('_SMSTSInWinPE', 'equals', 'false'), { _SMSTSInWinPE: 'true' });
    expect(o.trace).toEqual([
      { path: [0], depth: 0, kind: 'expression', type: 'Variable', text: '_SMSTSInWinPE equals "false"', result: false, observed: '_SMSTSInWinPE is "true"' },
    ]);
    expect(explainFalse(o)).toBe('_SMSTSInWinPE equals "false" is false (_SMSTSInWinPE is "true")');
    expect(one(varExpr('X', 'equals', 'y')).trace[0].observed).toBe('X is not set');
    expect(one(varExpr('N', 'greater', '5'), { N: '7' }).trace[0].observed).toBe('N is "7" (compared as numbers)');
    expect(one(varExpr('N', 'equals', '010'), { N: '10' }).trace[0].observed).toBe('N is "10" (compared as numbers)');
    expect(one(varExpr('N', 'equals', '10'), { N: '10' }).trace[0].observed).toBe('N is "10"');
    const secret = evaluateCondition(cond(varExpr('Pw', 'equals', 'x')), { ...context({ Pw: 'hunter2' }), isSecret: (n) => n.toLowerCase() === 'pw' });
    expect(secret.trace[0].observed).toBe('Pw is "********"');
  });

  it('compareValues agrees with integer arithmetic (fast-check)', () => {
    const ops = ['equals', 'notEquals', 'less', 'lessEqual', 'greater', 'greaterEqual'] as const;
    const want = {
      equals: (c: number) => c === 0,
      notEquals: (c: number) => c !== 0,
      less: (c: number) => c < 0,
      lessEqual: (c: number) => c <= 0,
      greater: (c: number) => c > 0,
      greaterEqual: (c: number) => c >= 0,
    };
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.constantFrom(...ops), (a, b, o) => {
        const c = a < b ? -1 : a > b ? 1 : 0;
        expect(compareValues(a.toString(), b.toString(), o)).toEqual({ result: want[o](c), mode: 'number' });
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.nat(99999), { minLength: 1, maxLength: 4 }), fc.array(fc.nat(99999), { minLength: 2, maxLength: 4 }), (a, b) => {
        const r = compareValues(a.join('.'), b.join('.'), 'less');
        const pad = (x: number[]) => [...x, 0, 0, 0, 0].slice(0, 4);
        const [pa, pb] = [pad(a), pad(b)];
        const i = pa.findIndex((x, k) => x !== pb[k]);
        expect(r.result).toBe(i >= 0 && pa[i] < pb[i]);
      }),
    );
  });
});

describe('and / or / not (engine-semantics §4, task-sequence-format §6)', () => {
  const T = varExpr('A', 'equals', '1');
  const F = varExpr('A', 'equals', '2');
  const vars = { A: '1' };
  const v = (...nodes: ConditionNode[]): boolean => evaluateCondition(cond(...nodes), context(vars)).value;

  it('top-level operands are AND-ed; no condition or no operands is true', () => {
    expect(v(T, T)).toBe(true);
    expect(v(T, F)).toBe(false);
    expect(value(undefined)).toBe(true);
    expect(v()).toBe(true);
  });

  it('empty and ⇒ true, empty or ⇒ false, empty not ⇒ false; not with several operands = NOT(AND)', () => {
    expect(v(op('and'))).toBe(true);
    expect(v(op('or'))).toBe(false);
    expect(v(op('not'))).toBe(false);
    expect(v(op('or', F, T))).toBe(true);
    expect(v(op('or', F, F))).toBe(false);
    expect(v(op('not', F))).toBe(true);
    expect(v(op('not', T, F))).toBe(true);
    expect(v(op('not', T, T))).toBe(false);
    expect(v(op('AND', T, op('Or', F, op('NOT', F))))).toBe(true);
  });

  it('comments inside a condition are ignored', () => {
    const comment: ConditionNode = { kind: 'raw', xml: '<!-- laptops only -->' };
    expect(v(comment, T)).toBe(true);
    expect(v(op('or', comment))).toBe(false);
    expect(evaluateCondition(cond(comment, T), context(vars)).errors).toEqual([]);
  });

  it('the trace is pre-order with paths and depths; explainFalse finds the decisive part', () => {
    const o = evaluateCondition(cond(T, op('or', F, op('not', T))), context(vars));
    expect(o.trace.map((t) => [t.path.join('.'), t.depth, t.kind, t.type, t.result])).toEqual([
      ['0', 0, 'expression', 'Variable', true],
      ['1', 0, 'operator', 'or', false],
      ['1.0', 1, 'expression', 'Variable', false],
      ['1.1', 1, 'operator', 'not', false],
      ['1.1.0', 2, 'expression', 'Variable', true],
    ]);
    expect(explainFalse(o)).toBe('none of these is true: A equals "2" is false (A is "1"); NOT is false because A equals "1" is true (A is "1")');
    expect(explainFalse(evaluateCondition(cond(op('and', T, F)), context(vars)))).toBe('A equals "2" is false (A is "1")');
    expect(explainFalse(evaluateCondition(cond(op('or')), context(vars)))).toBe('an empty OR is always false');
    expect(explainFalse(evaluateCondition(cond(T), context(vars)))).toBe('the condition is true');
  });
});

describe('constructs that cannot be evaluated are false and reported', () => {
  const cases: Array<[string, ConditionNode, string, RegExp]> = [
    ['unparsable WQL', wmi('SELECT * FROM Win32_ComputerSystem WHERE Model = ‘x’'), 'WQL query', /0x80041017 WBEM_E_INVALID_QUERY at column 50/],
    ['unknown WMI class', wmi('SELECT * FROM Win32_Nope'), 'WMI class', /0x80041010/],
    ['unknown namespace', wmi('SELECT * FROM Win32_ComputerSystem', 'root\\nope'), 'WMI namespace', /0x8004100E/],
    [
      'unknown expression type',
      expr('SMS_TaskSequence_MagicConditionExpression', { X: '1' }),
      'expression type',
      /unknown condition expression type "SMS_TaskSequence_MagicConditionExpression"/,
    ],
    ['unknown variable operator', varExpr('A', 'like', '1*'), 'operator', /unknown variable condition operator "like"/],
    ['no operator', expr('Variable', { Variable: 'A', Value: '1' }), 'operator', /no operator/],
    ['unknown logical operator', op('xor', varExpr('A', 'equals', '1')), 'logical operator', /unknown logical operator "xor"/],
    [
      'raw node',
      { kind: 'raw', xml: '<osConditionGroup type="or"><osExpressionGroup name="All x64 Windows 10 and higher Clients"/></osConditionGroup>' },
      'raw XML',
      /osConditionGroup/,
    ],
    ['no Variable', varExpr('', 'equals', '1'), 'expression', /names no variable/],
    ['empty query', expr('WMI', { Namespace: 'root\\cimv2', Query: ' ' }), 'WQL query', /no query/],
  ];
  for (const [name, node, construct, message] of cases) {
    it(name, () => {
      const o = evaluateCondition(cond(node), context({ A: '1' }));
      expect(o.value).toBe(false);
      expect(o.trace[0].result).toBe(false);
      expect(o.errors).toHaveLength(1);
      expect(o.errors[0]).toMatchObject({ construct, path: [0], severity: 'error' });
      expect(o.errors[0].message).toMatch(message);
      expect(o.errors[0].hint).toBeTruthy();
      expect(o.trace[0].error).toBe(o.errors[0]);
      expect(explainFalse(o)).toMatch(/cannot be evaluated/);
      // The same problems are found statically.
      expect(validateCondition(cond(node)).map((e) => e.construct)).toEqual(construct === 'WMI class' || construct === 'WMI namespace' ? [] : [construct]);
    });
  }

  it('WQL errors carry the WMI code and column', () => {
    const o = evaluateCondition(cond(wmi('SELECT * FROM Win32_ComputerSystem WHERE Model = ‘x’')), context());
    expect(o.errors[0]).toMatchObject({ code: 0x80041017, codeName: 'WBEM_E_INVALID_QUERY', column: 50, rule: 'WQL_SMART_QUOTES' });
    expect(o.errors[0].hint).toMatch(/smart quotes/);
  });

  it('under NOT an error reads as NOT(false) = true, unless onError is "condition"', () => {
    const bad = op('not', wmi('SELECT * FROM Win32_Nope'));
    expect(evaluateCondition(cond(bad), context()).value).toBe(true);
    const strict = evaluateCondition(cond(bad), context({}, exampleInventory(), { onError: 'condition' }));
    expect(strict.value).toBe(false);
    expect(explainFalse(strict)).toMatch(/cannot be evaluated/);
  });

  it('evaluateCondition never throws and never calls an errored expression true (fast-check)', () => {
    const names = fc.constantFrom(
      'Variable',
      'Operator',
      'Value',
      'Query',
      'Namespace',
      'Path',
      'KeyPath',
      'Data',
      'Type',
      'Version',
      'VersionOperator',
      'DateTime',
      'DateTimeOperator',
      'ProductCode',
      'UpgradeCode',
      'Architecture',
      'AssetTag',
      'MACAddress',
      'x',
    );
    const values = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom(
        'equals',
        'exists',
        'greaterEqual',
        'ThisVersion',
        'AnyVersion',
        'HKLM\\Software',
        'SELECT * FROM Win32_ComputerSystem',
        "SELECT * FROM Win32_SystemEnclosure WHERE ChassisTypes = 'x'",
        '10.0',
        '%A%',
        'X86',
        '20240101000000.000000+000',
      ),
    );
    const types = fc.constantFrom('Variable', 'WMI', 'File', 'Folder', 'Registry', 'Software', 'OS', 'Computer', 'Bogus', '');
    const exprArb = fc.record({ type: types, props: fc.dictionary(names, values, { maxKeys: 5 }) }).map((r) => expr(r.type === '' ? '' : r.type, r.props));
    const node: fc.Arbitrary<ConditionNode> = fc.letrec<{ n: ConditionNode }>((tie) => ({
      n: fc.oneof(
        { depthSize: 'small' },
        exprArb,
        fc.string({ maxLength: 10 }).map((xml): ConditionNode => ({ kind: 'raw', xml })),
        fc.record({ o: fc.constantFrom('and', 'or', 'not', 'xor', ''), kids: fc.array(tie('n'), { maxLength: 3 }) }).map((r) => op(r.o, ...r.kids)),
      ),
    })).n;
    fc.assert(
      fc.property(fc.array(node, { maxLength: 3 }), fc.constantFrom<'any' | 'error'>('any', 'error'), (operands, arrayMode) => {
        const o = evaluateCondition({ operands }, context({ A: 'C:\\x' }, exampleInventory(), { arrayMode }));
        expect(typeof o.value).toBe('boolean');
        for (const t of o.trace) if (t.error && t.kind !== 'operator') expect(t.result).toBe(false);
        for (const t of o.trace) if (t.kind === 'operator' && t.error) expect(t.result).toBe(false);
        expect(typeof explainFalse(o)).toBe('string');
        expect(Array.isArray(validateCondition({ operands }))).toBe(true);
        expect(Array.isArray(conditionWarnings({ operands }))).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
});

describe('WMI expressions in conditions', () => {
  it('true iff an instance matches; the trace names the matching instance or the nearest miss', () => {
    const hit = one(wmi("SELECT * FROM Win32_ComputerSystem WHERE Manufacturer LIKE '%DELL%'"));
    expect(hit.value).toBe(true);
    expect(hit.trace[0]).toMatchObject({ type: 'WMI', observed: 'Win32_ComputerSystem instance matched: Manufacturer "Dell Inc."' });
    expect(hit.trace[0].wql?.instance).toMatchObject({ Model: 'Latitude E7270' });
    const miss = one(wmi("SELECT * FROM Win32_ComputerSystem WHERE Model LIKE '%Latitude 7420%'"));
    expect(miss.value).toBe(false);
    expect(miss.trace[0].observed).toBe(`Win32_ComputerSystem.Model is "Latitude E7270", which fails Model LIKE '%Latitude 7420%'`);
    expect(explainFalse(miss)).toBe(
      `WMI root\\cimv2: SELECT * FROM Win32_ComputerSystem WHERE Model LIKE '%Latitude 7420%' is false (Win32_ComputerSystem.Model is "Latitude E7270", which fails Model LIKE '%Latitude 7420%')`,
    );
    const disks = one(wmi("SELECT * FROM Win32_LogicalDisk WHERE FileSystem = 'FAT32'"));
    expect(disks.trace[0].observed).toMatch(/^none of 2 Win32_LogicalDisk instances matches; nearest: Win32_LogicalDisk.FileSystem is "NTFS"/);
    const desktop = exampleInventory();
    desktop.wmi['root\\cimv2'].Win32_Battery.instances = [];
    expect(one(wmi('SELECT * FROM Win32_Battery'), {}, desktop).trace[0].observed).toBe('root\\cimv2 has no Win32_Battery instances on this machine');
  });

  it('queries are not %VAR%-expanded (§1)', () => {
    const o = one(wmi("SELECT * FROM Win32_ComputerSystem WHERE Model LIKE '%Model%'"), { Model: 'Latitude E7270' });
    expect(o.value).toBe(false);
  });

  it('arrayMode comes from the context options', () => {
    const q = wmi('SELECT * FROM Win32_SystemEnclosure WHERE ChassisTypes = 10');
    expect(evaluateCondition(cond(q), context()).value).toBe(true);
    expect(evaluateCondition(cond(q), context()).trace[0].observed).toMatch(/note: ChassisTypes is an array/);
    const strict = evaluateCondition(cond(q), context({}, exampleInventory(), { arrayMode: 'error' }));
    expect(strict.value).toBe(false);
    expect(strict.errors[0].codeName).toBe('WBEM_E_INVALID_QUERY');
    expect(validateCondition(cond(q), { arrayMode: 'error' })).toHaveLength(1);
    expect(validateCondition(cond(q))).toHaveLength(0);
  });
});

describe('File and Folder conditions (conditions-wql §6.1–§6.2)', () => {
  const inv = (): MachineInventory => ({
    ...exampleInventory(),
    files: [
      { path: 'X:\\Deploy\\Scripts\\ZTIConfirmDiskpart.vbs', kind: 'file', modifiedUtc: '2023-05-01T10:00:00Z' },
      { path: 'C:\\Windows\\System32\\ntoskrnl.exe', kind: 'file', version: '10.0.19041.3636', modifiedUtc: '2024-01-10T08:30:00.250Z' },
      { path: 'C:\\_SMSTaskSequence\\UserState\\USMT', kind: 'dir' },
      { path: 'C:/Data/readme.txt', kind: 'file' },
      { path: 'C:\\Data\\local.txt', kind: 'file', modifiedUtc: '2024-01-10T08:30:00' },
    ],
  });
  const file = (props: Record<string, string>, vars: Record<string, string> = {}): ConditionOutcome => one(expr('File', props), vars, inv());
  const folder = (path: string, vars: Record<string, string> = {}): ConditionOutcome => one(expr('Folder', { Path: path }), vars, inv());

  it('existence, case-insensitive, / or \\', () => {
    expect(file({ Path: 'X:\\Deploy\\Scripts\\ZTIConfirmDiskpart.vbs' }).value).toBe(true);
    expect(file({ Path: 'x:/deploy/scripts/zticonfirmdiskpart.VBS' }).value).toBe(true);
    const missing = file({ Path: 'C:\\x' });
    expect(missing.value).toBe(false);
    expect(missing.trace[0].observed).toBe('file C:\\x does not exist');
    expect(file({ Path: 'C:\\_SMSTaskSequence\\UserState\\USMT' }).trace[0].observed).toMatch(/does not exist \(it is a folder\)/);
  });

  it('version comparisons; no version resource ⇒ false', () => {
    const p = 'C:\\Windows\\System32\\ntoskrnl.exe';
    expect(file({ Path: p, Version: '10.0.19041.3636', VersionOperator: 'equals' }).value).toBe(true);
    expect(file({ Path: p, Version: '10.0.19041', VersionOperator: 'greaterEqual' }).value).toBe(true);
    expect(file({ Path: p, Version: '10.0.22000', VersionOperator: 'Less' }).value).toBe(true);
    expect(file({ Path: p, Version: '10.0.22000', VersionOperator: 'greater' }).trace[0].observed).toBe(
      `file ${p} has version 10.0.19041.3636, tested greater 10.0.22000`,
    );
    expect(file({ Path: 'X:\\Deploy\\Scripts\\ZTIConfirmDiskpart.vbs', Version: '1.0', VersionOperator: 'greater' }).value).toBe(false);
    const bad = file({ Path: p, Version: 'new', VersionOperator: 'equals' });
    expect(bad.errors[0]).toMatchObject({ construct: 'expression' });
    expect(file({ Path: p, Version: '1.0', VersionOperator: 'newer' }).errors[0]).toMatchObject({ construct: 'operator' });
  });

  it('DateTime is DMTF in UTC, compared to the second', () => {
    const p = 'C:\\Windows\\System32\\ntoskrnl.exe';
    expect(file({ Path: p, DateTime: '20240110083000.000000+000', DateTimeOperator: 'equals' }).value).toBe(true);
    expect(file({ Path: p, DateTime: '20240101000000.000000+000', DateTimeOperator: 'greater' }).value).toBe(true);
    expect(file({ Path: p, DateTime: '20240110083001.000000+000', DateTimeOperator: 'less' }).value).toBe(true);
    expect(file({ Path: 'C:\\Data\\readme.txt', DateTime: '20240101000000.000000+000', DateTimeOperator: 'less' }).trace[0].observed).toMatch(
      /modification time unknown/,
    );
    expect(file({ Path: p, DateTime: 'yesterday', DateTimeOperator: 'less' }).errors[0].message).toMatch(/not a DMTF/);
    // A time without a zone is UTC whatever the local time zone (§5).
    expect(file({ Path: 'C:\\Data\\local.txt', DateTime: '20240110083000.000000+000', DateTimeOperator: 'equals' }).value).toBe(true);
  });

  it('20: %OSDStateStorePath%\\USMT is expanded first', () => {
    expect(folder('%OSDStateStorePath%\\USMT', { OSDStateStorePath: 'C:\\_SMSTaskSequence\\UserState' }).value).toBe(true);
    expect(folder('%OSDStateStorePath%\\USMT3', { OSDStateStorePath: 'C:\\_SMSTaskSequence\\UserState' }).value).toBe(false);
  });

  it('an unset variable in the path is named; folders holding listed entries exist', () => {
    const o = folder('%ScriptRoot%');
    expect(o.value).toBe(false);
    expect(o.trace[0].observed).toBe('folder %ScriptRoot% does not exist (ScriptRoot is not set)');
    expect(folder('C:\\Windows').value).toBe(true);
    expect(folder('c:\\windows\\system32\\').value).toBe(true);
    expect(folder('C:\\Win').value).toBe(false);
    expect(folder('C:\\Windows\\System32\\ntoskrnl.exe').trace[0].observed).toMatch(/\(it is a file\)/);
  });

  it('the corpus pattern: Partition group runs only when the script exists and the disk has non-NTFS partitions', () => {
    const c = cond(
      op(
        'and',
        expr('File', { Path: 'X:\\Deploy\\Scripts\\ZTIConfirmDiskpart.vbs' }),
        wmi("select * from Win32_DiskPartition where DiskIndex = 0 and Type<>'Installable File System' and Type<>'NTFS'"),
      ),
    );
    expect(evaluateCondition(c, context({}, inv())).value).toBe(true);
  });
});

describe('Registry conditions (conditions-wql §6.3)', () => {
  const inv = (): MachineInventory => ({
    ...exampleInventory(),
    registry: [
      { key: 'HKEY_LOCAL_MACHINE\\$DEST$SOFTWARE' },
      { key: 'HKLM\\Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows', values: { Win10UpgradeStatusCode: { type: 'REG_SZ', data: 'SUCCESS' } } },
      {
        key: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso\\Build',
        values: {
          Level: { type: 'REG_DWORD', data: 26 },
          Big: { type: 'REG_QWORD', data: '12884901888' },
          Tags: { type: 'REG_MULTI_SZ', data: ['a', 'b'] },
          '': { type: 'REG_SZ', data: 'default' },
        },
      },
    ],
  });
  const reg = (props: Record<string, string>, vars: Record<string, string> = {}): ConditionOutcome => one(expr('Registry', props), vars, inv());
  const WIN = 'HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows';

  it('21: a key exists (no Value name; Type is moot)', () => {
    const o = reg({ KeyPath: 'HKEY_LOCAL_MACHINE\\$DEST$SOFTWARE', Operator: 'exists', Type: 'REG_SZ' });
    expect(o.value).toBe(true);
    expect(o.trace[0].observed).toBe('key HKLM\\$DEST$SOFTWARE exists');
    expect(reg({ KeyPath: 'HKLM\\$DEST$SYSTEM', Operator: 'exists' }).value).toBe(false);
    expect(reg({ KeyPath: 'HKLM\\$DEST$SYSTEM', Operator: 'notExists' }).value).toBe(true);
    expect(reg({ KeyPath: 'HKLM\\$DEST$SYSTEM', Operator: 'nonExists' }).value).toBe(true);
    expect(reg({ KeyPath: 'HKLM\\SOFTWARE\\Contoso', Operator: 'exists' }).value).toBe(true);
  });

  it('the corpus upgrade-status test: equals on a REG_SZ value, case-insensitive', () => {
    const ok = reg({ Data: 'SUCCESS', KeyPath: WIN, Operator: 'equals', Type: 'REG_SZ', Value: 'Win10UpgradeStatusCode' });
    expect(ok.value).toBe(true);
    expect(ok.trace[0].observed).toBe('HKLM\\Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows\\Win10UpgradeStatusCode is "SUCCESS" (REG_SZ)');
    expect(reg({ Data: 'FAILURE', KeyPath: WIN, Operator: 'equals', Type: 'REG_SZ', Value: 'Win10UpgradeStatusCode' }).value).toBe(false);
    expect(reg({ Data: 'success', KeyPath: WIN, Operator: 'Equals', Value: 'win10upgradestatuscode' }).value).toBe(true);
  });

  it('values: exists with type, numeric comparisons (hex accepted), REG_MULTI_SZ, default value', () => {
    const key = 'HKLM\\SOFTWARE\\Contoso\\Build';
    expect(reg({ KeyPath: key, Operator: 'exists', Value: 'Level', Type: 'REG_DWORD' }).value).toBe(true);
    const wrongType = reg({ KeyPath: key, Operator: 'exists', Value: 'Level', Type: 'REG_SZ' });
    expect(wrongType.value).toBe(false);
    expect(wrongType.trace[0].observed).toBe('value HKLM\\SOFTWARE\\Contoso\\Build\\Level is REG_DWORD, not REG_SZ');
    expect(reg({ KeyPath: key, Operator: 'exists', Value: 'Nope' }).trace[0].observed).toBe('value HKLM\\SOFTWARE\\Contoso\\Build\\Nope does not exist');
    expect(reg({ KeyPath: key, Operator: 'greaterEqual', Value: 'Level', Data: '0x1A' }).value).toBe(true);
    expect(reg({ KeyPath: key, Operator: 'less', Value: 'Level', Data: '3' }).value).toBe(false);
    expect(reg({ KeyPath: key, Operator: 'greater', Value: 'Big', Data: '4294967296' }).value).toBe(true);
    expect(reg({ KeyPath: key, Operator: 'equals', Value: 'Tags', Data: 'a\0b' }).value).toBe(true);
    expect(reg({ KeyPath: key, Operator: 'equals', Data: 'DEFAULT' }).value).toBe(true);
    expect(reg({ KeyPath: key, Operator: 'equals', Value: 'Nope', Data: '' }).value).toBe(false);
  });

  it('KeyPath is %VAR%-expanded; unknown hives and operators are errors', () => {
    expect(reg({ KeyPath: '%Root%\\Contoso\\Build', Operator: 'exists', Value: 'Level' }, { Root: 'HKLM\\SOFTWARE' }).value).toBe(true);
    const bad = reg({ KeyPath: '%Root%\\Contoso', Operator: 'exists' });
    expect(bad.errors[0].message).toMatch(/unknown registry hive.*Root is not set/);
    expect(reg({ KeyPath: 'HKXX\\Software', Operator: 'exists' }).errors[0].message).toMatch(/unknown registry hive/);
    expect(reg({ KeyPath: WIN, Operator: 'contains', Value: 'x' }).errors[0]).toMatchObject({ construct: 'operator' });
  });
});

describe('Software conditions (conditions-wql §6.4)', () => {
  const inv = (): MachineInventory => ({
    ...exampleInventory(),
    msiProducts: [
      {
        productCode: '{90160000-008C-0000-1000-0000000FF1CE}',
        upgradeCode: '{00004159-0000-0000-0000-0000000FF1CE}',
        name: 'Office 16 Click-to-Run',
        version: '16.0.4266.1001',
      },
    ],
  });
  const sw = (props: Record<string, string>): ConditionOutcome => one(expr('Software', props), {}, inv());

  it('ThisVersion by ProductCode, AnyVersion by UpgradeCode; braces and case do not matter', () => {
    expect(sw({ Operator: 'ThisVersion', ProductCode: '90160000-008c-0000-1000-0000000ff1ce' }).value).toBe(true);
    expect(sw({ Operator: 'thisversion', ProductCode: '{11111111-008C-0000-1000-0000000FF1CE}' }).value).toBe(false);
    const any = sw({ Operator: 'AnyVersion', UpgradeCode: '{00004159-0000-0000-0000-0000000ff1ce}', ProductName: 'Office' });
    expect(any.value).toBe(true);
    expect(any.trace[0].observed).toBe('installed: Office 16 Click-to-Run 16.0.4266.1001 {90160000-008C-0000-1000-0000000FF1CE}');
    expect(sw({ Operator: 'AnyVersion', UpgradeCode: '{00004159-0000-0000-0000-000000000000}' }).trace[0].observed).toMatch(
      /no installed MSI product has UpgradeCode/,
    );
    expect(sw({ Operator: 'Latest', ProductCode: 'x' }).errors[0]).toMatchObject({ construct: 'operator' });
    expect(sw({ Operator: 'ThisVersion' }).errors[0].message).toMatch(/no ProductCode/);
  });
});

describe('MDT OS version conditions (SMS_TaskSequence_OSConditionExpression)', () => {
  const inv = withClass(exampleInventory(), 'Win32_OperatingSystem', [{ Version: '10.0.19045', OSArchitecture: '64-bit', ServicePackMajorVersion: 0 }]);
  const os = (props: Record<string, string>, i = inv): ConditionOutcome => one(expr('OS', props), {}, i);

  it('architecture and version against Win32_OperatingSystem', () => {
    expect(os({ Architecture: 'X64', Version: '10.0', Operator: 'equals' }).value).toBe(true);
    expect(os({ Architecture: 'x86', Version: '10.0', Operator: 'equals' }).value).toBe(false);
    expect(os({ Architecture: 'X64', Version: '6.10.7601.1', Operator: 'greater' }).value).toBe(true);
    expect(os({ Version: '10.0.22000', Operator: 'lessEqual' }).value).toBe(true);
    expect(os({ Version: '10.00.19045', Operator: 'Equals' }).value).toBe(true);
    expect(os({ Architecture: 'X64', Version: '10.0', Operator: 'equals' }).trace[0].observed).toBe('the OS is 10.0.19045 SP0 x64');
    expect(os({ Version: '10.0', Operator: 'equals' }, exampleInventory()).trace[0].observed).toBe('no Win32_OperatingSystem instance on this machine');
    const cpuOnly = withClass(
      withClass(exampleInventory(), 'Win32_OperatingSystem', [{ Version: '6.1.7601', ServicePackMajorVersion: 1 }]),
      'Win32_Processor',
      [{ Architecture: 0 }],
    );
    expect(os({ Architecture: 'X86', Version: '6.10.7601.1', Operator: 'equals' }, cpuOnly).value).toBe(true);
    expect(os({ Version: '10', Operator: 'around' }).errors[0]).toMatchObject({ construct: 'operator' });
  });
});

describe('Computer conditions (Set Dynamic Variables rules, conditions-wql §6.7)', () => {
  const inv = (): MachineInventory => {
    let i = withClass(exampleInventory(), 'Win32_BIOS', [{ SerialNumber: 'CN12345' }]);
    i = withClass(i, 'Win32_ComputerSystemProduct', [{ UUID: '4C4C4544-0042-3510-8051-B4C04F4E3232' }]);
    return withClass(i, 'Win32_NetworkAdapterConfiguration', [
      { Index: 1, IPEnabled: true, MACAddress: '8C:EC:4B:12:34:56' },
      { Index: 2, IPEnabled: false, MACAddress: '00:11:22:33:44:55' },
    ]);
  };
  const computer = (props: Record<string, string>, vars: Record<string, string> = {}): ConditionOutcome =>
    one(expr('Computer', { AssetTag: '', MACAddress: '', SerialNumber: '', UUID: '', ...props }), vars, inv());

  it('any non-empty key matching the machine makes it true', () => {
    expect(computer({ AssetTag: 'a-00417' }).value).toBe(true);
    expect(computer({ SerialNumber: 'CN12345', AssetTag: 'nope' }).value).toBe(true);
    expect(computer({ UUID: '{4c4c4544-0042-3510-8051-b4c04f4e3232}' }).value).toBe(true);
    expect(computer({ MACAddress: '8c-ec-4b-12-34-56' }).value).toBe(true);
    expect(computer({ MACAddress: '00:11:22:33:44:55' }).value).toBe(false);
    expect(computer({ AssetTag: 's' }).trace[0].observed).toBe('no key matches: AssetTag "s" vs "A-00417"');
  });

  it('the _SMSTS* variables win over the inventory; all keys empty is false', () => {
    expect(computer({ AssetTag: 's' }, { _SMSTSAssetTag: 'S' }).value).toBe(true);
    expect(computer({ MACAddress: '00:11:22:33:44:55' }, { _SMSTSMacAddresses: '00:11:22:33:44:55,AA:BB:CC:DD:EE:FF' }).value).toBe(true);
    expect(computer({ MACAddress: 'AABBCCDDEEFF' }, { _SMSTSMacAddresses001: '00:11:22:33:44:55', _SMSTSMacAddresses002: 'AA:BB:CC:DD:EE:FF' }).value).toBe(
      true,
    );
    const none = computer({});
    expect(none.value).toBe(false);
    expect(none.errors).toEqual([]);
  });
});

describe('validateCondition and conditionWarnings', () => {
  it('static errors: syntax, wrong-typed constants on catalogued classes, bad File/Registry/Software/OS properties', () => {
    const c = cond(
      wmi('SELECT * FROM Win32_ComputerSystem WHERE PartOfDomain > 0'),
      wmi("SELECT * FROM Win32_LogicalDisk WHERE DriveType = 'fixed'"),
      op('or', wmi('SELECT * FROM WHERE')),
      expr('File', { Path: '' }),
      expr('Registry', { KeyPath: 'HKLM\\x', Operator: 'exist' }),
      expr('Software', { Operator: 'ThisVersion' }),
      expr('OS', { Version: 'ten', Operator: 'equals' }),
      varExpr('A', 'equals', '1'),
      wmi('SELECT * FROM Vendor_Class WHERE Foo = 1', 'root\\Vendor'),
    );
    const errors = validateCondition(c);
    expect(errors.map((e) => [e.path.join('.'), e.construct])).toEqual([
      ['0', 'WQL query'],
      ['1', 'WQL query'],
      ['2.0', 'WQL query'],
      ['3', 'expression'],
      ['4', 'operator'],
      ['5', 'expression'],
      ['6', 'expression'],
    ]);
    expect(errors[0]).toMatchObject({
      code: 0x80041017,
      column: 57,
      severity: 'error',
      text: 'WMI root\\cimv2: SELECT * FROM Win32_ComputerSystem WHERE PartOfDomain > 0',
    });
    expect(errors[2]).toMatchObject({ column: 15, expected: 'a class name', rule: 'WQL_SYNTAX' });
  });

  it('warnings: empty operator with siblings (corpus HP step), unknown class, unknown property, array comparison', () => {
    const w = conditionWarnings(
      cond(
        op('or'),
        wmi("SELECT * FROM Win32_ComputerSystem WHERE Manufacturer LIKE '%HP%'"),
        wmi('SELECT * FROM Win32_ComputerSystem WHERE Modle = 1'),
        wmi('SELECT * FROM Win32_SystemEnclosure WHERE ChassisTypes = 10'),
        wmi('SELECT * FROM HP_BIOSSetting', 'root\\HP\\InstrumentedBIOS'),
      ),
    );
    expect(w.map((x) => [x.rule, x.path.join('.')])).toEqual([
      ['COND_EMPTY_OPERATOR_WITH_SIBLINGS', '0'],
      ['WQL_UNKNOWN_PROPERTY', '2'],
      ['WQL_ARRAY_COMPARISON', '3'],
      ['WQL_UNKNOWN_CLASS', '4'],
    ]);
    expect(w.every((x) => x.severity === 'warning')).toBe(true);
    expect(w[1].message).toMatch(/did you mean Model/);
    expect(validateCondition(cond(wmi('SELECT * FROM Win32_ComputerSystem WHERE Modle = 1')))).toEqual([]);
    const withVar = cond(wmi("SELECT * FROM Win32_ComputerSystem WHERE Model LIKE '%TargetModel%'"));
    expect(conditionWarnings(withVar, { isVariable: (n) => n.toLowerCase() === 'targetmodel' }).map((x) => x.rule)).toEqual(['WQL_VAR_IN_QUERY']);
    expect(conditionWarnings(withVar)).toEqual([]);
  });
});
