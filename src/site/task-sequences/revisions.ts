/**
 * Revisions: every save of a task sequence is a new numbered revision (author, time, message)
 * whose body is the canonical JSON with secrets emptied and whose secrets are sealed with the
 * site's key (secrets.ts). Writing one is always part of a caller's single transaction: the
 * revision row, its references and the package's current revision commit together or not at all.
 */
import { setCurrentRevision } from './current-revision.js';
import { ExportTooLarge, exportXmlText } from '../../sequence/codec/xml-export.js';
import { InputError } from '../../sequence/input-error.js';
import { MAX_SITE_ITEMS, validateSequenceLimits } from '../../sequence/limits.js';
import type { TaskSequence } from '../../sequence/model/task-sequence.js';
import { countItems } from '../../sequence/model/walk.js';
import type { Queryable } from '../db/database.js';
import { SiteError } from '../errors.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import {
  bodyToSequence,
  MAX_SEQUENCE_BYTES,
  readRevisionRow,
  readTaskSequenceRow,
  type RevisionInfo,
  type RevisionRow,
  sequenceDocument,
  toRevisionInfo,
} from './model.js';
import { sequenceReferences, type SequenceReference } from './references.js';
import { restoreSecrets, type SecretMap, separateSecrets } from './secrets.js';

export interface PreparedRevision {
  /** Canonical JSON document, secrets emptied. */
  body: Record<string, unknown>;
  /** The same sequence as a model (secrets emptied). */
  scrubbed: TaskSequence;
  secrets: SecretMap;
  sealedSecrets: string | null;
  sizeBytes: number;
  stepCount: number;
}

/**
 * Everything that can be refused or computed before the transaction: the input limits (nesting,
 * path length, attributes, 10,000 items: sequence/limits.ts — every save, import and wizard run passes here, so
 * what is stored can always be read, exported, linted and compared), the 2 MB limit (§2.10) and
 * the split into body and sealed secrets. The site's package is the sequence's envelope now, so a
 * wrapper or console-export envelope read from a file is not kept.
 */
export function prepareRevision(site: Site, full: TaskSequence, input: string): PreparedRevision {
  checkSiteLimits(full, input);
  const sequence: TaskSequence = { ...full, envelope: undefined };
  delete sequence.envelope;
  // Measured as ConfigMgr stores it: the bare <sequence> XML with its secret values in it. The
  // export stops soon after the limit: an 8 MiB upload costs no more than 2 MB of writing.
  let sizeBytes: number;
  let over = false;
  try {
    sizeBytes = Buffer.byteLength(exportXmlText(sequence, { bare: true, secretValues: true, maxBytes: MAX_SEQUENCE_BYTES }), 'utf8');
  } catch (e) {
    if (!(e instanceof ExportTooLarge)) throw e;
    sizeBytes = e.bytes;
    over = true;
  }
  if (over || sizeBytes > MAX_SEQUENCE_BYTES) {
    throw new SiteError('too-large', {
      input,
      rule: `the task sequence XML is ${over ? 'at least ' : ''}${sizeBytes.toLocaleString('en-US')} bytes; a task sequence larger than 2 MB (${MAX_SEQUENCE_BYTES.toLocaleString('en-US')} bytes) can't be saved or imported`,
      hint: 'split it into child task sequences (Run Task Sequence steps), or remove unused groups and long scripts from command lines',
    });
  }
  const separated = separateSecrets(sequence, '');
  const hasSecrets = Object.keys(separated.secrets).length > 0;
  return {
    body: sequenceDocument(separated.sequence),
    scrubbed: separated.sequence,
    secrets: separated.secrets,
    sealedSecrets: hasSecrets ? site.secrets.seal(JSON.stringify(separated.secrets)) : null,
    sizeBytes,
    stepCount: countItems(sequence).steps,
  };
}

