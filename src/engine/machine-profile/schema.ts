/**
 * The machine profile (`openosd.machine-profile/v1`): a destination computer as a JSON document —
 * hardware identity, firmware, disks, network, PnP devices and the Windows installation on it, if
 * any. `inventoryFor` turns it into the WMI/file/registry inventory the condition evaluator reads;
 * `builtInVariablesFor` into the read-only variables the engine derives from the machine.
 * Field reference and choices: docs/machine-profile.md.
 *
 * Two layers: the zod schema checks the shape (unknown keys refused) and cross-field rules, then a
 * transform fills every default, so the `MachineProfile` type below is fully resolved.
 */
import { z } from 'zod';
import type { CimPropertyDecl, CimValue, RegistryValueType } from '../inventory.js';
import {
  GUID,
  SID,
  alnumFrom,
  bareGuid,
  bracedGuid,
  computerNameProblem,
  guidFrom,
  isIsoDateTime,
  lcidOf,
  normalizeMac,
  parseIpWithPrefix,
  parseSize,
  type IpWithPrefix,
  MiB,
  GiB,
} from './values.js';
import { catalogDecls, cimValueProblem } from './wmi-catalog.js';

export const MACHINE_PROFILE_SCHEMA = 'openosd.machine-profile/v1';

// ───────────────────────────── resolved types (what the code works with) ─────────────────────────────

export type Architecture = 'x86' | 'x64' | 'arm64';
export type Environment = 'winpe' | 'fullos';
export type PcSystemType = 'desktop' | 'mobile' | 'workstation' | 'server' | 'slate';
export type BusType = 'nvme' | 'sata' | 'ata' | 'sas' | 'scsi' | 'usb' | 'raid' | 'mmc';
export type FileSystem = 'NTFS' | 'FAT32' | 'FAT' | 'exFAT' | 'ReFS';
export type PartitionType = 'efi' | 'msr' | 'basic' | 'recovery';

export interface MachineProfile {
  schema: typeof MACHINE_PROFILE_SCHEMA;
  /** A label for people and logs; also the seed of generated identifiers. */
  name: string;
  description?: string;
  /** Processor architecture. The OS and WinPE default to it (an x64 machine may run an x86 OS). */
  architecture: Architecture;
  firmware: 'bios' | 'uefi';
  /** UEFI Secure Boot on; always false with BIOS firmware. */
  secureBoot: boolean;
  /** Win32_ComputerSystem.Manufacturer, as the vendor writes it ("Dell Inc.", "HP", "LENOVO"). */
  make: string;
  /** Win32_ComputerSystem.Model (Lenovo: the machine type, e.g. "20XW0055GE"). */
  model: string;
  systemFamily: string;
  systemSku: string;
  /** Win32_ComputerSystemProduct.Version (Lenovo: the friendly name, e.g. "ThinkPad X1 Carbon Gen 9"). */
  productVersion: string;
  serialNumber: string;
  assetTag: string;
  /** SMBIOS UUID, upper case without braces. */
  uuid: string;
  bios: { manufacturer: string; version: string; releaseDate: string; smbiosVersion: string };
  baseBoard: { manufacturer: string; product: string; version: string; serialNumber: string };
  /** SMBIOS chassis type codes (3 desktop, 10 notebook …), Win32_SystemEnclosure.ChassisTypes. */
  chassisTypes: number[];
  pcSystemType: PcSystemType;
  hypervisorPresent: boolean;
  /** Memory the OS sees, in MiB. */
  memoryMB: number;
  processors: Processor[];
  battery: Battery | null;
  tpm: Tpm | null;
  networkAdapters: NetworkAdapter[];
  disks: Disk[];
  pnpDevices: PnpDevice[];
  /** The Windows installation on the disks, or null for bare metal. */
  currentOs: CurrentOs | null;
  /** Extra WMI data merged over the generated classes in both environments. */
  wmi: ExtraWmi;
  environments: { winpe: WinPeSettings; fullos: EnvironmentExtras };
}

export interface Processor {
  name: string;
  manufacturer: string;
  cores: number;
  logicalProcessors: number;
  maxClockSpeedMHz: number;
}

export interface Battery {
  chargePercent: number;
  onAcPower: boolean;
}

export interface Tpm {
  /** false: the firmware hides the TPM — Win32_Tpm exists but has no instance. */
  present: boolean;
  version: '2.0' | '1.2';
  enabled: boolean;
  activated: boolean;
  owned: boolean;
  /** TCG vendor ID text, up to 4 characters ("IFX", "NTC", "STM", "INTC", "AMD"). */
  manufacturer: string;
  manufacturerVersion: string;
}

export interface NetworkAdapter {
  /** Upper case with colons. */
  mac: string;
  /** The driver's description, e.g. "Intel(R) Ethernet Connection (13) I219-LM". */
  name: string;
  manufacturer: string;
  /** The connection name, e.g. "Ethernet", "Wi-Fi". */
  connectionId: string;
  kind: 'ethernet' | 'wifi';
  /** Win32_PnPEntity.DeviceID of the adapter; its driver state decides whether the adapter exists in an environment. */
  pnpDeviceId?: string;
  connected: boolean;
  ipEnabled: boolean;
  dhcp: boolean;
  dhcpServer?: string;
  ipAddresses: IpWithPrefix[];
  gateways: string[];
  dnsServers: string[];
  dnsDomain?: string;
  speedMbps: number;
}

export interface Disk {
  index: number;
  /** Bytes. */
  size: number;
  model: string;
  busType: BusType;
  serialNumber: string;
  firmwareRevision: string;
  removable: boolean;
  /** Win32_PnPEntity.DeviceID of the storage controller; without its driver the disk is invisible. */
  controller?: string;
  partitionStyle: 'gpt' | 'mbr' | 'raw';
  partitions: Partition[];
}

export interface Partition {
  type: PartitionType;
  /** Bytes ("remaining" resolved). */
  size: number;
  /** Bytes from the start of the disk: 1 MiB aligned, in order. */
  offset: number;
  fileSystem: FileSystem | null;
  /** Drive letter in the installed OS ("C:"), if any. */
  driveLetter?: string;
  /** Drive letter in WinPE: null = none; undefined = assigned automatically (docs). */
  winpeDriveLetter?: string | null;
  label: string;
  /** Bytes. */
  freeSpace: number;
  /** MBR active flag. */
  active: boolean;
  bitLocker: 'off' | 'on' | 'suspended';
}

