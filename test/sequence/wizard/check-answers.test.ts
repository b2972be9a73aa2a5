// Every problem of a set of answers at once (issue 11 item 6): unknown keys with a "did you mean",
// wrong types and choices, and the wizard's own rules on everything else — an unknown key does
// not stop the other checks.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSiteManifest } from '../../../src/sequence/site-manifest.js';
import { checkAnswers, pathOfText, pathText } from '../../../src/sequence/wizard/check-answers.js';
import { checkAnswersText } from '../../../src/sequence/wizard/load-answers.js';
import { formatWizardErrors } from '../../../src/sequence/wizard/validate.js';

const SITE = loadSiteManifest(join(import.meta.dirname, '../../../examples/wizard/site.json'));

const GOOD = {
  taskSequence: { name: 'Windows 11', bootImageId: 'LAB00005' },
  installWindows: { imagePackageId: 'LAB00010', imageIndex: 2 },
};

const byPath = (problems: Array<{ path: string; rule: string }>) => Object.fromEntries(problems.map((p) => [p.path, p.rule]));

describe('checkAnswers', () => {
  it('lists unknown keys, wrong types and the rules together, each unknown key with its likely spelling', () => {
    const { answers, problems } = checkAnswers(
      {
        taskSequence: { name: 'A name far longer than the fifty characters the console allows', bootImageID: 'LAB00005' },
        installWindows: { imagePackageId: 'LAB00010', imageIndex: 'two', productKey: 'ABCDE-FGHIJ' },
        includeUpdate: 'all',
      },
      SITE,
    );
    expect(answers).toBeUndefined();
    expect(byPath(problems)).toEqual({
      'taskSequence.bootImageID': 'unknown key: did you mean "bootImageId" (Boot image)?',
      'installWindows.imageIndex': 'must be a number, not text',
      includeUpdate: 'unknown key: did you mean "includeUpdates" (Include updates)?',
      // The rules, on what is left: the name and the product key are still checked.
      'taskSequence.name': expect.stringMatching(/^must be at most 50 characters/),
      'installWindows.productKey': expect.stringMatching(/^must be five groups of five/),
    });
    // The boot image's "required" is the typo's consequence, not a second problem.
    expect(problems.map((p) => p.path)).not.toContain('taskSequence.bootImageId');
    expect(problems.find((p) => p.path === 'taskSequence.bootImageID')).toMatchObject({
      page: 'Task Sequence Information',
      field: 'bootImageID',
      value: 'LAB00005',
      severity: 'error',
    });
  });

  it('matches a key written in another case, and lists the keys there are when none is near', () => {
    const { problems } = checkAnswers({ ...GOOD, TaskSequence: {}, installWindows: { ...GOOD.installWindows, IMAGEINDEX: 2, colour: 'blue' } });
    expect(byPath(problems)).toMatchObject({
      TaskSequence: 'unknown key: did you mean "taskSequence" (Task Sequence Information)?',
      'installWindows.IMAGEINDEX': 'unknown key: did you mean "imageIndex" (Image index)?',
      'installWindows.colour': expect.stringMatching(/^unknown key: the keys here are imagePackageId, imageIndex, partitionAndFormat, /),
    });
  });

  it('a choice that is not one of the choices says which there are, and which was meant; the keys beside it are still checked', () => {
    const { problems } = checkAnswers({
      ...GOOD,
      includeUpdates: 'All',
      configureNetwork: { join: 'Domain', domian: 'contoso.com' },
      installWindows: { ...GOOD.installWindows, localAdministrator: { mode: 'enable' } },
    });
    expect(byPath(problems)).toMatchObject({
      includeUpdates: 'must be one of "mandatory", "all", "none": did you mean "all"?',
      'configureNetwork.join': 'must be one of "workgroup", "domain": did you mean "domain"?',
      'configureNetwork.domian': 'unknown key: did you mean "domain" (Domain)?',
      'installWindows.localAdministrator.mode': 'must be one of "randomAndDisabled", "enabled": did you mean "enabled"?',
    });
  });

  it('never shows the value of a key that looks like a secret', () => {
    const { problems } = checkAnswers({
      ...GOOD,
      configureNetwork: { join: 'domain', domain: 'contoso.com', account: 'CONTOSO\\join', pasword: 'S3cret!', confirmPassword: 'S3cret!' },
    });
    const typo = problems.find((p) => p.path === 'configureNetwork.pasword')!;
    expect(typo).toMatchObject({ value: '********', rule: 'unknown key: did you mean "password" (Account password)?' });
    expect(JSON.stringify(problems)).not.toContain('S3cret!');
  });

  it('a missing required answer and a document that is not a set of keys are problems too', () => {
    expect(byPath(checkAnswers({ taskSequence: {}, installWindows: {} }).problems)).toMatchObject({ 'taskSequence.name': 'required: give text' });
    expect(checkAnswers(['a list']).problems).toEqual([expect.objectContaining({ path: '', rule: 'must be a set of keys and values, not a list' })]);
  });

  it("answers of the right shape give the answers and only the rules' problems", () => {
    const r = checkAnswers(GOOD, SITE);
    expect(r.answers?.taskSequence.name).toBe('Windows 11');
    expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
  });

  it('from a file: each problem with its line', () => {
    const text = [
      'taskSequence:',
      '  name: Windows 11',
      '  bootImageId: LAB00005',
      '  descripton: x',
      'installWindows:',
      '  imagePackageId: LAB00010',
      '  imageIndex: 7',
      '',
    ].join('\n');
    const { problems } = checkAnswersText(text, 'a.yaml', SITE);
    expect(formatWizardErrors(problems).split('\n')).toEqual([
      '  Task Sequence Information › descripton (taskSequence.descripton, line 4) = "x": unknown key: did you mean "description" (Description)?',
      expect.stringMatching(/^ {2}Install Windows › Image index \(installWindows\.imageIndex, line 7\) = "7": /),
    ]);
  });

  it('paths as text and back', () => {
    for (const path of [['installApplications', 'applications', 3], ['taskSequence', 'name'], []]) expect(pathOfText(pathText(path))).toEqual(path);
  });
});
