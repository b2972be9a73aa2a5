/**
 * Typed attributes with a lossless fallback. Each element kind declares its known attributes, in
 * the order ConfigMgr writes them (task-sequence-format §9). Reading keeps any spelling the typed
 * value would not reproduce (`disable="True"`) as a raw hint; writing uses that spelling only while
 * it still means the current value, so an edit never writes a stale raw value.
 */
import type { XmlAttribute } from '../xml/nodes.js';
import type { NodeXmlHints } from '../model/task-sequence.js';

export type AttributeKind = 'string' | 'boolean' | 'integer';

/** [attribute name, model field, kind], in the usual write order. */
export type AttributeSpec = ReadonlyArray<readonly [attr: string, field: string, kind: AttributeKind]>;

export function parseAttribute(kind: AttributeKind, raw: string): unknown {
  switch (kind) {
    case 'string':
      return raw;
    case 'boolean': {
      const t = raw.trim().toLowerCase();
      return t === 'true' ? true : t === 'false' ? false : undefined;
    }
    case 'integer':
      return /^\s*-?\d{1,15}\s*$/.test(raw) ? Number(raw) : undefined;
  }
}

export function formatAttribute(kind: AttributeKind, value: unknown): string {
  if (kind === 'boolean') return value ? 'true' : 'false';
  return String(value);
}

export interface ReadAttributesResult {
  problems: string[];
}

/**
 * Copies known attributes into `target` (typed), unknown ones into `target.extraAttributes`, and
 * records order / raw spellings in `hints`.
 */
export function readAttributes(
  attributes: XmlAttribute[],
  spec: AttributeSpec,
  target: Record<string, unknown>,
  hints: NodeXmlHints,
  problems?: string[],
): void {
  let extra: Record<string, string> | undefined;
  let lastKnownIndex = -1;
  let inOrder = true;
  let sawExtra = false;
  for (const [name, value] of attributes) {
    const idx = spec.findIndex((s) => s[0] === name);
    if (idx === -1) {
      (extra ??= {})[name] = value;
      sawExtra = true;
      continue;
    }
    if (idx < lastKnownIndex || sawExtra) inOrder = false;
    lastKnownIndex = idx;
    const [, field, kind] = spec[idx];
    const parsed = parseAttribute(kind, value);
    if (parsed === undefined) {
      (hints.raw ??= {})[name] = value;
      problems?.push(`attribute ${name}="${value}" is not a valid ${kind}; kept as written`);
      continue;
    }
    target[field] = parsed;
    if (formatAttribute(kind, parsed) !== value) (hints.raw ??= {})[name] = value;
  }
  if (extra) target.extraAttributes = extra;
  if (!inOrder) hints.attributes = attributes.map((a) => a[0]).join(' ');
}

export function writeAttributes(source: Record<string, unknown>, spec: AttributeSpec, hints: NodeXmlHints | undefined): XmlAttribute[] {
  const out: XmlAttribute[] = [];
  const raw = hints?.raw;
  for (const [name, field, kind] of spec) {
    const value = source[field];
    const rawValue = raw?.[name];
    if (value === undefined || value === null) {
      // An unparsable value read from the file is written back as it was.
      if (rawValue !== undefined && parseAttribute(kind, rawValue) === undefined) out.push([name, rawValue]);
      continue;
    }
    if (rawValue !== undefined && sameValue(parseAttribute(kind, rawValue), value)) out.push([name, rawValue]);
    else out.push([name, formatAttribute(kind, value)]);
  }
  const extra = source.extraAttributes as Record<string, string> | undefined;
  if (extra) for (const [n, v] of Object.entries(extra)) out.push([n, v]);
  if (hints?.attributes) {
    // A map, not indexOf per comparison: the recorded order can list thousands of names.
    const order = new Map<string, number>();
    for (const n of hints.attributes.split(' ')) if (!order.has(n)) order.set(n, order.size);
    const rank = (n: string): number => order.get(n) ?? order.size;
    // Stable sort: attributes not in the recorded order keep their usual position at the end.
    return out
      .map((a, i) => [a, i] as const)
      .sort((x, y) => rank(x[0][0]) - rank(y[0][0]) || x[1] - y[1])
      .map((x) => x[0]);
  }
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b;
}

export const STEP_ATTRIBUTES: AttributeSpec = [
  ['type', 'type', 'string'],
  ['name', 'name', 'string'],
  ['description', 'description', 'string'],
  ['disable', 'disable', 'boolean'],
  ['continueOnError', 'continueOnError', 'boolean'],
  ['timeout', 'timeout', 'integer'],
  ['runIn', 'runIn', 'string'],
  ['successCodeList', 'successCodeList', 'string'],
  ['retryCount', 'retryCount', 'integer'],
  ['runFromNet', 'runFromNet', 'boolean'],
  ['startIn', 'startIn', 'string'],
];

export const GROUP_ATTRIBUTES: AttributeSpec = [
  ['name', 'name', 'string'],
  ['description', 'description', 'string'],
  ['disable', 'disable', 'boolean'],
  ['continueOnError', 'continueOnError', 'boolean'],
  ['expand', 'expand', 'boolean'],
];

export const VARIABLE_ATTRIBUTES: AttributeSpec = [
  ['name', 'name', 'string'],
  ['property', 'property', 'string'],
  ['hidden', 'hidden', 'boolean'],
];

export const SEQUENCE_ATTRIBUTES: AttributeSpec = [
  ['version', 'version', 'string'],
  ['name', 'name', 'string'],
  ['description', 'description', 'string'],
];

export const REFERENCE_ATTRIBUTES: AttributeSpec = [
  ['package', 'package', 'string'],
  ['program', 'program', 'string'],
  ['application', 'application', 'string'],
];

export const OPERATOR_ATTRIBUTES: AttributeSpec = [['type', 'operator', 'string']];
export const EXPRESSION_ATTRIBUTES: AttributeSpec = [['type', 'type', 'string']];
export const PROPERTY_ATTRIBUTES: AttributeSpec = [['name', 'name', 'string']];
