/**
 * Apply Network Settings — task-sequence-format §8.5: domain or workgroup join and per-adapter
 * TCP/IP settings (`OSDAdapter{i}*`, count in `OSDAdapterCount`), written to the answer file.
 */
import { z } from 'zod';
import { property, settingsCodec, type SlotReader, type SlotWriter, withLayout } from '../settings-codec.js';
import { type ArrayPropertySpec, defineStepType } from '../step-type.js';

// Property order as ConfigMgr writes it (by property name) [C: catalog export, SCCM_Client template].
// Global per the SDK ([Global]: must survive into finalize mode, §5).
const properties = [
  // `OSDAdapter ← Adapters` holds the element count like `OSDPackage ← PackageInfo` does in Download
  // Package Content [C: MDT templates write it]; hidden by analogy with PackageInfo [I].
  property('Adapters', 'OSDAdapter', { hidden: true, global: true, description: 'Adapter settings array' }),
  property('DNSDomain', 'OSDDNSDomain', { global: true, description: 'Primary DNS suffix' }),
  property('DNSSuffixSearchOrder', 'OSDDNSSuffixSearchOrder', { global: true, description: 'Comma-separated DNS suffixes' }),
  property('DomainName', 'OSDDomainName', { description: 'Domain to join (join type 0)' }),
  property('DomainOUName', 'OSDDomainOUName', { description: 'LDAP:// path of the OU' }),
  property('DomainPassword', 'OSDJoinPassword', { secret: true, description: 'Password of the join account' }),
  property('DomainUsername', 'OSDJoinAccount', { description: 'Join account, DOMAIN\\user' }),
  property('EnableTCPIPFiltering', 'OSDEnableTCPIPFiltering', { default: 'false', hidden: true, global: true }),
  property('NetworkJoinType', 'OSDNetworkJoinType', { description: '0 = domain, 1 = workgroup' }),
  property('NumAdapters', 'OSDAdapterCount', { default: '0', hidden: true, global: true, description: 'Number of adapters' }),
  property('WorkgroupName', 'OSDWorkgroupName', { description: 'Workgroup to join (join type 1, ≤32 characters)' }),
];

// SMS_TaskSequence_NetworkAdapterSettings, in property-name order (SDK); variables per the
// OSDAdapter0* documentation (task-sequence-variables). DNSDomain is documented per adapter too.
const ADAPTER_PROPERTIES = [
  'DNSDomain',
  'DNSServerList',
  'EnableDHCP',
  'EnableDNSRegistration',
  'EnableFullDNSRegistration',
  'EnableIPProtocolFiltering',
  'EnableLMHOSTS',
  'EnableTCPFiltering',
  'EnableUDPFiltering',
  'EnableWINS',
  'GatewayCostMetric',
  'Gateways',
  'IPAddressList',
  'IPProtocolFilterList',
  'Index',
  'MACAddress',
  'Name',
  'SubnetMask',
  'TCPFilterPortList',
  'TcpipNetbiosOptions',
  'UDPFilterPortList',
  'WINSServerList',
] as const;

const adapterElements = ADAPTER_PROPERTIES.map((p) =>
  // The variable reference spells the MAC property OSDAdapter0MacAddress (names are case-insensitive).
  property(`Adapters{i}${p}`, `OSDAdapter{i}${p === 'MACAddress' ? 'MacAddress' : p}`),
);

const arrays: ArrayPropertySpec[] = [{ countProperty: 'NumAdapters', countVariable: 'OSDAdapterCount', elements: adapterElements }];

export const JOIN_TYPES = ['domain', 'workgroup'] as const;

const list = z.array(z.string());

