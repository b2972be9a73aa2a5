/**
 * A strict, fast XML reader for task sequence documents.
 *
 * - Refuses any `<!DOCTYPE …>` outright, before reading it: DTDs are how entity-expansion
 *   ("billion laughs") and external-entity attacks get in, and no task sequence needs one.
 * - Knows only the five predefined entities and numeric character references.
 * - Reports errors as `input:line:column` with what was expected.
 * - Linear in the input whatever its shape, and bounded where linear is not enough: elements nest
 *   at most MAX_XML_DEPTH deep (the codecs above recurse over what they capture) and carry at most
 *   MAX_ATTRIBUTES attributes each (limits.ts).
 * - Records the source layout (indent unit, newline, self-closing style) for the writer.
 *
 * Written by hand rather than on a general parser so positions, refusals and speed are ours to
 * control (a 100 MB task sequence must read in well under a second per 10 MB).
 */
import { InputError, locate } from '../input-error.js';
import { attributeCountError, MAX_ATTRIBUTES, MAX_INDENT_LENGTH, MAX_XML_DEPTH } from '../limits.js';
import type { XmlAttribute, XmlDocument, XmlElement, XmlLayout, XmlNode } from './nodes.js';
import { isWhitespace } from './nodes.js';

const LT = 0x3c; // <
const GT = 0x3e; // >
const SLASH = 0x2f;
const QUESTION = 0x3f;
const BANG = 0x21;
const EQ = 0x3d;
const DQ = 0x22;
const SQ = 0x27;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a || c >= 0xc0;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0xb7;
}

export interface ReadOptions {
  /** Name of the input (a file path) used in error messages. */
  input?: string;
}

export function parseXml(source: string, options: ReadOptions = {}): XmlDocument {
  let root: XmlElement | undefined;
  const doc = new Reader(source, options.input ?? '<input>').document({
    open: () => true,
    element: (el) => (root = el),
    close: () => undefined,
    node: () => undefined,
  });
  return { ...doc, root: root! };
}

/**
 * Streaming read: the handler sees each start tag of a *streamed* element and decides whether to
 * capture it (the whole subtree is then built and handed over complete) or stream it (its direct
 * children arrive one by one). A task sequence is streamed group by group and captured step by
 * step, so even a 100 MB file never exists as one big tree.
 */
export interface XmlStreamHandler {
  /** A start tag (attributes read, no children yet) inside a streamed parent; `depth` 0 is the root. Return true to capture it. */
  open(el: XmlElement, depth: number): boolean;
  /** A captured element, complete. */
  element(el: XmlElement, depth: number): void;
  /** The end of a streamed element. */
  close(el: XmlElement, depth: number): void;
  /** Text, CDATA, a comment or a processing instruction directly inside a streamed element. */
  node(node: XmlNode, depth: number): void;
}

export type XmlStreamResult = Omit<XmlDocument, 'root'> & { rootName: string };

export function streamXml(source: string, handler: XmlStreamHandler, options: ReadOptions = {}): XmlStreamResult {
  return new Reader(source, options.input ?? '<input>').document(handler);
}

class Reader {
  private pos = 0;
  private readonly len: number;

  constructor(
    private readonly src: string,
    private readonly input: string,
  ) {
    if (src.charCodeAt(0) === 0xfeff) this.pos = 1;
    this.len = src.length;
  }

  fail(rule: string, at = this.pos, hint?: string): never {
    throw new InputError({ input: this.input, location: locate(this.src, at), rule, hint });
  }

  document(handler: XmlStreamHandler): XmlStreamResult {
    const src = this.src;
    let declaration: string | undefined;
    if (src.startsWith('<?xml', this.pos) && isSpace(src.charCodeAt(this.pos + 5))) {
      const end = src.indexOf('?>', this.pos);
      if (end === -1) this.fail('unterminated XML declaration: expected "?>"');
      declaration = src.slice(this.pos, end + 2);
      this.pos = end + 2;
    }
    const prolog: XmlNode[] = [];
    let root: string | undefined;
    const epilog: XmlNode[] = [];
    while (true) {
      this.skipSpace();
      if (this.pos >= this.len) break;
      if (src.charCodeAt(this.pos) !== LT) {
        this.fail(root ? 'unexpected text after the root element: expected end of document' : 'expected "<" to start the root element, found text');
      }
      const next = src.charCodeAt(this.pos + 1);
      const into = root ? epilog : prolog;
      if (next === BANG) {
        if (src.startsWith('<!--', this.pos)) into.push(this.comment());
        else if (src.startsWith('<!DOCTYPE', this.pos) || src.startsWith('<!doctype', this.pos)) {
          this.fail(
            'a <!DOCTYPE> declaration is not allowed: DTDs and entity declarations are refused without being read',
            this.pos,
            'task sequences never need a DTD; remove the <!DOCTYPE …> block (and any entities it declares)',
          );
        } else this.fail('expected a comment ("<!--") or the root element');
      } else if (next === QUESTION) {
        into.push(this.processingInstruction());
      } else {
        if (root) this.fail('a document can have only one root element: found a second element after the root');
        root = this.element(handler);
      }
    }
    if (!root) this.fail('the document is empty: expected a root element', this.len);
    return { declaration, prolog, rootName: root, epilog, layout: detectLayout(src, this.rootWhitespace) };
  }

