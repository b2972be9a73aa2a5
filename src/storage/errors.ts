/**
 * The storage layer's faults as the project's one error family (src/common/errors.ts): each names
 * what went wrong and carries the code Windows and ConfigMgr would report for it — a Win32 error
 * wrapped as an HRESULT (0x8007xxxx) — so a failed step shows 0x80070070 for a full disk, not the
 * generic 0x80004005 (osd-features §6.5 lists the codes admins meet).
 */
import { type ErrorKind, OsdError } from '../common/errors.js';

const hresult = (win32: number): number => (0x80070000 | win32) >>> 0;

/** Win32 errors as HRESULTs, by the name admins look them up under. */
export const WIN32 = {
  /** ERROR_FILE_NOT_FOUND */
  fileNotFound: hresult(2),
  /** ERROR_PATH_NOT_FOUND */
  pathNotFound: hresult(3),
  /** ERROR_ACCESS_DENIED */
  accessDenied: hresult(5),
  /** ERROR_INVALID_DATA */
  invalidData: hresult(13),
  /** ERROR_NOT_READY */
  notReady: hresult(21),
  /** ERROR_HANDLE_EOF */
  endOfFile: hresult(38),
  /** ERROR_NOT_SUPPORTED */
  notSupported: hresult(50),
  /** ERROR_INVALID_PARAMETER */
  invalidParameter: hresult(87),
  /** ERROR_DISK_FULL: "There is not enough space on the disk." */
  diskFull: hresult(112),
  /** ERROR_INVALID_NAME */
  invalidName: hresult(123),
  /** ERROR_ALREADY_EXISTS */
  alreadyExists: hresult(183),
  /** ERROR_UNRECOGNIZED_VOLUME: no recognised file system on the volume. */
  unrecognizedVolume: hresult(1005),
  /** ERROR_NOT_FOUND: "Element not found." */
  notFound: hresult(1168),
  /** ERROR_FILE_CORRUPT */
  fileCorrupt: hresult(1392),
  /** E_FAIL-like "Unspecified error", for what has no better code. */
  generic: 0x80004005,
} as const;

/**
 * A fault of the disk, a file system or a tool (kind `fault`), or a request the storage layer
 * refuses (kind `bad-input`: a layout that cannot exist, a label too long) or cannot find
 * (`not-found`), with its Win32 code.
 */
export class StorageError extends OsdError {
  constructor(
    kind: Extract<ErrorKind, 'fault' | 'bad-input' | 'not-found'>,
    code: number,
    message: string,
    options: { input?: string; hint?: string; cause?: unknown } = {},
  ) {
    super(kind, { input: options.input, rule: message, hint: options.hint, exitCode: code, cause: options.cause }, message);
    this.name = 'StorageError';
  }
}

/** A fault with a code. */
export function fault(code: number, message: string, options?: { input?: string; hint?: string; cause?: unknown }): StorageError {
  return new StorageError('fault', code, message, options);
}

/** A request the storage layer refuses (ERROR_INVALID_PARAMETER unless told otherwise). */
export function refused(message: string, code: number = WIN32.invalidParameter): StorageError {
  return new StorageError('bad-input', code, message);
}

/** Node's errno of a failed file-system call, as the Win32 code Windows would give for it. */
export function codeOfErrno(errno: string | undefined): number | undefined {
  switch (errno) {
    case 'ENOENT':
      return WIN32.fileNotFound;
    case 'ENOTDIR':
      return WIN32.pathNotFound;
    case 'EACCES':
    case 'EPERM':
    case 'EISDIR':
    case 'EROFS':
      return WIN32.accessDenied;
    case 'ENOSPC':
    case 'EDQUOT':
      return WIN32.diskFull;
    case 'EEXIST':
      return WIN32.alreadyExists;
    case 'ENAMETOOLONG':
      return WIN32.invalidName;
    case 'EIO':
      return hresult(1117); // ERROR_IO_DEVICE
    default:
      return undefined;
  }
}

/** What a tool said, as a Win32 code when it names a cause Windows has one for (a full disk, a denied access). */
export function codeOfToolOutput(output: string): number | undefined {
  if (/no space left on device|not enough space|disk full/i.test(output)) return WIN32.diskFull;
  if (/permission denied|operation not permitted|read-only file system/i.test(output)) return WIN32.accessDenied;
  if (/no such file or directory/i.test(output)) return WIN32.fileNotFound;
  return undefined;
}
