/**
 * CIM property declarations of every class the profile generator writes. They travel in the
 * inventory (`WmiClassData.properties`) so that the evaluator can type-check classes its own
 * catalog does not know (Win32_Tpm, MS_SystemInformation, MSFT_Disk …), and they let the profile
 * schema check hand-written WMI data against the encoding rules of conditions-wql.md §5.
 * Types follow Microsoft's class reference pages (conditions-wql.md §4).
 */
import type { CimPropertyDecl, CimScalar, CimValue } from '../inventory.js';

type Decls = Record<string, CimPropertyDecl>;

/** Compact notation: "uint64", "string[]", "string!" (key). */
function decls(spec: Record<string, string>): Decls {
  const out: Decls = {};
  for (const [name, t] of Object.entries(spec)) {
    const key = t.endsWith('!');
    const base = key ? t.slice(0, -1) : t;
    const array = base.endsWith('[]');
    const d: CimPropertyDecl = { type: (array ? base.slice(0, -2) : base) as CimScalar };
    if (array) d.array = true;
    if (key) d.key = true;
    out[name] = d;
  }
  return out;
}

export const NS_CIMV2 = 'root\\cimv2';
export const NS_TPM = 'root\\cimv2\\Security\\MicrosoftTpm';
export const NS_BITLOCKER = 'root\\cimv2\\Security\\MicrosoftVolumeEncryption';
export const NS_WMI = 'root\\wmi';
export const NS_STORAGE = 'root\\Microsoft\\Windows\\Storage';
export const NS_STANDARDCIMV2 = 'root\\StandardCimv2';
export const NS_CCM = 'root\\ccm';

