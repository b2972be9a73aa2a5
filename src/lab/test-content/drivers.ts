/**
 * The test driver catalog (`openosd.driver-catalog/v1`, osd-features.md §2.6): six drivers, each a
 * folder with a realistic INF plus placeholder .sys and .cat files, and the driver packages that
 * group them. Hardware IDs are those of the example machine profiles (examples/machines/), so Auto
 * Apply Drivers has real matches to find:
 *
 * - DRV00001 Dell's I219-LM driver: the laptop NIC's own hardware ID (best match).
 * - DRV00002 Intel's generic I219 driver: only the laptop NIC's compatible ID (all-compatible only),
 *   plus the HP desktop's I219-LM (11). Newer than DRV00001, so ranking by date alone would be wrong.
 * - DRV00003 Samsung NVMe: the laptop's and the HP desktop's storage controllers.
 * - DRV00004 Broadcom NetXtreme, x86 only: the BIOS desktop's NIC.
 * - DRV00005 Intel HD Graphics 520: matches the laptop's display, but disabled.
 * - DRV00006 Realtek RTL8168: hardware none of the example machines has.
 */
import { LAB_SITE_CODE } from '../../common/reserved-ids.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const DRIVER_CATALOG_SCHEMA = 'openosd.driver-catalog/v1';

/** One driver in the catalog. `inf` and `folder` are relative to the catalog's folder. */
export interface DriverCatalogEntry {
  id: string;
  name: string;
  inf: string;
  folder: string;
  provider: string;
  class: string;
  version: string;
  /** ISO date (yyyy-mm-dd) of the INF's DriverVer. */
  date: string;
  hardwareIds: string[];
  compatibleIds: string[];
  platforms: Array<'x64' | 'x86'>;
  categories: string[];
  enabled: boolean;
}

export interface DriverPackageEntry {
  id: string;
  name: string;
  drivers: string[];
}

export interface DriverCatalog {
  schema: typeof DRIVER_CATALOG_SCHEMA;
  drivers: DriverCatalogEntry[];
  packages: DriverPackageEntry[];
}

/** One [Models] line: a device the INF supports. */
interface InfModel {
  stringKey: string;
  description: string;
  hardwareId: string;
  compatibleIds: string[];
}

type DriverKind = 'net' | 'storage' | 'display';

interface DriverSource {
  id: string;
  folder: string;
  inf: string;
  sys: string;
  cat: string;
  kind: DriverKind;
  provider: string;
  manufacturer: string;
  class: string;
  classGuid: string;
  version: string;
  date: string;
  service: string;
  serviceName: string;
  platforms: Array<'x64' | 'x86'>;
  categories: string[];
  enabled: boolean;
  models: InfModel[];
}

const CLASS_GUIDS = {
  Net: '{4d36e972-e325-11ce-bfc1-08002be10318}',
  SCSIAdapter: '{4d36e97b-e325-11ce-bfc1-08002be10318}',
  Display: '{4d36e968-e325-11ce-bfc1-08002be10318}',
};

/** Model names used as driver categories (admins tag drivers by model). */
export const DRIVER_CATEGORIES = {
  laptop: 'Dell Latitude E7270',
  hpDesktop: 'HP EliteDesk 800 G6',
  biosDesktop: 'Lenovo ThinkCentre M55e',
  other: 'HP ProDesk 400 G4',
} as const;

