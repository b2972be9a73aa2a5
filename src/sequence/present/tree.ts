/**
 * The task sequence as an admin reads it in the editor: the tree, each item's condition in words,
 * disabled and continue-on-error marked, and (on request) each step's properties with secrets
 * masked. Used by `osd ts show` and, later, the console.
 */
import { stepDisplayNameOf } from '../catalog/display-names.js';
import { describeCondition } from '../condition/describe.js';
import type { Group, SequenceItem, Step, TaskSequence } from '../model/task-sequence.js';
import { continuesOnError, isDisabled, runInOf } from '../model/options.js';
import { countItems } from '../model/walk.js';
import { isSecretVariable, maskSecret } from '../secrets.js';

export interface TreeNode {
  kind: 'group' | 'step' | 'raw';
  name: string;
  path: string;
  type?: string;
  typeName?: string;
  description?: string;
  disabled: boolean;
  continueOnError: boolean;
  condition?: string;
  runIn?: string;
  action?: string;
  variables?: Array<{ name: string; property?: string; hidden: boolean; value: string }>;
  children?: TreeNode[];
}

export interface SequenceSummary {
  name?: string;
  version: string;
  envelope: string;
  groups: number;
  steps: number;
  references: number;
  globalVariables: Array<{ name: string; value: string }>;
  items: TreeNode[];
}

export function summarize(ts: TaskSequence, input?: string): SequenceSummary {
  const counts = countItems(ts);
  const env = ts.envelope;
  const name = ts.name ?? (env && env.kind !== 'sequence' ? env.properties.Name : undefined) ?? input;
  return {
    name,
    version: ts.version,
    envelope: env?.kind === 'package' ? 'SmsTaskSequencePackage wrapper' : env?.kind === 'console-export' ? `console export (${env.entry})` : 'sequence',
    groups: counts.groups,
    steps: counts.steps,
    references: ts.references?.length ?? 0,
    globalVariables: (ts.globalVariables ?? []).map((v) => ({ name: v.name, value: isSecretVariable(v.name) ? maskSecret(v.value) : v.value })),
    items: nodes(ts.items, []),
  };
}

function nodes(items: SequenceItem[], parent: string[]): TreeNode[] {
  const seen = new Map<string, number>();
  const out: TreeNode[] = [];
  for (const item of items) {
    if (item.kind === 'raw') {
      out.push({ kind: 'raw', name: '(kept XML)', path: [...parent, '(kept XML)'].join(' / '), disabled: false, continueOnError: false, action: item.xml });
      continue;
    }
    const n = (seen.get(item.name) ?? 0) + 1;
    seen.set(item.name, n);
    const path = [...parent, n > 1 ? `${item.name}[${n}]` : item.name];
    out.push(node(item, path));
  }
  return out;
}

function node(item: Group | Step, path: string[]): TreeNode {
  const base: TreeNode = {
    kind: item.kind,
    name: item.name,
    path: path.join(' / '),
    description: item.description || undefined,
    disabled: isDisabled(item),
    continueOnError: continuesOnError(item),
    condition: item.condition ? describeCondition(item.condition) : undefined,
  };
  if (item.kind === 'group') return { ...base, children: nodes(item.items, path) };
  return {
    ...base,
    type: item.type,
    typeName: stepDisplayNameOf(item.type) ?? (item.type ? undefined : 'command line (no type)'),
    runIn: runInOf(item),
    action: item.action,
    variables: (item.variables ?? []).map((v) => ({
      name: v.name,
      property: v.property,
      hidden: v.hidden === true,
      value: isSecretVariable(v.name) ? maskSecret(v.value) : v.value,
    })),
  };
}

export interface RenderOptions {
  /** Also list each step's properties. */
  variables?: boolean;
  /** Show each step's command line. */
  actions?: boolean;
  /** Limit the depth shown (0 = top level only). */
  depth?: number;
}

export function renderTree(summary: SequenceSummary, options: RenderOptions = {}): string {
  const lines: string[] = [];
  lines.push(
    `${summary.name ?? '(unnamed task sequence)'} — version ${summary.version}, ${summary.envelope}, ${summary.groups} groups, ${summary.steps} steps`,
  );
  if (summary.globalVariables.length) {
    lines.push(`global variables: ${summary.globalVariables.map((v) => `${v.name}=${v.value}`).join(', ')}`);
  }
  const walk = (list: TreeNode[], prefix: string, depth: number): void => {
    list.forEach((n, i) => {
      const last = i === list.length - 1;
      const branch = prefix + (last ? '└─ ' : '├─ ');
      const cont = prefix + (last ? '   ' : '│  ');
      const flags: string[] = [];
      if (n.disabled) flags.push('DISABLED');
      if (n.continueOnError) flags.push('continue on error');
      const label =
        n.kind === 'group'
          ? `▸ ${n.name}`
          : n.kind === 'raw'
            ? `(kept XML: ${truncate(n.action ?? '', 60)})`
            : `${n.name}${n.typeName && n.typeName !== n.name ? `  ‹${n.typeName}›` : n.type && !n.typeName ? `  ‹${n.type}›` : ''}`;
      lines.push(`${branch}${label}${flags.length ? `  [${flags.join(', ')}]` : ''}`);
      if (n.condition) lines.push(`${cont}    if ${n.condition}`);
      if (options.actions && n.kind === 'step' && n.action) lines.push(`${cont}    run: ${n.action}`);
      if (options.variables && n.variables?.length) {
        for (const v of n.variables) lines.push(`${cont}    ${v.name}${v.hidden ? ' (hidden)' : ''} = ${JSON.stringify(v.value)}`);
      }
      if (n.children && (options.depth === undefined || depth < options.depth)) walk(n.children, cont, depth + 1);
    });
  };
  walk(summary.items, '', 0);
  return lines.join('\n') + '\n';
}

function truncate(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}
