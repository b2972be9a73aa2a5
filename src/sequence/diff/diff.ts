/**
 * Semantic diff of two task sequences, in an admin's terms: what was added, removed, moved,
 * renamed, and which options, properties, command lines and conditions changed. Compares effective
 * values only (absent disable ≡ disable="false", runIn absent ≡ WinPEandFullOS, …), so layout,
 * attribute order and other formatting never show up.
 */
import type { ContentReference, Group, Step, StepVariable, TaskSequence } from '../model/task-sequence.js';
import { pathText } from '../model/walk.js';
import { conditionKey, describeCondition } from '../condition/describe.js';
import { buildTree, matchTrees, movedNodes, type Matching, type TreeNode } from './match.js';
import { displayAction, displayValue, isSecretVariable, secretValuesOf, secretVariablesOf } from './secrets.js';
import { actionText, optionValues, sameOption, variableText, type OptionValue } from './semantics.js';

export type ChangeKind =
  'added' | 'removed' | 'moved' | 'renamed' | 'option-changed' | 'property-changed' | 'action-changed' | 'condition-changed' | 'sequence-changed';

export type ChangeValue = string | number | boolean | null;

export interface SequenceChange {
  kind: ChangeKind;
  /** The item changed; absent on sequence-changed. */
  itemKind?: 'group' | 'step';
  /** Path (pathText) in A: for removed items and paired ones. */
  pathA?: string;
  /** Path (pathText) in B: for added items and paired ones. */
  pathB?: string;
  /**
   * What changed: the option (disable, runIn, … or an unknown attribute's name), the property
   * (variable name as written in B, else A), or for sequence-changed one of version, name,
   * description, packageName, packageDescription, referenceList, globalVarList.
   */
  field?: string;
  /** property-changed / list entries: which aspect of the entry changed. */
  aspect?: 'added' | 'removed' | 'value' | 'hidden' | 'property';
  /**
   * Old and new value, with secrets masked. null = absent / none. moved: the parent path
   * (''= top level); condition-changed: describeCondition text.
   */
  before?: ChangeValue;
  after?: ChangeValue;
  /** moved: 1-based position among the group/step siblings in A and in B. */
  indexA?: number;
  indexB?: number;
  /** One line for people. */
  message: string;
}

export function diffSequences(a: TaskSequence, b: TaskSequence): SequenceChange[] {
  const m = matchTrees(buildTree(a, 'a'), buildTree(b, 'b'));
  const out: Array<{ at: number; change: SequenceChange }> = [];
  const emit = (at: number) => (change: SequenceChange) => out.push({ at, change });

  for (const change of sequenceChanges(a, b)) emit(-1)(change);

  const moved = movedNodes(m);
  for (const nb of m.b.nodes) {
    const na = m.ba.get(nb);
    if (na) itemChanges(na, nb, moved.get(nb), emit(nb.order));
    else if (!nb.parent || m.ba.has(nb.parent)) emit(nb.order)(addedOrRemoved('added', m, nb));
  }
  // Removed items go right after the B position of the nearest earlier paired item of A.
  let anchor = -0.5;
  for (const na of m.a.nodes) {
    const nb = m.ab.get(na);
    if (nb) anchor = nb.order + 0.5;
    else if (!na.parent || m.ab.has(na.parent)) emit(anchor)(addedOrRemoved('removed', m, na));
  }
  // Stable sort: within one position, changes keep the order they were produced in.
  return out.sort((x, y) => x.at - y.at).map((x) => x.change);
}

// ---------------------------------------------------------------------------------------------
// Items

const word = (item: Group | Step): 'group' | 'step' => item.kind;

/** `"A / B"` or `the top level`. */
function where(parent: TreeNode | undefined): string {
  return parent ? `"${pathText(parent.path)}"` : 'the top level';
}

function addedOrRemoved(kind: 'added' | 'removed', m: Matching, n: TreeNode): SequenceChange {
  const item = n.item;
  // Unpaired descendants are part of this change; paired ones are reported where they went.
  const partners = n.side === 'a' ? m.ab : m.ba;
  let groups = 0;
  let steps = 0;
  const count = (node: TreeNode): void => {
    for (const c of node.children) {
      if (partners.has(c)) continue;
      if (c.item.kind === 'group') groups++;
      else steps++;
      count(c);
    }
  };
  count(n);
  const contents = [groups ? `${groups} group${groups > 1 ? 's' : ''}` : '', steps ? `${steps} step${steps > 1 ? 's' : ''}` : ''].filter(Boolean).join(', ');
  const verb = kind === 'added' ? 'added to' : 'removed from';
  const message = `${word(item)} "${item.name}" ${verb} ${where(n.parent)}` + (contents ? ` (${kind === 'added' ? 'with' : 'and its'} ${contents})` : '');
  return {
    kind,
    itemKind: word(item),
    ...(kind === 'added' ? { pathB: pathText(n.path) } : { pathA: pathText(n.path) }),
    message,
  };
}

