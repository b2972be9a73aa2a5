/**
 * ConfigMgr console exports (task-sequence-format §1): a zip holding `Manifest.xml` and, per task
 * sequence, `SMS_TaskSequencePackage/<PackageID>/object.xml` — a WMI CIM-XML `<INSTANCE>` whose
 * `Sequence` property carries the whole `<sequence>` document as escaped text. The zip itself is
 * read by zip-reader.ts (central directory by hand, inflate within a budget).
 */
import { InputError, locate } from '../input-error.js';
import type { XmlElement } from '../xml/nodes.js';
import { childElements, getAttribute, textContent } from '../xml/nodes.js';
import { decodeXmlBytes } from '../xml/decode.js';
import { parseXml } from '../xml/reader.js';
import type { ImportResult } from './xml-import.js';
import { importXmlText } from './xml-import.js';
import { InflateBudget, inflateEntry, inflateEntrySync, readZipDirectory, type ZipEntry } from './zip-reader.js';

const OBJECT_PATH = /^SMS_TaskSequencePackage\/([^/]+)\/object\.xml$/i;
const MANIFEST_PATH = /(^|\/)Manifest\.xml$/i;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

export interface ConsoleExportOptions {
  /** Which task sequence to take when the export holds several (PackageID). */
  packageId?: string;
}

/**
 * Reads a console export, blocking (the CLI). Only Manifest.xml (when there is more than one task
 * sequence to order) and the one object.xml taken are inflated, within the budgets of zip-reader.ts.
 */
export function importConsoleExport(bytes: Uint8Array, input: string, options: ConsoleExportOptions = {}): ImportResult {
  const budget = new InflateBudget();
  const zip = exportEntries(bytes, input);
  const manifest = zip.manifest && zip.objects.length > 1 ? inflateEntrySync(bytes, zip.manifest, budget, input) : undefined;
  const { entry, ordered } = chooseObject(zip, manifest, input, options);
  return importChosen(inflateEntrySync(bytes, entry, budget, input), entry.name, ordered, input);
}

/** The same, without blocking: inflating runs in zlib's thread pool (the server's imports). */
export async function importConsoleExportAsync(bytes: Uint8Array, input: string, options: ConsoleExportOptions = {}): Promise<ImportResult> {
  const budget = new InflateBudget();
  const zip = exportEntries(bytes, input);
  const manifest = zip.manifest && zip.objects.length > 1 ? await inflateEntry(bytes, zip.manifest, budget, input) : undefined;
  const { entry, ordered } = chooseObject(zip, manifest, input, options);
  return importChosen(await inflateEntry(bytes, entry, budget, input), entry.name, ordered, input);
}

interface ExportEntries {
  objects: ZipEntry[];
  manifest?: ZipEntry;
}

function exportEntries(bytes: Uint8Array, input: string): ExportEntries {
  const objects: ZipEntry[] = [];
  let manifest: ZipEntry | undefined;
  const seen = new Set<string>();
  for (const e of readZipDirectory(bytes, input)) {
    const isObject = OBJECT_PATH.test(e.name);
    if (!isObject && !MANIFEST_PATH.test(e.name)) continue;
    if (seen.has(e.name))
      throw new InputError({ input, rule: `the zip holds ${e.name} twice`, hint: 'export the task sequence again from the ConfigMgr console' });
    seen.add(e.name);
    if (isObject) objects.push(e);
    else manifest ??= e;
  }
  if (objects.length === 0) {
    throw new InputError({
      input,
      rule: 'this zip is not a ConfigMgr task sequence export: no SMS_TaskSequencePackage/<PackageID>/object.xml inside',
      hint: "import the .zip written by the console's Export Task Sequence wizard, or the task sequence XML itself",
    });
  }
  return { objects, manifest };
}

function chooseObject(
  zip: ExportEntries,
  manifest: Uint8Array | undefined,
  input: string,
  options: ConsoleExportOptions,
): { entry: ZipEntry; ordered: string[] } {
  const byName = new Map(zip.objects.map((e) => [e.name, e]));
  const ordered = orderByManifest([...byName.keys()], manifest, zip.manifest?.name ?? '', input);
  let name = ordered[0];
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
    name = found;
  }
  return { entry: byName.get(name)!, ordered };
}

function importChosen(data: Uint8Array, entry: string, ordered: string[], input: string): ImportResult {
  const result = importObjectXml(data, `${input}!${entry}`);
  if (result.sequence.envelope?.kind === 'console-export') {
    result.sequence.envelope.entry = entry;
    if (ordered.length > 1) result.sequence.envelope.others = ordered.filter((n) => n !== entry);
  }
  return result;
}

/** Task sequences in the order the manifest lists them (its entry objects first). */
function orderByManifest(objects: string[], manifest: Uint8Array | undefined, manifestName: string, input: string): string[] {
  if (!manifest) return objects.sort();
  const rank = new Map<string, number>();
  try {
    const doc = parseXml(decodeXmlBytes(manifest, `${input}!${manifestName}`).text, { input: `${input}!${manifestName}` });
    const text = JSON.stringify(doc.root);
    for (const m of text.matchAll(/SMS_TaskSequencePackage\.PackageID='([^']+)'/g)) {
      const id = m[1].toUpperCase();
      if (!rank.has(id)) rank.set(id, rank.size);
    }
  } catch {
    rank.clear();
  }
  const rankOf = (n: string): number => rank.get(OBJECT_PATH.exec(n)![1].toUpperCase()) ?? rank.size;
  return [...objects].sort((a, b) => rankOf(a) - rankOf(b) || (a < b ? -1 : 1));
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
