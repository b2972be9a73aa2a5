/**
 * The canonical JSON form: the model with a fixed key order, two-space indentation and defaults
 * left out, so it diffs well in git and imports back to the same model (XML → JSON → XML is
 * lossless: the `xml` hints travel along). Validated with zod on the way in.
 */
import { z } from 'zod';
import { InputError, locate } from '../input-error.js';
import { checkJsonDepth, MAX_INDENT_LENGTH, validateSequenceLimits } from '../limits.js';
import type {
  Condition,
  ConditionNode,
  ContentReference,
  ExpressionProperty,
  NodeXmlHints,
  SequenceItem,
  StepVariable,
  TaskSequence,
} from '../model/task-sequence.js';

export const JSON_FORMAT = 'openosd.task-sequence';
export const JSON_FORMAT_VERSION = 1;

export function exportJsonText(ts: TaskSequence): string {
  return JSON.stringify(exportJson(ts), null, 2) + '\n';
}

export function exportJson(ts: TaskSequence): Record<string, unknown> {
  return { format: JSON_FORMAT, formatVersion: JSON_FORMAT_VERSION, sequence: sequenceJson(ts) };
}

/** Copies keys in the given order, leaving out undefined ones. */
function pick(obj: object, keys: string[]): Record<string, unknown> {
  const src = obj as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (src[k] !== undefined) out[k] = src[k];
  return out;
}

const HINT_KEYS = [
  'attributes',
  'raw',
  'children',
  'extra',
  'listExtra',
  'referenceListExtra',
  'globalVarListExtra',
  'indent',
  'newline',
  'selfClose',
  'declaration',
  'prolog',
  'epilog',
  'encoding',
  'bom',
];

function hints(h: NodeXmlHints | undefined): Record<string, unknown> | undefined {
  if (!h) return undefined;
  const out = pick(h, HINT_KEYS);
  return Object.keys(out).length ? out : undefined;
}

function sequenceJson(ts: TaskSequence): Record<string, unknown> {
  return {
    ...pick(ts, ['version', 'name', 'description']),
    ...(ts.references ? { references: ts.references.map(referenceJson) } : {}),
    ...(ts.globalVariables ? { globalVariables: ts.globalVariables.map(variableJson) } : {}),
    items: ts.items.map(itemJson),
    ...pick(ts, ['extraAttributes', 'envelope']),
    ...(hints(ts.xml) ? { xml: hints(ts.xml) } : {}),
  };
}

function referenceJson(r: ContentReference): Record<string, unknown> {
  return { ...pick(r, ['package', 'program', 'application', 'extraAttributes']), ...(hints(r.xml) ? { xml: hints(r.xml) } : {}) };
}

function variableJson(v: StepVariable): Record<string, unknown> {
  // A secret is written empty: the JSON form is an export like any other.
  const value = v.secret ? { value: '' } : {};
  return { ...pick(v, ['name', 'property', 'hidden', 'value', 'extraAttributes']), ...value, ...(hints(v.xml) ? { xml: hints(v.xml) } : {}) };
}

const ITEM_KEYS = [
  'kind',
  'element',
  'type',
  'name',
  'description',
  'disable',
  'continueOnError',
  'successCodeList',
  'runIn',
  'timeout',
  'retryCount',
  'runFromNet',
  'startIn',
  'expand',
];

function itemJson(item: SequenceItem): Record<string, unknown> {
  if (item.kind === 'raw') return { kind: 'raw', xml: item.xml };
  const out = pick(item, ITEM_KEYS);
  if (item.condition) out.condition = conditionJson(item.condition);
  if (item.action !== undefined) out.action = item.action;
  if (item.kind === 'step' && item.variables) out.variables = item.variables.map(variableJson);
  if (item.kind === 'group') out.items = item.items.map(itemJson);
  if (item.extraAttributes) out.extraAttributes = item.extraAttributes;
  const h = hints(item.xml);
  if (h) out.xml = h;
  return out;
}

function conditionJson(c: Condition): Record<string, unknown> {
  return { operands: c.operands.map(conditionNodeJson), ...pick(c, ['extraAttributes']) };
}

