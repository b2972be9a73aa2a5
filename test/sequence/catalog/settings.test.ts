/**
 * Typed settings and action building of the main step types (task-sequence-format §7, §8), and a
 * property test: whatever the variables hold, write(read(x)) gives them back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyNetworkSettings,
  applyOperatingSystem,
  installApplication,
  readSettings,
  restartComputer,
  runCommandLine,
  runPowerShellScript,
  setDynamicVariables,
  setTaskSequenceVariable,
  STEP_TYPES,
  stepTypeOf,
  writeSettings,
} from '../../../src/sequence/catalog/index.js';
import type { ApplyNetworkSettings } from '../../../src/sequence/catalog/steps/apply-network-settings.js';
import type { ApplyOperatingSystemSettings } from '../../../src/sequence/catalog/steps/apply-operating-system.js';
import type { InstallApplicationSettings } from '../../../src/sequence/catalog/steps/install-application.js';
import type { RestartComputerSettings } from '../../../src/sequence/catalog/steps/restart-computer.js';
import type { RunPowerShellScriptSettings } from '../../../src/sequence/catalog/steps/run-powershell-script.js';
import { formatDynamicVariableRules, type SetDynamicVariablesSettings } from '../../../src/sequence/catalog/steps/set-dynamic-variables.js';
import type { Step, StepVariable } from '../../../src/sequence/model/task-sequence.js';
import { HAVE_CORPUS, comparable, corpusSteps, stepByPath } from './corpus.js';

const v = (name: string, property: string, value: string, hidden?: boolean): StepVariable =>
  hidden ? { name, property, hidden, value } : { name, property, value };

function stepOf(type: string, variables: StepVariable[], action?: string): Step {
  return { kind: 'step', name: 'x', type, variables, action };
}

describe('Apply Operating System Image', () => {
  const base = [v('OSDImageIndex', 'ImageIndex', '2'), v('ImagePackageID', 'ImagePackageID', 'XYZ00012', true)];

  it('reads each destination kind and builds the /target of §7', () => {
    const cases: Array<[StepVariable[], ApplyOperatingSystemSettings['destination'], string]> = [
      [[], { kind: 'next-available' }, ''],
      [[v('DestinationVariable', 'DestinationVariable', 'OSDisk', true)], { kind: 'variable', variable: 'OSDisk' }, ' /target:%OSDisk%'],
      [[v('DestinationLogicalDrive', 'DestinationLogicalDrive', 'C:', true)], { kind: 'logical-drive', drive: 'C:' }, ' /target:C:'],
      [
        [v('DestinationDisk', 'DestinationDisk', '0', true), v('DestinationPartition', 'DestinationPartition', '2', true)],
        { kind: 'disk-partition', disk: 0, partition: 2 },
        ' /target:0,2',
      ],
    ];
    for (const [extra, destination, target] of cases) {
      const step = stepOf(applyOperatingSystem.type, [...base, ...extra]);
      const read = readSettings<ApplyOperatingSystemSettings>(step)!;
      expect(read.issues).toEqual([]);
      expect(read.settings.destination).toEqual(destination);
      expect(applyOperatingSystem.buildAction!(step)).toBe(`OSDApplyOS.exe /image:XYZ00012,%OSDImageIndex%${target}`);
    }
  });

  it('builds /config, /install and /runfromnet', () => {
    const step = stepOf(applyOperatingSystem.type, [
      v('OSDConfigFileName', 'ConfigFileName', 'unattend.xml'),
      v('ConfigFilePackage', 'ConfigFilePackage', 'XYZ00009', true),
      v('OSDInstallEditionIndex', 'InstallEditionIndex', '1'),
      v('InstallPackageID', 'InstallPackageID', 'XYZ0000A', true),
      v('RunFromNet', 'RunFromNet', 'true', true),
    ]);
    expect(applyOperatingSystem.buildAction!(step)).toBe(
      'OSDApplyOS.exe /install:XYZ0000A,%OSDInstallEditionIndex% "/config:XYZ00009,%OSDConfigFileName%" /runfromnet:True',
    );
  });

  it('reports conflicting destinations and a disk without partition', () => {
    const { issues, settings } = applyOperatingSystem.settings!.read([
      ...base,
      v('DestinationVariable', 'DestinationVariable', 'OSDisk', true),
      v('DestinationDisk', 'DestinationDisk', '1', true),
    ]);
    expect(settings.destination).toEqual({ kind: 'variable', variable: 'OSDisk' });
    expect(issues).toEqual(['DestinationDisk=1 has no DestinationPartition', 'several destinations are set (variable, disk-partition); using variable']);
  });

  it('rewrites the variables and the action when the destination changes', () => {
    const step = stepOf(
      applyOperatingSystem.type,
      [...base, v('DestinationVariable', 'DestinationVariable', 'OSDisk', true)],
      'OSDApplyOS.exe /image:XYZ00012,%OSDImageIndex% /target:%OSDisk%',
    );
    const { settings } = readSettings<ApplyOperatingSystemSettings>(step)!;
    const out = writeSettings(step, { ...settings, destination: { kind: 'logical-drive', drive: 'D:' } });
    expect(out.action).toBe('OSDApplyOS.exe /image:XYZ00012,%OSDImageIndex% /target:D:');
    expect(out.variables!.map((x) => x.name)).toEqual(['DestinationLogicalDrive', 'OSDImageIndex', 'ImagePackageID']);
  });
});

describe('Restart Computer', () => {
  it.skipIf(!HAVE_CORPUS)('reads MDT Lite Touch un-prefixed variables (Message, MessageTimeout, Target)', () => {
    const lti = corpusSteps().find((s) => s.file === 'mdt8456-lti-client-template.xml' && s.step.type === restartComputer.type)!;
    const { settings, issues } = readSettings<RestartComputerSettings>(lti.step)!;
    expect(issues).toEqual([]);
    expect(settings).toMatchObject({ message: '', messageTimeout: 60, target: undefined });
    expect(restartComputer.buildAction!(lti.step)).toBe('smsboot.exe /target:WinPE');
  });

  it('writes the target into the hidden variable and the action', () => {
    const step = stepOf(restartComputer.type, [], undefined);
    const out = writeSettings<RestartComputerSettings>(step, { target: 'HD', message: 'Bye', messageTimeout: 30 });
    expect(out.action).toBe('smsboot.exe /target:HD');
    expect(comparable(out.variables)).toEqual([
      { name: 'SMSRebootMessage', property: 'Message', value: 'Bye' },
      { name: 'SMSRebootTimeout', property: 'MessageTimeout', value: '30' },
      { name: 'SMSRebootTarget', property: 'Target', hidden: true, value: 'HD' },
    ]);
  });
});

describe('Install Application', () => {
  it('reads the comma list of applications and builds smsappinstall.exe', () => {
    const step = stepOf(installApplication.type, [
      v('ApplicationName', 'ApplicationName', 'ScopeId_1/Application_a,ScopeId_1/Application_b', true),
      v('BaseVariableName', 'BaseVariableName', '', true),
      v('ContinueOnInstallError', 'ContinueOnInstallError', 'true', true),
      v('RetryCount', 'RetryCount', '2', true),
    ]);
    const { settings } = readSettings<InstallApplicationSettings>(step)!;
    expect(settings.applications).toEqual(['ScopeId_1/Application_a', 'ScopeId_1/Application_b']);
    expect(settings.retryCount).toBe(2);
    expect(installApplication.buildAction!(step)).toBe(
      'smsappinstall.exe /app:ScopeId_1/Application_a,ScopeId_1/Application_b /basevar: /continueOnError:True',
    );
  });
});

describe('Set Task Sequence Variable', () => {
  it('builds tsenv.exe with /hiddenflag only when the 3.10 property is there', () => {
    const older = stepOf(setTaskSequenceVariable.type, [
      v('VariableName', 'VariableName', 'OSDDiskPart', true),
      v('VariableValue', 'VariableValue', 'TRUE', true),
    ]);
    expect(setTaskSequenceVariable.buildAction!(older)).toBe('tsenv.exe "OSDDiskPart=TRUE"');
    const current = stepOf(setTaskSequenceVariable.type, [v('DoNotShowVariableValue', 'DoNotShowVariableValue', 'true', true), ...older.variables!]);
    expect(setTaskSequenceVariable.buildAction!(current)).toBe('tsenv.exe "OSDDiskPart=TRUE" /hiddenflag:True');
  });
});

describe('Run Command Line and Run PowerShell Script', () => {
  it('reads success codes and builds smsswd.exe /run:', () => {
    const step = stepOf(runCommandLine.type, [v('CommandLine', 'CommandLine', 'cmd /c exit 0', true), v('SuccessCodes', 'SuccessCodes', '0 3010 1641', true)]);
    expect(readSettings(step)!.settings).toMatchObject({ commandLine: 'cmd /c exit 0', successCodes: [0, 3010, 1641] });
    expect(runCommandLine.buildAction!(step)).toBe('smsswd.exe /run: cmd /c exit 0');
  });

  it('decodes and re-encodes an inline PowerShell script (base64 of UTF-16LE with BOM)', () => {
    const step = stepOf(runPowerShellScript.type, [v('OSDRunPowerShellScriptSourceScript', 'SourceScript', '//5zAA==')]);
    const { settings, issues } = readSettings<RunPowerShellScriptSettings>(step)!;
    expect(issues).toEqual([]);
    expect(settings.sourceScript).toBe('s');
    const out = runPowerShellScript.settings!.write({ sourceScript: 'Write-Host "é"' });
    const back = runPowerShellScript.settings!.read(out).settings as RunPowerShellScriptSettings;
    expect(back.sourceScript).toBe('Write-Host "é"');
    const bad = runPowerShellScript.settings!.read([v('OSDRunPowerShellScriptSourceScript', 'SourceScript', 'not base64!')]);
    expect(bad.issues).toEqual(['OSDRunPowerShellScriptSourceScript="not base64!" is not base64 of UTF-16 text']);
  });
});

describe('Set Dynamic Variables', () => {
  it.skipIf(!HAVE_CORPUS)('parses the escaped <Rules> document of real exports', () => {
    const step = stepByPath(
      'cm-export-module-bios-update.xml',
      corpusSteps().find((s) => s.file === 'cm-export-module-bios-update.xml' && s.step.type === setDynamicVariables.type)!.path,
    );
    const { settings, issues } = readSettings<SetDynamicVariablesSettings>(step)!;
    expect(issues).toEqual([]);
    expect(settings.rules).toEqual([
      { variables: [{ name: 'MDMUserName', isSecret: false, value: 'VIAMONSTRA\\CM_WS' }] },
      // Secret values are exported empty (§1).
      { variables: [{ name: 'MDMPassword', isSecret: true, value: '' }] },
    ]);
    expect(formatDynamicVariableRules(settings.rules!)).toBe(step.variables![0].value);
  });

  it('keeps a rule condition as XML and writes it back in place', () => {
    const rules = [
      {
        condition:
          '<condition><expression type="SMS_TaskSequence_ComputerConditionExpression"><variable name="AssetTag">A&amp;B</variable></expression></condition>',
        variables: [{ name: 'Site', isSecret: false, value: '<north>' }],
      },
    ];
    const text = formatDynamicVariableRules(rules);
    expect(text).toBe(
      '<Rules><Rule><condition><expression type="SMS_TaskSequence_ComputerConditionExpression"><variable name="AssetTag">A&amp;B</variable></expression></condition>' +
        '<Variables><Variable Name="Site" IsSecret="false">&lt;north&gt;</Variable></Variables></Rule></Rules>\n',
    );
    const back = setDynamicVariables.settings!.read([v('OSDSetDynamicVariablesRules', 'Rules', text)]);
    expect(back.issues).toEqual([]);
    expect((back.settings as SetDynamicVariablesSettings).rules).toEqual(rules);
  });

  it('reports a malformed rules document and keeps it as written', () => {
    const variables = [v('OSDSetDynamicVariablesRules', 'Rules', '<Rules><Rule>')];
    const { settings, issues } = setDynamicVariables.settings!.read(variables);
    expect((settings as SetDynamicVariablesSettings).rules).toBeUndefined();
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^OSDSetDynamicVariablesRules is not well-formed XML: /);
    expect(comparable(setDynamicVariables.settings!.write(settings))).toEqual(comparable(variables));
  });
});

describe('Apply Network Settings', () => {
  it('reads the join type and the adapter array, and writes ConfigMgr order', () => {
    const variables = [
      v('OSDAdapter', 'Adapters', '1', true),
      v('OSDAdapter0DNSServerList', 'Adapters0DNSServerList', '10.0.0.1, 10.0.0.2'),
      v('OSDAdapter0EnableDHCP', 'Adapters0EnableDHCP', 'false'),
      v('OSDAdapter0IPAddressList', 'Adapters0IPAddressList', '10.0.0.5'),
      v('OSDAdapter0MacAddress', 'Adapters0MACAddress', '00:15:5D:00:00:01'),
      v('OSDAdapter0TcpipNetbiosOptions', 'Adapters0TcpipNetbiosOptions', '2'),
      v('OSDDomainName', 'DomainName', 'contoso.com'),
      v('OSDNetworkJoinType', 'NetworkJoinType', '0'),
      v('OSDAdapterCount', 'NumAdapters', '1', true),
    ];
    const { settings, issues } = applyNetworkSettings.settings!.read(variables);
    const s = settings as ApplyNetworkSettings;
    expect(issues).toEqual([]);
    expect(s.joinType).toBe('domain');
    expect(s.adapters).toEqual([
      expect.objectContaining({
        dnsServerList: ['10.0.0.1', '10.0.0.2'],
        enableDHCP: false,
        ipAddressList: ['10.0.0.5'],
        macAddress: '00:15:5D:00:00:01',
        tcpipNetbiosOptions: 2,
      }),
    ]);
    const { layout: _, ...plain } = s;
    expect(applyNetworkSettings.settings!.write(plain).map((x) => `${x.name}=${x.value}`)).toEqual([
      'OSDAdapter=1',
      'OSDAdapter0DNSServerList=10.0.0.1,10.0.0.2',
      'OSDAdapter0EnableDHCP=false',
      'OSDAdapter0IPAddressList=10.0.0.5',
      'OSDAdapter0MacAddress=00:15:5D:00:00:01',
      'OSDAdapter0TcpipNetbiosOptions=2',
      'OSDDomainName=contoso.com',
      'OSDNetworkJoinType=0',
      'OSDAdapterCount=1',
    ]);
    expect(comparable(applyNetworkSettings.settings!.write(s))).toEqual(comparable(variables));
  });
});

describe('lenient reading of every typed step', () => {
  // Values chosen to be wrong for every kind of setting, plus ones that are right in odd spellings.
  const values = ['', ' ', 'true', 'False', 'TRUE', 'yes', '0', '12', '-3', ' 7 ', '1.5', 'a, b,,c', 'PERCENT', '%', 'Primary', '<Rules>', '//5zAA=='];
  const typed = STEP_TYPES.filter((t) => t.settings);

  it('never throws, and write(read(x)) gives x back for any values, order and spelling', () => {
    for (const type of typed) {
      const specs = type.properties.concat(
        (type.arrays ?? []).flatMap((a) =>
          [0, 1].flatMap((i) =>
            a.elements.map((e) => ({ ...e, variable: e.variable.replace('{i}', String(i)), property: e.property.replace('{i}', String(i)) })),
          ),
        ),
      );
      if (specs.length === 0) {
        // Release State Store: no properties; anything found is kept as written.
        const vars = [{ name: 'Extra', value: 'x' }];
        expect(comparable(type.settings!.write(type.settings!.read(vars).settings))).toEqual(comparable(vars));
        continue;
      }
      // Array counts (and the array's own header property, e.g. OSDAdapter ← Adapters).
      const countProps = new Set(
        (type.arrays ?? [])
          .flatMap((a) => [a.countProperty, a.elements[0].property.split('{i}')[0]])
          .filter((c) => type.properties.some((p) => p.property === c)),
      );
      const variable = fc.record({
        spec: fc.constantFrom(...specs),
        value: fc.oneof(fc.constantFrom(...values), fc.string({ maxLength: 12 })),
        nameCase: fc.constantFrom('as-is', 'lower', 'upper'),
        withProperty: fc.boolean(),
        hidden: fc.constantFrom(undefined, true, false),
      });
      fc.assert(
        fc.property(fc.uniqueArray(variable, { selector: (x) => x.spec.variable, maxLength: 12 }), fc.string({ maxLength: 6 }), (picked, extra) => {
          const vars: StepVariable[] = picked.map((p) => {
            const name = p.nameCase === 'lower' ? p.spec.variable.toLowerCase() : p.nameCase === 'upper' ? p.spec.variable.toUpperCase() : p.spec.variable;
            const out: StepVariable = { name, value: p.value };
            if (p.withProperty) out.property = p.spec.property;
            if (p.hidden !== undefined) out.hidden = p.hidden;
            return out;
          });
          // ConfigMgr always writes the count of an array (OSDPartitions, OSDAdapterCount, OSDAdapter);
          // a file without it gets one on write, which is a fix, not a round-trip loss.
          for (const c of countProps) {
            if (!picked.some((p) => p.spec.property === c)) {
              const spec = type.properties.find((p) => p.property === c)!;
              vars.unshift({ name: spec.variable, property: spec.property, value: '0' });
            }
          }
          vars.splice(Math.min(1, vars.length), 0, { name: `MDTExtra${extra}`, value: extra });
          const { settings, issues } = type.settings!.read(vars);
          expect(Array.isArray(issues)).toBe(true);
          expect(comparable(type.settings!.write(settings)), type.type).toEqual(comparable(vars));
        }),
        { numRuns: 150 },
      );
    }
  });
});

describe.skipIf(!HAVE_CORPUS)('writeSettings', () => {
  it('leaves an MDT script action alone and rebuilds a ConfigMgr one', () => {
    const lti = corpusSteps().find((s) => s.file === 'mdt8456-lti-oem-template.xml' && s.step.type === setTaskSequenceVariable.type)!;
    const read = readSettings(lti.step)!;
    const out = writeSettings(lti.step, { ...(read.settings as object), value: 'changed' });
    expect(out.action).toBe(lti.step.action);
    const cm = corpusSteps().find((s) => s.file === 'cm-export-all-step-types-catalog.xml' && s.step.type === setTaskSequenceVariable.type)!;
    const cmRead = readSettings(cm.step)!;
    expect(writeSettings(cm.step, { ...(cmRead.settings as object), value: 'changed' }).action).toBe('tsenv.exe "s=changed" /hiddenflag:False');
  });

  it('refuses a step type without typed settings', () => {
    expect(() => writeSettings(stepOf('BDD_Gather', []), {})).toThrow(/no typed settings/);
    expect(stepTypeOf('SMS_TaskSequence_JoinDomainWorkgroupAction')?.settings).toBeUndefined();
  });
});
