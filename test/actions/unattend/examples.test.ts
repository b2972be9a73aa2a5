// unattend.md §11 (Example A) and §12 (Example B) as golden files: the same inputs give byte-identical
// output (the random password is injected with the spec's sample value), and §13 test 2.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePassword, UnattendDocument } from '../../../src/actions/unattend/index.js';
import { expectWellFormed, leaves, vars } from './helpers.js';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

const LANGUAGES = {
  OSDWindowsSettingsInputLocale: '0409:00000409',
  OSDWindowsSettingsSystemLocale: 'en-US',
  OSDWindowsSettingsUILanguage: 'en-US',
  OSDWindowsSettingsUILanguageFallback: 'en-US',
  OSDWindowsSettingsUserLocale: 'en-US',
};

export const EXAMPLE_A = {
  OSDComputerName: 'PC-042',
  OSDRegisteredUserName: 'IT',
  OSDRegisteredOrgName: 'Contoso',
  OSDTimeZone: 'Pacific Standard Time',
  ...LANGUAGES,
  OSDRandomAdminPassword: 'true',
  OSDNetworkJoinType: '1',
  OSDWorkgroupName: 'WG',
};

export const EXAMPLE_B = {
  OSDComputerName: 'PC-043',
  OSDRegisteredUserName: 'IT',
  OSDRegisteredOrgName: 'Contoso',
  OSDTimeZone: 'Pacific Standard Time',
  ...LANGUAGES,
  OSDRandomAdminPassword: 'false',
  OSDLocalAdminPassword: 'Adm1n!Pass',
  OSDNetworkJoinType: '0',
  OSDDomainName: 'contoso.com',
  OSDDomainOUName: 'LDAP://OU=Workstations,OU=Seattle,DC=contoso,DC=com',
  OSDJoinAccount: 'CONTOSO\\svc-osdjoin',
  OSDJoinPassword: 'J0in-Secret!',
  OSDDNSSuffixSearchOrder: 'contoso.com,corp.contoso.com',
  OSDAdapterCount: '1',
  OSDAdapter0EnableDHCP: 'false',
  OSDAdapter0IPAddressList: '10.1.2.50',
  OSDAdapter0SubnetMask: '255.255.255.0',
  OSDAdapter0Gateways: '10.1.2.1',
  OSDAdapter0DNSServerList: '10.1.2.10,10.1.2.11',
  OSDAdapter0DNSDomain: 'contoso.com',
  OSDAdapter0EnableDNSRegistration: 'true',
  OSDAdapter0EnableFullDNSRegistration: 'true',
  OSDAdapter0TcpipNetbiosOptions: '0',
  OSDAdapter0EnableWINS: 'false',
  OSDAdapter0MacAddress: '00:15:5D:01:02:03',
};

const SAMPLE_RANDOM = 'q7N$w2Lr!e9Zt4Hb';

function build(values: Record<string, string>, random = () => SAMPLE_RANDOM): { doc: UnattendDocument; log: string[] } {
  const doc = UnattendDocument.create('amd64');
  const v = vars(values);
  const log = [...doc.applyWindowsSettings(v, { randomPassword: random }), ...doc.applyNetworkSettings(v, [])];
  return { doc, log };
}

describe('Example A (§11): workgroup, random admin password', () => {
  it('is byte-identical to the spec', () => {
    const { doc } = build(EXAMPLE_A);
    expect(doc.toXml()).toBe(fixture('example-a.xml'));
    expect(doc.validate()).toEqual([]);
    expect(doc.adminAccount).toBe('disabled');
  });

  it('differs only in the administrator value with a real random password', () => {
    const { doc } = build(EXAMPLE_A);
    const real = UnattendDocument.create('amd64');
    real.applyWindowsSettings(vars(EXAMPLE_A), {});
    real.applyNetworkSettings(vars(EXAMPLE_A), []);
    const got = leaves(real.toXml());
    const want = leaves(doc.toXml());
    const adminPath = 'oobeSystem/Microsoft-Windows-Shell-Setup/UserAccounts/AdministratorPassword/Value';
    expect([...got.keys()]).toEqual([...want.keys()]);
    for (const [k, v] of want) if (k !== adminPath) expect(got.get(k)).toBe(v);
    const random = decodePassword(got.get(adminPath)!, 'AdministratorPassword');
    expect(random).toHaveLength(24);
    expect(random).not.toBe(SAMPLE_RANDOM);
  });

  it('is well-formed XML and every component is amd64', () => {
    const xml = build(EXAMPLE_A).doc.toXml();
    expectWellFormed(xml);
    expect(xml.match(/processorArchitecture="([^"]+)"/g)!.every((m) => m.includes('"amd64"'))).toBe(true);
  });

  it('never puts the random password in the log lines', () => {
    const { log } = build(EXAMPLE_A);
    expect(log.join('\n')).not.toContain(SAMPLE_RANDOM);
    expect(log).toContain(
      'set oobeSystem/Microsoft-Windows-Shell-Setup/UserAccounts/AdministratorPassword (random password; the Administrator account is disabled after setup)',
    );
  });
});

describe('Example B (§12): domain join, OU, static IP, admin enabled', () => {
  it('is byte-identical to the spec', () => {
    const { doc } = build(EXAMPLE_B);
    expect(doc.toXml()).toBe(fixture('example-b.xml'));
    expect(doc.validate()).toEqual([]);
    expect(doc.adminAccount).toBe('enabled');
  });

  it('has the element values the spec lists', () => {
    const l = leaves(build(EXAMPLE_B).doc.toXml());
    expect(l.get('specialize/Microsoft-Windows-UnattendedJoin/Identification/MachineObjectOU')).toBe('OU=Workstations,OU=Seattle,DC=contoso,DC=com');
    expect(l.get('specialize/Microsoft-Windows-TCPIP/Interfaces/Interface#1/UnicastIpAddresses/IpAddress[1]')).toBe('10.1.2.50/24');
    expect(l.get('specialize/Microsoft-Windows-TCPIP/Interfaces/Interface#1/Routes/Route#1/Prefix')).toBe('0.0.0.0/0');
    expect(l.get('specialize/Microsoft-Windows-DNS-Client/Interfaces/Interface#1/DisableDynamicUpdate')).toBe('false');
    expect(l.get('oobeSystem/Microsoft-Windows-Shell-Setup/UserAccounts/AdministratorPassword/Value')).toBe(
      'QQBkAG0AMQBuACEAUABhAHMAcwBBAGQAbQBpAG4AaQBzAHQAcgBhAHQAbwByAFAAYQBzAHMAdwBvAHIAZAA=',
    );
  });

  it('logs element paths but no secret values', () => {
    const { log } = build(EXAMPLE_B);
    const text = log.join('\n');
    for (const secret of ['Adm1n!Pass', 'J0in-Secret!']) expect(text).not.toContain(secret);
    expect(log).toContain('set specialize/Microsoft-Windows-UnattendedJoin/Identification/Credentials/Password');
    expect(log).toContain('set specialize/Microsoft-Windows-TCPIP/Interfaces/Interface[00-15-5D-01-02-03]');
  });

  it('re-reads to the same text (parse → toXml)', () => {
    const xml = build(EXAMPLE_B).doc.toXml();
    expect(UnattendDocument.parse(xml, 'Unattend.xml').toXml()).toBe(xml);
    expectWellFormed(xml);
  });
});
