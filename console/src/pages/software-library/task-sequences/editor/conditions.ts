/**
 * The Options tab's conditions: the kinds ConfigMgr's editor offers (If statement, Task Sequence
 * Variable, Query WMI, File Properties, Folder Properties, Registry Setting, Installed Software,
 * Operating System Version), each an `<expression type=…>` with its named values, its fields and
 * their rules (task-sequence-format §6, conditions-wql.md §1, §6). If statements are the
 * `and` / `or` / `not` operators: All / Any / None.
 */
import type { ConditionNode, ExpressionProperty } from './model';
import { GUID_RULE } from './step-forms';

export interface ConditionField {
  name: string;
  label: string;
  kind: 'text' | 'textarea' | 'choice';
  choices?: Array<[string, string]>;
  required?: boolean;
  /** Shown (and required when `required`) only when another value is one of these. */
  when?: { name: string; values: string[] };
  hint?: string;
  check?: (value: string, all: Record<string, string>) => string | undefined;
}

export interface ExpressionKind {
  id: string;
  type: string;
  label: string;
  fields: ConditionField[];
  /** Values of a new expression of this kind. */
  initial: Record<string, string>;
  describe(v: Record<string, string>): string;
}

const COMPARE: Array<[string, string]> = [
  ['equals', 'equals'],
  ['notEquals', 'not equals'],
  ['greater', 'greater than'],
  ['greaterEqual', 'greater than or equals'],
  ['less', 'less than'],
  ['lessEqual', 'less than or equals'],
];
const VARIABLE_OPERATORS: Array<[string, string]> = [['exists', 'exists'], ['notExists', 'not exists'], ...COMPARE];
const REGISTRY_OPERATORS: Array<[string, string]> = [['exists', 'exists'], ['notExists', 'not exists'], ...COMPARE];
const REG_TYPES = ['REG_SZ', 'REG_EXPAND_SZ', 'REG_MULTI_SZ', 'REG_DWORD', 'REG_QWORD', 'REG_BINARY', 'REG_NONE'].map((t) => [t, t] as [string, string]);
const OPTIONAL_COMPARE: Array<[string, string]> = [['', 'Do not check'], ...COMPARE];

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const DMTF = /^\d{14}\.\d{6}[+-]\d{3}$/;

function dateField(): ConditionField {
  return {
    name: 'DateTime',
    label: 'Date and time (UTC)',
    kind: 'text',
    when: { name: 'DateTimeOperator', values: COMPARE.map(([v]) => v) },
    required: true,
    hint: 'yyyymmddHHMMSS.000000+000, e.g. 20240131120000.000000+000',
    check: (v) => (v && !DMTF.test(v) ? 'a date and time is written yyyymmddHHMMSS.000000+000' : undefined),
  };
}

