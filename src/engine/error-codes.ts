/**
 * The engine's own failure codes, as ConfigMgr admins read them: unsigned 32-bit, shown as hex and
 * decimal (DESIGN.md "A small named error family"). A time-out is its own kind, not a failure of
 * the step's program.
 */
export interface EngineErrorCode {
  code: number;
  name: string;
  category: 'environment' | 'timeout' | 'restart' | 'internal' | 'variable';
  retryable: boolean;
  hint: string;
}

const hresult = (win32: number): number => (0x80070000 | win32) >>> 0;

export const ENGINE_ERRORS = {
  /** engine-semantics §12.1: a step reached in an environment it cannot run in. */
  wrongEnvironment: {
    code: hresult(50),
    name: 'ERROR_NOT_SUPPORTED',
    category: 'environment',
    retryable: false,
    hint: 'the step cannot run in this environment (runIn); restart into Windows PE or the full OS first',
  },
  timeout: {
    code: hresult(1460),
    name: 'ERROR_TIMEOUT',
    category: 'timeout',
    retryable: true,
    hint: 'the step ran longer than its time-out; raise the time-out or find out why it hangs',
  },
  unexpectedRestart: {
    code: hresult(1115),
    name: 'ERROR_SHUTDOWN_IN_PROGRESS',
    category: 'restart',
    retryable: true,
    hint: 'the computer restarted while the step ran; enable "retry this step if the computer unexpectedly restarts" for installers that restart by themselves',
  },
  notBootable: {
    code: hresult(1392),
    name: 'ERROR_FILE_CORRUPT',
    category: 'restart',
    retryable: false,
    hint: 'there is no operating system to restart into: apply an image (and run Setup Windows and ConfigMgr) before restarting to the installed OS',
  },
  readOnlyVariable: {
    code: hresult(5),
    name: 'ERROR_ACCESS_DENIED',
    category: 'variable',
    retryable: false,
    hint: 'variables starting with "_" are read-only',
  },
  executorError: { code: 0x80004005, name: 'E_FAIL', category: 'internal', retryable: false, hint: 'the step handler failed; see the log' },
} satisfies Record<string, EngineErrorCode>;

/** `0x80070002` style. */
export function hex(code: number): string {
  return `0x${(code >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

/** Unsigned decimal, as `_SMSTSLastActionRetCode` holds it (engine-semantics §5). */
export function unsigned(code: number): string {
  return String(code >>> 0);
}
