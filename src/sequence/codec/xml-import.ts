/**
 * XML → TaskSequence. Accepts a bare `<sequence>` or the `<SmsTaskSequencePackage>` wrapper
 * (task-sequence-format §1); console export zips are opened by zip-import.ts and end up here.
 * Nothing is dropped: see the model's notes on raw items and hints.
 */
import { InputError, locate } from '../input-error.js';
import { parseXml } from '../xml/reader.js';
import type { XmlDocument, XmlElement, XmlNode } from '../xml/nodes.js';
import { getAttribute, isWhitespace, textContent } from '../xml/nodes.js';
import { writeFragment } from '../xml/writer.js';
import type {
  Condition,
  ConditionNode,
  ContentReference,
  ExpressionProperty,
  Group,
  NodeXmlHints,
  SequenceItem,
  SequenceXmlHints,
  Step,
  StepVariable,
  TaskSequence,
} from '../model/task-sequence.js';
import {
  EXPRESSION_ATTRIBUTES,
  GROUP_ATTRIBUTES,
  OPERATOR_ATTRIBUTES,
  PROPERTY_ATTRIBUTES,
  readAttributes,
  REFERENCE_ATTRIBUTES,
  SEQUENCE_ATTRIBUTES,
  STEP_ATTRIBUTES,
  VARIABLE_ATTRIBUTES,
} from './attributes.js';

export interface ImportWarning {
  /** Where: "line:column" in the source. */
  at: string;
  message: string;
}

export interface ImportResult {
  sequence: TaskSequence;
  warnings: ImportWarning[];
}

export const PACKAGE_ROOT = 'SmsTaskSequencePackage';

export function importXmlText(text: string, input = '<input>'): ImportResult {
  const doc = parseXml(text, { input });
  return importXmlDocument(doc, text, input);
}

export function importXmlDocument(doc: XmlDocument, source: string, input: string): ImportResult {
  const ctx = new ImportContext(source, input);
  const root = doc.root;
  let sequenceEl: XmlElement;
  let sequence: TaskSequence;
  if (root.name === 'sequence') {
    sequenceEl = root;
    sequence = ctx.sequence(sequenceEl);
    sequence.envelope = { kind: 'sequence' };
  } else if (root.name === PACKAGE_ROOT) {
    const data = root.children.find((c): c is XmlElement => c.kind === 'element' && c.name === 'SequenceData');
    const inner = data?.children.find((c): c is XmlElement => c.kind === 'element' && c.name === 'sequence');
    if (!data || !inner) {
      throw new InputError({
        input,
        location: locate(source, root.offset),
        rule: `<${PACKAGE_ROOT}> has no <SequenceData><sequence …> inside`,
        hint: 'export the task sequence again, or import the bare <sequence> document',
      });
    }
    sequenceEl = inner;
    sequence = ctx.sequence(sequenceEl);
    const properties: Record<string, string> = {};
    for (const c of root.children) {
      if (c.kind === 'element' && c.name !== 'SequenceData' && !c.children.some((x) => x.kind === 'element')) {
        properties[c.name] = textContent(c);
      }
    }
    // Keep the wrapper verbatim with the sequence cut out; export puts the (edited) sequence back.
    const saved = data.children;
    // An empty <sequence/> marks the spot.
    data.children = saved.map((c): XmlNode => (c === inner ? { ...inner, attributes: [], children: [] } : c));
    const wrapperXml = writeFragment(root);
    data.children = saved;
    sequence.envelope = { kind: 'package', wrapperXml, properties };
  } else {
    const found = describeRoot(root);
    throw new InputError({
      input,
      location: locate(source, root.offset),
      rule: `this is not a task sequence: expected a <sequence> or <${PACKAGE_ROOT}> root element, found ${found}`,
      hint: 'import a ConfigMgr/MDT task sequence XML file (ts.xml, a template, or the object.xml/zip of a console export)',
    });
  }
  const hints: SequenceXmlHints = sequence.xml ?? {};
  hints.indent = doc.layout.indent;
  if (doc.layout.newline !== '\n') hints.newline = doc.layout.newline;
  if (doc.layout.selfClose !== '/>') hints.selfClose = doc.layout.selfClose;
  if (doc.declaration) hints.declaration = doc.declaration;
  if (doc.prolog.length) hints.prolog = doc.prolog.map((n) => writeFragment(n));
  if (doc.epilog.length) hints.epilog = doc.epilog.map((n) => writeFragment(n));
  sequence.xml = hints;
  return { sequence, warnings: ctx.warnings };
}

function describeRoot(root: XmlElement): string {
  const known: Record<string, string> = {
    unattend: 'an unattend.xml answer file (<unattend>)',
    INSTANCE: 'a WMI instance that is not an SMS_TaskSequencePackage',
    LibraryDocument: 'a console export Manifest.xml (<LibraryDocument>); import the .zip itself',
    Rules: 'Set Dynamic Variables rules (<Rules>), which belong inside a step',
    html: 'an HTML page (<html>)',
  };
  const cls = root.name === 'INSTANCE' ? getAttribute(root, 'CLASSNAME') : undefined;
  return known[root.name] ? `${known[root.name]}${cls ? ` of class ${cls}` : ''}` : `<${root.name}>`;
}