export interface PnpDevice {
  deviceId: string;
  name: string;
  /** PNPClass, e.g. "Net", "SCSIAdapter", "Display". */
  class: string;
  manufacturer: string;
  hardwareIds: string[];
  compatibleIds: string[];
  service?: string;
  /** Environments where no driver is loaded (ConfigManagerErrorCode 28). */
  missingDriverIn: Environment[];
}

export interface CurrentOs {
  caption: string;
  /** "10.0.19045". */
  version: string;
  /** Build number, "19045". */
  buildNumber: string;
  /** Update build revision (the "4291" of 19045.4291). */
  ubr: number;
  displayVersion?: string;
  /** EditionID ("Enterprise", "Professional", …). */
  edition: string;
  /** Win32_OperatingSystem.OperatingSystemSKU; null when the edition is not in our table and none was given. */
  sku: number | null;
  productType: 'workstation' | 'server' | 'domainController';
  architecture: Architecture;
  language: string;
  lcid: number;
  locale: string;
  localeLcid: number;
  muiLanguages: string[];
  timeZone: string;
  installDrive: string;
  windowsDirectory: string;
  installDate?: string;
  lastBootUpTime?: string;
  computerName: string;
  /** DNS domain when joined, else undefined. */
  domain?: string;
  /** NetBIOS domain name when joined. */
  netbiosDomain?: string;
  workgroup?: string;
  registeredOwner: string;
  registeredOrganization: string;
  loggedOnUser?: string;
  machineSid: string;
  userProfiles: UserProfile[];
  msiProducts: MsiProduct[];
  files: ProfileFile[];
  registry: ProfileRegistryKey[];
  configMgrClient: { version: string; siteCode: string; clientId: string; managementPoint?: string } | null;
}

export interface UserProfile {
  name: string;
  sid: string;
  kind: 'local' | 'domain';
  /** NetBIOS domain of the account (the computer name for local accounts). */
  domain: string;
  path: string;
  lastUseTime?: string;
  /** Bytes on disk; used by user-state estimates, not part of the WMI data. */
  size?: number;
  loaded: boolean;
}

export interface MsiProduct {
  productCode: string;
  upgradeCode?: string;
  name: string;
  version: string;
  publisher?: string;
  installDate?: string;
}

export interface ProfileFile {
  path: string;
  kind: 'file' | 'dir';
  version?: string;
  modifiedUtc?: string;
}

export interface ProfileRegistryKey {
  key: string;
  values?: Record<string, { type: RegistryValueType; data: string | number | string[] }>;
}

export interface ExtraWmiClass {
  /** replace (default): the class replaces the generated one; patch: instance i is merged over generated instance i; append: instances are added. */
  merge: 'replace' | 'patch' | 'append';
  properties?: Record<string, CimPropertyDecl>;
  instances: Array<Record<string, CimValue>>;
}

/** namespace → class → data; null removes a generated class or namespace. */
export type ExtraWmi = Record<string, Record<string, ExtraWmiClass | null> | null>;

export interface EnvironmentExtras {
  wmi: ExtraWmi;
  files: ProfileFile[];
  registry: ProfileRegistryKey[];
  msiProducts: MsiProduct[];
}

export interface WinPeSettings extends EnvironmentExtras {
  /** WinPE's own version (from the ADK the boot image was built with). */
  version: string;
  language: string;
  lcid: number;
  computerName: string;
  scratchSpaceMB: number;
}

// ───────────────────────────── input schema ─────────────────────────────

const text = z.string();
const nonEmpty = z.string().min(1, 'must not be empty');

/** Bytes or "256 GiB"; also "remaining" where `allowRemaining`. */
function sizeOf(allowRemaining: boolean) {
  return z.union([z.number(), z.string()]).transform((v, ctx): number | 'remaining' => {
    if (allowRemaining && v === 'remaining') return 'remaining';
    const r = parseSize(v);
    if ('error' in r) {
      ctx.addIssue({ code: 'custom', message: allowRemaining ? `${r.error}, or "remaining"` : r.error });
      return z.NEVER;
    }
    return r.bytes;
  });
}
const size = sizeOf(false) as unknown as z.ZodType<number, number | string>;

const mac = z.string().transform((v, ctx) => {
  const m = normalizeMac(v);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a MAC address; write six hex pairs, e.g. "8C:EC:4B:12:34:56"` });
    return z.NEVER;
  }
  return m;
});

const ipWithPrefix = z.string().transform((v, ctx) => {
  const ip = parseIpWithPrefix(v);
  if (!ip) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not an IP address; write e.g. "10.1.20.57/24" or "fe80::1c2d:3e4f:5a6b:7c8d/64"` });
    return z.NEVER;
  }
  return ip;
});

const ip = z.string().refine((v) => parseIpWithPrefix(v) !== undefined && !v.includes('/'), {
  message: 'is not an IP address (no prefix here), e.g. "10.1.20.1"',
});

const guid = (what: string) => z.string().regex(GUID, `is not a GUID; write e.g. "{23170F69-40C1-2702-2301-000001000000}" (${what})`);
const isoDate = z.string().refine(isIsoDateTime, 'is not an ISO 8601 date or date-time, e.g. "2024-03-05" or "2024-03-05T14:30:00Z"');
const dottedVersion = z.string().regex(/^\d+(\.\d+){0,3}$/, 'is not a version; write dotted numbers, e.g. "23.01" or "10.0.19041.4291"');
const driveLetter = z.string().transform((v, ctx) => {
  const m = /^([A-Za-z]):?$/.exec(v);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a drive letter; write e.g. "C:"` });
    return z.NEVER;
  }
  return `${m[1].toUpperCase()}:`;
});
const windowsPath = z.string().transform((v, ctx) => {
  if (!/^[A-Za-z]:(\\[^\\/:*?"<>|]+)*\\?$/.test(v)) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not an absolute Windows path such as "C:\\Users\\Public"` });
    return z.NEVER;
  }
  const t = v.length > 3 && v.endsWith('\\') ? v.slice(0, -1) : v;
  return t[0].toUpperCase() + t.slice(1);
});

const architecture = z.enum(['x86', 'x64', 'arm64']);
const environment = z.enum(['winpe', 'fullos']);
const fileSystem = z.enum(['NTFS', 'FAT32', 'FAT', 'exFAT', 'ReFS']);

