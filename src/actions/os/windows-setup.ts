/**
 * What Windows Setup and the ConfigMgr client leave in an installed OS, as OpenOSD records it in
 * the OS's registry (src/actions/os/registry.ts) — written by Setup Windows and ConfigMgr, read by
 * Capture Windows / Network Settings (docs/full-os.md "What Setup records"):
 *
 * | setting                  | where                                                                                      |
 * |--------------------------|--------------------------------------------------------------------------------------------|
 * | computer name            | SYSTEM …\Control\ComputerName\ComputerName + ActiveComputerName "ComputerName" (NetBIOS, upper case), …\Services\Tcpip\Parameters "Hostname" / "NV Hostname" |
 * | workgroup / domain       | SECURITY Policy\PolPrDmN @ (workgroup or the domain's NetBIOS name), Policy\PolDnDDN @ (DNS domain); Tcpip\Parameters "Domain" / "NV Domain" for a domain |
 * | time zone                | SYSTEM …\Control\TimeZoneInformation "TimeZoneKeyName"                                     |
 * | registered owner / org.  | SOFTWARE Microsoft\Windows NT\CurrentVersion "RegisteredOwner" / "RegisteredOrganization"   |
 * | product key              | SOFTWARE …\CurrentVersion\SoftwareProtectionPlatform "PartialProductKey" (last 5 characters only) |
 * | Administrator (RID 500)  | SAM SAM\Domains\Account\Users\000001F4 "Enabled" (dword), "PasswordSet" (dword), "PasswordHash" (scrypt, salted; never the password) |
 * | TCP/IP per adapter       | SYSTEM …\Services\Tcpip\Parameters\Interfaces\{GUID from the identifier} "EnableDHCP", "IPAddress", "SubnetMask", "DefaultGateway" (multi-strings), "NameServer" (comma list), "Domain"; "OpenOSD.Identifier" = the answer file's Identifier (a MAC 00-11-… or an alias), which real Windows links through Control\Network |
 * | languages                | SYSTEM …\Control\MUI\Settings "PreferredUILanguages" (UILanguage); HKU\.DEFAULT Control Panel\International "LocaleName" (UserLocale), Keyboard Layout\Preload "1" (InputLocale's layout) |
 * | ConfigMgr client         | SOFTWARE Microsoft\SMS\Mobile Client "AssignedSiteCode", "ProductVersion"; Microsoft\CCMSetup "LastValidMP", "LastSuccessfulInstallParams"; Microsoft\CCM\CcmExec "ProvisioningMode"="true" |
 *
 * Real Windows keeps the membership and the accounts in binary LSA and SAM structures; these text
 * values are OpenOSD's stand-in with the same keys, so a test (or an admin with `osd lab inspect`)
 * reads them plainly.
 */
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { OfflineRegistry } from './registry.js';

export const KEYS = {
  computerName: 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName',
  activeComputerName: 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ActiveComputerName',
  tcpip: 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters',
  interfaces: 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces',
  timeZone: 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\TimeZoneInformation',
  environment: 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment',
  primaryDomain: 'HKLM\\SECURITY\\Policy\\PolPrDmN',
  dnsDomain: 'HKLM\\SECURITY\\Policy\\PolDnDDN',
  currentVersion: 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion',
  licensing: 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\SoftwareProtectionPlatform',
  administrator: 'HKLM\\SAM\\SAM\\Domains\\Account\\Users\\000001F4',
  administratorName: 'HKLM\\SAM\\SAM\\Domains\\Account\\Users\\Names\\Administrator',
  mobileClient: 'HKLM\\SOFTWARE\\Microsoft\\SMS\\Mobile Client',
  muiSettings: 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\MUI\\Settings',
  defaultInternational: 'HKU\\.DEFAULT\\Control Panel\\International',
  defaultKeyboard: 'HKU\\.DEFAULT\\Keyboard Layout\\Preload',
  ccmSetup: 'HKLM\\SOFTWARE\\Microsoft\\CCMSetup',
  ccmExec: 'HKLM\\SOFTWARE\\Microsoft\\CCM\\CcmExec',
} as const;