export const EXPRESSION_KINDS: ExpressionKind[] = [
  {
    id: 'variable',
    type: 'SMS_TaskSequence_VariableConditionExpression',
    label: 'Task Sequence Variable',
    fields: [
      {
        name: 'Variable',
        label: 'Variable',
        kind: 'text',
        required: true,
        check: (v) =>
          v.length > 256
            ? 'a variable name has at most 256 characters'
            : VARIABLE_NAME.test(v.trim())
              ? undefined
              : 'a variable name has letters, digits, _ and - only',
      },
      { name: 'Operator', label: 'Condition', kind: 'choice', choices: VARIABLE_OPERATORS },
      {
        name: 'Value',
        label: 'Value',
        kind: 'text',
        when: { name: 'Operator', values: COMPARE.map(([v]) => v) },
        check: (v) => (v.length > 4000 ? 'a value has at most 4,000 characters' : undefined),
      },
    ],
    initial: { Operator: 'equals', Value: '', Variable: '' },
    describe: (v) =>
      `Task Sequence Variable ${v.Variable || '…'} ${label(VARIABLE_OPERATORS, v.Operator)}${/exists/i.test(v.Operator ?? '') ? '' : ` "${v.Value ?? ''}"`}`,
  },
  {
    id: 'wmi',
    type: 'SMS_TaskSequence_WMIConditionExpression',
    label: 'Query WMI',
    fields: [
      {
        name: 'Namespace',
        label: 'WMI namespace',
        kind: 'text',
        required: true,
        check: (v) =>
          /^(\\\\[.]\\|\\\\localhost\\)?root([\\/][A-Za-z0-9_]+)*$/i.test(v.trim()) ? undefined : 'a namespace starts with root, e.g. root\\cimv2',
      },
      {
        name: 'Query',
        label: 'WQL query',
        kind: 'textarea',
        required: true,
        check: (v) =>
          v.length > 16384
            ? 'a query has at most 16,384 characters'
            : /[‘’“”]/.test(v)
              ? 'the query has smart quotes; use straight quotes (\' or ")'
              : /^\s*select\s+.+\s+from\s+\S+/is.test(v)
                ? undefined
                : 'a WMI query is written SELECT … FROM <class> [WHERE …]',
      },
    ],
    initial: { Namespace: 'root\\cimv2', Query: '' },
    describe: (v) => `WMI Query ${v.Query || '…'}`,
  },
  {
    id: 'file',
    type: 'SMS_TaskSequence_FileConditionExpression',
    label: 'File Properties',
    fields: [
      { name: 'Path', label: 'Path', kind: 'text', required: true, hint: 'may contain %variables%' },
      { name: 'VersionOperator', label: 'Check the version', kind: 'choice', choices: OPTIONAL_COMPARE },
      {
        name: 'Version',
        label: 'Version',
        kind: 'text',
        required: true,
        when: { name: 'VersionOperator', values: COMPARE.map(([v]) => v) },
        check: (v) => (v && !/^\d+(\.\d+){0,3}$/.test(v.trim()) ? 'a version is written a.b.c.d' : undefined),
      },
      { name: 'DateTimeOperator', label: 'Check the timestamp', kind: 'choice', choices: OPTIONAL_COMPARE },
      dateField(),
    ],
    initial: { Path: '' },
    describe: (v) => `File ${v.Path || '…'}${v.VersionOperator ? ` version ${label(COMPARE, v.VersionOperator)} ${v.Version ?? ''}` : ''}`,
  },
  {
    id: 'folder',
    type: 'SMS_TaskSequence_FolderConditionExpression',
    label: 'Folder Properties',
    fields: [
      { name: 'Path', label: 'Path', kind: 'text', required: true, hint: 'may contain %variables%' },
      { name: 'DateTimeOperator', label: 'Check the timestamp', kind: 'choice', choices: OPTIONAL_COMPARE },
      dateField(),
    ],
    initial: { Path: '' },
    describe: (v) => `Folder ${v.Path || '…'}`,
  },
  {
    id: 'registry',
    type: 'SMS_TaskSequence_RegistryConditionExpression',
    label: 'Registry Setting',
    fields: [
      {
        name: 'KeyPath',
        label: 'Key',
        kind: 'text',
        required: true,
        check: (v) =>
          /^(HKEY_LOCAL_MACHINE|HKEY_CURRENT_USER|HKEY_CLASSES_ROOT|HKEY_USERS|HKEY_CURRENT_CONFIG|HKLM|HKCU|HKCR|HKU|HKCC)(\\|$)/i.test(v.trim())
            ? undefined
            : 'a key starts with its hive, e.g. HKEY_LOCAL_MACHINE\\SOFTWARE\\…',
      },
      { name: 'Operator', label: 'Condition', kind: 'choice', choices: REGISTRY_OPERATORS },
      {
        name: 'Value',
        label: 'Value name',
        kind: 'text',
        hint: 'empty: the key itself',
        check: (v) => (v.length > 250 ? 'a value name has at most 250 characters' : undefined),
      },
      { name: 'Type', label: 'Value type', kind: 'choice', choices: REG_TYPES },
      { name: 'Data', label: 'Value data', kind: 'text', when: { name: 'Operator', values: COMPARE.map(([v]) => v) } },
    ],
    initial: { KeyPath: 'HKEY_LOCAL_MACHINE\\', Operator: 'exists', Type: 'REG_SZ', Value: '' },
    describe: (v) =>
      `Registry ${v.KeyPath || '…'}${v.Value ? `\\${v.Value}` : ''} ${label(REGISTRY_OPERATORS, v.Operator)}${/exists/i.test(v.Operator ?? '') ? '' : ` "${v.Data ?? ''}"`}`,
  },
  {
    id: 'software',
    type: 'SMS_TaskSequence_SoftwareConditionExpression',
    label: 'Installed Software',
    fields: [
      {
        name: 'Operator',
        label: 'Match',
        kind: 'choice',
        choices: [
          ['ThisVersion', 'Match this specific product (product code)'],
          ['AnyVersion', 'Match any version of this product (upgrade code)'],
        ],
      },
      { name: 'ProductName', label: 'Product name', kind: 'text' },
      {
        name: 'ProductCode',
        label: 'Product code',
        kind: 'text',
        required: true,
        when: { name: 'Operator', values: ['ThisVersion'] },
        check: (v) => (GUID_RULE[0].test(v.trim()) ? undefined : GUID_RULE[1]),
      },
      {
        name: 'UpgradeCode',
        label: 'Upgrade code',
        kind: 'text',
        required: true,
        when: { name: 'Operator', values: ['AnyVersion'] },
        check: (v) => (GUID_RULE[0].test(v.trim()) ? undefined : GUID_RULE[1]),
      },
      { name: 'Version', label: 'Version', kind: 'text', when: { name: 'Operator', values: ['ThisVersion'] } },
    ],
    initial: { Operator: 'ThisVersion', ProductCode: '', ProductName: '' },
    describe: (v) => `Installed Software ${v.ProductName || v.ProductCode || v.UpgradeCode || '…'}`,
  },
  {
    id: 'os',
    type: 'SMS_TaskSequence_OSConditionExpression',
    label: 'Operating System Version',
    fields: [
      {
        name: 'Architecture',
        label: 'Architecture',
        kind: 'choice',
        choices: [
          ['', 'Any'],
          ['X86', 'x86'],
          ['X64', 'x64'],
          ['ARM64', 'ARM64'],
        ],
      },
      { name: 'Operator', label: 'Condition', kind: 'choice', choices: COMPARE },
      {
        name: 'Version',
        label: 'Version',
        kind: 'text',
        required: true,
        hint: 'major.minor.build, e.g. 10.0.19045',
        check: (v) => (/^\d+(\.\d+){0,3}$/.test(v.trim()) ? undefined : 'a version is written major.minor.build, e.g. 10.0.19045'),
      },
    ],
    initial: { Architecture: 'X64', Operator: 'greaterEqual', Version: '10.0' },
    describe: (v) => `Operating system ${v.Architecture || 'any'} version ${label(COMPARE, v.Operator)} ${v.Version ?? ''}`,
  },
];

