/**
 * The public real-file corpus (shared/corpus/public, see its SOURCES.md), loaded once for the
 * catalog tests. OPENOSD_CORPUS overrides the directory.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importXmlText } from '../../../src/sequence/codec/xml-import.js';
import type { Step, StepVariable, TaskSequence } from '../../../src/sequence/model/task-sequence.js';
import { pathText, walkItems } from '../../../src/sequence/model/walk.js';

const here = fileURLToPath(new URL('.', import.meta.url));
export const CORPUS_DIR = process.env.OPENOSD_CORPUS ?? resolve(here, '../../../../shared/corpus/public');
export const HAVE_CORPUS = existsSync(CORPUS_DIR);

export interface CorpusStep {
  file: string;
  path: string;
  step: Step;
}

let cache: Map<string, TaskSequence> | undefined;

export function corpusFiles(): Map<string, TaskSequence> {
  if (cache) return cache;
  cache = new Map();
  if (!HAVE_CORPUS) return cache;
  for (const f of readdirSync(CORPUS_DIR)
    .filter((n) => n.endsWith('.xml'))
    .sort()) {
    cache.set(f, importXmlText(readFileSync(join(CORPUS_DIR, f), 'utf8'), f).sequence);
  }
  return cache;
}

export function corpusSteps(): CorpusStep[] {
  const out: CorpusStep[] = [];
  for (const [file, ts] of corpusFiles()) {
    for (const v of walkItems(ts)) if (v.item.kind === 'step') out.push({ file, path: pathText(v.path), step: v.item });
  }
  return out;
}

export function stepByPath(file: string, path: string): Step {
  const found = corpusSteps().find((s) => s.file === file && s.path === path);
  if (!found) throw new Error(`${file}: no step at ${path}`);
  return found.step;
}

/** The fields a round trip must reproduce. */
export function comparable(variables: StepVariable[] | undefined): Array<Pick<StepVariable, 'name' | 'property' | 'hidden' | 'value'>> {
  return (variables ?? []).map(({ name, property, hidden, value }) => ({ name, property, hidden, value }));
}
