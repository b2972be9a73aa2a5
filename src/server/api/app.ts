/**
 * The admin API as a Fastify instance: authentication on every request (a token, always — there
 * is no anonymous endpoint), the route's permission checked against the token's role, input
 * validated, errors answered as JSON that names the input, the rule and a fix.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { z, ZodError } from 'zod';
import { SiteError } from '../../site/errors.js';
import { inputProblemsError } from '../../site/input-problems.js';
import { nextStepsOf } from '../../site/next-steps.js';
import { seeFor } from './next-step-routes.js';
import { OsdError } from '../../common/errors.js';
import { TokenCache } from '../../site/security/token-cache.js';
import { allows, ROLE_NAMES, type Actor } from '../../site/security/roles.js';
import type { Site } from '../../site/site.js';
import { openApiDocument } from './openapi.js';
import { JsonText, type AnyRoute } from './route.js';
import { ALL_ROUTES } from './routes/index.js';
import { checkRequestStrings, checkRequestUrl, jsonBodyText } from './input-rules.js';
import { siteFormatFrameworkOptions } from '../framework-errors.js';
import { isMpUrl, registerManagementPoint } from '../mp/app.js';
import { isDeviceCredential } from '../../site/mp/credentials.js';
import { documentNetworkBoot, isBootUrl, registerNetworkBoot, type NetworkBootOptions } from '../boot/routes.js';
import { isConsolePath, type ConsoleFiles } from '../console-files.js';

export interface AdminApiOptions {
  /** Largest JSON/XML body in bytes (a task sequence may be 2 MB, osd-features §2.10). Default 8 MiB. */
  maxBodyBytes?: number;
  /** Largest single upload (application/octet-stream) in bytes. Default 64 GiB. */
  maxUploadBytes?: number;
  /** Structured JSON request logs (never headers or bodies). */
  logger?: boolean;
  version?: string;
  routes?: readonly AnyRoute[];
  /** Serve the management point (/mp/v1) on the same app; default true. */
  managementPoint?: boolean;
  /** Serve network boot (/boot/v1, no credentials: docs/network-boot.md) on the same app; default on. */
  networkBoot?: NetworkBootOptions | false;
  /** Serve the web console's files at every path outside /api, /mp and /boot (docs/console.md); default none. */
  console?: ConsoleFiles;
}

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor;
  }
  interface FastifyInstance {
    site: Site;
    maxUploadBytes: number;
  }
}

/** Every problem of a request that does not fit its route's schema (each unknown key with its "did you mean"). */
function zodToSiteError(e: ZodError, where: string, schema?: z.ZodType, value?: unknown): SiteError {
  return inputProblemsError(e, where, { schema, value });
}

