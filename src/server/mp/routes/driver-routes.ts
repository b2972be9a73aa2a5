/**
 * `GET /mp/v1/driver-catalog?architecture=` (docs/management-point.md "Drivers"): the drivers Auto
 * Apply Drivers may choose for this computer's architecture — those a driver package holds on a
 * distribution point — as a driver catalog, with those packages' files and locations.
 */
import { z } from 'zod';
import { deviceDriverCatalog } from '../../../site/mp/driver-catalog.js';
import { mpRoute } from '../route.js';
import type { MpRouteModule } from './index.js';

const file = z.object({ path: z.string(), size: z.number(), sha256: z.string() });

export const driverRoutes: MpRouteModule = () => [
  mpRoute({
    method: 'GET',
    path: '/driver-catalog',
    summary:
      'The driver catalog Auto Apply Drivers chooses from on this computer: enabled drivers of its architecture held by a driver package on a distribution point',
    auth: 'device',
    query: z.object({ architecture: z.string().max(16).describe('x86, x64 or arm64') }).strict(),
    response: z.object({
      architecture: z.string(),
      catalog: z.object({
        schema: z.literal('openosd.driver-catalog/v1'),
        drivers: z.array(
          z.object({
            id: z.string(),
            name: z.string(),
            inf: z.string(),
            folder: z.string(),
            provider: z.string().optional(),
            class: z.string().optional(),
            version: z.string().optional(),
            date: z.string().optional(),
            hardwareIds: z.array(z.string()),
            platforms: z.array(z.string()),
            categories: z.array(z.string()),
            enabled: z.boolean(),
          }),
        ),
        packages: z.array(z.never()),
      }),
      packages: z.array(
        z.object({
          packageId: z.string(),
          name: z.string(),
          sourceVersion: z.number(),
          sizeBytes: z.number(),
          files: z.array(file),
          locations: z.array(z.object({ dp: z.string(), url: z.string() })),
        }),
      ),
      unavailable: z.number().describe('enabled drivers of this architecture in no driver package on a distribution point'),
    }),
    handler: async ({ site, device, query }) => deviceDriverCatalog(site, device, query.architecture),
  }),
];
