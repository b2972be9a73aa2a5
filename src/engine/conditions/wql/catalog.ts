/**
 * Built-in schemas of the WMI classes task sequence conditions touch (conditions-wql §3–§4, types
 * from Microsoft's CIM class reference [D]). With them a fixture need not declare property types,
 * a known class missing from an inventory means "exists, no instances" (§5), and misspelt
 * property names are caught. Each class also gets the CIM_ManagedSystemElement properties most
 * Win32 classes inherit (Caption, Description, InstallDate, Name, Status) unless marked otherwise.
 *
 * Compact notation: `Name Name2:type; …`, `[]` after the type for arrays, `*` before a name for a key.
 */
import type { CimPropertyDecl, CimScalar } from '../../inventory.js';

export interface CatalogClass {
  namespace: string;
  name: string;
  properties: Record<string, CimPropertyDecl>;
}

const MSE = 'Caption Description Name Status:string; InstallDate:datetime';

const CLASSES: Record<string, Record<string, string>> = {
  'root\\cimv2': {
    Win32_ComputerSystem: `${MSE}; Manufacturer Model *Name Domain Workgroup SystemFamily SystemSKUNumber SystemType UserName DNSHostName BootupState PrimaryOwnerName:string;
      PartOfDomain HypervisorPresent AutomaticManagedPagefile EnableDaylightSavingsTime:boolean; DomainRole PCSystemType PCSystemTypeEx PowerState WakeUpType ThermalState AdminPasswordStatus:uint16;
      CurrentTimeZone:sint16; TotalPhysicalMemory:uint64; NumberOfProcessors NumberOfLogicalProcessors:uint32; OEMStringArray Roles:string[]`,
    Win32_ComputerSystemProduct: `Caption Description *IdentifyingNumber *Name Vendor *Version UUID SKUNumber:string`,
    Win32_BIOS: `${MSE}; Manufacturer SMBIOSBIOSVersion Version SerialNumber *SoftwareElementID CurrentLanguage:string; ReleaseDate:datetime; BIOSVersion:string[];
      SMBIOSMajorVersion SMBIOSMinorVersion *SoftwareElementState *TargetOperatingSystem:uint16; SMBIOSPresent PrimaryBIOS:boolean;
      EmbeddedControllerMajorVersion EmbeddedControllerMinorVersion SystemBiosMajorVersion SystemBiosMinorVersion:uint8; BiosCharacteristics:uint16[]`,
    Win32_SystemEnclosure: `${MSE}; *Tag Manufacturer Model SerialNumber SMBIOSAssetTag Version PartNumber SKU:string; ChassisTypes:uint16[]; LockPresent:boolean; SecurityStatus:uint16`,
    Win32_BaseBoard: `${MSE}; *Tag Manufacturer Product SerialNumber Version Model SKU PartNumber:string; HostingBoard:boolean`,
    Win32_Battery: `${MSE}; *DeviceID:string; BatteryStatus Chemistry EstimatedChargeRemaining Availability:uint16; EstimatedRunTime DesignCapacity FullChargeCapacity:uint32`,
    Win32_OperatingSystem: `${MSE}; Version BuildNumber BuildType OSArchitecture SystemDrive WindowsDirectory SystemDirectory CSName Manufacturer Locale CountryCode CodeSet BootDevice SystemDevice SerialNumber RegisteredUser Organization CSDVersion:string;
      OSLanguage ProductType OperatingSystemSKU SuiteMask OSProductSuite EncryptionLevel:uint32; OSType ServicePackMajorVersion ServicePackMinorVersion:uint16;
      LastBootUpTime LocalDateTime:datetime; MUILanguages:string[]; TotalVisibleMemorySize FreePhysicalMemory:uint64; PortableOperatingSystem Primary DataExecutionPrevention_Available:boolean`,
    Win32_Processor: `${MSE}; *DeviceID Manufacturer ProcessorId SocketDesignation Stepping:string; Architecture AddressWidth DataWidth Family ProcessorType Revision Level:uint16;
      MaxClockSpeed CurrentClockSpeed NumberOfCores NumberOfLogicalProcessors NumberOfEnabledCore ThreadCount L2CacheSize L3CacheSize:uint32;
      VirtualizationFirmwareEnabled VMMonitorModeExtensions SecondLevelAddressTranslationExtensions:boolean`,
    Win32_PhysicalMemory: `${MSE}; *Tag *CreationClassName BankLabel DeviceLocator Manufacturer PartNumber SerialNumber:string; Capacity:uint64; FormFactor MemoryType:uint16; Speed SMBIOSMemoryType ConfiguredClockSpeed:uint32`,
    Win32_DiskDrive: `${MSE}; *DeviceID Model InterfaceType MediaType SerialNumber PNPDeviceID Manufacturer FirmwareRevision:string; Index Partitions BytesPerSector SCSIBus:uint32;
      Size TotalSectors:uint64; SCSIPort SCSITargetId SCSILogicalUnit:uint16; Capabilities:uint16[]`,
    Win32_DiskPartition: `${MSE}; *DeviceID Type:string; DiskIndex Index HiddenSectors:uint32; Bootable BootPartition PrimaryPartition:boolean; Size StartingOffset BlockSize NumberOfBlocks:uint64`,
    Win32_LogicalDisk: `${MSE}; *DeviceID FileSystem VolumeName VolumeSerialNumber ProviderName:string; DriveType MediaType:uint32; FreeSpace Size:uint64; Compressed VolumeDirty SupportsDiskQuotas:boolean`,
    Win32_Volume: `${MSE}; *DeviceID DriveLetter FileSystem Label:string; Capacity FreeSpace BlockSize:uint64; DriveType SerialNumber:uint32;
      BootVolume SystemVolume PageFilePresent Automount DirtyBitSet Compressed IndexingEnabled:boolean`,
    Win32_NetworkAdapterConfiguration: `Caption Description SettingID MACAddress DNSDomain DNSHostName ServiceName DHCPServer WINSPrimaryServer WINSSecondaryServer:string;
      *Index InterfaceIndex TcpipNetbiosOptions IPConnectionMetric MTU:uint32; IPEnabled DHCPEnabled FullDNSRegistrationEnabled DomainDNSRegistrationEnabled:boolean;
      IPAddress IPSubnet DefaultIPGateway DNSServerSearchOrder DNSDomainSuffixSearchOrder:string[]; DHCPLeaseObtained DHCPLeaseExpires:datetime; GatewayCostMetric:uint16[]`,
    Win32_NetworkAdapter: `${MSE}; *DeviceID MACAddress NetConnectionID PNPDeviceID AdapterType Manufacturer ProductName ServiceName GUID:string; Index InterfaceIndex ConfigManagerErrorCode:uint32;
      AdapterTypeID NetConnectionStatus Availability:uint16; PhysicalAdapter NetEnabled Installed:boolean; Speed MaxSpeed:uint64`,
    Win32_PnPEntity: `${MSE}; *DeviceID PNPDeviceID Manufacturer Service ClassGuid PNPClass:string; HardwareID CompatibleID:string[]; ConfigManagerErrorCode:uint32; Present:boolean`,
    Win32_Service: `${MSE}; *Name DisplayName State StartMode PathName StartName ServiceType:string; Started AcceptStop:boolean; ProcessId ExitCode:uint32`,
  },
  'root\\cimv2\\Security\\MicrosoftTpm': {
    Win32_Tpm: `IsActivated_InitialValue IsEnabled_InitialValue IsOwned_InitialValue:boolean; SpecVersion ManufacturerIdTxt ManufacturerVersion ManufacturerVersionFull20 ManufacturerVersionInfo PhysicalPresenceVersionInfo:string; ManufacturerId:uint32`,
  },
  'root\\cimv2\\Security\\MicrosoftVolumeEncryption': {
    Win32_EncryptableVolume: `*DeviceID DriveLetter PersistentVolumeID:string; ProtectionStatus VolumeType ConversionStatus EncryptionMethod:uint32; IsVolumeInitializedForProtection:boolean`,
  },
  'root\\wmi': {
    MS_SystemInformation: `*InstanceName BaseBoardManufacturer BaseBoardProduct BaseBoardVersion BIOSReleaseDate BIOSVendor BIOSVersion SystemFamily SystemManufacturer SystemProductName SystemSKU SystemVersion:string;
      Active:boolean; BiosMajorRelease BiosMinorRelease ECFirmwareMajorRelease ECFirmwareMinorRelease:uint8`,
  },
};

