/**
 * The CLI's words for the site's next steps (site/next-steps.ts): the `osd` command that does each,
 * or what to do on the command line, added to the site's hint ("list the drivers in the catalog to
 * find its id: osd driver list"). A step `osd` has no command for keeps the site's hint alone. The
 * admin API adds its routes the same way (server/api/next-step-routes.ts).
 */
import type { NextStep, NextStepName } from '../../site/next-steps.js';

export const NEXT_STEP_COMMANDS: Record<NextStepName, string | null> = {
  'list-applications': 'osd app list',
  'list-boot-images': 'osd boot-image list',
  'list-collections': 'osd collection list',
  'list-collection-rules': 'osd collection show <collectionId>',
  'list-collection-variables': 'osd collection show <collectionId>',
  'list-content': 'osd content list',
  'list-computer-associations': 'osd association list',
  'list-deployments': 'osd deploy list',
  'list-devices': 'osd device list',
  'list-device-variables': 'osd device show <resourceId>',
  'list-distribution-points': 'osd dp list',
  'list-driver-categories': null,
  'list-drivers': 'osd driver list',
  'list-packages': 'osd package list',
  'list-software-update-deployments': 'osd update deployments',
  'list-task-sequences': null,
  'list-task-sequence-revisions': 'osd ts history <id>',
  'list-tokens': 'osd token list',
  'show-boot-image': 'osd boot-image list',
  'show-content': null,
  'show-driver-package': 'osd driver-package list',
  'show-task-sequence': 'osd ts pull <id> --format json',
  'lint-task-sequence': null,
  'edit-task-sequence': null,
  'edit-driver': null,
  'create-driver-package': 'osd driver-package create <name>',
  'add-driver-package-drivers': 'osd driver-package add <packageId> <ciIds…>',
  'import-drivers': 'osd driver import <folder>',
  'import-software-updates': 'osd update import <json>',
  'set-package-content': 'osd package set-content <packageId> <path>',
  'delete-application': null,
  'delete-deployment': null,
  'remove-collection-rule': 'osd collection remove-rule <collectionId> <ruleId>',
  'create-token': 'osd token create <name> --role full-administrator',
  'give-token': 'pass --token or --token-file, or set OSD_TOKEN',
  'confirm-high-risk': 'add --confirm-high-risk to the same osd deploy',
  'add-distribution-point-unverified': null,
  'import-computers-overwriting': 'add --overwrite to the same osd device import',
  // The command's --help says what it takes; a request the CLI built that does not fit is osd's own fault.
  'read-reference': null,
  'set-deployment-verification': null,
  'collect-garbage': null,
  'upload-content': 'let osd upload it (leave out --server-path)',
  'add-source-root': 'pass --source-root to osd server',
};

/** A step as the user would type it, with the ids the error gave filled in (`osd package set-content PS100005 <path>`). */
export function stepInCliWords(step: NextStep): string | undefined {
  const words = NEXT_STEP_COMMANDS[step.step];
  if (!words) return undefined;
  return words.replace(/<([A-Za-z]+)>/g, (whole, name: string) => step.ids?.[name] ?? whole);
}

/** The site's hint with the CLI's words for its steps: `list the drivers … to find its id: osd driver list`. */
export function cliHint(siteHint: string | undefined, steps: readonly NextStep[]): string | undefined {
  const said = [...new Set(steps.map(stepInCliWords).filter((s): s is string => s !== undefined))];
  if (!said.length) return siteHint;
  return siteHint ? `${siteHint}: ${said.join(', or ')}` : said.join(', or ');
}
