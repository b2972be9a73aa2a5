/**
 * Lint a revision against the site's real content (osd-features §4.1: an invalid reference greys
 * out Deploy): sequence/lint with the site manifest built from the database, and the engine's
 * condition validator, as `osd ts lint` runs them. The masked model is linted, so a password that
 * is set counts as set, and no finding can quote one.
 */
import { conditionWarnings, validateCondition } from '../../engine/conditions/index.js';
import type { LintFinding } from '../../sequence/lint/finding.js';
import { lintSequence } from '../../sequence/lint/lint.js';
import type { TaskSequence } from '../../sequence/model/task-sequence.js';
import { MASK } from '../../sequence/secrets.js';
import { buildSiteManifest } from '../objects/site-manifest.js';
import type { Site } from '../site.js';
import { checkSiteLimits, loadRevision } from './revisions.js';
import { separateSecrets } from './secrets.js';
import { jsonText, readSequenceContent } from './task-sequences.js';

export interface RevisionLint {
  id: string;
  revision: number;
  findings: LintFinding[];
  counts: { error: number; warning: number; info: number };
}

export async function lintTaskSequence(site: Site, id: string, revision?: number): Promise<RevisionLint> {
  const loaded = await loadRevision(site, id, revision, { withSecrets: true });
  const masked = separateSecrets(loaded.sequence, MASK).sequence;
  const { findings, counts } = await lintModel(site, masked);
  return { id: loaded.packageId, revision: loaded.info.revision, findings, counts };
}

/**
 * Lint a sequence that is not saved (the console's editor): the JSON document the site gives with a
 * task sequence, secrets shown as ******** (they count as set). Checked as a save checks it first
 * (JSON, the save limits), so what lints clean here saves.
 */
export async function lintUnsaved(site: Site, document: Record<string, unknown>): Promise<Omit<RevisionLint, 'id' | 'revision'>> {
  const loaded = await readSequenceContent({ format: 'json', content: jsonText(document, 'body.sequence') }, 'body.sequence');
  checkSiteLimits(loaded.sequence, 'body.sequence');
  return lintModel(site, loaded.sequence);
}

async function lintModel(site: Site, masked: TaskSequence): Promise<Omit<RevisionLint, 'id' | 'revision'>> {
  const manifest = await buildSiteManifest(site.db, site.siteCode);
  const findings = lintSequence(masked, {
    manifest,
    checkCondition: (c) =>
      [...validateCondition(c), ...conditionWarnings(c)]
        .filter((e) => (e.construct !== 'operator' && e.construct !== 'logical operator') || e.rule !== undefined)
        .map((e) => ({
          severity: e.severity,
          rule: e.rule,
          message: `${e.construct}: ${e.message}${e.column ? ` (column ${e.column})` : ''} in ${e.text}`,
          hint: e.hint,
        })),
  });
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return { findings, counts };
}
