/**
 * TaskSequence → XML. Writes what was read (envelope, attribute set and order, child order, unknown
 * nodes, layout) and, for a sequence built in code, ConfigMgr's own style: bare
 * `<sequence version="3.10">`, false booleans omitted, condition/action/defaultVarList
 * (task-sequence-format §9).
 */
import { parseXml } from '../xml/reader.js';
import type { XmlDocument, XmlElement, XmlLayout, XmlNode } from '../xml/nodes.js';
import { element, text } from '../xml/nodes.js';
import { writeXml } from '../xml/writer.js';
import type {
  Condition,
  ConditionNode,
  Group,
  NodeXmlHints,
  SequenceItem,
  Step,
  StepVariable,
  TaskSequence,
} from '../model/task-sequence.js';
import {
  EXPRESSION_ATTRIBUTES,
  GROUP_ATTRIBUTES,
  OPERATOR_ATTRIBUTES,
  PROPERTY_ATTRIBUTES,
  REFERENCE_ATTRIBUTES,
  SEQUENCE_ATTRIBUTES,
  STEP_ATTRIBUTES,
  VARIABLE_ATTRIBUTES,
  writeAttributes,
} from './attributes.js';
import { expandOrder } from './xml-import.js';

export interface XmlExportOptions {
  /** Drop the wrapper / console-export envelope and write the bare `<sequence>`. */
  bare?: boolean;
  /** Override the layout: 'compact' (one line), 'indented' (two spaces) or as read (default). */
  layout?: 'compact' | 'indented' | 'as-read';
}

export function exportXmlText(ts: TaskSequence, options: XmlExportOptions = {}): string {
  return writeXml(exportXmlDocument(ts, options));
}

export function exportXmlDocument(ts: TaskSequence, options: XmlExportOptions = {}): XmlDocument {
  const hints = ts.xml ?? {};
  let layout: XmlLayout = {
    indent: hints.indent === undefined ? null : hints.indent,
    newline: hints.newline ?? '\n',
    selfClose: hints.selfClose ?? '/>',
  };
  if (options.layout === 'compact') layout = { indent: null, newline: '\n', selfClose: '/>' };
  if (options.layout === 'indented') layout = { indent: '  ', newline: '\n', selfClose: ' />' };
  let root = sequenceElement(ts);
  const envelope = ts.envelope;
  if (!options.bare && envelope?.kind === 'package') {
    const wrapper = parseXml(envelope.wrapperXml, { input: 'package envelope' }).root;
    placeSequence(wrapper, root);
    root = wrapper;
  }
  return {
    declaration: hints.declaration,
    prolog: (hints.prolog ?? []).flatMap(parseFragment),
    root,
    epilog: (hints.epilog ?? []).flatMap(parseFragment),
    layout,
  };
}

/** The wrapper keeps an empty <SequenceData><sequence/></SequenceData> where the sequence goes. */
function placeSequence(wrapper: XmlElement, seq: XmlElement): void {
  const data = wrapper.children.find((c): c is XmlElement => c.kind === 'element' && c.name === 'SequenceData');
  if (!data) {
    wrapper.children.push(element('SequenceData', [], [seq]));
    return;
  }
  const at = data.children.findIndex((c) => c.kind === 'element' && c.name === 'sequence');
  if (at === -1) data.children.push(seq);
  else data.children[at] = seq;
}

/** Parses serialised XML kept in the model (raw items, prolog) back into nodes. */
export function parseFragment(xml: string): XmlNode[] {
  return parseXml(`<f>${xml}</f>`, { input: 'preserved XML fragment' }).root.children;
}

function sequenceElement(ts: TaskSequence): XmlElement {
  const hints = ts.xml ?? {};
  const el = element('sequence', writeAttributes(ts as unknown as Record<string, unknown>, SEQUENCE_ATTRIBUTES, hints));
  const parts: Record<string, XmlNode[]> = { referenceList: [], globalVarList: [], item: [] };
  if (ts.references) {
    parts.referenceList.push(
      listElement(
        'referenceList',
        ts.references.map((r) => element('reference', writeAttributes(r as Record<string, unknown>, REFERENCE_ATTRIBUTES, r.xml))),
        hints.referenceListExtra,
      ),
    );
  }
  if (ts.globalVariables) {
    parts.globalVarList.push(listElement('globalVarList', ts.globalVariables.map(variableElement), hints.globalVarListExtra));
  }
  for (const item of ts.items) parts.item.push(...itemNodes(item));
  el.children = ordered(hints.children, ['referenceList', 'globalVarList', 'item'], parts);
  return el;
}

