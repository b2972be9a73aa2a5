/**
 * The management point's answers for Install Application and Install Software Updates
 * (docs/management-point.md "Applications and software updates", src/site/mp/software.ts):
 *
 * - `POST /mp/v1/applications` `{ names }`: the applications a step names (model names, or the exact
 *   display names of a dynamic variable list) with their dependencies, deployment types, content and
 *   locations; the ones a task sequence may not install are refused with the reasons.
 * - `GET /mp/v1/software-updates`: the updates deployed to the computer's collections, with purpose.
 */
import { z } from 'zod';
import { deviceApplications, deviceSoftwareUpdates, MAX_APPLICATION_NAMES } from '../../../site/mp/software.js';
import { mpRoute } from '../route.js';
import type { MpRouteModule } from './index.js';

const file = z.object({ path: z.string(), size: z.number(), sha256: z.string() });
const contentPackage = z.object({
  packageId: z.string(),
  name: z.string(),
  sourceVersion: z.number(),
  sizeBytes: z.number(),
  files: z.array(file),
  locations: z.array(z.object({ dp: z.string(), url: z.string() })),
});

const detectionMethod = z.object({
  kind: z.enum(['msi-product-code', 'file', 'folder', 'registry', 'script']),
  value: z.string(),
  valueName: z.string().optional(),
  equals: z.string().optional(),
});

export const softwareRoutes: MpRouteModule = () => [
  mpRoute({
    method: 'POST',
    path: '/applications',
    summary:
      "The applications an Install Application step names, with dependencies, deployment types and content; those a task sequence may not install are refused with §2.7's reasons",
    auth: 'device',
    body: z
      .object({
        names: z
          .array(z.string().min(1).max(512))
          .min(1)
          .max(MAX_APPLICATION_NAMES)
          .describe('application model names (ScopeId_…/Application_…) or exact, case-sensitive display names'),
      })
      .strict(),
    response: z.object({
      applications: z.array(
        z.object({
          modelName: z.string(),
          name: z.string(),
          softwareVersion: z.string(),
          allowTaskSequenceInstall: z.boolean(),
          packageId: z.string().nullable(),
          dependencies: z.array(z.string()),
          deploymentTypes: z.array(
            z.object({
              name: z.string(),
              technology: z.string(),
              installCommand: z.string(),
              successCodes: z.array(z.number()),
              restartCodes: z.array(z.number()),
              detectionMethod,
            }),
          ),
        }),
      ),
      refused: z.array(z.object({ name: z.string(), modelName: z.string(), reasons: z.array(z.string()) })),
      unknown: z.array(z.string()),
      packages: z.array(contentPackage),
    }),
    handler: async ({ site, device, body }) => deviceApplications(site, device, body.names),
  }),
  mpRoute({
    method: 'GET',
    path: '/software-updates',
    summary:
      'The software updates deployed to the collections this computer is a member of, with purpose (Required is the step\'s "Mandatory"), applicability and payload',
    auth: 'device',
    response: z.object({
      updates: z.array(
        z.object({
          updateId: z.string(),
          articleId: z.string(),
          title: z.string(),
          classification: z.string(),
          products: z.array(z.string()),
          purpose: z.enum(['required', 'available']),
          deadline: z.string().nullable(),
          deployments: z.array(z.string()),
          applicability: z.object({ minOsBuild: z.number().optional(), maxOsBuild: z.number().optional(), architectures: z.array(z.string()) }),
          supersedes: z.array(z.string()),
          packageId: z.string().nullable(),
          files: z.array(z.object({ name: z.string(), size: z.number(), sha256: z.string() })),
          restartRequired: z.boolean(),
        }),
      ),
      packages: z.array(contentPackage),
      notOffered: z.array(z.object({ updateId: z.string(), reason: z.string() })),
      notes: z.array(z.string()),
    }),
    handler: async ({ site, device }) => deviceSoftwareUpdates(site, device),
  }),
];
