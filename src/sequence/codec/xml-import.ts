/**
 * XML → TaskSequence. Accepts a bare `<sequence>` or the `<SmsTaskSequencePackage>` wrapper
 * (task-sequence-format §1); console export zips are opened by console-export.ts and end up here.
 * Nothing is dropped: see the model's notes on raw items and hints.
 */
import { InputError, LineIndex, locate } from '../input-error.js';
import { conditionDepthError, groupDepthError, MAX_CONDITION_DEPTH, MAX_GROUP_DEPTH, MAX_IMPORT_WARNINGS, validateSequenceLimits } from '../limits.js';
import type { XmlStreamHandler } from '../xml/reader.js';
import { parseXml, streamXml } from '../xml/reader.js';
import type { XmlElement, XmlNode } from '../xml/nodes.js';
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
  const builder = new SequenceBuilder(new ImportContext(text, input), text, input);
  const doc = streamXml(text, builder, { input });
  const sequence = builder.result();
  // Nesting was refused while streaming; what only the whole tree shows (path lengths) is checked here.
  validateSequenceLimits(sequence, input);
  const hints: SequenceXmlHints = sequence.xml ?? {};
  hints.indent = doc.layout.indent;
  if (doc.layout.newline !== '\n') hints.newline = doc.layout.newline;
  if (doc.layout.selfClose !== '/>') hints.selfClose = doc.layout.selfClose;
  if (doc.declaration) hints.declaration = doc.declaration;
  if (doc.prolog.length) hints.prolog = doc.prolog.map((n) => writeFragment(n));
  if (doc.epilog.length) hints.epilog = doc.epilog.map((n) => writeFragment(n));
  sequence.xml = hints;
  return { sequence, warnings: builder.ctx.finishWarnings() };
}

/**
 * The name of a document's root element, found without reading the document: the first `<name`
 * in the first 64 KiB that is not inside a processing instruction or comment. One pass (a regex
 * with lazy `[\s\S]*?` rescans to the end for every unterminated `<?`, quadratic in the head).
 */
export function rootElementName(text: string): string | undefined {
  const head = text.slice(0, 65536);
  let noPiEnd = false;
  let noCommentEnd = false;
  let i = 0;
  while (true) {
    const lt = head.indexOf('<', i);
    if (lt === -1) return undefined;
    if (head.startsWith('<?', lt) && !noPiEnd) {
      const end = head.indexOf('?>', lt + 2);
      if (end !== -1) {
        i = end + 2;
        continue;
      }
      noPiEnd = true;
    } else if (head.startsWith('<!--', lt) && !noCommentEnd) {
      const end = head.indexOf('-->', lt + 4);
      if (end !== -1) {
        i = end + 3;
        continue;
      }
      noCommentEnd = true;
    }
    const m = /^<([A-Za-z_:][\w:.-]*)/.exec(head.slice(lt, lt + 1024));
    if (m) return m[1];
    i = lt + 1;
  }
}

type Frame =
  | { kind: 'package'; el: XmlElement }
  | { kind: 'sequenceData'; el: XmlElement; seen: boolean }
  | { kind: 'sequence'; seq: TaskSequence; hints: SequenceXmlHints; order: string[] }
  | { kind: 'group'; group: Group; hints: NodeXmlHints; order: string[]; depth: number };

/**
 * Builds the model while the reader streams: `<sequence>` and `<group>` are streamed, everything
 * inside a step (and conditions, lists, unknown elements) is captured as a small tree and
 * converted on the spot, then dropped.
 */
class SequenceBuilder implements XmlStreamHandler {
  private readonly frames: Frame[] = [];
  private sequence: TaskSequence | undefined;
  private envelopeRoot: XmlElement | undefined;

  constructor(
    readonly ctx: ImportContext,
    private readonly source: string,
    private readonly input: string,
  ) {}

  result(): TaskSequence {
    if (!this.sequence) {
      throw new InputError({
        input: this.input,
        rule: `<${PACKAGE_ROOT}> has no <SequenceData><sequence …> inside`,
        hint: 'export the task sequence again, or import the bare <sequence> document',
      });
    }
    return this.sequence;
  }

  private top(): Frame | undefined {
    return this.frames[this.frames.length - 1];
  }

