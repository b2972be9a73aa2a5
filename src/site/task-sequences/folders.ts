/**
 * Task sequence folders, as the console's Software Library › Task Sequences node has them
 * (osd-features §1.3: a new task sequence lands in the selected folder): a folder is a path of
 * names joined by "/", '' at the top, kept on the task sequence (migration 014). The tree is the
 * paths in use and their parents; a folder with nothing in it is not kept.
 */
import type { Queryable } from '../db/database.js';
import { badInput } from '../errors.js';
import { textProblem } from '../text-rules.js';

export const MAX_FOLDER_DEPTH = 10;
export const MAX_FOLDER_NAME_LENGTH = 100;
export const MAX_FOLDER_PATH_LENGTH = 1024;

/** A folder path in its stored form: names trimmed, joined by "/", no "/" at either end; '' is the top. */
export function checkFolderPath(path: string, field: string): string {
  if (path.length > MAX_FOLDER_PATH_LENGTH) throw badInput(field, `the folder path is ${path.length} characters; at most ${MAX_FOLDER_PATH_LENGTH}`);
  const trimmed = path.trim().replace(/^\/+|\/+$/g, '');
  if (!trimmed) return '';
  const names = trimmed.split('/').map((n) => n.trim());
  if (names.length > MAX_FOLDER_DEPTH) throw badInput(field, `folders are nested at most ${MAX_FOLDER_DEPTH} deep; this path has ${names.length}`);
  for (const [i, name] of names.entries()) {
    if (!name) throw badInput(field, `folder ${i + 1} of the path has no name ("//")`, 'name every folder: e.g. "Windows 11/Pilot"');
    if (name.length > MAX_FOLDER_NAME_LENGTH)
      throw badInput(field, `the folder name "${name.slice(0, 40)}…" is ${name.length} characters; at most ${MAX_FOLDER_NAME_LENGTH}`);
    if (name.includes('\\')) throw badInput(field, `the folder name "${name}" holds a backslash`, 'separate folders with "/"');
    const bad = textProblem(name, 'name');
    if (bad) throw badInput(field, `the folder name ${bad.rule}`, bad.hint);
  }
  return names.join('/');
}

export interface TaskSequenceFolder {
  path: string;
  name: string;
  /** The folder it is in ('' at the top). */
  parent: string;
  /** Task sequences directly in it. */
  taskSequenceCount: number;
  /** Task sequences in it and every folder below it. */
  totalCount: number;
}

/** Every folder in use and its parents, in path order. */
export async function listTaskSequenceFolders(db: Queryable): Promise<TaskSequenceFolder[]> {
  const { rows } = await db.query<{ folder: string; n: number }>("SELECT folder, count(*)::int AS n FROM task_sequences WHERE folder <> '' GROUP BY folder");
  const folders = new Map<string, TaskSequenceFolder>();
  for (const r of rows) {
    const names = r.folder.split('/');
    for (let i = 1; i <= names.length; i++) {
      const path = names.slice(0, i).join('/');
      const f =
        folders.get(path) ??
        folders.set(path, { path, name: names[i - 1]!, parent: names.slice(0, i - 1).join('/'), taskSequenceCount: 0, totalCount: 0 }).get(path)!;
      f.totalCount += Number(r.n);
      if (i === names.length) f.taskSequenceCount += Number(r.n);
    }
  }
  return [...folders.values()].sort((a, b) => (a.path.toLowerCase() < b.path.toLowerCase() ? -1 : a.path.toLowerCase() > b.path.toLowerCase() ? 1 : 0));
}
