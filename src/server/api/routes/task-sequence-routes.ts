/**
 * Task sequences under revision history (osd-features §2.10, §4.6) and their deployments (§4).
 * task-sequence.write: import, save, revert, wizard, properties, delete; deployment.write:
 * deploy, enable/disable, delete; read: every GET. No answer ever holds a secret value: models
 * show ******** and exports write them empty.
 */
import { z } from 'zod';
import { deploymentContentManifest } from '../../../site/deployments/content-manifest.js';
import { createDeployment, deleteDeployment, getDeployment, listDeployments, updateDeployment } from '../../../site/deployments/deployments.js';
import { AVAILABILITY, CONTENT_OPTIONS, deploymentInputSchema, deploymentUpdateSchema, RERUN, scheduleSchema } from '../../../site/deployments/input.js';
import { compareRevisions } from '../../../site/task-sequences/diff.js';
import { exportTaskSequence } from '../../../site/task-sequences/export.js';
import { lintTaskSequence } from '../../../site/task-sequences/lint.js';
import { updateTaskSequenceProperties } from '../../../site/task-sequences/properties.js';
import { revertTaskSequence } from '../../../site/task-sequences/revert.js';
import { listRevisions } from '../../../site/task-sequences/revisions.js';
import { deleteTaskSequence, getTaskSequence, importTaskSequence, listTaskSequences, saveTaskSequence } from '../../../site/task-sequences/task-sequences.js';
import { createInstallImageTaskSequence } from '../../../site/task-sequences/wizard.js';
import { listTaskSequenceFolders, MAX_FOLDER_DEPTH, MAX_FOLDER_NAME_LENGTH, MAX_FOLDER_PATH_LENGTH } from '../../../site/task-sequences/folders.js';
import {
  listMachineProfiles,
  MAX_SIMULATE_FAILURES,
  MAX_SIMULATE_VARIABLES,
  SIMULATED_OUTCOMES,
  simulateTaskSequence,
} from '../../../site/task-sequences/simulate.js';
import { route } from '../route.js';
import { consoleEditorRoutes } from './console-editor-routes.js';

const TAG = 'task sequences';
const DEPLOY_TAG = 'deployments';

const packageId = z.string().regex(/^[A-Za-z0-9]{3}[0-9A-Fa-f]{5}$/, 'an id is a 3-character site code and 5 hex digits, e.g. PS100014');
const idParams = z.object({ id: packageId });
const revisionNumber = z.coerce.number().int().min(1);

const highImpactText = z.object({ headline: z.string(), message1: z.string(), message2: z.string(), message3: z.string() });
const tsInfo = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  bootImageId: z.string().nullable(),
  type: z.number().describe('2 = OS deployment task sequence (has a boot image), 1 = generic'),
  currentRevision: z.number(),
  folder: z.string().describe('the console folder: names joined by "/", empty at the top'),
  properties: z.object({ maxRunTimeMinutes: z.number(), highImpact: z.boolean(), customText: highImpactText.nullable(), disabled: z.boolean() }),
  deploymentCount: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const revisionInfo = z.object({
  revision: z.number(),
  author: z.string(),
  message: z.string(),
  createdAt: z.string(),
  sizeBytes: z.number(),
  stepCount: z.number(),
});
const reference = z.object({ refId: z.string(), refKind: z.enum(['package', 'application']) });
const saveResult = z.object({ taskSequence: tsInfo, revision: revisionInfo, references: z.array(reference), warnings: z.array(z.string()) });
const detail = tsInfo.extend({
  revision: revisionInfo,
  sequence: z.record(z.string(), z.unknown()).describe('the canonical JSON document (openosd.task-sequence); secret values shown as ********'),
  references: z.array(reference),
});

const changeValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const sequenceChange = z.object({
  kind: z.enum(['added', 'removed', 'moved', 'renamed', 'option-changed', 'property-changed', 'action-changed', 'condition-changed', 'sequence-changed']),
  itemKind: z.enum(['group', 'step']).optional(),
  pathA: z.string().optional(),
  pathB: z.string().optional(),
  field: z.string().optional(),
  aspect: z.enum(['added', 'removed', 'value', 'hidden', 'property']).optional(),
  before: changeValue.optional(),
  after: changeValue.optional(),
  indexA: z.number().optional(),
  indexB: z.number().optional(),
  message: z.string(),
});

