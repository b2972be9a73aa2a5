// unattend.md §9: drivers.xml, the Linux-lab back end (DevicePath + RunSynchronous pnputil); §13 test 9.
import { describe, expect, it } from 'vitest';
import { addStagedDriversCommand, appendDevicePath, buildDriversXml, UnattendDocument, UnattendError } from '../../../src/actions/unattend/index.js';
import { childNames, component, expectWellFormed, leaves, pass } from './helpers.js';

const PNP = 'offlineServicing/Microsoft-Windows-PnpCustomizationsNonWinPE/DriverPaths/PathAndCredentials';

describe('drivers.xml', () => {
  it('§13.9: two packages ⇒ one offlineServicing pass with PathAndCredentials keys 1 and 2', () => {
    const xml = buildDriversXml('amd64', ['C:\\_SMSTaskSequence\\drivers\\1', 'C:\\_SMSTaskSequence\\drivers\\2']);
    expectWellFormed(xml);
    expect([...leaves(xml)]).toEqual([
      [`${PNP}[1]/Path`, 'C:\\_SMSTaskSequence\\drivers\\1'],
      [`${PNP}[2]/Path`, 'C:\\_SMSTaskSequence\\drivers\\2'],
    ]);
    expect(xml).toContain('<settings pass="offlineServicing">');
    expect(xml).toContain('<PathAndCredentials wcm:action="add" wcm:keyValue="1">');
    expect(xml.match(/<settings /g)).toHaveLength(1);
    expect(xml).toContain('processorArchitecture="amd64"');
  });

  it('refuses no folders, an empty path or one longer than 259 characters', () => {
    expect(() => buildDriversXml('amd64', [])).toThrow(UnattendError);
    expect(() => buildDriversXml('amd64', [' '])).toThrow(/empty/);
    expect(() => buildDriversXml('amd64', [`C:\\${'x'.repeat(260)}`])).toThrow(/longer than 259/);
  });

  it('setup.exe installs: the same entries in the main file, keys continuing, no duplicates', () => {
    const doc = UnattendDocument.create('amd64', { install: 'setup' });
    doc.addDriverPaths(['D:\\Drivers\\A']);
    const log = doc.addDriverPaths(['d:\\drivers\\a', 'D:\\Drivers\\B']);
    expect(log).toEqual(['added offlineServicing/Microsoft-Windows-PnpCustomizationsNonWinPE/DriverPaths/PathAndCredentials[2]']);
    const l = leaves(doc.toXml());
    expect([l.get(`${PNP}[1]/Path`), l.get(`${PNP}[2]/Path`)]).toEqual(['D:\\Drivers\\A', 'D:\\Drivers\\B']);
    expect([...doc.toXml().matchAll(/<settings pass="(\w+)">/g)].map((m) => m[1])).toEqual(['windowsPE', 'offlineServicing', 'specialize', 'oobeSystem']);
  });
});

describe('Linux-lab back end', () => {
  it('§13.9: one specialize RunSynchronous pnputil command, however often it is added', () => {
    const doc = UnattendDocument.create('amd64');
    expect(addStagedDriversCommand(doc, 'C:')).toEqual(['added specialize/Microsoft-Windows-Deployment/RunSynchronous/RunSynchronousCommand[1]']);
    expect(addStagedDriversCommand(doc, 'c')).toEqual([]);
    const xml = doc.toXml();
    const l = leaves(xml);
    const cmd = 'specialize/Microsoft-Windows-Deployment/RunSynchronous/RunSynchronousCommand#1';
    expect([l.get(`${cmd}/Order`), l.get(`${cmd}/Path`), l.get(`${cmd}/Description`)]).toEqual([
      '1',
      'pnputil /add-driver "C:\\_SMSTaskSequence\\drivers\\*.inf" /subdirs /install',
      'OpenOSD staged drivers',
    ]);
    expect(childNames(xml, pass('specialize'), component('Microsoft-Windows-Deployment'), 'RunSynchronous', 'RunSynchronousCommand')).toEqual([
      'Order',
      'Path',
      'Description',
    ]);
    // After the user's own commands: the next Order.
    const other = UnattendDocument.create('amd64');
    other.mergeUserFile(
      '<unattend xmlns="urn:schemas-microsoft-com:unattend" xmlns:wcm="http://schemas.microsoft.com/WMIConfig/2002/State"><settings pass="specialize"><component name="Microsoft-Windows-Deployment" processorArchitecture="amd64" publicKeyToken="31bf3856ad364e35" language="neutral" versionScope="nonSxS"><RunSynchronous><RunSynchronousCommand wcm:action="add"><Order>3</Order><Path>cmd /c ver</Path></RunSynchronousCommand></RunSynchronous></component></settings></unattend>',
      'u.xml',
    );
    expect(addStagedDriversCommand(other, { stagingFolder: 'E:\\Staged\\' })).toEqual([
      'added specialize/Microsoft-Windows-Deployment/RunSynchronous/RunSynchronousCommand[4]',
    ]);
    expect(leaves(other.toXml()).get('specialize/Microsoft-Windows-Deployment/RunSynchronous/RunSynchronousCommand#2/Path')).toBe(
      'pnputil /add-driver "E:\\Staged\\*.inf" /subdirs /install',
    );
  });

  it('§13.9: DevicePath gets the staged folders appended once', () => {
    expect(appendDevicePath(undefined, ['C:\\_SMSTaskSequence\\drivers\\1'])).toBe('%SystemRoot%\\inf;C:\\_SMSTaskSequence\\drivers\\1');
    expect(appendDevicePath('%SystemRoot%\\inf;C:\\OEM', ['c:\\oem', 'C:\\_SMSTaskSequence\\drivers\\1', 'C:\\_SMSTaskSequence\\drivers\\2'])).toBe(
      '%SystemRoot%\\inf;C:\\OEM;C:\\_SMSTaskSequence\\drivers\\1;C:\\_SMSTaskSequence\\drivers\\2',
    );
  });
});