/** What Windows Setup takes from the answer file (after `%var%` substitution). */
export interface SetupSettings {
  computerName?: string;
  registeredOwner?: string;
  registeredOrganization?: string;
  timeZone?: string;
  productKey?: string;
  workgroup?: string;
  domain?: string;
  /** The Administrator's password as the answer file gives it (decoded); never stored. */
  administratorPassword?: string;
  /** International-Core (oobeSystem, else specialize): UILanguage, UserLocale, InputLocale (`0409:00000409`). */
  uiLanguage?: string;
  userLocale?: string;
  inputLocale?: string;
  /** Per-interface TCP/IP settings (Microsoft-Windows-TCPIP and DNS-Client `Interfaces`). */
  interfaces?: InterfaceSettings[];
}

export interface InterfaceSettings {
  /** A MAC address `00-11-22-33-44-55` or an interface alias, as the answer file names it. */
  identifier: string;
  dhcp: boolean;
  /** `10.1.2.50/24` */
  addresses: string[];
  gateways: string[];
  dnsServers: string[];
  dnsDomain?: string;
}

/** The interface key Windows would use: a GUID, here made from the identifier so it is stable. */
export function interfaceKey(identifier: string): string {
  const h = createHash('sha1').update(identifier.toUpperCase()).digest('hex');
  const guid = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`.toUpperCase();
  return `${KEYS.interfaces}\\{${guid}}`;
}

function maskOf(prefix: number): string {
  const bits = prefix <= 0 ? 0 : (0xffffffff << (32 - Math.min(prefix, 32))) >>> 0;
  return [24, 16, 8, 0].map((sh) => (bits >>> sh) & 0xff).join('.');
}

function prefixOf(mask: string): number {
  return mask
    .split('.')
    .map((o) => Number(o).toString(2).replace(/0/g, '').length)
    .reduce((a, b) => a + b, 0);
}

/** A computer name as Windows Setup makes one for `*` or none: DESKTOP- and 7 random letters and digits. */
export function randomComputerName(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const bytes = randomBytes(7);
  return `DESKTOP-${[...bytes].map((b) => chars[b % chars.length]).join('')}`;
}

/** Records the answer file's settings as Windows Setup would (specialize and oobeSystem passes); returns what it did, for setupact.log. */
export async function recordSetup(reg: OfflineRegistry, s: SetupSettings): Promise<string[]> {
  const done: string[] = [];
  if (s.computerName) {
    const netbios = s.computerName.toUpperCase().slice(0, 15);
    await reg.set(KEYS.computerName, 'ComputerName', netbios);
    await reg.set(KEYS.activeComputerName, 'ComputerName', netbios);
    await reg.set(KEYS.tcpip, 'Hostname', s.computerName);
    await reg.set(KEYS.tcpip, 'NV Hostname', s.computerName);
    done.push(`Specialize: computer name set to ${netbios}`);
  }
  if (s.domain) {
    const netbios = s.domain.split('.')[0].toUpperCase().slice(0, 15);
    await reg.set(KEYS.primaryDomain, '', netbios);
    await reg.set(KEYS.dnsDomain, '', s.domain);
    await reg.set(KEYS.tcpip, 'Domain', s.domain);
    await reg.set(KEYS.tcpip, 'NV Domain', s.domain);
    done.push(`Specialize: joined the domain ${s.domain} (recorded: no domain controller is reached from the lab)`);
  } else if (s.workgroup) {
    await reg.set(KEYS.primaryDomain, '', s.workgroup.toUpperCase());
    await reg.deleteKey(KEYS.dnsDomain);
    await reg.deleteValue(KEYS.tcpip, 'Domain');
    await reg.deleteValue(KEYS.tcpip, 'NV Domain');
    done.push(`Specialize: joined the workgroup ${s.workgroup.toUpperCase()}`);
  }
  if (s.timeZone) {
    await reg.set(KEYS.timeZone, 'TimeZoneKeyName', s.timeZone);
    done.push(`Specialize: time zone set to ${s.timeZone}`);
  }
  if (s.registeredOwner !== undefined) {
    await reg.set(KEYS.currentVersion, 'RegisteredOwner', s.registeredOwner);
    done.push(`Specialize: registered owner set`);
  }
  if (s.registeredOrganization !== undefined) {
    await reg.set(KEYS.currentVersion, 'RegisteredOrganization', s.registeredOrganization);
    done.push(`Specialize: registered organization set`);
  }
  if (s.productKey) {
    // The product key is a secret of sorts: only its last group is kept, as slmgr /dli shows it.
    await reg.set(KEYS.licensing, 'PartialProductKey', s.productKey.replace(/-/g, '').slice(-5).toUpperCase());
    done.push(`Specialize: product key installed (ending ${s.productKey.slice(-5).toUpperCase()})`);
  }
  if (s.uiLanguage) {
    await reg.set(KEYS.muiSettings, 'PreferredUILanguages', [s.uiLanguage]);
    done.push(`oobeSystem: display language ${s.uiLanguage}`);
  }
  if (s.userLocale) {
    await reg.set(KEYS.defaultInternational, 'LocaleName', s.userLocale);
    done.push(`oobeSystem: user locale ${s.userLocale}`);
  }
  // The first keyboard layout of "0409:00000409;0407:00000407" (language:layout pairs).
  const layout = /^[0-9a-f]{4}:([0-9a-f]{8})/i.exec(s.inputLocale?.trim() ?? '')?.[1];
  if (layout) {
    await reg.set(KEYS.defaultKeyboard, '1', layout.toUpperCase());
    done.push(`oobeSystem: keyboard layout ${layout.toUpperCase()}`);
  }
  for (const i of s.interfaces ?? []) {
    const key = interfaceKey(i.identifier);
    await reg.set(key, 'OpenOSD.Identifier', i.identifier);
    await reg.set(key, 'EnableDHCP', i.dhcp ? 1 : 0);
    const v4 = i.addresses.map((a) => a.split('/')).filter(([a]) => a.includes('.'));
    await reg.set(key, 'IPAddress', i.dhcp ? [] : v4.map(([a]) => a));
    await reg.set(key, 'SubnetMask', i.dhcp ? [] : v4.map(([, p]) => maskOf(Number(p ?? 24))));
    await reg.set(key, 'DefaultGateway', i.dhcp ? [] : i.gateways);
    await reg.set(key, 'NameServer', i.dnsServers.join(','));
    if (i.dnsDomain) await reg.set(key, 'Domain', i.dnsDomain);
    done.push(`Specialize: TCP/IP settings of ${i.identifier} (${i.dhcp ? 'DHCP' : i.addresses.join(', ')})`);
  }
  // The built-in Administrator (RID 500): created by Setup, disabled on a clean install (unattend.md §6).
  await reg.setValue(KEYS.administratorName, '', { type: 'REG_RAW', kind: 0x1f4, data: Buffer.alloc(0) });
  if (!(await reg.keyExists(KEYS.administrator)) || (await reg.getDword(KEYS.administrator, 'Enabled')) === undefined)
    await reg.set(KEYS.administrator, 'Enabled', 0);
  if (s.administratorPassword !== undefined) {
    await reg.set(KEYS.administrator, 'PasswordSet', 1);
    await reg.set(KEYS.administrator, 'PasswordHash', hashPassword(s.administratorPassword));
    done.push('oobeSystem: the Administrator password was set');
  }
  return done;
}

/** ConfigMgr's post-setup phase: the Administrator enabled or disabled as Apply Windows Settings chose (unattend.md §6). */
export async function setAdministratorState(reg: OfflineRegistry, state: 'enabled' | 'disabled'): Promise<void> {
  await reg.set(KEYS.administrator, 'Enabled', state === 'enabled' ? 1 : 0);
}

/** `scrypt$<salt hex>$<hash hex>`: enough to check a password, never to read it. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('hex')}$${scryptSync(password, salt, 32).toString('hex')}`;
}

