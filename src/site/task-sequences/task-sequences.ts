/**
 * Task sequences at the site (osd-features §2.10): import one (bare XML, SmsTaskSequencePackage
 * wrapper, console-export zip, our JSON), save a new revision of it, read it, list, delete.
 * Every change validates first, then writes the package row, the revision, its references and the
 * audit entry in ONE transaction.
 */
import type { LoadResult, SourceFormat } from '../../sequence/codec/load.js';
import { loadTaskSequenceAsync } from '../../sequence/codec/load.js';
import { InputError } from '../../sequence/input-error.js';
import { checkJsonDepth } from '../../sequence/limits.js';
import type { TaskSequence } from '../../sequence/model/task-sequence.js';
import { MASK } from '../../sequence/secrets.js';
import { audit } from '../audit.js';
import type { Queryable } from '../db/database.js';
import { containsPattern } from '../db/like.js';
import { badInput, conflict, inUse, SiteError } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import { nextSiteId } from '../ids.js';
import { PACKAGE_TYPE } from '../objects/package-types.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import {
  DEFAULT_PROPERTIES,
  isUniqueViolation,
  MAX_DESCRIPTION_LENGTH,
  MAX_NAME_LENGTH,
  readTaskSequenceRow,
  type RevisionInfo,
  sequenceDocument,
  type TaskSequenceInfo,
  type TaskSequenceProperties,
  toInfo,
  TS_COLUMNS,
  type TaskSequenceRow,
} from './model.js';
import type { SequenceReference } from './references.js';
import { followedWarning } from './current-revision.js';
import { checkFolderPath } from './folders.js';
import { checkSiteLimits, insertRevision, loadRevision, prepareRevision, resolveRevision, revisionReferences } from './revisions.js';
import { carryOverSecrets, separateSecrets } from './secrets.js';

/** A task sequence file sent to the API: text (XML, JSON) or base64 (zip, or any of them). */
export interface SequenceContent {
  format: SourceFormat;
  content: string | Uint8Array;
  /** Default: base64 for zip, text otherwise. */
  encoding?: 'text' | 'base64';
}

export interface ImportInput extends SequenceContent {
  name?: string;
  description?: string;
  bootImageId?: string;
  message?: string;
  /** The console folder it lands in (names joined by "/"; default the top). */
  folder?: string;
}

export interface TaskSequenceDetail extends TaskSequenceInfo {
  revision: RevisionInfo;
  /** Canonical JSON document of the revision; secrets shown as ********. */
  sequence: Record<string, unknown>;
  references: SequenceReference[];
}

export interface SaveResult {
  taskSequence: TaskSequenceInfo;
  revision: RevisionInfo;
  references: SequenceReference[];
  warnings: string[];
}

/**
 * Reads the file content of a request into the model (an InputError names `field`). A zip is
 * inflated without blocking the server (zip-reader.ts); every limit of sequence/limits.ts holds.
 */
export async function readSequenceContent(input: SequenceContent, field: string): Promise<LoadResult> {
  const encoding = input.encoding ?? (input.format === 'zip' ? 'base64' : 'text');
  let bytes: Uint8Array;
  if (typeof input.content !== 'string') bytes = input.content;
  else if (encoding === 'base64') {
    if (!/^[A-Za-z0-9+/=\s_-]*$/.test(input.content))
      throw badInput(field, 'is not base64', 'send a zip as base64, or the raw file with Content-Type: application/zip');
    bytes = Buffer.from(input.content, 'base64');
  } else bytes = Buffer.from(input.content, 'utf8');
  try {
    return await loadTaskSequenceAsync(bytes, field);
  } catch (e) {
    if (e instanceof InputError) {
      const where = e.location ? ` (line ${e.location.line}, column ${e.location.column})` : '';
      throw badInput(
        field,
        `${e.rule}${where}`,
        e.hint ??
          `expected ${input.format === 'zip' ? 'a console export .zip' : input.format === 'json' ? 'an openosd.task-sequence JSON document' : 'task sequence XML'}`,
      );
    }
    throw e;
  }
}

export async function checkBootImage(db: Queryable, id: string, field: string): Promise<string> {
  const { rows } = await db.query<{ package_id: string; package_type: number }>(
    'SELECT package_id, package_type FROM packages WHERE upper(package_id) = upper($1)',
    [id.trim()],
  );
  const p = rows[0];
  if (!p) throw badInput(field, `no package ${id} at this site`, 'give the PackageID of one of the boot images', nextSteps('list-boot-images'));
  if (p.package_type !== PACKAGE_TYPE.bootImage)
    throw badInput(field, `${p.package_id} is not a boot image (PackageType ${p.package_type})`, 'give the PackageID of a boot image (PackageType 258)');
  return p.package_id;
}

