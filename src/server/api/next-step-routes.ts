/**
 * The admin API's words for the site's next steps (site/next-steps.ts): the route that does each,
 * added to an error's answer as `see` ("GET /api/v1/collections"), so an API user is shown the
 * request to make while the site's hint stays in the site's words. A step no request does (the
 * site's source roots are set where the server starts) has none; a step that is a way of sending
 * a request says how.
 */
import type { NextStep, NextStepName } from '../../site/next-steps.js';
import type { HttpMethod } from './route.js';

export type NextStepRoute = `${HttpMethod} /${string}` | { say: string } | null;

export const NEXT_STEP_ROUTES: Record<NextStepName, NextStepRoute> = {
  'list-applications': 'GET /applications',
  'list-boot-images': 'GET /boot-images',
  'list-collections': 'GET /collections',
  'list-collection-rules': 'GET /collections/:collectionId/rules',
  'list-collection-variables': 'GET /collections/:collectionId/variables',
  'list-content': 'GET /content',
  'list-computer-associations': 'GET /computer-associations',
  'list-deployments': 'GET /deployments',
  'list-devices': 'GET /devices',
  'list-device-variables': 'GET /devices/:resourceId/variables',
  'list-distribution-points': 'GET /distribution-points',
  'list-driver-categories': 'GET /driver-categories',
  'list-drivers': 'GET /drivers',
  'list-packages': 'GET /packages',
  'list-software-update-deployments': 'GET /software-update-deployments',
  'list-task-sequences': 'GET /task-sequences',
  'list-task-sequence-revisions': 'GET /task-sequences/:id/revisions',
  'list-tokens': 'GET /tokens',
  'show-boot-image': 'GET /boot-images/:packageId',
  'show-content': 'GET /content/:contentId',
  'show-driver-package': 'GET /driver-packages/:packageId',
  'show-task-sequence': 'GET /task-sequences/:id',
  'lint-task-sequence': 'GET /task-sequences/:id/lint',
  'edit-task-sequence': 'PATCH /task-sequences/:id',
  'edit-driver': 'PATCH /drivers/:ciId',
  'create-driver-package': 'POST /driver-packages',
  'add-driver-package-drivers': 'POST /driver-packages/:packageId/drivers',
  'import-drivers': 'POST /drivers/import',
  'import-software-updates': 'POST /software-updates/import',
  'set-package-content': 'PUT /packages/:packageId/content',
  'delete-application': 'DELETE /applications/:ciId',
  'delete-deployment': 'DELETE /deployments/:id',
  'remove-collection-rule': 'DELETE /collections/:collectionId/rules/:ruleId',
  'create-token': 'POST /tokens',
  'give-token': { say: 'send "Authorization: Bearer <token>"' },
  'confirm-high-risk': { say: 'send the request again with "confirmHighRisk": true' },
  'add-distribution-point-unverified': { say: 'send the request again with "verify": false' },
  'import-computers-overwriting': { say: 'send the request again with "overwriteExisting": true' },
  'read-reference': { say: 'GET /api/v1/openapi.json' },
  'set-deployment-verification': 'PUT /settings/deployment-verification',
  'collect-garbage': 'POST /content/garbage-collect',
  'upload-content': 'PUT /uploads',
  // Set by whoever starts the site server; no request changes it.
  'add-source-root': null,
};

/** The route of a step with its ids filled in (`PUT /api/v1/packages/PS100005/content`), or what to send. */
export function stepInApiWords(step: NextStep): string | undefined {
  const route = NEXT_STEP_ROUTES[step.step];
  if (route === null || route === undefined) return undefined;
  if (typeof route === 'object') return route.say;
  const [method, path] = route.split(' ') as [string, string];
  const filled = path.replace(/:([A-Za-z]+)/g, (whole, name: string) => (step.ids?.[name] === undefined ? whole : encodeURIComponent(step.ids[name]!)));
  return `${method} /api/v1${filled}`;
}

/** What an error's answer adds as `see`: the steps in the API's words, or nothing. */
export function seeFor(steps: readonly NextStep[]): string | undefined {
  const said = [...new Set(steps.map(stepInApiWords).filter((s): s is string => s !== undefined))];
  return said.length ? said.join('; ') : undefined;
}
