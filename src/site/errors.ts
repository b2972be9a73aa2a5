/**
 * The site's error family. Every error names the input, the rule it broke and a fix, and carries
 * the HTTP status the admin API answers with. Never a stack trace as the only message.
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

const STATUS: Record<SiteErrorCode, number> = {
  'bad-input': 400,
  'not-found': 404,
  conflict: 409,
  'in-use': 409,
  unauthenticated: 401,
  forbidden: 403,
  'too-large': 413,
  'uri-too-long': 414,
  'headers-too-large': 431,
  // The site's disk cannot hold what was asked for (an import larger than the free space).
  'insufficient-storage': 507,
  'high-risk-confirmation-required': 409,
  blocked: 422,
  unavailable: 503,
};

export class SiteError extends Error {
  readonly code: SiteErrorCode;
  readonly status: number;
  /** What was wrong: a field path, an object id, a file name. */
  readonly input?: string;
  readonly rule: string;
  readonly hint?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: SiteErrorCode, opts: { input?: string; rule: string; hint?: string; details?: Record<string, unknown> }) {
    super(`${opts.input ? `${opts.input}: ` : ''}${opts.rule}${opts.hint ? ` (${opts.hint})` : ''}`);
    this.name = 'SiteError';
    this.code = code;
    this.status = STATUS[code];
    this.input = opts.input;
    this.rule = opts.rule;
    this.hint = opts.hint;
    this.details = opts.details;
  }

  toJSON(): Record<string, unknown> {
    return { error: this.code, message: this.message, input: this.input, rule: this.rule, hint: this.hint, ...this.details };
  }
}

export function badInput(input: string, rule: string, hint?: string, details?: Record<string, unknown>): SiteError {
  return new SiteError('bad-input', { input, rule, hint, details });
}

/** `kind` in the admin's words: "collection", "task sequence", "OS image package" … */
export function notFound(kind: string, id: string | number, hint?: string): SiteError {
  return new SiteError('not-found', { input: String(id), rule: `no ${kind} has this id`, hint: hint ?? `list them with GET on the ${kind} endpoint` });
}

export function conflict(input: string, rule: string, hint?: string, details?: Record<string, unknown>): SiteError {
  return new SiteError('conflict', { input, rule, hint, details });
}

export function inUse(input: string, rule: string, hint?: string, details?: Record<string, unknown>): SiteError {
  return new SiteError('in-use', { input, rule, hint, details });
}
