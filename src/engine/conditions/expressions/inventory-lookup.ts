/** Case-insensitive reads of WMI instances for the non-WQL condition types. */
import type { CimValue, MachineInventory } from '../../inventory.js';

export function classInstances(inv: MachineInventory, namespace: string, className: string): Array<Record<string, CimValue>> {
  const norm = (s: string): string => s.replace(/\//g, '\\').toLowerCase();
  const ns = Object.entries(inv.wmi ?? {}).find(([k]) => norm(k) === norm(namespace))?.[1];
  const cls = ns && Object.entries(ns).find(([k]) => k.toLowerCase() === className.toLowerCase())?.[1];
  return cls?.instances ?? [];
}

export function firstInstance(inv: MachineInventory, namespace: string, className: string): Record<string, CimValue> | undefined {
  return classInstances(inv, namespace, className)[0];
}

export function instanceValue(inst: Record<string, CimValue>, name: string): CimValue | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(inst)) if (k.toLowerCase() === lower) return v;
  return undefined;
}
