import { describe, expect, it } from 'vitest';
import { importXmlText } from '../../../src/sequence/codec/xml-import.js';
import { hasErrors, LINT_RULES, lintSequence } from '../../../src/sequence/lint/lint.js';
import type { LintFinding } from '../../../src/sequence/lint/finding.js';
import { parseSiteManifest } from '../../../src/sequence/site-manifest.js';
import { corpusFiles, corpusText } from '../../helpers/corpus.js';

const lint = (xml: string, manifest?: string): LintFinding[] =>
  lintSequence(importXmlText(`<sequence version="3.10">${xml}</sequence>`).sequence, {
    manifest: manifest ? parseSiteManifest(manifest, 'site.json') : undefined,
  });
const rules = (f: LintFinding[]): string[] => f.map((x) => x.rule);

const varCond = (variable: string, op: string, value: string): string =>
  `<expression type="SMS_TaskSequence_VariableConditionExpression"><variable name="Operator">${op}</variable><variable name="Value">${value}</variable><variable name="Variable">${variable}</variable></expression>`;
const step = (name: string, type: string, opts: { cond?: string; vars?: Record<string, string>; extra?: string; action?: string } = {}): string =>
  `<step type="${type}" name="${name}" description=""${opts.extra ?? ''}>${opts.cond ? `<condition>${opts.cond}</condition>` : ''}<action>${opts.action ?? 'x.exe'}</action><defaultVarList>${Object.entries(
    opts.vars ?? {},
  )
    .map(([k, v]) => `<variable name="${k}" property="${k}">${v}</variable>`)
    .join('')}</defaultVarList></step>`;
const cmd = (name: string, cond?: string): string => step(name, 'SMS_TaskSequence_RunCommandLineAction', { cond });
const GUARDS =
  varCond('_SMSTSClientCache', 'notExists', '') + varCond('_SMSTSMediaType', 'notEquals', 'OEMMedia') + varCond('_OSDMigrateUseHardlinks', 'notEquals', 'true');
const partition = (name: string, cond = GUARDS): string => step(name, 'SMS_TaskSequence_PartitionDiskAction', { cond, extra: ' runIn="WinPE"' });