const cimScalar = z.enum([
  'string',
  'char16',
  'boolean',
  'datetime',
  'reference',
  'uint8',
  'sint8',
  'uint16',
  'sint16',
  'uint32',
  'sint32',
  'uint64',
  'sint64',
  'real32',
  'real64',
]);
const cimValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.union([z.string(), z.number(), z.boolean()]))]);
const wmiClass = z.strictObject({
  merge: z.enum(['replace', 'patch', 'append']).default('replace'),
  properties: z.record(nonEmpty, z.strictObject({ type: cimScalar, array: z.boolean().optional(), key: z.boolean().optional() })).optional(),
  instances: z.array(z.record(nonEmpty, cimValue)).default([]),
});
const extraWmi = z.record(nonEmpty, z.record(nonEmpty, wmiClass.nullable()).nullable()).default({});

const HIVES: Record<string, string> = {
  HKLM: 'HKEY_LOCAL_MACHINE',
  HKCU: 'HKEY_CURRENT_USER',
  HKCR: 'HKEY_CLASSES_ROOT',
  HKU: 'HKEY_USERS',
  HKCC: 'HKEY_CURRENT_CONFIG',
};
const registryType = z.enum(['REG_SZ', 'REG_EXPAND_SZ', 'REG_MULTI_SZ', 'REG_DWORD', 'REG_QWORD', 'REG_BINARY', 'REG_NONE']);
const registryKey = z.strictObject({
  key: z.string().transform((v, ctx) => {
    const m = /^([A-Za-z_]+)\\(.+)$/.exec(v);
    const hive = m && (HIVES[m[1].toUpperCase()] ?? (Object.values(HIVES).includes(m[1].toUpperCase()) ? m[1].toUpperCase() : undefined));
    if (!m || !hive) {
      ctx.addIssue({
        code: 'custom',
        message: `"${v}" is not a registry key; start with a hive, e.g. "HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso" (HKLM\\… accepted)`,
      });
      return z.NEVER;
    }
    return `${hive}\\${m[2].replace(/\\+$/, '')}`;
  }),
  values: z.record(z.string(), z.strictObject({ type: registryType, data: z.union([z.string(), z.number(), z.array(z.string())]) })).optional(),
});

const msiProduct = z.strictObject({
  productCode: guid('MSI product code').transform(bracedGuid),
  upgradeCode: guid('MSI upgrade code').transform(bracedGuid).optional(),
  name: nonEmpty,
  version: dottedVersion,
  publisher: text.optional(),
  installDate: isoDate.optional(),
});

const profileFile = z.strictObject({
  path: windowsPath,
  kind: z.enum(['file', 'dir']).default('file'),
  version: dottedVersion.optional(),
  modifiedUtc: isoDate.optional(),
});

const environmentExtras = {
  wmi: extraWmi,
  files: z.array(profileFile).default([]),
  registry: z.array(registryKey).default([]),
};

const partition = z.strictObject({
  type: z.enum(['efi', 'msr', 'basic', 'recovery']).default('basic'),
  size: sizeOf(true),
  fileSystem: fileSystem.nullable().optional(),
  driveLetter: driveLetter.optional(),
  winpeDriveLetter: driveLetter.nullable().optional(),
  label: text.optional(),
  freeSpace: size.optional(),
  active: z.boolean().optional(),
  bitLocker: z.enum(['off', 'on', 'suspended']).default('off'),
});

const disk = z.strictObject({
  index: z.number().int().min(0).optional(),
  size,
  model: nonEmpty.default('Generic Disk'),
  busType: z.enum(['nvme', 'sata', 'ata', 'sas', 'scsi', 'usb', 'raid', 'mmc']).default('sata'),
  serialNumber: text.optional(),
  firmwareRevision: text.default('1.0'),
  removable: z.boolean().optional(),
  controller: nonEmpty.optional(),
  partitionStyle: z.enum(['gpt', 'mbr', 'raw']).optional(),
  partitions: z.array(partition).default([]),
});

const networkAdapter = z.strictObject({
  mac,
  name: nonEmpty,
  manufacturer: text.optional(),
  connectionId: nonEmpty.optional(),
  kind: z.enum(['ethernet', 'wifi']).default('ethernet'),
  pnpDeviceId: nonEmpty.optional(),
  connected: z.boolean().default(true),
  ipEnabled: z.boolean().optional(),
  dhcp: z.boolean().default(true),
  dhcpServer: ip.optional(),
  ipAddresses: z.array(ipWithPrefix).default([]),
  gateways: z.array(ip).default([]),
  dnsServers: z.array(ip).default([]),
  dnsDomain: nonEmpty.optional(),
  speedMbps: z.number().int().positive().default(1000),
});

const pnpDevice = z.strictObject({
  deviceId: nonEmpty.optional(),
  name: nonEmpty,
  class: nonEmpty,
  manufacturer: text.optional(),
  hardwareIds: z.array(nonEmpty).min(1, 'list at least one hardware ID, most specific first'),
  compatibleIds: z.array(nonEmpty).default([]),
  service: nonEmpty.optional(),
  missingDriverIn: z.array(environment).default([]),
});

const userProfile = z.strictObject({
  name: nonEmpty,
  sid: z.string().regex(SID, 'is not a SID, e.g. "S-1-5-21-1004336348-1177238915-682003330-1104"'),
  kind: z.enum(['local', 'domain']).optional(),
  domain: nonEmpty.optional(),
  path: windowsPath.optional(),
  lastUseTime: isoDate.optional(),
  size: size.optional(),
  loaded: z.boolean().default(false),
});

const currentOs = z.strictObject({
  caption: nonEmpty,
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'is not a Windows version; write major.minor.build, e.g. "10.0.19045"'),
  build: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'is not a build; write e.g. "19045.4291" (build.UBR) or "19045"')
    .optional(),
  displayVersion: nonEmpty.optional(),
  edition: nonEmpty.default('Enterprise'),
  sku: z.number().int().min(0).optional(),
  productType: z.enum(['workstation', 'server', 'domainController']).default('workstation'),
  architecture: architecture.optional(),
  language: nonEmpty.default('en-US'),
  lcid: z.number().int().min(1).optional(),
  locale: nonEmpty.optional(),
  muiLanguages: z.array(nonEmpty).optional(),
  timeZone: nonEmpty.default('UTC'),
  installDrive: driveLetter.default('C:'),
  windowsDirectory: windowsPath.optional(),
  installDate: isoDate.optional(),
  lastBootUpTime: isoDate.optional(),
  computerName: z.string(),
  domain: nonEmpty.optional(),
  netbiosDomain: nonEmpty.optional(),
  workgroup: nonEmpty.optional(),
  registeredOwner: text.default(''),
  registeredOrganization: text.default(''),
  loggedOnUser: nonEmpty.optional(),
  machineSid: z
    .string()
    .regex(/^S-1-5-21-\d+-\d+-\d+$/, 'is not a machine SID, e.g. "S-1-5-21-3623811015-3361044348-30300820"')
    .optional(),
  userProfiles: z.array(userProfile).default([]),
  msiProducts: z.array(msiProduct).default([]),
  files: z.array(profileFile).default([]),
  registry: z.array(registryKey).default([]),
  configMgrClient: z
    .strictObject({
      version: dottedVersion,
      siteCode: z.string().regex(/^[A-Za-z0-9]{3}$/, 'is not a site code (3 letters or digits)'),
      clientId: z.string().optional(),
      managementPoint: nonEmpty.optional(),
    })
    .nullable()
    .default(null),
});

