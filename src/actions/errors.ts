/**
 * Step failures as ConfigMgr reports them: an unsigned 32-bit code (a Win32 error wrapped as an
 * HRESULT, 0x8007xxxx) and one line saying why (DESIGN.md "A small named error family";
 * osd-features §6.5 lists the codes admins meet).
 */
import { OsdError } from '../common/errors.js';

const hresult = (win32: number): number => (0x80070000 | win32) >>> 0;

export const WIN32 = {
  fileNotFound: hresult(2),
  pathNotFound: hresult(3),
  invalidData: hresult(13),
  notReady: hresult(21),
  notSupported: hresult(50),
  invalidParameter: hresult(87),
  diskFull: hresult(112),
  notFound: hresult(1168),
  fileCorrupt: hresult(1392),
  generic: 0x80004005,
} as const;

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