export const CATALOG: Record<string, Record<string, Decls>> = {
  [NS_CIMV2]: {
    Win32_ComputerSystem: decls({
      Name: 'string!',
      Caption: 'string',
      Manufacturer: 'string',
      Model: 'string',
      Domain: 'string',
      PartOfDomain: 'boolean',
      Workgroup: 'string',
      DomainRole: 'uint16',
      PCSystemType: 'uint16',
      PCSystemTypeEx: 'uint16',
      SystemFamily: 'string',
      SystemSKUNumber: 'string',
      SystemType: 'string',
      TotalPhysicalMemory: 'uint64',
      NumberOfProcessors: 'uint32',
      NumberOfLogicalProcessors: 'uint32',
      HypervisorPresent: 'boolean',
      UserName: 'string',
      DNSHostName: 'string',
      BootupState: 'string',
      PrimaryOwnerName: 'string',
      Status: 'string',
    }),
    Win32_ComputerSystemProduct: decls({
      IdentifyingNumber: 'string!',
      Name: 'string!',
      Version: 'string!',
      Vendor: 'string',
      UUID: 'string',
      SKUNumber: 'string',
      Caption: 'string',
      Description: 'string',
    }),
    Win32_BIOS: decls({
      Name: 'string!',
      Version: 'string!',
      SoftwareElementID: 'string!',
      SoftwareElementState: 'uint16!',
      TargetOperatingSystem: 'uint16!',
      Manufacturer: 'string',
      SMBIOSBIOSVersion: 'string',
      SerialNumber: 'string',
      ReleaseDate: 'datetime',
      BIOSVersion: 'string[]',
      SMBIOSMajorVersion: 'uint16',
      SMBIOSMinorVersion: 'uint16',
      SMBIOSPresent: 'boolean',
      PrimaryBIOS: 'boolean',
      Status: 'string',
    }),
    Win32_BaseBoard: decls({
      Tag: 'string!',
      Manufacturer: 'string',
      Product: 'string',
      Version: 'string',
      SerialNumber: 'string',
      HostingBoard: 'boolean',
      Status: 'string',
    }),
    Win32_SystemEnclosure: decls({
      Tag: 'string!',
      ChassisTypes: 'uint16[]',
      Manufacturer: 'string',
      SerialNumber: 'string',
      SMBIOSAssetTag: 'string',
      LockPresent: 'boolean',
      Status: 'string',
    }),
    Win32_Processor: decls({
      DeviceID: 'string!',
      Name: 'string',
      Manufacturer: 'string',
      Architecture: 'uint16',
      AddressWidth: 'uint16',
      DataWidth: 'uint16',
      NumberOfCores: 'uint32',
      NumberOfLogicalProcessors: 'uint32',
      MaxClockSpeed: 'uint32',
      CurrentClockSpeed: 'uint32',
      ProcessorId: 'string',
      ProcessorType: 'uint16',
      SocketDesignation: 'string',
      Role: 'string',
      Status: 'string',
    }),
    Win32_PhysicalMemory: decls({
      Tag: 'string!',
      BankLabel: 'string',
      DeviceLocator: 'string',
      Capacity: 'uint64',
      FormFactor: 'uint16',
      Speed: 'uint32',
    }),
    Win32_Battery: decls({
      DeviceID: 'string!',
      Name: 'string',
      BatteryStatus: 'uint16',
      Chemistry: 'uint16',
      EstimatedChargeRemaining: 'uint16',
      DesignVoltage: 'uint64',
      Availability: 'uint16',
      Status: 'string',
    }),
    Win32_NetworkAdapter: decls({
      DeviceID: 'string!',
      Index: 'uint32',
      InterfaceIndex: 'uint32',
      Name: 'string',
      Description: 'string',
      ProductName: 'string',
      Manufacturer: 'string',
      MACAddress: 'string',
      AdapterType: 'string',
      AdapterTypeID: 'uint16',
      NetConnectionID: 'string',
      NetConnectionStatus: 'uint16',
      NetEnabled: 'boolean',
      PhysicalAdapter: 'boolean',
      PNPDeviceID: 'string',
      GUID: 'string',
      Speed: 'uint64',
    }),
    Win32_NetworkAdapterConfiguration: decls({
      Index: 'uint32!',
      InterfaceIndex: 'uint32',
      Description: 'string',
      Caption: 'string',
      MACAddress: 'string',
      IPEnabled: 'boolean',
      DHCPEnabled: 'boolean',
      DHCPServer: 'string',
      IPAddress: 'string[]',
      IPSubnet: 'string[]',
      DefaultIPGateway: 'string[]',
      DNSServerSearchOrder: 'string[]',
      DNSDomain: 'string',
      DNSHostName: 'string',
      SettingID: 'string',
      TcpipNetbiosOptions: 'uint32',
    }),
    Win32_DiskDrive: decls({
      DeviceID: 'string!',
      Index: 'uint32',
      Model: 'string',
      Caption: 'string',
      InterfaceType: 'string',
      MediaType: 'string',
      SerialNumber: 'string',
      FirmwareRevision: 'string',
      PNPDeviceID: 'string',
      Size: 'uint64',
      Partitions: 'uint32',
      BytesPerSector: 'uint32',
      SectorsPerTrack: 'uint32',
      TracksPerCylinder: 'uint32',
      TotalCylinders: 'uint64',
      TotalHeads: 'uint32',
      TotalSectors: 'uint64',
      TotalTracks: 'uint64',
      MediaLoaded: 'boolean',
      Status: 'string',
    }),
    Win32_DiskPartition: decls({
      DeviceID: 'string!',
      Name: 'string',
      Caption: 'string',
      Description: 'string',
      DiskIndex: 'uint32',
      Index: 'uint32',
      Type: 'string',
      Size: 'uint64',
      StartingOffset: 'uint64',
      BlockSize: 'uint64',
      NumberOfBlocks: 'uint64',
      Bootable: 'boolean',
      BootPartition: 'boolean',
      PrimaryPartition: 'boolean',
    }),
    Win32_LogicalDisk: decls({
      DeviceID: 'string!',
      Name: 'string',
      Caption: 'string',
      Description: 'string',
      DriveType: 'uint32',
      MediaType: 'uint32',
      FileSystem: 'string',
      VolumeName: 'string',
      VolumeSerialNumber: 'string',
      Size: 'uint64',
      FreeSpace: 'uint64',
    }),
    Win32_Volume: decls({
      DeviceID: 'string!',
      Name: 'string',
      Caption: 'string',
      DriveLetter: 'string',
      Label: 'string',
      FileSystem: 'string',
      Capacity: 'uint64',
      FreeSpace: 'uint64',
      BlockSize: 'uint64',
      DriveType: 'uint32',
      BootVolume: 'boolean',
      SystemVolume: 'boolean',
      SerialNumber: 'uint32',
      Automount: 'boolean',
    }),
    Win32_PnPEntity: decls({
      DeviceID: 'string!',
      PNPDeviceID: 'string',
      Name: 'string',
      Caption: 'string',
      Description: 'string',
      Manufacturer: 'string',
      PNPClass: 'string',
      ClassGuid: 'string',
      HardwareID: 'string[]',
      CompatibleID: 'string[]',
      ConfigManagerErrorCode: 'uint32',
      Status: 'string',
      Present: 'boolean',
      Service: 'string',
    }),
    Win32_OperatingSystem: decls({
      Name: 'string!',
      Caption: 'string',
      Version: 'string',
      BuildNumber: 'string',
      BuildType: 'string',
      OSArchitecture: 'string',
      OSLanguage: 'uint32',
      Locale: 'string',
      MUILanguages: 'string[]',
      OSType: 'uint16',
      ProductType: 'uint32',
      OperatingSystemSKU: 'uint32',
      CSName: 'string',
      SystemDrive: 'string',
      WindowsDirectory: 'string',
      SystemDirectory: 'string',
      BootDevice: 'string',
      SystemDevice: 'string',
      InstallDate: 'datetime',
      LastBootUpTime: 'datetime',
      Manufacturer: 'string',
      RegisteredUser: 'string',
      Organization: 'string',
      TotalVisibleMemorySize: 'uint64',
      PortableOperatingSystem: 'boolean',
      Primary: 'boolean',
      ServicePackMajorVersion: 'uint16',
      Status: 'string',
    }),
    Win32_UserProfile: decls({
      SID: 'string!',
      LocalPath: 'string',
      LastUseTime: 'datetime',
      Loaded: 'boolean',
      Special: 'boolean',
      Status: 'uint32',
      RoamingConfigured: 'boolean',
    }),
    Win32_UserAccount: decls({
      Domain: 'string!',
      Name: 'string!',
      Caption: 'string',
      SID: 'string',
      LocalAccount: 'boolean',
      Disabled: 'boolean',
      SIDType: 'uint8',
      AccountType: 'uint32',
      Status: 'string',
    }),
    Win32_Product: decls({
      IdentifyingNumber: 'string!',
      Name: 'string!',
      Version: 'string!',
      Vendor: 'string',
      Caption: 'string',
      InstallDate: 'string',
    }),
  },
  [NS_TPM]: {
    Win32_Tpm: decls({
      IsActivated_InitialValue: 'boolean',
      IsEnabled_InitialValue: 'boolean',
      IsOwned_InitialValue: 'boolean',
      SpecVersion: 'string',
      ManufacturerId: 'uint32',
      ManufacturerIdTxt: 'string',
      ManufacturerVersion: 'string',
      PhysicalPresenceVersionInfo: 'string',
    }),
  },
  [NS_BITLOCKER]: {
    Win32_EncryptableVolume: decls({
      DeviceID: 'string!',
      DriveLetter: 'string',
      PersistentVolumeID: 'string',
      ProtectionStatus: 'uint32',
      ConversionStatus: 'uint32',
      EncryptionMethod: 'uint32',
      VolumeType: 'uint32',
    }),
  },
  [NS_WMI]: {
    MS_SystemInformation: decls({
      InstanceName: 'string!',
      Active: 'boolean',
      BaseBoardManufacturer: 'string',
      BaseBoardProduct: 'string',
      BaseBoardVersion: 'string',
      BIOSMajorRelease: 'uint8',
      BIOSMinorRelease: 'uint8',
      BIOSReleaseDate: 'string',
      BIOSVendor: 'string',
      BIOSVersion: 'string',
      SystemFamily: 'string',
      SystemManufacturer: 'string',
      SystemProductName: 'string',
      SystemSKU: 'string',
      SystemVersion: 'string',
    }),
  },
  [NS_STORAGE]: {
    MSFT_Disk: decls({
      ObjectId: 'string!',
      Number: 'uint32',
      Path: 'string',
      FriendlyName: 'string',
      Model: 'string',
      SerialNumber: 'string',
      FirmwareVersion: 'string',
      Size: 'uint64',
      AllocatedSize: 'uint64',
      BusType: 'uint16',
      PartitionStyle: 'uint16',
      NumberOfPartitions: 'uint32',
      IsBoot: 'boolean',
      IsSystem: 'boolean',
      IsOffline: 'boolean',
      IsReadOnly: 'boolean',
      LogicalSectorSize: 'uint32',
      PhysicalSectorSize: 'uint32',
    }),
  },
  [NS_STANDARDCIMV2]: {
    MSFT_NetAdapter: decls({
      DeviceID: 'string!',
      Name: 'string',
      InterfaceDescription: 'string',
      InterfaceIndex: 'uint32',
      MacAddress: 'string',
      NdisPhysicalMedium: 'uint32',
      MediaConnectState: 'uint32',
      InterfaceOperationalStatus: 'uint32',
      ConnectorPresent: 'boolean',
      HardwareInterface: 'boolean',
      Virtual: 'boolean',
      Speed: 'uint64',
      PnPDeviceID: 'string',
    }),
  },
  [NS_CCM]: {
    SMS_Client: decls({ ClientVersion: 'string', ClientType: 'uint32' }),
    CCM_Client: decls({ ClientId: 'string', PreviousClientId: 'string' }),
    SMS_Authority: decls({ Name: 'string!', CurrentManagementPoint: 'string', Index: 'uint32' }),
  },
};