const SOURCES: DriverSource[] = [
  {
    id: 'DRV00001',
    folder: 'dell-e7270-intel-i219lm',
    inf: 'e1d68x64.inf',
    sys: 'e1d68x64.sys',
    cat: 'e1d68x64.cat',
    kind: 'net',
    provider: 'Intel',
    manufacturer: 'Intel',
    class: 'Net',
    classGuid: CLASS_GUIDS.Net,
    version: '12.18.9.10',
    date: '2019-03-27',
    service: 'e1dexpress',
    serviceName: 'Intel(R) PRO/1000 PCI Express Network Connection Driver D',
    platforms: ['x64'],
    categories: [DRIVER_CATEGORIES.laptop],
    enabled: true,
    models: [
      {
        stringKey: 'DeviceDesc',
        description: 'Intel(R) Ethernet Connection I219-LM',
        hardwareId: 'PCI\\VEN_8086&DEV_156F&SUBSYS_06DB1028',
        compatibleIds: ['PCI\\VEN_8086&DEV_156F'],
      },
    ],
  },
  {
    id: 'DRV00002',
    folder: 'intel-i219-generic',
    inf: 'e1d65x64.inf',
    sys: 'e1d65x64.sys',
    cat: 'e1d65x64.cat',
    kind: 'net',
    provider: 'Intel',
    manufacturer: 'Intel',
    class: 'Net',
    classGuid: CLASS_GUIDS.Net,
    version: '12.19.2.45',
    date: '2023-05-17',
    service: 'e1dexpress',
    serviceName: 'Intel(R) PRO/1000 PCI Express Network Connection Driver D',
    platforms: ['x64'],
    categories: [DRIVER_CATEGORIES.laptop, DRIVER_CATEGORIES.hpDesktop],
    enabled: true,
    models: [
      { stringKey: 'DeviceDesc.156F', description: 'Intel(R) Ethernet Connection I219-LM', hardwareId: 'PCI\\VEN_8086&DEV_156F', compatibleIds: [] },
      { stringKey: 'DeviceDesc.1570', description: 'Intel(R) Ethernet Connection I219-V', hardwareId: 'PCI\\VEN_8086&DEV_1570', compatibleIds: [] },
      { stringKey: 'DeviceDesc.15B7', description: 'Intel(R) Ethernet Connection (2) I219-LM', hardwareId: 'PCI\\VEN_8086&DEV_15B7', compatibleIds: [] },
      { stringKey: 'DeviceDesc.0D4C', description: 'Intel(R) Ethernet Connection (11) I219-LM', hardwareId: 'PCI\\VEN_8086&DEV_0D4C', compatibleIds: [] },
    ],
  },
  {
    id: 'DRV00003',
    folder: 'samsung-nvme',
    inf: 'secnvme.inf',
    sys: 'secnvme.sys',
    cat: 'secnvme.cat',
    kind: 'storage',
    provider: 'Samsung Electronics Co., Ltd',
    manufacturer: 'Samsung Electronics Co., Ltd',
    class: 'SCSIAdapter',
    classGuid: CLASS_GUIDS.SCSIAdapter,
    version: '3.3.0.2003',
    date: '2020-03-11',
    service: 'secnvme',
    serviceName: 'Samsung NVMe Controller Service',
    platforms: ['x64'],
    categories: [DRIVER_CATEGORIES.laptop, DRIVER_CATEGORIES.hpDesktop],
    enabled: true,
    models: [
      {
        stringKey: 'DeviceDesc.A804',
        description: 'Samsung NVMe Controller',
        hardwareId: 'PCI\\VEN_144D&DEV_A804&SUBSYS_A801144D',
        compatibleIds: ['PCI\\VEN_144D&DEV_A804'],
      },
      {
        stringKey: 'DeviceDesc.A808',
        description: 'Samsung NVMe Controller',
        hardwareId: 'PCI\\VEN_144D&DEV_A808&SUBSYS_A801144D',
        compatibleIds: ['PCI\\VEN_144D&DEV_A808'],
      },
    ],
  },
  {
    id: 'DRV00004',
    folder: 'broadcom-netxtreme-x86',
    inf: 'b57nd60x.inf',
    sys: 'b57nd60x.sys',
    cat: 'b57nd60x.cat',
    kind: 'net',
    provider: 'Broadcom',
    manufacturer: 'Broadcom',
    class: 'Net',
    classGuid: CLASS_GUIDS.Net,
    version: '15.6.0.14',
    date: '2013-01-17',
    service: 'b57nd60x',
    serviceName: 'Broadcom NetXtreme Gigabit Ethernet - NDIS 6.0',
    platforms: ['x86'],
    categories: [DRIVER_CATEGORIES.biosDesktop],
    enabled: true,
    models: [
      {
        stringKey: 'DeviceDesc',
        description: 'Broadcom NetXtreme Gigabit Ethernet',
        hardwareId: 'PCI\\VEN_14E4&DEV_167B&SUBSYS_30CE17AA',
        compatibleIds: ['PCI\\VEN_14E4&DEV_167B'],
      },
    ],
  },
  {
    id: 'DRV00005',
    folder: 'intel-hd-graphics-520',
    inf: 'igdlh64.inf',
    sys: 'igdkmd64.sys',
    cat: 'igdlh64.cat',
    kind: 'display',
    provider: 'Intel Corporation',
    manufacturer: 'Intel Corporation',
    class: 'Display',
    classGuid: CLASS_GUIDS.Display,
    version: '26.20.100.7262',
    date: '2019-09-06',
    service: 'igfx',
    serviceName: 'igfx',
    platforms: ['x64'],
    categories: [DRIVER_CATEGORIES.laptop],
    enabled: false,
    models: [
      {
        stringKey: 'DeviceDesc',
        description: 'Intel(R) HD Graphics 520',
        hardwareId: 'PCI\\VEN_8086&DEV_1916&SUBSYS_06DB1028',
        compatibleIds: ['PCI\\VEN_8086&DEV_1916'],
      },
    ],
  },
  {
    id: 'DRV00006',
    folder: 'realtek-rtl8168',
    inf: 'rt640x64.inf',
    sys: 'rt640x64.sys',
    cat: 'rt640x64.cat',
    kind: 'net',
    provider: 'Realtek',
    manufacturer: 'Realtek',
    class: 'Net',
    classGuid: CLASS_GUIDS.Net,
    version: '10.68.815.2023',
    date: '2023-08-15',
    service: 'rt640x64',
    serviceName: 'Realtek RT640 NT Driver',
    platforms: ['x64'],
    categories: [DRIVER_CATEGORIES.other],
    enabled: true,
    models: [
      {
        stringKey: 'DeviceDesc',
        description: 'Realtek PCIe GbE Family Controller',
        hardwareId: 'PCI\\VEN_10EC&DEV_8168&SUBSYS_83D9103C',
        compatibleIds: ['PCI\\VEN_10EC&DEV_8168'],
      },
    ],
  },
];