export const IF_STATEMENTS: Array<[string, string]> = [
  ['and', 'All the conditions are true'],
  ['or', 'Any of the conditions is true'],
  ['not', 'None of the conditions is true'],
];

function label(list: Array<[string, string]>, value: string | undefined): string {
  const v = (value ?? '').toLowerCase();
  return list.find(([k]) => k.toLowerCase() === v)?.[1] ?? value ?? '';
}

export function kindOfType(type: string): ExpressionKind | undefined {
  const t = type.toLowerCase();
  return EXPRESSION_KINDS.find((k) => k.type.toLowerCase() === t);
}

export function valuesOf(properties: ExpressionProperty[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of properties) out[p.name] = p.value;
  return out;
}

/** Case-insensitive: a choice written `Equals` in a file selects `equals`. */
export function choiceValue(field: ConditionField, value: string | undefined): string {
  const v = (value ?? '').toLowerCase();
  return field.choices?.find(([k]) => k.toLowerCase() === v)?.[0] ?? value ?? '';
}

export function fieldShown(field: ConditionField, values: Record<string, string>): boolean {
  if (!field.when) return true;
  const v = (values[field.when.name] ?? '').toLowerCase();
  return field.when.values.some((x) => x.toLowerCase() === v);
}

/** The rule each shown field breaks, by field name. */
export function expressionErrors(kind: ExpressionKind, values: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of kind.fields) {
    if (!fieldShown(f, values)) continue;
    const v = values[f.name] ?? '';
    if (f.required && v.trim() === '') out[f.name] = `${f.label} is required`;
    else if (f.check) {
      const e = f.check(v, values);
      if (e) out[f.name] = e;
    }
  }
  return out;
}

/**
 * The expression with one value changed: existing values keep their place (and the file's layout
 * hints); a new one is added; an emptied optional value, or a hidden one, is left out.
 */
export function setValue(
  node: Extract<ConditionNode, { kind: 'expression' }>,
  kind: ExpressionKind,
  name: string,
  value: string,
): Extract<ConditionNode, { kind: 'expression' }> {
  let properties = node.properties.some((p) => p.name === name)
    ? node.properties.map((p) => (p.name === name ? { ...p, value } : p))
    : [...node.properties, { name, value }];
  const values = valuesOf(properties);
  const keep = (p: ExpressionProperty) => {
    const f = kind.fields.find((x) => x.name === p.name);
    if (!f) return true;
    if (!fieldShown(f, values)) return false;
    return !(p.value === '' && !f.required && f.kind === 'choice');
  };
  properties = properties.filter(keep);
  return { ...node, properties };
}

export function newExpression(kind: ExpressionKind): ConditionNode {
  const properties = Object.keys(kind.initial)
    .sort()
    .map((name) => ({ name, value: kind.initial[name]! }));
  return { kind: 'expression', type: kind.type, properties };
}

export function describeNode(node: ConditionNode): string {
  if (node.kind === 'raw') return 'A condition kept as written in the file';
  if (node.kind === 'operator')
    return `If ${label(IF_STATEMENTS, node.operator)
      .replace(/ (is|are) true$/, '')
      .toLowerCase()}`;
  const kind = kindOfType(node.type);
  return kind ? kind.describe(valuesOf(node.properties)) : `${node.type} (kept as written)`;
}

/** Every rule broken anywhere in a condition tree (for the Save check). */
export function conditionProblems(operands: ConditionNode[]): string[] {
  const out: string[] = [];
  const walk = (list: ConditionNode[]) => {
    for (const n of list) {
      if (n.kind === 'operator') walk(n.operands);
      else if (n.kind === 'expression') {
        const kind = kindOfType(n.type);
        if (kind) for (const e of Object.values(expressionErrors(kind, valuesOf(n.properties)))) out.push(`${kind.label}: ${e}`);
      }
    }
  };
  walk(operands);
  return out;
}
