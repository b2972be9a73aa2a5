/**
 * How an admin API route is declared: method, path, the one permission it needs, zod schemas for
 * params / query / body / response, and a handler. The same declaration registers the route,
 * validates input (a 400 that names the field), shapes the output (only the response schema's
 * fields go out, so a column added later can never leak) and writes the OpenAPI document.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Actor, Permission } from '../../site/security/roles.js';
import type { Site } from '../../site/site.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  actor: Actor;
  site: Site;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface RouteSpec<P = unknown, Q = unknown, B = unknown, R = unknown> {
  method: HttpMethod;
  /** Fastify path under /api/v1, e.g. `/collections/:collectionId`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  permission: Permission;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /**
   * 'stream': the body is the raw request stream (uploads, application/octet-stream); the
   * handler reads `request.raw` itself and enforces its own size limit.
   */
  bodyKind?: 'json' | 'stream';
  response: z.ZodType<R>;
  /** Success status; default 200 (201 is usual for creations). */
  status?: number;
  /**
   * A raw reply (file download, XML, zip): the handler sends it with `reply` itself and returns
   * undefined; `response` then only documents it.
   */
  raw?: { contentType: string };
  /**
   * The answer, or (a hot read) the answer already written as JSON text: see JsonText.
   */
  handler(ctx: RouteContext<P, Q, B>): Promise<R | JsonText>;
}

/**
 * An answer its service has already written as JSON text, field by field from the route's response
 * schema (GET /devices/:resourceId builds it in the database, issue 16 item 3): it goes out as it is,
 * with the route's status, without the response check and JSON.stringify. The service's tests hold
 * it to the schema (every field, no other), since the check that keeps a column added later from
 * leaking is not made at run time.
 */
export class JsonText {
  constructor(readonly text: string) {}
}

/** Identity function that keeps the generic types of one route together. */
export function route<P = undefined, Q = undefined, B = undefined, R = unknown>(spec: RouteSpec<P, Q, B, R>): RouteSpec<P, Q, B, R> {
  return spec;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteSpec<any, any, any, any>;
