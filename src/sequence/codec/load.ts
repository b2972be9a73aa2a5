/**
 * One entry point for every shape a user brings: bare `<sequence>` XML, the
 * `<SmsTaskSequencePackage>` wrapper, a console export `.zip` or its `object.xml`, and our
 * canonical JSON. The shape is recognised from the content, not the file name (load-core.ts).
 */
import { readInputBytes } from '../read-input.js';
import { importJsonText } from './json.js';
import { loadTaskSequenceAsyncWith, loadTaskSequenceWith, type LoadOptions, type LoadResult } from './load-core.js';

export type { LoadOptions, LoadResult, SourceFormat } from './load-core.js';

export function loadTaskSequenceFile(path: string, options: LoadOptions = {}): LoadResult {
  return loadTaskSequence(readInputBytes(path, 'task sequence file'), path, options);
}

export function loadTaskSequence(bytes: Uint8Array, input: string, options: LoadOptions = {}): LoadResult {
  return loadTaskSequenceWith(bytes, input, options, importJsonText);
}

/**
 * The same, for a server: a zip is inflated without blocking the event loop (zip-reader.ts).
 * Text is still parsed in one go; the parsers are linear (about 1 s per 10 MB at most).
 */
export async function loadTaskSequenceAsync(bytes: Uint8Array, input: string, options: LoadOptions = {}): Promise<LoadResult> {
  return loadTaskSequenceAsyncWith(bytes, input, options, importJsonText);
}
