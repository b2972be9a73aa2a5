// The `osd` CLI as a user runs it: a real process, real files, exit codes and output.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalXml } from '../../src/sequence/xml/canonical.js';
import { parseXml } from '../../src/sequence/xml/reader.js';
import { consoleExportZip } from '../helpers/console-export.js';
import { corpusPath, corpusText } from '../helpers/corpus.js';
import { tempDir } from '../helpers/temp.js';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/osd.js');

function osd(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const canon = (xml: string): string => canonicalXml(parseXml(xml).root);
let dir: string;

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('build first: make build (the CLI runs from dist/)');
  dir = tempDir('osd-cli-');
});

describe('osd ts show', () => {
  it('prints the MDT ConfigMgr client template as a readable tree', () => {
    const r = osd('ts', 'show', corpusPath('mdt8456-sccm-client-template.xml'));
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^Client Task Sequence — version 3\.00, SmsTaskSequencePackage wrapper, 22 groups, 99 steps/);
    expect(out).toMatch(/├─ ▸ Initialization/);
    expect(out).toMatch(/if \(_SMSTSInWinPE equals "TRUE" AND _SMSTSMediaType notEquals "OEMMedia" AND NOT \(WMI root\\cimv2: select/);
    expect(out).toMatch(/\[DISABLED\]/);
    expect(out).toMatch(/\[continue on error\]/);
    // Every step of the file is in the tree.
    const steps = (corpusText('mdt8456-sccm-client-template.xml').match(/<step /g) ?? []).length;
    expect(out.split('\n').filter((l) => /[├└]─ (?!▸)/.test(l)).length).toBe(steps);
  });

  it('--json gives the tree for scripts; --variables masks secrets', () => {
    const r = osd('ts', 'show', corpusPath('cm-export-all-step-types-catalog.xml'), '--json', '--variables');
    const data = JSON.parse(r.stdout);
    expect(data.steps).toBeGreaterThan(30);
    const windows = JSON.stringify(data.items);
    expect(windows).not.toMatch(/"OSDLocalAdminPassword","property":"AdminPassword","hidden":(true|false),"value":"[^"*]/);
  });
});

