/**
 * `PUT /mp/v1/runs/:runId/logs/:name` (docs/management-point.md "Runs and status"): a log of one of
 * the device's runs as text/plain — smsts.log or a rotated smsts-<timestamp>.log, at most 16 MiB a
 * file and 64 MiB a run. 201 when new, 200 when it replaces the log of that name. A run of another
 * device answers 404.
 */
import { z } from 'zod';
import { badInput } from '../../../site/errors.js';
import { MAX_LOG_BYTES, storeRunLog } from '../../../site/mp/logs.js';
import { mpRoute } from '../route.js';
import type { MpRouteModule } from './index.js';

export const logRoutes: MpRouteModule = () => [
  mpRoute({
    method: 'PUT',
    path: '/runs/:runId/logs/:name',
    summary: "Upload a log of one of the device's runs (text/plain; smsts.log or smsts-<timestamp>.log; ≤ 16 MiB a file, ≤ 64 MiB a run)",
    description: 'The same name again replaces the stored log (the log of a resumed run grows): 200 then, 201 for a new one.',
    auth: 'device',
    params: z.object({ runId: z.string().max(64), name: z.string().max(64) }),
    bodyKind: 'text',
    bodyLimit: MAX_LOG_BYTES,
    response: z.object({ runId: z.string(), name: z.string(), size: z.number(), sha256: z.string(), uploadedAt: z.string(), replaced: z.boolean() }),
    handler: async ({ site, device, params, body, reply }) => {
      if (body !== undefined && body !== null && typeof body !== 'string') {
        throw badInput('Content-Type', 'a log is sent as text/plain', 'send the file as it is, with Content-Type: text/plain; charset=utf-8');
      }
      const stored = await storeRunLog(site.db, device, params.runId, params.name, body ?? '');
      // 201 for a new log; 200 (the route's status) when it replaced one.
      if (!stored.replaced) void reply.status(201);
      return stored;
    },
  }),
];
