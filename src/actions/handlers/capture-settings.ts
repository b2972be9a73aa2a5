/**
 * Capture Windows Settings and Capture Network Settings (task-sequence-format §8.14, §8.15): the
 * installed OS's computer name, time zone, registration, and domain or workgroup — read from its
 * registry (src/actions/os/windows-setup.ts says where Setup records them) — and its adapters'
 * settings, into the OSD* variables the apply steps read. Those are global variables, so they win
 * over the Apply Windows / Network Settings steps' own values (engine-semantics §6; unattend.md §1).
 *
 * The installed OS is the one on the computer's system drive (the profile's installDrive, else C:).
 * The adapters are the machine's IP-enabled adapters as its profile describes them in the running
 * OS (no adapter registry is kept here: docs/full-os.md). The dry run predicts from the profile.
 */
import type { StepExecution } from '../../engine/ports.js';
import type { NetworkAdapter } from '../../engine/machine-profile/schema.js';
import { isTrue } from '../../sequence/model/options.js';
import { captureNetworkSettings, captureWindowsSettings } from '../../sequence/catalog/index.js';
import { type Computer, filesOfDrive } from '../computer.js';
import { StepFailure, WIN32 } from '../errors.js';
import { defineHandler, predictSet } from '../handler.js';
import { OfflineRegistry, RegistryError } from '../os/registry.js';
import { type InstalledSettings, readInstalledSettings } from '../os/windows-setup.js';

const FROM_PROFILE = "the installed OS's settings are those of the machine profile (no registry was read)";

/** The installed OS's settings from its registry; a clear failure when there is none. */
async function installedSettings(x: StepExecution, computer: Computer): Promise<{ settings: InstalledSettings; letter: string }> {
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
  return { settings, letter };
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

/** The OSDAdapter{i}… block of one adapter (unattend.md §4.4's input model: every option set). */
function adapterVariables(a: NetworkAdapter, i: number): Array<[string, string]> {
  const v4 = a.ipAddresses.filter((ip) => ip.family === 4);
  const p = `OSDAdapter${i}`;
  return [
    [`${p}EnableDHCP`, a.dhcp ? 'true' : 'false'],
    [`${p}IPAddressList`, v4.map((ip) => ip.address).join(',')],
    [`${p}SubnetMask`, v4.map((ip) => maskOf(ip.prefixLength)).join(',')],
    [`${p}Gateways`, a.gateways.join(',')],
    [`${p}DNSServerList`, a.dnsServers.join(',')],
    [`${p}DNSDomain`, a.dnsDomain ?? ''],
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
    if (isTrue(x.properties.OSDMigrateNetworkMembership ?? 'true')) {
      const { settings: s } = await installedSettings(x, computer);
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
      adapters.forEach((a, i) => {
        for (const [name, value] of adapterVariables(a, i)) if (value !== '') x.variables.set(name, value);
        x.log(
          `Captured adapter ${i} (${a.connectionId}, ${a.mac}): ${a.dhcp ? 'DHCP' : `static ${a.ipAddresses.map((ip) => `${ip.address}/${ip.prefixLength}`).join(', ')}`}`,
        );
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
