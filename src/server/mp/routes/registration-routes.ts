/**
 * Registration at the management point (docs/management-point.md § Identity and credentials):
 * register (no credential), the registration state (pending devices too), rotate the credential.
 */
import { z } from 'zod';
import { registrationState } from '../../../site/mp/approval.js';
import { rotateCredential } from '../../../site/mp/credentials.js';
import { registerComputer, registrationSchema } from '../../../site/mp/registration.js';
import { MAX_REGISTER_BODY_BYTES } from '../../../site/mp/limits.js';
import { mpRoute } from '../route.js';
import type { MpRouteModule } from './index.js';

const approval = z.enum(['approved', 'pending', 'refused']);

export const registrationRoutes: MpRouteModule = () => [
  mpRoute({
    method: 'POST',
    path: '/register',
    summary: 'Register this computer: find its record by SMBIOS GUID or MAC, or register it as an unknown computer; returns a new device credential',
    description:
      '201 when the device may get policy, 202 while it waits for approval (the credential then answers only GET /mp/v1/registration). ' +
      'Registering again revokes the older credentials of the device. 403 `unknown-computers-refused` when the site refuses unknown computers, `device-refused` for a refused device.',
    auth: 'none',
    body: registrationSchema,
    // Anyone may call it: a small body limit keeps unauthenticated work small.
    bodyLimit: MAX_REGISTER_BODY_BYTES,
    response: z.object({
      resourceId: z.number(),
      name: z.string(),
      known: z.boolean(),
      unknownComputer: z.enum(['x86', 'x64']).nullable(),
      approval: z.enum(['approved', 'pending']),
      credential: z.string(),
      credentialExpiresAt: z.string(),
      notes: z.array(z.string()),
    }),
    status: 201,
    handler: async ({ site, request, reply }) => {
      // The service checks the raw body itself (its schema is the route's), so it names the same fields.
      const r = await registerComputer(site, request.body);
      if (r.approval === 'pending') void reply.status(202);
      return r;
    },
  }),
  mpRoute({
    method: 'GET',
    path: '/registration',
    summary: "This device's registration: approval, first and last contact",
    auth: 'registered',
    response: z.object({
      resourceId: z.number(),
      name: z.string(),
      unknown: z.boolean(),
      approval,
      registeredAt: z.string().nullable(),
      lastContactAt: z.string().nullable(),
    }),
    handler: async ({ site, device }) => registrationState(site.db, device.resourceId),
  }),
  mpRoute({
    method: 'POST',
    path: '/credential/rotate',
    summary: 'A new device credential for this device; the one used for this request stops working',
    auth: 'device',
    response: z.object({ credential: z.string(), credentialExpiresAt: z.string() }),
    handler: async ({ site, device }) => {
      const issued = await rotateCredential(site.db, device);
      return { credential: issued.credential, credentialExpiresAt: issued.expiresAt };
    },
  }),
];
