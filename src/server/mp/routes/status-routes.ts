/**
 * `POST /mp/v1/status` (docs/management-point.md "Runs and status"): a batch of the device's status
 * messages, at most 500 and 1 MiB, answered only once committed — { stored, duplicates }, a message
 * id already stored counted as a duplicate. Refused whole (nothing stored) when any message breaks
 * a rule, names a deployment that does not target the device, or a run of another device (404).
 */
import { z } from 'zod';
import { MAX_STATUS_BATCH_BYTES, statusBatchSchema, storeStatusBatch } from '../../../site/mp/status.js';
import { mpRoute } from '../route.js';
import type { MpRouteModule } from './index.js';

export const statusRoutes: MpRouteModule = () => [
  mpRoute({
    method: 'POST',
    path: '/status',
    summary: "Store a batch of the device's status messages (≤ 500 messages, ≤ 1 MiB); a repeated message id is stored once",
    description:
      'Answered after the batch is committed. Each message belongs to a run (a UUID the agent made) of a deployment that targets this device; a run of another device answers 404.',
    auth: 'device',
    body: statusBatchSchema,
    bodyLimit: MAX_STATUS_BATCH_BYTES,
    response: z.object({ stored: z.number(), duplicates: z.number() }),
    handler: async ({ site, device, body }) => storeStatusBatch(site.db, device, body),
  }),
];
