/**
 * How a management point route is declared: like an admin API route (zod schemas for params,
 * query, body and response; the OpenAPI document is written from it), but authenticated by a
 * device credential instead of a role (docs/management-point.md).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { MpDevice } from '../../site/mp/credentials.js';
import type { Site } from '../../site/site.js';
import type { HttpMethod } from '../api/route.js';

/**
 * - `none`: no credential (register only).
 * - `registered`: any valid credential of a device not refused, pending approval too (registration state).
 * - `device`: a valid credential of an approved device (everything else).
 */
export type MpAuth = 'none' | 'registered' | 'device';

export interface MpRouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** The authenticated device (throws on an `auth: 'none'` route, which has none). */
  device: MpDevice;
  site: Site;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface MpRouteSpec<P = unknown, Q = unknown, B = unknown, R = unknown> {
  method: HttpMethod;
  /** Fastify path under /mp/v1, e.g. `/deployments/:deploymentId/sequence`. */
  path: string;
  summary: string;
  description?: string;
  auth: MpAuth;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /**
   * 'json' (default): parsed and checked against `body`. 'stream': the handler reads `request.raw`
   * itself and enforces its own size limit (register a content-type parser that passes the stream).
   * 'text': a text/plain body as a string, limited by `bodyLimit`.
   */
  bodyKind?: 'json' | 'stream' | 'text';
  /** Largest body of this route in bytes (default: the server's JSON body limit). */
  bodyLimit?: number;
  response: z.ZodType<R>;
  /** Success status; default 200. A handler may set another with `reply.status()`. */
  status?: number;
  /** A raw reply the handler sends itself (`response` then only documents it). */
  raw?: { contentType: string };
  handler(ctx: MpRouteContext<P, Q, B>): Promise<R>;
}

export function mpRoute<P = undefined, Q = undefined, B = undefined, R = unknown>(spec: MpRouteSpec<P, Q, B, R>): MpRouteSpec<P, Q, B, R> {
  return spec;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyMpRoute = MpRouteSpec<any, any, any, any>;
