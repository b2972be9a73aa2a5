import { describe, expect, it } from 'vitest';
import { strToU8, zipSync } from 'fflate';
import { loadTaskSequence } from '../../../src/sequence/codec/load.js';
import { exportXmlText } from '../../../src/sequence/codec/xml-export.js';
import { inputError } from '../../helpers/errors.js';
import { countItems } from '../../../src/sequence/model/walk.js';
import { canonicalXml } from '../../../src/sequence/xml/canonical.js';
import { encodeText } from '../../../src/sequence/xml/decode.js';
import { parseXml } from '../../../src/sequence/xml/reader.js';
import { consoleExportZip, objectXml } from '../../helpers/console-export.js';
import { corpusText } from '../../helpers/corpus.js';

const canon = (xml: string): string => canonicalXml(parseXml(xml).root);
const bytes = (s: string): Uint8Array => Buffer.from(s, 'utf8');

describe('the three shapes a user brings', () => {
  const child = corpusText('cm-export-child-ts-bitlocker.xml');
  const upgrade = corpusText('cm-export-win10-inplace-upgrade.xml');

  it("a console export zip: picks the manifest's first task sequence, keeps package properties", () => {
    const zip = consoleExportZip([
      { packageId: 'PS100241', name: 'Windows 10 Upgrade', xml: upgrade },
      { packageId: 'PS100300', name: 'BitLocker', xml: child },
    ]);
    const r = loadTaskSequence(zip, 'export.zip');
    expect(r.format).toBe('zip');
    expect(r.sequence.envelope).toMatchObject({
      kind: 'console-export',
      entry: 'SMS_TaskSequencePackage/PS100241/object.xml',
      properties: { Name: 'Windows 10 Upgrade', PackageID: 'PS100241', Type: '2', BootImageID: '' },
      others: ['SMS_TaskSequencePackage/PS100300/object.xml'],
    });
    expect(canon(exportXmlText(r.sequence))).toBe(canon(upgrade));
    const second = loadTaskSequence(zip, 'export.zip', { packageId: 'ps100300' });
    expect(canon(exportXmlText(second.sequence))).toBe(canon(child));
    expect(inputError(() => loadTaskSequence(zip, 'export.zip', { packageId: 'XYZ00001' })).message).toMatch(
      /no task sequence with PackageID XYZ00001[\s\S]*PS100241, PS100300/,
    );
  });

  it('an object.xml on its own, also in UTF-16', () => {
    const obj = objectXml('PS100300', 'BitLocker', child);
    const r = loadTaskSequence(encodeText(obj, 'utf-16le', true), 'object.xml');
    expect(r.sequence.envelope).toMatchObject({ kind: 'console-export', properties: { Name: 'BitLocker' } });
    expect(canon(exportXmlText(r.sequence))).toBe(canon(child));
  });

  it('the SmsTaskSequencePackage wrapper: written back with the wrapper, or bare on request', () => {
    const src = corpusText('mdt8456-sccm-clientreplace-template.xml');
    const r = loadTaskSequence(bytes(src), 'replace.xml');
    expect(r.sequence.envelope).toMatchObject({ kind: 'package', properties: { Name: 'Client Replace Task Sequence', BootImageID: expect.any(String) } });
    expect(canon(exportXmlText(r.sequence))).toBe(canon(src));
    expect(exportXmlText(r.sequence, { bare: true })).toMatch(/^<\?xml version="1.0"\?>\s*<sequence /);
  });
});

describe('bad input: a clear error, nothing else', () => {
  it('malformed XML names file:line:column and what was expected', () => {
    const e = inputError(() => loadTaskSequence(bytes('<sequence version="3.10">\n  <group name="a">\n  </step>\n</sequence>'), 'broken.xml'));
    expect(e.message).toMatch(/^broken\.xml:3:3: expected <\/group> \(opened at line 2, column 3\), found <\/step>/);
  });

  it('an XML file that is not a task sequence says what it found', () => {
    expect(inputError(() => loadTaskSequence(bytes('<unattend xmlns="urn:schemas-microsoft-com:unattend"/>'), 'unattend.xml')).message).toMatch(
      /unattend\.xml:1:1: this is not a task sequence: expected a <sequence> or <SmsTaskSequencePackage> root element, found an unattend\.xml answer file/,
    );
    expect(inputError(() => loadTaskSequence(bytes('<LibraryDocument/>'), 'Manifest.xml')).message).toMatch(/import the \.zip itself/);
  });

  it('a zip that is not a console export, and an empty file', () => {
    const zip = zipSync({ 'readme.txt': strToU8('hello') });
    expect(inputError(() => loadTaskSequence(zip, 'other.zip')).message).toMatch(/not a ConfigMgr task sequence export/);
    expect(inputError(() => loadTaskSequence(new Uint8Array(), 'empty.xml')).message).toMatch(/empty\.xml: the file is empty/);
    expect(inputError(() => loadTaskSequence(bytes('hello'), 'note.txt')).message).toMatch(/not a task sequence file/);
  });

  it('a JSON document of the wrong shape names the path and the rule', () => {
    const e = inputError(() =>
      loadTaskSequence(
        bytes('{"format":"openosd.task-sequence","formatVersion":1,"sequence":{"version":"3.10","items":[{"kind":"step","name":5}]}}'),
        'ts.json',
      ),
    );
    expect(e.message).toMatch(/ts\.json: not a valid openosd\.task-sequence document:\n {2}sequence\.items\[0\]/);
  });

  it('DTD attacks are refused before anything is expanded', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE s [${Array.from({ length: 10 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`).join('')}<!ENTITY l0 "lol">]><sequence version="3.00">&l10;</sequence>`;
    const e = inputError(() => loadTaskSequence(bytes(bomb), 'bomb.xml'));
    expect(e.rule).toMatch(/DOCTYPE/);
  });
});

describe('size', () => {
  it('imports a 100 MB task sequence (no 32 MB policy limit here)', () => {
    const step = corpusText('cm-export-child-ts-bitlocker.xml').match(/<step [\s\S]*?<\/step>/)![0];
    const group = `<group name="G" description="">${step.repeat(50)}</group>`;
    const count = Math.ceil((100 * 1024 * 1024) / group.length);
    const xml = `<sequence version="3.10">${group.repeat(count)}</sequence>`;
    expect(xml.length).toBeGreaterThan(100 * 1024 * 1024);
    const r = loadTaskSequence(Buffer.from(xml, 'utf8'), 'big.xml');
    expect(countItems(r.sequence)).toEqual({ groups: count, steps: count * 50 });
  });
});