  private skipSpace(): void {
    const src = this.src;
    while (this.pos < this.len && isSpace(src.charCodeAt(this.pos))) this.pos++;
  }

  private comment(): XmlNode {
    const start = this.pos;
    const end = this.src.indexOf('-->', start + 4);
    if (end === -1) this.fail('unterminated comment: expected "-->"', start);
    this.pos = end + 3;
    return { kind: 'comment', text: this.src.slice(start + 4, end) };
  }

  private processingInstruction(): XmlNode {
    const start = this.pos;
    const end = this.src.indexOf('?>', start + 2);
    if (end === -1) this.fail('unterminated processing instruction: expected "?>"', start);
    const body = this.src.slice(start + 2, end);
    const m = /^([^\s]+)\s*([\s\S]*)$/.exec(body);
    if (!m) this.fail('a processing instruction needs a target name', start + 2);
    if (m[1].toLowerCase() === 'xml') this.fail('the XML declaration is only allowed at the very start of the document', start);
    this.pos = end + 2;
    return { kind: 'pi', target: m[1], data: m[2] };
  }

  private name(what: string): string {
    const src = this.src;
    const start = this.pos;
    if (!isNameStart(src.charCodeAt(start))) {
      const found = start >= this.len ? 'end of input' : JSON.stringify(src[start]);
      this.fail(`expected ${what}, found ${found}`);
    }
    let p = start + 1;
    while (p < this.len && isNameChar(src.charCodeAt(p))) p++;
    this.pos = p;
    return src.slice(start, p);
  }

  /** First whitespace text directly inside the root (it shows the indentation unit). */
  private rootWhitespace: string | undefined;

