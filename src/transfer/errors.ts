/**
 * The transfer layer's error: a content transfer (a download from a distribution point, a hash
 * check, a streamed write) that failed, naming the input it is about, the rule that was broken and
 * what to do, with the HTTP status an API answers with and ConfigMgr's code where one applies
 * (0x80091007 for a hash mismatch). The site adds its own next steps (`details.next`) where it
 * raises these; this layer knows nothing of the site.
 */

import { OsdError, kindOfStatus } from '../common/errors.js';

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

/** ERROR_DISK_FULL as an HRESULT: what ConfigMgr's client logs when a download finds no space. */
export const DISK_FULL_WIN32 = 0x80070070;

/**
 * A download whose bytes could not be written to this computer's disk: the destination's fault, not
 * the distribution point's (a full disk is 507 with ConfigMgr's 0x80070070; the errno is named).
 */
export function downloadWriteError(path: string, e: unknown): ContentError {
  const code = (e as NodeJS.ErrnoException)?.code ?? (e instanceof Error ? e.message : String(e));
  const full = code === 'ENOSPC' || code === 'EDQUOT';
  return new ContentError({
    code: full ? 'download-no-space' : 'download-write-failed',
    status: full ? 507 : 500,
    input: path,
    rule: full ? `the download's disk is full (${code})` : `the download could not be written (${code})`,
    hint: full
      ? 'free space on that disk (or choose another destination), then retry: the bytes that arrived are kept and the download resumes'
      : 'check the destination disk and its permissions, then retry: the bytes that arrived are kept and the download resumes',
    win32: full ? DISK_FULL_WIN32 : undefined,
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
