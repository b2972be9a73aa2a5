/**
 * Lists the files of a content source folder, with their content paths. Refuses what a package
 * cannot carry faithfully: symbolic links (they could point outside the source, and a client could
 * not recreate them), devices, sockets and pipes, names Windows cannot hold, and an empty folder.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { validateContentPath } from './content-path.js';
import { ContentError, sourceReadError } from './errors.js';

export interface SourceFile {
  abs: string;
  path: string;
  size: number;
}

export async function listSourceFiles(root: string, maxFiles = Infinity): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch((e: unknown) => {
      throw sourceReadError(e, dir);
    });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const ent of entries) {
      const abs = join(dir, ent.name);
      const path = rel === '' ? ent.name : `${rel}/${ent.name}`;
      if (ent.isSymbolicLink()) {
        throw new ContentError({
          code: 'content-source-invalid',
          status: 400,
          input: abs,
          rule: 'is a symbolic link; content folders may hold only regular files and folders',
          hint: 'replace the link by a copy of what it points to, or remove it',
        });
      }
      if (ent.isDirectory()) {
        validateContentPath(path, abs);
        await walk(abs, path);
      } else if (ent.isFile()) {
        if (out.length >= maxFiles) {
          throw new ContentError({
            code: 'content-too-many-files',
            status: 413,
            input: root,
            rule: `holds more than ${maxFiles} files; one content may hold at most ${maxFiles}`,
            hint: 'split it into several packages',
          });
        }
        const st = await stat(abs).catch((e: unknown) => {
          throw sourceReadError(e, abs);
        });
        out.push({ abs, path: validateContentPath(path, abs), size: st.size });
      } else {
        throw new ContentError({
          code: 'content-source-invalid',
          status: 400,
          input: abs,
          rule: 'is not a regular file (device, socket or pipe)',
          hint: 'remove it from the content source folder',
        });
      }
    }
  };
  await walk(root, '');
  if (out.length === 0) {
    throw new ContentError({
      code: 'content-source-empty',
      status: 400,
      input: root,
      rule: 'holds no files',
      hint: 'point the package at the folder that holds its files',
    });
  }
  return out;
}
