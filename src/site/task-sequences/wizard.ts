/**
 * The Create Task Sequence Wizard on the server ("Install an existing image package", osd-features
 * §1): the answers (the CLI's answers file, as JSON) are resolved against the site's real content
 * (buildSiteManifest), validated with every problem reported at once (page, field, path; secrets
 * masked), and generated into revision 1 of a new task sequence.
 */
import type { WizardAnswersInput } from '../../sequence/wizard/answers.js';
import { checkAnswers } from '../../sequence/wizard/check-answers.js';
import { generateInstallImageSequence, wizardPackageProperties } from '../../sequence/wizard/generate/index.js';
import type { WizardProblem } from '../../sequence/wizard/validate.js';
import { badInput } from '../errors.js';
import { buildSiteManifest } from '../objects/site-manifest.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import { checkFolderPath } from './folders.js';
import { checkBootImage, checkDescription, checkName, createTaskSequence, type SaveResult } from './task-sequences.js';

export interface WizardResult extends SaveResult {
  problems: WizardProblem[];
}

/**
 * Problems listed in a refusal: the first 100, and how many there were. Answers can list
 * thousands of applications, each a problem, and the answer must not grow with them.
 */
const MAX_LISTED_PROBLEMS = 100;

function listed(problems: WizardProblem[]): { problems: WizardProblem[]; problemCount?: number } {
  if (problems.length <= MAX_LISTED_PROBLEMS) return { problems };
  // Errors first (they are why nothing was created), each kind in page order.
  const first = [...problems.filter((p) => p.severity === 'error'), ...problems.filter((p) => p.severity !== 'error')];
  return { problems: first.slice(0, MAX_LISTED_PROBLEMS), problemCount: problems.length };
}

export async function createInstallImageTaskSequence(site: Site, actor: Actor, body: unknown, options: { folder?: string } = {}): Promise<WizardResult> {
  // The console's selected folder (osd-features §1.3), checked before the answers.
  const folder = options.folder !== undefined ? checkFolderPath(options.folder, 'query.folder') : undefined;
  const manifest = await buildSiteManifest(site.db, site.siteCode);
  // Every problem at once: unknown keys (with a "did you mean") and wrong types together with the
  // wizard's rules against the site's content.
  const { answers, problems } = checkAnswers(body, manifest);
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length || !answers) {
    const first = errors[0]!;
    throw badInput(
      first.path ? `body.${first.path}` : 'body',
      `${errors.length} answer${errors.length === 1 ? ' is' : 's are'} not valid, nothing was created; first: ${first.page} › ${first.field}: ${first.rule}`,
      'fix every answer listed and run the wizard again',
      listed(problems),
    );
  }
  const pkg = wizardPackageProperties(answers);
  const name = checkName(pkg.Name, 'body.taskSequence.name');
  const description = checkDescription(pkg.Description, 'body.taskSequence.description');
  const bootImageId = pkg.BootImageID ? await checkBootImage(site.db, pkg.BootImageID, 'body.taskSequence.bootImageId') : null;
  const sequence = generateInstallImageSequence(answers, manifest);
  const result = await createTaskSequence(site, actor, {
    name,
    description,
    bootImageId,
    sequence,
    message: 'Created by the Create Task Sequence Wizard (Install an existing image package)',
    action: 'create-with-wizard',
    folder,
    warnings: problems.filter((p) => p.severity === 'warning').map((p) => `${p.page} › ${p.field} (${p.path}): ${p.rule}`),
  });
  return { ...result, problems: problems.filter((p) => p.severity === 'warning').slice(0, MAX_LISTED_PROBLEMS) };
}

export type { WizardAnswersInput };