describe('lint rules', () => {
  it('every rule has an id, a severity and a summary; ids are unique', () => {
    expect(new Set(LINT_RULES.map((r) => r.id)).size).toBe(LINT_RULES.length);
  });

  it('names over 50 (editor) and over 100 (SDK) characters, descriptions over 256', () => {
    const f = lint(`${cmd('x'.repeat(51))}${cmd('y'.repeat(101))}<group name="g" description="${'d'.repeat(257)}">${cmd('a')}</group>`);
    expect(
      f
        .filter((x) => x.rule === 'name-too-long')
        .map((x) => x.severity)
        .sort(),
    ).toEqual(['error', 'warning']);
    expect(f.find((x) => x.rule === 'description-too-long')?.path).toBe('g');
  });

  it("duplicate sibling names, reported once with the second one's path", () => {
    const f = lint(`<group name="G" description="">${cmd('Copy logs')}${cmd('copy logs')}${cmd('Other')}</group>`);
    const dup = f.filter((x) => x.rule === 'duplicate-sibling-name');
    expect(dup).toHaveLength(1);
    expect(dup[0].path).toBe('G / copy logs[2]');
  });

  it('conditions that can never be true, or are always true, on engine variables', () => {
    const f = lint(
      cmd('a', varCond('_SMSTSInWinPE', 'equals', 'maybe')) +
        cmd('b', varCond('_SMSTSinWInPE', 'Equals', 'TRUE')) +
        cmd('c', varCond('_SMSTSBootUEFI', 'notEquals', 'yes')) +
        cmd('d', varCond('MyVar', 'equals', 'maybe')),
    );
    const never = f.filter((x) => x.rule === 'condition-never-true');
    expect(never.map((x) => x.path)).toEqual(['a']);
    expect(never[0].message).toMatch(/_SMSTSInWinPE equals "maybe" can never be true/);
    expect(f.filter((x) => x.rule === 'condition-always-true').map((x) => x.path)).toEqual(['c']);
  });

  it('unknown operators and empty variable names', () => {
    const f = lint(
      cmd('a', varCond('X', 'like', 'y')) + cmd('b', `<operator type="xor">${varCond('A', 'equals', '1')}</operator>`) + cmd('c', varCond('', 'equals', '1')),
    );
    expect(f.filter((x) => x.rule === 'condition-invalid').map((x) => x.path)).toEqual(['a', 'b', 'c']);
  });

  it('a WinPE-only step where the computer can only be in the full OS', () => {
    const f = lint(
      step('Setup Windows and ConfigMgr', 'SMS_TaskSequence_SetupWindowsAndSMSAction') +
        step('Apply Operating System', 'SMS_TaskSequence_ApplyOperatingSystemAction', { extra: ' runIn="WinPE"' }),
    );
    const wrong = f.filter((x) => x.rule === 'wrong-environment');
    expect(wrong).toHaveLength(1);
    expect(wrong[0]).toMatchObject({ severity: 'error', path: 'Apply Operating System' });
    expect(wrong[0].message).toMatch(/runs only in Windows PE, but the computer can only be in the full OS/);
  });

  it("no environment error for the wizard's shape: restart in WinPE when not in WinPE, then WinPE steps", () => {
    const f = lint(
      `<group name="Install Operating System" description="">${step('Restart in Windows PE', 'SMS_TaskSequence_RebootAction', { cond: varCond('_SMSTSInWinPE', 'equals', 'false'), vars: { SMSRebootTarget: 'WinPE' } })}${partition('Partition Disk 0 - UEFI')}${step('Apply Operating System', 'SMS_TaskSequence_ApplyOperatingSystemAction', { extra: ' runIn="WinPE"' })}</group><group name="Setup Operating System" description="">${step('Setup Windows and Configuration Manager', 'SMS_TaskSequence_SetupWindowsAndSMSAction')}${step('Install Applications', 'SMS_TaskSequence_InstallApplicationAction', { vars: { ApplicationName: 'App' }, extra: ' runIn="FullOS"' })}</group>`,
    );
    expect(rules(f)).not.toContain('wrong-environment');
    // … and a full-OS-only step right after the restart into WinPE is caught.
    const g = lint(
      step('Restart in Windows PE', 'SMS_TaskSequence_RebootAction', { vars: { SMSRebootTarget: 'WinPE' } }) +
        step('Install Applications', 'SMS_TaskSequence_InstallApplicationAction', { vars: { ApplicationName: 'App' } }),
    );
    expect(g.filter((x) => x.rule === 'wrong-environment').map((x) => x.path)).toEqual(['Install Applications']);
  });

  it('Format and Partition Disk without the data-loss guards, inherited guards count', () => {
    const f = lint(
      partition('Bare', '') +
        `<group name="Guarded" description=""><condition>${GUARDS}</condition>${partition('Inner', varCond('_SMSTSBootUEFI', 'equals', 'true'))}</group>` +
        partition('Half', varCond('_SMSTSMediaType', 'notEquals', 'OEMMedia')),
    );
    const found = f.filter((x) => x.rule === 'partition-without-guards');
    expect(found.map((x) => x.path)).toEqual(['Bare', 'Half']);
    expect(found[1].hint).toMatch(/_SMSTSClientCache notExists/);
    expect(found[1].hint).not.toMatch(/OEMMedia/);
  });

  it('Capture User State of all profiles whose Restore does not restore local accounts (wizard quirk)', () => {
    const cap = step('Capture User Files and Settings', 'SMS_TaskSequence_CaptureUserStateAction', { vars: { OSDMigrateMode: 'Simple' } });
    const bad = step('Restore User Files and Settings', 'SMS_TaskSequence_RestoreUserStateAction', { vars: { OSDMigrateLocalAccounts: 'false' } });
    const good = step('Restore User Files and Settings', 'SMS_TaskSequence_RestoreUserStateAction', {
      vars: { OSDMigrateLocalAccounts: 'true', OSDMigrateLocalAccountPassword: 'x' },
    });
    expect(rules(lint(cap + bad))).toContain('capture-all-profiles-without-local-accounts');
    expect(rules(lint(cap + good))).not.toContain('capture-all-profiles-without-local-accounts');
  });

  describe('user state (user-state.md §2.6 lint rules, §2.8 case 12)', () => {
    const request = (type = 'capture', extra = ''): string =>
      step(`Request State Store (${type})`, 'SMS_TaskSequence_RequestStateStoreAction', { vars: { OSDStateRequestType: type }, extra });
    const release = step('Release State Store', 'SMS_TaskSequence_ReleaseStateStoreAction');
    const capture = (vars: Record<string, string> = {}): string =>
      step('Capture User Files and Settings', 'SMS_TaskSequence_CaptureUserStateAction', { vars: { OSDMigrateMode: 'Advanced', ...vars } });
    const setVar = (name: string, value: string): string =>
      step(`Set ${name}`, 'SMS_TaskSequence_SetVariableAction', { vars: { VariableName: name, VariableValue: value } });

    it('Request State Store without a Release after it', () => {
      expect(rules(lint(request() + capture()))).toContain('state-store-not-released');
      expect(rules(lint(request() + capture() + release))).not.toContain('state-store-not-released');
    });

    it('steps between Request and Release without continue on error (all but the last): info', () => {
      const f = lint(request() + cmd('Backup') + capture() + release);
      const found = f.filter((x) => x.rule === 'state-store-step-without-continue-on-error');
      expect(found.map((x) => [x.path, x.severity])).toEqual([['Backup', 'info']]);
      // Continue on error on the step, or on its group, satisfies it.
      const coe = step('Backup', 'SMS_TaskSequence_RunCommandLineAction', { extra: ' continueOnError="true"' });
      expect(rules(lint(request() + coe + capture() + release))).not.toContain('state-store-step-without-continue-on-error');
      const grouped = `<group name="G" description="" continueOnError="true">${cmd('Backup')}</group>`;
      expect(rules(lint(request() + grouped + capture() + release))).not.toContain('state-store-step-without-continue-on-error');
    });

    it('OSDStateStorePath set to a drive root is an error; a folder is fine', () => {
      for (const root of ['C:\\', 'C:', 'd:\\ ', '%SystemDrive%\\']) {
        const f = lint(setVar('OSDStateStorePath', root) + capture());
        expect(f.find((x) => x.rule === 'state-store-root-path')?.severity, root).toBe('error');
      }
      expect(rules(lint(setVar('OSDStateStorePath', 'C:\\UserState') + capture()))).not.toContain('state-store-root-path');
      expect(rules(lint(setVar('OSDStateStorePath', '%_SMSTSUserStatePath%') + capture()))).not.toContain('state-store-root-path');
    });

    it('hard links with a state migration point are an error; hard links alone, or a restore request, are not', () => {
      expect(rules(lint(request() + capture({ _OSDMigrateUseHardlinks: 'true' }) + release))).toContain('hardlinks-with-state-migration-point');
      expect(rules(lint(capture({ _OSDMigrateUseHardlinks: 'true' })))).not.toContain('hardlinks-with-state-migration-point');
      expect(rules(lint(request() + capture() + release))).not.toContain('hardlinks-with-state-migration-point');
      expect(rules(lint(request('restore') + release + capture({ _OSDMigrateUseHardlinks: 'true' })))).not.toContain('hardlinks-with-state-migration-point');
    });

    it('USMT switches that are not honoured are named; honoured ones are not', () => {
      const f = lint(setVar('OSDMigrateAdditionalCaptureOptions', '/ue:*\\* /ui:CONTOSO\\alice /config:x.xml /c /nocompress') + capture());
      const found = f.filter((x) => x.rule === 'usmt-option-ignored');
      expect(found).toHaveLength(1);
      expect(found[0].message).toMatch(/\/config in OSDMigrateAdditionalCaptureOptions/);
      expect(rules(lint(setVar('OSDMigrateAdditionalRestoreOptions', '/lac /lae /md:OLD:NEW /v:5')))).not.toContain('usmt-option-ignored');
    });

    it('the MDT client template: no user-state errors (the capture steps between Request and Release are only noted)', () => {
      const f = lintSequence(importXmlText(corpusText('mdt8456-sccm-client-template.xml')).sequence).filter((x) =>
        ['state-store-root-path', 'hardlinks-with-state-migration-point', 'state-store-not-released'].includes(x.rule),
      );
      expect(f).toEqual([]);
    });
  });

  it('Install Application with no applications', () => {
    const f = lint(
      step('Install Applications', 'SMS_TaskSequence_InstallApplicationAction', {
        vars: { ApplicationName: '', BaseVariableName: '' },
        action: 'smsappinstall.exe /app: /basevar: /continueOnError:False',
      }),
    );
    expect(f.find((x) => x.rule === 'install-application-empty')?.severity).toBe('error');
  });

  it('content references the site manifest does not know (only with a manifest)', () => {
    const xml =
      step('Apply Operating System', 'SMS_TaskSequence_ApplyOperatingSystemAction', { vars: { ImagePackageID: 'PS100010', OSDImageIndex: '1' } }) +
      step('Apply Driver Package', 'SMS_TaskSequence_ApplyDriverPackageAction', { vars: { DriverPackageID: 'PS1000FF' } }) +
      step('Run script', 'SMS_TaskSequence_RunCommandLineAction', { vars: { PackageID: '%ScriptPkg%' } }) +
      step('Install Applications', 'SMS_TaskSequence_InstallApplicationAction', {
        vars: { ApplicationName: 'ScopeId_A/Application_1,ScopeId_A/Application_2' },
      });
    expect(rules(lint(xml))).not.toContain('unknown-content');
    const manifest = JSON.stringify({
      imagePackages: [{ id: 'ps100010', name: 'Windows 11', images: [{ index: 1, name: 'Pro' }] }],
      applications: [
        { modelName: 'ScopeId_A/Application_1', name: 'App 1' },
        { modelName: 'ScopeId_A/Application_2', name: 'App 2', allowTaskSequenceInstall: false },
      ],
    });
    const f = lint(xml, manifest);
    expect(f.filter((x) => x.rule === 'unknown-content').map((x) => x.message)).toEqual([expect.stringMatching(/package PS1000FF/)]);
    expect(f.find((x) => x.rule === 'application-not-installable')?.message).toMatch(/App 2/);
    expect(hasErrors(f)).toBe(true);
  });

  it('a bad site manifest is refused with the path and the rule', () => {
    expect(() => parseSiteManifest('{"imagePackages":[{"id":"nope","name":"x","images":[]}]}', 'site.json')).toThrow(
      /site\.json: not a valid site manifest:\n {2}imagePackages\.0\.id: a PackageID is/,
    );
  });

  it('the corpus: no wrong-environment or never-true findings on real, working task sequences', () => {
    // The step-type catalog export holds one of every step in an arbitrary order: it cannot run, and lint says so.
    const catalog = lintSequence(importXmlText(corpusText('cm-export-all-step-types-catalog.xml')).sequence);
    expect(catalog.filter((x) => x.rule === 'wrong-environment').length).toBeGreaterThan(0);
    for (const file of corpusFiles().filter((f) => f !== 'cm-export-all-step-types-catalog.xml')) {
      const f = lintSequence(importXmlText(corpusText(file), file).sequence);
      expect(
        f.filter((x) => ['wrong-environment', 'condition-never-true', 'condition-invalid'].includes(x.rule)),
        file,
      ).toEqual([]);
    }
  });
});
