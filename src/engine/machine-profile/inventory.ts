/**
 * `inventoryFor`: the WMI classes, files, registry keys and MSI products a real machine would show
 * in WinPE or in its installed Windows, generated from a machine profile, with the profile's own
 * WMI data merged over them. What each environment shows and why: docs/machine-profile.md.
 */
import { InputError } from '../../sequence/input-error.js';
import type { CimValue, InventoryFile, InventoryMsiProduct, InventoryRegistryKey, MachineInventory, WmiClassData } from '../inventory.js';
import type { Architecture, Disk, Environment, ExtraWmi, MachineProfile, MsiProduct, PcSystemType, ProfileFile, ProfileRegistryKey } from './schema.js';
import { bareGuid, dmtf, GiB, guidFrom, MiB, subnetText, uint32From } from './values.js';
import { viewOf, type MachineView, type VisibleVolume } from './view.js';
import { CATALOG, NS_BITLOCKER, NS_CCM, NS_CIMV2, NS_STANDARDCIMV2, NS_STORAGE, NS_TPM, NS_WMI } from './wmi-catalog.js';

type Instance = Record<string, CimValue>;
type Wmi = MachineInventory['wmi'];

export const ARCHITECTURE_CODE: Record<Architecture, number> = { x86: 0, x64: 9, arm64: 12 };
const OS_ARCHITECTURE: Record<Architecture, string> = { x86: '32-bit', x64: '64-bit', arm64: 'ARM 64-bit Processor' };
const SYSTEM_TYPE: Record<Architecture, string> = { x86: 'X86-based PC', x64: 'x64-based PC', arm64: 'ARM64-based PC' };
const PC_SYSTEM_TYPE: Record<PcSystemType, [number, number]> = {
  desktop: [1, 1],
  mobile: [2, 2],
  workstation: [3, 3],
  server: [4, 4],
  slate: [2, 8],
};
/** STORAGE_BUS_TYPE (MSFT_Disk.BusType) and Win32_DiskDrive.InterfaceType per bus. */
const BUS: Record<Disk['busType'], [number, string]> = {
  nvme: [17, 'SCSI'],
  sata: [11, 'IDE'],
  ata: [3, 'IDE'],
  sas: [10, 'SCSI'],
  scsi: [1, 'SCSI'],
  usb: [7, 'USB'],
  raid: [8, 'SCSI'],
  mmc: [13, 'SCSI'],
};
/** Setup class GUIDs of the common PnP classes (Microsoft's "System-defined device setup classes"). */
const CLASS_GUIDS: Record<string, string> = {
  net: '{4d36e972-e325-11ce-bfc1-08002be10318}',
  scsiadapter: '{4d36e97b-e325-11ce-bfc1-08002be10318}',
  hdc: '{4d36e96a-e325-11ce-bfc1-08002be10318}',
  display: '{4d36e968-e325-11ce-bfc1-08002be10318}',
  media: '{4d36e96c-e325-11ce-bfc1-08002be10318}',
  system: '{4d36e97d-e325-11ce-bfc1-08002be10318}',
  usb: '{36fc9e60-c465-11cf-8056-444553540000}',
  diskdrive: '{4d36e967-e325-11ce-bfc1-08002be10318}',
  bluetooth: '{e0cbf06c-cd8b-4647-bb8a-263b43f0f974}',
  camera: '{ca3e7ab9-b4c3-4ae6-8251-579ef933890f}',
  image: '{6bdd1fc6-810f-11d0-bec7-08002be2092f}',
  keyboard: '{4d36e96b-e325-11ce-bfc1-08002be10318}',
  mouse: '{4d36e96f-e325-11ce-bfc1-08002be10318}',
  hidclass: '{745a17a0-74d3-11d0-b6fe-00a0c90f57da}',
  securitydevices: '{d94ee5d8-d189-4994-83d2-f68d7d41b0e6}',
  biometric: '{53d29ef7-377c-4d14-864b-eb3a85769359}',
  monitor: '{4d36e96e-e325-11ce-bfc1-08002be10318}',
  processor: '{50127dc3-0f36-415e-a6cc-4cb3be910b65}',
  sdhost: '{a0a588a4-c46f-4b37-b7ea-c82fe89870c6}',
  smartcardreader: '{50dd5230-ba8a-11d1-bf5d-0000f805f530}',
  firmware: '{f2e7dd72-6468-4e36-b6f1-6488f42c1b52}',
  extension: '{e2f84ce7-8efa-411c-aa69-97454ca4cb57}',
  softwarecomponent: '{5c4c3332-344d-483c-8739-259e934c9cc8}',
  ports: '{4d36e978-e325-11ce-bfc1-08002be10318}',
};

/** The full OS needs an installed Windows; a bare-metal profile has only WinPE. */
export function requireOsFor(profile: MachineProfile, environment: Environment): void {
  if (environment === 'fullos' && !profile.currentOs) {
    throw new InputError({
      input: profile.name,
      rule: 'the profile has no currentOs, so there is no full OS to describe',
      hint: 'for the OS a task sequence deploys, pass a copy of the profile with currentOs (and disks) as they will be after deployment',
    });
  }
}

