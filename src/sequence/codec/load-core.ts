/**
 * The logic of load.ts, with the JSON reader passed in: the JSON reader validates with zod, whose
 * ~100 modules a command line should load only for a JSON file (issue 16 item 2). load.ts binds it
 * statically (the synchronous API everything else uses); loadTaskSequenceFileLazily imports it
 * when the file turns out to be JSON.
 */
import { InputError } from '../input-error.js';
import type { TaskSequence } from '../model/task-sequence.js';
import { readInputBytes } from '../read-input.js';
import { decodeXmlBytes } from '../xml/decode.js';
import { importConsoleExport, importConsoleExportAsync, importObjectXml, isZip } from './console-export.js';
import type { ImportResult } from './xml-import.js';
import { importXmlText, rootElementName } from './xml-import.js';

export type SourceFormat = 'xml' | 'json' | 'zip';

export interface LoadOptions {
  /** PackageID to pick from a console export holding several task sequences. */
  packageId?: string;
}

export interface LoadResult extends ImportResult {
  format: SourceFormat;
}

/** Reads canonical JSON (json.ts importJsonText). */
export type JsonImporter = (text: string, input: string) => TaskSequence;

export function loadTaskSequenceWith(bytes: Uint8Array, input: string, options: LoadOptions, importJson: JsonImporter): LoadResult {
  checkNotEmpty(bytes, input);
  if (isZip(bytes)) return { ...importConsoleExport(bytes, input, options), format: 'zip' };
  return loadText(bytes, input, importJson);
}

export async function loadTaskSequenceAsyncWith(bytes: Uint8Array, input: string, options: LoadOptions, importJson: JsonImporter): Promise<LoadResult> {
  checkNotEmpty(bytes, input);
  if (isZip(bytes)) return { ...(await importConsoleExportAsync(bytes, input, options)), format: 'zip' };
  return loadText(bytes, input, importJson);
}

/** Thrown by the stand-in JSON reader of loadTaskSequenceFileLazily: the file is JSON, load the reader. */
const JSON_READER_NEEDED = Symbol('json reader needed');

/**
 * loadTaskSequenceFile (load.ts) for a command line: the JSON reader (and zod) is imported only
 * when the file is JSON. The file is read once; a JSON file is decoded twice (the first pass stops
 * at its first character).
 */
export async function loadTaskSequenceFileLazily(path: string, options: LoadOptions = {}): Promise<LoadResult> {
  const bytes = readInputBytes(path, 'task sequence file');
  try {
    return loadTaskSequenceWith(bytes, path, options, () => {
      throw JSON_READER_NEEDED;
    });
  } catch (e) {
    if (e !== JSON_READER_NEEDED) throw e;
  }
  const { importJsonText } = await import('./json.js');
  return loadTaskSequenceWith(bytes, path, options, importJsonText);
}

function checkNotEmpty(bytes: Uint8Array, input: string): void {
  if (bytes.length === 0) {
    throw new InputError({ input, rule: 'the file is empty', hint: 'expected task sequence XML, JSON or a console export .zip' });
  }
}

function loadText(bytes: Uint8Array, input: string, importJson: JsonImporter): LoadResult {
  const decoded = decodeXmlBytes(bytes, input);
  const text = decoded.text;
  const first = firstNonSpace(text);
  if (first === '{') return { sequence: importJson(text, input), warnings: [], format: 'json' };
  if (first !== '<') {
    throw new InputError({
      input,
      rule: `not a task sequence file: expected XML (starting with "<"), JSON (starting with "{") or a zip, found ${JSON.stringify(text.slice(0, 20))}`,
    });
  }
  const result = rootElementName(text) === 'INSTANCE' ? importObjectXml(text, input) : importXmlText(text, input);
  if (result.sequence.envelope?.kind !== 'console-export') {
    const hints = (result.sequence.xml ??= {});
    if (decoded.encoding !== 'utf-8') hints.encoding = decoded.encoding;
    if (decoded.bom) hints.bom = true;
  }
  return { ...result, format: 'xml' };
}

function firstNonSpace(s: string): string {
  for (let i = 0; i < s.length && i < 4096; i++) {
    const c = s[i];
    if (c !== ' ' && c !== '\n' && c !== '\r' && c !== '\t' && c !== '\ufeff') return c;
  }
  return '';
}
