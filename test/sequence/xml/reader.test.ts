import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/sequence/input-error.js';
import { inputError } from '../../helpers/errors.js';
import { canonicalXml } from '../../../src/sequence/xml/canonical.js';
import { decodeXmlBytes, encodeText } from '../../../src/sequence/xml/decode.js';
import type { XmlElement, XmlNode } from '../../../src/sequence/xml/nodes.js';
import { parseXml } from '../../../src/sequence/xml/reader.js';
import { MAX_ATTRIBUTES, MAX_XML_DEPTH } from '../../../src/sequence/limits.js';
import { writeXml } from '../../../src/sequence/xml/writer.js';

describe('XML reader', () => {
  it('keeps element order, attribute order, text, comments and CDATA', () => {
    const doc = parseXml('<?xml version="1.0"?>\n<!-- top --><a z="1" b="2"><b/>t&amp;x<![CDATA[<raw>]]><!--c--><c q=\'&quot;\'>v</c></a>');
    expect(doc.declaration).toBe('<?xml version="1.0"?>');
    expect(doc.prolog).toEqual([{ kind: 'comment', text: ' top ' }]);
    expect(doc.root.attributes).toEqual([
      ['z', '1'],
      ['b', '2'],
    ]);
    expect(doc.root.children.map((c) => c.kind)).toEqual(['element', 'text', 'cdata', 'comment', 'element']);
    expect((doc.root.children[1] as { text: string }).text).toBe('t&x');
    expect((doc.root.children[4] as XmlElement).attributes).toEqual([['q', '"']]);
  });

  it('decodes character references and normalises CRLF', () => {
    const doc = parseXml('<a x="1&#10;2">a\r\nb&#13;&#x41;</a>');
    expect(doc.root.attributes[0][1]).toBe('1\n2');
    expect((doc.root.children[0] as { text: string }).text).toBe('a\nb\rA');
  });

  it('refuses a DOCTYPE without expanding anything (billion laughs)', () => {
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><sequence>&lol2;</sequence>';
    const e = inputError(() => parseXml(laughs, { input: 'bomb.xml' }));
    expect(e.message).toMatch(/^bomb\.xml:1:22: a <!DOCTYPE> declaration is not allowed/);
  });

  it('refuses external entities and unknown entities', () => {
    const xxe = '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>';
    expect(inputError(() => parseXml(xxe)).rule).toMatch(/DOCTYPE/);
    const e = inputError(() => parseXml('<a>\n  &nbsp;</a>', { input: 'f.xml' }));
    expect(e.location).toEqual({ line: 2, column: 3 });
    expect(e.rule).toMatch(/unknown entity &nbsp;/);
  });

  it.each([
    ['<a><b></a>', 2, 1, 7, /expected <\/b> \(opened at line 1, column 4\), found <\/a>/],
    ['<a>', 1, 1, 4, /unexpected end of input: expected <\/a>/],
    ['<a x=1/>', 1, 1, 6, /expected a quoted value for attribute x/],
    ['<a x="1" x="2"/>', 1, 1, 10, /attribute x appears twice/],
    ['', 1, 1, 1, /empty/],
    ['<a/><b/>', 1, 1, 5, /only one root element/],
    ['<a>&</a>', 1, 1, 4, /bare "&"/],
  ])('reports %j with file:line:column and what was expected', (src, _n, line, column, rule) => {
    const e = inputError(() => parseXml(src, { input: 'in.xml' }));
    expect(e.location).toEqual({ line, column });
    expect(e.rule).toMatch(rule);
    expect(e.message.startsWith(`in.xml:${line}:${column}: `)).toBe(true);
  });

  it('reads elements nested up to MAX_XML_DEPTH, and refuses deeper ones where they open', () => {
    const depth = MAX_XML_DEPTH;
    const doc = parseXml('<g>'.repeat(depth) + '</g>'.repeat(depth));
    let el: XmlElement = doc.root;
    let n = 1;
    while (el.children.length) {
      el = el.children[0] as XmlElement;
      n++;
    }
    expect(n).toBe(depth);
    // A million levels: refused at level 257, without reading (or recursing into) the rest.
    const deep = '<g>'.repeat(1_000_000) + '</g>'.repeat(1_000_000);
    const e = inputError(() => parseXml(deep, { input: 'deep.xml' }));
    expect(e.message).toMatch(/^deep\.xml:1:769: elements nest more than 256 deep .*at most 256 are allowed/);
  });

  it('refuses more than MAX_ATTRIBUTES attributes on one element, and finds duplicates among many in linear time', () => {
    const attrs = (n: number): string => Array.from({ length: n }, (_, i) => ` a${i}="${i}"`).join('');
    expect(parseXml(`<step${attrs(MAX_ATTRIBUTES)}/>`).root.attributes).toHaveLength(MAX_ATTRIBUTES);
    const t = performance.now();
    const e = inputError(() => parseXml(`<step${attrs(100_000)}/>`, { input: 'many.xml' }));
    expect(performance.now() - t).toBeLessThan(500);
    expect(e.message).toMatch(/^many\.xml:1:1: <step> has more than 256 attributes; at most 256 are allowed on one element/);
    expect(inputError(() => parseXml(`<step${attrs(200)} a150="x"/>`)).message).toMatch(/attribute a150 appears twice on <step>/);
    expect(inputError(() => parseXml(`<step${attrs(5)} a3="x"/>`)).message).toMatch(/attribute a3 appears twice on <step>/);
  });

  it('detects layout: indentation unit, newline, self-closing style', () => {
    expect(parseXml('<a>\n  <b />\n</a>').layout).toEqual({ indent: '  ', newline: '\n', selfClose: ' />' });
    expect(parseXml('<a>\r\n\t<b/>\r\n</a>').layout).toEqual({ indent: '\t', newline: '\r\n', selfClose: '/>' });
    expect(parseXml('<a><b/></a>').layout.indent).toBeNull();
  });
});

