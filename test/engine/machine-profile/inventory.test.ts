import { describe, expect, it } from 'vitest';
import { inventoryFor } from '../../../src/engine/machine-profile/index.js';
import { inputError } from '../../helpers/errors.js';
import { cimv2, classOf, example, profile, WITH_OS } from './helpers.js';

const laptop = example('uefi-x64-laptop-bare-metal');
const desktop = example('bios-x86-desktop');
const refresh = example('win10-x64-refresh');

describe('inventoryFor: identity classes', () => {
  it('is an openosd.inventory/v1 document from a profile, for the environment asked', () => {
    const inv = inventoryFor(laptop, 'winpe');
    expect(inv).toMatchObject({ schema: 'openosd.inventory/v1', environment: 'winpe', source: 'profile' });
    expect(inventoryFor(refresh, 'fullos').environment).toBe('fullos');
  });

  it('Win32_ComputerSystem carries make, model, chassis type, memory (uint64 as text) and domain membership', () => {
    const [cs] = cimv2(inventoryFor(refresh, 'fullos'), 'Win32_ComputerSystem');
    expect(cs).toMatchObject({
      Manufacturer: 'HP',
      Model: 'HP EliteDesk 800 G6 Small Form Factor PC',
      Name: 'CTS-PC-0423',
      PCSystemType: 1,
      TotalPhysicalMemory: String(16384 * 2 ** 20),
      PartOfDomain: true,
      Domain: 'corp.contoso.com',
      Workgroup: null,
      DomainRole: 1,
      SystemType: 'x64-based PC',
      NumberOfLogicalProcessors: 12,
      UserName: 'CONTOSO\\jdoe',
    });
    const [pe] = cimv2(inventoryFor(refresh, 'winpe'), 'Win32_ComputerSystem');
    expect(pe).toMatchObject({ Name: refresh.environments.winpe.computerName, PartOfDomain: false, Domain: 'WORKGROUP', Workgroup: 'WORKGROUP' });
    expect(cimv2(inventoryFor(laptop, 'winpe'), 'Win32_ComputerSystem')[0]).toMatchObject({ PCSystemType: 2, Model: 'Latitude E7270' });
  });

  it('product, BIOS, enclosure and base board', () => {
    const inv = inventoryFor(laptop, 'winpe');
    expect(cimv2(inv, 'Win32_ComputerSystemProduct')[0]).toMatchObject({
      UUID: '4C4C4544-0058-4B10-8039-B7C04F513532',
      Vendor: 'Dell Inc.',
      Name: 'Latitude E7270',
      IdentifyingNumber: '7XK9Q52',
    });
    expect(cimv2(inv, 'Win32_BIOS')[0]).toMatchObject({
      SerialNumber: '7XK9Q52',
      SMBIOSBIOSVersion: '1.21.6',
      Manufacturer: 'Dell Inc.',
      ReleaseDate: '20190516000000.000000+000',
      SMBIOSMajorVersion: 2,
      SMBIOSMinorVersion: 8,
    });
    expect(cimv2(inv, 'Win32_BIOS')[0].Version).toMatch(/^DELL {3}- \d+$/);
    expect(cimv2(inv, 'Win32_SystemEnclosure')[0]).toMatchObject({ ChassisTypes: [10], SMBIOSAssetTag: 'CTS-L-00417' });
    expect(cimv2(inv, 'Win32_BaseBoard')[0]).toMatchObject({ Product: '0T4DW4', Manufacturer: 'Dell Inc.' });
    const lenovo = inventoryFor(desktop, 'winpe');
    expect(cimv2(lenovo, 'Win32_ComputerSystemProduct')[0]).toMatchObject({ Name: '9265A2G', Version: 'ThinkCentre M55e' });
  });

  it('Win32_Processor: architecture code, address width from the OS, data width from the CPU', () => {
    expect(cimv2(inventoryFor(laptop, 'winpe'), 'Win32_Processor')[0]).toMatchObject({ Architecture: 9, AddressWidth: 64, DataWidth: 64, NumberOfCores: 2 });
    expect(cimv2(inventoryFor(desktop, 'winpe'), 'Win32_Processor')[0]).toMatchObject({ Architecture: 0, AddressWidth: 32, DataWidth: 32 });
    const arm = profile({ architecture: 'arm64' });
    expect(cimv2(inventoryFor(arm, 'winpe'), 'Win32_Processor')[0]).toMatchObject({ Architecture: 12, AddressWidth: 64 });
    // A 32-bit Windows on a 64-bit processor.
    const wow = profile({ ...WITH_OS, currentOs: { ...WITH_OS.currentOs, architecture: 'x86' } });
    const full = inventoryFor(wow, 'fullos');
    expect(cimv2(full, 'Win32_Processor')[0]).toMatchObject({ Architecture: 9, AddressWidth: 32, DataWidth: 64 });
    expect(cimv2(full, 'Win32_OperatingSystem')[0].OSArchitecture).toBe('32-bit');
    expect(cimv2(full, 'Win32_ComputerSystem')[0].SystemType).toBe('X86-based PC');
  });

  it('Win32_Battery has an instance only on a machine with a battery', () => {
    expect(cimv2(inventoryFor(laptop, 'winpe'), 'Win32_Battery')).toEqual([
      expect.objectContaining({ BatteryStatus: 2, EstimatedChargeRemaining: 87, Chemistry: 6 }),
    ]);
    // The class exists on the desktop (no error), with no instances.
    expect(cimv2(inventoryFor(desktop, 'winpe'), 'Win32_Battery')).toEqual([]);
    expect(cimv2(inventoryFor(refresh, 'fullos'), 'Win32_Battery')).toEqual([]);
    const onBattery = profile({ battery: { chargePercent: 12, onAcPower: false } });
    expect(cimv2(inventoryFor(onBattery, 'winpe'), 'Win32_Battery')[0]).toMatchObject({ BatteryStatus: 1, EstimatedChargeRemaining: 12 });
  });

  it('MS_SystemInformation in root\\wmi and Win32_Tpm when there is a TPM', () => {
    const inv = inventoryFor(laptop, 'winpe');
    expect(classOf(inv, 'root\\wmi', 'MS_SystemInformation')![0]).toMatchObject({
      SystemManufacturer: 'Dell Inc.',
      SystemProductName: 'Latitude E7270',
      SystemSKU: '06DB',
      BaseBoardProduct: '0T4DW4',
      BIOSVersion: '1.21.6',
      BIOSReleaseDate: '05/16/2019',
      BIOSMajorRelease: 1,
      BIOSMinorRelease: 21,
    });
    expect(classOf(inv, 'root\\cimv2\\Security\\MicrosoftTpm', 'Win32_Tpm')).toEqual([
      expect.objectContaining({
        SpecVersion: expect.stringMatching(/^2\.0,/),
        ManufacturerIdTxt: 'NTC',
        ManufacturerId: 0x4e544300,
        IsEnabled_InitialValue: true,
        IsOwned_InitialValue: false,
      }),
    ]);
    expect(classOf(inventoryFor(desktop, 'winpe'), 'root\\cimv2\\Security\\MicrosoftTpm', 'Win32_Tpm')).toEqual([]);
    expect(classOf(inventoryFor(profile({ tpm: { present: false } }), 'winpe'), 'root\\cimv2\\Security\\MicrosoftTpm', 'Win32_Tpm')).toEqual([]);
  });
});