/** A catalog entry by namespace and class, both case-insensitive. */
export function catalogDecls(namespace: string, className: string): Decls | undefined {
  const ns = Object.keys(CATALOG).find((n) => n.toLowerCase() === namespace.toLowerCase());
  if (!ns) return undefined;
  const cls = Object.keys(CATALOG[ns]).find((c) => c.toLowerCase() === className.toLowerCase());
  return cls ? CATALOG[ns][cls] : undefined;
}

const INT_RANGES: Partial<Record<CimScalar, [number, number]>> = {
  uint8: [0, 255],
  sint8: [-128, 127],
  uint16: [0, 65535],
  sint16: [-32768, 32767],
  uint32: [0, 4294967295],
  sint32: [-2147483648, 2147483647],
};

const DMTF = /^\d{14}\.\d{6}[+-]\d{3}$/;

/**
 * Why a value breaks the encoding rules of conditions-wql.md §5 for its declared type, or
 * undefined if it is fine: uint64/sint64 as decimal strings, other integers as JSON numbers in
 * range, datetime as DMTF text, arrays as JSON arrays of the element type, null = WMI NULL.
 */
export function cimValueProblem(decl: CimPropertyDecl, value: CimValue): string | undefined {
  if (value === null) return undefined;
  if (decl.array) {
    if (!Array.isArray(value)) return `is declared ${decl.type}[], so write a JSON array`;
    for (const [i, v] of value.entries()) {
      const p = scalarProblem(decl.type, v);
      if (p) return `[${i}] ${p}`;
    }
    return undefined;
  }
  if (Array.isArray(value)) return `is declared ${decl.type}, not an array`;
  return scalarProblem(decl.type, value);
}

