/**
 * The site's data folder is owner-only (issue 10 §7): the embedded database, the key, tokens and
 * the content library are the site's secrets, so no other local user may read or write any of it,
 * whatever the umask of whoever started the server. Checked at every start: a folder owned by
 * another user is refused; anything group- or world-accessible is made owner-only, with a warning
 * that says how much was fixed.
 */
import { chmod, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { badInput } from './errors.js';
import { START_UP_INPUT } from './start-up-inputs.js';

/** Permission bits that give group or others any access. */
const SHARED_BITS = 0o077;

export interface DataFolderCheck {
  /** Entries whose permissions were made owner-only. */
  fixed: number;
  /** Entries looked at. */
  checked: number;
  warnings: string[];
}

/** Refuses a data folder owned by another user; makes everything below it owner-only. */
export async function secureDataFolder(dataDir: string, extraFiles: readonly string[] = []): Promise<DataFolderCheck> {
  const uid = process.getuid?.();
  const top = await lstat(dataDir);
  if (!top.isDirectory()) throw badInput(START_UP_INPUT.dataFolder, `${dataDir} is not a folder`, "give the site's data folder");
  if (uid !== undefined && top.uid !== uid) {
    throw badInput(
      START_UP_INPUT.dataFolder,
      `${dataDir} belongs to user id ${top.uid}, and this server runs as user id ${uid}`,
      "run the server as the folder's owner, or give it a folder of its own",
    );
  }
  const result: DataFolderCheck = { fixed: 0, checked: 0, warnings: [] };
  const fixedPaths: string[] = [];
  const fix = async (path: string, mode: number): Promise<void> => {
    result.checked++;
    if ((mode & SHARED_BITS) === 0) return;
    try {
      await chmod(path, mode & 0o7700);
    } catch (e) {
      throw badInput(
        START_UP_INPUT.dataFolder,
        `${path} can be read or written by other users, and its permissions cannot be changed (${(e as NodeJS.ErrnoException).code})`,
        `make it owner-only: chmod -R go-rwx ${dataDir}`,
      );
    }
    result.fixed++;
    if (fixedPaths.length < 3) fixedPaths.push(path);
  };
  await fix(dataDir, top.mode);
  await walk(dataDir, fix);
  for (const f of extraFiles) {
    const st = await lstat(f).catch(() => undefined);
    if (st?.isFile()) await fix(f, st.mode);
  }
  if (result.fixed) {
    result.warnings.push(
      `${result.fixed} file(s) or folder(s) under ${dataDir} could be read or written by other users (e.g. ${fixedPaths.join(', ')}); they are owner-only now`,
    );
  }
  return result;
}

/**
 * Makes everything below `dir` owner-only without a warning: for files this process has just
 * created with modes of their own (PGlite writes a new database's initial files 0666, whatever the
 * umask). Returns how many were changed.
 */
export async function restrictTree(dir: string): Promise<number> {
  let changed = 0;
  await walk(dir, async (path, mode) => {
    if ((mode & SHARED_BITS) === 0) return;
    await chmod(path, mode & 0o7700);
    changed++;
  });
  return changed;
}

/** Iterative walk below `dir`; links are not followed (a link's own mode means nothing). */
async function walk(dir: string, visit: (path: string, mode: number) => Promise<void>): Promise<void> {
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    for (const entry of await readdir(d, { withFileTypes: true })) {
      if (entry.isSymbolicLink()) continue;
      const path = join(d, entry.name);
      const st = await lstat(path).catch(() => undefined);
      if (!st) continue; // gone meanwhile (another process's temporary file)
      await visit(path, st.mode);
      if (st.isDirectory()) stack.push(path);
    }
  }
}
