/**
 * The site's content errors (DESIGN.md "A small named error family"): the transfer layer's
 * `ContentError` family (src/transfer/errors.ts) is re-exported here, and the site adds the errors
 * that carry its own rules and next steps — content paths, and source files the site server could
 * not read.
 */

import { nextSteps } from '../next-steps.js';
import { ContentError, isAbort } from '../../transfer/errors.js';

export {
  ContentError,
  ContentHashMismatchError,
  ContentTooLargeError,
  HASH_MISMATCH_WIN32,
  formatWin32,
  isAbort,
  type ContentErrorOptions,
} from '../../transfer/errors.js';

export class ContentPathError extends ContentError {
  constructor(input: string, path: string, rule: string, hint: string) {
    super({ code: 'content-path-invalid', status: 400, input, rule: `content path ${JSON.stringify(path)} ${rule}`, hint });
    this.name = 'ContentPathError';
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