const fileFormat = z.enum(['xml', 'json', 'zip']);
const sequenceFile = {
  format: fileFormat.describe('xml: <sequence> or <SmsTaskSequencePackage>; json: openosd.task-sequence; zip: console export'),
  content: z.string().describe('the file: text, or base64 (zip by default)'),
  encoding: z.enum(['text', 'base64']).optional(),
};
const importBody = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  bootImageId: z.string().optional(),
  message: z.string().max(1000).optional(),
  folder: z.string().max(MAX_FOLDER_PATH_LENGTH).optional().describe('the console folder it lands in (names joined by "/"); default the top'),
  ...sequenceFile,
});
const importQuery = z.object({
  name: z.string().optional(),
  description: z.string().optional(),
  bootImageId: z.string().optional(),
  message: z.string().max(1000).optional(),
  folder: z.string().max(MAX_FOLDER_PATH_LENGTH).optional(),
});

const wizardProblem = z.object({
  page: z.string(),
  field: z.string(),
  path: z.string(),
  value: z.string(),
  rule: z.string(),
  severity: z.enum(['error', 'warning']),
});

const deploymentSettings = z.object({
  availability: z.enum(AVAILABILITY),
  availableAt: z.string(),
  expiresAt: z.string().nullable(),
  schedules: z.array(scheduleSchema),
  rerun: z.enum(RERUN),
  showProgress: z.boolean(),
  softwareInstallOutsideMaintenanceWindow: z.boolean(),
  restartOutsideMaintenanceWindow: z.boolean(),
  contentOption: z.enum(CONTENT_OPTIONS),
  preDownload: z.boolean(),
  useRemoteDp: z.boolean(),
  useDefaultBoundaryGroup: z.boolean(),
  comments: z.string(),
  highRiskReasons: z.array(z.string()),
});
const deployment = z.object({
  id: z.string(),
  taskSequenceId: z.string(),
  taskSequenceName: z.string(),
  revision: z.number().describe('the revision computers run'),
  followLatest: z.boolean().describe("true: runs the task sequence's current revision, moving with every save (as in ConfigMgr); false: revision is pinned"),
  currentRevision: z.number().describe("the task sequence's current revision"),
  collectionId: z.string(),
  collectionName: z.string(),
  purpose: z.enum(['available', 'required']),
  settings: deploymentSettings,
  collectionSize: z.number(),
  highRisk: z.boolean(),
  enabled: z.boolean(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string().nullable(),
});

const manifestPackage = z.object({
  packageId: z.string(),
  name: z.string(),
  type: z.string(),
  packageType: z.number(),
  referencedAs: z.string(),
  sourceVersion: z.number(),
  contentId: z.string().nullable(),
  sizeBytes: z.number(),
  fileCount: z.number(),
  preCache: z.object({ matches: z.boolean(), rule: z.string() }),
  preCached: z.boolean(),
  distributionPoints: z.array(z.string()),
});

const simulateMachine = {
  profile: z.string().max(128).optional().describe('an example machine profile (GET /machine-profiles: id)'),
  resourceId: z.number().int().min(1).optional().describe('a device: its firmware, architecture, identity, inventory and variables'),
  firmware: z.enum(['bios', 'uefi']).optional().describe('with resourceId: for a device that has not told the site its firmware'),
  architecture: z.enum(['x86', 'x64', 'arm64']).optional().describe('with resourceId: for a device that has not told the site its architecture'),
  mediaType: z
    .enum(['PXE', 'BootMedia', 'FullMedia', 'OEMMedia'])
    .optional()
    .describe('how it starts (default: PXE for bare metal, Software Center when an OS is installed)'),
  variables: z
    .array(z.strictObject({ name: z.string().min(1).max(256), value: z.string().max(4000) }))
    .max(MAX_SIMULATE_VARIABLES)
    .optional()
    .describe("variables as a collection or device would set them (after the device's own)"),
  fail: z
    .array(z.strictObject({ step: z.string().min(1).max(1024), exitCode: z.number().int().min(-2147483648).max(4294967295) }))
    .max(MAX_SIMULATE_FAILURES)
    .optional()
    .describe('make a step (its name or path) exit with this code'),
};
const simulatedStep = z.object({
  index: z.number().describe("the instruction's position: groups and steps in tree order (pre-order), from 0"),
  path: z.string().describe('names from the top, " / " between them ([n] for a repeated name)'),
  name: z.string(),
  kind: z.enum(['group', 'step']),
  type: z.string().nullable(),
  outcome: z.enum(SIMULATED_OUTCOMES),
  reason: z.string().nullable().describe('why it was skipped (the condition that was false, with the values seen), disabled, failed or not reached'),
  predicted: z.boolean().describe('the step was only predicted (a simulation does nothing): always true for a step that ran'),
  exitCode: z.number().nullable(),
  exitCodeHex: z.string().nullable(),
  runs: z.number(),
  effects: z.array(z.string()).describe('what it was predicted to change: variables, the disk, restarts'),
  assumed: z.array(z.string()).describe('what the prediction took for granted'),
});
const simulation = z.object({
  taskSequenceId: z.string().nullable(),
  revision: z.number().nullable(),
  machine: z.object({
    source: z.enum(['profile', 'device']),
    name: z.string(),
    profile: z.string().nullable().describe('the example profile used (for a device: for its disks and devices)'),
    resourceId: z.number().nullable(),
    firmware: z.enum(['bios', 'uefi']),
    architecture: z.string(),
    notes: z.array(z.string()),
  }),
  startedIn: z.enum(['WinPE', 'FullOS']),
  result: z.enum(['success', 'failure']),
  exitCode: z.number(),
  exitCodeHex: z.string(),
  failedAt: z.string().nullable(),
  message: z.string().nullable(),
  steps: z.array(simulatedStep),
  restarts: z.array(z.object({ after: z.string(), into: z.enum(['WinPE', 'FullOS']) })),
  counts: z
    .object({ run: z.number(), failed: z.number(), skipped: z.number(), disabled: z.number(), 'not-reached': z.number() })
    .describe('steps (not groups)'),
  variables: z.record(z.string(), z.string()).describe('the variables at the end, secrets masked'),
  budget: z.object({ instructions: z.number(), milliseconds: z.number() }),
});
const SIMULATE_DESCRIPTION =
  'Runs the simulator (the engine with every step predicted, nothing done) against an example machine profile (`profile`) or a device (`resourceId`: its firmware and architecture as it registered, or as given, its identity and inventory, its collection and device variables; disks and devices from the bare-metal example of its firmware). Every group and step comes back with its outcome — run, skipped, disabled, failed, not-reached — and the reason in words. Limits, checked before any work: the sequence as for a save (10,000 groups and steps, nesting), 500 variables, 100 forced exit codes; while it runs: 10 s and 200,000 instructions (then 422), 50 restarts (then a failure at the step that restarts).';

export const taskSequenceRoutes = [
  // Before /task-sequences/:id: the editor's lint of an unsaved sequence, the step catalog.
  ...consoleEditorRoutes,
  route({
    method: 'GET',
    path: '/task-sequences',
    tag: TAG,
    summary: 'List task sequences (search: a part of the name or the PackageID, any case; folder: the ones in that folder, empty for the top)',
    permission: 'read',
    query: z.object({ search: z.string().max(256).optional(), folder: z.string().max(MAX_FOLDER_PATH_LENGTH).optional() }),
    response: z.array(tsInfo),
    handler: async ({ site, query }) => listTaskSequences(site.db, query),
  }),
  route({
    method: 'POST',
    path: '/task-sequences',
    tag: TAG,
    summary: 'Import a task sequence (XML, SmsTaskSequencePackage wrapper, console-export zip or JSON) as revision 1',
    description:
      'JSON body {name?, format, content (text, or base64 for zip)}, or the raw file as application/xml or application/zip with ?name=. Secret values in the file are kept encrypted and never shown. A task sequence larger than 2 MB is refused (osd-features §2.10).',
    permission: 'task-sequence.write',
    query: importQuery,
    // The raw zip first: zod's union tries options in order, and a strict object checks every
    // key of what it is given (the 8 MiB of a Buffer would take seconds).
    body: z.union([z.instanceof(Uint8Array), z.string(), importBody]),
    response: saveResult,
    status: 201,
    handler: async ({ site, actor, body, query }) => {
      if (typeof body === 'string') return importTaskSequence(site, actor, { ...query, format: 'xml', content: body }, 'query.folder');
      if (body instanceof Uint8Array) return importTaskSequence(site, actor, { ...query, format: 'zip', content: body }, 'query.folder');
      return importTaskSequence(site, actor, { ...query, ...body }, body.folder !== undefined ? 'body.folder' : 'query.folder');
    },
  }),
  route({
    method: 'POST',
    path: '/task-sequences/wizard/install-image',
    tag: TAG,
    summary: 'Create Task Sequence Wizard, "Install an existing image package": answers (docs/wizard-answers.md) → revision 1',
    description: "The answers are checked against the site's content; every problem is listed at once (page, field, path) in a 400 and nothing is created.",
    permission: 'task-sequence.write',
    query: z.object({
      folder: z.string().max(MAX_FOLDER_PATH_LENGTH).optional().describe('the console folder it lands in (names joined by "/"); default the top'),
    }),
    body: z.record(z.string(), z.unknown()),
    response: saveResult.extend({ problems: z.array(wizardProblem) }),
    status: 201,
    handler: async ({ site, actor, body, query }) => createInstallImageTaskSequence(site, actor, body, { folder: query.folder }),
  }),
  route({
    method: 'GET',
    path: '/task-sequences/:id',
    tag: TAG,
    summary: 'A task sequence: properties, current revision, the model as canonical JSON (secrets masked) and its references',
    permission: 'read',
    params: idParams,
    response: detail,
    handler: async ({ site, params }) => getTaskSequence(site, params.id),
  }),
  route({
    method: 'PUT',
    path: '/task-sequences/:id',
    tag: TAG,
    summary: 'Save a new revision',
    description:
      'baseRevision must be the current revision (else 409 naming the current revision, its author and time). Give the model as "sequence" (the JSON document GET returns) or a file as "format" + "content". Secrets shown as ******** (or exported empty) keep their value; list addresses in clearSecrets to remove one.',
    permission: 'task-sequence.write',
    params: idParams,
    body: z.strictObject({
      baseRevision: z.number().int().min(1),
      message: z.string().max(1000).optional(),
      sequence: z.record(z.string(), z.unknown()).optional(),
      format: fileFormat.optional(),
      content: z.string().optional(),
      encoding: z.enum(['text', 'base64']).optional(),
      clearSecrets: z.array(z.string()).optional(),
    }),
    response: saveResult,
    handler: async ({ site, actor, params, body }) =>
      saveTaskSequence(site, actor, params.id, {
        baseRevision: body.baseRevision,
        message: body.message,
        sequence: body.sequence,
        file: body.content !== undefined ? { format: body.format ?? 'xml', content: body.content, encoding: body.encoding } : undefined,
        clearSecrets: body.clearSecrets,
      }),
  }),
  route({
    method: 'PATCH',
    path: '/task-sequences/:id',
    tag: TAG,
    summary: 'Change properties: name, description, boot image, maximum run time, high impact and its custom text, disabled, folder (no new revision)',
    permission: 'task-sequence.write',
    params: idParams,
    body: z.strictObject({
      name: z.string().optional(),
      description: z.string().optional(),
      bootImageId: z.string().nullable().optional(),
      maxRunTimeMinutes: z.number().int().optional(),
      highImpact: z.boolean().optional(),
      customText: highImpactText.nullable().optional(),
      disabled: z.boolean().optional(),
      folder: z
        .string()
        .max(MAX_FOLDER_PATH_LENGTH)
        .optional()
        .describe(
          `move it to this folder: names joined by "/" (at most ${MAX_FOLDER_DEPTH} deep, ${MAX_FOLDER_NAME_LENGTH} characters each), empty for the top`,
        ),
    }),
    response: tsInfo,
    handler: async ({ site, actor, params, body }) => updateTaskSequenceProperties(site, actor, params.id, body),
  }),
  route({
    method: 'DELETE',
    path: '/task-sequences/:id',
    tag: TAG,
    summary: 'Delete a task sequence and its history (refused while it is deployed)',
    permission: 'task-sequence.write',
    params: idParams,
    response: tsInfo,
    handler: async ({ site, actor, params }) => deleteTaskSequence(site, actor, params.id),
  }),
  route({
    method: 'GET',
    path: '/task-sequences/:id/revisions',
    tag: TAG,
    summary: 'Revision history, newest first',
    permission: 'read',
    params: idParams,
    response: z.array(revisionInfo),
    handler: async ({ site, params }) => listRevisions(site.db, params.id),
  }),
  route({
    method: 'GET',
    path: '/task-sequences/:id/revisions/:revision',
    tag: TAG,
    summary: 'One revision: the model (secrets masked) and its references',
    permission: 'read',
    params: z.object({ id: packageId, revision: revisionNumber }),
    response: detail,
    handler: async ({ site, params }) => getTaskSequence(site, params.id, params.revision),
  }),
  route({
    method: 'GET',
    path: '/task-sequences/:id/diff',
    tag: TAG,
    summary: "Compare two revisions: the changes in an admin's terms, as JSON and as text",
    permission: 'read',
    params: idParams,
    query: z.object({ from: revisionNumber, to: revisionNumber }),
    response: z.object({
      id: z.string(),
      from: z.number(),
      to: z.number(),
      changes: z.array(sequenceChange),
      secretChanges: z.array(z.object({ address: z.string(), change: z.enum(['set', 'changed', 'cleared']), message: z.string() })),
      text: z.string(),
    }),
    handler: async ({ site, params, query }) => compareRevisions(site, params.id, query.from, query.to),
  }),
  route({
    method: 'POST',
    path: '/task-sequences/:id/revert',
    tag: TAG,
    summary: 'Revert to revision N: a new revision equal to N',
    permission: 'task-sequence.write',
    params: idParams,
    body: z.strictObject({ revision: z.number().int().min(1), message: z.string().max(1000).optional(), baseRevision: z.number().int().min(1).optional() }),
    response: saveResult,
    status: 201,
    handler: async ({ site, actor, params, body }) => revertTaskSequence(site, actor, params.id, body),
  }),
  route({
    method: 'GET',
    path: '/task-sequences/:id/export',
    tag: TAG,
    summary: 'Export a revision as XML, the SmsTaskSequencePackage wrapper, JSON or a console-export zip (secrets empty)',
    permission: 'read',
    params: idParams,
    query: z.object({ format: z.enum(['xml', 'wrapper', 'json', 'zip']).default('xml'), revision: revisionNumber.optional() }),
    raw: { contentType: 'application/octet-stream' },
    response: z.unknown(),
    handler: async ({ site, params, query, reply }) => {
      const file = await exportTaskSequence(site, params.id, query.format, query.revision);
      await reply
        .status(200)
        .header('content-type', file.contentType === 'application/zip' ? file.contentType : `${file.contentType}; charset=utf-8`)
        .header('content-disposition', `attachment; filename="${file.fileName.replace(/"/g, '')}"`)
        .header('x-openosd-revision', String(file.revision))
        .send(file.bytes);
      return undefined;
    },
  }),
  route({
    method: 'GET',
    path: '/task-sequences/:id/lint',
    tag: TAG,
    summary: "Lint a revision against the site's content (references, conditions, environments, …)",
    permission: 'read',
    params: idParams,
    query: z.object({ revision: revisionNumber.optional() }),
    response: z.object({
      id: z.string(),
      revision: z.number(),
      findings: z.array(
        z.object({ rule: z.string(), severity: z.enum(['error', 'warning', 'info']), path: z.string(), message: z.string(), hint: z.string() }),
      ),
      counts: z.object({ error: z.number(), warning: z.number(), info: z.number() }),
    }),
    handler: async ({ site, params, query }) => lintTaskSequence(site, params.id, query.revision),
  }),

  route({
    method: 'GET',
    path: '/task-sequence-folders',
    tag: TAG,
    summary: 'The folders of the Task Sequences node: every folder in use and its parents, with how many task sequences each holds',
    description: 'A folder exists while a task sequence is in it (or in a folder below it): move one there to make it (PATCH /task-sequences/:id with folder).',
    permission: 'read',
    response: z.array(
      z.object({
        path: z.string(),
        name: z.string(),
        parent: z.string().describe('empty at the top'),
        taskSequenceCount: z.number().describe('directly in it'),
        totalCount: z.number().describe('in it and every folder below it'),
      }),
    ),
    handler: async ({ site }) => listTaskSequenceFolders(site.db),
  }),
  route({
    method: 'GET',
    path: '/machine-profiles',
    tag: TAG,
    summary: 'The example machine profiles a simulation can run against: id, name, firmware, architecture, installed OS',
    permission: 'read',
    response: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        description: z.string(),
        firmware: z.enum(['bios', 'uefi']),
        architecture: z.string(),
        operatingSystem: z.string().nullable().describe('null: bare metal, it starts from the network'),
      }),
    ),
    handler: async () => listMachineProfiles(),
  }),
  route({
    method: 'POST',
    path: '/task-sequences/:id/simulate',
    tag: TAG,
    summary:
      'Simulate a stored revision (default: the current one) on an example machine profile or a device: each step run, skipped, failed or not reached, and why',
    description: SIMULATE_DESCRIPTION,
    permission: 'read',
    params: idParams,
    body: z.strictObject({ revision: z.number().int().min(1).optional(), ...simulateMachine }),
    response: simulation,
    handler: async ({ site, params, body }) => simulateTaskSequence(site, params.id, body),
  }),
  route({
    method: 'POST',
    path: '/task-sequences/simulate',
    tag: TAG,
    summary: "Simulate a sequence that is not saved (the editor's): the JSON document, on an example machine profile or a device",
    description: `${SIMULATE_DESCRIPTION} The sequence is the JSON document the site gives with a task sequence (at most 4 MiB of JSON); secrets shown as ******** are simulated as that text.`,
    permission: 'read',
    body: z.strictObject({ sequence: z.record(z.string(), z.unknown()), ...simulateMachine }),
    response: simulation,
    handler: async ({ site, body }) => simulateTaskSequence(site, null, body),
  }),

  route({
    method: 'POST',
    path: '/deployments',
    tag: DEPLOY_TAG,
    summary: 'Deploy a task sequence revision to a collection (Deploy Software Wizard, osd-features §4.1–§4.5)',
    description:
      'Refused when the revision references content the site does not have, when a deployment option is not offered (§4.3), or for a blocked high-risk deployment; a high-risk one that needs acknowledging answers 409 high-risk-confirmation-required with the reasons until sent with confirmHighRisk: true.',
    permission: 'deployment.write',
    body: deploymentInputSchema,
    response: z.object({ deployment, warnings: z.array(z.string()) }),
    status: 201,
    handler: async ({ site, actor, body }) => createDeployment(site, actor, body),
  }),
  route({
    method: 'GET',
    path: '/deployments',
    tag: DEPLOY_TAG,
    summary: 'List deployments (filter by collection or task sequence)',
    permission: 'read',
    query: z.object({ collectionId: z.string().optional(), taskSequenceId: z.string().optional() }),
    response: z.array(deployment),
    handler: async ({ site, query }) => listDeployments(site.db, query),
  }),
  route({
    method: 'GET',
    path: '/deployments/:id',
    tag: DEPLOY_TAG,
    summary: 'A deployment',
    permission: 'read',
    params: idParams,
    response: deployment,
    handler: async ({ site, params }) => getDeployment(site.db, params.id),
  }),
  route({
    method: 'PATCH',
    path: '/deployments/:id',
    tag: DEPLOY_TAG,
    summary:
      'Change a deployment: its schedules, availability times, rerun, user experience, content options, pre-download, comments, enabled, or the revision it runs',
    description:
      'Only the fields given change. revision: a number pins that revision, "latest" follows the current one. The rules of creation (§4.1, §4.3, §4.4) hold for the deployment as it would be: a refused update answers 400 naming the field, and nothing changes. Purpose, availability, task sequence and collection cannot change (deploy again). The answer is the deployment with the warnings that apply to it now.',
    permission: 'deployment.write',
    params: idParams,
    body: deploymentUpdateSchema,
    response: deployment.extend({ warnings: z.array(z.string()) }),
    handler: async ({ site, actor, params, body }) => updateDeployment(site, actor, params.id, body),
  }),
  route({
    method: 'DELETE',
    path: '/deployments/:id',
    tag: DEPLOY_TAG,
    summary: 'Delete a deployment',
    permission: 'deployment.write',
    params: idParams,
    response: deployment,
    handler: async ({ site, actor, params }) => deleteDeployment(site, actor, params.id),
  }),
  route({
    method: 'GET',
    path: '/deployments/:id/content-manifest',
    tag: DEPLOY_TAG,
    summary: 'The content one machine needs for this deployment: packages, sizes, pre-cache, distribution points',
    permission: 'read',
    params: idParams,
    query: z.object({
      architecture: z.string().optional(),
      language: z.string().optional(),
      model: z.string().optional(),
      firmware: z.enum(['uefi', 'bios']).optional(),
    }),
    response: z.object({
      deploymentId: z.string(),
      taskSequenceId: z.string(),
      revision: z.number(),
      machine: z.object({
        architecture: z.string().optional(),
        language: z.string().optional(),
        model: z.string().optional(),
        firmware: z.enum(['uefi', 'bios']).optional(),
      }),
      preCacheApplies: z.boolean(),
      preCacheRule: z.string(),
      bootImage: z.object({ packageId: z.string(), architecture: z.string(), pxeCompatible: z.boolean().nullable(), rule: z.string() }).nullable(),
      packages: z.array(manifestPackage),
      totals: z.object({
        packages: z.number(),
        totalBytes: z.number(),
        preCacheBytes: z.number(),
        notDistributed: z.array(z.string()),
        withoutContent: z.array(z.string()),
      }),
    }),
    handler: async ({ site, params, query }) => deploymentContentManifest(site.db, params.id, query),
  }),
];