/** Lays out children by a recorded order ("referenceList item*3 globalVarList …"), then anything left. */
function ordered(order: string | undefined, usual: string[], parts: Record<string, XmlNode[]>): XmlNode[] {
  const queues: Record<string, XmlNode[]> = {};
  for (const [k, v] of Object.entries(parts)) queues[k] = [...v];
  const out: XmlNode[] = [];
  if (order) {
    for (const key of expandOrder(order)) {
      const q = queues[key];
      if (q && q.length) out.push(q.shift()!);
    }
  }
  for (const key of usual) out.push(...(queues[key] ?? []));
  return out;
}

function listElement(name: string, entries: XmlNode[], extra: Array<[number, string]> | undefined): XmlElement {
  const children: XmlNode[] = [];
  const pending = [...(extra ?? [])];
  for (let i = 0; i <= entries.length; i++) {
    while (pending.length && pending[0][0] <= i) children.push(...parseFragment(pending.shift()![1]));
    if (i < entries.length) children.push(entries[i]);
  }
  for (const [, xml] of pending) children.push(...parseFragment(xml));
  return element(name, [], children);
}

function variableElement(v: StepVariable): XmlElement {
  const el = element('variable', writeAttributes(v as unknown as Record<string, unknown>, VARIABLE_ATTRIBUTES, v.xml));
  if (v.value !== '') el.children.push(text(v.value));
  else el.empty = '</>'; // ConfigMgr and MDT both write an empty value as <variable …></variable>
  return el;
}

function itemNodes(item: SequenceItem): XmlNode[] {
  if (item.kind === 'raw') return parseFragment(item.xml);
  return [item.kind === 'group' ? groupElement(item) : stepElement(item)];
}

function groupElement(g: Group): XmlElement {
  const el = element('group', writeAttributes(g as unknown as Record<string, unknown>, GROUP_ATTRIBUTES, g.xml));
  const parts: Record<string, XmlNode[]> = { condition: [], action: [], item: [] };
  if (g.condition) parts.condition.push(conditionElement(g.condition));
  if (g.action !== undefined) parts.action.push(element('action', [], g.action ? [text(g.action)] : []));
  for (const item of g.items) parts.item.push(...itemNodes(item));
  el.children = ordered(g.xml?.children, ['condition', 'action', 'item'], parts);
  return el;
}

function stepElement(s: Step): XmlElement {
  const hints: NodeXmlHints | undefined = s.xml;
  const el = element(s.element ?? 'step', writeAttributes(s as unknown as Record<string, unknown>, STEP_ATTRIBUTES, hints));
  const parts: Record<string, XmlNode[]> = { condition: [], action: [], defaultVarList: [] };
  if (s.condition) parts.condition.push(conditionElement(s.condition));
  if (s.action !== undefined) parts.action.push(element('action', [], s.action ? [text(s.action)] : []));
  if (s.variables) parts.defaultVarList.push(listElement('defaultVarList', s.variables.map(variableElement), hints?.listExtra));
  (hints?.extra ?? []).forEach((xml, i) => (parts[`#${i}`] = parseFragment(xml)));
  const usual = ['condition', 'action', 'defaultVarList', ...(hints?.extra ?? []).map((_, i) => `#${i}`)];
  el.children = ordered(hints?.children, usual, parts);
  return el;
}

function conditionElement(c: Condition): XmlElement {
  const attrs = Object.entries(c.extraAttributes ?? {}) as Array<[string, string]>;
  return element('condition', attrs, c.operands.flatMap(conditionNodes));
}

function conditionNodes(n: ConditionNode): XmlNode[] {
  if (n.kind === 'raw') return parseFragment(n.xml);
  if (n.kind === 'operator') {
    return [element('operator', writeAttributes(n as unknown as Record<string, unknown>, OPERATOR_ATTRIBUTES, n.xml), n.operands.flatMap(conditionNodes))];
  }
  const props = n.properties.map((p) => {
    const el = element('variable', writeAttributes(p as unknown as Record<string, unknown>, PROPERTY_ATTRIBUTES, p.xml));
    if (p.value !== '') el.children.push(text(p.value));
    return el;
  });
  const ex = listElement('expression', props, n.xml?.listExtra);
  ex.attributes = writeAttributes(n as unknown as Record<string, unknown>, EXPRESSION_ATTRIBUTES, n.xml);
  return [ex];
}
