// unattend.md §7 step 2 (user file merge), §7 step 3 (empty variables), §7 step 4 (substitution), §6
// (AutoLogon & co.), reading files (bad XML, legacy formats, namespaces); §13 tests 3 and 4.
import { describe, expect, it } from 'vitest';
import { UnattendDocument } from '../../../src/actions/unattend/index.js';
import { inputError } from '../../helpers/errors.js';
import { childNames, component, expectWellFormed, leaves, pass, vars } from './helpers.js';

const COMPONENT = (name: string, arch = 'amd64', body = '') =>
  `<component name="${name}" processorArchitecture="${arch}" publicKeyToken="31bf3856ad364e35" language="neutral" versionScope="nonSxS" xmlns:wcm="http://schemas.microsoft.com/WMIConfig/2002/State" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${body}</component>`;
const FILE = (...settings: string[]) =>
  `<?xml version="1.0" encoding="utf-8"?>\n<unattend xmlns="urn:schemas-microsoft-com:unattend">\n${settings.join('\n')}\n</unattend>\n`;
const SETTINGS = (p: string, ...components: string[]) => `<settings pass="${p}">${components.join('')}</settings>`;
const SHELL = 'Microsoft-Windows-Shell-Setup';
const rnd = { randomPassword: () => 'Random-Pass-123' };

