/**
 * Terminal rendering of a diff: a summary line, then one line per change grouped by kind (in a
 * fixed kind order, document order within a kind), so two runs over the same input print the same.
 */
import type { ChangeKind, SequenceChange } from './diff.js';

/** [kind, section title, line mark, summary noun singular, plural]. */
const SECTIONS: Array<[ChangeKind, string, string, string, string]> = [
  ['sequence-changed', 'Sequence', '*', 'sequence setting', 'sequence settings'],
  ['removed', 'Removed', '-', 'removed', 'removed'],
  ['added', 'Added', '+', 'added', 'added'],
  ['moved', 'Moved', '>', 'moved', 'moved'],
  ['renamed', 'Renamed', '~', 'renamed', 'renamed'],
  ['option-changed', 'Options', '~', 'option', 'options'],
  ['action-changed', 'Command lines', '~', 'command line', 'command lines'],
  ['property-changed', 'Properties', '~', 'property', 'properties'],
  ['condition-changed', 'Conditions', '~', 'condition', 'conditions'],
];

export function formatChanges(changes: SequenceChange[]): string {
  if (changes.length === 0) return 'No differences.\n';
  const counts = SECTIONS.map(([kind, , , one, many]) => {
    const n = changes.filter((c) => c.kind === kind).length;
    return n ? `${n} ${n === 1 ? one : many}` : '';
  }).filter(Boolean);
  const lines = [`${changes.length} change${changes.length === 1 ? '' : 's'}: ${counts.join(', ')}`];
  for (const [kind, title, mark] of SECTIONS) {
    const list = changes.filter((c) => c.kind === kind);
    if (!list.length) continue;
    lines.push('', `${title} (${list.length})`);
    for (const c of list) lines.push(`  ${mark} ${c.message}`);
  }
  return lines.join('\n') + '\n';
}
