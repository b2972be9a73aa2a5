/** Small helpers over the XML tree of `src/sequence/xml/nodes.ts`, for answer-file editing. */
import type { XmlElement, XmlNode } from '../../sequence/xml/nodes.js';
import { childElements, element, getAttribute, isWhitespace, text, textContent } from '../../sequence/xml/nodes.js';

export { childElements, element, getAttribute, textContent };

export function childNamed(parent: XmlElement, name: string): XmlElement | undefined {
  for (const n of parent.children) if (n.kind === 'element' && n.name === name) return n;
  return undefined;
}

export function childrenNamed(parent: XmlElement, name: string): XmlElement[] {
  return childElements(parent).filter((e) => e.name === name);
}

/** An element holding text only. */
export function leaf(name: string, value: string, attributes: Array<[string, string]> = []): XmlElement {
  return element(name, attributes, [text(value)]);
}

/** A list item (`wcm:action="add"`, optionally keyed). */
export function listItem(name: string, key: string | undefined, children: XmlNode[]): XmlElement {
  const attributes: Array<[string, string]> = [['wcm:action', 'add']];
  if (key !== undefined) attributes.push(['wcm:keyValue', key]);
  return element(name, attributes, children);
}

export function setText(el: XmlElement, value: string): void {
  el.children = [text(value)];
  delete el.empty;
}

export function hasElementChildren(el: XmlElement): boolean {
  return el.children.some((c) => c.kind === 'element');
}

export function removeChild(parent: XmlElement, child: XmlElement): void {
  const i = parent.children.indexOf(child);
  if (i !== -1) parent.children.splice(i, 1);
}

export function setAttribute(el: XmlElement, name: string, value: string): void {
  const existing = el.attributes.find((a) => a[0] === name);
  if (existing) existing[1] = value;
  else el.attributes.push([name, value]);
}

export function keyValue(el: XmlElement): string | undefined {
  return getAttribute(el, 'wcm:keyValue');
}

export function isListItem(el: XmlElement): boolean {
  return getAttribute(el, 'wcm:action') !== undefined;
}

export function cloneElement(el: XmlElement): XmlElement {
  return structuredClone(el);
}

/** Drops whitespace-only text between elements (the writer re-indents); text of leaf elements is kept. */
export function stripLayoutWhitespace(el: XmlElement): void {
  if (hasElementChildren(el)) el.children = el.children.filter((c) => !(c.kind === 'text' && isWhitespace(c.text)));
  for (const c of el.children) if (c.kind === 'element') stripLayoutWhitespace(c);
}

/** Every element below `el` (pre-order, `el` included), with its path of names from `el`. */
export function* walkElements(el: XmlElement, path: string[] = [el.name]): Generator<{ el: XmlElement; path: string[] }> {
  yield { el, path };
  for (const c of el.children) if (c.kind === 'element') yield* walkElements(c, [...path, c.name]);
}
