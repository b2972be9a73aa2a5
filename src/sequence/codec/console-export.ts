/**
 * ConfigMgr console exports (task-sequence-format §1): a zip holding `Manifest.xml` and, per task
 * sequence, `SMS_TaskSequencePackage/<PackageID>/object.xml` — a WMI CIM-XML `<INSTANCE>` whose
 * `Sequence` property carries the whole `<sequence>` document as escaped text.
 */
import { unzipSync } from 'fflate';
import { InputError, locate } from '../input-error.js';
import type { XmlElement } from '../xml/nodes.js';
import { childElements, getAttribute, textContent } from '../xml/nodes.js';
import { decodeXmlBytes } from '../xml/decode.js';
import { parseXml } from '../xml/reader.js';
import type { ImportResult } from './xml-import.js';
import { importXmlText } from './xml-import.js';

/** Refuse to inflate entries larger than this (a zip bomb would otherwise fill memory). */
const MAX_ENTRY_BYTES = 1 << 30;
const OBJECT_PATH = /^SMS_TaskSequencePackage\/([^/]+)\/object\.xml$/i;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

export interface ConsoleExportOptions {
  /** Which task sequence to take when the export holds several (PackageID). */
  packageId?: string;
}

export function importConsoleExport(bytes: Uint8Array, input: string, options: ConsoleExportOptions = {}): ImportResult {
  let files: Record<string, Uint8Array>;
  const tooBig: string[] = [];
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        if (f.originalSize > MAX_ENTRY_BYTES) {
          tooBig.push(f.name);
          return false;
        }
        return OBJECT_PATH.test(f.name) || /(^|\/)Manifest\.xml$/i.test(f.name);
      },
    });
  } catch (e) {
    throw new InputError({
      input,
      rule: `not a readable zip file: ${(e as Error).message}`,
      hint: 'export the task sequence again from the ConfigMgr console (Software Library › Task Sequences › Export)',
    });
  }
  if (tooBig.length) {
    throw new InputError({ input, rule: `zip entry ${tooBig[0]} would inflate to more than 1 GiB; refused` });
  }
  const objects = Object.keys(files).filter((n) => OBJECT_PATH.test(n));
  if (objects.length === 0) {
    throw new InputError({
      input,
      rule: 'this zip is not a ConfigMgr task sequence export: no SMS_TaskSequencePackage/<PackageID>/object.xml inside',
      hint: 'import the .zip written by the console\'s Export Task Sequence wizard, or the task sequence XML itself',
    });
  }
  const ordered = orderByManifest(objects, files, input);
  let entry = ordered[0];
  if (options.packageId) {
    const want = options.packageId.toUpperCase();
    const found = ordered.find((n) => OBJECT_PATH.exec(n)![1].toUpperCase() === want);
    if (!found) {
      throw new InputError({
        input,
        rule: `the export has no task sequence with PackageID ${options.packageId}`,
        hint: `it holds: ${ordered.map((n) => OBJECT_PATH.exec(n)![1]).join(', ')}`,
      });
    }
    entry = found;
  }
  const result = importObjectXml(files[entry], `${input}!${entry}`);
  if (result.sequence.envelope?.kind === 'console-export') {
    result.sequence.envelope.entry = entry;
    if (ordered.length > 1) result.sequence.envelope.others = ordered.filter((n) => n !== entry);
  }
  return result;
}

/** Task sequences in the order the manifest lists them (its entry objects first). */
function orderByManifest(objects: string[], files: Record<string, Uint8Array>, input: string): string[] {
  const manifestName = Object.keys(files).find((n) => /(^|\/)Manifest\.xml$/i.test(n));
  if (!manifestName) return objects.sort();
  let ids: string[] = [];
  try {
    const doc = parseXml(decodeXmlBytes(files[manifestName], `${input}!${manifestName}`).text, { input: `${input}!${manifestName}` });
    const text = JSON.stringify(doc.root);
    ids = [...text.matchAll(/SMS_TaskSequencePackage\.PackageID='([^']+)'/g)].map((m) => m[1].toUpperCase());
  } catch {
    ids = [];
  }
  const rank = (n: string): number => {
    const i = ids.indexOf(OBJECT_PATH.exec(n)![1].toUpperCase());
    return i === -1 ? ids.length : i;
  };
  return [...objects].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
}

/** Reads an `object.xml` (`<INSTANCE CLASSNAME="SMS_TaskSequencePackage">`). */
export function importObjectXml(bytes: Uint8Array | string, input: string): ImportResult {
  const text = typeof bytes === 'string' ? bytes : decodeXmlBytes(bytes, input).text;
  const doc = parseXml(text, { input });
  return importInstance(doc.root, text, input);
}

export function importInstance(root: XmlElement, source: string, input: string): ImportResult {
  const cls = getAttribute(root, 'CLASSNAME');
  if (root.name !== 'INSTANCE' || cls !== 'SMS_TaskSequencePackage') {
    throw new InputError({
      input,
      location: locate(source, root.offset),
      rule: `expected <INSTANCE CLASSNAME="SMS_TaskSequencePackage">, found <${root.name}${cls ? ` CLASSNAME="${cls}"` : ''}>`,
    });
  }
  const properties: Record<string, string> = {};
  let sequenceText: string | undefined;
  let sequenceEl: XmlElement | undefined;
  for (const p of childElements(root)) {
    if (p.name !== 'PROPERTY') continue;
    const name = getAttribute(p, 'NAME') ?? '';
    const value = childElements(p).find((c) => c.name === 'VALUE');
    if (name === 'Sequence') {
      sequenceText = value ? textContent(value) : undefined;
      sequenceEl = value ?? p;
    } else if (!name.startsWith('__') && value) {
      properties[name] = textContent(value);
    }
  }
  if (!sequenceText || sequenceText.trim() === '') {
    throw new InputError({
      input,
      location: sequenceEl ? locate(source, sequenceEl.offset) : undefined,
      rule: 'the SMS_TaskSequencePackage instance has an empty Sequence property',
      hint: 'a task sequence exported without its steps cannot be imported; export it again',
    });
  }
  // The Sequence text is an XML document of its own: its positions are reported within it.
  const result = importXmlText(sequenceText, `${input} (Sequence property)`);
  result.sequence.envelope = { kind: 'console-export', entry: input, properties };
  return result;
}
