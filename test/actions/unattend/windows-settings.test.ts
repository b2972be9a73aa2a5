// unattend.md §4.1, §4.2, §6, §10 (default document) and the validation of §7 step 5; §13 test 8.
import { describe, expect, it } from 'vitest';
import { computerNameProblem, decodePassword, UnattendDocument, UnattendError } from '../../../src/actions/unattend/index.js';
import { childNames, component, expectWellFormed, leaves, pass, vars } from './helpers.js';

const SHELL = 'Microsoft-Windows-Shell-Setup';
const INTL = 'Microsoft-Windows-International-Core';
const rnd = { randomPassword: () => 'Random-Pass-123' };

function win(values: Record<string, string>, doc = UnattendDocument.create('amd64')) {
  const log = doc.applyWindowsSettings(vars(values), rnd);
  return { doc, log, l: leaves(doc.toXml()), xml: doc.toXml() };
}

describe('the default document (§10)', () => {
  it('suppresses OOBE, has a ComputerName and a random administrator password, nothing in windowsPE', () => {
    const doc = UnattendDocument.create('x86', { randomPassword: () => 'Start-Pass-1' });
    const l = leaves(doc.toXml());
    expect(l.get(`specialize/${SHELL}/ComputerName`)).toBe('*');
    expect(l.get(`oobeSystem/${SHELL}/OOBE/HideEULAPage`)).toBe('true');
    expect(l.get(`oobeSystem/${SHELL}/OOBE/ProtectYourPC`)).toBe('1');
    expect(l.get(`oobeSystem/${SHELL}/OOBE/NetworkLocation`)).toBe('Work');
    expect(decodePassword(l.get(`oobeSystem/${SHELL}/UserAccounts/AdministratorPassword/Value`)!, 'AdministratorPassword')).toBe('Start-Pass-1');
    expect(l.get(`oobeSystem/${SHELL}/UserAccounts/AdministratorPassword/PlainText`)).toBe('false');
    expect(doc.adminAccount).toBe('disabled');
    expect([...l.keys()].some((k) => k.startsWith('windowsPE'))).toBe(false);
    expect(doc.toXml()).toContain('processorArchitecture="x86"');
    expect(doc.validate()).toEqual([]);
  });

  it('setup.exe installs also accept the EULA and write the product key in windowsPE', () => {
    const doc = UnattendDocument.create('amd64', { install: 'setup' });
    const { l } = win({ OSDProductKey: 'NPPR9-FWDCX-D2C8J-H872K-2YT43' }, doc);
    expect(l.get('windowsPE/Microsoft-Windows-Setup/UserData/AcceptEula')).toBe('true');
    expect(l.get('windowsPE/Microsoft-Windows-Setup/UserData/ProductKey/Key')).toBe('NPPR9-FWDCX-D2C8J-H872K-2YT43');
    expect(l.get(`specialize/${SHELL}/ProductKey`)).toBe('NPPR9-FWDCX-D2C8J-H872K-2YT43');
  });
});