export function checkName(name: string, field: string): string {
  const n = name.trim();
  if (!n) throw badInput(field, 'a task sequence needs a name', 'give it a name of 1 to 50 characters');
  if (n.length > MAX_NAME_LENGTH) throw badInput(field, `the name is ${n.length} characters; at most ${MAX_NAME_LENGTH}`, 'shorten it (the console allows 50)');
  return n;
}

export function checkDescription(description: string, field: string): string {
  if (description.length > MAX_DESCRIPTION_LENGTH)
    throw badInput(field, `the description is ${description.length} characters; at most ${MAX_DESCRIPTION_LENGTH}`, 'shorten it');
  return description;
}

async function checkNameFree(db: Queryable, name: string, field: string, except?: string): Promise<void> {
  const { rows } = await db.query<{ package_id: string }>('SELECT package_id FROM task_sequences WHERE lower(name) = lower($1) AND package_id <> $2', [
    name,
    except ?? '',
  ]);
  if (rows[0]) throw conflict(field, `task sequence ${rows[0].package_id} is already named "${name}"`, 'names are unique at the site: choose another name');
}

export interface CreateInput {
  name: string;
  description: string;
  bootImageId: string | null;
  properties?: Partial<TaskSequenceProperties>;
  /** The full model (secrets in it). */
  sequence: TaskSequence;
  message: string;
  /** Audit action, e.g. import / create-with-wizard. */
  action: string;
  /** What a refusal of the sequence names (default "sequence"). */
  field?: string;
  warnings?: string[];
  /** The console folder, checked by checkFolderPath (default '': the top). */
  folder?: string;
}

/** Creates the package and its revision 1 in one transaction. Fields are checked by the caller. */
export async function createTaskSequence(site: Site, actor: Actor, input: CreateInput): Promise<SaveResult> {
  const prepared = prepareRevision(site, input.sequence, input.field ?? 'sequence');
  const properties = { ...DEFAULT_PROPERTIES, ...input.properties };
  try {
    return await site.db.transaction(async (tx) => {
      await checkNameFree(tx, input.name, 'body.name');
      const id = await nextSiteId(tx, site.siteCode, 'package');
      await tx.query(
        'INSERT INTO task_sequences (package_id, name, description, boot_image_id, current_revision, properties, folder) VALUES ($1, $2, $3, $4, 1, $5, $6)',
        [id, input.name, input.description, input.bootImageId, JSON.stringify(properties), input.folder ?? ''],
      );
      const { info, references } = await insertRevision(tx, actor, id, 1, input.message, prepared, input.bootImageId);
      await audit(tx, actor, input.action, 'task-sequence', id, {
        name: input.name,
        revision: 1,
        message: input.message,
        bootImageId: input.bootImageId,
        steps: prepared.stepCount,
        sizeBytes: prepared.sizeBytes,
        secretCount: Object.keys(prepared.secrets).length,
        ...(input.folder ? { folder: input.folder } : {}),
      });
      const row = await readTaskSequenceRow(tx, id);
      return { taskSequence: toInfo(row), revision: info, references, warnings: input.warnings ?? [] };
    });
  } catch (e) {
    if (isUniqueViolation(e))
      throw conflict('body.name', `a task sequence is already named "${input.name}"`, 'names are unique at the site: choose another name');
    throw e;
  }
}

/**
 * Import: the name, description and boot image come from the request, else from the file's
 * package properties (wrapper or console export: Name, Description, BootImageID, Duration), else
 * from `<sequence name>` (MDT). A file's boot image this site does not have is dropped with a
 * warning (set one with PATCH); one given in the request must exist.
 */