class ImportContext {
  readonly warnings: ImportWarning[] = [];

  constructor(
    private readonly source: string,
    private readonly input: string,
  ) {}

  private warn(el: XmlElement | undefined, message: string): void {
    const loc = el && el.offset >= 0 ? locate(this.source, el.offset) : undefined;
    this.warnings.push({ at: loc ? `${loc.line}:${loc.column}` : '', message });
  }

  private attrs(el: XmlElement, spec: Parameters<typeof readAttributes>[1], target: object, hints: NodeXmlHints): void {
    const problems: string[] = [];
    readAttributes(el.attributes, spec, target as Record<string, unknown>, hints, problems);
    for (const p of problems) this.warn(el, `<${el.name}>: ${p}`);
  }

  sequence(el: XmlElement): TaskSequence {
    const hints: SequenceXmlHints = {};
    const seq = { version: '', items: [] } as unknown as TaskSequence;
    this.attrs(el, SEQUENCE_ATTRIBUTES, seq, hints);
    if (getAttribute(el, 'version') === undefined) {
      this.warn(el, '<sequence> has no version attribute (ConfigMgr expects 3.00 or 3.10)');
    }
    const order: string[] = [];
    const items: SequenceItem[] = [];
    for (const c of el.children) {
      if (c.kind === 'element') {
        if (c.name === 'referenceList' && !seq.references && isPlainContainer(c)) {
          seq.references = this.list(c, 'reference', (r) => this.reference(r), (x) => (hints.referenceListExtra = x));
          order.push('referenceList');
          continue;
        }
        if (c.name === 'globalVarList' && !seq.globalVariables && isPlainContainer(c)) {
          seq.globalVariables = this.list(c, 'variable', (v) => this.variable(v), (x) => (hints.globalVarListExtra = x));
          order.push('globalVarList');
          continue;
        }
        const item = this.item(c);
        if (item) {
          items.push(item);
          order.push('item');
          continue;
        }
      } else if (c.kind === 'text' && isWhitespace(c.text)) continue;
      items.push({ kind: 'raw', xml: writeFragment(c) });
      order.push('item');
    }
    // Usual order: referenceList, globalVarList, then items (§2). Record anything else.
    const usual = [...order.filter((o) => o === 'referenceList'), ...order.filter((o) => o === 'globalVarList'), ...order.filter((o) => o === 'item')];
    if (usual.join(' ') !== order.join(' ')) hints.children = compressOrder(order);
    seq.items = items;
    if (Object.keys(hints).length) seq.xml = hints;
    return seq;
  }

  private reference(el: XmlElement): ContentReference {
    const hints: NodeXmlHints = {};
    const ref: ContentReference = {};
    this.attrs(el, REFERENCE_ATTRIBUTES, ref, hints);
    if (Object.keys(hints).length) ref.xml = hints;
    return ref;
  }

  /** A list container (referenceList, globalVarList, defaultVarList): entries plus anything else, kept in place. */
  private list<T>(
    el: XmlElement,
    entryName: string,
    read: (e: XmlElement) => T,
    setExtra: (extra: Array<[number, string]>) => void,
  ): T[] {
    const out: T[] = [];
    const extra: Array<[number, string]> = [];
    for (const c of el.children) {
      if (c.kind === 'element' && c.name === entryName && isTextOnly(c)) out.push(read(c));
      else if (c.kind === 'text' && isWhitespace(c.text)) continue;
      else extra.push([out.length, writeFragment(c)]);
    }
    if (extra.length) setExtra(extra);
    return out;
  }

  variable(el: XmlElement): StepVariable {
    const hints: NodeXmlHints = {};
    const v = { name: '', value: textContent(el) } as StepVariable;
    this.attrs(el, VARIABLE_ATTRIBUTES, v, hints);
    if (getAttribute(el, 'name') === undefined) this.warn(el, '<variable> has no name attribute');
    if (Object.keys(hints).length) v.xml = hints;
    return v;
  }

  item(el: XmlElement): SequenceItem | undefined {
    if (el.name === 'group') return this.group(el);
    if (el.name === 'step' || el.name === 'subtasksequence') return this.step(el);
    return undefined;
  }

  private group(el: XmlElement): Group {
    const hints: NodeXmlHints = {};
    const group = { kind: 'group', name: '', items: [] } as unknown as Group;
    this.attrs(el, GROUP_ATTRIBUTES, group, hints);
    if (getAttribute(el, 'name') === undefined) this.warn(el, '<group> has no name attribute');
    const order: string[] = [];
    for (const c of el.children) {
      if (c.kind === 'element') {
        if (c.name === 'condition' && !group.condition && group.items.length === 0) {
          group.condition = this.condition(c);
          order.push('condition');
          continue;
        }
        if (c.name === 'action' && group.action === undefined && isTextOnly(c) && c.attributes.length === 0) {
          group.action = textContent(c);
          order.push('action');
          continue;
        }
        const item = this.item(c);
        if (item) {
          group.items.push(item);
          order.push('item');
          continue;
        }
      } else if (c.kind === 'text' && isWhitespace(c.text)) continue;
      group.items.push({ kind: 'raw', xml: writeFragment(c) });
      order.push('item');
    }
    const usual = ['condition', 'action', 'item'].flatMap((k) => order.filter((o) => o === k));
    if (usual.join(' ') !== order.join(' ')) hints.children = compressOrder(order);
    if (Object.keys(hints).length) group.xml = hints;
    return group;
  }