describe('Apply Windows Settings (§4.1, §4.2)', () => {
  it('§13.8: an empty OSDProductKey writes no ProductKey; "ABC" is written with a lint warning, never logged', () => {
    expect(win({ OSDProductKey: '' }).xml).not.toContain('ProductKey');
    const { l, log, doc } = win({ OSDProductKey: 'ABC' });
    expect(l.get(`specialize/${SHELL}/ProductKey`)).toBe('ABC');
    expect(doc.lint()).toEqual([
      { code: 'UNATTEND_PRODUCT_KEY', severity: 'warning', path: `specialize/${SHELL}/ProductKey`, message: expect.stringContaining('29 characters') },
    ]);
    expect(doc.validate()).toEqual([]);
    expect(log).toContain('warning: OSDProductKey is not in the form XXXXX-XXXXX-XXXXX-XXXXX-XXXXX (29 characters); written as given');
    expect(log.join('\n')).not.toContain('ABC');
  });

  it('omits empty elements (whitespace-only counts as empty)', () => {
    const { l } = win({ OSDRegisteredUserName: '  ', OSDRegisteredOrgName: '', OSDTimeZone: 'UTC' });
    expect([...l.keys()].filter((k) => k.startsWith(`specialize/${SHELL}`))).toEqual([`specialize/${SHELL}/ComputerName`, `specialize/${SHELL}/TimeZone`]);
  });

  it('languages go to oobeSystem, and overwrite a specialize copy the user file has; International-Core-WinPE is not touched', () => {
    const doc = UnattendDocument.create('amd64');
    const c = (name: string, passName: string, body: string) =>
      `<settings pass="${passName}"><component name="${name}" processorArchitecture="amd64" publicKeyToken="31bf3856ad364e35" language="neutral" versionScope="nonSxS">${body}</component></settings>`;
    doc.mergeUserFile(
      `<unattend xmlns="urn:schemas-microsoft-com:unattend">${c(INTL, 'specialize', '<UILanguage>fr-FR</UILanguage><UserLocale>fr-FR</UserLocale>')}${c('Microsoft-Windows-International-Core-WinPE', 'windowsPE', '<UILanguage>fr-FR</UILanguage>')}</unattend>`,
      'u.xml',
    );
    const { l } = win({ OSDWindowsSettingsUILanguage: 'de-DE', OSDWindowsSettingsInputLocale: '0407:00000407' }, doc);
    expect(l.get(`oobeSystem/${INTL}/UILanguage`)).toBe('de-DE');
    expect(l.get(`oobeSystem/${INTL}/InputLocale`)).toBe('0407:00000407');
    expect(l.get(`specialize/${INTL}/UILanguage`)).toBe('de-DE');
    expect(l.get(`specialize/${INTL}/UserLocale`)).toBe('fr-FR');
    expect(l.has(`specialize/${INTL}/InputLocale`)).toBe(false);
    expect(l.get('windowsPE/Microsoft-Windows-International-Core-WinPE/UILanguage')).toBe('fr-FR');
  });

  it('TimeZone goes to specialize, and overwrites an oobeSystem TimeZone the user file has', () => {
    const doc = UnattendDocument.create('amd64');
    doc.mergeUserFile(
      `<unattend xmlns="urn:schemas-microsoft-com:unattend"><settings pass="oobeSystem"><component name="${SHELL}" processorArchitecture="amd64" publicKeyToken="31bf3856ad364e35" language="neutral" versionScope="nonSxS"><TimeZone>UTC</TimeZone></component></settings></unattend>`,
      'u.xml',
    );
    const { l, xml } = win({ OSDTimeZone: 'W. Europe Standard Time' }, doc);
    expect([l.get(`specialize/${SHELL}/TimeZone`), l.get(`oobeSystem/${SHELL}/TimeZone`)]).toEqual(['W. Europe Standard Time', 'W. Europe Standard Time']);
    expect(childNames(xml, pass('oobeSystem'), component(SHELL))).toEqual(['OOBE', 'TimeZone', 'UserAccounts']);
  });

  it('server licence variables write nothing and say so', () => {
    const { log, xml } = win({ OSDServerLicenseMode: 'PerSeat', OSDServerLicenseConnectionLimit: '50' });
    expect(log.filter((l) => l.startsWith('info:'))).toHaveLength(2);
    expect(xml).not.toMatch(/Licens|PerSeat|AutoMode/);
  });

  it('administrator: random ⇒ disabled, specified ⇒ enabled, specified but empty ⇒ 0x80070057', () => {
    const random = win({});
    expect(random.doc.adminAccount).toBe('disabled');
    expect(decodePassword(random.l.get(`oobeSystem/${SHELL}/UserAccounts/AdministratorPassword/Value`)!, 'AdministratorPassword')).toBe('Random-Pass-123');
    const given = win({ OSDRandomAdminPassword: 'FALSE', OSDLocalAdminPassword: ' spaced pw ' });
    expect(given.doc.adminAccount).toBe('enabled');
    expect(decodePassword(given.l.get(`oobeSystem/${SHELL}/UserAccounts/AdministratorPassword/Value`)!, 'AdministratorPassword')).toBe(' spaced pw ');
    expect(given.log.join('\n')).not.toContain('spaced pw');
    for (const empty of [{}, { OSDLocalAdminPassword: '' }, { OSDLocalAdminPassword: '   ' }] as Array<Record<string, string>>) {
      try {
        win({ OSDRandomAdminPassword: 'false', ...empty });
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(UnattendError);
        expect((e as UnattendError).code).toBe(0x80070057);
      }
    }
    expect(() => win({ OSDRandomAdminPassword: 'yes' })).toThrow(/OSDRandomAdminPassword must be "true" or "false"/);
  });

  it('an empty OSDComputerName leaves the default "*" (random name)', () => {
    expect(win({}).l.get(`specialize/${SHELL}/ComputerName`)).toBe('*');
    const named = win({ OSDComputerName: 'PC-1' });
    expect(win({}, named.doc).l.get(`specialize/${SHELL}/ComputerName`)).toBe('*');
  });
});

