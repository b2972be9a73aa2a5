/**
 * What the console's task sequence editor needs beyond the task sequence routes: the step catalog
 * (the Add menu, the property definitions, a new step of each type), the command line of edited
 * steps rebuilt as ConfigMgr's console does on save, and lint of a sequence not saved yet.
 */
import { z } from 'zod';
import { lintUnsaved } from '../../../site/task-sequences/lint.js';
import { listStepTypes, rebuildActions } from '../../../site/task-sequences/step-types.js';
import { route } from '../route.js';

const TAG = 'task sequences';

const propertyInfo = z.object({
  property: z.string().describe('the WMI property of the step class'),
  variable: z.string().describe('the task sequence variable it is published as'),
  default: z.string().nullable(),
  hidden: z.boolean().describe('not published as a run-time variable'),
  secret: z.boolean().describe('a password: never exported, never shown'),
  global: z.boolean().describe('also kept in the sequence-wide variable list'),
  description: z.string(),
});

const lintFinding = z.object({ rule: z.string(), severity: z.enum(['error', 'warning', 'info']), path: z.string(), message: z.string(), hint: z.string() });

const MAX_ACTION_STEPS = 10_000;

export const consoleEditorRoutes = [
  route({
    method: 'GET',
    path: '/step-types',
    tag: TAG,
    summary: 'The step catalog: every step type with its Add-menu category, property definitions and a new step of the type',
    permission: 'read',
    response: z.array(
      z.object({
        type: z.string(),
        displayName: z.string(),
        aliases: z.array(z.string()),
        category: z.string().describe('General, Disks, User State, Images, Drivers, Settings, Software'),
        element: z.enum(['step', 'subtasksequence']),
        runIn: z.string(),
        successCodes: z.string(),
        retryCount: z.number(),
        properties: z.array(propertyInfo),
        arrays: z.array(z.object({ countProperty: z.string(), countVariable: z.string(), elements: z.array(propertyInfo) })),
        template: z.record(z.string(), z.unknown()).describe("a new step of the type as the JSON document's item (defaults, command line)"),
      }),
    ),
    handler: async () => listStepTypes(),
  }),
  route({
    method: 'POST',
    path: '/step-types/actions',
    tag: TAG,
    summary: "The command line of steps whose properties changed, rebuilt from their type's template (null: the type builds none, or the step's own is kept)",
    permission: 'read',
    body: z.strictObject({
      steps: z
        .array(
          z.strictObject({
            type: z.string().max(256).optional(),
            action: z.string().max(40_000).optional(),
            variables: z
              .array(
                z.strictObject({
                  name: z.string().max(256),
                  property: z.string().max(256).optional(),
                  hidden: z.boolean().optional(),
                  value: z.string().max(40_000),
                }),
              )
              .max(2_000)
              .optional(),
          }),
        )
        .max(MAX_ACTION_STEPS),
    }),
    response: z.object({ actions: z.array(z.string().nullable()) }),
    handler: async ({ body }) => ({ actions: rebuildActions(body.steps) }),
  }),
  route({
    method: 'POST',
    path: '/task-sequences/lint',
    tag: TAG,
    summary: "Lint a sequence that is not saved (the editor's): the JSON document, against the site's content",
    description:
      'The sequence is the JSON document the site gives with a task sequence; secrets shown as ******** count as set. Checked as a save checks it (the JSON form, the save limits) before the lint rules run.',
    permission: 'read',
    body: z.strictObject({ sequence: z.record(z.string(), z.unknown()) }),
    response: z.object({ findings: z.array(lintFinding), counts: z.object({ error: z.number(), warning: z.number(), info: z.number() }) }),
    handler: async ({ site, body }) => lintUnsaved(site, body.sequence),
  }),
];
