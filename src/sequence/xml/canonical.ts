/**
 * The comparison form used to prove a round trip lossless: the same elements, attributes and text
 * in the same order, ignoring attribute order, whitespace-only text, comments, processing
 * instructions, the declaration, and the difference between CDATA and escaped text.
 */
import type { XmlElement } from './nodes.js';
import { isWhitespace } from './nodes.js';
import { escapeAttribute, escapeText } from './writer.js';

export function canonicalXml(root: XmlElement): string {
  const out: string[] = [];
  write(root, out);
  return out.join('');
}

function write(el: XmlElement, out: string[]): void {
  out.push('<', el.name);
  const attrs = [...el.attributes].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [n, v] of attrs) out.push(' ', n, '="', escapeAttribute(v), '"');
  out.push('>');
  let pending = '';
  const flush = (): void => {
    if (pending !== '' && !isWhitespace(pending)) out.push(escapeText(pending));
    pending = '';
  };
  for (const c of el.children) {
    if (c.kind === 'text' || c.kind === 'cdata') pending += c.text;
    else if (c.kind === 'element') {
      flush();
      write(c, out);
    }
  }
  flush();
  out.push('</', el.name, '>\n');
}
