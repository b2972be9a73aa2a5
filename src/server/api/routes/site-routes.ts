/** Tokens, the audit log and site settings (Full Administrator for changes). */
import { z } from 'zod';
import { listAudit } from '../../../site/audit.js';
import { audit } from '../../../site/audit.js';
import { PERMISSIONS, ROLES } from '../../../site/security/roles.js';
import { createToken, describeCaller, listTokens, revokeToken } from '../../../site/security/tokens.js';
import { checkDeploymentVerification, deploymentVerificationSchema, getDeploymentVerification, putSetting } from '../../../site/settings.js';
import { tokensChanged } from '../../../site/security/token-cache.js';
import { route } from '../route.js';

const tokenInfo = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  createdAt: z.string(),
  createdBy: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

export const siteRoutes = [
  route({
    method: 'GET',
    path: '/site',
    tag: 'site',
    summary: 'The site: code, database kind, schema version, who is asking',
    permission: 'read',
    response: z.object({
      siteCode: z.string(),
      database: z.enum(['pglite', 'postgres']),
      schemaVersion: z.number(),
      you: z.object({ tokenId: z.string(), name: z.string(), role: z.enum(ROLES) }),
    }),
    handler: async ({ site, actor }) => ({ siteCode: site.siteCode, database: site.db.kind, schemaVersion: site.migration.to, you: actor }),
  }),
  route({
    method: 'GET',
    path: '/me',
    tag: 'site',
    summary: 'Who is asking: the token, its role and every permission the role has',
    description:
      'A client (the web console) offers only what `permissions` allow; every route still checks its own permission. `expiresAt` is null for a token that does not expire.',
    permission: 'read',
    response: z.object({
      tokenId: z.string(),
      name: z.string().describe("the token's name: the actor the audit log records"),
      role: z.enum(ROLES),
      roleName: z.string().describe("the role's name as ConfigMgr's console shows it"),
      permissions: z.array(z.enum(PERMISSIONS)),
      expiresAt: z.string().nullable(),
      siteCode: z.string(),
    }),
    handler: async ({ site, actor }) => ({ ...(await describeCaller(site.db, actor)), siteCode: site.siteCode }),
  }),
  route({
    method: 'GET',
    path: '/tokens',
    tag: 'site',
    summary: 'List API tokens (never the token values)',
    permission: 'site.write',
    response: z.array(tokenInfo),
    handler: async ({ site }) => listTokens(site.db),
  }),
  route({
    method: 'POST',
    path: '/tokens',
    tag: 'site',
    summary: 'Create an API token; its value is shown only in this response',
    permission: 'site.write',
    body: z.object({ name: z.string(), role: z.enum(ROLES), expiresAt: z.string().nullish() }).strict(),
    response: z.object({ token: z.string(), info: tokenInfo }),
    status: 201,
    handler: async ({ site, actor, body }) => site.db.transaction((tx) => createToken(tx, actor, body)),
  }),
  route({
    method: 'DELETE',
    path: '/tokens/:tokenId',
    tag: 'site',
    summary: 'Revoke an API token',
    permission: 'site.write',
    params: z.object({ tokenId: z.string() }),
    response: tokenInfo,
    handler: async ({ site, actor, params }) => {
      const info = await site.db.transaction((tx) => revokeToken(tx, actor, params.tokenId));
      // Committed: this process's token caches forget it now (other processes hear the NOTIFY).
      tokensChanged(site.db);
      return info;
    },
  }),
  route({
    method: 'GET',
    path: '/audit',
    tag: 'site',
    summary: 'The audit log, newest first',
    permission: 'read',
    query: z.object({
      objectType: z.string().optional(),
      objectId: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(1000).optional(),
      before: z.coerce.number().int().optional(),
    }),
    response: z.array(
      z.object({
        id: z.number(),
        at: z.string(),
        actor: z.string(),
        role: z.string(),
        action: z.string(),
        objectType: z.string(),
        objectId: z.string(),
        details: z.record(z.string(), z.unknown()),
      }),
    ),
    handler: async ({ site, query }) => listAudit(site.db, query),
  }),
  route({
    method: 'GET',
    path: '/settings/deployment-verification',
    tag: 'site',
    summary: 'Deployment Verification: collection size thresholds for high-risk deployments (osd-features §4.5)',
    permission: 'read',
    response: deploymentVerificationSchema,
    handler: async ({ site }) => getDeploymentVerification(site.db),
  }),
  route({
    method: 'PUT',
    path: '/settings/deployment-verification',
    tag: 'site',
    summary: 'Change Deployment Verification',
    permission: 'site.write',
    body: deploymentVerificationSchema,
    response: deploymentVerificationSchema,
    handler: async ({ site, actor, body }) =>
      site.db.transaction(async (tx) => {
        const v = checkDeploymentVerification(body);
        await putSetting(tx, 'deployment_verification', v);
        await audit(tx, actor, 'update', 'setting', 'deployment-verification', v);
        return v;
      }),
  }),
];
