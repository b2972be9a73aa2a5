/**
 * Step failures as ConfigMgr reports them: an unsigned 32-bit code (a Win32 error wrapped as an
 * HRESULT, 0x8007xxxx) and one line saying why (DESIGN.md "A small named error family";
 * osd-features §6.5 lists the codes admins meet).
 */
import { type ErrorKind, OsdError } from '../common/errors.js';
import type { StepResult } from '../engine/ports.js';
import { codeOfErrno, WIN32 } from '../storage/errors.js';

export { WIN32 };

/** Thrown inside a handler; the executor turns it into the step's exit code and message. */
export class StepFailure extends OsdError {
  /** The step's exit code, as ConfigMgr reports it (unsigned 32-bit). */
  readonly code: number;

  constructor(code: number, message: string, hint?: string) {
    super('step-failed', { rule: message, hint, exitCode: code }, message);
    this.name = 'StepFailure';
    this.code = code >>> 0;
  }
}

/** The code of an error of the family that carries none, by its kind. */
const CODE_OF_KIND: Partial<Record<ErrorKind, number>> = {
  'bad-input': WIN32.invalidData,
  'not-found': WIN32.fileNotFound,
  forbidden: WIN32.accessDenied,
  'too-large': WIN32.diskFull,
  'insufficient-storage': WIN32.diskFull,
};

/**
 * What a handler threw, as the step's result: an error of the family by its code (or, without
 * one, by its kind); a file-system call's errno as Windows' code for it; anything else is the
 * generic 0x80004005. Never by the error's class.
 */
export function failureResult(e: unknown): StepResult {
  const message = (e as Error)?.message ?? String(e);
  if (e instanceof OsdError) return { exitCode: (e.exitCode ?? CODE_OF_KIND[e.kind] ?? WIN32.generic) >>> 0, message };
  const errno = codeOfErrno((e as NodeJS.ErrnoException)?.code);
  return { exitCode: errno ?? WIN32.generic, message };
}
