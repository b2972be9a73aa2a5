/**
 * Conditions as an admin reads them (`_SMSTSInWinPE equals "false"`, `(a OR b)`, `NOT (a)`), and a
 * canonical key so two conditions that mean the same thing compare equal whatever their layout
 * (task-sequence-format §6). Lives under diff/ for now; nothing here is diff-specific.
 */
import type { Condition, ConditionExpression, ConditionNode, ConditionOperator } from '../model/task-sequence.js';

const TYPE_PREFIX = 'SMS_TaskSequence_';

/** ConfigMgr's spellings of comparison operators, looked up case-insensitively (`Equals` is common in MDT files). */
const OPERATOR_SPELLING: Record<string, string> = {
  equals: 'equals',
  notequals: 'notEquals',
  exists: 'exists',
  notexists: 'notExists',
  // The SDK spells the registry negative nonExists (§6); same meaning.
  nonexists: 'notExists',
  less: 'less',
  lessequal: 'lessEqual',
  greater: 'greater',
  greaterequal: 'greaterEqual',
  like: 'like',
  anyversion: 'AnyVersion',
  thisversion: 'ThisVersion',
};

export function operatorName(op: string): string {
  const t = op.trim();
  return OPERATOR_SPELLING[t.toLowerCase()] ?? t.toLowerCase();
}

const HIVES: Record<string, string> = {
  hkey_local_machine: 'HKLM',
  hkey_current_user: 'HKCU',
  hkey_classes_root: 'HKCR',
  hkey_users: 'HKU',
  hkey_current_config: 'HKCC',
};

function shortHive(keyPath: string): string {
  const m = /^([^\\]+)(\\.*)?$/.exec(keyPath.trim());
  if (!m) return keyPath.trim();
  return (HIVES[m[1].toLowerCase()] ?? m[1]) + (m[2] ?? '');
}

/**
 * Comments inside a condition carry no meaning: they are neither shown nor compared. A raw node
 * is comments only when, trimmed, it is empty or starts with `<!--` and ends with `-->` (what
 * /^\s*(<!--[\s\S]*-->\s*)*$/ accepts, tested without that regex's exponential backtracking on
 * text such as `<!---->` repeated and then something else).
 */
function isComment(node: ConditionNode): boolean {
  if (node.kind !== 'raw') return false;
  const t = node.xml.trim();
  return t === '' || (t.length >= 7 && t.startsWith('<!--') && t.endsWith('-->'));
}

/** Indentation inside preserved XML changes with the layout; collapse it. */
function collapseXml(xml: string): string {
  return xml.replace(/>\s+</g, '><').replace(/\s+/g, ' ').trim();
}

/**
 * WQL and paths may be wrapped over lines in MDT files; a line break reads as a space: each run of
 * white space holding a line break becomes one space. (A regex of optional space, line breaks,
 * optional space would backtrack quadratically over a long run of spaces without a line break.)
 */
export function oneLine(s: string, replacement = ' '): string {
  return s.replace(/\s+/g, (ws) => (ws.includes('\n') || ws.includes('\r') ? replacement : ws)).trim();
}

/** Multiple top-level operands are AND-ed. */
export function describeCondition(condition: Condition): string {
  const parts = condition.operands.filter((n) => !isComment(n)).map(describeConditionNode);
  return parts.length ? parts.join(' AND ') : '(empty condition)';
}

export function describeConditionNode(node: ConditionNode): string {
  if (node.kind === 'raw') return collapseXml(node.xml);
  if (node.kind === 'operator') return describeOperator(node);
  return describeExpression(node);
}

function describeOperator(op: ConditionOperator): string {
  const kids = op.operands.filter((n) => !isComment(n));
  const type = op.operator.trim().toLowerCase();
  const inner = kids.map(describeConditionNode);
  if (type === 'and' || type === 'or') {
    return inner.length ? `(${inner.join(type === 'and' ? ' AND ' : ' OR ')})` : `(empty ${type})`;
  }
  if (type === 'not') {
    // NOT with several children is NOT(AND(children)) (§11.4).
    if (kids.length === 1 && isAndOr(kids[0])) return `NOT ${inner[0]}`;
    return `NOT (${inner.join(' AND ')})`;
  }
  return `${op.operator.trim().toUpperCase() || '?'} (${inner.join(', ')})`;
}

