/**
 * The task sequence editor's model (console/src/pages/software-library/task-sequences/editor/model.ts)
 * without a browser: the JSON document goes back unchanged (lossless), the keyboard's moves, a group
 * never moves into itself, and items are addressed as the site's lint and simulator name them.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  fromDocument,
  moveNode,
  placeFor,
  siteAddresses,
  toDocument,
  type Json,
  type Node,
} from '../../console/src/pages/software-library/task-sequences/editor/model.js';
import { corpusFile } from './browser.js';

const labels = (items: Node[]): unknown[] => items.map((n) => (n.children ? [n.data.name, labels(n.children)] : n.data.name));
const uidOf = (items: Node[], name: string): string => {
  for (const n of items) {
    if (n.data.name === name) return n.uid;
    const inner = n.children && uidOfOrNull(n.children, name);
    if (inner) return inner;
  }
  throw new Error(`no ${name}`);
};
const uidOfOrNull = (items: Node[], name: string): string | null => {
  try {
    return uidOf(items, name);
  } catch {
    return null;
  }
};

describe('the editor model', () => {
  const doc: Json = {
    format: 'openosd.task-sequence',
    formatVersion: 1,
    sequence: {
      version: '3.10',
      items: [
        {
          kind: 'group',
          name: 'A',
          items: [
            { kind: 'step', name: 'a1' },
            { kind: 'raw', xml: '<!-- kept -->' },
            { kind: 'step', name: 'a2' },
          ],
        },
        {
          kind: 'group',
          name: 'B',
          items: [
            { kind: 'step', name: 'b1' },
            { kind: 'step', name: 'b1' },
          ],
        },
        { kind: 'step', name: 'c', extraAttributes: { custom: 'x' }, xml: { attributes: 'name custom' } },
      ],
      globalVariables: [{ name: 'OSDAdapterCount', value: '0' }],
    },
  };

  it('gives the document back as it came, unknown parts included', () => {
    expect(toDocument(fromDocument(structuredClone(doc)))).toEqual(doc);
    const file = corpusFile('mdt8456-sccm-client-template.xml');
    if (!file) return;
    const json = JSON.parse(execFileSync(process.execPath, ['bin/osd.js', 'ts', 'export', file, '--format', 'json'], { encoding: 'utf8' }));
    expect(toDocument(fromDocument(structuredClone(json)))).toEqual(json);
  });

  it('moves with the keyboard: past a neighbour, out of a group at its edge, into the group above', () => {
    let items = fromDocument(structuredClone(doc)).items;
    const a2 = uidOf(items, 'a2');
    items = moveNode(items, a2, placeFor(items, a2, 'up')!)!;
    expect(labels(items)[0]).toEqual(['A', ['a1', 'a2', undefined]]);
    items = moveNode(items, a2, placeFor(items, a2, 'up')!)!;
    items = moveNode(items, a2, placeFor(items, a2, 'up')!)!;
    // At the top of its group, up leaves the group (before it).
    expect(labels(items).slice(0, 2)).toEqual(['a2', ['A', ['a1', undefined]]]);
    // Alt+→: into the group above (its last child); Alt+←: out, after the group.
    const c = uidOf(items, 'c');
    items = moveNode(items, c, placeFor(items, c, 'in')!)!;
    expect(labels(items)[2]).toEqual(['B', ['b1', 'b1', 'c']]);
    items = moveNode(items, c, placeFor(items, c, 'out')!)!;
    expect(labels(items)[3]).toBe('c');
    expect(placeFor(items, c, 'down')).toBeNull();
    // A group never goes into itself.
    const b = uidOf(items, 'B');
    expect(moveNode(items, b, { parent: b, index: 0 })).toBeNull();
  });

  it("addresses items as the site's lint (paths, [n] for a repeated name) and simulator (pre-order, raw items left out) do", () => {
    const items = fromDocument(structuredClone(doc)).items;
    const { byPath, byIndex } = siteAddresses(items);
    expect([...byPath.keys()]).toEqual(['A', 'A / a1', 'A / a2', 'B', 'B / b1', 'B / b1[2]', 'c']);
    expect(byIndex).toHaveLength(7);
    expect(byIndex[2]).toBe(uidOf(items, 'a2'));
  });
});