  open(el: XmlElement, depth: number): boolean {
    const top = this.top();
    if (depth === 0) {
      if (el.name === 'sequence') this.frames.push(this.sequenceFrame(el));
      else if (el.name === PACKAGE_ROOT) {
        this.envelopeRoot = { ...el, children: [] };
        this.frames.push({ kind: 'package', el: this.envelopeRoot });
      } else {
        throw new InputError({
          input: this.input,
          location: locate(this.source, el.offset),
          rule: `this is not a task sequence: expected a <sequence> or <${PACKAGE_ROOT}> root element, found ${describeRoot(el)}`,
          hint: 'import a ConfigMgr/MDT task sequence XML file (ts.xml, a template, or the object.xml/zip of a console export)',
        });
      }
      return false;
    }
    if (!top) return true;
    switch (top.kind) {
      case 'package':
        if (el.name === 'SequenceData') {
          const data: XmlElement = { ...el, children: [] };
          top.el.children.push(data);
          this.frames.push({ kind: 'sequenceData', el: data, seen: false });
          return false;
        }
        return true;
      case 'sequenceData':
        if (el.name === 'sequence' && !top.seen) {
          top.seen = true;
          top.el.children.push({ ...el, attributes: [], children: [] }); // an empty <sequence/> marks the spot
          this.frames.push(this.sequenceFrame(el));
          return false;
        }
        return true;
      case 'sequence':
      case 'group':
        if (el.name === 'group') {
          // Refused as it opens, before anything below it is read (limits.ts).
          const depth = top.kind === 'group' ? top.depth + 1 : 1;
          if (depth > MAX_GROUP_DEPTH) throw groupDepthError(this.input, '', locate(this.source, el.offset));
          const hints: NodeXmlHints = {};
          const group = { kind: 'group', name: '', items: [] } as unknown as Group;
          this.ctx.attrs(el, GROUP_ATTRIBUTES, group, hints);
          if (getAttribute(el, 'name') === undefined) this.ctx.warn(el, '<group> has no name attribute');
          this.frames.push({ kind: 'group', group, hints, order: [], depth });
          return false;
        }
        return true;
    }
  }

  private sequenceFrame(el: XmlElement): Frame {
    const hints: SequenceXmlHints = {};
    const seq = { version: '', items: [] } as unknown as TaskSequence;
    this.ctx.attrs(el, SEQUENCE_ATTRIBUTES, seq, hints);
    if (getAttribute(el, 'version') === undefined) this.ctx.warn(el, '<sequence> has no version attribute (ConfigMgr expects 3.00 or 3.10)');
    return { kind: 'sequence', seq, hints, order: [] };
  }

  element(el: XmlElement): void {
    const top = this.top();
    if (!top) return;
    if (top.kind === 'package' || top.kind === 'sequenceData') {
      top.el.children.push(el);
      return;
    }
    if (top.kind === 'sequence') {
      const { seq, hints, order } = top;
      if (el.name === 'referenceList' && !seq.references && el.attributes.length === 0) {
        seq.references = this.ctx.list(
          el,
          'reference',
          (r) => this.ctx.reference(r),
          (x) => (hints.referenceListExtra = x),
        );
        order.push('referenceList');
        return;
      }
      if (el.name === 'globalVarList' && !seq.globalVariables && el.attributes.length === 0) {
        seq.globalVariables = this.ctx.list(
          el,
          'variable',
          (v) => this.ctx.variable(v),
          (x) => (hints.globalVarListExtra = x),
        );
        order.push('globalVarList');
        return;
      }
      seq.items.push(this.item(el));
      order.push('item');
      return;
    }
    const { group, order } = top;
    if (el.name === 'condition' && !group.condition) {
      // Usually first, but MDT files also put it after the children (mdt-deployshare-client-002):
      // it is still the group's condition. Its position is kept in the order hint.
      group.condition = this.ctx.condition(el);
      order.push('condition');
      return;
    }
    if (el.name === 'action' && group.action === undefined && isTextOnly(el) && el.attributes.length === 0) {
      group.action = textContent(el);
      order.push('action');
      return;
    }
    group.items.push(this.item(el));
    order.push('item');
  }

  private item(el: XmlElement): SequenceItem {
    if (el.name === 'step' || el.name === 'subtasksequence') return this.ctx.step(el);
    return { kind: 'raw', xml: writeFragment(el) };
  }

  node(node: XmlNode): void {
    const top = this.top();
    if (!top) return;
    if (top.kind === 'package' || top.kind === 'sequenceData') {
      top.el.children.push(node);
      return;
    }
    if (node.kind === 'text' && isWhitespace(node.text)) return;
    const raw: SequenceItem = { kind: 'raw', xml: writeFragment(node) };
    if (top.kind === 'sequence') top.seq.items.push(raw);
    else top.group.items.push(raw);
    top.order.push('item');
  }

