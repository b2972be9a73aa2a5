/**
 * One entry point for every shape a user brings: bare `<sequence>` XML, the
 * `<SmsTaskSequencePackage>` wrapper, a console export `.zip` or its `object.xml`, and our
 * canonical JSON. The shape is recognised from the content, not the file name.
 */
import { InputError } from '../input-error.js';
import { readInputBytes } from '../read-input.js';
import { decodeXmlBytes } from '../xml/decode.js';
import { importConsoleExport, importConsoleExportAsync, importObjectXml, isZip } from './console-export.js';
import { importJsonText } from './json.js';
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

export function loadTaskSequenceFile(path: string, options: LoadOptions = {}): LoadResult {
  return loadTaskSequence(readInputBytes(path, 'task sequence file'), path, options);
}

export function loadTaskSequence(bytes: Uint8Array, input: string, options: LoadOptions = {}): LoadResult {
  checkNotEmpty(bytes, input);
  if (isZip(bytes)) return { ...importConsoleExport(bytes, input, options), format: 'zip' };
  return loadText(bytes, input);
}

/**
 * The same, for a server: a zip is inflated without blocking the event loop (zip-reader.ts).
 * Text is still parsed in one go; the parsers are linear (about 1 s per 10 MB at most).
 */
export async function loadTaskSequenceAsync(bytes: Uint8Array, input: string, options: LoadOptions = {}): Promise<LoadResult> {
  checkNotEmpty(bytes, input);
  if (isZip(bytes)) return { ...(await importConsoleExportAsync(bytes, input, options)), format: 'zip' };
  return loadText(bytes, input);
}

function checkNotEmpty(bytes: Uint8Array, input: string): void {
  if (bytes.length === 0) {
    throw new InputError({ input, rule: 'the file is empty', hint: 'expected task sequence XML, JSON or a console export .zip' });
  }
}

function loadText(bytes: Uint8Array, input: string): LoadResult {
  const decoded = decodeXmlBytes(bytes, input);
  const text = decoded.text;
  const first = firstNonSpace(text);
  if (first === '{') return { sequence: importJsonText(text, input), warnings: [], format: 'json' };
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