export const networkAdapterSchema = z.object({
  name: z.string().optional(),
  macAddress: z.string().optional(),
  index: z.number().int().nonnegative().optional(),
  enableDHCP: z.boolean().optional(),
  ipAddressList: list.optional(),
  subnetMask: list.optional(),
  gateways: list.optional(),
  gatewayCostMetric: list.optional(),
  dnsDomain: z.string().optional(),
  dnsServerList: list.optional(),
  enableDNSRegistration: z.boolean().optional(),
  enableFullDNSRegistration: z.boolean().optional(),
  enableWINS: z.boolean().optional(),
  winsServerList: list.optional(),
  enableLMHOSTS: z.boolean().optional(),
  /** 0 = from DHCP, 1 = enable NetBIOS over TCP/IP, 2 = disable. */
  tcpipNetbiosOptions: z.number().int().min(0).max(2).optional(),
  enableIPProtocolFiltering: z.boolean().optional(),
  ipProtocolFilterList: list.optional(),
  enableTCPFiltering: z.boolean().optional(),
  tcpFilterPortList: list.optional(),
  enableUDPFiltering: z.boolean().optional(),
  udpFilterPortList: list.optional(),
});
export type NetworkAdapter = z.infer<typeof networkAdapterSchema>;

export const applyNetworkSettingsSchema = withLayout({
  joinType: z.enum(JOIN_TYPES).optional(),
  domainName: z.string().optional(),
  domainOUName: z.string().optional(),
  domainUsername: z.string().optional(),
  /** Secret: never logged; ConfigMgr exports never contain it. */
  domainPassword: z.string().optional(),
  workgroupName: z.string().optional(),
  dnsDomain: z.string().optional(),
  dnsSuffixSearchOrder: list.optional(),
  enableTcpipFiltering: z.boolean().optional(),
  adapters: z.array(networkAdapterSchema),
});
export type ApplyNetworkSettings = z.infer<typeof applyNetworkSettingsSchema>;

function readAdapter(r: SlotReader, i: number): NetworkAdapter {
  const slot = (name: string): string => `Adapters${i}${name}`;
  return {
    name: r.string(slot('Name')),
    macAddress: r.string(slot('MACAddress')),
    index: r.int(slot('Index'), { min: 0 }),
    enableDHCP: r.bool(slot('EnableDHCP')),
    ipAddressList: r.list(slot('IPAddressList')),
    subnetMask: r.list(slot('SubnetMask')),
    gateways: r.list(slot('Gateways')),
    gatewayCostMetric: r.list(slot('GatewayCostMetric')),
    dnsDomain: r.string(slot('DNSDomain')),
    dnsServerList: r.list(slot('DNSServerList')),
    enableDNSRegistration: r.bool(slot('EnableDNSRegistration')),
    enableFullDNSRegistration: r.bool(slot('EnableFullDNSRegistration')),
    enableWINS: r.bool(slot('EnableWINS')),
    winsServerList: r.list(slot('WINSServerList')),
    enableLMHOSTS: r.bool(slot('EnableLMHOSTS')),
    tcpipNetbiosOptions: r.int(slot('TcpipNetbiosOptions'), { min: 0, max: 2 }),
    enableIPProtocolFiltering: r.bool(slot('EnableIPProtocolFiltering')),
    ipProtocolFilterList: r.list(slot('IPProtocolFilterList')),
    enableTCPFiltering: r.bool(slot('EnableTCPFiltering')),
    tcpFilterPortList: r.list(slot('TCPFilterPortList')),
    enableUDPFiltering: r.bool(slot('EnableUDPFiltering')),
    udpFilterPortList: r.list(slot('UDPFilterPortList')),
  };
}

