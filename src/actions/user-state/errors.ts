/**
 * User state migration's failures (user-state.md §2.4, §2.6): each has a name admins search for
 * (USERSTATE_WRONG_KEY …) and the code the step fails with, as an error of the family.
 */
import { OsdError, type ErrorKind } from '../../common/errors.js';
import { WIN32 } from '../errors.js';

/** The named failures and the step's exit code for each [I: the codes; ConfigMgr's osdmigrateuserstate.exe codes are not documented]. */
export const USERSTATE_CODES = {
  /** NTE_BAD_KEY: the key given is not the store's (keyId differs) — nothing has been written. */
  USERSTATE_WRONG_KEY: 0x80090003,
  /** ERROR_FILE_CORRUPT: a frame fails its GCM tag, a file's SHA-256 differs, a frame header is not where the manifest says. */
  USERSTATE_INTEGRITY: WIN32.fileCorrupt,
  /** ERROR_HANDLE_EOF: no complete manifest, or a pack shorter than store.json says. */
  USERSTATE_STORE_INCOMPLETE: WIN32.endOfFile,
  /** ERROR_INVALID_DATA: store.json or the manifest is not openosd.userstate/v1. */
  USERSTATE_BAD_STORE: WIN32.invalidData,
  /** ERROR_INVALID_PARAMETER: §2.6 step 2's validation (store path, hard links with VSS or a state migration point, /uel offline). */
  USERSTATE_INVALID_OPTIONS: WIN32.invalidParameter,
  /** ERROR_INVALID_PARAMETER: local accounts in the store and OSDMigrateLocalAccounts is not true (§2.6 step 3) [D behaviour]. */
  USERSTATE_LOCAL_ACCOUNTS_REQUIRE_PASSWORD: WIN32.invalidParameter,
  /** ERROR_SHARING_VIOLATION: a file could not be read and OSDMigrateContinueOnLockedFiles is false. */
  USERSTATE_LOCKED_FILE: 0x80070020,
  /** ERROR_NOT_SUPPORTED: an EFS file and OSDMigrateSkipEncryptedFiles is false (§2.6 step 4) [I]. */
  USERSTATE_EFS_UNSUPPORTED: WIN32.notSupported,
  /** ERROR_GEN_FAILURE-like: a file could not be restored and OSDMigrateContinueOnRestore is false. */
  USERSTATE_RESTORE_FAILED: 0x8007001f,
  /** ERROR_NOT_FOUND: no store where OSDStateStorePath points. */
  USERSTATE_NO_STORE: WIN32.notFound,
} as const;

export type UserStateErrorName = keyof typeof USERSTATE_CODES;

export class UserStateError extends OsdError {
  readonly code: number;

  constructor(
    readonly errorName: UserStateErrorName,
    message: string,
    options: { input?: string; hint?: string; kind?: ErrorKind; cause?: unknown } = {},
  ) {
    super(
      options.kind ?? 'step-failed',
      { input: options.input, rule: `${errorName}: ${message}`, hint: options.hint, exitCode: USERSTATE_CODES[errorName], cause: options.cause },
      `${errorName}: ${message}${options.hint ? ` (${options.hint})` : ''}`,
    );
    this.name = 'UserStateError';
    this.code = USERSTATE_CODES[errorName] >>> 0;
  }
}