function isAndOr(n: ConditionNode): boolean {
  if (n.kind !== 'operator') return false;
  const t = n.operator.trim().toLowerCase();
  return t === 'and' || t === 'or';
}

/** Properties by name (case-insensitive), or undefined when a name repeats or is not in `allowed`. */
function propertiesOf(ex: ConditionExpression, allowed: string[]): Map<string, string> | undefined {
  const lower = allowed.map((a) => a.toLowerCase());
  const out = new Map<string, string>();
  for (const p of ex.properties) {
    const k = p.name.toLowerCase();
    if (!lower.includes(k) || out.has(k)) return undefined;
    out.set(k, p.value.trim());
  }
  return out;
}

const quote = (s: string): string => `"${s}"`;

type Renderer = (p: Map<string, string>) => string | undefined;

/** Known expression types: the properties each may have, and how it reads. undefined ⇒ generic form. */
const RENDERERS: Record<string, [string[], Renderer]> = {
  variableconditionexpression: [
    ['Variable', 'Operator', 'Value'],
    (p) => {
      const v = p.get('variable');
      const op = p.get('operator');
      if (!v || !op) return undefined;
      const o = operatorName(op);
      if (o === 'exists' || o === 'notExists') return p.get('value') ? undefined : `${v} ${o}`;
      return `${v} ${o} ${quote(p.get('value') ?? '')}`;
    },
  ],
  wmiconditionexpression: [
    ['Namespace', 'Query'],
    (p) => {
      const q = p.get('query');
      if (q === undefined) return undefined;
      const ns = p.get('namespace');
      return `WMI${ns ? ` ${ns}` : ''}: ${oneLine(q)}`;
    },
  ],
  fileconditionexpression: [['Path', 'Version', 'VersionOperator', 'DateTime', 'DateTimeOperator'], (p) => fileOrFolder('file', p, true)],
  folderconditionexpression: [['Path', 'DateTime', 'DateTimeOperator'], (p) => fileOrFolder('folder', p, false)],
  registryconditionexpression: [
    ['KeyPath', 'Operator', 'Type', 'Value', 'Data'],
    (p) => {
      const key = p.get('keypath');
      const op = p.get('operator');
      if (!key || !op) return undefined;
      const name = p.get('value');
      const where = shortHive(key) + (name ? `\\${name}` : '');
      const o = operatorName(op);
      const type = p.get('type');
      if (o === 'exists' || o === 'notExists') {
        // The value type only matters when a value (not just the key) is tested.
        return `registry ${where}${name && type ? ` ${type}` : ''} ${o}`;
      }
      return `registry ${where}${type ? ` ${type}` : ''} ${o} ${quote(p.get('data') ?? '')}`;
    },
  ],
  softwareconditionexpression: [
    ['Operator', 'ProductCode', 'UpgradeCode', 'ProductName', 'Version'],
    (p) => {
      const op = operatorName(p.get('operator') ?? 'ThisVersion');
      const name = p.get('productname') || '(unnamed product)';
      const version = p.get('version') ? ` ${p.get('version')}` : '';
      if (op === 'AnyVersion') return `software installed: any version of ${name} (${p.get('upgradecode') ?? ''})`;
      if (op !== 'ThisVersion') return undefined;
      return `software installed: ${name}${version} (${p.get('productcode') ?? ''})`;
    },
  ],
  osconditionexpression: [
    ['Architecture', 'Operator', 'Version'],
    (p) => {
      const op = p.get('operator');
      const version = p.get('version');
      if (!op || version === undefined) return undefined;
      const arch = p.get('architecture');
      return `OS ${arch ? `${arch} ` : ''}${operatorName(op)} ${version}`;
    },
  ],
};

