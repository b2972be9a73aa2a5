/**
 * "Revert to revision N": a new revision whose body and secrets are exactly N's (history is never
 * rewritten). One transaction, like every save.
 */
import { followedWarning, setCurrentRevision } from './current-revision.js';
import { audit } from '../audit.js';
import { badInput } from '../errors.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import { bodyToSequence, readRevisionRow, readTaskSequenceRow, toInfo } from './model.js';
import { sequenceReferences } from './references.js';
import type { SaveResult } from './task-sequences.js';

export interface RevertInput {
  revision: number;
  message?: string;
  /** Optional: refuse when someone saved since (as a save does). */
  baseRevision?: number;
}

export async function revertTaskSequence(site: Site, actor: Actor, id: string, input: RevertInput): Promise<SaveResult> {
  return site.db.transaction(async (tx) => {
    const row = await readTaskSequenceRow(tx, id, { forUpdate: true });
    if (input.baseRevision !== undefined && input.baseRevision !== row.current_revision) {
      throw badInput('body.baseRevision', `the task sequence is at revision ${row.current_revision}, not ${input.baseRevision}`, 'reload it and try again');
    }
    if (input.revision === row.current_revision) {
      throw badInput('body.revision', `revision ${input.revision} is already the current revision`, 'give an earlier revision');
    }
    const source = await readRevisionRow(tx, row.package_id, input.revision);
    const revision = row.current_revision + 1;
    const message = input.message ?? `Revert to revision ${input.revision}`;
    const inserted = await tx.query<{ revision: number; author: string; message: string; created_at: Date; size_bytes: number; step_count: number }>(
      `INSERT INTO task_sequence_revisions (package_id, revision, author, message, body, secrets, size_bytes, step_count)
       SELECT package_id, $3, $4, $5, body, secrets, size_bytes, step_count FROM task_sequence_revisions WHERE package_id = $1 AND revision = $2
       RETURNING revision, author, message, created_at, size_bytes, step_count`,
      [row.package_id, input.revision, revision, actor.name, message],
    );
    // References as of now: the same steps, with today's boot image.
    const references = sequenceReferences(bodyToSequence(source.body), row.boot_image_id);
    for (const r of references) {
      await tx.query('INSERT INTO task_sequence_references (package_id, revision, ref_id, ref_kind) VALUES ($1, $2, $3, $4)', [
        row.package_id,
        revision,
        r.refId,
        r.refKind,
      ]);
    }
    const followedBy = await setCurrentRevision(tx, row.package_id, revision);
    await audit(tx, actor, 'revert', 'task-sequence', row.package_id, { revision, revertedTo: input.revision, message });
    const r = inserted.rows[0]!;
    return {
      taskSequence: toInfo(await readTaskSequenceRow(tx, row.package_id)),
      revision: {
        revision: r.revision,
        author: r.author,
        message: r.message,
        createdAt: r.created_at.toISOString(),
        sizeBytes: r.size_bytes,
        stepCount: r.step_count,
      },
      references,
      warnings: followedWarning(followedBy, revision),
    };
  });
}
