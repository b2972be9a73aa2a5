/**
 * The project's one error family (DESIGN.md "A small named error family"). Every error a person may
 * meet names the input it is about, the rule that was broken and, where there is one, a fix; its
 * `kind` says what sort of failure it is, and that alone decides how the admin API answers (HTTP
 * status) and how the CLI exits — never the class's name. Errors of the machine and of steps also
 * carry the code ConfigMgr would report (unsigned 32-bit, shown as 0x80070070).
 *
 * The families of each layer extend it: InputError (bad input to a codec or the CLI), SiteError
 * (the site's rules), ContentError (content and distribution), WqlError (a WMI query), StepFailure
 * and the machine's faults (disk, file system, tool).
 */

/** What sort of failure: how the API answers it and how the CLI exits. */
export type ErrorKind =
  /** The input breaks a rule (400; exit 2). */
  | 'bad-input'
  /** What the input names does not exist (404; exit 2). */
  | 'not-found'
  /** The input clashes with the current state: a duplicate, a stale revision, something in use (409; exit 2). */
  | 'conflict'
  /** No valid credential (401; exit 2). */
  | 'unauthenticated'
  /** A valid credential that may not do this (403; exit 2). */
  | 'forbidden'
  /** Larger than a limit (413; exit 2). */
  | 'too-large'
  /** The request URL is over its limit (414; exit 2). */
  | 'uri-too-long'
  /** The request headers are over their limit (431; exit 2). */
  | 'headers-too-large'
  /** Well-formed, but a rule of the site refuses it (422; exit 2). */
  | 'refused'
  /** The site's disk cannot hold it (507; exit 69). */
  | 'insufficient-storage'
  /** Something the work depends on cannot be reached now: a database, a distribution point (503; exit 69). */
  | 'unavailable'
  /** A task sequence step failed; `exitCode` is ConfigMgr's code for it. */
  | 'step-failed'
  /** The computer or a tool failed (a disk, a file system, wimlib): `exitCode` says how (500; exit 74). */
  | 'fault';

const STATUS: Record<ErrorKind, number> = {
  'bad-input': 400,
  'not-found': 404,
  conflict: 409,
  unauthenticated: 401,
  forbidden: 403,
  'too-large': 413,
  'uri-too-long': 414,
  'headers-too-large': 431,
  refused: 422,
  'insufficient-storage': 507,
  unavailable: 503,
  'step-failed': 500,
  fault: 500,
};

/** The kind an HTTP status stands for (a distribution point's answer, an upstream error). */
export function kindOfStatus(status: number): ErrorKind {
  for (const [kind, s] of Object.entries(STATUS) as Array<[ErrorKind, number]>) if (s === status && kind !== 'step-failed') return kind;
  if (status === 502 || status === 504) return 'unavailable';
  return status >= 500 ? 'fault' : 'bad-input';
}

/** How the CLI exits for a kind: 2 for anything the user can correct, 69 (EX_UNAVAILABLE) when a service is, 74 (EX_IOERR) for a fault. */
export function exitCodeOfKind(kind: ErrorKind): number {
  if (kind === 'unavailable' || kind === 'insufficient-storage') return 69;
  if (kind === 'fault') return 74;
  if (kind === 'step-failed') return 1;
  return 2;
}

export interface OsdErrorOptions {
  /** What was wrong: a field path (`body.rules[1].query`), a file, an id, an option. */
  input?: string;
  /** The rule it broke, in the words of the interface the user is using. */
  rule: string;
  /** What to do about it. */
  hint?: string;
  /** The ConfigMgr / Win32 / WMI code of this failure, unsigned 32-bit. */
  exitCode?: number;
  /** An HTTP status other than the kind's own (a distribution point's 502, a hash mismatch's 422). */
  status?: number;
  /** Machine-readable extras for the JSON form. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class OsdError extends Error {
  readonly kind: ErrorKind;
  readonly input?: string;
  readonly rule: string;
  readonly hint?: string;
  readonly exitCode?: number;
  readonly details?: Record<string, unknown>;
  private readonly statusOverride?: number;

  constructor(kind: ErrorKind, opts: OsdErrorOptions, message?: string) {
    super(
      message ?? `${opts.input ? `${opts.input}: ` : ''}${opts.rule}${opts.hint ? ` (${opts.hint})` : ''}`,
      opts.cause === undefined ? undefined : { cause: opts.cause },
    );
    this.name = 'OsdError';
    this.kind = kind;
    this.input = opts.input;
    this.rule = opts.rule;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode === undefined ? undefined : opts.exitCode >>> 0;
    this.details = opts.details;
    this.statusOverride = opts.status;
  }

  /** The HTTP status the admin API answers with. */
  get status(): number {
    return this.statusOverride ?? STATUS[this.kind];
  }

  /** The JSON an API answers with (never a stack trace). */
  toJSON(): Record<string, unknown> {
    return {
      error: this.kind,
      message: this.message,
      input: this.input,
      rule: this.rule,
      hint: this.hint,
      ...(this.exitCode === undefined ? {} : { code: hexCode(this.exitCode) }),
      ...this.details,
    };
  }
}

export function isOsdError(e: unknown): e is OsdError {
  return e instanceof OsdError;
}

/** `0x80070070` — the spelling admins search for. */
export function hexCode(code: number): string {
  return `0x${(code >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}
