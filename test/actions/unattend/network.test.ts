// unattend.md §4.3 (membership), §4.4 (adapters, DNS, NetBT, filtering); §13 tests 5, 6, 7.
import { describe, expect, it } from 'vitest';
import { UnattendDocument, UnattendError, normalizeMac, prefixLength } from '../../../src/actions/unattend/index.js';
import { childNames, component, leaves, pass, vars } from './helpers.js';

const UJ = 'specialize/Microsoft-Windows-UnattendedJoin/Identification';
const TCPIP = 'specialize/Microsoft-Windows-TCPIP/Interfaces/Interface#1';

function net(values: Record<string, string>, adapters: Array<{ mac: string; index: number }> = [], doc = UnattendDocument.create('amd64')) {
  const log = doc.applyNetworkSettings(vars(values), adapters);
  return { doc, log, l: leaves(doc.toXml()), xml: doc.toXml() };
}

function unattendError(fn: () => unknown): UnattendError {
  try {
    fn();
  } catch (e) {
    if (e instanceof UnattendError) return e;
    throw e;
  }
  throw new Error('expected an UnattendError');
}

const DOMAIN = { OSDNetworkJoinType: '0', OSDDomainName: 'contoso.com', OSDJoinPassword: 'pw' };

describe('domain or workgroup (§4.3)', () => {
  it.each([
    ['CONTOSO\\svc', { Domain: 'CONTOSO', Username: 'svc' }],
    ['svc@contoso.com', { Username: 'svc@contoso.com' }],
    ['svc', { Username: 'svc' }],
  ])('§13.6: OSDJoinAccount %s', (account, expected) => {
    const { l } = net({ ...DOMAIN, OSDJoinAccount: account });
    const creds = Object.fromEntries([...l].filter(([k]) => k.startsWith(`${UJ}/Credentials/`)).map(([k, v]) => [k.slice(UJ.length + 13), v]));
    expect(creds).toEqual({ ...expected, Password: 'pw' });
  });

  it('strips LDAP:// from the OU, whatever its case; an empty OU writes nothing', () => {
    expect(net({ ...DOMAIN, OSDDomainOUName: 'ldap://OU=PCs,DC=contoso,DC=com' }).l.get(`${UJ}/MachineObjectOU`)).toBe('OU=PCs,DC=contoso,DC=com');
    expect(net({ ...DOMAIN, OSDDomainOUName: 'OU=PCs,DC=contoso,DC=com' }).l.get(`${UJ}/MachineObjectOU`)).toBe('OU=PCs,DC=contoso,DC=com');
    expect(net({ ...DOMAIN, OSDDomainOUName: '' }).l.has(`${UJ}/MachineObjectOU`)).toBe(false);
  });

  it('joining a workgroup removes the domain join, OU and credentials; joining a domain removes the workgroup', () => {
    const first = net({ ...DOMAIN, OSDJoinAccount: 'C\\u', OSDDomainOUName: 'OU=X,DC=c' });
    const second = net({ OSDNetworkJoinType: '1', OSDWorkgroupName: 'WORKGROUP' }, [], first.doc);
    expect([...second.l.keys()].filter((k) => k.startsWith(UJ))).toEqual([`${UJ}/JoinWorkgroup`]);
    expect(second.log).toEqual(expect.arrayContaining([`removed ${UJ}/Credentials (joining a workgroup)`]));
    const third = net(DOMAIN, [], second.doc);
    expect([...third.l.keys()].filter((k) => k.startsWith(UJ))).toEqual([`${UJ}/Credentials/Password`, `${UJ}/JoinDomain`]);
  });

  it('refuses a join type without its name; warns about a missing join password and a long workgroup name', () => {
    expect(unattendError(() => net({ OSDNetworkJoinType: '0' })).message).toContain('OSDDomainName is empty');
    expect(unattendError(() => net({ OSDNetworkJoinType: '1' })).code).toBe(0x80070057);
    expect(unattendError(() => net({ OSDNetworkJoinType: '2' })).message).toContain('must be 0 (domain) or 1 (workgroup)');
    expect(net({ ...DOMAIN, OSDJoinPassword: '', OSDJoinAccount: 'C\\u' }).log).toContain(
      'warning: OSDJoinAccount is set but OSDJoinPassword is empty; the domain join will fail',
    );
    const long = net({ OSDNetworkJoinType: '1', OSDWorkgroupName: 'A-VERY-LONG-WORKGROUP' });
    expect(long.log).toContain('warning: OSDWorkgroupName is longer than 15 characters, which is not a valid NetBIOS name');
    expect(long.doc.lint().map((f) => [f.code, f.severity])).toEqual([['UNATTEND_WORKGROUP_NAME', 'warning']]);
  });

  it('without a join type, follows the name given, or leaves membership alone', () => {
    expect(net({ OSDWorkgroupName: 'WG' }).l.get(`${UJ}/JoinWorkgroup`)).toBe('WG');
    expect([...net({}).l.keys()].some((k) => k.includes('UnattendedJoin'))).toBe(false);
  });
});

