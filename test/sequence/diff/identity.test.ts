/** Nothing but layout differs ⇒ no changes: self, clone, every export layout, hints stripped, defaults spelled out. */
import { describe, expect, it } from 'vitest';
import { exportXmlText } from '../../../src/sequence/codec/xml-export.js';
import { importXmlText } from '../../../src/sequence/codec/xml-import.js';
import { diffSequences } from '../../../src/sequence/diff/index.js';
import type { TaskSequence } from '../../../src/sequence/model/task-sequence.js';
import { walkItems } from '../../../src/sequence/model/walk.js';
import { corpusFiles, loadCorpus } from './helpers.js';

function reimport(ts: TaskSequence, options: Parameters<typeof exportXmlText>[1]): TaskSequence {
  return importXmlText(exportXmlText(ts, options), 'reexport').sequence;
}

/** Removes every `xml` layout hint, recursively. */
function stripHints(value: unknown): void {
  if (Array.isArray(value)) value.forEach(stripHints);
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    // Raw items carry their XML in `xml` as a string: that is content, not a hint.
    if (typeof o.xml === 'object') delete o.xml;
    Object.values(o).forEach(stripHints);
  }
}

describe.each(corpusFiles())('%s', (file) => {
  const seq = loadCorpus(file);

  it('has no changes against itself or a clone', () => {
    expect(diffSequences(seq, seq)).toEqual([]);
    expect(diffSequences(seq, structuredClone(seq))).toEqual([]);
  });

  it('has no changes against its re-export in another layout', () => {
    const indented = reimport(seq, { layout: 'indented' });
    const compact = reimport(seq, { layout: 'compact' });
    // Make sure the layout really differs, or the test proves nothing.
    expect(exportXmlText(indented)).not.toEqual(exportXmlText(compact));
    expect(diffSequences(seq, indented)).toEqual([]);
    expect(diffSequences(indented, seq)).toEqual([]);
    expect(diffSequences(compact, indented)).toEqual([]);
    expect(diffSequences(seq, reimport(seq, { bare: true, layout: 'indented' }))).toEqual([]);
  });

  it('ignores layout hints and the spelling of defaults', () => {
    const plain = structuredClone(seq);
    stripHints(plain);
    expect(diffSequences(seq, plain)).toEqual([]);
    // ConfigMgr omits false booleans and defaults, MDT writes them: same meaning.
    const spelled = structuredClone(seq);
    for (const { item } of walkItems(spelled)) {
      item.disable ??= false;
      item.continueOnError ??= false;
      item.description ??= '';
      if (item.kind === 'step') {
        item.runIn ??= 'WinPEandFullOS';
        item.successCodeList ??= '0 3010';
        item.retryCount ??= 0;
        item.runFromNet ??= false;
        item.startIn ??= '';
      } else item.expand ??= false;
    }
    expect(diffSequences(seq, spelled)).toEqual([]);
    expect(diffSequences(spelled, seq)).toEqual([]);
  });
});
