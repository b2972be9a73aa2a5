/**
 * Where local user state lives: `_SMSTSUserStatePath`, ConfigMgr's `C:\_SMSTaskSequence\UserState`
 * when the engine has not set it [C]. The wizard writes `OSDStateStorePath=%_SMSTSUserStatePath%`,
 * which stays literal when the variable does not exist: it is read as the default folder.
 */
import type { StepExecution } from '../../engine/ports.js';

export const DEFAULT_USER_STATE_FOLDER = '_SMSTaskSequence\\UserState';

/** `_SMSTSUserStatePath`, or `<system drive>\_SMSTaskSequence\UserState`. */
export function userStatePath(x: Pick<StepExecution, 'variables'>, systemDrive = 'C:'): string {
  return x.variables.get('_SMSTSUserStatePath') ?? `${systemDrive}\\${DEFAULT_USER_STATE_FOLDER}`;
}

/** OSDStateStorePath with a literal `%_SMSTSUserStatePath%` (an unset variable) read as the default folder. */
export function storePathOf(x: Pick<StepExecution, 'variables'>): string | undefined {
  const v = x.variables.get('OSDStateStorePath');
  return v?.replace(/%_SMSTSUserStatePath%/gi, userStatePath(x));
}