const processor = z.strictObject({
  name: nonEmpty.optional(),
  manufacturer: nonEmpty.optional(),
  cores: z.number().int().min(1).optional(),
  logicalProcessors: z.number().int().min(1).optional(),
  maxClockSpeedMHz: z.number().int().min(1).optional(),
});

const shape = z.strictObject({
  schema: z.literal(MACHINE_PROFILE_SCHEMA),
  name: nonEmpty,
  description: text.optional(),
  architecture: architecture.default('x64'),
  firmware: z.enum(['bios', 'uefi']).default('uefi'),
  secureBoot: z.boolean().optional(),
  make: nonEmpty,
  model: nonEmpty,
  systemFamily: text.default(''),
  systemSku: text.default(''),
  productVersion: text.default(''),
  serialNumber: text.optional(),
  assetTag: text.default(''),
  uuid: z.string().regex(GUID, 'is not a UUID, e.g. "4C4C4544-0058-4B10-8039-B7C04F513532"').transform(bareGuid).optional(),
  bios: z
    .strictObject({
      manufacturer: nonEmpty.optional(),
      version: nonEmpty.default('1.0.0'),
      releaseDate: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/, 'is not a date; write YYYY-MM-DD')
        .refine(isIsoDateTime, 'is not a real date')
        .default('2020-01-01'),
      smbiosVersion: z
        .string()
        .regex(/^\d+\.\d+$/, 'is not an SMBIOS version; write major.minor, e.g. "3.2"')
        .default('3.2'),
    })
    .prefault({}),
  baseBoard: z
    .strictObject({ manufacturer: text.optional(), product: text.default(''), version: text.default(''), serialNumber: text.optional() })
    .prefault({}),
  chassisTypes: z.array(z.number().int().min(1).max(36)).min(1, 'list at least one chassis type').optional(),
  pcSystemType: z.enum(['desktop', 'mobile', 'workstation', 'server', 'slate']).optional(),
  hypervisorPresent: z.boolean().default(false),
  memoryMB: z.number().int().min(64).default(8192),
  processors: z.array(processor).min(1, 'list at least one processor').default([{}]),
  battery: z
    .union([z.boolean(), z.strictObject({ chargePercent: z.number().int().min(0).max(100).default(100), onAcPower: z.boolean().default(true) })])
    .default(false),
  tpm: z
    .strictObject({
      present: z.boolean().default(true),
      version: z.enum(['2.0', '1.2']).default('2.0'),
      enabled: z.boolean().default(true),
      activated: z.boolean().default(true),
      owned: z.boolean().default(true),
      manufacturer: z
        .string()
        .regex(/^[ -~]{1,4}$/, 'is not a TCG vendor ID (1 to 4 ASCII characters, e.g. "IFX")')
        .default('IFX'),
      manufacturerVersion: nonEmpty.default('7.63.3353.0'),
    })
    .nullable()
    .default(null),
  networkAdapters: z.array(networkAdapter).default([]),
  disks: z.array(disk).default([]),
  pnpDevices: z.array(pnpDevice).default([]),
  currentOs: currentOs.nullable().default(null),
  wmi: extraWmi,
  environments: z
    .strictObject({
      winpe: z
        .strictObject({
          version: z
            .string()
            .regex(/^\d+\.\d+\.\d+$/, 'is not a WinPE version; write major.minor.build, e.g. "10.0.26100"')
            .default('10.0.26100'),
          language: nonEmpty.default('en-US'),
          lcid: z.number().int().min(1).optional(),
          computerName: z.string().optional(),
          scratchSpaceMB: z.number().int().min(32).max(4096).default(512),
          ...environmentExtras,
        })
        .prefault({}),
      fullos: z.strictObject({ ...environmentExtras, msiProducts: z.array(msiProduct).default([]) }).prefault({}),
    })
    .prefault({}),
});

type Shape = z.output<typeof shape>;
type Ctx = z.RefinementCtx<Shape>;

// ───────────────────────────── cross-field rules ─────────────────────────────

const ALIGN = MiB;
const alignUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