export function inventoryFor(profile: MachineProfile, environment: Environment): MachineInventory {
  requireOsFor(profile, environment);
  const v = viewOf(profile, environment);
  const wmi: Wmi = {};
  const add = (ns: string, cls: string, instances: Instance[]): void => {
    (wmi[ns] ??= {})[cls] = { properties: structuredClone(CATALOG[ns][cls]), instances };
  };

  add(NS_CIMV2, 'Win32_ComputerSystem', [computerSystem(v)]);
  add(NS_CIMV2, 'Win32_ComputerSystemProduct', [computerSystemProduct(profile)]);
  add(NS_CIMV2, 'Win32_BIOS', [bios(profile)]);
  add(NS_CIMV2, 'Win32_BaseBoard', [baseBoard(profile)]);
  add(NS_CIMV2, 'Win32_SystemEnclosure', [enclosure(profile)]);
  add(NS_CIMV2, 'Win32_Processor', processors(v));
  add(NS_CIMV2, 'Win32_PhysicalMemory', [physicalMemory(profile)]);
  add(NS_CIMV2, 'Win32_Battery', battery(profile));
  add(
    NS_CIMV2,
    'Win32_NetworkAdapter',
    v.adapters.map((a) => networkAdapter(a)),
  );
  add(
    NS_CIMV2,
    'Win32_NetworkAdapterConfiguration',
    v.adapters.map((a) => adapterConfiguration(a, v)),
  );
  add(
    NS_CIMV2,
    'Win32_DiskDrive',
    v.disks.map((d) => diskDrive(d, v)),
  );
  add(
    NS_CIMV2,
    'Win32_DiskPartition',
    v.volumes.map((x) => diskPartition(x)),
  );
  add(NS_CIMV2, 'Win32_LogicalDisk', logicalDisks(v));
  add(NS_CIMV2, 'Win32_Volume', volumes(v));
  add(NS_CIMV2, 'Win32_PnPEntity', pnpEntities(v));
  add(NS_CIMV2, 'Win32_OperatingSystem', [operatingSystem(v)]);
  add(NS_CIMV2, 'Win32_UserProfile', userProfiles(v));
  add(NS_CIMV2, 'Win32_UserAccount', userAccounts(v));
  add(NS_CIMV2, 'Win32_Product', msiOf(profile, environment).map(productInstance));
  add(NS_TPM, 'Win32_Tpm', tpm(profile));
  add(NS_BITLOCKER, 'Win32_EncryptableVolume', encryptableVolumes(v));
  add(NS_WMI, 'MS_SystemInformation', [systemInformation(profile)]);
  add(
    NS_STORAGE,
    'MSFT_Disk',
    v.disks.map((d) => msftDisk(d, v)),
  );
  if (environment === 'fullos') {
    add(
      NS_STANDARDCIMV2,
      'MSFT_NetAdapter',
      v.adapters.map((a) => msftNetAdapter(a)),
    );
    const client = profile.currentOs!.configMgrClient;
    if (client) {
      add(NS_CCM, 'SMS_Client', [{ ClientVersion: client.version, ClientType: 1 }]);
      add(NS_CCM, 'CCM_Client', [{ ClientId: client.clientId, PreviousClientId: null }]);
      add(NS_CCM, 'SMS_Authority', [{ Name: `SMS:${client.siteCode}`, CurrentManagementPoint: client.managementPoint ?? null, Index: 1 }]);
    }
  }

  mergeWmi(wmi, profile.wmi);
  mergeWmi(wmi, profile.environments[environment].wmi);

  return {
    schema: 'openosd.inventory/v1',
    environment,
    source: 'profile',
    wmi,
    files: files(v),
    registry: registry(v),
    msiProducts: msiOf(profile, environment).map((m) => {
      const out: InventoryMsiProduct = { productCode: m.productCode, name: m.name, version: m.version };
      if (m.upgradeCode) out.upgradeCode = m.upgradeCode;
      return out;
    }),
  };
}

// ───────────────────────────── root\cimv2 ─────────────────────────────

function computerSystem(v: MachineView): Instance {
  const p = v.profile;
  const os = v.os;
  const [pcType, pcTypeEx] = PC_SYSTEM_TYPE[p.pcSystemType];
  const joined = !!os?.domain;
  const role = !os ? 0 : os.productType === 'domainController' ? 5 : os.productType === 'server' ? (joined ? 3 : 2) : joined ? 1 : 0;
  return {
    Name: v.computerName,
    Caption: v.computerName,
    DNSHostName: v.computerName,
    Manufacturer: p.make,
    Model: p.model,
    Domain: os ? (os.domain ?? os.workgroup!) : 'WORKGROUP',
    PartOfDomain: joined,
    Workgroup: joined ? null : (os?.workgroup ?? 'WORKGROUP'),
    DomainRole: role,
    PCSystemType: pcType,
    PCSystemTypeEx: pcTypeEx,
    SystemFamily: p.systemFamily,
    SystemSKUNumber: p.systemSku,
    SystemType: SYSTEM_TYPE[v.osArch],
    TotalPhysicalMemory: String(p.memoryMB * MiB),
    NumberOfProcessors: p.processors.length,
    NumberOfLogicalProcessors: p.processors.reduce((n, c) => n + c.logicalProcessors, 0),
    HypervisorPresent: p.hypervisorPresent,
    UserName: os?.loggedOnUser ?? null,
    BootupState: 'Normal boot',
    PrimaryOwnerName: os ? os.registeredOwner : null,
    Status: 'OK',
  };
}

function computerSystemProduct(p: MachineProfile): Instance {
  return {
    IdentifyingNumber: p.serialNumber,
    Name: p.model,
    Version: p.productVersion,
    Vendor: p.make,
    UUID: p.uuid,
    SKUNumber: p.systemSku || null,
    Caption: 'Computer System Product',
    Description: 'Computer System Product',
  };
}

/** The ACPI OEM spelling real BIOSes put in Win32_BIOS.Version, e.g. "DELL   - 1072009". */
function acpiVersion(p: MachineProfile): string {
  const oem = p.bios.manufacturer
    .split(/[\s,.]/)[0]
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 6)
    .toUpperCase()
    .padEnd(6);
  return `${oem} - ${uint32From(`${p.uuid}|acpi`) % 10_000_000}`;
}

function bios(p: MachineProfile): Instance {
  const [major, minor] = p.bios.smbiosVersion.split('.').map(Number);
  const version = acpiVersion(p);
  return {
    Name: p.bios.version,
    Version: version,
    SoftwareElementID: p.bios.version,
    SoftwareElementState: 3,
    TargetOperatingSystem: 0,
    Manufacturer: p.bios.manufacturer,
    SMBIOSBIOSVersion: p.bios.version,
    SerialNumber: p.serialNumber,
    ReleaseDate: dmtf(p.bios.releaseDate),
    BIOSVersion: [version, p.bios.version],
    SMBIOSMajorVersion: Math.min(major, 65535),
    SMBIOSMinorVersion: Math.min(minor, 65535),
    SMBIOSPresent: true,
    PrimaryBIOS: true,
    Status: 'OK',
  };
}

