import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The public corpus beside the checkout (../shared/corpus/public), or OSD_CORPUS. */
export const CORPUS_DIR = resolve(process.env.OSD_CORPUS ?? join(__dirname, '../../../shared/corpus/public'));

export function corpusFiles(): string[] {
  if (!existsSync(CORPUS_DIR)) throw new Error(`the task sequence corpus is missing: ${CORPUS_DIR} (set OSD_CORPUS)`);
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.xml'))
    .sort();
}

export function corpusText(name: string): string {
  return readFileSync(join(CORPUS_DIR, name), 'utf8');
}

export function corpusPath(name: string): string {
  return join(CORPUS_DIR, name);
}