function writeAdapter(a: NetworkAdapter, i: number, w: SlotWriter): void {
  const slot = (name: string): string => `Adapters${i}${name}`;
  w.string(slot('DNSDomain'), a.dnsDomain);
  w.list(slot('DNSServerList'), a.dnsServerList);
  w.bool(slot('EnableDHCP'), a.enableDHCP);
  w.bool(slot('EnableDNSRegistration'), a.enableDNSRegistration);
  w.bool(slot('EnableFullDNSRegistration'), a.enableFullDNSRegistration);
  w.bool(slot('EnableIPProtocolFiltering'), a.enableIPProtocolFiltering);
  w.bool(slot('EnableLMHOSTS'), a.enableLMHOSTS);
  w.bool(slot('EnableTCPFiltering'), a.enableTCPFiltering);
  w.bool(slot('EnableUDPFiltering'), a.enableUDPFiltering);
  w.bool(slot('EnableWINS'), a.enableWINS);
  w.list(slot('GatewayCostMetric'), a.gatewayCostMetric);
  w.list(slot('Gateways'), a.gateways);
  w.list(slot('IPAddressList'), a.ipAddressList);
  w.list(slot('IPProtocolFilterList'), a.ipProtocolFilterList);
  w.int(slot('Index'), a.index);
  w.string(slot('MACAddress'), a.macAddress);
  w.string(slot('Name'), a.name);
  w.list(slot('SubnetMask'), a.subnetMask);
  w.list(slot('TCPFilterPortList'), a.tcpFilterPortList);
  w.int(slot('TcpipNetbiosOptions'), a.tcpipNetbiosOptions);
  w.list(slot('UDPFilterPortList'), a.udpFilterPortList);
  w.list(slot('WINSServerList'), a.winsServerList);
}

const settings = settingsCodec<ApplyNetworkSettings>({
  properties,
  arrays,
  schema: applyNetworkSettingsSchema,
  read: (r) => {
    const declared = r.declaredCount('Adapters');
    const count = Math.max(r.arrayLength(arrays[0]), declared ?? 0);
    const adapters: NetworkAdapter[] = [];
    for (let i = 0; i < count; i++) adapters.push(readAdapter(r, i));
    const joinType = r.choice('NetworkJoinType', ['0', '1'] as const);
    return {
      joinType: joinType === undefined ? undefined : JOIN_TYPES[Number(joinType)],
      domainName: r.string('DomainName'),
      domainOUName: r.string('DomainOUName'),
      domainUsername: r.string('DomainUsername'),
      domainPassword: r.string('DomainPassword'),
      workgroupName: r.string('WorkgroupName'),
      dnsDomain: r.string('DNSDomain'),
      dnsSuffixSearchOrder: r.list('DNSSuffixSearchOrder'),
      enableTcpipFiltering: r.bool('EnableTCPIPFiltering'),
      adapters,
    };
  },
  write: (s, w) => {
    // ConfigMgr writes no OSDAdapter when there are no adapters [C: catalog export].
    if (s.adapters.length) w.int('Adapters', s.adapters.length);
    w.string('DNSDomain', s.dnsDomain);
    w.list('DNSSuffixSearchOrder', s.dnsSuffixSearchOrder);
    w.string('DomainName', s.domainName);
    w.string('DomainOUName', s.domainOUName);
    w.string('DomainPassword', s.domainPassword);
    w.string('DomainUsername', s.domainUsername);
    w.bool('EnableTCPIPFiltering', s.enableTcpipFiltering);
    w.string('NetworkJoinType', s.joinType && String(JOIN_TYPES.indexOf(s.joinType)));
    w.int('NumAdapters', s.adapters.length);
    w.string('WorkgroupName', s.workgroupName);
    s.adapters.forEach((a, i) => writeAdapter(a, i, w));
  },
});

export const applyNetworkSettings = defineStepType<ApplyNetworkSettings>({
  type: 'SMS_TaskSequence_ApplyNetworkSettingsAction',
  displayName: 'Apply Network Settings',
  executable: 'osdnetsettings.exe',
  // WinPE per the SDK and ConfigMgr exports; MDT templates override it to WinPEandFullOS [C] (§8.5).
  runIn: 'WinPE',
  successCodes: '0',
  retryCount: 0,
  properties,
  arrays,
  settings,
  buildAction: () => 'osdnetsettings.exe configure',
  spec: 'task-sequence-format §8.5',
});