describe('text encodings', () => {
  it('reads UTF-16 LE with BOM and UTF-8 with BOM, and writes them back', () => {
    const text = '<?xml version="1.0" encoding="utf-16"?><sequence name="Ünïcode ✓"/>';
    const utf16 = encodeText(text, 'utf-16le', true);
    expect([utf16[0], utf16[1]]).toEqual([0xff, 0xfe]);
    const d = decodeXmlBytes(utf16);
    expect(d).toEqual({ text, encoding: 'utf-16le', bom: true });
    const utf8 = encodeText(text, 'utf-8', true);
    expect(decodeXmlBytes(utf8)).toEqual({ text, encoding: 'utf-8', bom: true });
  });

  it('reads a declared single-byte encoding', () => {
    const bytes = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a>caf\xe9</a>', 'latin1');
    expect(decodeXmlBytes(bytes).text).toContain('café');
  });

  it('refuses bytes that are not valid UTF-8', () => {
    expect(() => decodeXmlBytes(Buffer.from([0x3c, 0x61, 0xff, 0xfe, 0x3e]), 'bad.xml')).toThrow(/bad\.xml: the file is not valid UTF-8/);
  });
});

// Property: writing any tree and reading it back gives the same canonical form, in both layouts.
const nameArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,8}$/);
const textArb = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '<', '>', '&', '"', "'", '\n', '\t', 'é', '✓', ']', '%'), maxLength: 12 });
const elementArb: fc.Memo<XmlElement> = fc.memo((depth) =>
  fc
    .record({
      name: nameArb,
      attrs: fc.uniqueArray(fc.tuple(nameArb, textArb), { selector: (a) => a[0], maxLength: 3 }),
      children:
        depth <= 1
          ? fc.constant([] as XmlNode[])
          : fc.array(
              fc.oneof(
                textArb.map((t): XmlNode => ({ kind: 'text', text: t })),
                elementArb(depth - 1),
              ),
              { maxLength: 4 },
            ),
    })
    .map((r) => ({ kind: 'element' as const, name: r.name, attributes: r.attrs, children: r.children, offset: -1 })),
);

describe('XML writer ↔ reader (property)', () => {
  it('round-trips arbitrary trees up to canonicalisation, compact and indented', () => {
    fc.assert(
      fc.property(elementArb(4), fc.constantFrom(null, '  ', '\t'), (root, indent) => {
        const xml = writeXml({ prolog: [], epilog: [], root, layout: { indent, newline: '\n', selfClose: '/>' } });
        const back = parseXml(xml).root;
        expect(canonicalXml(back)).toBe(canonicalXml(root));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws anything but InputError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('<', '>', '/', 'a', '=', '"', '&', ';', '!', '-', '?', ' ', '[', ']', 'x'), maxLength: 40 }), (s) => {
        try {
          parseXml(s);
        } catch (e) {
          expect(e).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
