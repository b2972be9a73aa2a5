import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CimValue, MachineInventory } from '../../../src/engine/inventory.js';
import { parseMachineProfile, type MachineProfile } from '../../../src/engine/machine-profile/index.js';

export const EXAMPLES_DIR = join(__dirname, '../../../examples/machines');

export function exampleNames(): string[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

export function example(name: string): MachineProfile {
  const file = name.endsWith('.json') ? name : `${name}.json`;
  return parseMachineProfile(readFileSync(join(EXAMPLES_DIR, file), 'utf8'), file);
}

/** The smallest valid profile; tests spread their changes over it. */
export const MINIMAL = { schema: 'openosd.machine-profile/v1', name: 'test machine', make: 'Contoso', model: 'Model 1' } as const;

export function profile(extra: Record<string, unknown> = {}): MachineProfile {
  return parseMachineProfile(JSON.stringify({ ...MINIMAL, ...extra }, null, 2), 'test.json');
}

/** Instances of a class, namespace and class matched case-insensitively; undefined when the class is absent. */
export function classOf(inv: MachineInventory, ns: string, cls: string): Array<Record<string, CimValue>> | undefined {
  const nsKey = Object.keys(inv.wmi).find((k) => k.toLowerCase() === ns.toLowerCase());
  if (!nsKey) return undefined;
  const clsKey = Object.keys(inv.wmi[nsKey]).find((k) => k.toLowerCase() === cls.toLowerCase());
  return clsKey ? inv.wmi[nsKey][clsKey].instances : undefined;
}

export function cimv2(inv: MachineInventory, cls: string): Array<Record<string, CimValue>> {
  const out = classOf(inv, 'root\\cimv2', cls);
  if (!out) throw new Error(`no ${cls} in the inventory`);
  return out;
}

/** A profile with a Windows installation on a GPT disk, for tests that need one. */
export const WITH_OS = {
  firmware: 'uefi',
  disks: [
    {
      size: '128 GiB',
      partitions: [
        { type: 'efi', size: '100 MiB' },
        { type: 'msr', size: '16 MiB' },
        { type: 'basic', size: 'remaining', driveLetter: 'C:' },
        { type: 'recovery', size: '750 MiB' },
      ],
    },
  ],
  currentOs: { caption: 'Microsoft Windows 11 Pro', version: '10.0.22631', computerName: 'PC-1', edition: 'Professional' },
};