describe('merging the user file (§7 step 2)', () => {
  it('§13.3: the step wins over the user file; a %OSDComputerName% placeholder resolves at Setup Windows and ConfigMgr', () => {
    const doc = UnattendDocument.create('amd64');
    doc.mergeUserFile(
      FILE(SETTINGS('specialize', COMPONENT(SHELL, 'amd64', '<ComputerName>%OSDComputerName%</ComputerName><TimeZone>UTC</TimeZone>'))),
      'unattend.xml',
    );
    const log = doc.applyWindowsSettings(vars({ OSDTimeZone: 'Pacific Standard Time' }), rnd);
    let l = leaves(doc.toXml());
    expect(l.get(`specialize/${SHELL}/TimeZone`)).toBe('Pacific Standard Time');
    expect(l.get(`specialize/${SHELL}/ComputerName`)).toBe('%OSDComputerName%');
    expect(log).toContain(`kept specialize/${SHELL}/ComputerName from the answer file (OSDComputerName is empty)`);
    expect(doc.validate()).toEqual([]);
    // Later, Setup Windows and ConfigMgr substitutes the variable.
    expect(doc.substituteVariables(vars({ OSDComputerName: 'PC-099' }))).toEqual([`substituted %OSDComputerName% in specialize/${SHELL}/ComputerName`]);
    l = leaves(doc.toXml());
    expect(l.get(`specialize/${SHELL}/ComputerName`)).toBe('PC-099');
  });

  it('§13.4: an x86 component in an amd64 deployment is kept, and lint says UNATTEND_ARCH_MISMATCH', () => {
    const doc = UnattendDocument.create('amd64');
    doc.mergeUserFile(
      FILE(SETTINGS('specialize', COMPONENT('Microsoft-Windows-IE-InternetExplorer', 'x86', '<Home_Page>https://intranet</Home_Page>'))),
      'u.xml',
    );
    expect(doc.toXml()).toContain('processorArchitecture="x86"');
    const f = doc.lint().find((x) => x.code === 'UNATTEND_ARCH_MISMATCH')!;
    expect(f).toMatchObject({ severity: 'error', path: 'specialize/Microsoft-Windows-IE-InternetExplorer' });
    expect(doc.validate()).toEqual([
      expect.stringMatching(/^UNATTEND_ARCH_MISMATCH specialize\/Microsoft-Windows-IE-InternetExplorer: processorArchitecture is x86/),
    ]);
  });

  it('keeps unknown components, unknown elements, unknown passes and top-level elements verbatim', () => {
    const user = `<?xml version="1.0" encoding="utf-8"?>
<unattend xmlns="urn:schemas-microsoft-com:unattend">
  <settings pass="specialize">
    ${COMPONENT('Microsoft-Windows-IE-InternetExplorer', 'amd64', '<Home_Page>https://intranet.contoso.com/?a=1&amp;b=2</Home_Page>')}
    ${COMPONENT(SHELL, 'amd64', '<ShowWindowsLive>false</ShowWindowsLive><OEMInformation><Manufacturer>Contoso</Manufacturer></OEMInformation>')}
  </settings>
  <settings pass="generalize">${COMPONENT('Microsoft-Windows-Security-SPP', 'amd64', '<SkipRearm>1</SkipRearm>')}</settings>
  <cpi:offlineImage cpi:source="wim:c:/images/install.wim#Windows 11 Pro" xmlns:cpi="urn:schemas-microsoft-com:cpi" />
</unattend>`;
    const doc = UnattendDocument.create('amd64');
    doc.mergeUserFile(user, 'u.xml');
    const xml = doc.toXml();
    expectWellFormed(xml);
    const l = leaves(xml);
    expect(l.get('specialize/Microsoft-Windows-IE-InternetExplorer/Home_Page')).toBe('https://intranet.contoso.com/?a=1&b=2');
    expect(l.get(`specialize/${SHELL}/ShowWindowsLive`)).toBe('false');
    expect(l.get(`specialize/${SHELL}/OEMInformation/Manufacturer`)).toBe('Contoso');
    expect(l.get(`specialize/${SHELL}/ComputerName`)).toBe('*');
    expect(l.get('generalize/Microsoft-Windows-Security-SPP/SkipRearm')).toBe('1');
    expect(xml).toContain('<cpi:offlineImage cpi:source="wim:c:/images/install.wim#Windows 11 Pro" xmlns:cpi="urn:schemas-microsoft-com:cpi" />');
    // Passes in Setup's order: generalize before specialize before oobeSystem.
    expect([...xml.matchAll(/<settings pass="(\w+)">/g)].map((m) => m[1])).toEqual(['generalize', 'specialize', 'oobeSystem']);
    // Shell-Setup children in schema order, the user's elements among ours.
    expect(childNames(xml, pass('specialize'), component(SHELL))).toEqual(['ComputerName', 'OEMInformation', 'ShowWindowsLive']);
  });

  it('user values win over the default; list items match by wcm:keyValue, else are appended', () => {
    const doc = UnattendDocument.create('amd64');
    doc.applyNetworkSettings(vars({ OSDDNSSuffixSearchOrder: 'a.contoso.com,b.contoso.com' }), []);
    doc.mergeUserFile(
      FILE(
        SETTINGS('oobeSystem', COMPONENT(SHELL, 'amd64', '<OOBE><ProtectYourPC>3</ProtectYourPC></OOBE>')),
        SETTINGS(
          'specialize',
          COMPONENT(
            'Microsoft-Windows-DNS-Client',
            'amd64',
            '<DNSSuffixSearchOrder><DomainName wcm:action="add" wcm:keyValue="2">user.contoso.com</DomainName><DomainName wcm:action="add" wcm:keyValue="3">c.contoso.com</DomainName></DNSSuffixSearchOrder>',
          ),
        ),
      ),
      'u.xml',
    );
    const l = leaves(doc.toXml());
    expect(l.get(`oobeSystem/${SHELL}/OOBE/ProtectYourPC`)).toBe('3');
    expect(l.get(`oobeSystem/${SHELL}/OOBE/HideEULAPage`)).toBe('true');
    expect(l.get('specialize/Microsoft-Windows-DNS-Client/DNSSuffixSearchOrder/DomainName[1]')).toBe('a.contoso.com');
    expect(l.get('specialize/Microsoft-Windows-DNS-Client/DNSSuffixSearchOrder/DomainName[2]')).toBe('user.contoso.com');
    expect(l.get('specialize/Microsoft-Windows-DNS-Client/DNSSuffixSearchOrder/DomainName[3]')).toBe('c.contoso.com');
  });

  it('leaves %…% tokens alone and keeps a user value when the step variable is empty; a bare placeholder is removed', () => {
    const doc = UnattendDocument.create('amd64');
    doc.mergeUserFile(
      FILE(
        SETTINGS(
          'specialize',
          COMPONENT(
            SHELL,
            'amd64',
            '<RegisteredOwner>Contoso IT</RegisteredOwner><ProductKey>%OSDProductKey%</ProductKey><RegisteredOrganization>%Org% Ltd</RegisteredOrganization>',
          ),
        ),
      ),
      'u.xml',
    );
    expect(leaves(doc.toXml()).get(`specialize/${SHELL}/ProductKey`)).toBe('%OSDProductKey%');
    const log = doc.applyWindowsSettings(vars({}), rnd);
    const l = leaves(doc.toXml());
    expect(l.get(`specialize/${SHELL}/RegisteredOwner`)).toBe('Contoso IT');
    expect(l.get(`specialize/${SHELL}/RegisteredOrganization`)).toBe('%Org% Ltd');
    expect(l.has(`specialize/${SHELL}/ProductKey`)).toBe(false);
    expect(log).toContain(`kept specialize/${SHELL}/RegisteredOwner from the answer file (OSDRegisteredUserName is empty)`);
    expect(log).toContain(`removed specialize/${SHELL}/ProductKey (OSDProductKey is empty)`);
  });

  it('an empty variable removes what a step wrote before (a second instance re-applies its own values)', () => {
    const doc = UnattendDocument.create('amd64');
    doc.applyWindowsSettings(vars({ OSDRegisteredOrgName: 'Contoso', OSDWindowsSettingsUILanguage: 'de-DE' }), rnd);
    const log = doc.applyWindowsSettings(vars({}), rnd);
    const l = leaves(doc.toXml());
    expect(l.has(`specialize/${SHELL}/RegisteredOrganization`)).toBe(false);
    expect([...l.keys()].some((k) => k.includes('International-Core'))).toBe(false); // the emptied component is gone too
    expect(log).toContain('removed oobeSystem/Microsoft-Windows-International-Core/UILanguage (OSDWindowsSettingsUILanguage is empty)');
  });

  it('removes AutoLogon, FirstLogonCommands and LocalAccounts from oobeSystem Shell-Setup (§6), warning about AutoLogon as Administrator', () => {
    const doc = UnattendDocument.create('amd64');
    const log = doc.mergeUserFile(
      FILE(
        SETTINGS(
          'oobeSystem',
          COMPONENT(
            SHELL,
            'amd64',
            '<AutoLogon><Enabled>true</Enabled><Username>Administrator</Username><Password><Value>cAB3AFAAYQBzAHMAdwBvAHIAZAA=</Value><PlainText>false</PlainText></Password></AutoLogon>' +
              '<FirstLogonCommands><SynchronousCommand wcm:action="add"><Order>1</Order><CommandLine>cmd /c echo</CommandLine></SynchronousCommand></FirstLogonCommands>' +
              '<UserAccounts><LocalAccounts><LocalAccount wcm:action="add"><Name>kiosk</Name><Group>Users</Group></LocalAccount></LocalAccounts></UserAccounts>',
          ),
        ),
      ),
      'u.xml',
    );
    const xml = doc.toXml();
    for (const gone of ['AutoLogon', 'FirstLogonCommands', 'LocalAccounts']) expect(xml).not.toContain(`<${gone}>`);
    expect(childNames(xml, pass('oobeSystem'), component(SHELL), 'UserAccounts')).toEqual(['AdministratorPassword']);
    expect(log).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^warning: oobeSystem\/Microsoft-Windows-Shell-Setup\/AutoLogon logs on as Administrator/),
        `removed oobeSystem/${SHELL}/FirstLogonCommands (the task sequence, not a logon, resumes after Setup)`,
      ]),
    );
  });

  it('the user file cannot leave a blank administrator password: the step rewrites it', () => {
    const doc = UnattendDocument.create('amd64');
    doc.mergeUserFile(
      FILE(
        SETTINGS(
          'oobeSystem',
          COMPONENT(SHELL, 'amd64', '<UserAccounts><AdministratorPassword><Value></Value><PlainText>true</PlainText></AdministratorPassword></UserAccounts>'),
        ),
      ),
      'u.xml',
    );
    expect(doc.validate()).toEqual([expect.stringMatching(/^UNATTEND_BLANK_ADMIN_PASSWORD /)]);
    doc.applyWindowsSettings(vars({}), rnd);
    expect(doc.validate()).toEqual([]);
  });

  it('normalizes namespace prefixes: another prefix for wcm, a prefixed unattend namespace', () => {
    const user = `<u:unattend xmlns:u="urn:schemas-microsoft-com:unattend" xmlns:w="http://schemas.microsoft.com/WMIConfig/2002/State">
  <u:settings pass="specialize"><u:component name="Microsoft-Windows-DNS-Client" processorArchitecture="amd64" publicKeyToken="31bf3856ad364e35" language="neutral" versionScope="nonSxS">
    <u:DNSSuffixSearchOrder><u:DomainName w:action="add" w:keyValue="1">contoso.com</u:DomainName></u:DNSSuffixSearchOrder>
  </u:component></u:settings></u:unattend>`;
    const doc = UnattendDocument.create('amd64');
    doc.mergeUserFile(user, 'u.xml');
    const xml = doc.toXml();
    expectWellFormed(xml);
    expect(xml).toContain('<DomainName wcm:action="add" wcm:keyValue="1">contoso.com</DomainName>');
    expect(leaves(xml).get('specialize/Microsoft-Windows-DNS-Client/DNSSuffixSearchOrder/DomainName[1]')).toBe('contoso.com');
  });
});