function check(p: Shape, ctx: Ctx): void {
  const issue = (path: PropertyKey[], message: string): void => ctx.addIssue({ code: 'custom', path: path as (string | number)[], message });

  if (p.firmware === 'bios' && p.secureBoot) issue(['secureBoot'], 'Secure Boot needs UEFI firmware; set "firmware": "uefi" or drop secureBoot');

  const pnpIds = new Map<string, number>();
  p.pnpDevices.forEach((d, i) => {
    const id = (d.deviceId ?? defaultDeviceId(d.hardwareIds[0], p.name, i)).toUpperCase();
    if (pnpIds.has(id)) issue(['pnpDevices', i, 'deviceId'], `"${id}" is also the device ID of pnpDevices[${pnpIds.get(id)}]`);
    pnpIds.set(id, i);
  });
  const knownDevice = (id: string): boolean => pnpIds.has(id.toUpperCase());
  p.processors.forEach((c, i) => {
    if (c.cores !== undefined && c.logicalProcessors !== undefined && c.logicalProcessors < c.cores) {
      issue(['processors', i, 'logicalProcessors'], 'fewer logical processors than cores');
    }
  });

  const macs = new Map<string, number>();
  p.networkAdapters.forEach((a, i) => {
    if (macs.has(a.mac)) issue(['networkAdapters', i, 'mac'], `${a.mac} is also the MAC of networkAdapters[${macs.get(a.mac)}]`);
    macs.set(a.mac, i);
    const ipEnabled = a.ipEnabled ?? a.connected;
    if (!ipEnabled && (a.ipAddresses.length || a.gateways.length)) {
      issue(['networkAdapters', i, 'ipAddresses'], 'an adapter that is not IP-enabled (or not connected) has no addresses or gateways');
    }
    if (a.pnpDeviceId && !knownDevice(a.pnpDeviceId)) issue(['networkAdapters', i, 'pnpDeviceId'], `no pnpDevices entry has the device ID "${a.pnpDeviceId}"`);
  });

  const diskIndexes = new Map<number, number>();
  const letters = new Map<string, string>();
  const winpeLetters = new Map<string, string>();
  p.disks.forEach((d, di) => {
    const index = d.index ?? di;
    if (d.size < MiB) issue(['disks', di, 'size'], `${d.size} bytes is smaller than the smallest disk we model (1 MiB)`);
    if (diskIndexes.has(index)) issue(['disks', di, 'index'], `disk index ${index} is also used by disks[${diskIndexes.get(index)}]`);
    diskIndexes.set(index, di);
    if (d.controller && !knownDevice(d.controller)) issue(['disks', di, 'controller'], `no pnpDevices entry has the device ID "${d.controller}"`);
    const style = d.partitionStyle ?? (d.partitions.length ? (p.firmware === 'uefi' ? 'gpt' : 'mbr') : 'raw');
    if (style === 'raw' && d.partitions.length) issue(['disks', di, 'partitionStyle'], 'a raw (uninitialized) disk has no partitions; use "gpt" or "mbr"');
    if (style === 'mbr' && d.partitions.length > 4)
      issue(['disks', di, 'partitions'], 'an MBR disk holds at most 4 primary partitions (extended partitions are not modelled)');
    if (style === 'mbr' && d.size > 2 * 2 ** 40) issue(['disks', di, 'partitionStyle'], 'MBR addresses at most 2 TiB; use "gpt" for a larger disk');
    let remaining = -1;
    let fixed = 0;
    d.partitions.forEach((pt, pi) => {
      const at = (k: string): PropertyKey[] => ['disks', di, 'partitions', pi, k];
      if (style === 'mbr' && (pt.type === 'efi' || pt.type === 'msr')) issue(at('type'), `"${pt.type}" partitions exist on GPT disks only`);
      if (style === 'gpt' && pt.active !== undefined) issue(at('active'), 'the active flag is an MBR notion; GPT disks boot from the "efi" partition');
      if (pt.type === 'msr' && pt.fileSystem) issue(at('fileSystem'), 'the Microsoft Reserved partition has no file system');
      if (pt.type === 'msr' && (pt.driveLetter || pt.winpeDriveLetter)) issue(at('driveLetter'), 'the Microsoft Reserved partition gets no drive letter');
      const fs = pt.fileSystem === undefined ? defaultFileSystem(pt.type) : pt.fileSystem;
      if (!fs && (pt.driveLetter || pt.winpeDriveLetter)) issue(at('driveLetter'), 'an unformatted partition gets no drive letter');
      if (pt.size === 'remaining') {
        if (remaining >= 0) issue(at('size'), `only one partition per disk can be "remaining" (partitions[${remaining}] already is)`);
        remaining = pi;
      } else {
        fixed += alignUp(pt.size);
        if (pt.freeSpace !== undefined && pt.freeSpace > pt.size) issue(at('freeSpace'), 'free space is larger than the partition');
      }
      if (pt.driveLetter) {
        const other = letters.get(pt.driveLetter);
        if (other) issue(at('driveLetter'), `${pt.driveLetter} is also the drive letter of ${other}`);
        letters.set(pt.driveLetter, `disks[${di}].partitions[${pi}]`);
      }
      if (pt.winpeDriveLetter) {
        if (pt.winpeDriveLetter === 'X:') issue(at('winpeDriveLetter'), "X: is WinPE's own RAM drive");
        const other = winpeLetters.get(pt.winpeDriveLetter);
        if (other) issue(at('winpeDriveLetter'), `${pt.winpeDriveLetter} is also the WinPE drive letter of ${other}`);
        winpeLetters.set(pt.winpeDriveLetter, `disks[${di}].partitions[${pi}]`);
      }
    });
    const gptReserve = d.size - usableEnd(d.size, style);
    const needed = ALIGN + fixed + (remaining >= 0 ? ALIGN : 0) + gptReserve;
    if (d.partitions.length && d.size >= MiB && needed > d.size) {
      const why = ['the first MiB', gptReserve ? 'the GPT backup table' : '', remaining >= 0 ? '1 MiB at least for "remaining"' : '']
        .filter(Boolean)
        .join(', ');
      issue(['disks', di, 'partitions'], `the partitions need ${fmtBytes(needed)} (with 1 MiB alignment, ${why}) but the disk has ${fmtBytes(d.size)}`);
    }
  });

  const os = p.currentOs;
  if (os) {
    const osArch = os.architecture ?? p.architecture;
    if (!(osArch === p.architecture || (p.architecture === 'x64' && osArch === 'x86'))) {
      issue(['currentOs', 'architecture'], `an ${osArch} operating system does not run on an ${p.architecture} processor`);
    }
    const n = computerNameProblem(os.computerName);
    if (n) issue(['currentOs', 'computerName'], n);
    if (os.domain && os.workgroup) issue(['currentOs', 'workgroup'], 'a computer is either in a domain or in a workgroup; drop one');
    if (os.netbiosDomain && !os.domain) issue(['currentOs', 'netbiosDomain'], 'netbiosDomain needs domain');
    if (os.productType === 'domainController' && !os.domain) issue(['currentOs', 'productType'], 'a domain controller needs domain');
    const build = os.version.split('.')[2];
    if (os.build && os.build.split('.')[0] !== build) issue(['currentOs', 'build'], `the build ${os.build} does not match the version ${os.version}`);
    if (os.lcid === undefined && lcidOf(os.language) === undefined) {
      issue(['currentOs', 'language'], `"${os.language}" is not a language tag we know the LCID of; add "lcid" (e.g. 1033 for en-US)`);
    }
    if (os.locale && lcidOf(os.locale) === undefined) issue(['currentOs', 'locale'], `"${os.locale}" is not a locale we know; use a tag such as "en-GB"`);
    const osPartition = p.disks.flatMap((d) => d.partitions).find((pt) => pt.driveLetter === os.installDrive);
    const osFs = osPartition && (osPartition.fileSystem === undefined ? defaultFileSystem(osPartition.type) : osPartition.fileSystem);
    if (!osPartition) issue(['currentOs', 'installDrive'], `Windows is installed on ${os.installDrive} but no partition in disks[] has that driveLetter`);
    else if (osFs !== 'NTFS') issue(['currentOs', 'installDrive'], `${os.installDrive} is ${osFs ?? 'not formatted'}; Windows is installed on NTFS`);
    const osDisk = p.disks.find((d) => d.partitions.some((pt) => pt.driveLetter === os.installDrive));
    const osController =
      osDisk?.controller &&
      p.pnpDevices.find((d, i) => (d.deviceId ?? defaultDeviceId(d.hardwareIds[0], p.name, i)).toUpperCase() === osDisk.controller!.toUpperCase());
    if (osController && osController.missingDriverIn.includes('fullos')) {
      issue(['currentOs', 'installDrive'], `Windows cannot run from ${os.installDrive}: its disk's controller has no driver in the full OS (missingDriverIn)`);
    }
    if (os.windowsDirectory && !os.windowsDirectory.toUpperCase().startsWith(`${os.installDrive}\\`)) {
      issue(['currentOs', 'windowsDirectory'], `the Windows directory must be on the install drive ${os.installDrive}`);
    }
    const names = new Map<string, number>();
    const sids = new Map<string, number>();
    os.userProfiles.forEach((u, i) => {
      const k = u.name.toLowerCase();
      if (names.has(k)) issue(['currentOs', 'userProfiles', i, 'name'], `"${u.name}" is also the name of userProfiles[${names.get(k)}]`);
      names.set(k, i);
      if (sids.has(u.sid)) issue(['currentOs', 'userProfiles', i, 'sid'], `${u.sid} is also the SID of userProfiles[${sids.get(u.sid)}]`);
      sids.set(u.sid, i);
      const kind = u.kind ?? (os.domain ? 'domain' : 'local');
      if (kind === 'domain' && !os.domain) issue(['currentOs', 'userProfiles', i, 'kind'], 'a domain profile on a computer that is not in a domain');
      if (kind === 'local' && os.machineSid && !u.sid.startsWith(`${os.machineSid}-`)) {
        issue(['currentOs', 'userProfiles', i, 'sid'], `a local account's SID starts with the machine SID ${os.machineSid}`);
      }
      if (kind === 'local' && !/^S-1-5-21-\d+-\d+-\d+-\d+$/.test(u.sid))
        issue(['currentOs', 'userProfiles', i, 'sid'], 'a local account SID looks like S-1-5-21-<machine>-<RID>');
    });
    os.files.forEach((f, i) => {
      if (!letters.has(f.path.slice(0, 2).toUpperCase()))
        issue(['currentOs', 'files', i, 'path'], `${f.path.slice(0, 2)} is not the drive letter of any partition in disks[]`);
    });
    os.registry.forEach((r, i) => checkRegistry(r, ['currentOs', 'registry', i], issue));
  }
  const wpName = p.environments.winpe.computerName;
  if (wpName !== undefined) {
    const n = computerNameProblem(wpName);
    if (n) issue(['environments', 'winpe', 'computerName'], n);
  }
  if (p.environments.winpe.lcid === undefined && lcidOf(p.environments.winpe.language) === undefined) {
    issue(['environments', 'winpe', 'language'], `"${p.environments.winpe.language}" is not a language tag we know the LCID of; add "lcid"`);
  }
  for (const env of ['winpe', 'fullos'] as const) {
    p.environments[env].registry.forEach((r, i) => checkRegistry(r, ['environments', env, 'registry', i], issue));
    checkWmi(p.environments[env].wmi, ['environments', env, 'wmi'], issue);
  }
  checkWmi(p.wmi, ['wmi'], issue);
}

