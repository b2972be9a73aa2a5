/**
 * What an administrator can do about a site error, named as an action of the site rather than in the
 * words of one interface (issue 11 item 5). The error's hint says it in the site's words ("list the
 * drivers in the catalog", "set the package's content"); each interface adds how to do it in its
 * own: the admin API the route (`see` in its answer, server/api/next-step-routes.ts), the CLI the
 * `osd` command (cli/site/next-step-commands.ts). An error carries its steps as `details.next`, so
 * they travel in the API's JSON to a CLI on another machine.
 */
import { OsdError } from '../common/errors.js';

/** Every step, with the names of the ids it needs (they fill the route's `:params` and the command's `<args>`). */
export const NEXT_STEPS = {
  'list-applications': [],
  'list-boot-images': [],
  'list-collections': [],
  'list-collection-rules': ['collectionId'],
  'list-collection-variables': ['collectionId'],
  'list-content': [],
  'list-computer-associations': [],
  'list-deployments': [],
  'list-devices': [],
  'list-device-variables': ['resourceId'],
  'list-distribution-points': [],
  'list-driver-categories': [],
  'list-drivers': [],
  'list-packages': [],
  'list-software-update-deployments': [],
  'list-task-sequences': [],
  'list-task-sequence-revisions': ['id'],
  'list-tokens': [],
  'show-boot-image': ['packageId'],
  'show-content': ['contentId'],
  'show-driver-package': ['packageId'],
  'show-task-sequence': ['id'],
  'lint-task-sequence': ['id'],
  'edit-task-sequence': ['id'],
  'edit-driver': ['ciId'],
  'create-driver-package': [],
  'add-driver-package-drivers': ['packageId'],
  'import-drivers': [],
  'import-software-updates': [],
  'set-package-content': ['packageId'],
  'delete-application': ['ciId'],
  'delete-deployment': ['id'],
  'remove-collection-rule': ['collectionId', 'ruleId'],
  'create-token': [],
  /** Give an API token with the request (an administrator creates them). */
  'give-token': [],
  /** Read what the request may hold: the interface's own reference (the admin API's OpenAPI document). */
  'read-reference': [],
  /** Import the same computers again, overwriting the records that have their MAC or SMBIOS GUID. */
  'import-computers-overwriting': [],
  /** Register the distribution point without checking that it answers now. */
  'add-distribution-point-unverified': [],
  /** Make the same deployment again, acknowledging that it is high risk. */
  'confirm-high-risk': [],
  'set-deployment-verification': [],
  'collect-garbage': [],
  /** Send the files to the site (an upload) rather than naming a path on the server. */
  'upload-content': [],
  /** A folder the site may read content from: one of the site's source roots (set where the server starts). */
  'add-source-root': [],
} as const satisfies Record<string, readonly string[]>;

export type NextStepName = keyof typeof NEXT_STEPS;

export interface NextStep {
  step: NextStepName;
  /** The ids the step needs, by name (`{ packageId: 'PS100005' }`). */
  ids?: Record<string, string>;
}

/** `{ next: [...] }` for an error's details: what the administrator can do, in order. */
export function nextSteps(...steps: Array<NextStepName | NextStep>): { next: NextStep[] } {
  return { next: steps.map((s) => (typeof s === 'string' ? { step: s } : s)) };
}

/** The steps an error names, if it names any (a SiteError's or ContentError's `details.next`, or an API answer's `next`). */
export function nextStepsOf(e: unknown): NextStep[] {
  const raw = e instanceof OsdError ? e.details?.next : typeof e === 'object' && e !== null ? (e as { next?: unknown }).next : undefined;
  if (!Array.isArray(raw)) return [];
  return raw.filter(
    (s): s is NextStep => typeof s === 'object' && s !== null && typeof (s as NextStep).step === 'string' && (s as NextStep).step in NEXT_STEPS,
  );
}
