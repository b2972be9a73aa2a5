/**
 * Network boot's admin side (docs/network-boot.md): boot images of kind "boot environment" (a
 * folder `osd boot-image build` wrote, uploaded or read from a source path), the network boot
 * settings (the Available prompt's time-out), and a preview of what a computer would be told when
 * it network-boots (the decision of GET /boot/v1/pxe.ipxe, not audited).
 */
import { z } from 'zod';
import { addBootEnvironment, addBootEnvironmentSchema } from '../../../site/boot/boot-environments.js';
import { checkPxeQuery, decidePxeBoot } from '../../../site/boot/pxe-decision.js';
import { getNetworkBootSettings, networkBootSettingsSchema, putNetworkBootSettings } from '../../../site/boot/settings.js';
import { route, type AnyRoute } from '../route.js';
import { bootImageView } from './objects-routes.js';

const bootFile = z.object({ file: z.string(), sha256: z.string(), bytes: z.number() });
const decisionView = z.object({
  action: z.enum(['boot', 'prompt', 'local']),
  reason: z.string(),
  device: z.object({ resourceId: z.number().nullable(), name: z.string().nullable(), unknown: z.boolean(), matchedBy: z.string().nullable() }),
  firmware: z.enum(['bios', 'uefi']),
  architecture: z.string().nullable(),
  bootImage: z
    .object({
      packageId: z.string(),
      name: z.string(),
      architecture: z.string(),
      deploymentId: z.string(),
      rule: z.string(),
      kernel: bootFile,
      initrd: bootFile,
    })
    .optional(),
  prompt: z.object({ timeoutMs: z.number(), deployments: z.array(z.string()) }).optional(),
  deployments: z.array(
    z.object({ deploymentId: z.string(), name: z.string(), purpose: z.string(), offered: z.boolean(), reason: z.string(), bootImageId: z.string().nullable() }),
  ),
  notes: z.array(z.string()),
});

export const bootRoutes: readonly AnyRoute[] = [
  route({
    method: 'POST',
    path: '/boot-images/boot-environment',
    tag: 'boot-images',
    summary:
      'Add a boot environment as a boot image: the folder osd boot-image build wrote (bootimage.json, kernel, initramfs), its files checked against bootimage.json',
    permission: 'content.write',
    body: addBootEnvironmentSchema,
    response: bootImageView,
    status: 201,
    handler: async ({ site, actor, body }) => ({ ...(await addBootEnvironment(site, actor, body)), drivers: [] }),
  }),
  route({
    method: 'GET',
    path: '/settings/network-boot',
    tag: 'site',
    summary: 'Network boot settings: how long the PXE prompt of an Available deployment waits for a key',
    permission: 'read',
    response: networkBootSettingsSchema,
    handler: async ({ site }) => getNetworkBootSettings(site.db),
  }),
  route({
    method: 'PUT',
    path: '/settings/network-boot',
    tag: 'site',
    summary: 'Change the network boot settings',
    permission: 'site.write',
    body: networkBootSettingsSchema,
    response: networkBootSettingsSchema,
    handler: async ({ site, actor, body }) => putNetworkBootSettings(site, actor, body),
  }),
  route({
    method: 'GET',
    path: '/network-boot/preview',
    tag: 'site',
    summary: 'What a computer that network-boots would be told (osd-features §5.1), and why — not audited, nothing changes',
    permission: 'read',
    query: z.object({ mac: z.string(), uuid: z.string().optional(), platform: z.string(), buildarch: z.string(), arch: z.string().optional() }),
    response: decisionView,
    handler: async ({ site, query }) => decidePxeBoot(site, checkPxeQuery(query), { preview: true }),
  }),
];
