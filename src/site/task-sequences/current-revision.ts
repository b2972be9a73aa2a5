/**
 * Moving a task sequence's current revision (a save, an import, a revert). Deployments that follow
 * the latest revision (as ConfigMgr's always do; docs/decisions.md) move with it in the same
 * transaction, so their `revision` is always what computers will run; pinned ones stay.
 */
import type { Queryable } from '../db/database.js';

/** Sets the current revision; answers the ids of the deployments that now run it. */
export async function setCurrentRevision(tx: Queryable, packageId: string, revision: number): Promise<string[]> {
  await tx.query('UPDATE task_sequences SET current_revision = $2, updated_at = now() WHERE package_id = $1', [packageId, revision]);
  const { rows } = await tx.query<{ deployment_id: string }>(
    `UPDATE deployments SET revision = $2, updated_at = now() WHERE task_sequence_id = $1 AND follow_latest AND revision <> $2 RETURNING deployment_id`,
    [packageId, revision],
  );
  return rows.map((r) => r.deployment_id).sort();
}

/** The warning a save gives when following deployments moved. */
export function followedWarning(deploymentIds: readonly string[], revision: number): string[] {
  if (!deploymentIds.length) return [];
  return [
    `deployment${deploymentIds.length === 1 ? '' : 's'} ${deploymentIds.join(', ')} follow${deploymentIds.length === 1 ? 's' : ''} the latest revision: computers now run revision ${revision}`,
  ];
}