function baseBoard(p: MachineProfile): Instance {
  return {
    Tag: 'Base Board',
    Manufacturer: p.baseBoard.manufacturer,
    Product: p.baseBoard.product,
    Version: p.baseBoard.version,
    SerialNumber: p.baseBoard.serialNumber,
    HostingBoard: true,
    Status: 'OK',
  };
}

function enclosure(p: MachineProfile): Instance {
  return {
    Tag: 'System Enclosure 0',
    ChassisTypes: [...p.chassisTypes],
    Manufacturer: p.make,
    SerialNumber: p.serialNumber,
    SMBIOSAssetTag: p.assetTag,
    LockPresent: false,
    Status: null,
  };
}

function processors(v: MachineView): Instance[] {
  const p = v.profile;
  return p.processors.map((c, i) => ({
    DeviceID: `CPU${i}`,
    Name: c.name,
    Manufacturer: c.manufacturer,
    Architecture: ARCHITECTURE_CODE[p.architecture],
    // AddressWidth is the running OS's width, DataWidth the processor's (Microsoft's Win32_Processor reference).
    AddressWidth: v.osArch === 'x86' ? 32 : 64,
    DataWidth: p.architecture === 'x86' ? 32 : 64,
    NumberOfCores: c.cores,
    NumberOfLogicalProcessors: c.logicalProcessors,
    MaxClockSpeed: c.maxClockSpeedMHz,
    CurrentClockSpeed: c.maxClockSpeedMHz,
    // Feature flags then the CPUID signature, as Intel and AMD processors report it.
    ProcessorId: `BFEBFBFF${uint32From(`${c.name}|cpuid`).toString(16).toUpperCase().padStart(8, '0')}`,
    ProcessorType: 3,
    SocketDesignation: `CPU ${i}`,
    Role: 'CPU',
    Status: 'OK',
  }));
}

function physicalMemory(p: MachineProfile): Instance {
  return {
    Tag: 'Physical Memory 0',
    BankLabel: 'BANK 0',
    DeviceLocator: p.pcSystemType === 'mobile' || p.pcSystemType === 'slate' ? 'ChannelA-DIMM0' : 'DIMM1',
    Capacity: String(p.memoryMB * MiB),
    FormFactor: p.pcSystemType === 'mobile' || p.pcSystemType === 'slate' ? 12 : 8,
    Speed: 2667,
  };
}

function battery(p: MachineProfile): Instance[] {
  if (!p.battery) return [];
  const vendor = p.make.split(/[\s,]/)[0].toUpperCase();
  return [
    {
      DeviceID: `${uint32From(`${p.uuid}|battery`) % 10000} ${vendor} Primary`,
      Name: `${vendor} Primary Battery`,
      // 2 = on AC (not discharging), 1 = discharging (Win32_Battery.BatteryStatus).
      BatteryStatus: p.battery.onAcPower ? 2 : 1,
      Chemistry: 6,
      EstimatedChargeRemaining: p.battery.chargePercent,
      DesignVoltage: '11400',
      Availability: 2,
      Status: 'OK',
    },
  ];
}

type ViewAdapter = MachineView['adapters'][number];

function networkAdapter(a: ViewAdapter): Instance {
  return {
    DeviceID: String(a.index),
    Index: a.index,
    InterfaceIndex: a.interfaceIndex,
    Name: a.name,
    Description: a.name,
    ProductName: a.name,
    Manufacturer: a.manufacturer || null,
    MACAddress: a.mac,
    AdapterType: 'Ethernet 802.3',
    AdapterTypeID: 0,
    NetConnectionID: a.connectionId,
    NetConnectionStatus: a.connected ? 2 : 7,
    NetEnabled: true,
    PhysicalAdapter: true,
    PNPDeviceID: a.pnpDeviceId ?? null,
    GUID: a.guid,
    Speed: a.connected ? String(a.speedMbps * 1_000_000) : null,
  };
}

function adapterConfiguration(a: ViewAdapter, v: MachineView): Instance {
  const on = a.ipEnabled;
  return {
    Index: a.index,
    InterfaceIndex: a.interfaceIndex,
    Description: a.name,
    Caption: `[${String(a.index).padStart(8, '0')}] ${a.name}`,
    MACAddress: a.mac,
    IPEnabled: on,
    DHCPEnabled: on && a.dhcp,
    DHCPServer: on && a.dhcp ? (a.dhcpServer ?? null) : null,
    // WMI returns NULL (not empty arrays) for the IP lists of adapters without IP, and for absent gateways/DNS servers.
    IPAddress: on ? a.ipAddresses.map((x) => x.address) : null,
    IPSubnet: on ? a.ipAddresses.map(subnetText) : null,
    DefaultIPGateway: on && a.gateways.length ? [...a.gateways] : null,
    DNSServerSearchOrder: on && a.dnsServers.length ? [...a.dnsServers] : null,
    DNSDomain: on ? (a.dnsDomain ?? null) : null,
    DNSHostName: on ? v.computerName : null,
    SettingID: a.guid,
    TcpipNetbiosOptions: on ? 0 : null,
  };
}

/** Win32_DiskDrive.Size is cylinders × 255 heads × 63 sectors × 512 bytes, a little under the real size. */
function geometry(size: number): { cylinders: number; size: number } {
  const perCylinder = 255 * 63 * 512;
  const cylinders = Math.floor(size / perCylinder);
  return { cylinders, size: cylinders * perCylinder };
}

function diskPnpId(d: Disk, v: MachineView): string {
  const words = d.model
    .toUpperCase()
    .replace(/[^A-Z0-9 ._-]/g, '')
    .split(/\s+/)
    .filter(Boolean);
  const ven = d.busType === 'nvme' ? 'NVME' : (words.length > 1 ? words.shift()! : '').slice(0, 8);
  const prod = words.join('_').slice(0, 16);
  const inst = uint32From(`${v.profile.uuid}|disk|${d.index}`).toString(16).toUpperCase().padStart(8, '0');
  return `${d.busType === 'usb' ? 'USBSTOR' : 'SCSI'}\\DISK&VEN_${ven}&PROD_${prod}\\4&${inst}&0&${String(d.index).padStart(3, '0')}000`;
}

