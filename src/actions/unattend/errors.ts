/**
 * Failures of the answer-file edits, as the step reports them: an unsigned HRESULT (shown as hex in
 * smsts.log) and a message that names variables and element paths, never secret values.
 * Problems with the XML itself (a user file that is not well-formed, a legacy format) are
 * `InputError`s instead: they name the input, line and rule (see `src/sequence/input-error.ts`).
 */
import { OsdError } from '../../common/errors.js';

const hresult = (win32: number): number => (0x80070000 | win32) >>> 0;

export const UNATTEND_ERRORS = {
  /** ERROR_INVALID_PARAMETER: a variable has a value the answer file cannot take (unattend.md §4.4 "adapter i has no identity"). */
  invalidParameter: hresult(87),
  /** ERROR_INVALID_DATA: an encoded password that does not decode (unattend.md §5 decoder rules). */
  invalidData: hresult(13),
} as const;

/** A value the answer file cannot take (kind `bad-input`); `code` (= `exitCode`) is the step's exit code. */
export class UnattendError extends OsdError {
  /** Unsigned 32-bit, e.g. 0x80070057. */
  readonly code: number;

  constructor(code: number, message: string) {
    super('bad-input', { rule: message, exitCode: code }, message);
    this.name = 'UnattendError';
    this.code = code >>> 0;
  }
}

export function invalidParameter(message: string): UnattendError {
  return new UnattendError(UNATTEND_ERRORS.invalidParameter, message);
}
