/**
 * Serialises the XML tree. Two layouts: compact (one line, as ConfigMgr writes) and indented (as
 * MDT writes). Text-bearing elements are always written inline so their text is never altered;
 * whitespace-only text nodes are dropped when indenting (the indentation replaces them).
 */
import type { XmlDocument, XmlElement, XmlLayout, XmlNode } from './nodes.js';
import { isWhitespace } from './nodes.js';

export function escapeText(s: string): string {
  if (!/[&<>\r]/.test(s)) return s;
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

export function escapeAttribute(s: string): string {
  if (!/[&<>"\t\n\r]/.test(s)) return s;
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

export const COMPACT: XmlLayout = { indent: null, newline: '\n', selfClose: '/>' };

export function writeXml(doc: XmlDocument, layout: XmlLayout = doc.layout): string {
  const out: string[] = [];
  const nl = layout.newline;
  if (doc.declaration) out.push(doc.declaration, nl);
  for (const n of doc.prolog) out.push(writeMisc(n), nl);
  writeElement(doc.root, layout, 0, out);
  for (const n of doc.epilog) out.push(nl, writeMisc(n));
  if (layout.indent !== null || doc.declaration) out.push(nl);
  return out.join('');
}

export function writeFragment(node: XmlNode, layout: XmlLayout = COMPACT): string {
  if (node.kind !== 'element') return writeMisc(node);
  const out: string[] = [];
  writeElement(node, layout, 0, out);
  return out.join('');
}

function writeMisc(n: XmlNode): string {
  switch (n.kind) {
    case 'comment':
      return `<!--${n.text}-->`;
    case 'pi':
      return n.data ? `<?${n.target} ${n.data}?>` : `<?${n.target}?>`;
    case 'text':
      return escapeText(n.text);
    case 'cdata':
      return `<![CDATA[${n.text.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
    case 'element':
      return writeFragment(n);
  }
}

function writeElement(el: XmlElement, layout: XmlLayout, depth: number, out: string[]): void {
  out.push('<', el.name);
  for (const [name, value] of el.attributes) out.push(' ', name, '="', escapeAttribute(value), '"');
  const children = el.children;
  if (children.length === 0) {
    const style = el.empty ?? layout.selfClose;
    out.push(style === '</>' ? `></${el.name}>` : style);
    return;
  }
  // Elements that carry text (mixed content) are written exactly, without re-indenting.
  let hasText = false;
  let hasElement = false;
  for (const c of children) {
    if ((c.kind === 'text' && !isWhitespace(c.text)) || c.kind === 'cdata') hasText = true;
    else if (c.kind === 'element') hasElement = true;
  }
  const indent = layout.indent;
  if (indent === null || hasText || !hasElement) {
    out.push('>');
    for (const c of children) {
      if (c.kind === 'element') writeElement(c, indent === null || hasText ? { ...layout, indent: null } : layout, depth + 1, out);
      else out.push(writeMisc(c));
    }
    out.push('</', el.name, '>');
    return;
  }
  out.push('>');
  const pad = layout.newline + indent.repeat(depth + 1);
  for (const c of children) {
    if (c.kind === 'text') continue; // whitespace only here
    out.push(pad);
    if (c.kind === 'element') writeElement(c, layout, depth + 1, out);
    else out.push(writeMisc(c));
  }
  out.push(layout.newline, indent.repeat(depth), '</', el.name, '>');
}
