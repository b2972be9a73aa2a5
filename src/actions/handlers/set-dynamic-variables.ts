/**
 * Set Dynamic Variables (task-sequence-format §8.13): each rule whose condition holds (against the
 * computer's inventory and the variables) sets its variables. The prediction evaluates the rules as
 * the step would.
 */
import { evaluateCondition } from '../../engine/conditions/index.js';
import { setDynamicVariables } from '../../sequence/catalog/index.js';
import { readSettings } from '../../sequence/catalog/index.js';
import { importConditionXml } from '../../sequence/codec/xml-import.js';
import type { SetDynamicVariablesSettings } from '../../sequence/catalog/steps/set-dynamic-variables.js';
import { WIN32 } from '../errors.js';
import { defineHandler } from '../handler.js';

export const setDynamicVariablesHandler = defineHandler(setDynamicVariables, {
  simulate: ({ x, machine, note }) => {
    const read = readSettings<SetDynamicVariablesSettings>(x.step);
    if (!read || read.issues.length) {
      return { exitCode: WIN32.generic, message: `the rules cannot be read: ${read?.issues.join('; ') ?? 'no settings'}` };
    }
    for (const rule of read.settings.rules ?? []) {
      let applies = true;
      if (rule.condition) {
        const outcome = evaluateCondition(importConditionXml(rule.condition, `${x.instruction.path} rules`), {
          variable: (n) => x.variables.get(n),
          expand: (t) => x.variables.expand(t),
          inventory: machine.inventory(),
        });
        applies = outcome.value && outcome.errors.length === 0;
      }
      if (!applies) continue;
      for (const v of rule.variables) {
        x.variables.set(v.name, v.value, { secret: v.isSecret });
        note(`sets ${v.name}${v.isSecret ? ' (secret)' : ''}`);
      }
    }
    return { exitCode: 0 };
  },
});
