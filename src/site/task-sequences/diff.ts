/**
 * Comparing two revisions (sequence/diff): the changes as JSON and as the text `osd ts diff`
 * prints. The stored bodies are compared, so no secret value can reach the output; secrets that
 * changed are listed by address only ("secret value changed (********)").
 */
import { diffSequences, formatChanges, type SequenceChange } from '../../sequence/diff/index.js';
import type { Site } from '../site.js';
import { loadRevision } from './revisions.js';
import { secretChanges, type SecretChange } from './secrets.js';

export interface RevisionComparison {
  id: string;
  from: number;
  to: number;
  changes: SequenceChange[];
  secretChanges: SecretChange[];
  text: string;
}

export async function compareRevisions(site: Site, id: string, from: number, to: number): Promise<RevisionComparison> {
  const a = await loadRevision(site, id, from, { withSecrets: true });
  const b = await loadRevision(site, id, to, { withSecrets: true });
  const changes = diffSequences(a.stored, b.stored);
  const secrets = secretChanges(a.secrets, b.secrets);
  let text = changes.length || !secrets.length ? formatChanges(changes) : '';
  if (secrets.length) {
    text += `${text ? '\n' : ''}Secrets (${secrets.length})\n${secrets.map((s) => `  ~ ${s.message}`).join('\n')}\n`;
  }
  return { id: a.packageId, from: a.info.revision, to: b.info.revision, changes, secretChanges: secrets, text };
}