describe('adapters (§4.4)', () => {
  const STATIC = { OSDAdapterCount: '1', OSDAdapter0EnableDHCP: 'False', OSDAdapter0MacAddress: '00155d010203' };

  it('§13.7: subnet masks become prefix lengths; a non-contiguous mask is refused with 0x80070057', () => {
    const { l } = net({ ...STATIC, OSDAdapter0IPAddressList: '10.0.0.5,192.168.1.9', OSDAdapter0SubnetMask: '255.255.255.128,255.255.0.0' });
    expect(l.get(`${TCPIP}/UnicastIpAddresses/IpAddress[1]`)).toBe('10.0.0.5/25');
    expect(l.get(`${TCPIP}/UnicastIpAddresses/IpAddress[2]`)).toBe('192.168.1.9/16');
    const e = unattendError(() => net({ ...STATIC, OSDAdapter0IPAddressList: '10.0.0.5', OSDAdapter0SubnetMask: '255.0.255.0' }));
    expect(e.code).toBe(0x80070057);
    expect(e.message).toBe('OSDAdapter0SubnetMask: 255.0.255.0 is not a contiguous subnet mask');
    expect([prefixLength('0.0.0.0', '1.2.3.4', 'm'), prefixLength('255.255.255.255', '1.2.3.4', 'm'), prefixLength('24', '1.2.3.4', 'm')]).toEqual([0, 32, 24]);
    expect(prefixLength('64', 'fd00::5', 'm')).toBe(64);
  });

  it('pairs addresses with masks and refuses mismatches, bad addresses and a static adapter without an address', () => {
    expect(unattendError(() => net({ ...STATIC, OSDAdapter0IPAddressList: '10.0.0.5,10.0.0.6', OSDAdapter0SubnetMask: '255.0.0.0' })).message).toContain(
      'one mask per address',
    );
    expect(unattendError(() => net({ ...STATIC, OSDAdapter0IPAddressList: '10.0.0.500', OSDAdapter0SubnetMask: '255.0.0.0' })).message).toContain(
      'is not an IP address',
    );
    expect(unattendError(() => net(STATIC)).message).toBe('OSDAdapter0EnableDHCP is false but OSDAdapter0IPAddressList is empty');
    expect(unattendError(() => net({ OSDAdapterCount: '1', OSDAdapter0MacAddress: '00155d010203' })).message).toContain('EnableDHCP is required');
  });

  it('one default route per gateway, metrics 10, 20, …, children in schema order', () => {
    const { l, xml } = net({
      ...STATIC,
      OSDAdapter0IPAddressList: '10.0.0.5',
      OSDAdapter0SubnetMask: '255.255.255.0',
      OSDAdapter0Gateways: '10.0.0.1, 10.0.0.2',
    });
    expect([1, 2].map((i) => ['Identifier', 'Metric', 'NextHopAddress', 'Prefix'].map((c) => l.get(`${TCPIP}/Routes/Route#${i}/${c}`)))).toEqual([
      ['1', '10', '10.0.0.1', '0.0.0.0/0'],
      ['2', '20', '10.0.0.2', '0.0.0.0/0'],
    ]);
    const tcpip = [pass('specialize'), component('Microsoft-Windows-TCPIP'), 'Interfaces', 'Interface'] as const;
    expect(childNames(xml, ...tcpip)).toEqual(['Ipv4Settings', 'Identifier', 'UnicastIpAddresses', 'Routes']);
    expect(childNames(xml, ...tcpip, 'Routes', 'Route')).toEqual(['Identifier', 'Metric', 'NextHopAddress', 'Prefix']);
  });

  it('DHCP adapters: DhcpEnabled true, DNS servers and suffix still written; nothing without OSDAdapterCount', () => {
    const { l } = net({
      OSDAdapterCount: '1',
      OSDAdapter0EnableDHCP: 'true',
      OSDAdapter0MacAddress: 'AA-BB-CC-DD-EE-FF',
      OSDAdapter0DNSServerList: '10.0.0.53',
      OSDAdapter0DNSSuffix: 'lab.contoso.com',
      OSDAdapter0IPAddressList: '10.9.9.9',
    });
    expect(l.get(`${TCPIP}/Ipv4Settings/DhcpEnabled`)).toBe('true');
    expect([...l.keys()].some((k) => k.includes('UnicastIpAddresses'))).toBe(false);
    const dns = 'specialize/Microsoft-Windows-DNS-Client/Interfaces/Interface#1';
    expect([l.get(`${dns}/Identifier`), l.get(`${dns}/DNSDomain`), l.get(`${dns}/DNSServerSearchOrder/IpAddress[1]`)]).toEqual([
      'AA-BB-CC-DD-EE-FF',
      'lab.contoso.com',
      '10.0.0.53',
    ]);
    const none = net({ OSDAdapter0EnableDHCP: 'false', OSDAdapter0IPAddressList: '10.0.0.5' });
    expect([...none.l.keys()].some((k) => k.includes('TCPIP'))).toBe(false);
  });

  it('NetBT: NetbiosOptions and WINS servers (only when WINS is enabled); registration flags map to DNS-Client', () => {
    const base = { OSDAdapterCount: '1', OSDAdapter0EnableDHCP: 'true', OSDAdapter0MacAddress: '00-15-5D-00-00-01' };
    const { l, xml } = net({
      ...base,
      OSDAdapter0TcpipNetbiosOptions: '2',
      OSDAdapter0EnableWINS: 'true',
      OSDAdapter0WINSServerList: '10.0.0.7,10.0.0.8',
      OSDAdapter0EnableFullDNSRegistration: 'false',
      OSDAdapter0EnableDNSRegistration: 'false',
    });
    const nb = 'specialize/Microsoft-Windows-NetBT/Interfaces/Interface#1';
    expect([l.get(`${nb}/NetbiosOptions`), l.get(`${nb}/NameServerList/IpAddress[1]`), l.get(`${nb}/NameServerList/IpAddress[2]`)]).toEqual([
      '2',
      '10.0.0.7',
      '10.0.0.8',
    ]);
    expect(childNames(xml, pass('specialize'), component('Microsoft-Windows-NetBT'), 'Interfaces', 'Interface')).toEqual([
      'NameServerList',
      'NetbiosOptions',
      'Identifier',
    ]);
    const dns = 'specialize/Microsoft-Windows-DNS-Client/Interfaces/Interface#1';
    expect([l.get(`${dns}/DisableDynamicUpdate`), l.get(`${dns}/EnableAdapterDomainNameRegistration`)]).toEqual(['true', 'false']);
    const off = net({ ...base, OSDAdapter0EnableWINS: 'false', OSDAdapter0WINSServerList: '10.0.0.7' });
    expect([...off.l.keys()].some((k) => k.includes('NetBT'))).toBe(false);
    expect(unattendError(() => net({ ...base, OSDAdapter0TcpipNetbiosOptions: '3' })).message).toContain('must be 0 (from DHCP), 1 (enable) or 2 (disable)');
  });

  it('TCP/IP filtering writes nothing but warns once', () => {
    const { log, xml } = net({
      OSDEnableTCPIPFiltering: 'true',
      OSDAdapterCount: '2',
      OSDAdapter0EnableDHCP: 'true',
      OSDAdapter0MacAddress: '00-00-00-00-00-01',
      OSDAdapter0EnableTCPFiltering: 'TRUE',
      OSDAdapter0TCPFilterPortList: '80,443',
      OSDAdapter1EnableDHCP: 'true',
      OSDAdapter1MacAddress: '00-00-00-00-00-02',
      OSDAdapter1EnableIPProtocolFiltering: 'true',
    });
    expect(log.filter((l) => l.startsWith('warning: TCP/IP filtering'))).toEqual([
      'warning: TCP/IP filtering (OSDEnableTCPIPFiltering, OSDAdapter0EnableTCPFiltering, OSDAdapter1EnableIPProtocolFiltering) has no answer-file setting since Windows Vista; nothing written',
    ]);
    expect(xml).not.toMatch(/Filter/i);
  });

  it('interface identity: the block MAC, else the i-th physical adapter by Index, else the connection name, else 0x80070057', () => {
    const dhcp = { OSDAdapterCount: '2', OSDAdapter0EnableDHCP: 'true', OSDAdapter1EnableDHCP: 'true' };
    const adapters = [
      { mac: 'aa:aa:aa:aa:aa:02', index: 7 },
      { mac: 'aa:aa:aa:aa:aa:01', index: 1 },
    ];
    const ids = (r: ReturnType<typeof net>) => [1, 2].map((i) => r.l.get(`specialize/Microsoft-Windows-TCPIP/Interfaces/Interface#${i}/Identifier`));
    expect(ids(net(dhcp, adapters))).toEqual(['AA-AA-AA-AA-AA-01', 'AA-AA-AA-AA-AA-02']);
    expect(ids(net({ ...dhcp, OSDAdapter1MacAddress: '0A:0B:0C:0D:0E:0F' }, adapters))).toEqual(['AA-AA-AA-AA-AA-01', '0A-0B-0C-0D-0E-0F']);
    expect(ids(net({ ...dhcp, OSDAdapter1Name: 'Ethernet 2' }, adapters.slice(0, 1)))).toEqual(['AA-AA-AA-AA-AA-02', 'Ethernet 2']);
    const e = unattendError(() => net(dhcp, adapters.slice(0, 1)));
    expect(e.code).toBe(0x80070057);
    expect(e.message).toMatch(/^adapter 1 has no identity/);
    expect(unattendError(() => net({ ...dhcp, OSDAdapter0MacAddress: 'aa:aa:aa:aa:aa:02' }, adapters)).message).toBe(
      'adapters 0 and 1 both resolve to the interface AA-AA-AA-AA-AA-02',
    );
    expect(() => normalizeMac('00-11-22-33-44', 'x')).toThrow(/is not a MAC address/);
  });

  it('§13.5: a second Apply Network Settings replaces the interface it describes and its join settings (the last one wins)', () => {
    const first = net({
      ...DOMAIN,
      OSDAdapterCount: '1',
      OSDAdapter0EnableDHCP: 'false',
      OSDAdapter0MacAddress: '00-15-5D-01-02-03',
      OSDAdapter0IPAddressList: '10.1.2.50',
      OSDAdapter0SubnetMask: '255.255.255.0',
      OSDAdapter0DNSServerList: '10.1.2.10',
    });
    const second = net(
      { OSDNetworkJoinType: '1', OSDWorkgroupName: 'LAB', OSDAdapterCount: '1', OSDAdapter0EnableDHCP: 'true', OSDAdapter0MacAddress: '00:15:5d:01:02:03' },
      [],
      first.doc,
    );
    expect(second.log).toEqual(
      expect.arrayContaining([
        'replaced specialize/Microsoft-Windows-TCPIP/Interfaces/Interface[00-15-5D-01-02-03]',
        'replaced specialize/Microsoft-Windows-DNS-Client/Interfaces/Interface[00-15-5D-01-02-03]',
      ]),
    );
    expect([...second.l].filter(([k]) => k.includes('TCPIP') || k.includes('DNS-Client') || k.includes('UnattendedJoin'))).toEqual([
      [`${UJ}/JoinWorkgroup`, 'LAB'],
      [`${TCPIP}/Ipv4Settings/DhcpEnabled`, 'true'],
      [`${TCPIP}/Identifier`, '00-15-5D-01-02-03'],
    ]);
    expect(second.doc.validate()).toEqual([]);
  });

  it('global DNS: OSDDNSDomain is the primary suffix, the search order keeps its order with keys 1, 2, …', () => {
    const { l, xml } = net({ OSDDNSDomain: 'contoso.com', OSDDNSSuffixSearchOrder: 'contoso.com, corp.contoso.com,lab.contoso.com' });
    expect(l.get('specialize/Microsoft-Windows-DNS-Client/DNSDomain')).toBe('contoso.com');
    expect([1, 2, 3].map((k) => l.get(`specialize/Microsoft-Windows-DNS-Client/DNSSuffixSearchOrder/DomainName[${k}]`))).toEqual([
      'contoso.com',
      'corp.contoso.com',
      'lab.contoso.com',
    ]);
    expect(childNames(xml, pass('specialize'), component('Microsoft-Windows-DNS-Client'))).toEqual(['DNSDomain', 'DNSSuffixSearchOrder']);
  });
});
