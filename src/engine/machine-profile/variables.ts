/**
 * The read-only task sequence variables the engine derives from the machine at start and at
 * every resume (engine-semantics.md §7, §10; conditions-wql.md §5.1), and the Windows process
 * environment that `%var%` expansion falls back to. Hardware identity is read back from the
 * generated inventory, so WMI data a profile patches (e.g. a different Manufacturer) shows here too.
 */
import type { CimValue, MachineInventory } from '../inventory.js';
import { inventoryFor, requireOsFor } from './inventory.js';
import type { Architecture, Environment, MachineProfile } from './schema.js';
import { detectedWindows, viewOf } from './view.js';

/** Array variables use three-digit suffixes from 001 (task-sequence-format.md, Install Package style). */
function withList(out: Record<string, string>, name: string, values: string[]): void {
  if (!values.length) return;
  out[name] = values.join(',');
  values.forEach((v, i) => (out[`${name}${String(i + 1).padStart(3, '0')}`] = v));
}

function instances(inv: MachineInventory, ns: string, cls: string): Array<Record<string, CimValue>> {
  const nsKey = Object.keys(inv.wmi).find((k) => k.toLowerCase() === ns.toLowerCase());
  const classes = nsKey ? inv.wmi[nsKey] : {};
  const clsKey = Object.keys(classes).find((k) => k.toLowerCase() === cls.toLowerCase());
  return clsKey ? classes[clsKey].instances : [];
}

function prop(inst: Record<string, CimValue> | undefined, name: string): CimValue | undefined {
  if (!inst) return undefined;
  const k = Object.keys(inst).find((p) => p.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : inst[k];
}

function text(v: CimValue | undefined): string {
  return v === null || v === undefined || Array.isArray(v) ? '' : String(v);
}

function list(v: CimValue | undefined): string[] {
  return Array.isArray(v) ? v.map(String) : v === null || v === undefined || v === '' ? [] : [String(v)];
}

/**
 * `_SMSTSInWinPE`, `_SMSTSBootUEFI`, `_TSSecureBoot`, `_SMSTSWTG`, `_SMSTSMachineName`, the Set
 * Dynamic Variables identity set (`_SMSTSMake` … `_SMSTSDefaultGateways`, lists also as `…001`,
 * `…002`) and, in WinPE with a readable Windows on disk, `_OSDDetectedWinDir`/`_OSDDetectedWinDrive`.
 * Empty values are left out: an empty task sequence variable does not exist.
 */
export function builtInVariablesFor(profile: MachineProfile, environment: Environment): Record<string, string> {
  const inv = inventoryFor(profile, environment);
  const view = viewOf(profile, environment);
  const cs = instances(inv, 'root\\cimv2', 'Win32_ComputerSystem')[0];
  const out: Record<string, string> = {
    _SMSTSInWinPE: environment === 'winpe' ? 'true' : 'false',
    _SMSTSBootUEFI: profile.firmware === 'uefi' ? 'true' : 'false',
    _TSSecureBoot: profile.firmware === 'uefi' ? (profile.secureBoot ? 'Enabled' : 'Disabled') : 'NA',
    _SMSTSWTG: 'false',
    // The name the engine reports status under: the installed Windows's name when there is one (in WinPE too — a
    // refresh carries it over, a known computer gets it from its record), otherwise WinPE's MININT- name.
    _SMSTSMachineName: profile.currentOs?.computerName ?? (text(prop(cs, 'Name')) || view.computerName),
    _SMSTSMake: text(prop(cs, 'Manufacturer')),
    _SMSTSModel: text(prop(cs, 'Model')),
    _SMSTSSerialNumber: text(prop(instances(inv, 'root\\cimv2', 'Win32_BIOS')[0], 'SerialNumber')),
    _SMSTSAssetTag: text(prop(instances(inv, 'root\\cimv2', 'Win32_SystemEnclosure')[0], 'SMBIOSAssetTag')),
    _SMSTSUUID: text(prop(instances(inv, 'root\\cimv2', 'Win32_ComputerSystemProduct')[0], 'UUID')),
  };
  const enabled = instances(inv, 'root\\cimv2', 'Win32_NetworkAdapterConfiguration')
    .filter((a) => prop(a, 'IPEnabled') === true)
    .sort((a, b) => Number(prop(a, 'Index') ?? 0) - Number(prop(b, 'Index') ?? 0));
  const unique = (xs: string[]): string[] => [...new Set(xs)];
  withList(out, '_SMSTSMacAddresses', unique(enabled.flatMap((a) => list(prop(a, 'MACAddress')))));
  withList(out, '_SMSTSIPAddresses', unique(enabled.flatMap((a) => list(prop(a, 'IPAddress')))));
  withList(out, '_SMSTSDefaultGateways', unique(enabled.flatMap((a) => list(prop(a, 'DefaultIPGateway')))));
  const detected = detectedWindows(view);
  if (detected) {
    out._OSDDetectedWinDir = detected.dir;
    out._OSDDetectedWinDrive = detected.drive;
  }
  for (const [k, v] of Object.entries(out)) if (v === '') delete out[k];
  return out;
}

const PROCESSOR_ARCHITECTURE: Record<Architecture, string> = { x86: 'x86', x64: 'AMD64', arm64: 'ARM64' };

/**
 * The Windows process environment the task sequence engine runs with (Local System), which
 * `%SystemDrive%`, `%ComSpec%`, `%PROCESSOR_ARCHITECTURE%` … in step command lines fall back to.
 * Kept apart from the task sequence variables because these are not TS variables: they are not
 * read-only, not persisted, and differ per process.
 */
export function processEnvironmentFor(profile: MachineProfile, environment: Environment): Record<string, string> {
  requireOsFor(profile, environment);
  const view = viewOf(profile, environment);
  const os = view.os;
  const systemDrive = os ? os.installDrive : 'X:';
  const systemRoot = os ? os.windowsDirectory : 'X:\\windows';
  const env: Record<string, string> = {
    OS: 'Windows_NT',
    COMPUTERNAME: view.computerName,
    USERNAME: 'SYSTEM',
    USERDOMAIN: os?.netbiosDomain ?? os?.workgroup ?? 'WORKGROUP',
    PROCESSOR_ARCHITECTURE: PROCESSOR_ARCHITECTURE[view.osArch],
    NUMBER_OF_PROCESSORS: String(profile.processors.reduce((n, c) => n + c.logicalProcessors, 0)),
    SystemDrive: systemDrive,
    SystemRoot: systemRoot,
    windir: systemRoot,
    ComSpec: `${systemRoot}\\system32\\cmd.exe`,
    TEMP: `${systemRoot}\\TEMP`,
    TMP: `${systemRoot}\\TEMP`,
    ProgramData: `${systemDrive}\\ProgramData`,
    ProgramFiles: `${systemDrive}\\Program Files`,
    PATHEXT: '.COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC',
    Path: `${systemRoot}\\system32;${systemRoot};${systemRoot}\\System32\\Wbem;${systemRoot}\\System32\\WindowsPowerShell\\v1.0\\`,
  };
  if (view.osArch !== 'x86') {
    env['ProgramFiles(x86)'] = `${systemDrive}\\Program Files (x86)`;
    env.CommonProgramFiles = `${systemDrive}\\Program Files\\Common Files`;
  }
  if (os) env.USERPROFILE = `${systemRoot}\\system32\\config\\systemprofile`;
  return env;
}