/** The input limits of sequence/limits.ts with the site's item count: a 400 naming `input`. Linear. */
export function checkSiteLimits(sequence: TaskSequence, input: string): void {
  try {
    validateSequenceLimits(sequence, input, { maxItems: MAX_SITE_ITEMS });
  } catch (e) {
    if (e instanceof InputError) throw new SiteError('bad-input', { input, rule: e.rule, hint: e.hint });
    throw e;
  }
}

export async function insertRevision(
  tx: Queryable,
  actor: Actor,
  packageId: string,
  revision: number,
  message: string,
  prepared: PreparedRevision,
  bootImageId: string | null,
): Promise<{ info: RevisionInfo; references: SequenceReference[]; followedBy: string[] }> {
  const { rows } = await tx.query<Omit<RevisionRow, 'body' | 'secrets' | 'package_id'>>(
    `INSERT INTO task_sequence_revisions (package_id, revision, author, message, body, secrets, size_bytes, step_count)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING revision, author, message, created_at, size_bytes, step_count`,
    [packageId, revision, actor.name, message, JSON.stringify(prepared.body), prepared.sealedSecrets, prepared.sizeBytes, prepared.stepCount],
  );
  const references = sequenceReferences(prepared.scrubbed, bootImageId);
  for (const r of references) {
    await tx.query('INSERT INTO task_sequence_references (package_id, revision, ref_id, ref_kind) VALUES ($1, $2, $3, $4)', [
      packageId,
      revision,
      r.refId,
      r.refKind,
    ]);
  }
  const followedBy = await setCurrentRevision(tx, packageId, revision);
  return { info: toRevisionInfo(rows[0]!), references, followedBy };
}

export async function listRevisions(db: Queryable, id: string): Promise<RevisionInfo[]> {
  const ts = await readTaskSequenceRow(db, id);
  const { rows } = await db.query<Omit<RevisionRow, 'body' | 'secrets' | 'package_id'>>(
    'SELECT revision, author, message, created_at, size_bytes, step_count FROM task_sequence_revisions WHERE package_id = $1 ORDER BY revision DESC',
    [ts.package_id],
  );
  return rows.map(toRevisionInfo);
}

export async function revisionReferences(db: Queryable, id: string, revision: number): Promise<SequenceReference[]> {
  const { rows } = await db.query<{ ref_id: string; ref_kind: 'package' | 'application' }>(
    'SELECT ref_id, ref_kind FROM task_sequence_references WHERE package_id = $1 AND revision = $2 ORDER BY ref_kind DESC, ref_id',
    [id.toUpperCase(), revision],
  );
  return rows.map((r) => ({ refId: r.ref_id, refKind: r.ref_kind }));
}

export interface LoadedRevision {
  packageId: string;
  info: RevisionInfo;
  /** With secrets only when asked for; otherwise every secret is empty. */
  sequence: TaskSequence;
  /** The stored body as a model (secrets empty). */
  stored: TaskSequence;
  secrets: SecretMap;
}

/** `revision` undefined = the current one. */
export async function resolveRevision(db: Queryable, id: string, revision: number | undefined): Promise<{ packageId: string; revision: number }> {
  const ts = await readTaskSequenceRow(db, id);
  return { packageId: ts.package_id, revision: revision ?? ts.current_revision };
}

/**
 * A revision as the model. `withSecrets: true` puts the secret values back: for the site's own
 * use (policy for the management point), never for an API response, export, diff or log.
 */
export async function loadRevision(site: Site, id: string, revision: number | undefined, options: { withSecrets?: boolean } = {}): Promise<LoadedRevision> {
  const target = await resolveRevision(site.db, id, revision);
  const row = await readRevisionRow(site.db, target.packageId, target.revision);
  const stored = bodyToSequence(row.body);
  const secrets = openSecrets(site, row.secrets);
  return {
    packageId: target.packageId,
    info: toRevisionInfo(row),
    stored,
    secrets: options.withSecrets ? secrets : {},
    sequence: options.withSecrets ? restoreSecrets(stored, secrets) : stored,
  };
}

export function openSecrets(site: Site, sealed: string | null): SecretMap {
  if (!sealed) return {};
  return JSON.parse(site.secrets.open(sealed)) as SecretMap;
}
