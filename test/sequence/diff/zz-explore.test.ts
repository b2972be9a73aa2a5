import { it } from 'vitest';
import { readFileSync } from 'node:fs';
import { importXmlText } from '../../../src/sequence/codec/xml-import.js';
import { walkItems, pathText } from '../../../src/sequence/model/walk.js';
import { describeCondition } from '../../../src/sequence/diff/condition-text.js';
it('explore', () => {
  const dir = '/work/shared/corpus/public/';
  for (const f of ['mdt8456-sccm-client-template.xml', 'cm-export-win10-inplace-upgrade.xml']) {
    const { sequence } = importXmlText(readFileSync(dir + f, 'utf8'), f);
    for (const v of walkItems(sequence)) {
      console.log('  '.repeat(v.depth) + v.item.kind[0] + ' ' + v.item.name + (v.item.condition ? '   IF ' + describeCondition(v.item.condition) : ''));
    }
  }
});