  /** Iterative element parser (no recursion, so deep documents cannot overflow the stack). Returns the root's name. */
  private element(handler: XmlStreamHandler): string {
    const src = this.src;
    const stack: XmlElement[] = [];
    /** Stack index of the element being captured, or -1 while streaming. */
    let captureAt = -1;

    // Open the root.
    const openTag = (): { el: XmlElement; closed: boolean } => {
      const start = this.pos;
      this.pos++; // <
      const name = this.name('an element name after "<"');
      const el: XmlElement = { kind: 'element', name, attributes: [], children: [], offset: start };
      let names: Set<string> | undefined;
      // attributes
      while (true) {
        const hadSpace = this.pos < this.len && isSpace(src.charCodeAt(this.pos));
        this.skipSpace();
        const c = src.charCodeAt(this.pos);
        if (c === GT) {
          this.pos++;
          return { el, closed: false };
        }
        if (c === SLASH) {
          if (src.charCodeAt(this.pos + 1) !== GT) this.fail(`expected "/>" to close <${name}>`, this.pos);
          el.empty = hadSpace ? ' />' : '/>';
          this.pos += 2;
          return { el, closed: true };
        }
        if (this.pos >= this.len) this.fail(`unexpected end of input inside the start tag of <${name}>: expected ">"`, this.pos);
        if (!hadSpace) this.fail(`expected whitespace, ">" or "/>" in the start tag of <${name}>, found ${JSON.stringify(src[this.pos])}`);
        const attrStart = this.pos;
        const attrName = this.name(`an attribute name or ">" in <${name}>`);
        this.skipSpace();
        if (src.charCodeAt(this.pos) !== EQ) this.fail(`expected "=" after attribute ${attrName} of <${name}>`);
        this.pos++;
        this.skipSpace();
        const q = src.charCodeAt(this.pos);
        if (q !== DQ && q !== SQ) this.fail(`expected a quoted value for attribute ${attrName} of <${name}>`);
        const valueStart = this.pos + 1;
        const valueEnd = src.indexOf(q === DQ ? '"' : "'", valueStart);
        if (valueEnd === -1) this.fail(`unterminated value of attribute ${attrName} of <${name}>: expected a closing quote`, this.pos);
        const raw = src.slice(valueStart, valueEnd);
        const lt = raw.indexOf('<');
        if (lt !== -1) this.fail(`"<" is not allowed in attribute values (attribute ${attrName} of <${name}>); write &lt;`, valueStart + lt);
        // Duplicates: a scan while the list is short, a set after (a scan per attribute would be
        // quadratic in hostile input with thousands of them).
        const count = el.attributes.length;
        if (count >= MAX_ATTRIBUTES) {
          throw attributeCountError(this.input, count + 1, `<${name}>`, locate(src, start));
        }
        if (count < 8) {
          for (const [n] of el.attributes) {
            if (n === attrName) this.fail(`attribute ${attrName} appears twice on <${name}>`, attrStart);
          }
        } else {
          if (count === 8) names = new Set(el.attributes.map((a) => a[0]));
          if (names!.has(attrName)) this.fail(`attribute ${attrName} appears twice on <${name}>`, attrStart);
          names!.add(attrName);
        }
        el.attributes.push([attrName, this.attributeValue(raw, valueStart)] as XmlAttribute);
        this.pos = valueEnd + 1;
      }
    };

    const opened = (child: { el: XmlElement; closed: boolean }): void => {
      const depth = stack.length;
      if (depth >= MAX_XML_DEPTH) {
        this.fail(
          `elements nest more than ${MAX_XML_DEPTH} deep (<${child.el.name}> is at depth ${depth + 1}); at most ${MAX_XML_DEPTH} are allowed`,
          child.el.offset,
          'a task sequence needs about 100 levels at the most (groups nest at most 64 deep); flatten the document',
        );
      }
      if (captureAt !== -1) {
        stack[depth - 1].children.push(child.el);
        if (!child.closed) stack.push(child.el);
        return;
      }
      const capture = handler.open(child.el, depth);
      if (child.closed) {
        if (capture) handler.element(child.el, depth);
        else handler.close(child.el, depth);
        return;
      }
      if (capture) captureAt = depth;
      stack.push(child.el);
    };
    const addNode = (node: XmlNode): void => {
      const depth = stack.length;
      if (depth === 1 && this.rootWhitespace === undefined && node.kind === 'text' && node.text.indexOf('\n') !== -1 && isWhitespace(node.text)) {
        this.rootWhitespace = node.text;
      }
      if (captureAt !== -1) stack[depth - 1].children.push(node);
      else handler.node(node, depth);
    };

    const first = openTag();
    const rootName = first.el.name;
    opened(first);
    let current: XmlElement | undefined = stack[0];

    while (stack.length > 0) {
      const cur = current!;
      const lt = src.indexOf('<', this.pos);
      if (lt === -1) {
        const open = stack[stack.length - 1];
        const at = locate(src, open.offset);
        this.fail(`unexpected end of input: expected </${open.name}> (opened at line ${at.line}, column ${at.column})`, this.len);
      }
      if (lt > this.pos) {
        addNode({ kind: 'text', text: this.characterData(this.pos, lt) });
        this.pos = lt;
      }
      const next = src.charCodeAt(lt + 1);
      if (next === SLASH) {
        this.pos = lt + 2;
        const name = this.name('an element name after "</"');
        this.skipSpace();
        if (src.charCodeAt(this.pos) !== GT) this.fail(`expected ">" to end </${name}>`);
        if (name !== cur.name) {
          const at = locate(src, cur.offset);
          this.fail(`expected </${cur.name}> (opened at line ${at.line}, column ${at.column}), found </${name}>`, lt);
        }
        this.pos++;
        if (cur.children.length === 0) cur.empty = '</>';
        stack.pop();
        current = stack[stack.length - 1];
        if (captureAt === stack.length) {
          captureAt = -1;
          handler.element(cur, stack.length);
        } else if (captureAt === -1) {
          handler.close(cur, stack.length);
        }
      } else if (next === BANG) {
        if (src.startsWith('<!--', lt)) {
          this.pos = lt;
          addNode(this.comment());
        } else if (src.startsWith('<![CDATA[', lt)) {
          const end = src.indexOf(']]>', lt + 9);
          if (end === -1) this.fail('unterminated CDATA section: expected "]]>"', lt);
          addNode({ kind: 'cdata', text: normalizeNewlines(src.slice(lt + 9, end)) });
          this.pos = end + 3;
        } else if (src.startsWith('<!DOCTYPE', lt) || src.startsWith('<!ENTITY', lt)) {
          this.fail('DTD markup (<!DOCTYPE>, <!ENTITY>) is not allowed and is refused without being read', lt);
        } else this.fail('expected a comment ("<!--") or CDATA section ("<![CDATA[")', lt);
      } else if (next === QUESTION) {
        this.pos = lt;
        addNode(this.processingInstruction());
      } else {
        this.pos = lt;
        opened(openTag());
        current = stack[stack.length - 1];
      }
    }
    return rootName;
  }