describe('inventoryFor: network', () => {
  it('MAC addresses upper case with colons, IP lists as arrays, gateways', () => {
    const inv = inventoryFor(refresh, 'fullos');
    const [cfg] = cimv2(inv, 'Win32_NetworkAdapterConfiguration');
    expect(cfg).toMatchObject({
      MACAddress: 'EC:8E:B5:71:2A:9D',
      IPEnabled: true,
      DHCPEnabled: true,
      IPAddress: ['10.20.44.58', 'fe80::d4a1:3c2b:91e7:5a0c'],
      IPSubnet: ['255.255.252.0', '64'],
      DefaultIPGateway: ['10.20.44.1'],
      DNSServerSearchOrder: ['10.20.0.10', '10.20.0.11'],
      DNSDomain: 'corp.contoso.com',
    });
    expect(cimv2(inv, 'Win32_NetworkAdapter')[0]).toMatchObject({
      MACAddress: 'EC:8E:B5:71:2A:9D',
      NetConnectionStatus: 2,
      NetConnectionID: 'Ethernet',
      Speed: '1000000000',
    });
    expect(classOf(inv, 'root\\StandardCimv2', 'MSFT_NetAdapter')![0]).toMatchObject({ MacAddress: 'EC-8E-B5-71-2A-9D', NdisPhysicalMedium: 14 });
  });

  it('WinPE has no Wi-Fi; the full OS shows a disconnected Wi-Fi adapter without IP', () => {
    expect(cimv2(inventoryFor(laptop, 'winpe'), 'Win32_NetworkAdapter').map((a) => a.NetConnectionID)).toEqual(['Ethernet']);
    const withOs = { ...laptop, currentOs: profile(WITH_OS).currentOs, disks: profile(WITH_OS).disks };
    const full = inventoryFor(withOs, 'fullos');
    const wifi = cimv2(full, 'Win32_NetworkAdapterConfiguration').find((a) => a.MACAddress === '44:85:00:6C:D2:91')!;
    expect(wifi).toMatchObject({ IPEnabled: false, IPAddress: null, DefaultIPGateway: null });
    expect(cimv2(full, 'Win32_NetworkAdapter').find((a) => a.NetConnectionID === 'Wi-Fi')).toMatchObject({ NetConnectionStatus: 7, Speed: null });
  });

  it('a NIC whose driver is missing in WinPE has no adapter there, only a PnP entity with error 28', () => {
    const p = profile({
      networkAdapters: [{ mac: '00:11:22:33:44:55', name: 'Realtek USB GbE', pnpDeviceId: 'USB\\VID_0BDA&PID_8153\\000001' }],
      pnpDevices: [
        {
          deviceId: 'USB\\VID_0BDA&PID_8153\\000001',
          name: 'Realtek USB GbE',
          class: 'Net',
          hardwareIds: ['USB\\VID_0BDA&PID_8153&REV_3000'],
          missingDriverIn: ['winpe'],
        },
      ],
    });
    const inv = inventoryFor(p, 'winpe');
    expect(cimv2(inv, 'Win32_NetworkAdapterConfiguration')).toEqual([]);
    expect(cimv2(inv, 'Win32_PnPEntity')[0]).toMatchObject({
      ConfigManagerErrorCode: 28,
      Status: 'Error',
      PNPClass: 'Net',
      ClassGuid: '{4d36e972-e325-11ce-bfc1-08002be10318}',
    });
  });
});

