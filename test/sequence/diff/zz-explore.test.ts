import { it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { importXmlText } from '../../../src/sequence/codec/xml-import.js';
import { walkItems, pathText } from '../../../src/sequence/model/walk.js';
it('explore', () => {
  const dir = '/work/shared/corpus/public/';
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.xml'))) {
    const { sequence, warnings } = importXmlText(readFileSync(dir + f, 'utf8'), f);
    let n = 0, dup = 0, raw = 0;
    const sigs = new Map<string, number>();
    for (const v of walkItems(sequence)) {
      n++;
      if (v.path[v.path.length - 1].endsWith(']')) { dup++; console.log('  dup', pathText(v.path)); }
    }
    console.log(f, n, 'dups', dup, 'warnings', warnings.length, 'envelope', sequence.envelope?.kind);
  }
});
