/**
 * Which task sequences use an object, for "in use" refusals (osd-features §2.10, §4): a reference
 * counts when it is in a task sequence's current revision, or in a revision a deployment still
 * runs (deployments pin a revision), or when the object is the task sequence's boot image.
 */
import type { Queryable } from '../db/database.js';

export interface TaskSequenceUse {
  taskSequenceId: string;
  name: string;
  /** The revisions that reference it: the current one and/or ones deployments use. */
  revisions: number[];
}

/** Task sequences referencing a PackageID (compared case-insensitively) or an application model name. */
export async function taskSequencesUsing(db: Queryable, refId: string, kind: 'package' | 'application'): Promise<TaskSequenceUse[]> {
  const match = kind === 'package' ? 'upper(r.ref_id) = upper($1)' : 'r.ref_id = $1';
  const { rows } = await db.query<{ package_id: string; name: string; revision: number }>(
    `SELECT t.package_id, t.name, r.revision
       FROM task_sequence_references r JOIN task_sequences t ON t.package_id = r.package_id
      WHERE ${match}
        AND (r.revision = t.current_revision
             OR EXISTS (SELECT 1 FROM deployments d WHERE d.task_sequence_id = r.package_id AND d.revision = r.revision))
     UNION
     SELECT t.package_id, t.name, t.current_revision FROM task_sequences t WHERE $2::boolean AND upper(t.boot_image_id) = upper($1)
     ORDER BY 1, 3`,
    [refId, kind === 'package'],
  );
  const out = new Map<string, TaskSequenceUse>();
  for (const r of rows) {
    const u = out.get(r.package_id) ?? { taskSequenceId: r.package_id, name: r.name, revisions: [] };
    if (!u.revisions.includes(r.revision)) u.revisions.push(r.revision);
    out.set(r.package_id, u);
  }
  return [...out.values()];
}

/** "PS100010 (Deploy Windows 11, revisions 3, 4)" — for messages. */
export function describeUses(uses: TaskSequenceUse[]): string {
  return uses.map((u) => `${u.taskSequenceId} (${u.name}, revision${u.revisions.length > 1 ? 's' : ''} ${u.revisions.join(', ')})`).join('; ');
}