/** Namespaces every Windows (and WinPE) has, whether or not an inventory captured anything in them [I]. */
export const ALWAYS_PRESENT_NAMESPACES = ['root', 'root\\cimv2', 'root\\wmi', 'root\\default'];

function parseSpec(spec: string): Record<string, CimPropertyDecl> {
  const out: Record<string, CimPropertyDecl> = {};
  for (const group of spec.split(';')) {
    const g = group.trim();
    if (!g) continue;
    const colon = g.lastIndexOf(':');
    let type = g.slice(colon + 1).trim();
    const array = type.endsWith('[]');
    if (array) type = type.slice(0, -2);
    for (let name of g.slice(0, colon).trim().split(/\s+/)) {
      const key = name.startsWith('*');
      if (key) name = name.slice(1);
      const decl: CimPropertyDecl = { type: type as CimScalar };
      if (array) decl.array = true;
      if (key || out[name]?.key) decl.key = true;
      out[name] = decl;
    }
  }
  return out;
}

/** namespace (lower) → class (lower) → schema. */
const CATALOG = new Map<string, Map<string, CatalogClass>>();
for (const [ns, classes] of Object.entries(CLASSES)) {
  const m = new Map<string, CatalogClass>();
  for (const [name, spec] of Object.entries(classes)) m.set(name.toLowerCase(), { namespace: ns, name, properties: parseSpec(spec) });
  CATALOG.set(ns.toLowerCase(), m);
}

export function catalogClass(namespace: string, className: string): CatalogClass | undefined {
  return CATALOG.get(namespace.toLowerCase())?.get(className.toLowerCase());
}

export function catalogNamespaces(): string[] {
  return Object.keys(CLASSES);
}

/** Every class the catalog knows, for documentation and tests. */
export function catalogClasses(): CatalogClass[] {
  return [...CATALOG.values()].flatMap((m) => [...m.values()]);
}