describe('osd ts export', () => {
  it('XML → JSON file → XML file reproduces the original', () => {
    const src = corpusPath('mdt-hydrationkit-ws2022-dc01-ts.xml');
    const json = join(dir, 'dc01.json');
    const xml = join(dir, 'dc01.xml');
    expect(osd('ts', 'export', src, '--format', 'json', '--out', json).code).toBe(0);
    expect(osd('ts', 'export', json, '--format', 'xml', '--out', xml).code).toBe(0);
    expect(canon(readFileSync(xml, 'utf8'))).toBe(canon(readFileSync(src, 'utf8')));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a console export zip to XML on standard output', () => {
    const zip = join(dir, 'export.zip');
    writeFileSync(zip, consoleExportZip([{ packageId: 'PS100241', name: 'Upgrade', xml: corpusText('cm-export-win10-inplace-upgrade.xml') }]));
    const r = osd('ts', 'export', zip, '--format', 'xml');
    expect(r.code).toBe(0);
    expect(canon(r.stdout)).toBe(canon(corpusText('cm-export-win10-inplace-upgrade.xml')));
  });

  it('needs --format, and refuses an unknown one', () => {
    expect(osd('ts', 'export', corpusPath('mdt8456-lti-oem-template.xml')).code).toBe(2);
    const r = osd('ts', 'export', corpusPath('mdt8456-lti-oem-template.xml'), '--format', 'yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/yaml/);
  });
});

describe('bad input exits 2 with a clear message and writes nothing', () => {
  it('malformed XML: file:line:column and what was expected', () => {
    const bad = join(dir, 'bad.xml');
    writeFileSync(bad, '<sequence version="3.10">\n  <step name="a">\n    <action>x</action>\n</sequence>\n');
    const out = join(dir, 'never.json');
    const r = osd('ts', 'export', bad, '--format', 'json', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:4:1: expected </step> (opened at line 2, column 3), found </sequence>`);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(existsSync(out)).toBe(false);
  });

  it('a DOCTYPE is refused; an XML file that is not a task sequence is named', () => {
    const xxe = join(dir, 'xxe.xml');
    writeFileSync(xxe, '<?xml version="1.0"?>\n<!DOCTYPE sequence [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<sequence version="3.00">&x;</sequence>');
    const r = osd('ts', 'show', xxe);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/xxe\.xml:2:1: a <!DOCTYPE> declaration is not allowed/);
    expect(r.stdout).not.toContain('root:');
    const other = join(dir, 'unattend.xml');
    writeFileSync(other, '<?xml version="1.0"?><unattend xmlns="urn:schemas-microsoft-com:unattend"><settings pass="windowsPE"/></unattend>');
    expect(osd('ts', 'lint', other).stderr).toMatch(/this is not a task sequence: .* found an unattend\.xml answer file/);
  });

  it('a missing file', () => {
    const r = osd('ts', 'show', join(dir, 'nope.xml'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.xml: task sequence file not found/);
  });
});

describe('osd ts lint', () => {
  it('exit 1 when it finds errors, 0 otherwise; --json for scripts', () => {
    const bad = join(dir, 'lint-bad.xml');
    writeFileSync(
      bad,
      '<sequence version="3.10"><step type="SMS_TaskSequence_RunCommandLineAction" name="Only in WinPE?" description=""><condition><expression type="SMS_TaskSequence_VariableConditionExpression"><variable name="Operator">equals</variable><variable name="Value">maybe</variable><variable name="Variable">_SMSTSInWinPE</variable></expression></condition><action>cmd /c exit 0</action></step></sequence>',
    );
    const r = osd('ts', 'lint', bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ERROR {3}condition-never-true {2}Only in WinPE\?/);
    const j = JSON.parse(osd('ts', 'lint', bad, '--json').stdout);
    expect(j.findings[0]).toMatchObject({ rule: 'condition-never-true', severity: 'error', path: 'Only in WinPE?' });
    expect(osd('ts', 'lint', corpusPath('cm-export-child-ts-bitlocker.xml'), '--min-severity', 'error').code).toBe(0);
  });

  it('checks content against a site manifest', () => {
    const r = osd('ts', 'lint', corpusPath('cm-export-module-bios-update.xml'), '--manifest', join(ROOT, 'examples/site-manifest.json'), '--json');
    const j = JSON.parse(r.stdout);
    expect(j.findings.filter((f: { rule: string }) => f.rule === 'unknown-content')).toEqual([]);
  });
});

describe('osd ts diff', () => {
  it('reports exactly one move, one rename and one condition change, exit 1; identical files exit 0', () => {
    const src = corpusPath('mdt8456-sccm-client-template.xml');
    const rev = join(dir, 'rev2.xml');
    const made = spawnSync(process.execPath, [join(ROOT, 'scripts/make-demo-revision.mjs'), src, rev], { encoding: 'utf8' });
    expect(made.status).toBe(0);
    const r = osd('ts', 'diff', src, rev, '--json');
    expect(r.code).toBe(1);
    const kinds = JSON.parse(r.stdout)
      .changes.map((c: { kind: string }) => c.kind)
      .sort();
    expect(kinds).toEqual(['condition-changed', 'moved', 'renamed']);
    const same = osd('ts', 'diff', src, src);
    expect(same.code).toBe(0);
    expect(same.stdout).toBe('no differences\n');
  });
});

describe('osd itself', () => {
  it('--help lists the commands; an unknown command exits 2', () => {
    const h = osd('ts', '--help');
    expect(h.code).toBe(0);
    for (const c of ['show', 'export', 'lint', 'diff']) expect(h.stdout).toContain(c);
    expect(osd('ts', 'frobnicate').code).toBe(2);
  });
});

describe("osd ts lint checks WQL with the engine's parser", () => {
  it('a query that does not parse is an error with its column', () => {
    const dir2 = tempDir('osd-lint-wql-');
    const f = join(dir2, 'wql.xml');
    writeFileSync(
      f,
      '<sequence version="3.10"><step type="SMS_TaskSequence_RunCommandLineAction" name="Dell only" description=""><condition><expression type="SMS_TaskSequence_WMIConditionExpression"><variable name="Namespace">root\\cimv2</variable><variable name="Query">SELECT * FROM Win32_ComputerSystem WHERE Manufacturer = </variable></expression></condition><action>x</action></step></sequence>',
    );
    const r = osd('ts', 'lint', f, '--json');
    expect(r.code).toBe(1);
    const finding = JSON.parse(r.stdout).findings.find((x: { rule: string }) => x.rule === 'condition-invalid');
    expect(finding).toMatchObject({ severity: 'error', path: 'Dell only' });
    expect(finding.message).toMatch(/WQL query: .*column \d+/);
  });
});
