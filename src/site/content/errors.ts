/**
 * The content layer's small error family (DESIGN.md "A small named error family"). Every error names
 * the input it is about, the rule that was broken and what to do, and carries the HTTP status the
 * admin API / distribution point answers with, so one error handler can serve them all.
 */

import { OsdError, kindOfStatus } from '../../common/errors.js';
import { nextSteps } from '../next-steps.js';

/** ConfigMgr's "hash mismatch" (CRYPT_E_HASH_VALUE): what a client reports when downloaded content is not what the site hashed. */
export const HASH_MISMATCH_WIN32 = 0x80091007;

export interface ContentErrorOptions {
  code: string;
  status: number;
  input: string;
  rule: string;
  hint?: string;
  win32?: number;
  /** Extra machine-readable fields for the JSON form (e.g. `missing` blobs). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class ContentError extends OsdError {
  /** The content layer's own name for the rule, e.g. `content-hash-mismatch` (the JSON's `error`). */
  readonly code: string;
  declare readonly input: string;
  readonly win32?: number;

  constructor(opts: ContentErrorOptions) {
    super(
      kindOfStatus(opts.status),
      { input: opts.input, rule: opts.rule, hint: opts.hint, exitCode: opts.win32, status: opts.status, details: opts.details, cause: opts.cause },
      `${opts.input}: ${opts.rule}${opts.hint ? `\n  hint: ${opts.hint}` : ''}`,
    );
    this.name = 'ContentError';
    this.code = opts.code;
    this.win32 = opts.win32;
  }

  /** The JSON body an HTTP API sends for this error (never a stack trace). */
  override toJSON(): Record<string, unknown> {
    return {
      error: this.code,
      message: this.message,
      input: this.input,
      rule: this.rule,
      hint: this.hint,
      ...(this.win32 === undefined ? {} : { win32: formatWin32(this.win32) }),
      ...this.details,
    };
  }
}

export class ContentPathError extends ContentError {
  constructor(input: string, path: string, rule: string, hint: string) {
    super({ code: 'content-path-invalid', status: 400, input, rule: `content path ${JSON.stringify(path)} ${rule}`, hint });
    this.name = 'ContentPathError';
  }
}

export class ContentTooLargeError extends ContentError {
  constructor(input: string, maxBytes: number, actualBytes?: number) {
    super({
      code: 'content-too-large',
      status: 413,
      input,
      rule: `content is larger than the limit of ${maxBytes} bytes${actualBytes === undefined ? '' : ` (${actualBytes} bytes)`}`,
      hint: 'split the content, or raise the size limit of the receiving side',
    });
    this.name = 'ContentTooLargeError';
  }
}

export class ContentHashMismatchError extends ContentError {
  constructor(input: string, expected: { sha256: string; size?: number }, actual: { sha256: string; size: number }) {
    const sizeNote = expected.size !== undefined && expected.size !== actual.size ? ` and ${actual.size} bytes instead of ${expected.size}` : '';
    super({
      code: 'content-hash-mismatch',
      status: 422,
      input,
      rule: `content hash is ${actual.sha256}${sizeNote}, expected ${expected.sha256} (0x80091007, hash mismatch)`,
      hint: 'the content changed or was corrupted in transit or on disk: redistribute the package (or validate the distribution point)',
      win32: HASH_MISMATCH_WIN32,
      details: { expected: expected.sha256, actual: actual.sha256 },
    });
    this.name = 'ContentHashMismatchError';
  }
}

/**
 * A source file or folder the site server could not read, as the caller's 400 that says why
 * (permission denied, an I/O error, a link where none may be); a ContentError passes through.
 */
export function sourceReadError(e: unknown, input: string): unknown {
  if (e instanceof ContentError || isAbort(e)) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return e;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new ContentError({
      code: 'content-no-space',
      status: 507,
      input,
      rule: `the content library's disk is full (${code})`,
      hint: 'free space on the site server, then retry',
      cause: e,
    });
  }
  const why: Record<string, string> = {
    EACCES: 'the site server may not read it (permission denied)',
    EPERM: 'the site server may not read it (operation not permitted)',
    ELOOP: 'is a symbolic link (or a loop of them); content is read from regular files only',
    EIO: 'could not be read: the disk reported an I/O error (EIO)',
    EISDIR: 'is a folder where a file was expected',
    ENOENT: 'does not exist (it disappeared while being read)',
    ENOTDIR: 'does not exist (a folder on the way is a file)',
    ENAMETOOLONG: 'has a name too long for the file system',
  };
  return new ContentError({
    code: 'content-source-unreadable',
    status: 400,
    input,
    rule: why[code] ?? `could not be read (${code})`,
    hint: "make it readable by the site server's user, or upload the content instead",
    details: nextSteps('upload-content'),
    cause: e,
  });
}

/**
 * The caller's own abort (a signal), which is not a failure to report: Node's AbortError carries the
 * code ABORT_ERR (http, streams, pipeline, fs), a signal's own reason is a DOMException of code 20.
 */
export function isAbort(e: unknown): boolean {
  if (e instanceof DOMException) return e.code === DOMException.ABORT_ERR;
  return (e as { code?: unknown } | null)?.code === 'ABORT_ERR';
}

/** `0x80091007` — the spelling admins search for. */
export function formatWin32(code: number): string {
  return `0x${(code >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}
