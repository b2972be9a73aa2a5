import { OsdError, type ErrorKind } from '../common/errors.js';

/**
 * The site's error family. Every error names the input, the rule it broke and a fix, and carries
 * the HTTP status the admin API answers with. Never a stack trace as the only message. Rules and
 * hints speak of the site's own things (packages, content, source roots), never of one interface's
 * routes or options: what to do next travels as `details.next` (next-steps.ts), and the admin API
 * and the CLI each say it in their own words.
 */

export type SiteErrorCode =
  | 'bad-input'
  | 'not-found'
  | 'conflict'
  | 'in-use'
  | 'unauthenticated'
  | 'forbidden'
  | 'too-large'
  | 'uri-too-long'
  | 'headers-too-large'
  | 'insufficient-storage'
  | 'high-risk-confirmation-required'
  | 'blocked'
  | 'unavailable';

/** The kind of each of the site's codes (the code names the site's rule more precisely). */
const KIND: Record<SiteErrorCode, ErrorKind> = {
  'bad-input': 'bad-input',
  'not-found': 'not-found',
  conflict: 'conflict',
  'in-use': 'conflict',
  unauthenticated: 'unauthenticated',
  forbidden: 'forbidden',
  'too-large': 'too-large',
  'uri-too-long': 'uri-too-long',
  'headers-too-large': 'headers-too-large',
  'insufficient-storage': 'insufficient-storage',
  'high-risk-confirmation-required': 'conflict',
  blocked: 'refused',
  unavailable: 'unavailable',
};

export class SiteError extends OsdError {
  readonly code: SiteErrorCode;

  constructor(code: SiteErrorCode, opts: { input?: string; rule: string; hint?: string; details?: Record<string, unknown>; status?: number }) {
    super(KIND[code], opts);
    this.name = 'SiteError';
    this.code = code;
  }

  override toJSON(): Record<string, unknown> {
    return { error: this.code, message: this.message, input: this.input, rule: this.rule, hint: this.hint, ...this.details };
  }
}

export function badInput(input: string, rule: string, hint?: string, details?: Record<string, unknown>): SiteError {
  return new SiteError('bad-input', { input, rule, hint, details });
}

/**
 * `kind` in the admin's words: "collection", "task sequence", "OS image package" …; the hint and
 * the next steps (next-steps.ts: `nextSteps('list-collections')`) in the site's words too — the
 * interfaces add their routes and commands.
 */
export function notFound(kind: string, id: string | number, hint?: string, details?: Record<string, unknown>): SiteError {
  return new SiteError('not-found', { input: String(id), rule: `no ${kind} has this id`, hint: hint ?? `check the ${kind}'s id`, details });
}

export function conflict(input: string, rule: string, hint?: string, details?: Record<string, unknown>): SiteError {
  return new SiteError('conflict', { input, rule, hint, details });
}

export function inUse(input: string, rule: string, hint?: string, details?: Record<string, unknown>): SiteError {
  return new SiteError('in-use', { input, rule, hint, details });
}