/** Driver packages: every driver is in one, since Auto Apply only uses drivers that are on a DP. */
export const DRIVER_PACKAGES: DriverPackageEntry[] = [
  { id: `${LAB_SITE_CODE}00020`, name: `${DRIVER_CATEGORIES.laptop} drivers`, drivers: ['DRV00001', 'DRV00002', 'DRV00003', 'DRV00005'] },
  { id: `${LAB_SITE_CODE}00021`, name: `${DRIVER_CATEGORIES.biosDesktop} drivers`, drivers: ['DRV00004'] },
  { id: `${LAB_SITE_CODE}00022`, name: `${DRIVER_CATEGORIES.other} drivers`, drivers: ['DRV00006'] },
];

/** The catalog file name inside the drivers folder. */
export const DRIVER_CATALOG_FILE = 'catalog.json';

function uniq(values: string[]): string[] {
  return [...new Set(values)];
}

/** The catalog entry for a driver: named after its first device, as the Import Driver wizard does. */
function catalogEntry(d: DriverSource): DriverCatalogEntry {
  return {
    id: d.id,
    name: d.models[0].description,
    inf: `${d.folder}/${d.inf}`,
    folder: d.folder,
    provider: d.provider,
    class: d.class,
    version: d.version,
    date: d.date,
    hardwareIds: uniq(d.models.map((m) => m.hardwareId)),
    compatibleIds: uniq(d.models.flatMap((m) => m.compatibleIds)),
    platforms: [...d.platforms],
    categories: [...d.categories],
    enabled: d.enabled,
  };
}

/** The catalog as written to drivers/catalog.json. */
export function driverCatalog(): DriverCatalog {
  return { schema: DRIVER_CATALOG_SCHEMA, drivers: SOURCES.map(catalogEntry), packages: DRIVER_PACKAGES.map((p) => ({ ...p, drivers: [...p.drivers] })) };
}

