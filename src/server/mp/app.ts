/**
 * The management point (docs/management-point.md): the site's front door for computers, served by
 * `osd server` under /mp/v1 beside the admin API, on the same Fastify app (same error format,
 * same input rules). Every route but register proves a device credential; API tokens are refused
 * here, as device credentials are refused on /api/v1.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { authenticateDevice, type MpDevice } from '../../site/mp/credentials.js';
import { SiteError } from '../../site/errors.js';
import { inputProblemsError } from '../../site/input-problems.js';
import type { Site } from '../../site/site.js';
import { checkRequestStrings } from '../api/input-rules.js';
import { errorSchema, jsonSchema, parameters } from '../api/openapi.js';
import type { AnyMpRoute, MpAuth } from './route.js';
import { MP_ROUTE_MODULES, type MpRouteModule } from './routes/index.js';

export const MP_PREFIX = '/mp/v1';
export const MP_TAG = 'management point';

declare module 'fastify' {
  interface FastifyRequest {
    /** The device whose credential authenticated this management point request. */
    device?: MpDevice;
  }
}

/** True for a URL the management point answers (the admin API's token check skips these). */
export function isMpUrl(url: string): boolean {
  return url === MP_PREFIX || url.startsWith(`${MP_PREFIX}/`) || url.startsWith(`${MP_PREFIX}?`);
}

async function authenticateRequest(site: Site, request: FastifyRequest, auth: MpAuth): Promise<void> {
  if (auth === 'none') return;
  const found = await authenticateDevice(site.db, request.headers.authorization);
  const device: MpDevice = { resourceId: found.resourceId, name: found.name, unknown: found.unknown, approval: found.approval };
  if (auth === 'device' && device.approval !== 'approved') {
    throw new SiteError('forbidden', {
      input: 'Authorization',
      rule: `device-pending: the device ${device.name} waits for an administrator's approval`,
      hint: 'ask the registration state until it is approved',
      details: { reason: 'device-pending' },
    });
  }
  request.device = device;
}

function mpOperation(r: AnyMpRoute, path: string): Record<string, unknown> {
  const op: Record<string, unknown> = {
    summary: r.summary,
    description: [
      r.description,
      r.auth === 'none' ? 'No credential.' : `Device credential (${r.auth === 'registered' ? 'pending approval too' : 'approved device'}).`,
    ]
      .filter(Boolean)
      .join('\n\n'),
    tags: [MP_TAG],
    operationId: `mp${r.method.charAt(0)}${r.method.slice(1).toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    parameters: parameters(r),
    security: r.auth === 'none' ? [] : [{ deviceCredential: [] }],
    responses: {
      [String(r.status ?? 200)]: r.raw
        ? { description: 'success', content: { [r.raw.contentType]: { schema: { type: 'string', format: 'binary' } } } }
        : { description: 'success', content: { 'application/json': { schema: jsonSchema(r.response, 'output') } } },
      '400': { description: 'bad input', content: { 'application/json': { schema: errorSchema } } },
      '401': { description: 'no valid device credential', content: { 'application/json': { schema: errorSchema } } },
      '403': { description: 'the device is pending or refused, or unknown computers are refused', content: { 'application/json': { schema: errorSchema } } },
      '404': { description: 'not found, or not this device’s', content: { 'application/json': { schema: errorSchema } } },
    },
  };
  if (r.bodyKind === 'stream') op.requestBody = { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } };
  else if (r.bodyKind === 'text') op.requestBody = { required: true, content: { 'text/plain': { schema: { type: 'string' } } } };
  else if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } };
  return op;
}

/** Adds the management point's paths (tag `management point`) to an OpenAPI document. */
export function documentManagementPoint(document: Record<string, unknown>, routes: readonly AnyMpRoute[]): void {
  const paths = (document.paths ??= {}) as Record<string, Record<string, unknown>>;
  for (const r of routes) {
    const path = `${MP_PREFIX}${r.path}`.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    (paths[path] ??= {})[r.method.toLowerCase()] = mpOperation(r, path);
  }
  const components = (document.components ??= {}) as Record<string, Record<string, unknown>>;
  (components.securitySchemes ??= {}).deviceCredential = { type: 'http', scheme: 'bearer', description: 'a device credential, osd-dev-…' };
  const tags = (document.tags ??= []) as Array<Record<string, unknown>>;
  if (!tags.some((t) => t.name === MP_TAG))
    tags.push({ name: MP_TAG, description: 'For computers (the agent), with device credentials: register, policy, sequence, content, status, logs.' });
}

/**
 * Registers the /mp/v1 routes of `modules` on the server's app and adds them to `document` (the
 * app's OpenAPI document) when given. Returns the routes registered.
 */
export function registerManagementPoint(
  app: FastifyInstance,
  site: Site,
  options: { document?: Record<string, unknown>; modules?: readonly MpRouteModule[] } = {},
): readonly AnyMpRoute[] {
  const routes = (options.modules ?? MP_ROUTE_MODULES).flatMap((m) => m({ app, site }));
  for (const r of routes) {
    app.route({
      method: r.method,
      url: `${MP_PREFIX}${r.path}`,
      ...(r.bodyLimit !== undefined ? { bodyLimit: r.bodyLimit } : {}),
      // The credential is checked before the body is read: a refused upload costs nothing.
      onRequest: async (request) => authenticateRequest(site, request, r.auth),
      handler: async (request, reply) => {
        const parse = <T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T => {
          if (!schema) return undefined as T;
          const res = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
          if (!res.success) throw inputProblemsError(res.error, where, { schema, value });
          return res.data;
        };
        checkRequestStrings([
          [request.params, 'params'],
          [request.query, 'query'],
          [r.bodyKind === 'stream' ? undefined : request.body, 'body'],
        ]);
        const params = parse(r.params, request.params, 'params');
        const query = parse(r.query, request.query, 'query');
        const body = r.bodyKind === 'stream' || r.bodyKind === 'text' ? (request.body as unknown) : parse(r.body, request.body, 'body');
        const ctx = {
          params,
          query,
          body,
          site,
          request,
          reply,
          get device(): MpDevice {
            if (!request.device) throw new Error(`${r.method} ${MP_PREFIX}${r.path} has no device (auth: none)`);
            return request.device;
          },
        };
        const result = await r.handler(ctx);
        if (r.raw || reply.sent) return reply;
        // Only the declared fields go out.
        const out = r.response.safeParse(result);
        if (!out.success) throw new Error(`response of ${r.method} ${MP_PREFIX}${r.path} does not match its schema: ${out.error.message}`);
        return reply.status(reply.statusCode !== 200 ? reply.statusCode : (r.status ?? 200)).send(out.data);
      },
    });
  }
  if (options.document) documentManagementPoint(options.document, routes);
  return routes;
}
