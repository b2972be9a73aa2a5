/**
 * A ConfigMgr console export (.zip) of one task sequence, laid out as the console writes it
 * (osd-features §2.10, task-sequence-format §1): `Manifest.xml` naming the entry object,
 * `[Content_Types].xml`, `_rels/.rels`, `SMS_TaskSequencePackage/<PackageID>/object.xml` (a WMI
 * instance whose `Sequence` property carries the `<sequence>` XML as escaped text) and
 * `ReferencesInfo.xml` (one SMS_TaskSequenceReferencesInfo per referenced object). Content is not
 * exported ("Export all content" off) and, like the console, no password is.
 */
import { strToU8, zipSync } from 'fflate';
import { escapeAttribute, escapeText } from '../../sequence/xml/writer.js';

export interface ConsoleExportPackage {
  packageId: string;
  /** SMS_TaskSequencePackage properties other than Sequence (Name, Description, BootImageID, Duration, Type, …). */
  properties: Record<string, { type: 'string' | 'uint32' | 'boolean'; value: string }>;
  /** The bare `<sequence>` XML, secrets already empty. */
  sequenceXml: string;
  references: Array<{ packageId: string; name: string; type: number; version: string; description: string }>;
}

function property(name: string, type: string, value: string, cls: string): string {
  return (
    `  <PROPERTY NAME="${escapeAttribute(name)}" CLASSORIGIN="${cls}" TYPE="${type}">\n` +
    `    <QUALIFIER NAME="CIMTYPE" PROPAGATED="true" TYPE="string" TOINSTANCE="true">\n      <VALUE>${type}</VALUE>\n    </QUALIFIER>\n` +
    `    <VALUE>${escapeText(value)}</VALUE>\n  </PROPERTY>\n`
  );
}

function objectXml(p: ConsoleExportPackage): string {
  const props: Record<string, { type: string; value: string }> = {
    ...p.properties,
    PackageID: { type: 'string', value: p.packageId },
    Sequence: { type: 'string', value: p.sequenceXml },
  };
  const body = Object.keys(props)
    .sort()
    .map((k) => property(k, props[k].type, props[k].value, 'SMS_TaskSequencePackage'))
    .join('');
  return (
    `<?xml version="1.0" encoding="utf-8"?>\n<INSTANCE CLASSNAME="SMS_TaskSequencePackage">\n` +
    `  <PROPERTY NAME="__CLASS" CLASSORIGIN="___SYSTEM" TYPE="string">\n    <VALUE>SMS_TaskSequencePackage</VALUE>\n  </PROPERTY>\n` +
    `  <PROPERTY.ARRAY NAME="__DERIVATION" CLASSORIGIN="___SYSTEM" TYPE="string">\n    <VALUE.ARRAY>\n      <VALUE>SMS_PackageBaseclass</VALUE>\n    </VALUE.ARRAY>\n  </PROPERTY.ARRAY>\n` +
    body +
    `</INSTANCE>\n`
  );
}

function referencesInfoXml(p: ConsoleExportPackage): string {
  const instances = p.references
    .map(
      (r) =>
        `  <INSTANCE CLASSNAME="SMS_TaskSequenceReferencesInfo">\n` +
        property('ReferenceDescription', 'string', r.description, 'SMS_TaskSequenceReferencesInfo') +
        property('ReferenceName', 'string', r.name, 'SMS_TaskSequenceReferencesInfo') +
        property('ReferencePackageID', 'string', r.packageId, 'SMS_TaskSequenceReferencesInfo') +
        property('ReferencePackageType', 'uint32', String(r.type), 'SMS_TaskSequenceReferencesInfo') +
        property('ReferenceVersion', 'string', r.version, 'SMS_TaskSequenceReferencesInfo') +
        `  </INSTANCE>\n`,
    )
    .join('');
  return `<?xml version="1.0" encoding="utf-8"?>\n<ReferencesInfo>\n${instances}</ReferencesInfo>\n`;
}

export function consoleExportZip(p: ConsoleExportPackage, comments = ''): Uint8Array {
  const entry = `SMS_TaskSequencePackage.PackageID='${p.packageId}'`;
  const files: Record<string, Uint8Array> = {
    '[Content_Types].xml': strToU8(
      '<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="text/xml" /><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" /></Types>',
    ),
    '_rels/.rels': strToU8('<?xml version="1.0" encoding="utf-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships" />'),
    'Manifest.xml': strToU8(
      `<?xml version="1.0" encoding="utf-8"?>\n<LibraryDocument xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">\n` +
        `  <Contents />\n  <EntryObjects>\n    <Object Path="${escapeAttribute(entry)}" Type="SMS_TaskSequencePackage" />\n  </EntryObjects>\n` +
        `  <Comments>${escapeText(comments)}</Comments>\n</LibraryDocument>\n`,
    ),
    [`SMS_TaskSequencePackage/${p.packageId}/object.xml`]: strToU8(objectXml(p)),
    [`SMS_TaskSequencePackage/${p.packageId}/ReferencesInfo.xml`]: strToU8(referencesInfoXml(p)),
  };
  return zipSync(files, { mtime: new Date('2000-01-01T00:00:00Z') });
}