  private step(el: XmlElement): Step {
    const hints: NodeXmlHints = {};
    const step = { kind: 'step', name: '' } as Step;
    if (el.name === 'subtasksequence') step.element = 'subtasksequence';
    this.attrs(el, STEP_ATTRIBUTES, step, hints);
    if (getAttribute(el, 'name') === undefined) this.warn(el, `<${el.name}> has no name attribute`);
    const order: string[] = [];
    const extra: string[] = [];
    for (const c of el.children) {
      if (c.kind === 'element') {
        if (c.name === 'condition' && !step.condition) {
          step.condition = this.condition(c);
          order.push('condition');
          continue;
        }
        if (c.name === 'action' && step.action === undefined && isTextOnly(c) && c.attributes.length === 0) {
          step.action = textContent(c);
          order.push('action');
          continue;
        }
        if (c.name === 'defaultVarList' && !step.variables && isPlainContainer(c)) {
          step.variables = this.list(c, 'variable', (v) => this.variable(v), (x) => (hints.listExtra = x));
          order.push('defaultVarList');
          continue;
        }
        // e.g. a stray <expression> directly under <step> (MDT VHDClient template, §4): keep, warn.
        this.warn(c, `<${c.name}> is not expected inside <${el.name}> "${step.name}"; kept as written, ignored at run time`);
      } else if (c.kind === 'text' && isWhitespace(c.text)) continue;
      order.push(`#${extra.length}`);
      extra.push(writeFragment(c));
    }
    if (extra.length) hints.extra = extra;
    const usual = ['condition', 'action', 'defaultVarList'].filter((k) => order.includes(k));
    if (usual.join(' ') !== order.join(' ')) hints.children = order.join(' ');
    if (Object.keys(hints).length) step.xml = hints;
    return step;
  }

  condition(el: XmlElement): Condition {
    const cond: Condition = { operands: this.operands(el) };
    if (el.attributes.length) cond.extraAttributes = Object.fromEntries(el.attributes);
    return cond;
  }

  private operands(el: XmlElement): ConditionNode[] {
    const out: ConditionNode[] = [];
    for (const c of el.children) {
      if (c.kind === 'element' && c.name === 'operator') {
        const hints: NodeXmlHints = {};
        const op = { kind: 'operator', operator: '', operands: [] } as unknown as ConditionNode & { operands: ConditionNode[] };
        this.attrs(c, OPERATOR_ATTRIBUTES, op, hints);
        op.operands = this.operands(c);
        if (Object.keys(hints).length) (op as { xml?: NodeXmlHints }).xml = hints;
        out.push(op);
      } else if (c.kind === 'element' && c.name === 'expression') {
        const hints: NodeXmlHints = {};
        const ex = { kind: 'expression', type: '', properties: [] as ExpressionProperty[] } as ConditionNode & {
          properties: ExpressionProperty[];
        };
        this.attrs(c, EXPRESSION_ATTRIBUTES, ex, hints);
        ex.properties = this.list(
          c,
          'variable',
          (v) => {
            const h: NodeXmlHints = {};
            const p = { name: '', value: textContent(v) } as ExpressionProperty;
            this.attrs(v, PROPERTY_ATTRIBUTES, p, h);
            if (Object.keys(h).length) p.xml = h;
            return p;
          },
          (x) => (hints.listExtra = x),
        );
        if (Object.keys(hints).length) (ex as { xml?: NodeXmlHints }).xml = hints;
        out.push(ex);
      } else if (c.kind === 'text' && isWhitespace(c.text)) {
        continue;
      } else {
        out.push({ kind: 'raw', xml: writeFragment(c) });
      }
    }
    return out;
  }
}

/** A container element with no attributes (its entries are read one by one). */
function isPlainContainer(el: XmlElement): boolean {
  return el.attributes.length === 0;
}

/** Only text/CDATA inside (no elements, comments or PIs), so `textContent` loses nothing. */
function isTextOnly(el: XmlElement): boolean {
  for (const c of el.children) if (c.kind !== 'text' && c.kind !== 'cdata') return false;
  return true;
}

/** "referenceList globalVarList item item item" → "referenceList globalVarList item*3" keeps hints short. */
function compressOrder(order: string[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j < order.length && order[j] === order[i]) j++;
    out.push(j - i > 1 ? `${order[i]}*${j - i}` : order[i]);
    i = j;
  }
  return out.join(' ');
}

export function expandOrder(order: string): string[] {
  const out: string[] = [];
  for (const tok of order.split(' ')) {
    const m = /^(.*)\*(\d+)$/.exec(tok);
    if (m) for (let k = 0; k < Number(m[2]); k++) out.push(m[1]);
    else out.push(tok);
  }
  return out;
}
