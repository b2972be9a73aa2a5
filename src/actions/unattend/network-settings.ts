/**
 * Apply Network Settings → answer file (unattend.md §4.3 membership, §4.4 adapters and DNS). All of
 * it goes to the specialize pass. Settings are not applied to the running machine.
 */
import { isIP, isIPv4 } from 'node:net';
import type { XmlElement } from '../../sequence/xml/nodes.js';
import type { UnattendDocument } from './document.js';
import { invalidParameter } from './errors.js';
import { C } from './schema.js';
import { childElements, childNamed, leaf, listItem, textContent, element } from './tree.js';
import { parseBoolean, StepEditor, valueOf, type VariableLookup } from './windows-settings.js';

/** A physical network adapter of the machine, as inventory shows it (`Win32_NetworkAdapter`, PhysicalAdapter = true). */
export interface NetworkAdapter {
  mac: string;
  /** `Win32_NetworkAdapter.Index`: the enumeration order the settings follow (§4.4). */
  index: number;
}

const ID = 'Identification';

export function applyNetworkSettings(doc: UnattendDocument, v: VariableLookup, adapters: NetworkAdapter[]): string[] {
  const ed = new StepEditor(doc);
  applyMembership(ed, v);
  applyGlobalDns(ed, v);
  const filtering: string[] = [];
  if (isTrue(v, 'OSDEnableTCPIPFiltering')) filtering.push('OSDEnableTCPIPFiltering');
  applyAdapters(ed, v, adapters, filtering);
  if (filtering.length) {
    // [I] §4.4: no TCP/IP filtering setting exists in the Vista+ schema; the variables stay, nothing is written.
    ed.log.push(`warning: TCP/IP filtering (${filtering.join(', ')}) has no answer-file setting since Windows Vista; nothing written`);
  }
  return ed.log;
}

// ------------------------------------------------------------------ §4.3 domain or workgroup