/** mm/dd/yyyy, as DriverVer writes a date. */
function driverVerDate(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${m}/${d}/${y}`;
}

const DECORATIONS = { x64: 'NTamd64', x86: 'NTx86' } as const;

/** A realistic INF for a driver: Version, Manufacturer, per-platform Models, install and service sections, Strings. */
function renderInf(d: DriverSource): string {
  const decorations = d.platforms.map((p) => DECORATIONS[p]);
  const lines: string[] = [
    ';',
    `; ${d.inf} - ${d.models[0].description}`,
    `; Copyright (c) ${d.date.slice(0, 4)} ${d.provider}`,
    ';',
    '; OpenOSD test content: a realistic INF for a placeholder driver binary. Do not install.',
    ';',
    '',
    '[Version]',
    'Signature   = "$WINDOWS NT$"',
    `Class       = ${d.class}`,
    `ClassGuid   = ${d.classGuid}`,
    'Provider    = %ProviderName%',
    `DriverVer   = ${driverVerDate(d.date)},${d.version}`,
    `CatalogFile = ${d.cat}`,
    'PnpLockdown = 1',
    '',
    '[Manufacturer]',
    `%Mfg% = Models, ${decorations.join(', ')}`,
    '',
  ];
  for (const decoration of decorations) {
    lines.push(`[Models.${decoration}]`);
    for (const m of d.models) lines.push(`%${m.stringKey}% = Install, ${[m.hardwareId, ...m.compatibleIds].join(', ')}`);
    lines.push('');
  }
  lines.push('[Install.NT]', `CopyFiles = Driver.CopyFiles`);
  if (d.kind === 'net') {
    lines.push(
      'Characteristics    = 0x84 ; NCF_PHYSICAL | NCF_HAS_UI',
      'BusType            = 5    ; PCIBus',
      '*IfType            = 6    ; IF_TYPE_ETHERNET_CSMACD',
      '*MediaType         = 0    ; NdisMedium802_3',
      '*PhysicalMediaType = 14   ; NdisPhysicalMedium802_3',
      'AddReg             = Ndi.AddReg',
    );
  } else if (d.kind === 'storage') {
    lines.push('AddReg    = Storport.AddReg');
  } else {
    lines.push('FeatureScore = F6', 'AddReg       = Display.AddReg');
  }
  lines.push('', '[Install.NT.Services]', `AddService = ${d.service}, 0x00000002, Service.Install`, '');
  const boot = d.kind === 'storage';
  lines.push(
    '[Service.Install]',
    'DisplayName    = %ServiceDisplayName%',
    'ServiceType    = 1 ; SERVICE_KERNEL_DRIVER',
    `StartType      = ${boot ? '0 ; SERVICE_BOOT_START' : '3 ; SERVICE_DEMAND_START'}`,
    'ErrorControl   = 1 ; SERVICE_ERROR_NORMAL',
    `ServiceBinary  = %13%\\${d.sys}`,
  );
  if (d.kind === 'storage') lines.push('LoadOrderGroup = SCSI Miniport');
  if (d.kind === 'net') lines.push('LoadOrderGroup = NDIS');
  if (d.kind === 'display') lines.push('LoadOrderGroup = Video');
  lines.push('');
  if (d.kind === 'net') {
    lines.push(
      '[Ndi.AddReg]',
      `HKR, Ndi,            Service,    0, "${d.service}"`,
      'HKR, Ndi\\Interfaces, UpperRange, 0, "ndis5"',
      'HKR, Ndi\\Interfaces, LowerRange, 0, "ethernet"',
      '',
    );
  } else if (d.kind === 'storage') {
    lines.push(
      '[Storport.AddReg]',
      'HKR, Parameters,           BusType,      0x00010001, 0x00000011 ; BusTypeNvme',
      'HKR, Parameters\\Device,   EnableQueryAccessAlignment, 0x00010001, 1',
      '',
    );
  } else {
    lines.push('[Display.AddReg]', 'HKR,, VideoID, 0, "{D7B71EE2-1916-11CF-9A7E-00C04FD6DA1D}"', '');
  }
  lines.push(
    '[Driver.CopyFiles]',
    d.sys,
    '',
    '[DestinationDirs]',
    'Driver.CopyFiles = 13 ; the driver store',
    '',
    '[SourceDisksNames]',
    '1 = %DiskName%,,,""',
    '',
    '[SourceDisksFiles]',
    `${d.sys} = 1,,`,
    '',
    '[Strings]',
    `ProviderName       = "${d.provider}"`,
    `Mfg                = "${d.manufacturer}"`,
    `DiskName           = "${d.provider} driver installation disk"`,
    `ServiceDisplayName = "${d.serviceName}"`,
  );
  for (const m of d.models) lines.push(`${m.stringKey.padEnd(18)} = "${m.description}"`);
  return `${lines.join('\r\n')}\r\n`;
}

/** Writes every driver folder and `catalog.json` into `dir`; returns the catalog's path. */
export async function writeDrivers(dir: string): Promise<string> {
  for (const d of SOURCES) {
    const folder = join(dir, d.folder);
    await mkdir(folder, { recursive: true });
    const about = (file: string, what: string): string =>
      `OpenOSD test content: placeholder for ${file} (${what} of "${d.models[0].description}", ${d.provider}, ${d.version}). Not a driver binary.\r\n`;
    await writeFile(join(folder, d.inf), renderInf(d));
    await writeFile(join(folder, d.sys), about(d.sys, 'the driver'));
    await writeFile(join(folder, d.cat), about(d.cat, 'the signed catalog'));
  }
  const path = join(dir, DRIVER_CATALOG_FILE);
  await writeFile(path, `${JSON.stringify(driverCatalog(), null, 2)}\n`);
  return path;
}
