/**
 * How the CLI talks: results on stdout, problems on stderr, exit codes 0 (fine), 1 (lint found
 * errors / diff found differences), 2 (bad input or usage). Files are written atomically.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../sequence/input-error.js';

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_BAD_INPUT = 2;

export class CliExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** A size as the CLI prints it; null: the object has no content yet. */
export function mib(n: number | null): string {
  return n === null ? 'no content' : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Reports an error for a person (or, with --json, for a script) and returns the exit code. */
export function reportError(e: unknown, json: boolean): number {
  if (e instanceof InputError) {
    if (json) process.stdout.write(`${JSON.stringify(e.toJSON(), null, 2)}\n`);
    process.stderr.write(`osd: ${e.message}\n`);
    return EXIT_BAD_INPUT;
  }
  if (e instanceof CliExit) return e.code;
  if (e instanceof Error && e.name === 'ApiError') {
    const api = e as Error & { status: number; body: unknown };
    if (json) process.stdout.write(`${JSON.stringify({ status: api.status, ...(api.body as object) }, null, 2)}\n`);
    process.stderr.write(`osd: ${api.message}\n`);
    return api.status >= 500 ? 69 : EXIT_BAD_INPUT;
  }
  const err = e as NodeJS.ErrnoException;
  process.stderr.write(`osd: internal error: ${err?.message ?? String(e)}\n`);
  if (process.env.OSD_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
  else process.stderr.write('  (set OSD_DEBUG=1 to see the stack trace, and please report this)\n');
  return 70;
}

/** Writes a file so that a reader never sees it half-written: temp file, fsync, rename. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing to clean up */
    }
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError({ input: path, rule: `cannot write the output file (${code ?? (e as Error).message})`, hint: 'check the folder exists and is writable' });
  }
}