describe('reading answer files', () => {
  it('bad XML is an InputError naming input, line and rule', () => {
    const e = inputError(() =>
      UnattendDocument.parse('<unattend xmlns="urn:schemas-microsoft-com:unattend">\n  <settings pass="specialize">\n</unattend>', 'D:\\Unattend.xml'),
    );
    expect(e.input).toBe('D:\\Unattend.xml');
    expect(e.location?.line).toBe(3);
    expect(e.rule).toContain('expected </settings>');
    expect(
      inputError(() => UnattendDocument.create('amd64').mergeUserFile('<unattend xmlns="urn:schemas-microsoft-com:unattend"><a></b></unattend>', 'u.xml'))
        .input,
    ).toBe('u.xml');
  });

  it('refuses legacy formats (sysprep.inf, unattend.txt)', () => {
    const sysprep = '; sysprep.inf\n[Unattended]\nOemSkipEula=Yes\n[UserData]\nComputerName=PC-001\n';
    const e = inputError(() => UnattendDocument.create('amd64').mergeUserFile(sysprep, 'sysprep.inf'));
    expect(e.rule).toBe('legacy answer file formats (sysprep.inf, unattend.txt) are not supported');
    expect(e.location).toEqual({ line: 1, column: 1 });
    expect(inputError(() => UnattendDocument.create('amd64').mergeUserFile('[Data]\nMsDosInitiated="0"', 'unattend.txt')).rule).toContain('legacy');
  });

  it('refuses a document that is not an answer file, and undeclared prefixes', () => {
    expect(inputError(() => UnattendDocument.parse('<sequence/>', 'ts.xml')).rule).toContain('not an unattend.xml answer file');
    expect(inputError(() => UnattendDocument.parse('<unattend/>', 'x.xml')).rule).toContain('without a namespace');
    const undeclared = '<unattend xmlns="urn:schemas-microsoft-com:unattend"><settings pass="specialize"><x wcm:action="add"/></settings></unattend>';
    expect(inputError(() => UnattendDocument.parse(undeclared, 'x.xml')).rule).toContain('prefix "wcm" of attribute wcm:action');
  });

  it('parse takes the architecture from the file (or the caller) and never deletes what it read', () => {
    const xml = FILE(
      SETTINGS('specialize', COMPONENT(SHELL, 'arm64', '<ComputerName>PC-1</ComputerName><ProductKey>AAAAA-BBBBB-CCCCC-DDDDD-EEEEE</ProductKey>')),
    );
    const doc = UnattendDocument.parse(xml, 'x.xml');
    expect(doc.arch).toBe('arm64');
    expect(
      UnattendDocument.parse(xml, 'x.xml', { arch: 'amd64' })
        .lint()
        .map((f) => f.code),
    ).toContain('UNATTEND_ARCH_MISMATCH');
    doc.applyWindowsSettings(vars({}), rnd);
    expect(leaves(doc.toXml()).get(`specialize/${SHELL}/ProductKey`)).toBe('AAAAA-BBBBB-CCCCC-DDDDD-EEEEE');
  });
});

describe('substitution (§7 step 4)', () => {
  it('replaces known variables (escaped on output), keeps unknown ones, %% is a literal %', () => {
    const doc = UnattendDocument.create('amd64');
    doc.mergeUserFile(
      FILE(SETTINGS('specialize', COMPONENT(SHELL, 'amd64', '<RegisteredOrganization>%Org% 100%% &amp; %Unknown%</RegisteredOrganization>'))),
      'u.xml',
    );
    doc.substituteVariables(vars({ org: 'R<&>D' }));
    const xml = doc.toXml();
    expect(xml).toContain('<RegisteredOrganization>R&lt;&amp;&gt;D 100% &amp; %Unknown%</RegisteredOrganization>');
    expectWellFormed(xml);
  });
});
