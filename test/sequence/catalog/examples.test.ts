// A step type's examples (its definition's `examples`) are executed: each writes to a step and
// reads back as written, with no issues (DESIGN.md: examples that are executed as tests sit next to
// the code they show). And the flags the engine reads are well formed.
import { describe, expect, it } from 'vitest';
import { readSettings, restartInto, STEP_TYPES, writeSettings } from '../../../src/sequence/catalog/index.js';
import type { Step } from '../../../src/sequence/model/task-sequence.js';

const withExamples = STEP_TYPES.filter((t) => t.examples?.length);

describe('step type examples', () => {
  it('exist for the step types with handlers that do work', () => {
    expect(withExamples.map((t) => t.displayName)).toEqual(
      expect.arrayContaining(['Format and Partition Disk', 'Apply Operating System Image', 'Set Task Sequence Variable', 'Restart Computer']),
    );
  });

  for (const type of withExamples) {
    for (const example of type.examples!) {
      it(`${type.displayName}: ${example.title}`, () => {
        const blank: Step = { kind: 'step', type: type.type, name: example.title.slice(0, 50) };
        const step = writeSettings(blank, example.settings, type);
        const read = readSettings(step, type)!;
        expect(read.issues).toEqual([]);
        const { layout: _layout, ...settings } = read.settings as Record<string, unknown>;
        void _layout;
        expect(settings).toEqual(example.settings);
        expect(step.action?.toLowerCase().startsWith(type.executable.toLowerCase())).toBe(true);
      });
    }
  }
});

describe('the flags the engine reads', () => {
  it('restarts go into Windows PE or the installed OS', () => {
    for (const t of STEP_TYPES.filter((x) => x.restarts)) {
      expect(['WinPE', 'FullOS'], t.displayName).toContain(restartInto(t, () => undefined, undefined));
    }
  });

  it('only steps that set variables or ask for a restart re-run after an unexpected restart', () => {
    expect(
      STEP_TYPES.filter((t) => t.rerunAfterUnexpectedRestart)
        .map((t) => t.displayName)
        .sort(),
    ).toEqual(['Restart Computer', 'Set Dynamic Variables', 'Set Task Sequence Variable']);
  });

  it('what steps change on the computer', () => {
    expect(STEP_TYPES.filter((t) => t.effects?.partitions).map((t) => t.displayName)).toEqual(['Format and Partition Disk']);
    expect(STEP_TYPES.filter((t) => t.effects?.osOnDisk).map((t) => t.displayName)).toEqual(['Apply Operating System Image']);
  });
});
