/** Shared inventories and builders for the condition tests (conditions-wql §5 example inventory). */
import type { MachineInventory } from '../../../src/engine/inventory.js';
import type { ConditionContext, ConditionOptions } from '../../../src/engine/conditions/index.js';
import type { Condition, ConditionExpression, ConditionNode, ConditionOperator } from '../../../src/sequence/model/task-sequence.js';

/** The §5 example: a Dell Latitude E7270 laptop in WinPE. */
export function exampleInventory(): MachineInventory {
  return {
    schema: 'openosd.inventory/v1',
    capturedAt: '2024-05-02T09:14:00Z',
    environment: 'winpe',
    source: 'fixture',
    wmi: {
      'root\\cimv2': {
        Win32_ComputerSystem: {
          instances: [{ Manufacturer: 'Dell Inc.', Model: 'Latitude E7270', PCSystemType: 2, TotalPhysicalMemory: '17055879168', PartOfDomain: false }],
        },
        Win32_SystemEnclosure: { instances: [{ ChassisTypes: [9, 10], SMBIOSAssetTag: 'A-00417' }] },
        Win32_Battery: { instances: [{ BatteryStatus: 2 }] },
        Win32_LogicalDisk: {
          instances: [
            { DeviceID: 'X:', DriveType: 3, FileSystem: 'NTFS' },
            { DeviceID: 'C:', DriveType: 3, FileSystem: 'NTFS', Size: '255465615360', FreeSpace: '120000000000' },
          ],
        },
        Win32_DiskPartition: {
          instances: [
            { DiskIndex: 0, Index: 0, Type: 'GPT: System' },
            { DiskIndex: 0, Index: 1, Type: 'GPT: Basic Data' },
          ],
        },
      },
    },
  };
}

export function withClass(inv: MachineInventory, cls: string, instances: Array<Record<string, unknown>>, ns = 'root\\cimv2'): MachineInventory {
  const copy: MachineInventory = structuredClone(inv);
  copy.wmi[ns] ??= {};
  copy.wmi[ns][cls] = { instances: instances as never };
  return copy;
}

export function hpInventory(): MachineInventory {
  const inv = exampleInventory();
  inv.wmi['root\\cimv2'].Win32_ComputerSystem.instances = [{ Manufacturer: 'HP', Model: 'HP EliteBook 840 G8', PCSystemType: 2, PartOfDomain: true }];
  return inv;
}

export function context(vars: Record<string, string> = {}, inventory: MachineInventory = exampleInventory(), options?: ConditionOptions): ConditionContext {
  const map = new Map(Object.entries(vars).map(([k, v]) => [k.toLowerCase(), v]));
  const variable = (n: string): string | undefined => map.get(n.trim().toLowerCase());
  return {
    variable,
    // As the engine does: unknown references stay as written (engine-semantics §6).
    expand: (t) => t.replace(/%([A-Za-z0-9_-]{1,256})%/g, (whole, n: string) => variable(n) ?? whole),
    inventory,
    options,
  };
}

export function expr(type: string, props: Record<string, string>): ConditionExpression {
  const t = type.startsWith('SMS_') ? type : `SMS_TaskSequence_${type}ConditionExpression`;
  return { kind: 'expression', type: t, properties: Object.entries(props).map(([name, value]) => ({ name, value })) };
}

export const varExpr = (variable: string, operator: string, value = ''): ConditionExpression =>
  expr('Variable', { Variable: variable, Operator: operator, Value: value });
export const wmi = (query: string, namespace = 'root\\cimv2'): ConditionExpression => expr('WMI', { Namespace: namespace, Query: query });
export const op = (operator: string, ...operands: ConditionNode[]): ConditionOperator => ({ kind: 'operator', operator, operands });
export const cond = (...operands: ConditionNode[]): Condition => ({ operands });