function conditionNodeJson(n: ConditionNode): Record<string, unknown> {
  if (n.kind === 'raw') return { kind: 'raw', xml: n.xml };
  if (n.kind === 'operator') {
    return {
      kind: 'operator',
      operator: n.operator,
      operands: n.operands.map(conditionNodeJson),
      ...pick(n, ['extraAttributes']),
      ...(hints(n.xml) ? { xml: hints(n.xml) } : {}),
    };
  }
  return {
    kind: 'expression',
    type: n.type,
    properties: n.properties.map((p: ExpressionProperty) => ({
      ...pick(p, ['name', 'value', 'extraAttributes']),
      ...(hints(p.xml) ? { xml: hints(p.xml) } : {}),
    })),
    ...pick(n, ['extraAttributes']),
    ...(hints(n.xml) ? { xml: hints(n.xml) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Import

const attrs = z.record(z.string(), z.string()).optional();
const listExtra = z.array(z.tuple([z.number().int().min(0), z.string()])).optional();
const nodeHints = z
  .object({
    attributes: z.string().optional(),
    raw: z.record(z.string(), z.string()).optional(),
    children: z.string().optional(),
    extra: z.array(z.string()).optional(),
    listExtra,
  })
  .strict()
  .optional();

const variable = z
  .object({
    name: z.string(),
    property: z.string().optional(),
    hidden: z.boolean().optional(),
    value: z.string(),
    extraAttributes: attrs,
    xml: nodeHints,
  })
  .strict();

const raw = z.object({ kind: z.literal('raw'), xml: z.string() }).strict();

const expression = z
  .object({
    kind: z.literal('expression'),
    type: z.string(),
    properties: z.array(z.object({ name: z.string(), value: z.string(), extraAttributes: attrs, xml: nodeHints }).strict()),
    extraAttributes: attrs,
    xml: nodeHints,
  })
  .strict();

type ConditionNodeInput = z.infer<typeof expression> | z.infer<typeof raw> | OperatorInput;
interface OperatorInput {
  kind: 'operator';
  operator: string;
  operands: ConditionNodeInput[];
  extraAttributes?: Record<string, string>;
  xml?: z.infer<typeof nodeHints>;
}

const conditionNode: z.ZodType<ConditionNodeInput> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    expression,
    raw,
    z
      .object({
        kind: z.literal('operator'),
        operator: z.string(),
        operands: z.array(conditionNode),
        extraAttributes: attrs,
        xml: nodeHints,
      })
      .strict(),
  ]),
) as z.ZodType<ConditionNodeInput>;

const condition = z.object({ operands: z.array(conditionNode), extraAttributes: attrs }).strict();

const common = {
  name: z.string(),
  description: z.string().optional(),
  disable: z.boolean().optional(),
  continueOnError: z.boolean().optional(),
  condition: condition.optional(),
  action: z.string().optional(),
  extraAttributes: attrs,
  xml: nodeHints,
};

const step = z
  .object({
    kind: z.literal('step'),
    element: z.literal('subtasksequence').optional(),
    type: z.string().optional(),
    successCodeList: z.string().optional(),
    runIn: z.string().optional(),
    timeout: z.number().int().optional(),
    retryCount: z.number().int().optional(),
    runFromNet: z.boolean().optional(),
    startIn: z.string().optional(),
    variables: z.array(variable).optional(),
    ...common,
  })
  .strict();

type ItemInput = z.infer<typeof step> | z.infer<typeof raw> | GroupInput;
interface GroupInput {
  kind: 'group';
  name: string;
  items: ItemInput[];
  [k: string]: unknown;
}

const item: z.ZodType<ItemInput> = z.lazy(() =>
  z.discriminatedUnion('kind', [step, raw, z.object({ kind: z.literal('group'), expand: z.boolean().optional(), items: z.array(item), ...common }).strict()]),
) as z.ZodType<ItemInput>;

const envelope = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sequence') }).strict(),
  z.object({ kind: z.literal('package'), wrapperXml: z.string(), properties: z.record(z.string(), z.string()) }).strict(),
  z
    .object({
      kind: z.literal('console-export'),
      entry: z.string(),
      properties: z.record(z.string(), z.string()),
      others: z.array(z.string()).optional(),
    })
    .strict(),
]);

const sequence = z
  .object({
    version: z.string(),
    name: z.string().optional(),
    description: z.string().optional(),
    references: z
      .array(
        z
          .object({
            package: z.string().optional(),
            program: z.string().optional(),
            application: z.string().optional(),
            extraAttributes: attrs,
            xml: nodeHints,
          })
          .strict(),
      )
      .optional(),
    globalVariables: z.array(variable).optional(),
    items: z.array(item),
    extraAttributes: attrs,
    envelope: envelope.optional(),
    xml: z
      .object({
        attributes: z.string().optional(),
        raw: z.record(z.string(), z.string()).optional(),
        children: z.string().optional(),
        referenceListExtra: listExtra,
        globalVarListExtra: listExtra,
        // Repeated per level on every line by the writer: whitespace, and short.
        indent: z
          .string()
          .max(MAX_INDENT_LENGTH)
          .regex(/^[ \t]*$/, 'spaces and tabs only')
          .nullable()
          .optional(),
        newline: z.enum(['\n', '\r\n']).optional(),
        selfClose: z.enum([' />', '/>']).optional(),
        declaration: z.string().optional(),
        prolog: z.array(z.string()).optional(),
        epilog: z.array(z.string()).optional(),
        encoding: z.string().optional(),
        bom: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const document = z
  .object({
    format: z.literal(JSON_FORMAT),
    formatVersion: z.literal(JSON_FORMAT_VERSION),
    sequence,
  })
  .strict();

export function importJsonText(text: string, input = '<input>'): TaskSequence {
  let data: unknown;
  try {
    data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    throw new InputError({
      input,
      location: m ? locate(text, Number(m[1])) : undefined,
      rule: `malformed JSON: ${msg}`,
    });
  }
  // Before zod, whose validation of nested items recurses (limits.ts).
  checkJsonDepth(data, input);
  const parsed = document.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${formatPath(i.path)}: ${i.message}`);
    throw new InputError({
      input,
      rule: `not a valid ${JSON_FORMAT} document:\n  ${issues.join('\n  ')}${parsed.error.issues.length > 5 ? `\n  … and ${parsed.error.issues.length - 5} more` : ''}`,
      hint: `write it with "osd ts export --format json"; the format is described in docs/task-sequence-json.md`,
    });
  }
  const sequence = parsed.data.sequence as unknown as TaskSequence;
  validateSequenceLimits(sequence, input);
  return sequence;
}

function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(document)';
}
