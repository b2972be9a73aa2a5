/**
 * Capture User State and Restore User State (task-sequence-format §8.16): USMT's ScanState and
 * LoadState. Not done here yet: predicted — they fail without OSDStateStorePath, as the real steps
 * do, and otherwise are assumed to capture or restore everything (nothing is copied: a report says so).
 */
import type { StepResult } from '../../engine/ports.js';
import { captureUserState, restoreUserState } from '../../sequence/catalog/index.js';
import { WIN32 } from '../errors.js';
import { defineHandler, type SimulationContext } from '../handler.js';

function needsStore({ x }: SimulationContext, assumed: string): StepResult {
  if (!x.variables.get('OSDStateStorePath')) {
    return { exitCode: WIN32.generic, message: 'OSDStateStorePath is not set: request a state store (or set a local path) before this step' };
  }
  return { exitCode: 0, predicted: { assumed: [assumed] } };
}

export const captureUserStateHandler = defineHandler(captureUserState, {
  simulate: (ctx) => needsStore(ctx, "USMT captures every user's files and settings into OSDStateStorePath"),
});

export const restoreUserStateHandler = defineHandler(restoreUserState, {
  simulate: (ctx) => needsStore(ctx, 'USMT restores the captured files and settings from OSDStateStorePath'),
});
