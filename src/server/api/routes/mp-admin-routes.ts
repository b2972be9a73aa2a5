/**
 * The administrator's side of the management point (docs/management-point.md): approve or refuse
 * a device that registered on first contact, revoke a device's credentials, clear Required PXE
 * deployments per device or per collection (osd-features §3.2, §4.2, §5.1), and the site setting
 * for unknown computers.
 */
import { z } from 'zod';
import { audit } from '../../../site/audit.js';
import { approveDevice, listRegistrations, refuseDevice, registrationState } from '../../../site/mp/approval.js';
import { revokeDeviceCredentials } from '../../../site/mp/credentials.js';
import { clearRequiredForCollection, clearRequiredForDevice } from '../../../site/mp/required-clears.js';
import { getUnknownComputers, putSetting, unknownComputersSchema } from '../../../site/settings.js';
import { hasRegistrationPassword, setRegistrationPassword } from '../../../site/mp/registration-password.js';
import { MAX_REGISTRATION_PASSWORD_LENGTH } from '../../../site/mp/limits.js';
import { route } from '../route.js';

const resourceIdParam = z.object({ resourceId: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }).strict();
const approvalState = z.object({
  resourceId: z.number(),
  name: z.string(),
  unknown: z.boolean(),
  approval: z.enum(['approved', 'pending', 'refused']),
  registeredAt: z.string().nullable(),
  lastContactAt: z.string().nullable(),
  architecture: z.string().nullable(),
  firmware: z.string().nullable(),
});
const cleared = z.object({
  cleared: z.array(z.object({ resourceId: z.number(), deploymentId: z.string() })),
  clearedAt: z.string(),
});

export const mpAdminRoutes = [
  route({
    method: 'GET',
    path: '/devices/registrations',
    tag: 'devices',
    summary: 'Devices that registered at the management point, newest contact first (at most 1,000); approval=pending lists those waiting for an administrator',
    permission: 'read',
    query: z.object({ approval: z.enum(['approved', 'pending', 'refused']).optional() }).strict(),
    response: z.array(approvalState),
    handler: async ({ site, query }) => listRegistrations(site.db, query),
  }),
  route({
    method: 'GET',
    path: '/devices/:resourceId/registration',
    tag: 'devices',
    summary: "A device's registration at the management point: approval, first and last contact",
    permission: 'read',
    params: resourceIdParam,
    response: approvalState,
    handler: async ({ site, params }) => registrationState(site.db, params.resourceId),
  }),
  route({
    method: 'POST',
    path: '/devices/:resourceId/approve',
    tag: 'devices',
    summary: 'Approve a device that registered on first contact (unknownComputers = manual), or one refused before',
    permission: 'device.write',
    params: resourceIdParam,
    response: approvalState,
    handler: async ({ site, actor, params }) => approveDevice(site.db, actor, params.resourceId),
  }),
  route({
    method: 'POST',
    path: '/devices/:resourceId/refuse',
    tag: 'devices',
    summary: 'Refuse a device: its credentials are revoked and it cannot register again until approved',
    permission: 'device.write',
    params: resourceIdParam,
    response: approvalState,
    handler: async ({ site, actor, params }) => refuseDevice(site.db, actor, params.resourceId),
  }),
  route({
    method: 'DELETE',
    path: '/devices/:resourceId/credentials',
    tag: 'devices',
    summary: 'Revoke every device credential of a device (it answers 401 at the management point until it registers again)',
    permission: 'device.write',
    params: resourceIdParam,
    response: z.object({ resourceId: z.number(), name: z.string(), revoked: z.number() }),
    handler: async ({ site, actor, params }) => revokeDeviceCredentials(site.db, actor, params.resourceId),
  }),
  route({
    method: 'POST',
    path: '/devices/:resourceId/clear-required',
    tag: 'devices',
    summary: 'Clear Required PXE Deployments for a device: a Required deployment that already ran is offered again in WinPE (osd-features §4.2)',
    permission: 'device.write',
    params: resourceIdParam,
    response: cleared,
    handler: async ({ site, actor, params }) => clearRequiredForDevice(site.db, actor, params.resourceId),
  }),
  route({
    method: 'POST',
    path: '/collections/:collectionId/clear-required',
    tag: 'collections',
    summary: 'Clear Required PXE Deployments for every member of a collection',
    permission: 'device.write',
    params: z.object({ collectionId: z.string().max(8) }).strict(),
    response: cleared,
    handler: async ({ site, actor, params }) => clearRequiredForCollection(site.db, actor, params.collectionId),
  }),
  route({
    method: 'GET',
    path: '/settings/unknown-computers',
    tag: 'site',
    summary: 'Unknown computer support: auto (register and approve), manual (register, wait for approval) or refuse (osd-features §3.2)',
    permission: 'read',
    response: unknownComputersSchema,
    handler: async ({ site }) => ({ unknownComputers: await getUnknownComputers(site.db) }),
  }),
  route({
    method: 'PUT',
    path: '/settings/unknown-computers',
    tag: 'site',
    summary: 'Change unknown computer support',
    permission: 'site.write',
    body: unknownComputersSchema,
    response: unknownComputersSchema,
    handler: async ({ site, actor, body }) =>
      site.db.transaction(async (tx) => {
        await putSetting(tx, 'unknown_computers', body.unknownComputers);
        await audit(tx, actor, 'update', 'setting', 'unknown-computers', body);
        return body;
      }),
  }),
  route({
    method: 'GET',
    path: '/settings/registration-password',
    tag: 'site',
    summary: 'Whether computers must give a registration password to register at the management point (never the password)',
    permission: 'read',
    response: z.object({ registrationPassword: z.boolean() }),
    handler: async ({ site }) => ({ registrationPassword: await hasRegistrationPassword(site.db) }),
  }),
  route({
    method: 'PUT',
    path: '/settings/registration-password',
    tag: 'site',
    summary: 'Set (8–256 characters) or remove (null) the registration password, like the PXE password',
    description: 'Kept sealed with the site key; never returned, logged or audited. Every registration must then give it as `password`.',
    permission: 'site.write',
    body: z.object({ password: z.string().max(MAX_REGISTRATION_PASSWORD_LENGTH).nullable() }).strict(),
    response: z.object({ registrationPassword: z.boolean() }),
    handler: async ({ site, actor, body }) => setRegistrationPassword(site, site.db, actor, body.password),
  }),
];
