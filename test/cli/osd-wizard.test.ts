// `osd ts new install-image` as a user runs it: a real process, real files, exit codes and output.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/osd.js');
const EXAMPLES = join(ROOT, 'examples/wizard');
const SITE = join(EXAMPLES, 'site.json');

function osd(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('build first: make build (the CLI runs from dist/)');
  dir = tempDir('osd-wizard-');
});

const examples = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml') && f !== 'invalid-example.yaml');

describe('osd ts new install-image', () => {
  it.each(examples)('%s: writes a task sequence that shows and lints without errors against the site', (file) => {
    const out = join(dir, file.replace(/\.yaml$/, '.xml'));
    const r = osd('ts', 'new', 'install-image', '--answers', join(EXAMPLES, file), '--site', SITE, '--out', out);
    expect(r.stderr).toMatch(/wrote .*\.xml: task sequence ".+", boot image LAB00005/);
    expect(r.code).toBe(0);
    const xml = readFileSync(out, 'utf8');
    expect(xml).toMatch(/^<sequence version="3\.10">\n {2}<referenceList>/);
    expect(xml).not.toMatch(/Example-(Only|Join)-Pa55/);
    expect(osd('ts', 'show', out).code).toBe(0);
    const lint = osd('ts', 'lint', out, '--manifest', SITE, '--json');
    expect(lint.code).toBe(0);
    const rules = new Set(
      (JSON.parse(lint.stdout).findings as Array<{ rule: string; severity: string }>).filter((f) => f.severity !== 'info').map((f) => f.rule),
    );
    // The known quirk, and the passwords an export never carries.
    for (const rule of rules) expect(['capture-all-profiles-without-local-accounts', 'missing-secret']).toContain(rule);
  });

  it('wrong answers: exit 2, every problem listed with page and field, secrets masked, nothing written', () => {
    const out = join(dir, 'never.xml');
    const r = osd('ts', 'new', 'install-image', '--answers', join(EXAMPLES, 'invalid-example.yaml'), '--site', SITE, '--out', out);
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect(r.stderr).toMatch(/invalid-example\.yaml: 10 answers are not valid, nothing was written/);
    for (const expected of [
      /Task Sequence Information › Task sequence name .* at most 50 characters/,
      /Boot image .*x86 boot image cannot install an x64 image/,
      /Install Windows › Product key/,
      /Maximum server connections .* = "4"/,
      /Confirm local administrator password .* = \*{8}/,
      /Domain OU .*LDAP:\/\//,
      /Configure Network › Account \(configureNetwork\.account, line 21\)/,
      /Installation properties .*SMSSITECODE/,
      /Install Applications › .*Visio/,
    ]) {
      expect(r.stderr).toMatch(expected);
    }
    expect(r.stderr).not.toMatch(/one-password|another-password/);
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
  });

  it('--json on wrong answers gives one JSON document with every problem', () => {
    const r = osd('ts', 'new', 'install-image', '--answers', join(EXAMPLES, 'invalid-example.yaml'), '--site', SITE, '--json');
    expect(r.code).toBe(2);
    const data = JSON.parse(r.stdout);
    expect(data.errors).toHaveLength(10);
    expect(data.errors[0]).toEqual(expect.objectContaining({ page: 'Task Sequence Information', path: 'taskSequence.name', severity: 'error' }));
    expect(r.stdout).not.toMatch(/one-password|another-password/);
  });

  it('without --site the site-dependent checks are skipped, but applications must be model names', () => {
    const r = osd('ts', 'new', 'install-image', '--answers', join(EXAMPLES, 'three-apps-continue.yaml'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/applications\[0\].*7-Zip/);
    expect(r.stderr).toMatch(/--site/);
    // The minimal example names no application and no default package: only the client package is missing.
    const m = osd('ts', 'new', 'install-image', '--answers', join(EXAMPLES, 'minimal-workgroup.yaml'));
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/1 answer is not valid/);
    expect(m.stderr).toMatch(/installConfigMgr\.clientPackageId/);
  });

  it('writes to standard output, as JSON that imports back, and with the package wrapper', () => {
    const xml = osd('ts', 'new', 'install-image', '--answers', join(EXAMPLES, 'updates-all.yaml'), '--site', SITE);
    expect(xml.code).toBe(0);
    expect(xml.stdout).toMatch(/<step type="SMS_TaskSequence_InstallUpdateAction" name="Install Updates"/);

    const jsonFile = join(dir, 'updates-all.json');
    writeFileSync(jsonFile, osd('ts', 'new', 'install-image', '--answers', join(EXAMPLES, 'updates-all.yaml'), '--site', SITE, '--format', 'json').stdout);
    const back = osd('ts', 'export', jsonFile, '--format', 'xml', '--layout', 'indented');
    expect(back.code).toBe(0);
    expect(back.stdout).toBe(xml.stdout);

    const wrapped = osd('ts', 'new', 'install-image', '--answers', join(EXAMPLES, 'domain-join-ou.yaml'), '--site', SITE, '--wrapper');
    expect(wrapped.stdout).toMatch(/^<SmsTaskSequencePackage[^>]*>\s*<BootImageID>LAB00005<\/BootImageID>\s*<Description>Joins contoso\.com/);
    expect(wrapped.stdout).toMatch(/<Name>Windows 11 Enterprise - contoso\.com<\/Name>\s*<SequenceData>\s*<sequence version="3\.10">/);
    const shown = join(dir, 'wrapped.xml');
    writeFileSync(shown, wrapped.stdout);
    expect(osd('ts', 'show', shown).stdout).toMatch(/^Windows 11 Enterprise - contoso\.com — version 3\.10, SmsTaskSequencePackage wrapper/);
  });

  it('--json with --out prints a summary for scripts', () => {
    const out = join(dir, 'summary.xml');
    const r = osd('ts', 'new', 'install-image', '--answers', join(EXAMPLES, 'bitlocker-on.yaml'), '--site', SITE, '--out', out, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      out,
      format: 'xml',
      package: { Name: 'Windows 11 Enterprise - BitLocker', BootImageID: 'LAB00005', Type: '2' },
      warnings: [],
    });
  });

  it('a missing answers file, bad YAML and a bad site manifest are clear errors', () => {
    const missing = osd('ts', 'new', 'install-image', '--answers', join(dir, 'nope.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.yaml: answers file not found/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'taskSequence:\n  name: x\n  nmae: y\n');
    const shape = osd('ts', 'new', 'install-image', '--answers', bad);
    expect(shape.code).toBe(2);
    expect(shape.stderr).toMatch(
      /Task Sequence Information › nmae \(taskSequence\.nmae, line 3\) = "y": unknown key: did you mean "name" \(Task sequence name\)\?/,
    );
    const site = join(dir, 'site.json');
    writeFileSync(site, '{"bootImages": [{"id": "X", "name": "b", "architecture": "x64"}]}');
    const s = osd('ts', 'new', 'install-image', '--answers', join(EXAMPLES, 'updates-all.yaml'), '--site', site);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/site\.json: not a valid site manifest/);
  });

  it('an unknown key does not stop the other checks: every problem at once, each listed once', () => {
    const answers = join(dir, 'all-at-once.yaml');
    writeFileSync(
      answers,
      [
        'taskSequence:',
        '  name: Windows 11',
        '  bootImageID: LAB00004',
        'installWindows:',
        '  imagePackageId: LAB00010',
        '  imageIndex: 9',
        'includeUpdates: All',
        '',
      ].join('\n'),
    );
    const r = osd('ts', 'new', 'install-image', '--answers', answers, '--site', SITE);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(/^osd: .*all-at-once\.yaml: 3 answers are not valid, nothing was written:$/);
    expect(lines.slice(1, 4)).toEqual([
      '  Task Sequence Information › bootImageID (taskSequence.bootImageID, line 3) = "LAB00004": unknown key: did you mean "bootImageId" (Boot image)?',
      '  Include Updates › Include updates (includeUpdates, line 7) = "All": must be one of "mandatory", "all", "none": did you mean "all"?',
      expect.stringMatching(/^ {2}Install Windows › Image index \(installWindows\.imageIndex, line 6\) = "9": /),
    ]);
    expect(lines[4]).toMatch(/^ {2}hint: fix the answers/);
    const json = osd('ts', 'new', 'install-image', '--answers', answers, '--site', SITE, '--json');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).errors.map((p: { path: string }) => p.path)).toEqual([
      'taskSequence.bootImageID',
      'includeUpdates',
      'installWindows.imageIndex',
    ]);
  });

  it('a YAML syntax error shows what was expected, where, and the line with a caret', () => {
    const answers = join(dir, 'syntax.yaml');
    writeFileSync(answers, 'taskSequence:\n  name: Windows 11\ninstallWindows:\n  imagePackageId: [LAB00010\n  imageIndex: 2\n');
    const r = osd('ts', 'new', 'install-image', '--answers', answers);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').slice(0, 4)).toEqual([
      `osd: ${answers}:5:3: malformed YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
      '    4 |   imagePackageId: [LAB00010',
      '    5 |   imageIndex: 2',
      '      |   ^',
    ]);
  });
});