export function checkPassword(password: string, stored: string): boolean {
  const [kind, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const want = Buffer.from(hash, 'hex');
  const got = scryptSync(password, Buffer.from(salt, 'hex'), want.length);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** The installed OS's settings, as Capture Windows / Network Settings read them (the keys above). */
export interface InstalledSettings {
  computerName?: string;
  registeredOwner?: string;
  registeredOrganization?: string;
  timeZone?: string;
  workgroup?: string;
  domain?: string;
}

/** The interfaces Setup recorded (those with an OpenOSD.Identifier), in key order. */
export async function readInterfaces(reg: OfflineRegistry): Promise<InterfaceSettings[]> {
  const out: InterfaceSettings[] = [];
  for (const sub of await reg.subkeys(KEYS.interfaces)) {
    const key = `${KEYS.interfaces}\\${sub}`;
    const identifier = await reg.getString(key, 'OpenOSD.Identifier');
    if (!identifier) continue;
    const multi = async (name: string): Promise<string[]> => {
      const v = await reg.get(key, name);
      return v?.type === 'REG_MULTI_SZ' ? v.data : v?.type === 'REG_SZ' && v.data ? v.data.split(/[ ,]+/) : [];
    };
    const ips = await multi('IPAddress');
    const masks = await multi('SubnetMask');
    const dnsDomain = await reg.getString(key, 'Domain');
    out.push({
      identifier,
      dhcp: (await reg.getDword(key, 'EnableDHCP')) !== 0,
      addresses: ips.map((a, k) => `${a}/${prefixOf(masks[k] ?? '255.255.255.0')}`),
      gateways: await multi('DefaultGateway'),
      dnsServers: ((await reg.getString(key, 'NameServer')) ?? '').split(/[ ,]+/).filter(Boolean),
      ...(dnsDomain ? { dnsDomain } : {}),
    });
  }
  return out;
}

export async function readInstalledSettings(reg: OfflineRegistry): Promise<InstalledSettings> {
  const out: InstalledSettings = {};
  out.computerName = (await reg.getString(KEYS.computerName, 'ComputerName')) ?? (await reg.getString(KEYS.activeComputerName, 'ComputerName'));
  out.registeredOwner = await reg.getString(KEYS.currentVersion, 'RegisteredOwner');
  out.registeredOrganization = await reg.getString(KEYS.currentVersion, 'RegisteredOrganization');
  out.timeZone = await reg.getString(KEYS.timeZone, 'TimeZoneKeyName');
  const dns = (await reg.getString(KEYS.dnsDomain, '')) ?? (await reg.getString(KEYS.tcpip, 'Domain'));
  if (dns) out.domain = dns;
  else out.workgroup = await reg.getString(KEYS.primaryDomain, '');
  return out;
}

/** The client's installation properties (`SMSMP=mp01 SMSSITECODE=P01 "FSP=a b"` or `FSP="a b"`), by upper-case name; `/switches` kept apart. */
export function parseInstallProperties(text: string | undefined): { properties: Map<string, string>; switches: string[]; problems: string[] } {
  const properties = new Map<string, string>();
  const switches: string[] = [];
  const problems: string[] = [];
  const tokens = (text ?? '').match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
  for (const raw of tokens) {
    const t = raw.replace(/"/g, '');
    if (t.startsWith('/')) switches.push(t);
    else {
      const eq = t.indexOf('=');
      if (eq <= 0) problems.push(`"${raw}" is not NAME=value`);
      else properties.set(t.slice(0, eq).toUpperCase(), t.slice(eq + 1));
    }
  }
  if ((text ?? '').split('"').length % 2 === 0) problems.push('a quote is not closed');
  return { properties, switches, problems };
}
