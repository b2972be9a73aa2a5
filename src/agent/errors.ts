/**
 * The agent's failures in the one error family (src/common/errors.ts): the management point
 * refused a request or could not be reached, the agent's own folder is unusable, or the computer
 * cannot run the deployment. Each names the input, the rule and what to do; a failure that ends a
 * run carries the ConfigMgr code the run reports.
 */
import { OsdError, type ErrorKind, type OsdErrorOptions } from '../common/errors.js';

export class AgentError extends OsdError {
  /** The management point's own name for the rule (`credential-revoked`, `unknown-computers-refused` …), when it said one. */
  readonly code?: string;

  constructor(kind: ErrorKind, opts: OsdErrorOptions & { code?: string }) {
    super(kind, opts);
    this.name = 'AgentError';
    this.code = opts.code;
  }
}

/** ConfigMgr's "the task sequence cannot run on this computer": no compatible boot image / OS image (0x80004005 family). */
export const NOT_APPLICABLE_CODE = 0x80004005;
