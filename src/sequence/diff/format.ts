/**
 * Terminal rendering of a diff: a summary line, then one line per change grouped by kind (in a
 * fixed kind order, document order within a kind), so two runs over the same input print the same.
 */
import type { ChangeKind, SequenceChange } from './diff.js';

const SECTIONS: Array<[ChangeKind, string, string]> = [
  ['sequence-changed', 'Sequence', '*'],
  ['removed', 'Removed', '-'],
  ['added', 'Added', '+'],
  ['moved', 'Moved', '>'],
  ['renamed', 'Renamed', '~'],
  ['option-changed', 'Options', '~'],
  ['action-changed', 'Command lines', '~'],
  ['property-changed', 'Properties', '~'],
  ['condition-changed', 'Conditions', '~'],
];

export function formatChanges(changes: SequenceChange[]): string {
  if (changes.length === 0) return 'No differences.\n';
  const counts = SECTIONS.map(([kind, title]) => [title, changes.filter((c) => c.kind === kind).length] as const).filter(([, n]) => n > 0);
  const lines = [`${changes.length} change${changes.length === 1 ? '' : 's'}: ${counts.map(([t, n]) => `${n} ${t.toLowerCase()}`).join(', ')}`];
  for (const [kind, title, mark] of SECTIONS) {
    const list = changes.filter((c) => c.kind === kind);
    if (!list.length) continue;
    lines.push('', `${title} (${list.length})`);
    for (const c of list) lines.push(`  ${mark} ${c.message}`);
  }
  return lines.join('\n') + '\n';
}
