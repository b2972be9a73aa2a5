import { strToU8, zipSync } from 'fflate';

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** An object.xml as the console writes it (WMI CIM-XML instance with the Sequence as escaped text). */
export function objectXml(packageId: string, name: string, sequenceXml: string): string {
  const prop = (n: string, type: string, value: string): string =>
    `  <PROPERTY NAME="${n}" CLASSORIGIN="SMS_TaskSequencePackage" TYPE="${type}">\n    <QUALIFIER NAME="CIMTYPE" PROPAGATED="true" TYPE="string" TOINSTANCE="true">\n      <VALUE>${type}</VALUE>\n    </QUALIFIER>\n    <VALUE>${escape(value)}</VALUE>\n  </PROPERTY>\n`;
  return (
    `<INSTANCE CLASSNAME="SMS_TaskSequencePackage">\n` +
    `  <PROPERTY NAME="__CLASS" CLASSORIGIN="___SYSTEM" TYPE="string">\n    <VALUE>SMS_TaskSequencePackage</VALUE>\n  </PROPERTY>\n` +
    `  <PROPERTY.ARRAY NAME="__DERIVATION" CLASSORIGIN="___SYSTEM" TYPE="string">\n    <VALUE.ARRAY>\n      <VALUE>SMS_PackageBaseclass</VALUE>\n    </VALUE.ARRAY>\n  </PROPERTY.ARRAY>\n` +
    prop('BootImageID', 'string', '') +
    prop('Description', 'string', '') +
    prop('Name', 'string', name) +
    prop('PackageID', 'string', packageId) +
    prop('Sequence', 'string', sequenceXml) +
    prop('Type', 'uint32', '2') +
    `</INSTANCE>\n`
  );
}

/** A console export zip holding the given task sequences, laid out as ConfigMgr does (spec §1). */
export function consoleExportZip(sequences: Array<{ packageId: string; name: string; xml: string }>): Uint8Array {
  const files: Record<string, Uint8Array> = {
    'Manifest.xml': strToU8(
      `<LibraryDocument xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">\n  <Contents />\n  <EntryObjects>\n${sequences
        .map((s) => `    <Object Path="SMS_TaskSequencePackage.PackageID='${s.packageId}'" Type="SMS_TaskSequencePackage" />`)
        .join('\n')}\n  </EntryObjects>\n</LibraryDocument>`,
    ),
    '[Content_Types].xml': strToU8(
      '<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="text/xml" /></Types>',
    ),
    '_rels/.rels': strToU8('<?xml version="1.0" encoding="utf-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships" />'),
    'SMS_TaskSequencePackage/USERSTATE_MIGRATION_PACKAGE.xml': strToU8('<INSTANCE CLASSNAME="SMS_Package"/>'),
  };
  for (const s of [...sequences].reverse()) {
    files[`SMS_TaskSequencePackage/${s.packageId}/object.xml`] = strToU8(objectXml(s.packageId, s.name, s.xml));
    files[`SMS_TaskSequencePackage/${s.packageId}/ReferencesInfo.xml`] = strToU8('<ReferencesInfo/>');
  }
  return zipSync(files);
}
