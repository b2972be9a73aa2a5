/**
 * Random renames, moves and disable toggles on corpus models: the diff is non-empty exactly when
 * the model changed in meaning, diff(x, x) is always empty, and (when renames do not reuse
 * existing names) the diff explains the edits without inventing others.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffSequences } from '../../../src/sequence/diff/index.js';
import type { TaskSequence } from '../../../src/sequence/model/task-sequence.js';
import { findItem } from '../../../src/sequence/model/walk.js';
import { applyEdit, loadCorpus, meaning, type Edit } from './helpers.js';

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant('rename' as const), target: fc.nat(), name: fc.nat() }),
  fc.record({ op: fc.constant('move' as const), target: fc.nat(), dest: fc.nat(), pos: fc.nat() }),
  fc.record({ op: fc.constant('toggle' as const), target: fc.nat() }),
);

/** More runs for a soak: DIFF_PROPERTY_RUNS=4000 npx vitest run test/sequence/diff/property.test.ts --testTimeout=600000 */
const RUNS = Number(process.env.DIFF_PROPERTY_RUNS ?? 200);

const FILES = [
  'mdt8456-sccm-client-template.xml', // deep, many duplicate names
  'cm-export-win10-inplace-upgrade.xml',
  'mdt-hydrationkit-ws2022-dc01-ts.xml', // duplicate group names
  'cm-export-kb5025885-media-creator.xml', // steps at the top level
  'mdt8456-lti-oem-template.xml', // no groups at all
];

function changedInMeaning(a: TaskSequence, b: TaskSequence): boolean {
  return JSON.stringify(meaning(a.items)) !== JSON.stringify(meaning(b.items));
}

function edited(original: TaskSequence, edits: Edit[], freshNames: boolean): TaskSequence {
  const b = structuredClone(original);
  for (const e of edits) applyEdit(b, e, freshNames);
  return b;
}

describe.each(FILES)('%s', (file) => {
  const original = loadCorpus(file);

  it('reports changes iff the model changed, with valid paths; diff(x, x) is empty', () => {
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 6 }), (edits) => {
        const a = structuredClone(original);
        const b = edited(original, edits, false);
        expect(diffSequences(a, a)).toEqual([]);
        expect(diffSequences(b, b)).toEqual([]);
        const changed = changedInMeaning(a, b);
        const changes = diffSequences(a, b);
        expect(changes.length > 0).toBe(changed);
        expect(diffSequences(b, a).length > 0).toBe(changed);
        for (const c of changes) {
          if (c.pathA !== undefined) expect(findItem(a, c.pathA)).toBeDefined();
          if (c.pathB !== undefined) expect(findItem(b, c.pathB)).toBeDefined();
        }
      }),
      { numRuns: RUNS },
    );
  });

  // With fresh names (no item takes over another's name) the matching should see through any mix
  // of edits: no invented content changes, and no more renames/moves/toggles than were made.
  // (Colliding names can legitimately mislead it: a group renamed to the name of another group
  // that was itself renamed elsewhere looks like that other group.)
  it('explains renames, moves and toggles without inventing other changes', () => {
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 6 }), (edits) => {
        const b = edited(original, edits, true);
        const changes = diffSequences(original, b);
        expect(changes.length > 0).toBe(changedInMeaning(original, b));
        for (const c of changes) {
          expect(['moved', 'renamed', 'option-changed', 'added', 'removed']).toContain(c.kind);
          if (c.kind === 'option-changed') expect(c.field).toBe('disable');
          // The one thing nothing can recognise: an empty group without a condition that was
          // both renamed and moved reads as removed + added.
          if (c.kind === 'removed') {
            const item = findItem(original, c.pathA!)!.item;
            expect(item.kind === 'group' && item.items.length === 0 && !item.condition).toBe(true);
          }
        }
        expect(changes.filter((c) => c.kind === 'added').length).toBe(changes.filter((c) => c.kind === 'removed').length);
        const count = (op: Edit['op']): number => edits.filter((e) => e.op === op).length;
        expect(changes.filter((c) => c.kind === 'renamed').length).toBeLessThanOrEqual(count('rename'));
        expect(changes.filter((c) => c.kind === 'option-changed').length).toBeLessThanOrEqual(count('toggle'));
        expect(changes.filter((c) => c.kind === 'moved').length).toBeLessThanOrEqual(count('move'));
      }),
      { numRuns: RUNS },
    );
  });

  it('reports one move per single move of an item to a new place', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat(), (target, dest, pos) => {
        const b = edited(original, [{ op: 'move', target, dest, pos }], true);
        const changes = diffSequences(original, b);
        expect(changes.map((c) => c.kind)).toEqual(changedInMeaning(original, b) ? ['moved'] : []);
      }),
      { numRuns: RUNS },
    );
  });
});