  close(): void {
    const frame = this.frames.pop();
    if (!frame) return;
    const parent = this.top();
    if (frame.kind === 'group') {
      const { group, hints, order } = frame;
      const usual = ['condition', 'action', 'item'].flatMap((k) => order.filter((o) => o === k));
      if (usual.join(' ') !== order.join(' ')) hints.children = compressOrder(order);
      if (Object.keys(hints).length) group.xml = hints;
      if (parent?.kind === 'group') {
        parent.group.items.push(group);
        parent.order.push('item');
      } else if (parent?.kind === 'sequence') {
        parent.seq.items.push(group);
        parent.order.push('item');
      }
    } else if (frame.kind === 'sequence') {
      const { seq, hints, order } = frame;
      // Usual order: referenceList, globalVarList, then items (§2). Record anything else.
      const usual = ['referenceList', 'globalVarList', 'item'].flatMap((k) => order.filter((o) => o === k));
      if (usual.join(' ') !== order.join(' ')) hints.children = compressOrder(order);
      if (Object.keys(hints).length) seq.xml = hints;
      this.sequence = seq;
    } else if (frame.kind === 'package' && this.sequence) {
      const root = this.envelopeRoot!;
      const properties: Record<string, string> = {};
      for (const c of root.children) {
        if (c.kind === 'element' && c.name !== 'SequenceData' && !c.children.some((x) => x.kind === 'element')) {
          properties[c.name] = textContent(c);
        }
      }
      this.sequence.envelope = { kind: 'package', wrapperXml: writeFragment(root), properties };
    }
    if (frame.kind === 'sequence' && !parent) this.sequence!.envelope = { kind: 'sequence' };
  }
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
  private readonly lines: LineIndex;

  constructor(
    source: string,
    private readonly input: string,
  ) {
    this.lines = new LineIndex(source);
  }

  /** Warnings past MAX_IMPORT_WARNINGS, only counted (a file with a problem on every step). */
  private dropped = 0;

  warn(el: XmlElement | undefined, message: string): void {
    if (this.warnings.length >= MAX_IMPORT_WARNINGS) {
      this.dropped++;
      return;
    }
    const loc = el && el.offset >= 0 ? this.lines.locate(el.offset) : undefined;
    this.warnings.push({ at: loc ? `${loc.line}:${loc.column}` : '', message });
  }

  finishWarnings(): ImportWarning[] {
    if (this.dropped)
      this.warnings.push({
        at: '',
        message: `… and ${this.dropped.toLocaleString('en-US')} more warnings (the first ${MAX_IMPORT_WARNINGS.toLocaleString('en-US')} are listed)`,
      });
    this.dropped = 0;
    return this.warnings;
  }

  attrs(el: XmlElement, spec: Parameters<typeof readAttributes>[1], target: object, hints: NodeXmlHints): void {
    const problems: string[] = [];
    readAttributes(el.attributes, spec, target as Record<string, unknown>, hints, problems);
    for (const p of problems) this.warn(el, `<${el.name}>: ${p}`);
  }

  reference(el: XmlElement): ContentReference {
    const hints: NodeXmlHints = {};
    const ref: ContentReference = {};
    this.attrs(el, REFERENCE_ATTRIBUTES, ref, hints);
    if (Object.keys(hints).length) ref.xml = hints;
    return ref;
  }

  /** A list container (referenceList, globalVarList, defaultVarList): entries plus anything else, kept in place. */
  list<T>(el: XmlElement, entryName: string, read: (e: XmlElement) => T, setExtra: (extra: Array<[number, string]>) => void): T[] {
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

  step(el: XmlElement): Step {
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
          step.variables = this.list(
            c,
            'variable',
            (v) => this.variable(v),
            (x) => (hints.listExtra = x),
          );
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
    const cond: Condition = { operands: this.operands(el, 0) };
    if (el.attributes.length) cond.extraAttributes = Object.fromEntries(el.attributes);
    return cond;
  }

  /** `depth`: operators around `el` (recursion is bounded by MAX_CONDITION_DEPTH, limits.ts). */
  private operands(el: XmlElement, depth: number): ConditionNode[] {
    const out: ConditionNode[] = [];
    for (const c of el.children) {
      if (c.kind === 'element' && c.name === 'operator') {
        if (depth + 1 > MAX_CONDITION_DEPTH) throw conditionDepthError(this.input, '', c.offset >= 0 ? this.lines.locate(c.offset) : undefined);
        const hints: NodeXmlHints = {};
        const op = { kind: 'operator', operator: '', operands: [] } as unknown as ConditionNode & { operands: ConditionNode[] };
        this.attrs(c, OPERATOR_ATTRIBUTES, op, hints);
        op.operands = this.operands(c, depth + 1);
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

/** A `<condition>` element on its own (as Set Dynamic Variables rules carry them) → model. */
export function importConditionXml(xml: string, input = 'condition'): Condition {
  const root = parseXml(xml, { input }).root;
  if (root.name !== 'condition') {
    throw new InputError({ input, rule: `expected a <condition> element, found <${root.name}>` });
  }
  return new ImportContext(xml, input).condition(root);
}