export async function importTaskSequence(site: Site, actor: Actor, input: ImportInput, folderField = 'body.folder'): Promise<SaveResult> {
  const folder = input.folder !== undefined ? checkFolderPath(input.folder, folderField) : undefined;
  const loaded = await readSequenceContent(input, 'body.content');
  checkSiteLimits(loaded.sequence, 'body.content');
  const envelopeProps = loaded.sequence.envelope && loaded.sequence.envelope.kind !== 'sequence' ? loaded.sequence.envelope.properties : {};
  const prop = (key: string): string | undefined => {
    const k = Object.keys(envelopeProps).find((x) => x.toLowerCase() === key.toLowerCase());
    return k === undefined ? undefined : envelopeProps[k];
  };
  const warnings = loaded.warnings.map((w) => `${w.at ? `${w.at}: ` : ''}${w.message}`);
  const rawName = input.name ?? prop('Name') ?? loaded.sequence.name;
  if (rawName === undefined || rawName.trim() === '') {
    throw badInput('body.name', 'the file does not name the task sequence', 'give a name in the request (name, or ?name= with a raw body)');
  }
  const name = checkName(rawName, input.name !== undefined ? 'body.name' : 'content Name');
  const description = checkDescription(input.description ?? prop('Description') ?? loaded.sequence.description ?? '', 'body.description');
  let bootImageId: string | null = null;
  if (input.bootImageId) bootImageId = await checkBootImage(site.db, input.bootImageId, 'body.bootImageId');
  else {
    const fromFile = prop('BootImageID')?.trim();
    if (fromFile) {
      try {
        bootImageId = await checkBootImage(site.db, fromFile, 'BootImageID');
      } catch {
        warnings.push(
          `the file's boot image ${fromFile} is not a boot image of this site: imported without a boot image; set one in the task sequence's properties`,
        );
      }
    }
  }
  const properties: Partial<TaskSequenceProperties> = {};
  const duration = prop('Duration');
  if (duration !== undefined && /^\d+$/.test(duration.trim())) properties.maxRunTimeMinutes = Number(duration.trim());
  return createTaskSequence(site, actor, {
    name,
    description,
    bootImageId,
    properties,
    sequence: loaded.sequence,
    message: input.message ?? `Imported (${loaded.format})`,
    action: 'import',
    field: 'body.content',
    warnings,
    folder,
  });
}

export interface SaveInput {
  /** The revision the edit started from: a save on top of someone else's is refused (409). */
  baseRevision: number;
  message?: string;
  /** The canonical JSON document (as GET /task-sequences/{id} returns it), or … */
  sequence?: Record<string, unknown>;
  /** … a task sequence file (XML, wrapper, zip, JSON). */
  file?: SequenceContent;
  /** Addresses of secrets to remove (a secret shown as ******** is otherwise kept). */
  clearSecrets?: string[];
}

function conflictWithCurrent(row: TaskSequenceRow, author: string, at: Date, base: number): SiteError {
  return conflict(
    'body.baseRevision',
    `the task sequence is at revision ${row.current_revision} (saved by ${author} at ${at.toISOString()}), not ${base}`,
    `load revision ${row.current_revision}, apply your change to it and save with baseRevision ${row.current_revision}`,
    { currentRevision: row.current_revision, currentAuthor: author, currentSavedAt: at.toISOString() },
  );
}

/** A new revision. Unchanged secrets (shown as ******** or exported empty) are carried over. */
export async function saveTaskSequence(site: Site, actor: Actor, id: string, input: SaveInput): Promise<SaveResult> {
  if ((input.sequence === undefined) === (input.file === undefined)) {
    throw badInput(
      'body.sequence',
      'give the task sequence either as "sequence" (the JSON document) or as "content" with its "format"',
      "edit the task sequence's JSON document (the site gives it with the task sequence)",
      nextSteps({ step: 'show-task-sequence', ids: { id } }),
    );
  }
  const incoming =
    input.sequence !== undefined
      ? await readSequenceContent({ format: 'json', content: jsonText(input.sequence, 'body.sequence') }, 'body.sequence')
      : await readSequenceContent(input.file!, 'body.content');
  // Before the secrets of the previous revision are merged in (work per item and variable).
  checkSiteLimits(incoming.sequence, input.sequence !== undefined ? 'body.sequence' : 'body.content');
  const current = await readTaskSequenceRow(site.db, id);
  const base = await currentRevisionAuthor(site.db, current.package_id, current.current_revision);
  if (input.baseRevision !== current.current_revision) throw conflictWithCurrent(current, base.author, base.createdAt, input.baseRevision);
  const previous = await loadRevision(site, current.package_id, input.baseRevision, { withSecrets: true });
  const sequence = carryOverSecrets(incoming.sequence, previous.sequence, input.clearSecrets ?? []);
  const prepared = prepareRevision(site, sequence, input.sequence !== undefined ? 'body.sequence' : 'body.content');
  const message = input.message ?? '';
  return site.db.transaction(async (tx) => {
    // Locked, then checked again: two saves on the same base can't both win.
    const row = await readTaskSequenceRow(tx, current.package_id, { forUpdate: true });
    if (row.current_revision !== input.baseRevision) {
      const now = await currentRevisionAuthor(tx, row.package_id, row.current_revision);
      throw conflictWithCurrent(row, now.author, now.createdAt, input.baseRevision);
    }
    const revision = row.current_revision + 1;
    const { info, references, followedBy } = await insertRevision(tx, actor, row.package_id, revision, message, prepared, row.boot_image_id);
    await audit(tx, actor, 'save-revision', 'task-sequence', row.package_id, {
      revision,
      baseRevision: input.baseRevision,
      message,
      steps: prepared.stepCount,
      sizeBytes: prepared.sizeBytes,
      secretCount: Object.keys(prepared.secrets).length,
      clearedSecrets: input.clearSecrets ?? [],
    });
    return {
      taskSequence: toInfo(await readTaskSequenceRow(tx, row.package_id)),
      revision: info,
      references,
      warnings: [...incoming.warnings.map((w) => w.message), ...followedWarning(followedBy, revision)],
    };
  });
}