function diskDrive(d: Disk, v: MachineView): Instance {
  const g = geometry(d.size);
  return {
    DeviceID: `\\\\.\\PHYSICALDRIVE${d.index}`,
    Index: d.index,
    Model: d.model,
    Caption: d.model,
    InterfaceType: BUS[d.busType][1],
    MediaType: d.removable ? 'Removable Media' : 'Fixed hard disk media',
    SerialNumber: d.serialNumber,
    FirmwareRevision: d.firmwareRevision,
    PNPDeviceID: diskPnpId(d, v),
    Size: String(g.size),
    Partitions: v.volumes.filter((x) => x.disk === d).length,
    BytesPerSector: 512,
    SectorsPerTrack: 63,
    TracksPerCylinder: 255,
    TotalCylinders: String(g.cylinders),
    TotalHeads: 255,
    TotalSectors: String(g.cylinders * 255 * 63),
    TotalTracks: String(g.cylinders * 255),
    MediaLoaded: true,
    Status: 'OK',
  };
}

/**
 * Win32_DiskPartition.Type: GPT partitions report "GPT: System" (EFI), "GPT: Basic Data", and
 * "GPT: Unknown" for types the provider has no name for (Recovery); MBR partitions report the
 * MBR type's name — "Installable File System" for 0x07 (NTFS, exFAT, ReFS) [I, conditions-wql §3].
 */
export function partitionTypeText(x: VisibleVolume): string {
  const p = x.partition;
  if (x.disk.partitionStyle === 'gpt') return p.type === 'efi' ? 'GPT: System' : p.type === 'basic' ? 'GPT: Basic Data' : 'GPT: Unknown';
  if (p.type === 'recovery' || !p.fileSystem) return 'Unknown';
  return p.fileSystem === 'FAT32' ? 'Win95 w/Extended Int 13' : p.fileSystem === 'FAT' ? '16-bit FAT' : 'Installable File System';
}

function diskPartition(x: VisibleVolume): Instance {
  const id = `Disk #${x.disk.index}, Partition #${x.wmiIndex}`;
  const type = partitionTypeText(x);
  const boot = x.disk.partitionStyle === 'gpt' ? x.partition.type === 'efi' : x.partition.active;
  return {
    DeviceID: id,
    Name: id,
    Caption: id,
    Description: type,
    DiskIndex: x.disk.index,
    Index: x.wmiIndex,
    Type: type,
    Size: String(x.partition.size),
    StartingOffset: String(x.partition.offset),
    BlockSize: '512',
    NumberOfBlocks: String(Math.ceil(x.partition.size / 512)),
    Bootable: boot,
    BootPartition: boot,
    PrimaryPartition: true,
  };
}

function volumeSerialText(x: VisibleVolume): string {
  return x.serial.toString(16).toUpperCase().padStart(8, '0');
}

/** WinPE's RAM drive: the boot image expanded (about 1 GiB) plus the scratch space (docs). */
function ramDrive(v: MachineView): { size: number; free: number } {
  const scratch = v.profile.environments.winpe.scratchSpaceMB * MiB;
  return { size: GiB + scratch, free: Math.max(0, scratch - 32 * MiB) };
}

function logicalDisks(v: MachineView): Instance[] {
  const out: Instance[] = [];
  if (v.env === 'winpe') {
    const x = ramDrive(v);
    out.push({
      DeviceID: 'X:',
      Name: 'X:',
      Caption: 'X:',
      Description: 'Local Fixed Disk',
      DriveType: 3,
      MediaType: 12,
      FileSystem: 'NTFS',
      VolumeName: 'Boot',
      VolumeSerialNumber: volumeSerialFromSeed(v, 'ramdisk'),
      Size: String(x.size),
      FreeSpace: String(x.free),
    });
  }
  for (const x of v.volumes) {
    if (!x.letter) continue;
    const removable = x.disk.removable;
    out.push({
      DeviceID: x.letter,
      Name: x.letter,
      Caption: x.letter,
      Description: removable ? 'Removable Disk' : 'Local Fixed Disk',
      DriveType: removable ? 2 : 3,
      MediaType: removable ? 11 : 12,
      // A BitLocker-locked volume has no readable file system in WinPE.
      FileSystem: x.locked ? null : x.partition.fileSystem,
      VolumeName: x.locked ? null : x.partition.label,
      VolumeSerialNumber: x.locked ? null : volumeSerialText(x),
      Size: x.locked ? null : String(x.partition.size),
      FreeSpace: x.locked ? null : String(x.partition.freeSpace),
    });
  }
  return out;
}

function volumeSerialFromSeed(v: MachineView, what: string): string {
  return uint32From(`${v.profile.uuid}|${what}`).toString(16).toUpperCase().padStart(8, '0');
}

function volumes(v: MachineView): Instance[] {
  const out: Instance[] = [];
  if (v.env === 'winpe') {
    const x = ramDrive(v);
    out.push({
      DeviceID: '\\\\?\\Volume{00000000-0000-0000-0000-000000000058}\\',
      Name: 'X:\\',
      Caption: 'X:\\',
      DriveLetter: 'X:',
      Label: 'Boot',
      FileSystem: 'NTFS',
      Capacity: String(x.size),
      FreeSpace: String(x.free),
      BlockSize: '4096',
      DriveType: 3,
      BootVolume: true,
      SystemVolume: true,
      SerialNumber: parseInt(volumeSerialFromSeed(v, 'ramdisk'), 16),
      Automount: true,
    });
  }
  for (const x of v.volumes) {
    if (!x.partition.fileSystem) continue;
    const device = `\\\\?\\Volume{${x.volumeGuid}}\\`;
    const name = x.letter ? `${x.letter}\\` : device;
    out.push({
      DeviceID: device,
      Name: name,
      Caption: name,
      DriveLetter: x.letter ?? null,
      Label: x.locked ? null : x.partition.label || null,
      FileSystem: x.locked ? null : x.partition.fileSystem,
      Capacity: x.locked ? null : String(x.partition.size),
      FreeSpace: x.locked ? null : String(x.partition.freeSpace),
      BlockSize: x.partition.fileSystem === 'FAT' ? '2048' : '4096',
      DriveType: x.disk.removable ? 2 : 3,
      BootVolume: v.env === 'fullos' && x === v.osVolume,
      SystemVolume: x === v.systemVolume,
      SerialNumber: x.locked ? null : x.serial,
      Automount: true,
    });
  }
  return out;
}