function checkRegistry(r: ProfileRegistryKey, at: PropertyKey[], issue: (path: PropertyKey[], m: string) => void): void {
  for (const [name, v] of Object.entries(r.values ?? {})) {
    const here = [...at, 'values', name, 'data'];
    const d = v.data;
    switch (v.type) {
      case 'REG_DWORD':
        if (!(typeof d === 'number' && Number.isInteger(d) && d >= 0 && d <= 0xffffffff)) issue(here, 'REG_DWORD data is a whole number from 0 to 4294967295');
        break;
      case 'REG_QWORD':
        if (!((typeof d === 'number' && Number.isSafeInteger(d) && d >= 0) || (typeof d === 'string' && /^\d+$/.test(d) && BigInt(d) < 2n ** 64n))) {
          issue(here, 'REG_QWORD data is a whole number ≥ 0 (a decimal string above 2^53)');
        }
        break;
      case 'REG_MULTI_SZ':
        if (!Array.isArray(d)) issue(here, 'REG_MULTI_SZ data is an array of strings');
        break;
      case 'REG_BINARY':
        if (!(typeof d === 'string' && /^([0-9a-fA-F]{2})*$/.test(d))) issue(here, 'REG_BINARY data is a string of hex byte pairs, e.g. "01ff"');
        break;
      default:
        if (typeof d !== 'string') issue(here, `${v.type} data is a string`);
    }
  }
}

function checkWmi(wmi: ExtraWmi, at: PropertyKey[], issue: (path: PropertyKey[], m: string) => void): void {
  for (const [ns, classes] of Object.entries(wmi)) {
    if (!/^root(\\[A-Za-z0-9_]+)*$/i.test(ns))
      issue([...at, ns], `"${ns}" is not a WMI namespace; write e.g. "root\\\\cimv2" in JSON (one backslash in the name)`);
    for (const [cls, data] of Object.entries(classes ?? {})) {
      if (!data) continue;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(cls)) issue([...at, ns, cls], `"${cls}" is not a WMI class name`);
      const decls = { ...(catalogDecls(ns, cls) ?? {}), ...(data.properties ?? {}) };
      const find = (prop: string): CimPropertyDecl | undefined => {
        const k = Object.keys(decls).find((n) => n.toLowerCase() === prop.toLowerCase());
        return k ? decls[k] : undefined;
      };
      data.instances.forEach((inst, i) => {
        for (const [prop, value] of Object.entries(inst)) {
          const d = find(prop);
          if (!d) {
            if (Object.keys(decls).length && data.properties) issue([...at, ns, cls, 'instances', i, prop], `"${prop}" is not declared in properties`);
            continue;
          }
          const problem = cimValueProblem(d, value);
          if (problem) issue([...at, ns, cls, 'instances', i, prop], problem);
        }
      });
    }
  }
}

// ───────────────────────────── defaults ─────────────────────────────

const MOBILE_CHASSIS = new Set([8, 9, 10, 11, 12, 14, 18, 21, 30, 31, 32]);
const SERVER_CHASSIS = new Set([17, 23, 25, 28, 29]);

function defaultFileSystem(type: PartitionType): FileSystem | null {
  return type === 'efi' ? 'FAT32' : type === 'msr' ? null : 'NTFS';
}

/** GPT keeps a backup table in the last sectors; leave the last MiB alone. */
function usableEnd(diskSize: number, style: 'gpt' | 'mbr' | 'raw'): number {
  return style === 'gpt' ? diskSize - ALIGN : diskSize;
}

