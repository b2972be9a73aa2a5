/**
 * Push authentication: `Authorization: Bearer <pushToken>`. Both sides are hashed before a
 * constant-time compare, so neither the token's content nor its length leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ContentError } from '../../site/content/errors.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export function bearerAuth(pushToken: string): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  if (typeof pushToken !== 'string' || pushToken.length < 16) {
    // An empty or short token would leave the push side practically open.
    throw new ContentError({
      code: 'dp-config-invalid',
      status: 500,
      input: 'pushToken',
      rule: 'must be at least 16 characters',
      hint: 'generate one, e.g. `openssl rand -hex 32`',
    });
  }
  const expected = digest(pushToken);
  return async (request, reply) => {
    const m = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '');
    if (m && timingSafeEqual(digest(m[1]), expected)) return;
    reply.header('www-authenticate', 'Bearer realm="distribution point"');
    throw new ContentError({
      code: 'dp-unauthorized',
      status: 401,
      input: `${request.method} ${request.url.split('?')[0]}`,
      rule: m ? 'the push token is wrong' : 'needs `Authorization: Bearer <push token>`',
      hint: "use the distribution point's push token (the one it was started with)",
    });
  };
}
