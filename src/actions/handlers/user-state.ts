/**
 * Capture User State and Restore User State (task-sequence-format §8.17; user-state.md §2.6): done
 * by our own user state tool (src/actions/user-state/), not USMT — files with their times and
 * attributes for the users and locations the rules take, into a hard-link store, a local encrypted
 * store or the state migration point. Where the host cannot reach the store (a remote store without
 * a site), the step is predicted: it fails without OSDStateStorePath, as the real steps do, and is
 * otherwise assumed to capture or restore everything.
 */
import type { StepResult } from '../../engine/ports.js';
import { captureUserState, restoreUserState } from '../../sequence/catalog/index.js';
import { WIN32 } from '../errors.js';
import { defineHandler, type SimulationContext } from '../handler.js';
import { canRunUserState, runCapture, runRestore } from '../user-state/step.js';

function needsStore({ x }: SimulationContext, assumed: string): StepResult {
  if (!x.variables.get('OSDStateStorePath')) {
    return { exitCode: WIN32.invalidParameter, message: 'OSDStateStorePath is not set: request a state store (or set a local path) before this step' };
  }
  return { exitCode: 0, predicted: { assumed: [assumed] } };
}

export const captureUserStateHandler = defineHandler(captureUserState, {
  canRun: ({ x, services }) => canRunUserState(x, services, false),
  run: (ctx) => runCapture(ctx),
  simulate: (ctx) => needsStore(ctx, "the user state tool captures the chosen users' files into OSDStateStorePath"),
});

export const restoreUserStateHandler = defineHandler(restoreUserState, {
  canRun: ({ x, services }) => canRunUserState(x, services, true),
  run: (ctx) => runRestore(ctx),
  simulate: (ctx) => needsStore(ctx, 'the user state tool restores the captured files from OSDStateStorePath'),
});
