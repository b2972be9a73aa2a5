/**
 * A device's policy and what it needs to run a deployment (docs/management-point.md § Policy):
 * the policy, a deployment's pinned sequence (secrets opened for this device only) and its content
 * with file hashes and distribution point locations. Another device's deployment is a 404.
 */
import { z } from 'zod';
import { computePolicy } from '../../../site/mp/policy.js';
import { deploymentSequence } from '../../../site/mp/deployment-sequence.js';
import { deploymentContent } from '../../../site/mp/deployment-content.js';
import { ENVIRONMENTS } from '../../../site/mp/registration.js';
import { MAX_ATTRIBUTE_LENGTH } from '../../../site/mp/limits.js';
import { mpRoute } from '../route.js';
import type { MpRouteModule } from './index.js';

const deploymentParam = z.object({ deploymentId: z.string().max(8).describe('the deployment id, e.g. PS120003') }).strict();

const policyDeployment = z.object({
  deploymentId: z.string(),
  taskSequenceId: z.string(),
  name: z.string(),
  description: z.string(),
  revision: z.number().describe('the revision the deployment pins'),
  purpose: z.enum(['available', 'required']),
  availability: z.string(),
  availableAt: z.string(),
  expiresAt: z.string().nullable(),
  schedules: z.array(z.unknown()),
  rerun: z.string(),
  contentOption: z.string(),
  preDownload: z.boolean(),
  showProgress: z.boolean(),
  collectionId: z.string(),
  offered: z.boolean().describe('may run in this environment now'),
  reason: z.string(),
  lastRun: z.object({ runId: z.string(), result: z.string(), endedAt: z.string().nullable() }).nullable(),
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
  architecture: z.string().optional().describe("the package's Architecture attribute (an OS image: its images' own when they share one)"),
  images: z
    .array(z.object({ index: z.number(), name: z.string(), architecture: z.string() }))
    .optional()
    .describe("an OS image package's images"),
  streamAnchor: z
    .object({ file: z.string(), bytes: z.number(), sha256: z.string() })
    .optional()
    .describe(
      "an OS image package whose WIM is pipable: the SHA-256 of the WIM's first `bytes` (header, XML and every image's metadata), checked while it streams into wimlib",
    ),
  files: z.array(z.object({ path: z.string(), size: z.number(), sha256: z.string() })),
  locations: z.array(z.object({ dp: z.string(), url: z.string() })),
});

export const policyRoutes: MpRouteModule = () => [
  mpRoute({
    method: 'GET',
    path: '/policy',
    summary: "This device's policy: its deployments (offered in this environment or why not), variables and boot image",
    description: 'Computed when asked; the device’s collection membership is re-evaluated first. Secret variable values are in clear, for this device only.',
    auth: 'device',
    query: z.object({ environment: z.enum(ENVIRONMENTS) }).strict(),
    response: z.object({
      device: z.object({ resourceId: z.number(), name: z.string(), unknown: z.boolean() }),
      environment: z.enum(ENVIRONMENTS),
      deployments: z.array(policyDeployment),
      variables: z.array(z.object({ name: z.string(), value: z.string(), secret: z.boolean(), source: z.string() })),
      bootImage: z.object({ packageId: z.string(), architecture: z.string(), deploymentId: z.string(), rule: z.string() }).nullable(),
      notes: z.array(z.string()),
    }),
    handler: async ({ site, device, query }) => computePolicy(site, device, query.environment),
  }),
  mpRoute({
    method: 'GET',
    path: '/deployments/:deploymentId/sequence',
    summary: "A deployment's task sequence as the JSON model, at the revision the deployment pins, secrets opened for this device",
    auth: 'device',
    params: deploymentParam,
    response: z.object({
      deploymentId: z.string(),
      taskSequenceId: z.string(),
      revision: z.number(),
      name: z.string(),
      sequence: z.record(z.string(), z.unknown()).describe('the JSON model, secret values in it'),
      secretVariables: z.array(z.string()).describe('variables whose values are secret: mask them in logs'),
    }),
    handler: async ({ site, device, params }) => deploymentSequence(site, device, params.deploymentId),
  }),
  mpRoute({
    method: 'GET',
    path: '/deployments/:deploymentId/content',
    summary: "A deployment's content for this machine: packages, their files with SHA-256, and the distribution points holding them",
    auth: 'device',
    params: deploymentParam,
    query: z
      .object({
        architecture: z.string().max(16).optional(),
        language: z.string().max(MAX_ATTRIBUTE_LENGTH).optional(),
        model: z.string().max(MAX_ATTRIBUTE_LENGTH).optional(),
        firmware: z.string().max(16).optional(),
      })
      .strict(),
    response: z.object({
      deploymentId: z.string(),
      taskSequenceId: z.string(),
      revision: z.number(),
      machine: z.object({
        architecture: z.string().optional(),
        language: z.string().optional(),
        model: z.string().optional(),
        firmware: z.string().optional(),
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
    handler: async ({ site, device, params, query }) => deploymentContent(site, device, params.deploymentId, query),
  }),
];