function applyMembership(ed: StepEditor, v: VariableLookup): void {
  const joinType = valueOf(v, 'OSDNetworkJoinType');
  let join: 'domain' | 'workgroup' | undefined;
  if (joinType === '0') join = 'domain';
  else if (joinType === '1') join = 'workgroup';
  else if (joinType !== undefined) throw invalidParameter(`OSDNetworkJoinType must be 0 (domain) or 1 (workgroup), not "${joinType}"`);
  // [I] Unset join type: follow whichever name is given; neither ⇒ leave membership alone.
  else if (valueOf(v, 'OSDDomainName') !== undefined) join = 'domain';
  else if (valueOf(v, 'OSDWorkgroupName') !== undefined) join = 'workgroup';
  if (join === undefined) return;

  const put = (path: string, value: string | undefined, variable: string): void => ed.put('specialize', C.unattendedJoin, `${ID}/${path}`, value, variable);
  const drop = (path: string, why: string): void => ed.remove('specialize', C.unattendedJoin, `${ID}/${path}`, why);

  if (join === 'workgroup') {
    const workgroup = valueOf(v, 'OSDWorkgroupName');
    if (workgroup === undefined) throw invalidParameter('OSDNetworkJoinType is 1 (workgroup) but OSDWorkgroupName is empty');
    // [C: MDT remove rules] joining a workgroup removes the domain join, its OU and credentials.
    for (const path of ['JoinDomain', 'MachineObjectOU', 'Credentials']) drop(path, 'joining a workgroup');
    put('JoinWorkgroup', workgroup, 'OSDWorkgroupName');
    if (workgroup.length > 15) ed.log.push('warning: OSDWorkgroupName is longer than 15 characters, which is not a valid NetBIOS name');
    return;
  }

  const domain = valueOf(v, 'OSDDomainName');
  if (domain === undefined) throw invalidParameter('OSDNetworkJoinType is 0 (domain) but OSDDomainName is empty');
  drop('JoinWorkgroup', 'joining a domain');
  put('JoinDomain', domain, 'OSDDomainName');
  // [I] The variable holds LDAP://OU=…; the element wants the bare distinguished name.
  const ou = valueOf(v, 'OSDDomainOUName')
    ?.replace(/^LDAP:\/\//i, '')
    .trim();
  put('MachineObjectOU', ou === '' ? undefined : ou, 'OSDDomainOUName');

  const account = valueOf(v, 'OSDJoinAccount');
  let accountDomain: string | undefined;
  let user = account;
  if (account !== undefined && account.includes('\\')) {
    // [I] DOMAIN\user ⇒ Domain + Username; user@domain (UPN) or a bare name ⇒ Username only.
    const at = account.indexOf('\\');
    accountDomain = account.slice(0, at).trim();
    user = account.slice(at + 1).trim();
    if (accountDomain === '' || user === '') throw invalidParameter('OSDJoinAccount must look like DOMAIN\\user, user@domain or user');
  }
  put('Credentials/Domain', accountDomain, 'OSDJoinAccount');
  put('Credentials/Username', user, 'OSDJoinAccount');
  const password = v('OSDJoinPassword');
  // Domain join passwords are always plain text (§4.3, §5 [D]); the value is never logged.
  put('Credentials/Password', password === undefined || password.trim() === '' ? undefined : password, 'OSDJoinPassword');
  if (account !== undefined && (password === undefined || password.trim() === '')) {
    ed.log.push('warning: OSDJoinAccount is set but OSDJoinPassword is empty; the domain join will fail');
  }
}

// ------------------------------------------------------------------ §4.4 global DNS

function applyGlobalDns(ed: StepEditor, v: VariableLookup): void {
  // [I] OSDDNSDomain is the primary DNS suffix (the variable's doc says "server", which contradicts its name; §14.4).
  ed.put('specialize', C.dnsClient, 'DNSDomain', valueOf(v, 'OSDDNSDomain'), 'OSDDNSDomain');
  const suffixes = list(v, 'OSDDNSSuffixSearchOrder');
  const where = `specialize/${C.dnsClient}/DNSSuffixSearchOrder`;
  if (suffixes.length === 0) {
    ed.put('specialize', C.dnsClient, 'DNSSuffixSearchOrder', undefined, 'OSDDNSSuffixSearchOrder');
    return;
  }
  ed.doc.remove('specialize', C.dnsClient, 'DNSSuffixSearchOrder');
  const container = ed.doc.ensurePath('specialize', C.dnsClient, 'DNSSuffixSearchOrder');
  suffixes.forEach((s, k) => container.children.push(listItem('DomainName', String(k + 1), [{ kind: 'text', text: s }])));
  ed.log.push(`set ${where}`);
}

// ------------------------------------------------------------------ §4.4 adapters

function applyAdapters(ed: StepEditor, v: VariableLookup, adapters: NetworkAdapter[], filtering: string[]): void {
  const countText = valueOf(v, 'OSDAdapterCount');
  if (countText === undefined) return; // §4.4 [D]: without a count every OSDAdapter… value is ignored
  if (!/^\d+$/.test(countText)) throw invalidParameter(`OSDAdapterCount must be a whole number, not "${countText}"`);
  const count = Number(countText);
  const physical = [...adapters].sort((a, b) => a.index - b.index);
  const seen = new Map<string, number>();

  for (let i = 0; i < count; i++) {
    const name = (prop: string): string => `OSDAdapter${i}${prop}`;
    const identifier = identify(v, i, physical);
    const previous = seen.get(identifier.toLowerCase());
    if (previous !== undefined) throw invalidParameter(`adapters ${previous} and ${i} both resolve to the interface ${identifier}`);
    seen.set(identifier.toLowerCase(), i);

    const dhcp = parseBoolean(v, name('EnableDHCP'));
    if (dhcp === undefined) throw invalidParameter(`${name('EnableDHCP')} is required when OSDAdapterCount is set`);
    for (const prop of ['EnableIPProtocolFiltering', 'EnableTCPFiltering']) if (isTrue(v, name(prop))) filtering.push(name(prop));

    // A later step instance (or the user's file) may already describe this interface: the step wins.
    for (const component of [C.tcpip, C.dnsClient, C.netbt]) {
      if (removeInterface(ed.doc, component, identifier)) ed.log.push(`replaced specialize/${component}/Interfaces/Interface[${identifier}]`);
    }

    // Microsoft-Windows-TCPIP
    const tcpip: XmlElement[] = [element('Ipv4Settings', [], [leaf('DhcpEnabled', dhcp ? 'true' : 'false')]), leaf('Identifier', identifier)];
    if (!dhcp) {
      const ips = list(v, name('IPAddressList'));
      const masks = list(v, name('SubnetMask'));
      if (ips.length === 0) throw invalidParameter(`${name('EnableDHCP')} is false but ${name('IPAddressList')} is empty`);
      if (masks.length !== ips.length) {
        throw invalidParameter(
          `${name('IPAddressList')} has ${ips.length} address(es) but ${name('SubnetMask')} has ${masks.length} mask(s); give one mask per address`,
        );
      }
      tcpip.push(
        element(
          'UnicastIpAddresses',
          [],
          ips.map((ip, k) => {
            checkIp(ip, name('IPAddressList'));
            return listItem('IpAddress', String(k + 1), [{ kind: 'text', text: `${ip}/${prefixLength(masks[k], ip, name('SubnetMask'))}` }]);
          }),
        ),
      );
      const gateways = list(v, name('Gateways'));
      if (gateways.length) {
        // [I] One default route per gateway, metrics 10, 20, … so the first gateway is preferred.
        tcpip.push(
          element(
            'Routes',
            [],
            gateways.map((gw, k) => {
              checkIp(gw, name('Gateways'));
              return listItem('Route', undefined, [
                leaf('Identifier', String(k + 1)),
                leaf('Metric', String((k + 1) * 10)),
                leaf('NextHopAddress', gw),
                leaf('Prefix', isIPv4(gw) ? '0.0.0.0/0' : '::/0'),
              ]);
            }),
          ),
        );
      }
    }
    addInterface(ed, C.tcpip, tcpip);

    // Microsoft-Windows-DNS-Client
    const dns: XmlElement[] = [leaf('Identifier', identifier)];
    const suffix = valueOf(v, name('DNSDomain')) ?? valueOf(v, name('DNSSuffix')); // [I] DNSSuffix: alias from the docs' example
    if (suffix !== undefined) dns.push(leaf('DNSDomain', suffix));
    const servers = list(v, name('DNSServerList'));
    servers.forEach((s) => checkIp(s, name('DNSServerList')));
    // [I] Written for DHCP adapters too when given.
    if (servers.length)
      dns.push(
        element(
          'DNSServerSearchOrder',
          [],
          servers.map((s, k) => listItem('IpAddress', String(k + 1), [{ kind: 'text', text: s }])),
        ),
      );
    const full = parseBoolean(v, name('EnableFullDNSRegistration'));
    // [I] §4.4/§14.2: "register under the full computer name" is the inverse of DisableDynamicUpdate.
    if (full !== undefined) dns.push(leaf('DisableDynamicUpdate', full ? 'false' : 'true'));
    const register = parseBoolean(v, name('EnableDNSRegistration'));
    if (register !== undefined) dns.push(leaf('EnableAdapterDomainNameRegistration', register ? 'true' : 'false'));
    if (dns.length > 1) addInterface(ed, C.dnsClient, dns);

    // Microsoft-Windows-NetBT
    const netbt: XmlElement[] = [];
    const wins = parseBoolean(v, name('EnableWINS'));
    const winsServers = list(v, name('WINSServerList'));
    if (wins && winsServers.length) {
      winsServers.forEach((s) => {
        if (!isIPv4(s)) throw invalidParameter(`${name('WINSServerList')}: "${s}" is not an IPv4 address`);
      });
      netbt.push(
        element(
          'NameServerList',
          [],
          winsServers.map((s, k) => listItem('IpAddress', String(k + 1), [{ kind: 'text', text: s }])),
        ),
      );
    } else if (wins) {
      ed.log.push(`warning: ${name('EnableWINS')} is true but ${name('WINSServerList')} is empty; no WINS servers written`);
    }
    const netbios = valueOf(v, name('TcpipNetbiosOptions'));
    if (netbios !== undefined) {
      if (!/^[012]$/.test(netbios)) throw invalidParameter(`${name('TcpipNetbiosOptions')} must be 0 (from DHCP), 1 (enable) or 2 (disable)`);
      netbt.push(leaf('NetbiosOptions', netbios));
    }
    if (netbt.length) addInterface(ed, C.netbt, [...netbt, leaf('Identifier', identifier)]);
  }
}

/**
 * Interface identity (§4.4): the block's MAC, else the i-th physical adapter's MAC (ordered by
 * `Index`), else the block's connection name; otherwise the step fails. [I] `OSDAdapter{i}Index` is
 * "the index in the array of settings" (= i) and is not used to pick an adapter.
 */
function identify(v: VariableLookup, i: number, physical: NetworkAdapter[]): string {
  const mac = valueOf(v, `OSDAdapter${i}MacAddress`);
  if (mac !== undefined) return normalizeMac(mac, `OSDAdapter${i}MacAddress`);
  if (physical[i]) return normalizeMac(physical[i].mac, `the MAC address of physical adapter ${i}`);
  const alias = valueOf(v, `OSDAdapter${i}Name`);
  if (alias !== undefined) {
    if (alias.length > 256) throw invalidParameter(`OSDAdapter${i}Name is longer than 256 characters`);
    return alias;
  }
  throw invalidParameter(
    `adapter ${i} has no identity: set OSDAdapter${i}MacAddress or OSDAdapter${i}Name (the machine has ${physical.length} physical adapter(s))`,
  );
}

/** `00:15:5d:01:02:03`, `00-15-5D-01-02-03`, `00155D010203` → `00-15-5D-01-02-03` [I]. */
export function normalizeMac(mac: string, source: string): string {
  const hex = mac.trim().replace(/[:\-.]/g, '');
  if (!/^[0-9A-Fa-f]{12}$/.test(hex)) throw invalidParameter(`${source} ("${mac}") is not a MAC address`);
  return hex.toUpperCase().match(/../g)!.join('-');
}

/** Dotted mask → prefix length; non-contiguous masks are refused. [I] A bare prefix length (`24`) is accepted too. */
export function prefixLength(mask: string, address: string, variable: string): number {
  const v6 = isIP(address) === 6;
  if (/^\d{1,3}$/.test(mask)) {
    const n = Number(mask);
    if (n > (v6 ? 128 : 32)) throw invalidParameter(`${variable}: ${mask} is not a valid prefix length`);
    return n;
  }
  if (v6) throw invalidParameter(`${variable}: the IPv6 address ${address} needs a prefix length, not the mask ${mask}`);
  if (!isIPv4(mask)) throw invalidParameter(`${variable}: "${mask}" is not a subnet mask`);
  const bits = mask.split('.').reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
  const inverted = ~bits >>> 0;
  if ((inverted & (inverted + 1)) !== 0) throw invalidParameter(`${variable}: ${mask} is not a contiguous subnet mask`);
  let n = 0;
  for (let b = bits; b !== 0; b = (b << 1) >>> 0) n++;
  return n;
}

function checkIp(value: string, variable: string): void {
  if (isIP(value) === 0) throw invalidParameter(`${variable}: "${value}" is not an IP address`);
}

function list(v: VariableLookup, name: string): string[] {
  const raw = valueOf(v, name);
  if (raw === undefined) return [];
  // [I] ConfigMgr's lists are comma-separated; a semicolon is accepted too.
  return raw
    .split(/[,;]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Lenient flag for variables that only produce a warning. */
function isTrue(v: VariableLookup, name: string): boolean {
  return /^true$/i.test(valueOf(v, name) ?? '');
}

function addInterface(ed: StepEditor, component: string, children: XmlElement[]): void {
  ed.doc.ensurePath('specialize', component, 'Interfaces').children.push(listItem('Interface', undefined, children));
  const id = textContent(children.find((c) => c.name === 'Identifier')!);
  ed.log.push(`set specialize/${component}/Interfaces/Interface[${id}]`);
}

/** Removes every `Interfaces/Interface` of our component whose Identifier matches (case-insensitively). */
function removeInterface(doc: UnattendDocument, component: string, identifier: string): boolean {
  const comp = doc.component('specialize', component);
  const interfaces = comp && childNamed(comp, 'Interfaces');
  if (!comp || !interfaces) return false;
  let removed = false;
  for (const item of childElements(interfaces)) {
    const id = childNamed(item, 'Identifier');
    if (item.name === 'Interface' && id && textContent(id).trim().toLowerCase() === identifier.toLowerCase()) {
      doc.removeAndPrune(comp, item);
      removed = true;
    }
  }
  return removed;
}