function scalarProblem(type: CimScalar, v: string | number | boolean): string | undefined {
  switch (type) {
    case 'uint64':
      return typeof v === 'string' && /^\d+$/.test(v) && BigInt(v) < 2n ** 64n
        ? undefined
        : `is declared uint64: write it as a string of decimal digits (e.g. "17179869184"), got ${JSON.stringify(v)}`;
    case 'sint64':
      return typeof v === 'string' && /^-?\d+$/.test(v) && BigInt(v) >= -(2n ** 63n) && BigInt(v) < 2n ** 63n
        ? undefined
        : `is declared sint64: write it as a string of decimal digits, got ${JSON.stringify(v)}`;
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `is declared boolean: write true or false, got ${JSON.stringify(v)}`;
    case 'real32':
    case 'real64':
      return typeof v === 'number' ? undefined : `is declared ${type}: write a JSON number, got ${JSON.stringify(v)}`;
    case 'datetime':
      return typeof v === 'string' && DMTF.test(v)
        ? undefined
        : `is declared datetime: write DMTF text such as "20240131120000.000000+000", got ${JSON.stringify(v)}`;
    case 'string':
    case 'char16':
    case 'reference':
      return typeof v === 'string' ? undefined : `is declared ${type}: write a JSON string, got ${JSON.stringify(v)}`;
    default: {
      const [lo, hi] = INT_RANGES[type]!;
      return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi
        ? undefined
        : `is declared ${type}: write a whole JSON number from ${lo} to ${hi}, got ${JSON.stringify(v)}`;
    }
  }
}