function pnpEntities(v: MachineView): Instance[] {
  return v.profile.pnpDevices.map((d) => {
    const ok = v.hasDriver(d.deviceId);
    return {
      DeviceID: d.deviceId,
      PNPDeviceID: d.deviceId,
      Name: d.name,
      Caption: d.name,
      Description: d.name,
      Manufacturer: d.manufacturer || null,
      PNPClass: d.class,
      ClassGuid: CLASS_GUIDS[d.class.toLowerCase()] ?? null,
      HardwareID: [...d.hardwareIds],
      CompatibleID: [...d.compatibleIds],
      // 28 = CM_PROB_FAILED_INSTALL, "the drivers for this device are not installed".
      ConfigManagerErrorCode: ok ? 0 : 28,
      Status: ok ? 'OK' : 'Error',
      Present: true,
      Service: ok ? (d.service ?? null) : null,
    };
  });
}

function hexLcid(lcid: number): string {
  return lcid.toString(16).padStart(4, '0');
}

function operatingSystem(v: MachineView): Instance {
  const p = v.profile;
  const os = v.os;
  const memKb = String(p.memoryMB * 1024);
  if (!os) {
    // WinPE's own entry [I]: WinPE reports itself, not the Windows on the disk.
    const wp = p.environments.winpe;
    return {
      Name: 'Microsoft Windows PE|X:\\windows|\\Device\\Ramdisk{00000000-0000-0000-0000-000000000000}',
      Caption: 'Microsoft Windows PE',
      Version: wp.version,
      BuildNumber: wp.version.split('.')[2],
      BuildType: 'Multiprocessor Free',
      OSArchitecture: OS_ARCHITECTURE[v.osArch],
      OSLanguage: wp.lcid,
      Locale: hexLcid(wp.lcid),
      MUILanguages: [wp.language],
      OSType: 18,
      ProductType: 1,
      OperatingSystemSKU: null,
      CSName: v.computerName,
      SystemDrive: 'X:',
      WindowsDirectory: 'X:\\windows',
      SystemDirectory: 'X:\\windows\\system32',
      BootDevice: '\\Device\\Ramdisk{00000000-0000-0000-0000-000000000000}',
      SystemDevice: '\\Device\\Ramdisk{00000000-0000-0000-0000-000000000000}',
      InstallDate: null,
      LastBootUpTime: null,
      Manufacturer: 'Microsoft Corporation',
      RegisteredUser: '',
      Organization: '',
      TotalVisibleMemorySize: memKb,
      PortableOperatingSystem: false,
      Primary: true,
      ServicePackMajorVersion: 0,
      Status: 'OK',
    };
  }
  const osv = v.osVolume!;
  return {
    Name: `${os.caption}|${os.windowsDirectory}|\\Device\\Harddisk${osv.disk.index}\\Partition${osv.partitionNumber}`,
    Caption: os.caption,
    Version: os.version,
    BuildNumber: os.buildNumber,
    BuildType: 'Multiprocessor Free',
    OSArchitecture: OS_ARCHITECTURE[os.architecture],
    OSLanguage: os.lcid,
    Locale: hexLcid(os.localeLcid),
    MUILanguages: [...os.muiLanguages],
    OSType: 18,
    ProductType: os.productType === 'workstation' ? 1 : os.productType === 'domainController' ? 2 : 3,
    OperatingSystemSKU: os.sku,
    CSName: os.computerName,
    SystemDrive: os.installDrive,
    WindowsDirectory: os.windowsDirectory,
    SystemDirectory: `${os.windowsDirectory}\\system32`,
    BootDevice: `\\Device\\HarddiskVolume${(v.systemVolume ?? osv).volumeNumber}`,
    SystemDevice: `\\Device\\HarddiskVolume${osv.volumeNumber}`,
    InstallDate: os.installDate ? dmtf(os.installDate) : null,
    LastBootUpTime: os.lastBootUpTime ? dmtf(os.lastBootUpTime) : null,
    Manufacturer: 'Microsoft Corporation',
    RegisteredUser: os.registeredOwner,
    Organization: os.registeredOrganization,
    TotalVisibleMemorySize: memKb,
    PortableOperatingSystem: false,
    Primary: true,
    ServicePackMajorVersion: 0,
    Status: 'OK',
  };
}

const SPECIAL_PROFILES: Array<[string, string]> = [
  ['S-1-5-18', 'system32\\config\\systemprofile'],
  ['S-1-5-19', 'ServiceProfiles\\LocalService'],
  ['S-1-5-20', 'ServiceProfiles\\NetworkService'],
];

function userProfiles(v: MachineView): Instance[] {
  const os = v.os;
  if (!os) return [];
  return [
    ...SPECIAL_PROFILES.map(([sid, path]) => ({
      SID: sid,
      LocalPath: `${os.windowsDirectory}\\${path}`,
      LastUseTime: null,
      Loaded: true,
      Special: true,
      Status: 0,
      RoamingConfigured: false,
    })),
    ...os.userProfiles.map((u) => ({
      SID: u.sid,
      LocalPath: u.path,
      LastUseTime: u.lastUseTime ? dmtf(u.lastUseTime) : null,
      Loaded: u.loaded,
      Special: false,
      Status: 0,
      RoamingConfigured: false,
    })),
  ];
}