describe('inventoryFor: disks and volumes', () => {
  it('WinPE has the X: RAM drive; the full OS does not', () => {
    const pe = cimv2(inventoryFor(refresh, 'winpe'), 'Win32_LogicalDisk').map((d) => d.DeviceID);
    const full = cimv2(inventoryFor(refresh, 'fullos'), 'Win32_LogicalDisk').map((d) => d.DeviceID);
    expect(pe).toEqual(['X:', 'C:']);
    expect(full).toEqual(['C:']);
    expect(cimv2(inventoryFor(laptop, 'winpe'), 'Win32_LogicalDisk')).toEqual([
      expect.objectContaining({ DeviceID: 'X:', DriveType: 3, FileSystem: 'NTFS', VolumeName: 'Boot' }),
    ]);
  });

  it('a blank disk is a Win32_DiskDrive without partitions; its size follows the CHS geometry', () => {
    const inv = inventoryFor(laptop, 'winpe');
    const [disk] = cimv2(inv, 'Win32_DiskDrive');
    const perCylinder = 255 * 63 * 512;
    expect(disk).toMatchObject({ Index: 0, Model: 'PM961 NVMe SAMSUNG 256GB', InterfaceType: 'SCSI', Partitions: 0, MediaType: 'Fixed hard disk media' });
    expect(BigInt(disk.Size as string)).toBe(BigInt(Math.floor(256e9 / perCylinder) * perCylinder));
    expect(cimv2(inv, 'Win32_DiskPartition')).toEqual([]);
    expect(classOf(inv, 'root\\Microsoft\\Windows\\Storage', 'MSFT_Disk')![0]).toMatchObject({ BusType: 17, PartitionStyle: 0, Size: '256000000000' });
    expect(cimv2(inventoryFor(desktop, 'winpe'), 'Win32_DiskDrive')[0]).toMatchObject({ InterfaceType: 'IDE', Model: 'WDC WD800JD-08MSA1' });
  });

  it('GPT partitions report GPT type names and skip the MSR; MBR NTFS is "Installable File System"', () => {
    const parts = cimv2(inventoryFor(refresh, 'fullos'), 'Win32_DiskPartition');
    expect(parts.map((x) => [x.DeviceID, x.Type, x.Bootable])).toEqual([
      ['Disk #0, Partition #0', 'GPT: System', true],
      ['Disk #0, Partition #1', 'GPT: Basic Data', false],
      ['Disk #0, Partition #2', 'GPT: Unknown', false],
    ]);
    expect(parts[1].StartingOffset).toBe(String(117 * 2 ** 20));
    const mbr = profile({
      firmware: 'bios',
      disks: [
        {
          size: '80 GB',
          partitions: [
            { size: '500 MiB', active: true, label: 'System Reserved' },
            { size: 'remaining', driveLetter: 'C:' },
          ],
        },
      ],
    });
    expect(cimv2(inventoryFor(mbr, 'winpe'), 'Win32_DiskPartition').map((x) => [x.Type, x.Bootable])).toEqual([
      ['Installable File System', true],
      ['Installable File System', false],
    ]);
  });

  it('WinPE gives letters to basic data volumes in disk order: System Reserved takes C: and Windows D: on MBR', () => {
    const mbr = profile({
      firmware: 'bios',
      disks: [
        {
          size: '80 GB',
          partitions: [
            { size: '500 MiB', active: true, label: 'System Reserved' },
            { size: 'remaining', driveLetter: 'C:' },
          ],
        },
      ],
      currentOs: { caption: 'Microsoft Windows 10 Pro', version: '10.0.19045', computerName: 'OLD-PC' },
    });
    expect(cimv2(inventoryFor(mbr, 'winpe'), 'Win32_LogicalDisk').map((d) => d.DeviceID)).toEqual(['X:', 'C:', 'D:']);
    expect(cimv2(inventoryFor(mbr, 'fullos'), 'Win32_LogicalDisk').map((d) => d.DeviceID)).toEqual(['C:']);
    const files = inventoryFor(mbr, 'winpe').files!.map((f) => f.path);
    expect(files).toContain('D:\\Windows\\System32\\ntoskrnl.exe');
    expect(files).not.toContain('C:\\Windows\\System32\\ntoskrnl.exe');
  });

  it('Win32_Volume lists formatted partitions with and without letters; the system and boot volumes are flagged', () => {
    const vols = cimv2(inventoryFor(refresh, 'fullos'), 'Win32_Volume');
    expect(vols.map((v) => [v.DriveLetter, v.FileSystem, v.SystemVolume, v.BootVolume])).toEqual([
      [null, 'FAT32', true, false],
      ['C:', 'NTFS', false, true],
      [null, 'NTFS', false, false],
    ]);
    expect(vols[1].DeviceID).toMatch(/^\\\\\?\\Volume\{[0-9a-f-]{36}\}\\$/);
  });

  it('a BitLocker-protected volume is locked in WinPE: no file system, no files, no detected Windows', () => {
    const locked = structuredClone(refresh);
    locked.disks[0].partitions[2].bitLocker = 'on';
    const inv = inventoryFor(locked, 'winpe');
    expect(cimv2(inv, 'Win32_LogicalDisk').find((d) => d.DeviceID === 'C:')).toMatchObject({ FileSystem: null, Size: null });
    expect(inv.files!.some((f) => f.path.startsWith('C:'))).toBe(false);
    expect(classOf(inv, 'root\\cimv2\\Security\\MicrosoftVolumeEncryption', 'Win32_EncryptableVolume')!.find((v) => v.DriveLetter === 'C:')).toMatchObject({
      ProtectionStatus: 1,
      VolumeType: 0,
    });
    // Suspended (the example) is readable.
    expect(cimv2(inventoryFor(refresh, 'winpe'), 'Win32_LogicalDisk').find((d) => d.DeviceID === 'C:')).toMatchObject({ FileSystem: 'NTFS' });
  });

  it('a disk behind a storage controller without a WinPE driver is invisible in WinPE', () => {
    const p = profile({
      disks: [{ size: '512 GB', controller: 'PCI\\VEN_8086&DEV_9A0B\\3&1' }],
      pnpDevices: [
        {
          deviceId: 'PCI\\VEN_8086&DEV_9A0B\\3&1',
          name: 'Intel RST VMD Controller 9A0B',
          class: 'SCSIAdapter',
          hardwareIds: ['PCI\\VEN_8086&DEV_9A0B'],
          missingDriverIn: ['winpe'],
        },
      ],
    });
    expect(cimv2(inventoryFor(p, 'winpe'), 'Win32_DiskDrive')).toEqual([]);
  });
});

