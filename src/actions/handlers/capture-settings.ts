/**
 * Capture Windows Settings and Capture Network Settings (task-sequence-format §8.14, §8.15): the
 * installed OS's computer name, time zone, registration, and domain or workgroup — read from its
 * registry (src/actions/os/windows-setup.ts says where Setup records them) — and its adapters'
 * settings, into the OSD* variables the apply steps read. Those are global variables, so they win
 * over the Apply Windows / Network Settings steps' own values (engine-semantics §6; unattend.md §1).
 *
 * The installed OS is the one on the computer's system drive (the profile's installDrive, else C:).
 * The adapters are the machine's IP-enabled adapters (its profile); each one's settings are those
 * Setup recorded for its MAC or name (Tcpip\Parameters\Interfaces), else the profile's. The dry
 * run predicts from the profile.
 */
import type { StepExecution } from '../../engine/ports.js';
import type { NetworkAdapter } from '../../engine/machine-profile/schema.js';
import { isTrue } from '../../sequence/model/options.js';
import { captureNetworkSettings, captureWindowsSettings } from '../../sequence/catalog/index.js';
import { type Computer, filesOfDrive } from '../computer.js';
import { StepFailure, WIN32 } from '../errors.js';
import { defineHandler, predictSet } from '../handler.js';
import { OfflineRegistry, RegistryError } from '../os/registry.js';
import { type InstalledSettings, type InterfaceSettings, readInstalledSettings, readInterfaces } from '../os/windows-setup.js';

const FROM_PROFILE = "the installed OS's settings are those of the machine profile (no registry was read)";

/** The installed OS's settings from its registry; a clear failure when there is none. */
async function installedSettings(x: StepExecution, computer: Computer): Promise<{ settings: InstalledSettings; letter: string; reg: OfflineRegistry }> {
  const letter = (computer.profile.currentOs?.installDrive ?? 'C:').toUpperCase();
  if (!computer.drives().some((d) => d.letter.toUpperCase() === letter))
    throw new StepFailure(WIN32.pathNotFound, `there is no installed operating system to capture from: no drive ${letter} on ${computer.name}`);
  const vol = await filesOfDrive(computer, letter);
  let reg: OfflineRegistry;
  try {
    reg = await OfflineRegistry.open(vol);
  } catch (e) {
    if (e instanceof RegistryError) throw new StepFailure(e.code, `there is no installed operating system to capture from on ${letter}: ${e.message}`);
    throw e;
  }
  const settings = await readInstalledSettings(reg);
  x.log(`Read the settings of the operating system on ${letter} from its registry`);
  return { settings, letter, reg };
}

/** Sets a captured value, or says the OS has none (the apply step then keeps its own). */
function capture(x: StepExecution, variable: string, value: string | undefined, what: string): void {
  if (value === undefined || value === '') {
    x.log(`The installed operating system records no ${what}: ${variable} is not set`, 'warning');
    return;
  }
  x.variables.set(variable, value);
  x.log(`Captured ${what}: ${variable}=${value}`);
}

export const captureWindowsSettingsHandler = defineHandler(captureWindowsSettings, {
  async run({ x, computer }) {
    const { settings: s } = await installedSettings(x, computer);
    if (isTrue(x.properties.OSDMigrateComputerName ?? 'true')) capture(x, 'OSDComputerName', s.computerName, 'computer name');
    if (isTrue(x.properties.OSDMigrateTimeZone ?? 'true')) capture(x, 'OSDTimeZone', s.timeZone, 'time zone');
    if (isTrue(x.properties.OSDMigrateRegistrationInfo ?? 'true')) {
      capture(x, 'OSDRegisteredOrgName', s.registeredOrganization, 'registered organization');
      capture(x, 'OSDRegisteredUserName', s.registeredOwner, 'registered owner');
    }
    return { exitCode: 0 };
  },
  simulate: (ctx) => {
    const { x, machine: m } = ctx;
    if (isTrue(x.properties.OSDMigrateComputerName ?? 'true')) predictSet(ctx, 'OSDComputerName', m.computerName);
    if (isTrue(x.properties.OSDMigrateTimeZone ?? 'true')) predictSet(ctx, 'OSDTimeZone', m.timeZone);
    if (isTrue(x.properties.OSDMigrateRegistrationInfo ?? 'true')) {
      predictSet(ctx, 'OSDRegisteredOrgName', m.registeredOrganization);
      predictSet(ctx, 'OSDRegisteredUserName', m.registeredOwner);
    }
    return { exitCode: 0, predicted: { assumed: [FROM_PROFILE] } };
  },
});

/** A prefix length as a dotted IPv4 mask (24 → 255.255.255.0). */
function maskOf(prefix: number): string {
  const bits = prefix <= 0 ? 0 : (0xffffffff << (32 - Math.min(prefix, 32))) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 0xff).join('.');
}