function fastifyErrorToSiteError(e: FastifyError): SiteError | undefined {
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new SiteError('too-large', {
        input: 'request body',
        rule: e.message,
        hint: 'split the request, or upload large files as application/octet-stream',
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new SiteError('bad-input', { input: 'Content-Type', rule: e.message, hint: 'send application/json (or application/octet-stream for uploads)' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new SiteError('bad-input', { input: 'request body', rule: `the body is not valid JSON: ${e.message}`, hint: 'check the JSON syntax' });
    default:
      if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
        return new SiteError('bad-input', { input: 'request', rule: e.message });
      }
      return undefined;
  }
}

/**
 * The error family answers for itself (its kind decides the status); zod, Fastify and the database
 * are translated into it. Anything else is an internal error.
 */
function knownError(e: unknown): OsdError | undefined {
  if (e instanceof OsdError) return e;
  if (e instanceof ZodError) return zodToSiteError(e, 'body');
  if ((e as FastifyError)?.code?.startsWith?.('FST_')) return fastifyErrorToSiteError(e as FastifyError);
  return databaseDataError(e);
}

/**
 * The database's own refusal of a value (SQLSTATE class 22 "data exception": out of range, invalid
 * text, bad regular expression; 54 "program limit exceeded"). Input checks come first and name the
 * field; this is the net below them, so a value they missed is still the caller's 400, not a 500.
 */
function databaseDataError(e: unknown): SiteError | undefined {
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== 'string' || !/^(22|54)[0-9A-Z]{3}$/.test(code)) return undefined;
  const detail = String((e as Error).message ?? '')
    .split('\n')[0]!
    .slice(0, 200);
  return new SiteError('bad-input', {
    input: 'request',
    rule: `a value in the request is outside what the site can store (${detail}; SQLSTATE ${code})`,
    hint: 'check numbers are in range and text holds no NUL character',
  });
}

export async function createAdminApi(site: Site, options: AdminApiOptions = {}): Promise<FastifyInstance> {
  const routes = options.routes ?? ALL_ROUTES;
  const app = Fastify({
    logger: options.logger ? { level: 'info', redact: ['req.headers.authorization'] } : false,
    bodyLimit: options.maxBodyBytes ?? 8 * 1024 * 1024,
    // Fastify's and Node's own errors (bad URL, long path segment, oversized headers) in our format.
    ...siteFormatFrameworkOptions(),
  });
  app.decorate('site', site);
  app.decorate('maxUploadBytes', options.maxUploadBytes ?? 64 * 1024 ** 3);

  // Uploads arrive as a stream the handler reads itself (and limits itself).
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('application/zip', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  // JSON: strict UTF-8 and a nesting limit checked before parsing, then Fastify's own parser
  // (prototype-poisoning protection).
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    let text: string;
    try {
      text = jsonBodyText(body as Buffer);
    } catch (e) {
      done(e as Error, undefined);
      return;
    }
    defaultJson(req, text, done);
  });

  // Tokens are authenticated from memory; revocations reach it at once in this process and within
  // a second from other processes on PostgreSQL (src/site/security/token-cache.ts).
  const tokens = new TokenCache(site.db, { onProblem: (m) => app.log.warn(m) });
  app.addHook('onClose', () => tokens.close());
  await tokens.start();

  app.addHook('onRequest', async (request: FastifyRequest) => {
    checkRequestUrl(request.raw.url ?? '');
    // The management point authenticates its devices itself (src/server/mp/app.ts).
    if (options.managementPoint !== false && isMpUrl(request.raw.url ?? '')) return;
    // Network boot answers computers that have no credential yet (src/server/boot/routes.ts).
    if (options.networkBoot !== false && isBootUrl(request.raw.url ?? '')) return;
    // The console's files are public (it signs in to the API with a token itself).
    if (options.console && isConsolePath(request.raw.url ?? '')) return;
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization?.trim() ?? '')?.[1];
    if (bearer && isDeviceCredential(bearer)) {
      throw new SiteError('unauthenticated', {
        input: 'Authorization',
        rule: 'a device credential is for the management point only, not the admin API',
        hint: 'give an API token; an administrator creates tokens',
      });
    }
    request.actor = await tokens.authenticate(request.headers.authorization);
  });

  app.setErrorHandler((error, request, reply) => {
    const known = knownError(error);
    if (known) {
      if (known.kind === 'unauthenticated') void reply.header('WWW-Authenticate', 'Bearer realm="openosd"');
      // The site says what to do in its words; the answer adds the request that does it.
      const see = seeFor(nextStepsOf(known));
      return reply.status(known.status).send({ ...known.toJSON(), ...(see ? { see } : {}) });
    }
    request.log.error({ err: error }, 'internal error');
    if (!options.logger) process.stderr.write(`osd server: internal error on ${request.method} ${request.url}: ${(error as Error).stack ?? String(error)}\n`);
    return reply
      .status(500)
      .send({ error: 'internal', message: `internal error (request ${request.id}); the server log has the details`, rule: 'unexpected failure' });
  });
  app.setNotFoundHandler((request, reply) => {
    if (options.console && (request.method === 'GET' || request.method === 'HEAD') && isConsolePath(request.raw.url ?? '')) {
      return options.console.serve(request, reply);
    }
    void reply.status(404).send(
      new SiteError('not-found', {
        input: `${request.method} ${request.url.split('?')[0]}`,
        rule: 'no such endpoint',
        hint: 'see /api/v1/openapi.json',
      }).toJSON(),
    );
  });

  const document = openApiDocument(routes, { version: options.version ?? '0' });
  app.get('/api/v1/openapi.json', async () => document);

  for (const r of routes) {
    app.route({
      method: r.method,
      url: `/api/v1${r.path}`,
      // The role is checked before the body is read: a refused upload costs nothing.
      onRequest: async (request) => {
        const actor = request.actor!;
        if (!allows(actor.role, r.permission)) {
          throw new SiteError('forbidden', {
            input: `${r.method} /api/v1${r.path}`,
            rule: `the role ${ROLE_NAMES[actor.role]} of token "${actor.name}" does not allow ${r.permission}`,
            hint: 'ask a Full Administrator for a token with a role that allows it',
          });
        }
      },
      handler: async (request, reply) => {
        const actor = request.actor!;
        const parse = <T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T => {
          if (!schema) return undefined as T;
          const res = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
          if (!res.success) throw zodToSiteError(res.error, where, schema, value);
          return res.data;
        };
        // The same character rules for every route, before any schema or service sees the input.
        checkRequestStrings([
          [request.params, 'params'],
          [request.query, 'query'],
          [r.bodyKind === 'stream' ? undefined : request.body, 'body'],
        ]);
        const params = parse(r.params, request.params, 'params');
        const query = parse(r.query, request.query, 'query');
        const body = r.bodyKind === 'stream' ? (request.body as unknown) : parse(r.body, request.body, 'body');
        const result = await r.handler({ params, query, body, actor, site, request, reply });
        if (r.raw || reply.sent) return reply;
        const status = reply.statusCode !== 200 ? reply.statusCode : (r.status ?? 200);
        // Written by the service from the schema and tested against it (route.ts JsonText).
        if (result instanceof JsonText) return reply.status(status).type('application/json; charset=utf-8').send(result.text);
        // Only the declared fields go out: a column added later never leaks by accident.
        const out = r.response.safeParse(result);
        if (!out.success) throw new Error(`response of ${r.method} ${r.path} does not match its schema: ${out.error.message}`);
        // A handler may choose its status (200 replaced vs 201 created); otherwise the route's.
        return reply.status(status).send(out.data);
      },
    });
  }
  if (options.managementPoint !== false) registerManagementPoint(app, site, { document });
  if (options.networkBoot !== false) {
    registerNetworkBoot(app, site, options.networkBoot);
    documentNetworkBoot(document);
  }
  return app;
}
