/**
 * The canonical task sequence JSON (docs/task-sequence-json.md) as the items of a TreeView: groups
 * and steps with their path as id (`0`, `0.2`), disabled ones dimmed.
 */
import type { TreeItem } from '../../../components/TreeView';

export interface SequenceItem {
  kind: 'group' | 'step' | 'raw';
  name?: string;
  description?: string;
  type?: string;
  disable?: boolean;
  continueOnError?: boolean;
  items?: SequenceItem[];
  xml?: unknown;
}

export interface SequenceDocument {
  format?: string;
  sequence?: { items?: SequenceItem[] };
}

export function itemsOf(doc: Record<string, unknown> | undefined): SequenceItem[] {
  return (doc as SequenceDocument | undefined)?.sequence?.items ?? [];
}

export function toTree(items: SequenceItem[], prefix = ''): TreeItem[] {
  return items.map((item, i) => {
    const id = prefix ? `${prefix}.${i}` : String(i);
    const label = item.kind === 'raw' ? '(kept as written)' : (item.name ?? '(no name)');
    return {
      id,
      label,
      icon: item.kind === 'group' ? '▣' : item.kind === 'step' ? '•' : '·',
      dimmed: item.disable === true,
      ...(item.kind === 'group' ? { children: toTree(item.items ?? [], id) } : {}),
    };
  });
}

export function itemAt(items: SequenceItem[], id: string): SequenceItem | undefined {
  let list = items;
  let found: SequenceItem | undefined;
  for (const part of id.split('.')) {
    found = list[Number(part)];
    if (!found) return undefined;
    list = found.items ?? [];
  }
  return found;
}