function itemChanges(na: TreeNode, nb: TreeNode, move: 'parent' | 'order' | undefined, emit: (c: SequenceChange) => void): void {
  const a = na.item;
  const b = nb.item;
  const kind = word(b);
  const base = { itemKind: kind, pathA: pathText(na.path), pathB: pathText(nb.path) };
  const label = `${kind} "${b.name}"`;

  if (move) {
    const from = na.parent ? pathText(na.parent.path) : '';
    const to = nb.parent ? pathText(nb.parent.path) : '';
    const message =
      move === 'parent'
        ? `${label} moved from ${where(na.parent)} to ${where(nb.parent)}`
        : `${label} moved within ${where(nb.parent)} from position ${na.index + 1} to ${nb.index + 1}`;
    emit({ kind: 'moved', ...base, before: from, after: to, indexA: na.index + 1, indexB: nb.index + 1, message });
  }

  if (a.name !== b.name) {
    emit({ kind: 'renamed', ...base, before: a.name, after: b.name, message: `${kind} "${a.name}" renamed to "${b.name}"` });
  }

  const before = new Map(optionValues(a));
  for (const [field, after] of optionValues(b)) {
    const old = before.has(field) ? before.get(field)! : null;
    if (sameOption(field, old, after)) continue;
    const quoted = field === 'description' || field === 'startIn';
    emit({
      kind: 'option-changed',
      ...base,
      field,
      before: old,
      after,
      message: `${field} of ${label} changed: ${show(old, quoted)} → ${show(after, quoted)}`,
    });
  }
  // Attributes the model does not know (kept verbatim by import) are options too.
  const ea = a.extraAttributes ?? {};
  const eb = b.extraAttributes ?? {};
  for (const name of [...new Set([...Object.keys(ea), ...Object.keys(eb)])]) {
    const x = ea[name] ?? null;
    const y = eb[name] ?? null;
    if (x === y) continue;
    emit({ kind: 'option-changed', ...base, field: name, before: x, after: y, message: `${name} of ${label} changed: ${show(x, true)} → ${show(y, true)}` });
  }

  if (a.kind === 'step' && b.kind === 'step') {
    const sa = secretVariablesOf(a);
    const sb = secretVariablesOf(b);
    if (actionText(a) !== actionText(b)) {
      const values = [...secretValuesOf(a, sa), ...secretValuesOf(b, sb)];
      const x = displayAction(a.action ?? '', values);
      const y = displayAction(b.action ?? '', values);
      emit({
        kind: 'action-changed',
        ...base,
        before: a.action === undefined ? null : x,
        after: b.action === undefined ? null : y,
        message: `command line of ${label} changed: ${show(x, true)} → ${show(y, true)}`,
      });
    }
    for (const d of variableDeltas(a.variables, b.variables, sa, sb)) {
      emit({ kind: 'property-changed', ...base, ...d, message: `property ${d.field} of ${label} ${deltaText(d)}` });
    }
  }

  if (conditionKey(a.condition) !== conditionKey(b.condition)) {
    const x = conditionKey(a.condition) ? describeCondition(a.condition!) : null;
    const y = conditionKey(b.condition) ? describeCondition(b.condition!) : null;
    emit({
      kind: 'condition-changed',
      ...base,
      before: x,
      after: y,
      message: `condition of ${label} changed: ${clip(x ?? '(none)')} → ${clip(y ?? '(none)')}`,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Variables (step properties and the globalVarList)

interface VariableDelta {
  field: string;
  aspect: 'added' | 'removed' | 'value' | 'hidden' | 'property';
  before: ChangeValue;
  after: ChangeValue;
}

/** By name, case-insensitively; a name listed twice pairs up in order. */
function variableDeltas(va: StepVariable[] | undefined, vb: StepVariable[] | undefined, secretsA: Set<string>, secretsB: Set<string>): VariableDelta[] {
  const out: VariableDelta[] = [];
  // Per name: A's variables in order and how many are taken (push and an index: copying or
  // shifting the list would be quadratic in a step that repeats one name many times).
  const pending = new Map<string, { list: StepVariable[]; next: number }>();
  for (const v of va ?? []) {
    const k = v.name.trim().toLowerCase();
    const q = pending.get(k);
    if (q) q.list.push(v);
    else pending.set(k, { list: [v], next: 0 });
  }
  for (const y of vb ?? []) {
    const k = y.name.trim().toLowerCase();
    const q = pending.get(k);
    const x = q && q.next < q.list.length ? q.list[q.next++] : undefined;
    const field = y.name.trim();
    if (!x) {
      out.push({ field, aspect: 'added', before: null, after: displayValue(y, secretsB) });
      continue;
    }
    // A masked secret still reports that it changed, as ******** → ********.
    if (variableText(x) !== variableText(y)) out.push({ field, aspect: 'value', before: displayValue(x, secretsA), after: displayValue(y, secretsB) });
    if ((x.hidden === true) !== (y.hidden === true)) out.push({ field, aspect: 'hidden', before: x.hidden === true, after: y.hidden === true });
    if ((x.property ?? '').trim() !== (y.property ?? '').trim()) {
      out.push({ field, aspect: 'property', before: x.property?.trim() || null, after: y.property?.trim() || null });
    }
  }
  for (const q of pending.values()) {
    for (let i = q.next; i < q.list.length; i++) {
      const x = q.list[i];
      out.push({ field: x.name.trim(), aspect: 'removed', before: displayValue(x, secretsA), after: null });
    }
  }
  return out;
}

function deltaText(d: VariableDelta): string {
  switch (d.aspect) {
    case 'added':
      return `added: ${show(d.after, true)}`;
    case 'removed':
      return `removed (was ${show(d.before, true)})`;
    case 'value':
      return `changed: ${show(d.before, true)} → ${show(d.after, true)}`;
    case 'hidden':
      return `hidden changed: ${show(d.before)} → ${show(d.after)}`;
    case 'property':
      return `WMI property changed: ${show(d.before)} → ${show(d.after)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// The sequence itself

function sequenceChanges(a: TaskSequence, b: TaskSequence): SequenceChange[] {
  const out: SequenceChange[] = [];
  const scalar = (field: string, label: string, x: string | undefined, y: string | undefined): void => {
    const p = (x ?? '').trim();
    const q = (y ?? '').trim();
    if (p === q) return;
    const quoted = field !== 'version';
    out.push({ kind: 'sequence-changed', field, before: x ?? null, after: y ?? null, message: `${label} changed: ${show(p, quoted)} → ${show(q, quoted)}` });
  };
  scalar('version', 'sequence version', a.version, b.version);
  scalar('name', 'sequence name', a.name, b.name);
  scalar('description', 'sequence description', a.description, b.description);
  // Package wrapper / console export: the name admins know the task sequence by.
  const pa = envelopeProperties(a);
  const pb = envelopeProperties(b);
  if (pa && pb) {
    scalar('packageName', 'package name', pa.Name, pb.Name);
    scalar('packageDescription', 'package description', pa.Description, pb.Description);
  }

  // The referenceList is a set of content; order carries no meaning.
  const refs = new Map<string, number>();
  for (const r of a.references ?? []) refs.set(referenceKey(r), (refs.get(referenceKey(r)) ?? 0) + 1);
  for (const r of b.references ?? []) {
    const k = referenceKey(r);
    const n = refs.get(k) ?? 0;
    if (n > 0) {
      refs.set(k, n - 1);
      continue;
    }
    const text = referenceText(r);
    out.push({ kind: 'sequence-changed', field: 'referenceList', aspect: 'added', before: null, after: text, message: `reference ${text} added` });
  }
  for (const r of a.references ?? []) {
    const k = referenceKey(r);
    const n = refs.get(k) ?? 0;
    if (n === 0) continue;
    refs.set(k, n - 1);
    const text = referenceText(r);
    out.push({ kind: 'sequence-changed', field: 'referenceList', aspect: 'removed', before: text, after: null, message: `reference ${text} removed` });
  }

  const globalSecrets = (vars: StepVariable[] | undefined): Set<string> =>
    new Set((vars ?? []).filter((v) => isSecretVariable(v.name)).map((v) => v.name.toLowerCase()));
  for (const d of variableDeltas(a.globalVariables, b.globalVariables, globalSecrets(a.globalVariables), globalSecrets(b.globalVariables))) {
    out.push({
      kind: 'sequence-changed',
      field: 'globalVarList',
      aspect: d.aspect,
      before: d.before,
      after: d.after,
      message: `global variable ${d.field} ${deltaText(d)}`,
    });
  }
  return out;
}

function envelopeProperties(ts: TaskSequence): Record<string, string> | undefined {
  const e = ts.envelope;
  return e && (e.kind === 'package' || e.kind === 'console-export') ? e.properties : undefined;
}

function referenceKey(r: ContentReference): string {
  // Package IDs are upper-case by convention but compared case-insensitively by ConfigMgr.
  return JSON.stringify([(r.package ?? '').trim().toUpperCase(), (r.program ?? '').trim(), (r.application ?? '').trim()]);
}

function referenceText(r: ContentReference): string {
  const parts: string[] = [];
  if (r.package !== undefined) parts.push(`package ${r.package.trim()}`);
  if (r.program !== undefined) parts.push(`program "${r.program}"`);
  if (r.application !== undefined) parts.push(`application ${r.application.trim()}`);
  return parts.join(' ') || '(empty reference)';
}

// ---------------------------------------------------------------------------------------------
// Message text

const CLIP = 160;

/**
 * One line, bounded: values can be scripts or whole rule documents. Each run of white space that
 * holds a line break becomes ⏎ (replaced run by run: a regex of optional space around line breaks
 * backtracks quadratically over a long run of spaces).
 */
function clip(s: string): string {
  const one = s.replace(/\s+/g, (ws) => (ws.includes('\n') || ws.includes('\r') ? ' ⏎ ' : ws));
  return one.length > CLIP ? `${one.slice(0, CLIP - 1)}…` : one;
}

function show(v: OptionValue | undefined, quoted = false): string {
  if (v === null || v === undefined) return '(none)';
  if (typeof v === 'string') return quoted ? `"${clip(v)}"` : clip(v) || '""';
  return String(v);
}