function fileOrFolder(what: 'file' | 'folder', p: Map<string, string>, hasVersion: boolean): string | undefined {
  const path = p.get('path');
  if (path === undefined) return undefined;
  const tests: string[] = [];
  if (hasVersion && p.get('version')) tests.push(`version ${operatorName(p.get('versionoperator') || 'equals')} ${quote(p.get('version')!)}`);
  if (p.get('datetime')) tests.push(`modified ${operatorName(p.get('datetimeoperator') || 'equals')} ${quote(p.get('datetime')!)}`);
  if (!tests.length) return `${what} exists ${quote(path)}`;
  return `${what} ${quote(path)} ${tests.join(' and ')}`;
}

function expressionRenderer(type: string): [string[], Renderer] | undefined {
  let t = type.trim();
  if (t.toLowerCase().startsWith(TYPE_PREFIX.toLowerCase())) t = t.slice(TYPE_PREFIX.length);
  return RENDERERS[t.toLowerCase()];
}

function describeExpression(ex: ConditionExpression): string {
  const r = expressionRenderer(ex.type);
  if (r) {
    const props = propertiesOf(ex, r[0]);
    const text = props && r[1](props);
    if (text !== undefined) return text;
  }
  const args = ex.properties.map((p) => `${p.name}=${p.value.trim()}`).join(', ');
  return `${ex.type.trim() || '(untyped expression)'}(${args})`;
}

/**
 * A canonical form: equal keys ⇔ same meaning as far as a diff should care. Ignores comments,
 * property order, case of operator names / expression types / variable names, surrounding
 * whitespace of values, nesting of and-in-and / or-in-or and one-operand and/or. Operand order is
 * kept (the engine evaluates in order, and the editor shows it). '' = no condition (or an empty one).
 */
export function conditionKey(condition: Condition | undefined): string {
  if (!condition) return '';
  const ops = flatten('and', condition.operands);
  if (ops.length === 0) return '';
  return JSON.stringify(ops.length === 1 ? ops[0] : ['and', ...ops]);
}

type Key = string | Key[];

/** Keys of the operands, with same-kind and/or operators spliced in. */
function flatten(kind: string, operands: ConditionNode[]): Key[] {
  const out: Key[] = [];
  for (const n of operands) {
    if (isComment(n)) continue;
    if (n.kind === 'operator' && n.operator.trim().toLowerCase() === kind) {
      // A loop, not push(...): spreading a huge operand list overflows the stack.
      for (const k of flatten(kind, n.operands)) out.push(k);
      continue;
    }
    out.push(nodeKey(n));
  }
  return out;
}

function nodeKey(n: ConditionNode): Key {
  if (n.kind === 'raw') return ['raw', collapseXml(n.xml)];
  if (n.kind === 'operator') {
    const type = n.operator.trim().toLowerCase();
    if (type === 'and' || type === 'or') {
      const kids = flatten(type, n.operands);
      return kids.length === 1 ? kids[0] : [type, ...kids];
    }
    if (type === 'not') {
      const kids = flatten('and', n.operands);
      return ['not', kids.length === 1 ? kids[0] : ['and', ...kids]];
    }
    return [type, ...n.operands.filter((k) => !isComment(k)).map(nodeKey)];
  }
  let type = n.type.trim().toLowerCase();
  if (type.startsWith(TYPE_PREFIX.toLowerCase())) type = type.slice(TYPE_PREFIX.length);
  const props = n.properties.map((p): [string, string] => {
    const name = p.name.trim().toLowerCase();
    let value = p.value.trim();
    if (name === 'operator' || name.endsWith('operator')) value = operatorName(value);
    // Task sequence variable names are case-insensitive (§10).
    if (type === 'variableconditionexpression' && name === 'variable') value = value.toLowerCase();
    if (type === 'wmiconditionexpression') value = oneLine(value);
    return [name, value];
  });
  props.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return ['expr', type, ...props.map((p) => `${p[0]}=${p[1]}`)];
}
