/**
 * How the CLI talks: results on stdout, problems on stderr, exit codes 0 (fine), 1 (lint found
 * errors / diff found differences), 2 (bad input or usage). Files are written atomically.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../sequence/input-error.js';
import { OsdError, exitCodeOfKind } from '../common/errors.js';

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_BAD_INPUT = 2;

export class CliExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export function print(text: string): void {
  const shown = showable(text);
  process.stdout.write(shown.endsWith('\n') ? shown : `${shown}\n`);
}

// Characters that would act on a terminal instead of showing: C0 controls but tab and newline, DEL,
// C1 controls (ESC sequences, CSI), and the invisible and direction-changing format characters
// (a right-to-left override can make "exe.txt" read as "txt.exe").
const ODD =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text as the terminal should show it: every odd character escaped as `\u{…}`, so a name from the
 * site can never move the cursor, change colours or reverse the line it is printed on.
 */
export function showable(text: string): string {
  return text.replace(ODD, (c) => `\\u{${c.charCodeAt(0).toString(16).padStart(4, '0')}}`);
}

/** A size as the CLI prints it; null: the object has no content yet. */
export function mib(n: number | null): string {
  return n === null ? 'no content' : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** JSON for scripts; odd characters (which JSON leaves raw) as \\u escapes, so it is still safe on a terminal. */
export function printJson(value: unknown): void {
  process.stdout.write(`${jsonShowable(JSON.stringify(value, null, 2))}\n`);
}

function jsonShowable(json: string): string {
  return json.replace(ODD, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Reports an error for a person (or, with --json, for a script) and returns the exit code: the
 * error family's kind decides it (2 for anything the user can correct, 69 when a service is
 * unavailable, 74 for a fault of the machine), never the error's class name.
 */
export function reportError(e: unknown, json: boolean): number {
  if (e instanceof CliExit) return e.code;
  if (e instanceof OsdError) {
    if (json) process.stdout.write(`${jsonShowable(JSON.stringify(e.toJSON(), null, 2))}\n`);
    process.stderr.write(`osd: ${showable(e.message)}\n`);
    return exitCodeOfKind(e.kind);
  }
  const err = e as NodeJS.ErrnoException;
  process.stderr.write(`osd: internal error: ${showable(err?.message ?? String(e))}\n`);
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
    throw new InputError({
      input: path,
      rule: `cannot write the output file (${code ?? (e as Error).message})`,
      hint: 'check the folder exists and is writable',
    });
  }
}
