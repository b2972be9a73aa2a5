/**
 * TaskSequence → XML. Writes what was read (envelope, attribute set and order, child order, unknown
 * nodes, layout) and, for a sequence built in code, ConfigMgr's own style: bare
 * `<sequence version="3.10">`, false booleans omitted, condition/action/defaultVarList
 * (task-sequence-format §9).
 *
 * The model is written straight to text in flat chunks (no intermediate XML tree): a 100 MB task
 * sequence must export in bounded memory, and a caller writing a file can stream the chunks.
 */
import { parseXml } from '../xml/reader.js';
import type { XmlElement, XmlLayout } from '../xml/nodes.js';
import { element } from '../xml/nodes.js';
import { escapeAttribute, escapeText, writeXml } from '../xml/writer.js';
import type {
  Condition,
  ConditionNode,
  ContentReference,
  Group,
  NodeXmlHints,
  SequenceItem,
  Step,
  StepVariable,
  TaskSequence,
} from '../model/task-sequence.js';
import type { AttributeSpec } from './attributes.js';
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

export interface XmlExportOptions {
  /** Drop the wrapper envelope and write the bare `<sequence>`. */
  bare?: boolean;
  /** Override the layout: 'compact' (one line), 'indented' (two spaces) or as read (default). */
  layout?: 'compact' | 'indented' | 'as-read';
  /**
   * Write secret variables with their values: only to measure the size ConfigMgr would store
   * (the site's 2 MB limit), never for a file anyone gets.
   */
  secretValues?: boolean;
  /** Stop with ExportTooLarge once the UTF-8 output passes this many bytes (a size check needs no more). */
  maxBytes?: number;
}

/** Thrown when an export passes `maxBytes`: `bytes` were written so far. */
export class ExportTooLarge extends Error {
  constructor(readonly bytes: number) {
    super(`the export passed its size limit at ${bytes} bytes`);
    this.name = 'ExportTooLarge';
  }
}

export function exportXmlText(ts: TaskSequence, options: XmlExportOptions = {}): string {
  return exportXmlChunks(ts, options).join('');
}

/** The XML as a list of flat string chunks (join them, or write them one by one). */
export function exportXmlChunks(ts: TaskSequence, options: XmlExportOptions = {}): string[] {
  const hints = ts.xml ?? {};
  let layout: XmlLayout = {
    indent: hints.indent === undefined ? null : hints.indent,
    newline: hints.newline ?? '\n',
    selfClose: hints.selfClose ?? '/>',
  };
  if (options.layout === 'compact') layout = { indent: null, newline: '\n', selfClose: '/>' };
  if (options.layout === 'indented') layout = { indent: '  ', newline: '\n', selfClose: ' />' };
  const out = new ChunkWriter(options.maxBytes);
  const nl = layout.newline;
  if (hints.declaration) out.w(hints.declaration + nl);
  for (const p of hints.prolog ?? []) out.w(p + nl);
  const envelope = ts.envelope;
  if (!options.bare && envelope?.kind === 'package') {
    // The wrapper is small: write it as a tree with an empty <sequence/> marking the spot.
    const wrapper = parseXml(envelope.wrapperXml, { input: 'package envelope' }).root;
    const marker = placeMarker(wrapper);
    const text = writeXml({ prolog: [], epilog: [], root: wrapper, layout }).replace(/\r?\n$/, '');
    const at = text.indexOf(marker);
    out.w(text.slice(0, at));
    new SequenceWriter(out, layout, options.secretValues === true).sequence(ts, 2);
    out.w(text.slice(at + marker.length));
  } else {
    new SequenceWriter(out, layout, options.secretValues === true).sequence(ts, 0);
  }
  for (const e of hints.epilog ?? []) out.w(nl + e);
  if (layout.indent !== null || hints.declaration) out.w(nl);
  return out.finish();
}

const MARKER = 'osd-sequence-goes-here';

function placeMarker(wrapper: XmlElement): string {
  let data = wrapper.children.find((c): c is XmlElement => c.kind === 'element' && c.name === 'SequenceData');
  if (!data) {
    data = element('SequenceData');
    wrapper.children.push(data);
  }
  const at = data.children.findIndex((c) => c.kind === 'element' && c.name === 'sequence');
  const marker = element(MARKER);
  marker.empty = '/>';
  if (at === -1) data.children.push(marker);
  else data.children[at] = marker;
  return `<${MARKER}/>`;
}

/** Collects output in flat chunks of about 64 KiB, so a huge document is not millions of small strings. */
class ChunkWriter {
  private readonly chunks: string[] = [];
  private pieces: string[] = [];
  private size = 0;
  private bytes = 0;

  constructor(private readonly maxBytes = Infinity) {}

