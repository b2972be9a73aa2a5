/** The OpenAPI 3.1 document, written from the same route declarations the server registers. */
import { z } from 'zod';
import type { AnyRoute } from './route.js';

export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'stable code: bad-input, not-found, conflict, in-use, unauthenticated, forbidden, too-large, …' },
    message: { type: 'string' },
    input: { type: 'string', description: 'what was wrong: a field path, an id, a file name' },
    rule: { type: 'string', description: 'the rule it broke' },
    hint: { type: 'string', description: 'how to fix it' },
  },
};

export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const s = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete s.$schema;
  return s;
}

export function parameters(route: Pick<AnyRoute, 'params' | 'query'>): unknown[] {
  const out: unknown[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const js = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, s] of Object.entries(js.properties ?? {})) {
      out.push({
        name,
        in: where,
        required: where === 'path' || (js.required ?? []).includes(name),
        schema: s,
        description: (s as { description?: string }).description,
      });
    }
  }
  return out;
}

export function openApiDocument(routes: readonly AnyRoute[], info: { version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = `/api/v1${r.path}`.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{path}');
    const op: Record<string, unknown> = {
      summary: r.summary,
      description: [r.description, `Permission: \`${r.permission}\`.`].filter(Boolean).join('\n\n'),
      tags: [r.tag],
      operationId: `${r.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      parameters: parameters(r),
      responses: {
        [String(r.status ?? 200)]: r.raw
          ? { description: 'success', content: { [r.raw.contentType]: { schema: { type: 'string', format: 'binary' } } } }
          : { description: 'success', content: { 'application/json': { schema: jsonSchema(r.response, 'output') } } },
        '400': { description: 'bad input', content: { 'application/json': { schema: errorSchema } } },
        '401': { description: 'no valid token', content: { 'application/json': { schema: errorSchema } } },
        '403': { description: "the token's role does not allow this", content: { 'application/json': { schema: errorSchema } } },
      },
    };
    if (r.bodyKind === 'stream') {
      op.requestBody = { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } };
    } else if (r.body) {
      op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } };
    }
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'OpenOSD admin API',
      version: info.version,
      description: 'Administer an OpenOSD site: content, collections, task sequences, deployments. Every request needs "Authorization: Bearer <token>".',
    },
    servers: [{ url: '/' }],
    components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' } } },
    security: [{ token: [] }],
    paths,
  };
}
