/**
 * Every step of a catalogued type in the real-file corpus: the typed settings read without
 * surprises, write(read(x)) gives back the same variables, and buildAction gives back the saved
 * `<action>` (task-sequence-format §5, §7, §9).
 */
import { describe, expect, it } from 'vitest';
import { actionUsesExecutable, readSettings, STEP_TYPES, stepTypeOf, writeSettings } from '../../../src/sequence/catalog/index.js';
import { comparable, corpusSteps, HAVE_CORPUS } from './corpus.js';

const steps = HAVE_CORPUS ? corpusSteps().filter((s) => stepTypeOf(s.step.type)) : [];
const label = (s: (typeof steps)[number]): string => `${s.file} › ${s.path}`;

describe.skipIf(!HAVE_CORPUS)('catalog against the corpus', () => {
  it('finds catalogued steps in the corpus', () => {
    expect(steps.length).toBeGreaterThan(200);
  });

  it('finds every catalogued type at least once in the corpus', () => {
    const seen = new Set(steps.map((s) => stepTypeOf(s.step.type)?.type));
    const missing = STEP_TYPES.filter((t) => !seen.has(t.type)).map((t) => t.type);
    expect(missing).toEqual([]);
  });

  it.each(steps.filter((s) => stepTypeOf(s.step.type)?.settings).map((s) => [label(s), s] as const))(
    'write(read(x)) reproduces the variables: %s',
    (_, { step }) => {
      const type = stepTypeOf(step.type)!;
      const { settings } = type.settings!.read(step.variables ?? []);
      expect(type.settings!.schema.safeParse(settings).success).toBe(true);
      expect(comparable(type.settings!.write(settings))).toEqual(comparable(step.variables));
    },
  );

  it.each(steps.filter((s) => stepTypeOf(s.step.type)?.settings).map((s) => [label(s), s] as const))('reads without issues: %s', (_, { step }) => {
    expect(readSettings(step)?.issues).toEqual([]);
  });

  // MDT Lite Touch keeps its own script in <action> (ZTIDiskpart.wsf, ZTISetVariable.wsf, ZTIBde.wsf,
  // or a raw command for Run Command Line); only ConfigMgr's saved commands are built.
  const built = steps.filter((s) => {
    const t = stepTypeOf(s.step.type)!;
    return t.buildAction && actionUsesExecutable(s.step, t);
  });

  it.each(built.map((s) => [label(s), s] as const))('buildAction gives the saved <action>: %s', (_, { step }) => {
    expect(stepTypeOf(step.type)!.buildAction!(step)).toBe(step.action);
  });

  it('checks every step of a ConfigMgr file (exports, MDT SCCM templates): all save the executable', () => {
    const configMgrFile = /^(cm-export-|mdt8456-sccm-)/;
    const notBuilt = steps.filter((s) => {
      const t = stepTypeOf(s.step.type)!;
      return configMgrFile.test(s.file) && t.buildAction && !actionUsesExecutable(s.step, t);
    });
    expect(notBuilt.map(label)).toEqual([]);
  });

  it('writeSettings of unchanged settings leaves the step as it was', () => {
    for (const s of steps) {
      const read = readSettings(s.step);
      if (!read) continue;
      const again = writeSettings(s.step, read.settings);
      expect(comparable(again.variables), label(s)).toEqual(comparable(s.step.variables));
      expect(again.action, label(s)).toBe(s.step.action);
    }
  });

  it('ConfigMgr 3.10 exports are already canonical: read needs no layout for them', () => {
    const exported = steps.filter((s) => s.file.startsWith('cm-export-') && stepTypeOf(s.step.type)?.settings);
    const withLayout = exported.filter((s) => (readSettings(s.step)?.settings as { layout?: unknown }).layout).map(label);
    expect(withLayout).toEqual([]);
  });
});
