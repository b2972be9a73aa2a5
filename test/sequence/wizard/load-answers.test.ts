// Reading answers files: JSON and YAML give the same answers with the console's defaults; shape
// errors name the file, the key path and the line, all at once; aliases are refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answersSchema } from '../../../src/sequence/wizard/answers.js';
import { parseAnswers } from '../../../src/sequence/wizard/load-answers.js';
import { inputError } from '../../helpers/errors.js';

const YAML = `
taskSequence:
  name: Win 11
  bootImageId: PS100005
installWindows:
  imagePackageId: PS100010
  imageIndex: 2
`;

describe('parseAnswers', () => {
  it('YAML and JSON give the same answers, with the console defaults filled in', () => {
    const fromYaml = parseAnswers(YAML, 'a.yaml');
    const fromJson = parseAnswers(
      JSON.stringify({ taskSequence: { name: 'Win 11', bootImageId: 'PS100005' }, installWindows: { imagePackageId: 'PS100010', imageIndex: 2 } }),
      'a.json',
    );
    expect(fromYaml).toEqual(fromJson);
    expect(fromYaml).toMatchObject({
      taskSequence: { description: '', highPerformancePowerPlan: true },
      installWindows: {
        partitionAndFormat: true,
        configureBitLocker: true,
        localAdministrator: { mode: 'randomAndDisabled' },
        serverLicensing: { mode: 'notSpecified' },
      },
      configureNetwork: { join: 'workgroup', workgroup: 'WORKGROUP' },
      stateMigration: {
        captureUserSettings: true,
        saveTo: 'stateMigrationPoint',
        useHardLinks: false,
        captureNetworkSettings: true,
        captureWindowsSettings: true,
      },
      includeUpdates: 'mandatory',
      installApplications: { applications: [], continueOnFailure: false },
    });
  });

  it('a UTF-8 byte order mark is accepted', () => {
    expect(parseAnswers(`\uFEFF${YAML}`, 'a.yaml').taskSequence.name).toBe('Win 11');
  });

  it('reports every shape error with its path and line, and points to the docs', () => {
    const e = inputError(() =>
      parseAnswers(
        `taskSequence:
  name: x
  nmae: typo
installWindows:
  imageIndex: 1.5
includeUpdates: some
`,
        'bad.yaml',
      ),
    );
    expect(e.input).toBe('bad.yaml');
    expect(e.rule).toMatch(/^not a valid answers file \(3 problems\):/);
    expect(e.rule).toMatch(
      /Task Sequence Information › nmae \(taskSequence\.nmae, line 3\) = "typo": unknown key: did you mean "name" \(Task sequence name\)\?/,
    );
    expect(e.rule).toMatch(/Install Windows › Image index \(installWindows\.imageIndex, line 5\) = "1\.5": must be a whole number\n/);
    expect(e.rule).toMatch(/Include Updates › Include updates \(includeUpdates, line 6\) = "some": must be one of "mandatory", "all", "none"/);
    expect(e.hint).toMatch(/docs\/wizard-answers\.md/);
  });

  it('the discriminated choices name what is allowed', () => {
    const e = inputError(() => parseAnswers('taskSequence: {name: x}\ninstallWindows: {}\nconfigureNetwork: {join: dom}\n', 'c.yaml'));
    expect(e.rule).toMatch(/configureNetwork\.join/);
    expect(e.rule).toMatch(/workgroup|domain/);
  });

  it('malformed YAML and JSON are refused with a line and column', () => {
    const y = inputError(() => parseAnswers('taskSequence:\n  name: [unclosed\n', 'm.yaml'));
    expect(y.rule).toMatch(/^malformed YAML/);
    expect(y.location?.line).toBeGreaterThan(0);
    const j = inputError(() => parseAnswers('{"taskSequence": {"name": "x",}}', 'm.json'));
    expect(j.rule).toMatch(/^malformed JSON/);
  });

  it('a syntax error is shown whole: what was expected, where, and the line with a caret under the column', () => {
    const y = inputError(() => parseAnswers('taskSequence:\n  name: Win11\ninstallWindows:\n  imagePackageId: [PS100010\n  imageIndex: 2\n', 'b.yaml'));
    expect(y.location).toEqual({ line: 5, column: 3 });
    expect(y.rule.split('\n')).toEqual([
      'malformed YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
      '    4 |   imagePackageId: [PS100010',
      '    5 |   imageIndex: 2',
      '      |   ^',
    ]);
    expect(y.message).toMatch(/^b\.yaml:5:3: malformed YAML: Flow sequence/);
    expect(y.hint).toMatch(/indentation/);
    const quote = inputError(() => parseAnswers('taskSequence:\n  name: "Win11\n', 'q.yaml'));
    expect(quote.rule).toMatch(/^malformed YAML: Missing closing "quote, at the end of the file\n/);
    const j = inputError(() => parseAnswers('{\n  "taskSequence": {"name": "x",}\n}', 'm.json'));
    expect(j.location).toEqual({ line: 2, column: 32 });
    expect(j.rule.split('\n')).toEqual([
      'malformed JSON: Expected double-quoted property name',
      '    1 | {',
      '    2 |   "taskSequence": {"name": "x",}',
      '      |                                ^',
    ]);
    const dup = inputError(() => parseAnswers('taskSequence:\n  name: a\n  name: b\n', 'd.yaml'));
    expect(dup.rule).toMatch(/"name" appears twice\)\n {4}2 \| {3}name: a\n {4}3 \| {3}name: b\n {6}\| {3}\^$/);
  });

  it('duplicate keys are refused', () => {
    expect(inputError(() => parseAnswers('taskSequence:\n  name: a\n  name: b\n', 'd.yaml')).rule).toMatch(/malformed YAML.*[Uu]nique|duplicate/i);
  });

  it('YAML aliases are refused (no expansion bombs)', () => {
    const e = inputError(() => parseAnswers('taskSequence:\n  name: &n x\n  description: *n\ninstallWindows: {}\n', 'alias.yaml'));
    expect(e.rule).toMatch(/aliases/);
    expect(e.location).toEqual({ line: 3, column: 16 });
  });

  it('never throws anything but an InputError, whatever the text (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ taskSequence: v })),
        ),
        (text) => {
          try {
            const a = parseAnswers(text, 'p');
            expect(answersSchema.safeParse(a).success).toBe(true);
          } catch (e) {
            expect((e as Error).name).toBe('InputError');
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