  /** Decodes text between `start` and `end`: entities, and CR LF → LF (XML §2.11). */
  private characterData(start: number, end: number): string {
    const src = this.src;
    const raw = src.slice(start, end);
    const gt = raw.indexOf(']]>');
    if (gt !== -1) this.fail('"]]>" is not allowed in text; write ]]&gt;', start + gt);
    // Newlines are normalised before entities are decoded, so &#13; survives as a CR.
    const text = normalizeNewlines(raw);
    return text.indexOf('&') !== -1 ? this.decodeEntities(text, start) : text;
  }

  /** Attribute values: entities decoded, literal tab/CR/LF become spaces (XML §3.3.3). */
  private attributeValue(raw: string, start: number): string {
    let v = raw;
    if (v.indexOf('&') === -1) {
      return /[\t\n\r]/.test(v) ? v.replace(/\r\n|[\t\n\r]/g, ' ') : v;
    }
    v = v.replace(/\r\n|[\t\n\r]/g, ' ');
    return this.decodeEntities(v, start);
  }

  private decodeEntities(raw: string, start: number): string {
    let out = '';
    let last = 0;
    let i = raw.indexOf('&');
    while (i !== -1) {
      const semi = raw.indexOf(';', i + 1);
      if (semi === -1 || semi - i > 12) {
        this.fail('a bare "&" must be written as &amp;', start + i);
      }
      const ent = raw.slice(i + 1, semi);
      let ch: string;
      switch (ent) {
        case 'lt':
          ch = '<';
          break;
        case 'gt':
          ch = '>';
          break;
        case 'amp':
          ch = '&';
          break;
        case 'quot':
          ch = '"';
          break;
        case 'apos':
          ch = "'";
          break;
        default: {
          let code = NaN;
          if (ent.startsWith('#x') || ent.startsWith('#X')) {
            if (/^[0-9a-fA-F]+$/.test(ent.slice(2))) code = parseInt(ent.slice(2), 16);
          } else if (ent.startsWith('#')) {
            if (/^[0-9]+$/.test(ent.slice(1))) code = parseInt(ent.slice(1), 10);
          } else {
            this.fail(
              `unknown entity &${ent}; — only &lt; &gt; &amp; &quot; &apos; and character references are allowed`,
              start + i,
              'entities declared in a DTD are never expanded; write the text itself',
            );
          }
          if (!(code >= 1 && code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff)) {
            this.fail(`invalid character reference &${ent};`, start + i);
          }
          // A character reference to CR/TAB/LF in an attribute survives normalisation (XML §3.3.3).
          ch = String.fromCodePoint(code);
        }
      }
      out += raw.slice(last, i) + ch;
      last = semi + 1;
      i = raw.indexOf('&', last);
    }
    return out + raw.slice(last);
  }
}

function normalizeNewlines(s: string): string {
  return s.indexOf('\r') === -1 ? s : s.replace(/\r\n?/g, '\n');
}

/** Guesses the indentation unit, newline and self-closing style from the source. */
function detectLayout(src: string, rootWhitespace: string | undefined): XmlLayout {
  const newline: '\n' | '\r\n' = src.indexOf('\r\n') !== -1 ? '\r\n' : '\n';
  let indent: string | null = null;
  const nl = rootWhitespace?.lastIndexOf('\n') ?? -1;
  if (nl !== -1 && rootWhitespace!.length > nl + 1) indent = rootWhitespace!.slice(nl + 1);
  // The writer repeats the unit per level on every line: an absurd one is not kept (one line).
  if (indent !== null && (indent.length > MAX_INDENT_LENGTH || !/^[ \t]+$/.test(indent))) indent = null;
  const spaced = countOf(src, ' />');
  const tight = countOf(src, '/>') - spaced;
  return { indent, newline, selfClose: spaced > tight ? ' />' : '/>' };
}

function countOf(s: string, needle: string): number {
  let n = 0;
  let i = s.indexOf(needle);
  while (i !== -1 && n < 10000) {
    n++;
    i = s.indexOf(needle, i + needle.length);
  }
  return n;
}
