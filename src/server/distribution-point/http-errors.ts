/**
 * Every error a distribution point answers is JSON `{ error, message, input?, rule?, hint? }` —
 * never a stack trace. The error family answers by its kind (ContentErrors keep their own codes
 * and statuses); fastify's own errors (bad JSON, unsupported media type, body too large) keep
 * theirs; anything else is a 500 that is logged.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { OsdError } from '../../common/errors.js';

const FASTIFY_CODES: Record<number, string> = {
  400: 'request-invalid',
  404: 'not-found',
  413: 'content-too-large',
  415: 'content-type-unsupported',
};

export function dpErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof OsdError) {
    // After refusing an upload half-way, the rest of the body is not wanted: close instead of draining it.
    if (error.status === 413) reply.header('connection', 'close');
    void reply.code(error.status).send(error.toJSON());
    return;
  }
  const status = (error as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    void reply
      .code(status)
      .send({ error: FASTIFY_CODES[status] ?? 'request-invalid', message: error.message, input: `${request.method} ${request.url.split('?')[0]}` });
    return;
  }
  request.log.error({ err: error }, 'distribution point request failed');
  void reply.code(500).send({ error: 'internal', message: 'internal error in the distribution point (see its log)' });
}
