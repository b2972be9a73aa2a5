import { XMLValidator } from 'fast-xml-parser';
import { expect } from 'vitest';
import type { XmlElement } from '../../../src/sequence/xml/nodes.js';
import { childElements, getAttribute, textContent } from '../../../src/sequence/xml/nodes.js';
import { parseXml } from '../../../src/sequence/xml/reader.js';

/** Task sequence variables as the engine looks them up: case-insensitive names. */
export function vars(values: Record<string, string>): (name: string) => string | undefined {
  const m = new Map(Object.entries(values).map(([k, v]) => [k.toLowerCase(), v]));
  return (name) => m.get(name.toLowerCase());
}

/** `pass/Component/Path/To/Leaf` → value for every leaf; list items as `Name[key]` or `Name#n`. */
export function leaves(xml: string): Map<string, string> {
  const out = new Map<string, string>();
  const root = parseXml(xml).root;
  for (const s of childElements(root)) {
    for (const c of childElements(s)) {
      const base = `${getAttribute(s, 'pass')}/${getAttribute(c, 'name')}`;
      walk(c, base, out);
    }
  }
  return out;
}

function walk(el: XmlElement, path: string, out: Map<string, string>): void {
  const counts = new Map<string, number>();
  for (const c of childElements(el)) {
    const n = (counts.get(c.name) ?? 0) + 1;
    counts.set(c.name, n);
    const key = getAttribute(c, 'wcm:keyValue');
    const p = `${path}/${c.name}${key !== undefined ? `[${key}]` : getAttribute(c, 'wcm:action') ? `#${n}` : ''}`;
    if (childElements(c).length === 0) out.set(p, textContent(c));
    else walk(c, p, out);
  }
}

/** Well-formed by an independent parser, and by ours. */
export function expectWellFormed(xml: string): void {
  expect(XMLValidator.validate(xml)).toBe(true);
  parseXml(xml);
}

/** Child element names of the element at a path of names (first match at each level). */
export function childNames(xml: string, ...path: Array<string | ((e: XmlElement) => boolean)>): string[] {
  let cur = parseXml(xml).root;
  for (const p of path) {
    const next = childElements(cur).find((e) => (typeof p === 'string' ? e.name === p : p(e)));
    if (!next) throw new Error(`no ${String(p)} under ${cur.name}`);
    cur = next;
  }
  return childElements(cur).map((e) => e.name);
}

export const pass = (p: string) => (e: XmlElement) => e.name === 'settings' && getAttribute(e, 'pass') === p;
export const component = (n: string) => (e: XmlElement) => e.name === 'component' && getAttribute(e, 'name') === n;
