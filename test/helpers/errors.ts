import { InputError } from '../../src/sequence/input-error.js';

/** Runs `fn` and returns the InputError it throws (any other outcome fails the test). */
export function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}
