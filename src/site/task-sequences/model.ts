/**
 * The task sequence package as the site keeps it (osd-features §2.10, §4.6): its rows, the
 * properties admins set on it, the revision summary, and reading a stored body back into the
 * model. Shared by the services of this folder.
 */
import { exportJson, importJsonText } from '../../sequence/codec/json.js';
import { checkJsonDepth } from '../../sequence/limits.js';
import type { TaskSequence } from '../../sequence/model/task-sequence.js';
import type { Queryable } from '../db/database.js';
import { notFound, SiteError } from '../errors.js';
import { nextSteps } from '../next-steps.js';

/** §4.6 "Use custom text": a headline and three messages, each ≤ 255 characters, all required. */
export interface HighImpactText {
  headline: string;
  message1: string;
  message2: string;
  message3: string;
}

/** Kept in task_sequences.properties. */
export interface TaskSequenceProperties {
  /** Advanced › Maximum allowed run time, minutes (default 120; 0 = none, 12 h for monitoring). */
  maxRunTimeMinutes: number;
  /** User Notification › This is a high-impact task sequence. */
  highImpact: boolean;
  /** User Notification › Use custom text; null = the default text. */
  customText: HighImpactText | null;
  /** Advanced › Disable this task sequence on computers where it is deployed. */
  disabled: boolean;
}

export const DEFAULT_PROPERTIES: TaskSequenceProperties = { maxRunTimeMinutes: 120, highImpact: false, customText: null, disabled: false };
/** §4.6: the headline Software Center shows unless custom text is set. */
export const DEFAULT_HIGH_IMPACT_HEADLINE = 'Confirm you want to upgrade the operating system on this computer';

export const MAX_NAME_LENGTH = 50;
export const MAX_DESCRIPTION_LENGTH = 512;
/** §2.10: a task sequence larger than 2 MB in the database can't be saved or imported. */
export const MAX_SEQUENCE_BYTES = 2 * 1024 * 1024;

export interface RevisionInfo {
  revision: number;
  author: string;
  message: string;
  createdAt: string;
  sizeBytes: number;
  stepCount: number;
}

export interface TaskSequenceInfo {
  id: string;
  name: string;
  description: string;
  bootImageId: string | null;
  /** ConfigMgr's Type: 2 = an OS deployment task sequence (it has a boot image), 1 = generic. */
  type: 1 | 2;
  currentRevision: number;
  /** The console folder it is in: names joined by "/", '' at the top. */
  folder: string;
  properties: TaskSequenceProperties;
  deploymentCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface TaskSequenceRow {
  package_id: string;
  name: string;
  description: string;
  boot_image_id: string | null;
  current_revision: number;
  folder?: string;
  properties: Partial<TaskSequenceProperties>;
  created_at: Date;
  updated_at: Date;
  deployment_count?: number;
}

export const TS_COLUMNS = `t.package_id, t.name, t.description, t.boot_image_id, t.current_revision, t.folder, t.properties, t.created_at, t.updated_at,
  (SELECT count(*) FROM deployments d WHERE d.task_sequence_id = t.package_id)::int AS deployment_count`;

export function toInfo(r: TaskSequenceRow): TaskSequenceInfo {
  return {
    id: r.package_id,
    name: r.name,
    description: r.description,
    bootImageId: r.boot_image_id,
    type: r.boot_image_id ? 2 : 1,
    currentRevision: r.current_revision,
    folder: r.folder ?? '',
    properties: { ...DEFAULT_PROPERTIES, ...r.properties },
    deploymentCount: Number(r.deployment_count ?? 0),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export async function readTaskSequenceRow(db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<TaskSequenceRow> {
  const { rows } = await db.query<TaskSequenceRow>(
    options.forUpdate
      ? 'SELECT t.package_id, t.name, t.description, t.boot_image_id, t.current_revision, t.folder, t.properties, t.created_at, t.updated_at FROM task_sequences t WHERE t.package_id = $1 FOR UPDATE'
      : `SELECT ${TS_COLUMNS} FROM task_sequences t WHERE t.package_id = $1`,
    [id.toUpperCase()],
  );
  const row = rows[0];
  if (!row) throw notFound('task sequence', id, 'list the task sequences to find its id', nextSteps('list-task-sequences'));
  return row;
}

export interface RevisionRow {
  package_id: string;
  revision: number;
  author: string;
  message: string;
  created_at: Date;
  body: Record<string, unknown>;
  secrets: string | null;
  size_bytes: number;
  step_count: number;
}

export function toRevisionInfo(r: Omit<RevisionRow, 'body' | 'secrets' | 'package_id'>): RevisionInfo {
  return {
    revision: r.revision,
    author: r.author,
    message: r.message,
    createdAt: r.created_at.toISOString(),
    sizeBytes: r.size_bytes,
    stepCount: r.step_count,
  };
}

export async function readRevisionRow(db: Queryable, id: string, revision: number): Promise<RevisionRow> {
  const { rows } = await db.query<RevisionRow>(
    'SELECT package_id, revision, author, message, created_at, body, secrets, size_bytes, step_count FROM task_sequence_revisions WHERE package_id = $1 AND revision = $2',
    [id.toUpperCase(), revision],
  );
  const row = rows[0];
  if (!row) {
    throw new SiteError('not-found', {
      input: `${id} revision ${revision}`,
      rule: 'the task sequence has no such revision',
      hint: 'list its revisions to find the number',
      details: nextSteps({ step: 'list-task-sequence-revisions', ids: { id } }),
    });
  }
  return row;
}

/**
 * A stored body back into the model. jsonb does not keep key order, so it goes through the JSON
 * importer (which validates it, limits included, and restores nothing but the model). A body
 * stored before the limits (nested deeper than they allow) is refused here as bad input rather
 * than overflowing the stack in JSON.stringify.
 */
export function bodyToSequence(body: Record<string, unknown>): TaskSequence {
  checkJsonDepth(body, 'stored revision');
  return importJsonText(JSON.stringify(body), 'stored revision');
}

/** The canonical JSON document of a (secret-free) sequence, for storage and display. */
export function sequenceDocument(ts: TaskSequence): Record<string, unknown> {
  return exportJson(ts);
}

/** Postgres unique violation → a conflict naming the field. */
export function isUniqueViolation(e: unknown): boolean {
  return (e as { code?: string })?.code === '23505';
}
