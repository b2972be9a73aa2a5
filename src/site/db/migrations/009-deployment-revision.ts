/**
 * Deployments that follow the task sequence's latest revision (issue 12). ConfigMgr's deployments
 * always run the current task sequence; ours pinned the revision they were made with. A following
 * deployment's `revision` is kept equal to the task sequence's current revision whenever a
 * revision is saved or reverted (task-sequences/current-revision.ts), so everything that reads
 * `revision` (policy, content manifests, "in use" checks) reads what computers will run.
 *
 * Deployments made before this migration stay pinned: they were made under that rule.
 */
export const sql = `
ALTER TABLE deployments ADD COLUMN follow_latest boolean NOT NULL DEFAULT false;
ALTER TABLE deployments ADD COLUMN updated_at timestamptz;
CREATE INDEX deployments_task_sequence ON deployments (task_sequence_id);
`;
