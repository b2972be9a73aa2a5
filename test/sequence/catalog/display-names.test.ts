/**
 * The table of step type names `osd ts show` uses without loading the catalog
 * (src/sequence/catalog/display-names.ts) says what the catalog says, for every type.
 */
import { describe, expect, it } from 'vitest';
import { STEP_TYPES, stepTypeOf } from '../../../src/sequence/catalog/index.js';
import { STEP_DISPLAY_NAMES, stepDisplayNameOf } from '../../../src/sequence/catalog/display-names.js';

describe('step display names without the catalog', () => {
  it('name every type of the catalog as its definition does, and no other type', () => {
    expect(STEP_DISPLAY_NAMES).toEqual(Object.fromEntries(STEP_TYPES.map((t) => [t.type, t.displayName])));
  });

  it('look a type up case-insensitively, as stepTypeOf does', () => {
    for (const type of ['SMS_TaskSequence_RebootAction', 'sms_tasksequence_rebootaction', 'SMS_TaskSequence_NoSuchAction', undefined]) {
      expect(stepDisplayNameOf(type)).toBe(stepTypeOf(type)?.displayName);
    }
  });
});
