/**
 * Issue 15, the console's Task Sequences node has folders (as ConfigMgr's console does): a task
 * sequence's folder path, '' at the top ("Windows 11/Pilot": names joined by "/"). A property of
 * the package like its name, not of a revision. The folder tree is the paths in use.
 */
export const sql = `
ALTER TABLE task_sequences ADD COLUMN folder text NOT NULL DEFAULT '';
CREATE INDEX task_sequences_folder ON task_sequences (folder, lower(name));
`;