describe('validation (§7 step 5)', () => {
  it('computer names (§4.1)', () => {
    for (const ok of ['PC-042', 'A', '*', '', '%OSDComputerName%', 'ABCDEFGHIJKLMNO']) expect(computerNameProblem(ok)).toBeUndefined();
    expect(computerNameProblem('ABCDEFGHIJKLMNOP')).toContain('at most 15 bytes');
    for (const bad of ['PC 1', 'PC.1', 'PC_1!', 'a{b', 'a\\b', 'PC,1']) expect(computerNameProblem(bad)).toBeDefined();
    expect(computerNameProblem('12345')).toContain('all digits');
    expect(computerNameProblem('PC_1')).toContain('valid DNS label');
    expect(win({ OSDComputerName: 'MY PC' }).doc.validate()).toEqual([
      `UNATTEND_COMPUTER_NAME specialize/${SHELL}/ComputerName: a computer name may not contain spaces or any of {|}~[]\\^'":;<>=?@!#$%\`()+/.,*&`,
    ]);
  });

  it('empty values where the schema forbids them, numeric elements holding %VAR%, both joins, duplicate interfaces, bad encodings', () => {
    const c = (name: string, body: string) =>
      `<component name="${name}" processorArchitecture="amd64" publicKeyToken="31bf3856ad364e35" language="neutral" versionScope="nonSxS">${body}</component>`;
    const doc = UnattendDocument.parse(
      `<unattend xmlns="urn:schemas-microsoft-com:unattend" xmlns:wcm="http://schemas.microsoft.com/WMIConfig/2002/State"><settings pass="specialize">
        ${c('Microsoft-Windows-UnattendedJoin', '<Identification><JoinDomain>contoso.com</JoinDomain><JoinWorkgroup>WG</JoinWorkgroup><Credentials><Domain/><Username>u</Username><Password>p</Password></Credentials></Identification>')}
        ${c('Microsoft-Windows-TCPIP', '<Interfaces><Interface wcm:action="add"><Identifier>Ethernet</Identifier></Interface><Interface wcm:action="add"><Identifier>ethernet</Identifier></Interface></Interfaces>')}
        ${c('Microsoft-Windows-NetBT', '<Interfaces><Interface wcm:action="add"><NetbiosOptions>%Netbios%</NetbiosOptions><Identifier>Ethernet</Identifier></Interface></Interfaces>')}
        ${c('Microsoft-Windows-Deployment', '<RunSynchronous><RunSynchronousCommand wcm:action="add"><Order>1</Order><Path>%WINDIR%\\setup.cmd</Path></RunSynchronousCommand></RunSynchronous>')}
      </settings><settings pass="oobeSystem">${c(SHELL, '<UserAccounts><AdministratorPassword><Value>cAB3AFAAYQBzAHMAdwBvAHIAZAA=</Value><PlainText>false</PlainText></AdministratorPassword></UserAccounts><AutoLogon><Username>Administrator</Username></AutoLogon>')}</settings></unattend>`,
      'x.xml',
    );
    doc.adminAccount = 'disabled';
    expect(doc.lint().map((f) => `${f.severity} ${f.code} ${f.path}`)).toEqual([
      'error UNATTEND_EMPTY_VALUE specialize/Microsoft-Windows-UnattendedJoin/Identification/Credentials/Domain',
      'error UNATTEND_NUMERIC_VARIABLE specialize/Microsoft-Windows-NetBT/Interfaces/Interface/NetbiosOptions',
      'warning UNATTEND_ENV_IN_WINPE specialize/Microsoft-Windows-Deployment/RunSynchronous/RunSynchronousCommand/Path',
      'error UNATTEND_JOIN_CONFLICT specialize/Microsoft-Windows-UnattendedJoin/Identification',
      'error UNATTEND_DUPLICATE_INTERFACE specialize/Microsoft-Windows-TCPIP/Interfaces/Interface[ethernet]',
      'error UNATTEND_PASSWORD_ENCODING oobeSystem/Microsoft-Windows-Shell-Setup/UserAccounts/AdministratorPassword/Value',
      'warning UNATTEND_AUTOLOGON_ADMIN oobeSystem/Microsoft-Windows-Shell-Setup/AutoLogon',
    ]);
    expect(doc.validate()).toHaveLength(5);
  });

  it('property-style: every supported architecture yields well-formed XML whose components all carry it', () => {
    for (const arch of ['amd64', 'x86', 'arm64'] as const) {
      const doc = UnattendDocument.create(arch);
      doc.applyWindowsSettings(vars({ OSDComputerName: 'PC-1', OSDWindowsSettingsUILanguage: 'en-US' }), rnd);
      doc.applyNetworkSettings(vars({ OSDNetworkJoinType: '1', OSDWorkgroupName: 'WG', OSDDNSDomain: 'c.com' }), []);
      const xml = doc.toXml();
      expectWellFormed(xml);
      expect(new Set([...xml.matchAll(/processorArchitecture="([^"]+)"/g)].map((m) => m[1]))).toEqual(new Set([arch]));
    }
  });
});
