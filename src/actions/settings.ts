/**
 * A step's typed settings as the handler must see them: the catalog's reader over the step's
 * properties *after* resolution, so a global variable of the same name overrides a non-hidden
 * default (engine-semantics §6).
 */
import type { StepExecution } from '../engine/ports.js';
import { readSettings } from '../sequence/catalog/index.js';
import { StepFailure, WIN32 } from './errors.js';

export function resolvedSettings<S>(x: StepExecution): S {
  const step = { ...x.step, variables: (x.step.variables ?? []).map((v) => ({ ...v, value: x.properties[v.name] ?? v.value })) };
  const read = readSettings<S>(step);
  if (!read) throw new StepFailure(WIN32.notSupported, `step type ${x.step.type ?? '(none)'} has no typed settings`);
  if (read.issues.length) throw new StepFailure(WIN32.invalidParameter, `the step's settings cannot be read: ${read.issues.join('; ')}`);
  return read.settings;
}