/** A parsed JSON body as text again, refusing first what JSON.stringify would overflow the stack on. */
export function jsonText(value: unknown, field: string): string {
  try {
    checkJsonDepth(value, field);
  } catch (e) {
    if (e instanceof InputError) throw badInput(field, e.rule, e.hint);
    throw e;
  }
  return JSON.stringify(value);
}

async function currentRevisionAuthor(db: Queryable, id: string, revision: number): Promise<{ author: string; createdAt: Date }> {
  const { rows } = await db.query<{ author: string; created_at: Date }>(
    'SELECT author, created_at FROM task_sequence_revisions WHERE package_id = $1 AND revision = $2',
    [id, revision],
  );
  return { author: rows[0]?.author ?? 'unknown', createdAt: rows[0]?.created_at ?? new Date(0) };
}

/** The model as admins see it: secrets that are set show as ********. */
export function maskedDocument(full: TaskSequence): Record<string, unknown> {
  return sequenceDocument(separateSecrets(full, MASK).sequence);
}

export async function getTaskSequence(site: Site, id: string, revision?: number): Promise<TaskSequenceDetail> {
  const row = await readTaskSequenceRow(site.db, id);
  const target = await resolveRevision(site.db, row.package_id, revision);
  const loaded = await loadRevision(site, row.package_id, target.revision, { withSecrets: true });
  return {
    ...toInfo(row),
    revision: loaded.info,
    sequence: maskedDocument(loaded.sequence),
    references: await revisionReferences(site.db, row.package_id, target.revision),
  };
}

/** Every task sequence, or those whose name or PackageID contains `search` (any case). */
export async function listTaskSequences(db: Queryable, filter: { search?: string; folder?: string } = {}): Promise<TaskSequenceInfo[]> {
  const params: unknown[] = [];
  const conditions: string[] = [];
  if (filter.search) {
    const p = params.push(containsPattern(filter.search));
    conditions.push(`(t.name ILIKE $${p} OR t.package_id ILIKE $${p})`);
  }
  // A folder exactly ('' the top); names compared without regard to case, as the console's folders are.
  if (filter.folder !== undefined) conditions.push(`lower(t.folder) = lower($${params.push(checkFolderPath(filter.folder, 'query.folder'))})`);
  const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
  const { rows } = await db.query<TaskSequenceRow>(`SELECT ${TS_COLUMNS} FROM task_sequences t ${where} ORDER BY t.package_id`, params);
  return rows.map(toInfo);
}

/** Refused while deployments exist (409 naming them): delete the deployments first. */
export async function deleteTaskSequence(site: Site, actor: Actor, id: string): Promise<TaskSequenceInfo> {
  return site.db.transaction(async (tx) => {
    const row = await readTaskSequenceRow(tx, id, { forUpdate: true });
    const deps = await tx.query<{ deployment_id: string; collection_id: string }>(
      'SELECT deployment_id, collection_id FROM deployments WHERE task_sequence_id = $1 ORDER BY deployment_id',
      [row.package_id],
    );
    if (deps.rows.length) {
      throw inUse(
        row.package_id,
        `the task sequence is deployed: ${deps.rows.map((d) => `${d.deployment_id} (to ${d.collection_id})`).join(', ')}`,
        'delete those deployments first',
        {
          deployments: deps.rows.map((d) => d.deployment_id),
          ...nextSteps(...deps.rows.slice(0, 10).map((d) => ({ step: 'delete-deployment' as const, ids: { id: d.deployment_id } }))),
        },
      );
    }
    const info = toInfo({ ...row, deployment_count: 0 });
    await tx.query('DELETE FROM task_sequences WHERE package_id = $1', [row.package_id]);
    await audit(tx, actor, 'delete', 'task-sequence', row.package_id, { name: row.name, lastRevision: row.current_revision });
    return info;
  });
}