describe('inventoryFor: the operating system', () => {
  it('Win32_OperatingSystem is the installed Windows in the full OS and WinPE itself in WinPE', () => {
    const full = cimv2(inventoryFor(refresh, 'fullos'), 'Win32_OperatingSystem');
    expect(full).toEqual([
      expect.objectContaining({
        Caption: 'Microsoft Windows 10 Enterprise',
        Version: '10.0.19045',
        BuildNumber: '19045',
        OSArchitecture: '64-bit',
        OSLanguage: 1033,
        Locale: '0407',
        MUILanguages: ['en-US', 'de-DE'],
        SystemDrive: 'C:',
        WindowsDirectory: 'C:\\Windows',
        ProductType: 1,
        OperatingSystemSKU: 4,
        InstallDate: '20210208094117.000000+000',
        CSName: 'CTS-PC-0423',
      }),
    ]);
    const pe = cimv2(inventoryFor(refresh, 'winpe'), 'Win32_OperatingSystem');
    expect(pe).toEqual([expect.objectContaining({ Caption: 'Microsoft Windows PE', Version: '10.0.26100', SystemDrive: 'X:', OSArchitecture: '64-bit' })]);
    expect(cimv2(inventoryFor(desktop, 'winpe'), 'Win32_OperatingSystem')[0]).toMatchObject({ OSArchitecture: '32-bit' });
    expect(cimv2(inventoryFor(laptop, 'winpe'), 'Win32_OperatingSystem')[0]).toMatchObject({ Version: '10.0.19041', BuildNumber: '19041' });
  });

  it('user profiles, local accounts and MSI products exist in the full OS only', () => {
    const full = inventoryFor(refresh, 'fullos');
    const profiles = cimv2(full, 'Win32_UserProfile');
    expect(profiles.filter((p) => !p.Special).map((p) => [p.LocalPath, p.Loaded])).toEqual([
      ['C:\\Users\\jdoe', true],
      ['C:\\Users\\asmith', false],
      ['C:\\Users\\Support', false],
    ]);
    expect(profiles.filter((p) => p.Special).map((p) => p.SID)).toEqual(['S-1-5-18', 'S-1-5-19', 'S-1-5-20']);
    expect(cimv2(full, 'Win32_UserAccount').map((a) => a.Name)).toEqual(['Administrator', 'Guest', 'DefaultAccount', 'WDAGUtilityAccount', 'Support']);
    expect(cimv2(full, 'Win32_Product').map((p) => p.Name)).toContain('7-Zip 23.01 (x64 edition)');
    expect(full.msiProducts).toContainEqual({
      productCode: '{23170F69-40C1-2702-2301-000001000000}',
      upgradeCode: '{23170F69-40C1-2702-0000-000004000000}',
      name: '7-Zip 23.01 (x64 edition)',
      version: '23.01.00.0',
    });
    const pe = inventoryFor(refresh, 'winpe');
    expect(pe.msiProducts).toEqual([]);
    expect(cimv2(pe, 'Win32_UserProfile')).toEqual([]);
  });

  it("files: the installed Windows and the profile's files in the full OS; in WinPE its own X: plus the disk as files", () => {
    const full = inventoryFor(refresh, 'fullos').files!;
    expect(full).toContainEqual({ path: 'C:\\Windows\\System32\\ntoskrnl.exe', kind: 'file', version: '10.0.19045.4291' });
    expect(full).toContainEqual({ path: 'C:\\Program Files\\7-Zip\\7z.exe', kind: 'file', version: '23.1.0.0', modifiedUtc: '2023-06-20T00:00:00.000Z' });
    expect(full).toContainEqual({ path: 'C:\\Users\\jdoe', kind: 'dir' });
    expect(full).toContainEqual({ path: 'C:\\Windows\\CCM\\CcmExec.exe', kind: 'file', version: '5.00.9122.1000' });
    expect(full.some((f) => f.path.startsWith('X:'))).toBe(false);
    const pe = inventoryFor(refresh, 'winpe').files!.map((f) => f.path);
    expect(pe).toContain('X:\\Windows\\System32\\wpeinit.exe');
    expect(pe).toContain('X:\\sms\\bin\\x64\\TsManager.exe');
    expect(pe).toContain('C:\\Windows\\System32\\ntoskrnl.exe');
    expect(pe).toContain('C:\\Users\\jdoe\\Documents\\Budget 2024.xlsx');
    expect(inventoryFor(desktop, 'winpe').files!.map((f) => f.path)).toContain('X:\\sms\\bin\\i386\\TsManager.exe');
  });

  it("registry: the installed Windows in the full OS; WinPE's own keys (MiniNT, PEFirmwareType) in WinPE", () => {
    const full = inventoryFor(refresh, 'fullos').registry!;
    const cv = full.find((k) => k.key === 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion')!;
    expect(cv.values).toMatchObject({
      DisplayVersion: { type: 'REG_SZ', data: '22H2' },
      UBR: { type: 'REG_DWORD', data: 4291 },
      EditionID: { type: 'REG_SZ', data: 'Enterprise' },
    });
    expect(full.find((k) => k.key === 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso\\Build')!.values!.Ring).toEqual({ type: 'REG_SZ', data: 'Pilot' });
    expect(full.some((k) => k.key.endsWith('\\Uninstall\\{23170F69-40C1-2702-2301-000001000000}'))).toBe(true);
    expect(full.some((k) => k.key.endsWith('\\Control\\MiniNT'))).toBe(false);
    const pe = inventoryFor(refresh, 'winpe').registry!;
    expect(pe.some((k) => k.key === 'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\MiniNT')).toBe(true);
    expect(pe.find((k) => k.key === 'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control')!.values!.PEFirmwareType).toEqual({ type: 'REG_DWORD', data: 2 });
    expect(pe.some((k) => k.key.includes('Contoso'))).toBe(false);
    const bios = inventoryFor(desktop, 'winpe').registry!;
    expect(bios.find((k) => k.key.endsWith('\\Control'))!.values!.PEFirmwareType).toEqual({ type: 'REG_DWORD', data: 1 });
  });

  it('the ConfigMgr client shows in root\\ccm', () => {
    const inv = inventoryFor(refresh, 'fullos');
    expect(classOf(inv, 'root\\ccm', 'SMS_Client')).toEqual([{ ClientVersion: '5.00.9122.1000', ClientType: 1 }]);
    expect(classOf(inv, 'root\\ccm', 'SMS_Authority')![0]).toMatchObject({ Name: 'SMS:PS1', CurrentManagementPoint: 'cm01.corp.contoso.com' });
    expect(classOf(inventoryFor(refresh, 'winpe'), 'root\\ccm', 'SMS_Client')).toBeUndefined();
  });

  it('a bare-metal profile has no full OS', () => {
    const e = inputError(() => inventoryFor(laptop, 'fullos'));
    expect(e.rule).toBe('the profile has no currentOs, so there is no full OS to describe');
  });
});

describe("inventoryFor: the profile's own WMI data", () => {
  it('a vendor namespace is added as written', () => {
    const inv = inventoryFor(refresh, 'fullos');
    const settings = classOf(inv, 'root\\HP\\InstrumentedBIOS', 'HP_BIOSEnumeration')!;
    expect(settings.find((s) => s.Name === 'Secure Boot')).toMatchObject({ CurrentValue: 'Enable' });
    expect(inv.wmi['root\\HP\\InstrumentedBIOS'].HP_BIOSEnumeration.properties!.PossibleValues).toEqual({ type: 'string', array: true });
  });

  it('replace, patch, append and null, matched case-insensitively, per environment', () => {
    const p = profile({
      battery: true,
      wmi: {
        'ROOT\\CIMV2': {
          win32_computersystem: { merge: 'patch', instances: [{ model: 'Patched', SystemSKUNumber: 'SKU1' }] },
          Win32_Battery: { merge: 'append', instances: [{ DeviceID: 'second', BatteryStatus: 2 }] },
          Win32_BaseBoard: { instances: [{ Tag: 'Base Board', Product: 'Replaced' }] },
          Win32_Processor: null,
        },
        'root\\cimv2\\Security\\MicrosoftTpm': null,
      },
      environments: { winpe: { wmi: { 'root\\cimv2': { Win32_ComputerSystem: { merge: 'patch', instances: [{ Model: 'In WinPE' }] } } } } },
    });
    const inv = inventoryFor(p, 'winpe');
    const [cs] = cimv2(inv, 'Win32_ComputerSystem');
    expect(cs.Model).toBe('In WinPE');
    expect(cs.SystemSKUNumber).toBe('SKU1');
    expect(Object.keys(cs).filter((k) => k.toLowerCase() === 'model')).toEqual(['Model']);
    expect(cimv2(inv, 'Win32_Battery').map((b) => b.DeviceID)).toHaveLength(2);
    expect(cimv2(inv, 'Win32_BaseBoard')).toEqual([{ Tag: 'Base Board', Product: 'Replaced' }]);
    expect(classOf(inv, 'root\\cimv2', 'Win32_Processor')).toBeUndefined();
    expect(classOf(inv, 'root\\cimv2\\Security\\MicrosoftTpm', 'Win32_Tpm')).toBeUndefined();
    expect(Object.keys(inv.wmi).filter((k) => k.toLowerCase() === 'root\\cimv2')).toEqual(['root\\cimv2']);
  });
});