/** An adapter's IP settings: as Setup recorded them for its MAC or name, else as the profile has them. */
function settingsOfAdapter(a: NetworkAdapter, recorded: InterfaceSettings[]): { source: string; s: InterfaceSettings } {
  const hex = (t: string): string => t.replace(/[^0-9a-f]/gi, '').toUpperCase();
  const r = recorded.find(
    (i) => (hex(i.identifier).length === 12 && hex(i.identifier) === hex(a.mac)) || i.identifier.toLowerCase() === a.connectionId.toLowerCase(),
  );
  if (r) return { source: 'the registry', s: r };
  const s: InterfaceSettings = {
    identifier: a.mac,
    dhcp: a.dhcp,
    addresses: a.ipAddresses.filter((ip) => ip.family === 4).map((ip) => `${ip.address}/${ip.prefixLength}`),
    gateways: a.gateways,
    dnsServers: a.dnsServers,
    ...(a.dnsDomain ? { dnsDomain: a.dnsDomain } : {}),
  };
  return { source: 'the machine profile', s };
}

/** The OSDAdapter{i}… block of one adapter (unattend.md §4.4's input model: every option set). */
function adapterVariables(a: NetworkAdapter, s: InterfaceSettings, i: number): Array<[string, string]> {
  const v4 = s.addresses.map((x) => x.split('/')).filter(([ip]) => ip.includes('.'));
  const p = `OSDAdapter${i}`;
  return [
    [`${p}EnableDHCP`, s.dhcp ? 'true' : 'false'],
    [`${p}IPAddressList`, v4.map(([ip]) => ip).join(',')],
    [`${p}SubnetMask`, v4.map(([, prefix]) => maskOf(Number(prefix ?? 24))).join(',')],
    [`${p}Gateways`, s.gateways.join(',')],
    [`${p}DNSServerList`, s.dnsServers.join(',')],
    [`${p}DNSDomain`, s.dnsDomain ?? ''],
    [`${p}EnableDNSRegistration`, 'true'],
    [`${p}EnableFullDNSRegistration`, 'true'],
    [`${p}EnableIPProtocolFiltering`, 'false'],
    [`${p}EnableTCPFiltering`, 'false'],
    [`${p}TcpipNetbiosOptions`, '0'],
    [`${p}EnableWINS`, 'false'],
    [`${p}MacAddress`, a.mac],
    [`${p}Name`, a.connectionId],
    [`${p}Index`, String(i)],
  ];
}

export const captureNetworkSettingsHandler = defineHandler(captureNetworkSettings, {
  async run({ x, computer }) {
    const { settings: s, reg } = await installedSettings(x, computer);
    if (isTrue(x.properties.OSDMigrateNetworkMembership ?? 'true')) {
      if (s.domain) {
        x.variables.set('OSDNetworkJoinType', '0');
        capture(x, 'OSDDomainName', s.domain, 'domain');
      } else if (s.workgroup) {
        x.variables.set('OSDNetworkJoinType', '1');
        capture(x, 'OSDWorkgroupName', s.workgroup, 'workgroup');
      } else x.log('The installed operating system records no domain or workgroup: membership is not captured', 'warning');
    }
    if (isTrue(x.properties.OSDMigrateAdapterSettings ?? 'true')) {
      const adapters = computer.profile.networkAdapters.filter((a) => a.ipEnabled);
      const recorded = await readInterfaces(reg);
      adapters.forEach((a, i) => {
        const { source, s: settings } = settingsOfAdapter(a, recorded);
        for (const [name, value] of adapterVariables(a, settings, i)) if (value !== '') x.variables.set(name, value);
        x.log(`Captured adapter ${i} (${a.connectionId}, ${a.mac}) from ${source}: ${settings.dhcp ? 'DHCP' : `static ${settings.addresses.join(', ')}`}`);
      });
      x.variables.set('OSDAdapterCount', String(adapters.length));
    }
    return { exitCode: 0 };
  },
  simulate: (ctx) => {
    const { x, machine: m } = ctx;
    if (isTrue(x.properties.OSDMigrateNetworkMembership ?? 'true')) {
      if (m.domain) {
        predictSet(ctx, 'OSDNetworkJoinType', '0');
        predictSet(ctx, 'OSDDomainName', m.domain);
      } else if (m.workgroup) {
        predictSet(ctx, 'OSDNetworkJoinType', '1');
        predictSet(ctx, 'OSDWorkgroupName', m.workgroup);
      }
    }
    if (isTrue(x.properties.OSDMigrateAdapterSettings ?? 'true')) predictSet(ctx, 'OSDAdapterCount', '0');
    return { exitCode: 0, predicted: { assumed: [FROM_PROFILE] } };
  },
});