function userAccounts(v: MachineView): Instance[] {
  const os = v.os;
  if (!os) return [];
  const builtIn: Array<[string, number]> = [
    ['Administrator', 500],
    ['Guest', 501],
    ['DefaultAccount', 503],
    ['WDAGUtilityAccount', 504],
  ];
  const accounts = new Map<string, Instance>();
  const account = (name: string, sid: string, disabled: boolean): Instance => ({
    Domain: os.computerName,
    Name: name,
    Caption: `${os.computerName}\\${name}`,
    SID: sid,
    LocalAccount: true,
    Disabled: disabled,
    SIDType: 1,
    AccountType: 512,
    Status: disabled ? 'Degraded' : 'OK',
  });
  for (const [name, rid] of builtIn) accounts.set(`${os.machineSid}-${rid}`, account(name, `${os.machineSid}-${rid}`, true));
  for (const u of os.userProfiles) if (u.kind === 'local') accounts.set(u.sid, account(u.name, u.sid, false));
  return [...accounts.values()];
}

function msiOf(p: MachineProfile, env: Environment): MsiProduct[] {
  if (env !== 'fullos' || !p.currentOs) return [];
  const byCode = new Map<string, MsiProduct>();
  for (const m of [...p.currentOs.msiProducts, ...p.environments.fullos.msiProducts]) byCode.set(m.productCode, m);
  return [...byCode.values()];
}

function productInstance(m: MsiProduct): Instance {
  return {
    IdentifyingNumber: m.productCode,
    Name: m.name,
    Version: m.version,
    Vendor: m.publisher ?? null,
    Caption: m.name,
    InstallDate: m.installDate ? m.installDate.slice(0, 10).replace(/-/g, '') : null,
  };
}

// ───────────────────────────── other namespaces ─────────────────────────────

function tpm(p: MachineProfile): Instance[] {
  const t = p.tpm;
  if (!t || !t.present) return [];
  const id = [...t.manufacturer.padEnd(4, '\0')].reduce((n, c) => n * 256 + c.charCodeAt(0), 0);
  return [
    {
      IsActivated_InitialValue: t.activated,
      IsEnabled_InitialValue: t.enabled,
      IsOwned_InitialValue: t.owned,
      SpecVersion: t.version === '2.0' ? '2.0, 0, 1.59' : '1.2, 2, 3',
      ManufacturerId: id,
      ManufacturerIdTxt: t.manufacturer,
      ManufacturerVersion: t.manufacturerVersion,
      PhysicalPresenceVersionInfo: '1.3',
    },
  ];
}

function encryptableVolumes(v: MachineView): Instance[] {
  return v.volumes
    .filter((x) => x.letter && x.partition.fileSystem)
    .map((x) => {
      const bl = x.partition.bitLocker;
      return {
        DeviceID: `\\\\?\\Volume{${x.volumeGuid}}\\`,
        DriveLetter: x.letter!,
        PersistentVolumeID: bl === 'off' ? '' : `{${bareGuid(x.volumeGuid)}}`,
        // 1 = protection on; a suspended volume is encrypted (ConversionStatus 1) but unprotected (0).
        ProtectionStatus: bl === 'on' ? 1 : 0,
        ConversionStatus: bl === 'off' ? 0 : 1,
        EncryptionMethod: bl === 'off' ? 0 : 6,
        VolumeType: x === v.osVolume ? 0 : x.disk.removable ? 2 : 1,
      };
    });
}

function systemInformation(p: MachineProfile): Instance {
  const [maj, min] = p.bios.version
    .split(/[^0-9]+/)
    .filter(Boolean)
    .map(Number);
  const [y, m, d] = p.bios.releaseDate.split('-');
  return {
    InstanceName: 'SMBiosData',
    Active: true,
    BaseBoardManufacturer: p.baseBoard.manufacturer,
    BaseBoardProduct: p.baseBoard.product,
    BaseBoardVersion: p.baseBoard.version,
    BIOSMajorRelease: Math.min(maj ?? 0, 255),
    BIOSMinorRelease: Math.min(min ?? 0, 255),
    BIOSReleaseDate: `${m}/${d}/${y}`,
    BIOSVendor: p.bios.manufacturer,
    BIOSVersion: p.bios.version,
    SystemFamily: p.systemFamily,
    SystemManufacturer: p.make,
    SystemProductName: p.model,
    SystemSKU: p.systemSku,
    SystemVersion: p.productVersion,
  };
}

function msftDisk(d: Disk, v: MachineView): Instance {
  const last = d.partitions[d.partitions.length - 1];
  const guid = `{${guidFrom(`${v.profile.uuid}|msft-disk|${d.index}`).toLowerCase()}}`;
  return {
    ObjectId: `{1}\\\\${v.computerName}\\root/Microsoft/Windows/Storage/Providers_v2\\WSP_Disk.ObjectId="${guid}:DI:${d.index}"`,
    Number: d.index,
    Path: `\\\\?\\${diskPnpId(d, v).replace(/\\/g, '#').toLowerCase()}#{53f56307-b6bf-11d0-94f2-00a0c91efb8b}`,
    FriendlyName: d.model,
    Model: d.model,
    SerialNumber: d.serialNumber,
    FirmwareVersion: d.firmwareRevision,
    Size: String(d.size),
    AllocatedSize: String(last ? last.offset + last.size : 0),
    BusType: BUS[d.busType][0],
    PartitionStyle: d.partitionStyle === 'raw' ? 0 : d.partitionStyle === 'mbr' ? 1 : 2,
    NumberOfPartitions: d.partitions.length,
    IsBoot: v.env === 'fullos' && v.osVolume?.disk === d,
    IsSystem: v.systemVolume?.disk === d,
    IsOffline: false,
    IsReadOnly: false,
    LogicalSectorSize: 512,
    PhysicalSectorSize: 4096,
  };
}