  w(s: string): void {
    this.pieces.push(s);
    this.size += s.length;
    if (this.size > 65536) this.flush();
  }

  private flush(): void {
    if (this.pieces.length) {
      const chunk = this.pieces.join('');
      this.chunks.push(chunk);
      if (this.maxBytes !== Infinity) {
        this.bytes += Buffer.byteLength(chunk, 'utf8');
        if (this.bytes > this.maxBytes) throw new ExportTooLarge(this.bytes);
      }
    }
    this.pieces = [];
    this.size = 0;
  }

  finish(): string[] {
    this.flush();
    return this.chunks;
  }
}

/** A child to write: an element writer, or a preserved fragment (already XML text). */
type Part = { write: (depth: number, indent: string | null) => void } | { raw: string };

function isTextLike(raw: string): boolean {
  return !raw.startsWith('<') || raw.startsWith('<![CDATA[');
}

class SequenceWriter {
  constructor(
    private readonly out: ChunkWriter,
    private readonly layout: XmlLayout,
    private readonly secretValues = false,
  ) {}

  sequence(ts: TaskSequence, depth: number): void {
    const hints = ts.xml ?? {};
    const parts: Record<string, Part[]> = { referenceList: [], globalVarList: [], item: [] };
    if (ts.references) {
      const refs = ts.references;
      parts.referenceList.push({
        write: (d, i) =>
          this.list(
            'referenceList',
            '',
            refs.map((r) => this.referencePart(r)),
            hints.referenceListExtra,
            d,
            i,
          ),
      });
    }
    if (ts.globalVariables) {
      const vars = ts.globalVariables;
      parts.globalVarList.push({
        write: (d, i) =>
          this.list(
            'globalVarList',
            '',
            vars.map((v) => this.variablePart(v)),
            hints.globalVarListExtra,
            d,
            i,
          ),
      });
    }
    for (const item of ts.items) parts.item.push(this.itemPart(item));
    this.container(
      'sequence',
      this.attrs(ts, SEQUENCE_ATTRIBUTES, hints),
      ordered(hints.children, ['referenceList', 'globalVarList', 'item'], parts),
      depth,
      this.layout.indent,
    );
  }

  private attrs(source: object, spec: AttributeSpec, hints: NodeXmlHints | undefined): string {
    let s = '';
    for (const [n, v] of writeAttributes(source as Record<string, unknown>, spec, hints)) s += ` ${n}="${escapeAttribute(v)}"`;
    return s;
  }

  /** An element whose children are elements (and preserved fragments), indented when the layout says so. */
  private container(name: string, attrs: string, children: Part[], depth: number, indent: string | null): void {
    const out = this.out;
    if (children.length === 0) {
      out.w(`<${name}${attrs}${this.layout.selfClose}`);
      return;
    }
    // Preserved text among the children: write this element compactly so the text stays exact.
    if (indent !== null && children.some((c) => 'raw' in c && isTextLike(c.raw))) indent = null;
    out.w(`<${name}${attrs}>`);
    const pad = indent === null ? '' : this.layout.newline + indent.repeat(depth + 1);
    for (const c of children) {
      if (pad) out.w(pad);
      if ('raw' in c) out.w(c.raw);
      else c.write(depth + 1, indent);
    }
    if (indent !== null) out.w(this.layout.newline + indent.repeat(depth));
    out.w(`</${name}>`);
  }

  private textElement(name: string, attrs: string, value: string, emptyStyle: string): void {
    this.out.w(value === '' ? `<${name}${attrs}${emptyStyle}` : `<${name}${attrs}>${escapeText(value)}</${name}>`);
  }

  /** A list element (defaultVarList, expression, …) with any preserved fragments back in their places. */
  private list(name: string, attrs: string, entries: Part[], extra: Array<[number, string]> | undefined, depth: number, indent: string | null): void {
    if (!extra?.length) {
      this.container(name, attrs, entries, depth, indent);
      return;
    }
    const children: Part[] = [];
    let next = 0;
    for (let i = 0; i <= entries.length; i++) {
      while (next < extra.length && extra[next][0] <= i) children.push({ raw: extra[next++][1] });
      if (i < entries.length) children.push(entries[i]);
    }
    for (; next < extra.length; next++) children.push({ raw: extra[next][1] });
    this.container(name, attrs, children, depth, indent);
  }

  private referencePart(r: ContentReference): Part {
    return { write: () => this.out.w(`<reference${this.attrs(r, REFERENCE_ATTRIBUTES, r.xml)}${this.layout.selfClose}`) };
  }