/** A plausible PnP instance path for a device listed without one: its first hardware ID plus an instance suffix. */
export function defaultDeviceId(hardwareId: string, seed: string, position: number): string {
  const h = guidFrom(`${seed}|${hardwareId}|${position}`).replace(/-/g, '');
  return `${hardwareId.toUpperCase()}\\3&${h.slice(0, 8)}&0&${h.slice(8, 10)}`;
}

function fmtBytes(n: number): string {
  return n >= GiB ? `${(n / GiB).toFixed(2).replace(/\.?0+$/, '')} GiB (${n} bytes)` : `${n} bytes`;
}

const PROCESSOR_DEFAULTS: Record<Architecture, Processor> = {
  x64: { name: 'Intel(R) Core(TM) i5-10500 CPU @ 3.10GHz', manufacturer: 'GenuineIntel', cores: 6, logicalProcessors: 12, maxClockSpeedMHz: 3101 },
  x86: { name: 'Intel(R) Pentium(R) 4 CPU 3.00GHz', manufacturer: 'GenuineIntel', cores: 1, logicalProcessors: 2, maxClockSpeedMHz: 3000 },
  arm64: {
    name: 'Snapdragon(R) X Elite - X1E78100 - Qualcomm(R) Oryon(TM) CPU',
    manufacturer: 'Qualcomm Technologies Inc',
    cores: 12,
    logicalProcessors: 12,
    maxClockSpeedMHz: 3417,
  },
};

/** OperatingSystemSKU by EditionID (Microsoft's Win32_OperatingSystem reference). */
const SKUS: Record<string, number> = {
  ultimate: 1,
  homebasic: 2,
  homepremium: 3,
  enterprise: 4,
  business: 6,
  serverstandard: 7,
  serverdatacenter: 8,
  starter: 11,
  serverenterprise: 10,
  professional: 48,
  core: 101,
  corecountryspecific: 99,
  coresinglelanguage: 100,
  education: 121,
  enterprises: 125,
  professionalworkstation: 161,
  professionaleducation: 164,
  iotenterprise: 188,
  iotenterprises: 191,
  serverdatacentercor: 12,
  serverstandardcor: 13,
};

function resolve(p: Shape): MachineProfile {
  const seed = `${p.make}|${p.model}|${p.name}`;
  const battery: Battery | null = p.battery === false ? null : p.battery === true ? { chargePercent: 100, onAcPower: true } : p.battery;
  const chassisTypes = p.chassisTypes ?? [battery ? 10 : 3];
  const pcSystemType: PcSystemType =
    p.pcSystemType ?? (chassisTypes.some((c) => SERVER_CHASSIS.has(c)) ? 'server' : chassisTypes.some((c) => MOBILE_CHASSIS.has(c)) ? 'mobile' : 'desktop');
  const def = PROCESSOR_DEFAULTS[p.architecture];
  const processors = p.processors.map((c): Processor => {
    const cores = c.cores ?? def.cores;
    return {
      name: c.name ?? def.name,
      manufacturer: c.manufacturer ?? def.manufacturer,
      cores,
      logicalProcessors: c.logicalProcessors ?? Math.max(cores, c.cores === undefined ? def.logicalProcessors : cores),
      maxClockSpeedMHz: c.maxClockSpeedMHz ?? def.maxClockSpeedMHz,
    };
  });
  const pnpDevices = p.pnpDevices.map((d, i): PnpDevice => ({
    deviceId: (d.deviceId ?? defaultDeviceId(d.hardwareIds[0], p.name, i)).toUpperCase(),
    name: d.name,
    class: d.class,
    manufacturer: d.manufacturer ?? '',
    hardwareIds: d.hardwareIds,
    compatibleIds: d.compatibleIds,
    service: d.service,
    missingDriverIn: [...new Set(d.missingDriverIn)],
  }));
  const os = p.currentOs ? resolveOs(p.currentOs, p.architecture, seed) : null;
  const serialNumber = p.serialNumber ?? alnumFrom(`${seed}|serial`, 10);
  const disks = p.disks.map((d, di): Disk => {
    const style = d.partitionStyle ?? (d.partitions.length ? (p.firmware === 'uefi' ? 'gpt' : 'mbr') : 'raw');
    const fixed = d.partitions.reduce((n, pt) => n + (pt.size === 'remaining' ? 0 : alignUp(pt.size)), 0);
    const rest = Math.floor((usableEnd(d.size, style) - ALIGN - fixed) / ALIGN) * ALIGN;
    let offset = ALIGN;
    const partitions = d.partitions.map((pt): Partition => {
      const size = pt.size === 'remaining' ? rest : pt.size;
      const fs = pt.fileSystem === undefined ? defaultFileSystem(pt.type) : pt.fileSystem;
      const isOs = !!os && pt.driveLetter === os.installDrive;
      const out: Partition = {
        type: pt.type,
        size,
        offset,
        fileSystem: fs,
        label: pt.label ?? (isOs ? 'Windows' : pt.type === 'recovery' ? 'Recovery' : ''),
        freeSpace: pt.freeSpace ?? (fs ? defaultFree(size, isOs ? os : null) : 0),
        active: pt.active ?? false,
        bitLocker: pt.bitLocker,
      };
      if (pt.driveLetter) out.driveLetter = pt.driveLetter;
      if (pt.winpeDriveLetter !== undefined) out.winpeDriveLetter = pt.winpeDriveLetter;
      offset = alignUp(offset + size);
      return out;
    });
    return {
      index: d.index ?? di,
      size: d.size,
      model: d.model,
      busType: d.busType,
      serialNumber: d.serialNumber ?? alnumFrom(`${seed}|disk${di}`, 16),
      firmwareRevision: d.firmwareRevision,
      removable: d.removable ?? d.busType === 'usb',
      ...(d.controller ? { controller: d.controller.toUpperCase() } : {}),
      partitionStyle: style,
      partitions,
    };
  });
  const wp = p.environments.winpe;
  return {
    schema: MACHINE_PROFILE_SCHEMA,
    name: p.name,
    ...(p.description !== undefined ? { description: p.description } : {}),
    architecture: p.architecture,
    firmware: p.firmware,
    secureBoot: p.secureBoot ?? p.firmware === 'uefi',
    make: p.make,
    model: p.model,
    systemFamily: p.systemFamily,
    systemSku: p.systemSku,
    productVersion: p.productVersion,
    serialNumber,
    assetTag: p.assetTag,
    uuid: p.uuid ?? guidFrom(`${seed}|uuid`),
    bios: {
      manufacturer: p.bios.manufacturer ?? p.make,
      version: p.bios.version,
      releaseDate: p.bios.releaseDate,
      smbiosVersion: p.bios.smbiosVersion,
    },
    baseBoard: {
      manufacturer: p.baseBoard.manufacturer ?? p.make,
      product: p.baseBoard.product,
      version: p.baseBoard.version,
      serialNumber: p.baseBoard.serialNumber ?? `/${serialNumber}/`,
    },
    chassisTypes,
    pcSystemType,
    hypervisorPresent: p.hypervisorPresent,
    memoryMB: p.memoryMB,
    processors,
    battery,
    tpm: p.tpm,
    networkAdapters: resolveAdapters(p.networkAdapters),
    disks,
    pnpDevices,
    currentOs: os,
    wmi: p.wmi,
    environments: {
      winpe: {
        version: wp.version,
        language: wp.language,
        lcid: wp.lcid ?? lcidOf(wp.language)!,
        computerName: wp.computerName ?? `MININT-${alnumFrom(`${seed}|${p.uuid ?? ''}|minint`, 7)}`,
        scratchSpaceMB: wp.scratchSpaceMB,
        wmi: wp.wmi,
        files: wp.files,
        registry: wp.registry,
        msiProducts: [],
      },
      fullos: p.environments.fullos,
    },
  };
}