function msftNetAdapter(a: ViewAdapter): Instance {
  return {
    DeviceID: a.guid,
    Name: a.connectionId,
    InterfaceDescription: a.name,
    InterfaceIndex: a.interfaceIndex,
    MacAddress: a.mac.replace(/:/g, '-'),
    // NDIS_PHYSICAL_MEDIUM: 9 native 802.11, 14 802.3.
    NdisPhysicalMedium: a.kind === 'wifi' ? 9 : 14,
    MediaConnectState: a.connected ? 1 : 2,
    InterfaceOperationalStatus: a.connected ? 1 : 2,
    ConnectorPresent: true,
    HardwareInterface: true,
    Virtual: false,
    Speed: a.connected ? String(a.speedMbps * 1_000_000) : '0',
    PnPDeviceID: a.pnpDeviceId ?? null,
  };
}

// ───────────────────────────── files, registry ─────────────────────────────

function osFiles(p: MachineProfile, os: NonNullable<MachineProfile['currentOs']>): ProfileFile[] {
  const drive = os.installDrive;
  const win = os.windowsDirectory;
  const fileVersion = `${os.version}.${os.ubr}`;
  const dirs = [
    win,
    `${win}\\System32`,
    `${win}\\System32\\config`,
    `${win}\\Temp`,
    `${drive}\\Program Files`,
    `${drive}\\ProgramData`,
    `${drive}\\Users`,
    `${drive}\\Users\\Public`,
    `${drive}\\Users\\Default`,
  ];
  if (os.architecture !== 'x86') dirs.push(`${drive}\\Program Files (x86)`);
  const out: ProfileFile[] = dirs.map((path) => ({ path, kind: 'dir' }));
  for (const f of ['System32\\ntoskrnl.exe', 'explorer.exe', 'System32\\cmd.exe', `System32\\winload.${p.firmware === 'uefi' ? 'efi' : 'exe'}`]) {
    out.push({ path: `${win}\\${f}`, kind: 'file', version: fileVersion });
  }
  out.push({ path: `${win}\\System32\\config\\SOFTWARE`, kind: 'file' }, { path: `${win}\\System32\\config\\SYSTEM`, kind: 'file' });
  for (const u of os.userProfiles) out.push({ path: u.path, kind: 'dir' }, { path: `${u.path}\\NTUSER.DAT`, kind: 'file' });
  if (os.configMgrClient) {
    out.push(
      { path: `${win}\\CCM`, kind: 'dir' },
      { path: `${win}\\CCM\\CcmExec.exe`, kind: 'file', version: os.configMgrClient.version },
      { path: `${win}\\ccmcache`, kind: 'dir' },
    );
  }
  return [...out, ...os.files];
}

const WINPE_ARCH_DIR: Record<Architecture, string> = { x86: 'i386', x64: 'x64', arm64: 'arm64' };

function files(v: MachineView): InventoryFile[] {
  const p = v.profile;
  const list: ProfileFile[] = [];
  if (v.env === 'winpe') {
    const wpVersion = `${p.environments.winpe.version}.1`;
    const bin = `X:\\sms\\bin\\${WINPE_ARCH_DIR[p.architecture]}`;
    list.push(
      ...['X:\\Windows', 'X:\\Windows\\System32', 'X:\\Windows\\Temp', 'X:\\sms', 'X:\\sms\\bin', bin].map((path): ProfileFile => ({ path, kind: 'dir' })),
      ...['ntoskrnl.exe', 'cmd.exe', 'wpeinit.exe', 'wpeutil.exe', 'diskpart.exe'].map((f): ProfileFile => ({
        path: `X:\\Windows\\System32\\${f}`,
        kind: 'file',
        version: wpVersion,
      })),
      { path: 'X:\\Windows\\System32\\startnet.cmd', kind: 'file' },
      ...['TsBootShell.exe', 'TSMBootstrap.exe', 'TsManager.exe', 'OSDSetupHook.exe'].map((f): ProfileFile => ({ path: `${bin}\\${f}`, kind: 'file' })),
    );
    // The installed Windows is files on a disk here, under the letter WinPE gave its volume.
    if (p.currentOs) {
      for (const f of osFiles(p, p.currentOs)) {
        const path = v.remap(f.path);
        if (path) list.push({ ...f, path });
      }
    }
  } else {
    list.push(...osFiles(p, v.os!));
  }
  list.push(...p.environments[v.env].files);
  const byPath = new Map<string, InventoryFile>();
  for (const f of list) {
    const out: InventoryFile = { path: f.path, kind: f.kind };
    if (f.version) out.version = f.version;
    if (f.modifiedUtc) out.modifiedUtc = new Date(/T/.test(f.modifiedUtc) ? f.modifiedUtc : `${f.modifiedUtc}T00:00:00Z`).toISOString();
    byPath.set(f.path.toLowerCase(), out);
  }
  return [...byPath.values()];
}

type Values = NonNullable<InventoryRegistryKey['values']>;
const HKLM = 'HKEY_LOCAL_MACHINE';
const CURRENT_VERSION = `${HKLM}\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion`;

