/**
 * A preinstalled lab machine's OS as its profile describes it, recorded in the OS's registry the
 * way Setup would have left it (src/actions/os/windows-setup.ts): computer name, time zone,
 * registered owner and organisation, workgroup or domain, the Administrator disabled, and the
 * profile's `currentOs.registry` keys under HKLM\SOFTWARE and HKLM\SYSTEM (users' keys are not
 * written: their hives are the user-state fixture's). So Capture Windows / Network Settings and registry detection read the disk, not the
 * profile (docs/full-os.md "Preinstalled lab machines").
 */
import type { VolumeFiles } from '../actions/computer.js';
import { OfflineRegistry, type RegistryValue } from '../actions/os/registry.js';
import { recordSetup, setAdministratorState } from '../actions/os/windows-setup.js';
import type { MachineProfile } from '../engine/machine-profile/schema.js';

type CurrentOs = NonNullable<MachineProfile['currentOs']>;

function valueOf(v: { type: string; data: string | number | string[] }): RegistryValue | undefined {
  switch (v.type) {
    case 'REG_SZ':
    case 'REG_EXPAND_SZ':
      return { type: v.type, data: String(v.data) };
    case 'REG_MULTI_SZ':
      return { type: 'REG_MULTI_SZ', data: Array.isArray(v.data) ? v.data : [String(v.data)] };
    case 'REG_DWORD':
      return { type: 'REG_DWORD', data: Number(v.data) >>> 0 };
    case 'REG_QWORD':
      return { type: 'REG_QWORD', data: BigInt(Math.trunc(Number(v.data))) };
    case 'REG_BINARY':
      return { type: 'REG_BINARY', data: Buffer.from(String(v.data).replace(/[^0-9a-f]/gi, ''), 'hex') };
    default:
      return undefined;
  }
}

/** Records `os` in the registry of its volume; returns the hive files written. */
export async function recordInstalledOs(files: VolumeFiles, os: CurrentOs): Promise<string[]> {
  const reg = await OfflineRegistry.open(files);
  await recordSetup(reg, {
    computerName: os.computerName || undefined,
    registeredOwner: os.registeredOwner,
    registeredOrganization: os.registeredOrganization,
    timeZone: os.timeZone,
    domain: os.domain,
    workgroup: os.domain ? undefined : (os.workgroup ?? 'WORKGROUP'),
  });
  await setAdministratorState(reg, 'disabled');
  for (const k of os.registry ?? []) {
    if (!/^HKEY_LOCAL_MACHINE\\(SOFTWARE|SYSTEM)(\\|$)/i.test(k.key)) continue;
    await reg.createKey(k.key);
    for (const [name, v] of Object.entries(k.values ?? {})) {
      const value = valueOf(v);
      if (value) await reg.setValue(k.key, name, value);
    }
  }
  return reg.save();
}
