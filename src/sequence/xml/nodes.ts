/**
 * A small, order-preserving XML tree. It keeps exactly what the task sequence codecs need for a
 * lossless round trip: element and attribute order, text (entities decoded), CDATA, comments and
 * processing instructions. There is deliberately no DTD support (see reader.ts).
 */

export type XmlAttribute = [name: string, value: string];

export interface XmlElement {
  kind: 'element';
  name: string;
  attributes: XmlAttribute[];
  children: XmlNode[];
  /** Offset of the `<` in the source text; used only to report line:column. -1 when built in code. */
  offset: number;
  /** How an empty element was closed in the source (`<a/>`, `<a />`), or `'</>'` for `<a></a>`. */
  empty?: '/>' | ' />' | '</>';
}

export interface XmlText {
  kind: 'text';
  text: string;
}

export interface XmlCData {
  kind: 'cdata';
  text: string;
}

export interface XmlComment {
  kind: 'comment';
  text: string;
}

export interface XmlProcessingInstruction {
  kind: 'pi';
  target: string;
  data: string;
}

export type XmlNode = XmlElement | XmlText | XmlCData | XmlComment | XmlProcessingInstruction;

export interface XmlDocument {
  /** The raw `<?xml …?>` declaration, if the source had one. */
  declaration?: string;
  /** Comments and processing instructions before the root element. */
  prolog: XmlNode[];
  root: XmlElement;
  /** Comments and processing instructions after the root element. */
  epilog: XmlNode[];
  /** Layout seen in the source, so a writer can produce something that looks the same. */
  layout: XmlLayout;
}

export interface XmlLayout {
  /** Indentation unit (e.g. two spaces or a tab); null when the source was written on one line. */
  indent: string | null;
  newline: '\n' | '\r\n';
  /** `' />'` (MDT / .NET XmlSerializer) or `'/>'` (ConfigMgr). */
  selfClose: ' />' | '/>';
}

export function element(name: string, attributes: XmlAttribute[] = [], children: XmlNode[] = []): XmlElement {
  return { kind: 'element', name, attributes, children, offset: -1 };
}

export function text(value: string): XmlText {
  return { kind: 'text', text: value };
}

export function getAttribute(el: XmlElement, name: string): string | undefined {
  for (const [n, v] of el.attributes) if (n === name) return v;
  return undefined;
}

/** Concatenated character data of an element's direct text and CDATA children. */
export function textContent(el: XmlElement): string {
  const c = el.children;
  if (c.length === 0) return '';
  if (c.length === 1) {
    const only = c[0];
    return only.kind === 'text' || only.kind === 'cdata' ? only.text : '';
  }
  let out = '';
  for (const n of c) if (n.kind === 'text' || n.kind === 'cdata') out += n.text;
  return out;
}

export function childElements(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (const n of el.children) if (n.kind === 'element') out.push(n);
  return out;
}

export function isWhitespace(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return true;
}
