/**
 * Reading an answer file: legacy formats refused, well-formedness via the strict reader (errors name
 * input, line and column), namespace prefixes normalised so the editor can match on plain names.
 */
import { InputError, locate } from '../../sequence/input-error.js';
import type { XmlElement } from '../../sequence/xml/nodes.js';
import { parseXml } from '../../sequence/xml/reader.js';
import { UNATTEND_NS, WCM_NS, XSI_NS } from './schema.js';
import { childElements, getAttribute, stripLayoutWhitespace } from './tree.js';

/** sysprep.inf / unattend.txt: INI sections, `;` comments (unattend.md §7 step 2). */
const LEGACY_INI = /^(?:\s*;[^\n]*\n)*\s*\[[^\]\r\n]+\]/;

export function readAnswerFile(xml: string, input: string): XmlElement {
  const source = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  if (!source.trimStart().startsWith('<') && (LEGACY_INI.test(source) || /\.(inf|txt)$/i.test(input))) {
    throw new InputError({
      input,
      location: { line: 1, column: 1 },
      rule: 'legacy answer file formats (sysprep.inf, unattend.txt) are not supported',
      hint: 'convert the file to unattend.xml (Windows System Image Manager) and reference that file instead',
    });
  }
  const doc = parseXml(source, { input });
  normalizeNamespaces(doc.root, source, input);
  stripLayoutWhitespace(doc.root);
  return doc.root;
}

/**
 * Rewrites prefixed names to the spelling we emit: elements in the unattend namespace unprefixed,
 * WMIConfig attributes as `wcm:…`, schema-instance attributes as `xsi:…`. Every component then
 * declares `wcm` and `xsi` itself (as WSIM does), so it stays valid wherever it is moved to
 * [I: §3 "a reader must accept them declared anywhere"].
 */
function normalizeNamespaces(root: XmlElement, source: string, input: string): void {
  const fail = (el: XmlElement, rule: string, hint?: string): never => {
    throw new InputError({ input, location: el.offset >= 0 ? locate(source, el.offset) : undefined, rule, hint });
  };
  let rootNeedsDefault = false;

  const visit = (el: XmlElement, parentScope: Map<string, string>, depth: number): void => {
    let scope = parentScope;
    for (const [n, v] of el.attributes) {
      if (n === 'xmlns' || n.startsWith('xmlns:')) {
        if (scope === parentScope) scope = new Map(parentScope);
        scope.set(n === 'xmlns' ? '' : n.slice(6), v);
      }
    }
    const colon = el.name.indexOf(':');
    const prefix = colon === -1 ? '' : el.name.slice(0, colon);
    const local = colon === -1 ? el.name : el.name.slice(colon + 1);
    const ns = scope.get(prefix);
    if (colon !== -1 && ns === undefined) fail(el, `the namespace prefix "${prefix}" of <${el.name}> is not declared`);
    if (depth === 0 && (local !== 'unattend' || ns !== UNATTEND_NS)) {
      fail(
        el,
        `not an unattend.xml answer file: the root element is <${el.name}>${ns ? ` in namespace ${ns}` : ' without a namespace'}`,
        `an answer file starts with <unattend xmlns="${UNATTEND_NS}">`,
      );
    }
    if (colon !== -1 && ns === UNATTEND_NS) {
      const def = scope.get('');
      if (def !== undefined && def !== UNATTEND_NS)
        fail(el, `<${el.name}> mixes a prefixed unattend namespace with another default namespace; this layout is not supported`);
      if (def === undefined) rootNeedsDefault = true;
      el.name = local;
    }
    for (const attr of el.attributes) {
      const [n] = attr;
      const c = n.indexOf(':');
      if (c === -1 || n.startsWith('xmlns:') || n.startsWith('xml:')) continue;
      const p = n.slice(0, c);
      const uri = scope.get(p);
      if (uri === undefined) fail(el, `the namespace prefix "${p}" of attribute ${n} on <${el.name}> is not declared`);
      if (p === 'wcm' && uri !== WCM_NS) fail(el, `the prefix "wcm" is bound to ${uri}, expected ${WCM_NS}`);
      if (uri === WCM_NS) attr[0] = `wcm:${n.slice(c + 1)}`;
      else if (uri === XSI_NS) attr[0] = `xsi:${n.slice(c + 1)}`;
    }
    if (el.name === 'component' && depth === 2) {
      for (const [p, uri] of [
        ['wcm', WCM_NS],
        ['xsi', XSI_NS],
      ] as const) {
        const declared = getAttribute(el, `xmlns:${p}`);
        if (declared === undefined) el.attributes.push([`xmlns:${p}`, uri]);
        else if (declared !== uri) fail(el, `the prefix "${p}" is bound to ${declared}, expected ${uri}`);
      }
    }
    for (const c of childElements(el)) visit(c, scope, depth + 1);
  };
  visit(root, new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]), 0);
  if (rootNeedsDefault && getAttribute(root, 'xmlns') === undefined) root.attributes.unshift(['xmlns', UNATTEND_NS]);
}
