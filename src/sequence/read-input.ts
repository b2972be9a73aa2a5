/** Reading a file the user named: a missing or unreadable file is an InputError, never a stack trace. */
import { readFileSync, statSync } from 'node:fs';
import { InputError } from './input-error.js';

export function readInputBytes(path: string, what = 'file'): Buffer {
  try {
    if (statSync(path).isDirectory()) throw new InputError({ input: path, rule: `is a directory, expected a ${what}` });
    return readFileSync(path);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError({ input: path, rule: code === 'ENOENT' ? `${what} not found` : `cannot read the ${what} (${code ?? (e as Error).message})` });
  }
}

export function readInputText(path: string, what = 'file'): string {
  return readInputBytes(path, what).toString('utf8');
}