/** Used space on the OS volume: about 20 GiB of Windows plus the user profiles; other volumes start empty. */
function defaultFree(size: number, os: CurrentOs | null): number {
  if (!os) return size;
  const used = 20 * GiB + os.userProfiles.reduce((n, u) => n + (u.size ?? 0), 0);
  return Math.max(Math.floor(size * 0.05), size - used);
}

function resolveAdapters(list: Shape['networkAdapters']): NetworkAdapter[] {
  const counts = { ethernet: 0, wifi: 0 };
  return list.map((a) => {
    const n = ++counts[a.kind];
    const base = a.kind === 'wifi' ? 'Wi-Fi' : 'Ethernet';
    const out: NetworkAdapter = {
      mac: a.mac,
      name: a.name,
      manufacturer: a.manufacturer ?? '',
      connectionId: a.connectionId ?? (n === 1 ? base : `${base} ${n}`),
      kind: a.kind,
      connected: a.connected,
      ipEnabled: a.ipEnabled ?? a.connected,
      dhcp: a.dhcp,
      ipAddresses: a.ipAddresses,
      gateways: a.gateways,
      dnsServers: a.dnsServers,
      speedMbps: a.speedMbps,
    };
    if (a.pnpDeviceId) out.pnpDeviceId = a.pnpDeviceId.toUpperCase();
    if (a.dhcpServer) out.dhcpServer = a.dhcpServer;
    if (a.dnsDomain) out.dnsDomain = a.dnsDomain;
    return out;
  });
}

function resolveOs(o: NonNullable<Shape['currentOs']>, machineArch: Architecture, seed: string): CurrentOs {
  const [buildNumber, ubr] = (o.build ?? o.version.split('.')[2]).split('.');
  const lcid = o.lcid ?? lcidOf(o.language)!;
  const locale = o.locale ?? o.language;
  const domain = o.domain;
  const netbiosDomain = domain ? (o.netbiosDomain ?? domain.split('.')[0].toUpperCase().slice(0, 15)) : undefined;
  const localSids = o.userProfiles.filter((u) => (u.kind ?? (domain ? 'domain' : 'local')) === 'local').map((u) => u.sid.replace(/-\d+$/, ''));
  const h = guidFrom(`${seed}|machine-sid`).replace(/-/g, '');
  const machineSid = o.machineSid ?? localSids[0] ?? `S-1-5-21-${parseInt(h.slice(0, 8), 16)}-${parseInt(h.slice(8, 16), 16)}-${parseInt(h.slice(16, 24), 16)}`;
  const computerName = o.computerName.toUpperCase();
  return {
    caption: o.caption,
    version: o.version,
    buildNumber,
    ubr: ubr === undefined ? 0 : Number(ubr),
    ...(o.displayVersion ? { displayVersion: o.displayVersion } : {}),
    edition: o.edition,
    sku: o.sku ?? SKUS[o.edition.toLowerCase()] ?? null,
    productType: o.productType,
    architecture: o.architecture ?? machineArch,
    language: o.language,
    lcid,
    locale,
    localeLcid: lcidOf(locale) ?? lcid,
    muiLanguages: o.muiLanguages ?? [o.language],
    timeZone: o.timeZone,
    installDrive: o.installDrive,
    windowsDirectory: o.windowsDirectory ?? `${o.installDrive}\\Windows`,
    ...(o.installDate ? { installDate: o.installDate } : {}),
    ...(o.lastBootUpTime ? { lastBootUpTime: o.lastBootUpTime } : {}),
    computerName,
    ...(domain ? { domain, netbiosDomain } : { workgroup: o.workgroup ?? 'WORKGROUP' }),
    registeredOwner: o.registeredOwner,
    registeredOrganization: o.registeredOrganization,
    ...(o.loggedOnUser ? { loggedOnUser: o.loggedOnUser } : {}),
    machineSid,
    userProfiles: o.userProfiles.map((u): UserProfile => {
      const kind = u.kind ?? (domain ? 'domain' : 'local');
      const out: UserProfile = {
        name: u.name,
        sid: u.sid,
        kind,
        domain: u.domain ?? (kind === 'domain' ? netbiosDomain! : computerName),
        path: u.path ?? `${o.installDrive}\\Users\\${u.name}`,
        loaded: u.loaded,
      };
      if (u.lastUseTime) out.lastUseTime = u.lastUseTime;
      if (u.size !== undefined) out.size = u.size;
      return out;
    }),
    msiProducts: o.msiProducts,
    files: o.files,
    registry: o.registry,
    configMgrClient: o.configMgrClient
      ? {
          version: o.configMgrClient.version,
          siteCode: o.configMgrClient.siteCode.toUpperCase(),
          clientId: o.configMgrClient.clientId ?? `GUID:${guidFrom(`${seed}|ccm-client`)}`,
          ...(o.configMgrClient.managementPoint ? { managementPoint: o.configMgrClient.managementPoint } : {}),
        }
      : null,
  };
}

/** The whole schema: shape, cross-field rules, then defaults. Input type: `MachineProfileInput`. */
export const machineProfileSchema = shape.superRefine(check).transform(resolve);

/** What an author writes (optional fields, shorthands such as `"battery": true`). */
export type MachineProfileInput = z.input<typeof shape>;
