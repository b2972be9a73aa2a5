/**
 * Errors that Fastify or Node's HTTP parser answer before any route runs — a URL that is not valid
 * percent-encoding, a path parameter over the length limit, request headers (or the request line)
 * over Node's header limit, a malformed request, a client that stalls — answered in the site's
 * JSON error format like every other error (issue 10 §10), by the admin API and the distribution
 * point alike.
 */
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { SiteError } from '../site/errors.js';

/** Longest path parameter (a variable name may be 256 characters, osd-features §3.3, and is percent-encoded). */
export const MAX_PARAM_LENGTH = 1024;

function frameworkError(error: FastifyError, request: FastifyRequest): SiteError {
  const path = request.raw.url?.split('?')[0] ?? '';
  const shown = path.length > 120 ? `${path.slice(0, 120)}…` : path;
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return new SiteError('uri-too-long', {
      input: 'URL path',
      rule: `a path segment is longer than ${MAX_PARAM_LENGTH} characters`,
      hint: 'check the id in the URL',
    });
  }
  if (error.code === 'FST_ERR_BAD_URL') {
    return new SiteError('bad-input', {
      input: 'URL path',
      rule: `"${shown}" is not valid percent-encoded UTF-8`,
      hint: 'encode each path segment with encodeURIComponent',
    });
  }
  return new SiteError('bad-input', { input: 'request', rule: error.message });
}

/** A raw HTTP/1.1 answer written on the socket (there is no request object to answer through). */
function writeRaw(socket: Socket, status: number, reason: string, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  }
}

function clientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // A connection the client reset: nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let e: SiteError;
  let reason: string;
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    e = new SiteError('headers-too-large', {
      input: 'request headers',
      rule: 'the request line and headers are larger than the server reads (16 KiB)',
      hint: 'shorten the URL; send long values in a JSON body',
    });
    reason = 'Request Header Fields Too Large';
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    e = new SiteError('bad-input', {
      input: 'request',
      rule: 'the request did not arrive in time',
      hint: 'send the whole request without pausing',
      status: 408,
    });
    reason = 'Request Timeout';
  } else {
    e = new SiteError('bad-input', { input: 'request', rule: `not a valid HTTP request (${err.code ?? 'parse error'})`, hint: 'send HTTP/1.1' });
    reason = 'Bad Request';
  }
  writeRaw(socket, e.status, reason, e.toJSON());
  socket.destroy();
}

/** Fastify options that make its own errors answer in the site's format. */
export function siteFormatFrameworkOptions(): Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler' | 'routerOptions'> {
  return {
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const e = frameworkError(error, request);
      void reply.status(e.status).send(e.toJSON());
    },
    clientErrorHandler: clientError,
  };
}