function registry(v: MachineView): InventoryRegistryKey[] {
  const p = v.profile;
  const keys: ProfileRegistryKey[] = [];
  const key = (k: string, values?: Values): void => {
    keys.push(values ? { key: k, values } : { key: k });
  };
  const sz = (data: string) => ({ type: 'REG_SZ' as const, data });
  const dword = (data: number) => ({ type: 'REG_DWORD' as const, data });
  if (p.firmware === 'uefi') key(`${HKLM}\\SYSTEM\\CurrentControlSet\\Control\\SecureBoot\\State`, { UEFISecureBootEnabled: dword(p.secureBoot ? 1 : 0) });

  if (v.env === 'winpe') {
    const wp = p.environments.winpe;
    const [major, minor, build] = wp.version.split('.');
    // MiniNT is how scripts recognise WinPE; PEFirmwareType 1 = BIOS, 2 = UEFI.
    key(`${HKLM}\\SYSTEM\\CurrentControlSet\\Control\\MiniNT`);
    key(`${HKLM}\\SYSTEM\\CurrentControlSet\\Control`, { PEFirmwareType: dword(p.firmware === 'uefi' ? 2 : 1) });
    key(CURRENT_VERSION, {
      ProductName: sz('Windows PE'),
      EditionID: sz('WindowsPE'),
      InstallationType: sz('WindowsPE'),
      CurrentBuild: sz(build),
      CurrentBuildNumber: sz(build),
      CurrentMajorVersionNumber: dword(Number(major)),
      CurrentMinorVersionNumber: dword(Number(minor)),
      UBR: dword(1),
      SystemRoot: sz('X:\\windows'),
    });
    key(`${HKLM}\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName`, { ComputerName: sz(wp.computerName) });
  } else {
    const os = v.os!;
    const [major, minor] = os.version.split('.');
    const cv: Values = {
      ProductName: sz(os.caption.replace(/^Microsoft /, '')),
      EditionID: sz(os.edition),
      InstallationType: sz(os.productType === 'workstation' ? 'Client' : 'Server'),
      CurrentBuild: sz(os.buildNumber),
      CurrentBuildNumber: sz(os.buildNumber),
      CurrentVersion: sz('6.3'),
      CurrentMajorVersionNumber: dword(Number(major)),
      CurrentMinorVersionNumber: dword(Number(minor)),
      UBR: dword(os.ubr),
      RegisteredOwner: sz(os.registeredOwner),
      RegisteredOrganization: sz(os.registeredOrganization),
      SystemRoot: sz(os.windowsDirectory),
    };
    if (os.displayVersion) cv.DisplayVersion = sz(os.displayVersion);
    if (os.installDate)
      cv.InstallDate = dword(Math.floor(new Date(/T/.test(os.installDate) ? os.installDate : `${os.installDate}T00:00:00Z`).getTime() / 1000));
    key(CURRENT_VERSION, cv);
    key(`${HKLM}\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName`, { ComputerName: sz(os.computerName) });
    key(`${HKLM}\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters`, { Hostname: sz(os.computerName), Domain: sz(os.domain ?? '') });
    key(`${HKLM}\\SYSTEM\\CurrentControlSet\\Control\\TimeZoneInformation`, { TimeZoneKeyName: sz(os.timeZone) });
    key(`${HKLM}\\SYSTEM\\CurrentControlSet\\Control\\Nls\\Language`, {
      InstallLanguage: sz(hexLcid(os.lcid).toUpperCase()),
      Default: sz(hexLcid(os.lcid).toUpperCase()),
    });
    for (const [sid, path] of SPECIAL_PROFILES) {
      key(`${CURRENT_VERSION}\\ProfileList\\${sid}`, { ProfileImagePath: { type: 'REG_EXPAND_SZ', data: `%SystemRoot%\\${path}` } });
    }
    for (const u of os.userProfiles) key(`${CURRENT_VERSION}\\ProfileList\\${u.sid}`, { ProfileImagePath: { type: 'REG_EXPAND_SZ', data: u.path } });
    for (const m of msiOf(p, 'fullos')) {
      const values: Values = { DisplayName: sz(m.name), DisplayVersion: sz(m.version), WindowsInstaller: dword(1) };
      if (m.publisher) values.Publisher = sz(m.publisher);
      if (m.installDate) values.InstallDate = sz(m.installDate.slice(0, 10).replace(/-/g, ''));
      key(`${HKLM}\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\${m.productCode}`, values);
    }
    if (os.configMgrClient) {
      key(`${HKLM}\\SOFTWARE\\Microsoft\\CCM`);
      key(`${HKLM}\\SOFTWARE\\Microsoft\\SMS\\Mobile Client`, {
        ProductVersion: sz(os.configMgrClient.version),
        AssignedSiteCode: sz(os.configMgrClient.siteCode),
      });
    }
    keys.push(...os.registry);
  }
  keys.push(...p.environments[v.env].registry);

  // One entry per key (case-insensitive); later entries add or replace values.
  const byKey = new Map<string, InventoryRegistryKey>();
  for (const k of keys) {
    const id = k.key.toLowerCase();
    const prev = byKey.get(id);
    if (!prev) byKey.set(id, k.values ? { key: k.key, values: { ...k.values } } : { key: k.key });
    else if (k.values) prev.values = { ...(prev.values ?? {}), ...k.values };
  }
  return [...byKey.values()];
}

// ───────────────────────────── merging the profile's WMI data ─────────────────────────────

function findKey<T>(obj: Record<string, T>, name: string): string | undefined {
  return Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
}

/** Merges `extra` into `wmi` in place; namespace, class and property names match case-insensitively. */
export function mergeWmi(wmi: Wmi, extra: ExtraWmi): void {
  for (const [ns, classes] of Object.entries(extra)) {
    const nsKey = findKey(wmi, ns);
    if (classes === null) {
      if (nsKey) delete wmi[nsKey];
      continue;
    }
    const target = nsKey ? wmi[nsKey] : (wmi[ns] = {});
    for (const [cls, data] of Object.entries(classes)) {
      const clsKey = findKey(target, cls);
      if (data === null) {
        if (clsKey) delete target[clsKey];
        continue;
      }
      const existing: WmiClassData | undefined = clsKey ? target[clsKey] : undefined;
      const properties = { ...(existing?.properties ?? {}), ...structuredClone(data.properties ?? {}) };
      const incoming = structuredClone(data.instances);
      let instances: Array<Record<string, CimValue>>;
      if (data.merge === 'append') instances = [...(existing?.instances ?? []), ...incoming];
      else if (data.merge === 'patch') {
        instances = [...(existing?.instances ?? [])].map((i) => ({ ...i }));
        incoming.forEach((inst, i) => {
          const base = instances[i];
          if (!base) {
            instances.push(inst);
            return;
          }
          for (const [prop, value] of Object.entries(inst)) {
            base[findKey(base, prop) ?? prop] = value;
          }
        });
      } else instances = incoming;
      const merged: WmiClassData = { instances };
      if (Object.keys(properties).length) merged.properties = properties;
      target[clsKey ?? cls] = merged;
    }
  }
}
