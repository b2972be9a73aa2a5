/**
 * What the engine knows about the computer it runs on, as data: WMI classes and instances per
 * namespace, files and folders, registry keys, installed MSI products. The agent captures it from
 * the real machine; the simulator builds it from a machine profile. Conditions are evaluated
 * against it. Format and encoding rules: conditions-wql.md §5 (schema `openosd.inventory/v1`).
 */

export type CimScalar =
  | 'string'
  | 'char16'
  | 'boolean'
  | 'datetime'
  | 'reference'
  | 'uint8'
  | 'sint8'
  | 'uint16'
  | 'sint16'
  | 'uint32'
  | 'sint32'
  | 'uint64'
  | 'sint64'
  | 'real32'
  | 'real64';

export interface CimPropertyDecl {
  type: CimScalar;
  array?: boolean;
  key?: boolean;
}

/** uint64/sint64 are decimal strings; datetime is a DMTF string; null or absent is WMI NULL. */
export type CimValue = string | number | boolean | null | Array<string | number | boolean>;

export interface WmiClassData {
  /** Optional: the built-in catalog supplies Win32_* schemas. */
  properties?: Record<string, CimPropertyDecl>;
  /** Property names are matched case-insensitively. */
  instances: Array<Record<string, CimValue>>;
}

export type RegistryValueType = 'REG_SZ' | 'REG_EXPAND_SZ' | 'REG_MULTI_SZ' | 'REG_DWORD' | 'REG_QWORD' | 'REG_BINARY' | 'REG_NONE';

export interface InventoryFile {
  path: string;
  kind: 'file' | 'dir';
  version?: string;
  /** ISO 8601, UTC. */
  modifiedUtc?: string;
}

export interface InventoryRegistryKey {
  /** e.g. HKEY_LOCAL_MACHINE\SOFTWARE\Contoso (HKLM\… accepted). */
  key: string;
  values?: Record<string, { type: RegistryValueType; data: string | number | string[] }>;
}

export interface InventoryMsiProduct {
  productCode: string;
  upgradeCode?: string;
  name: string;
  version: string;
}

export interface MachineInventory {
  schema: 'openosd.inventory/v1';
  capturedAt?: string;
  environment: 'winpe' | 'fullos';
  source: 'agent' | 'fixture' | 'import' | 'profile';
  /** namespace (e.g. "root\\cimv2") → class → data; both matched case-insensitively. */
  wmi: Record<string, Record<string, WmiClassData>>;
  files?: InventoryFile[];
  registry?: InventoryRegistryKey[];
  msiProducts?: InventoryMsiProduct[];
}