  private variablePart(v: StepVariable): Part {
    // ConfigMgr and MDT both write an empty value as <variable …></variable>.
    // Secrets are never exported (ConfigMgr writes them empty too; the admin re-enters them after import).
    return {
      write: () => this.textElement('variable', this.attrs(v, VARIABLE_ATTRIBUTES, v.xml), v.secret && !this.secretValues ? '' : v.value, '></variable>'),
    };
  }

  private itemPart(item: SequenceItem): Part {
    if (item.kind === 'raw') return { raw: item.xml };
    return { write: (d, i) => (item.kind === 'group' ? this.group(item, d, i) : this.step(item, d, i)) };
  }

  private actionPart(action: string): Part {
    return { write: () => this.textElement('action', '', action, this.layout.selfClose) };
  }

  private group(g: Group, depth: number, indent: string | null): void {
    const parts: Record<string, Part[]> = { condition: [], action: [], item: [] };
    if (g.condition) parts.condition.push(this.conditionPart(g.condition));
    if (g.action !== undefined) parts.action.push(this.actionPart(g.action));
    for (const item of g.items) parts.item.push(this.itemPart(item));
    this.container('group', this.attrs(g, GROUP_ATTRIBUTES, g.xml), ordered(g.xml?.children, ['condition', 'action', 'item'], parts), depth, indent);
  }

  private step(s: Step, depth: number, indent: string | null): void {
    const hints = s.xml;
    const parts: Record<string, Part[]> = { condition: [], action: [], defaultVarList: [] };
    if (s.condition) parts.condition.push(this.conditionPart(s.condition));
    if (s.action !== undefined) parts.action.push(this.actionPart(s.action));
    if (s.variables) {
      const vars = s.variables;
      parts.defaultVarList.push({
        write: (d, i) =>
          this.list(
            'defaultVarList',
            '',
            vars.map((v) => this.variablePart(v)),
            hints?.listExtra,
            d,
            i,
          ),
      });
    }
    const extra = hints?.extra ?? [];
    extra.forEach((raw, i) => (parts[`#${i}`] = [{ raw }]));
    const usual = ['condition', 'action', 'defaultVarList', ...extra.map((_, i) => `#${i}`)];
    this.container(s.element ?? 'step', this.attrs(s, STEP_ATTRIBUTES, hints), ordered(hints?.children, usual, parts), depth, indent);
  }

  private conditionPart(c: Condition): Part {
    let attrs = '';
    for (const [n, v] of Object.entries(c.extraAttributes ?? {})) attrs += ` ${n}="${escapeAttribute(v)}"`;
    return {
      write: (d, i) =>
        this.container(
          'condition',
          attrs,
          c.operands.map((n) => this.conditionNodePart(n)),
          d,
          i,
        ),
    };
  }

  private conditionNodePart(n: ConditionNode): Part {
    if (n.kind === 'raw') return { raw: n.xml };
    if (n.kind === 'operator') {
      return {
        write: (d, i) =>
          this.container(
            'operator',
            this.attrs(n, OPERATOR_ATTRIBUTES, n.xml),
            n.operands.map((o) => this.conditionNodePart(o)),
            d,
            i,
          ),
      };
    }
    const props: Part[] = n.properties.map((p) => ({
      write: () => this.textElement('variable', this.attrs(p, PROPERTY_ATTRIBUTES, p.xml), p.value, this.layout.selfClose),
    }));
    return { write: (d, i) => this.list('expression', this.attrs(n, EXPRESSION_ATTRIBUTES, n.xml), props, n.xml?.listExtra, d, i) };
  }
}

/**
 * Lays out children by a recorded order ("referenceList item*3 globalVarList …"), then anything
 * left. A count is never expanded beyond the parts there are: the order may come from a JSON file,
 * and "item*999999999" must cost no more than the items it places.
 */
function ordered(order: string | undefined, usual: string[], parts: Record<string, Part[]>): Part[] {
  if (!order) {
    const out: Part[] = [];
    for (const key of usual) for (const p of parts[key] ?? []) out.push(p);
    return out;
  }
  const next = new Map<string, number>();
  const out: Part[] = [];
  for (const tok of order.split(' ')) {
    const m = /^(.*)\*(\d+)$/.exec(tok);
    const key = m ? m[1] : tok;
    const list = Object.prototype.hasOwnProperty.call(parts, key) ? parts[key] : undefined;
    if (!list) continue;
    const i = next.get(key) ?? 0;
    const take = Math.min(m ? Number(m[2]) : 1, list.length - i);
    for (let k = 0; k < take; k++) out.push(list[i + k]);
    next.set(key, i + take);
  }
  for (const key of usual) {
    const list = parts[key] ?? [];
    for (let i = next.get(key) ?? 0; i < list.length; i++) out.push(list[i]);
  }
  return out;
}
