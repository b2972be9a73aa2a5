/**
 * Registry conditions (conditions-wql §6.3, task-sequence-format §6): `exists` / `notExists`
 * (SDK spelling `nonExists`) test the key when no value name is given, else the value (and its
 * type when Type is set); comparisons compare Data with the value's data "regardless of type":
 * numerically when both are integers (0x hex accepted), else case-insensitive text; REG_MULTI_SZ
 * reads as its \0-joined text [I]. KeyPath is %VAR%-expanded; hives may be written long or short.
 */
import type { InventoryRegistryKey, MachineInventory, RegistryValueType } from '../../inventory.js';
import type { ConditionExpression } from '../../../sequence/model/task-sequence.js';
import { COMPARISON_NAMES, comparisonOperator, compareText, holds, parseInteger, prop, quote, unsetNote, unsetReferences } from '../compare.js';
import type { ConditionContext, ExpressionProblem, ExpressionResult } from '../types.js';

const HIVES: Record<string, string> = {
  hkey_local_machine: 'HKLM',
  hklm: 'HKLM',
  hkey_current_user: 'HKCU',
  hkcu: 'HKCU',
  hkey_classes_root: 'HKCR',
  hkcr: 'HKCR',
  hkey_users: 'HKU',
  hku: 'HKU',
  hkey_current_config: 'HKCC',
  hkcc: 'HKCC',
};

const VALUE_TYPES: RegistryValueType[] = ['REG_SZ', 'REG_EXPAND_SZ', 'REG_MULTI_SZ', 'REG_DWORD', 'REG_QWORD', 'REG_BINARY', 'REG_NONE'];

/** `HKEY_LOCAL_MACHINE\Software\X\` → `HKLM\Software\X`; undefined when the hive is unknown. */
export function normaliseKey(path: string): string | undefined {
  const parts = path.trim().replace(/\//g, '\\').split('\\').filter(Boolean);
  if (!parts.length) return undefined;
  const hive = HIVES[parts[0].toLowerCase()];
  return hive ? [hive, ...parts.slice(1)].join('\\') : undefined;
}

function findKey(inventory: MachineInventory, key: string): { entry?: InventoryRegistryKey; exists: boolean } {
  const want = key.toLowerCase();
  let exists = false;
  for (const k of inventory.registry ?? []) {
    const have = normaliseKey(k.key)?.toLowerCase();
    if (have === want) return { entry: k, exists: true };
    if (have?.startsWith(`${want}\\`)) exists = true;
  }
  return { exists };
}

type RegOp = 'exists' | 'notExists' | ReturnType<typeof comparisonOperator>;

function registryOperator(text: string | undefined): RegOp | undefined {
  const t = (text ?? '').trim().toLowerCase();
  if (t === 'exists') return 'exists';
  if (t === 'notexists' || t === 'nonexists') return 'notExists';
  return comparisonOperator(t);
}

export function checkRegistry(ex: ConditionExpression): ExpressionProblem[] {
  const out: ExpressionProblem[] = [];
  const keyPath = (prop(ex, 'KeyPath') ?? '').trim();
  if (!keyPath)
    out.push({ construct: 'expression', message: 'the registry condition has no KeyPath', hint: 'set KeyPath, e.g. HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso' });
  // A hive that comes from a variable can only be checked once expanded.
  else if (!keyPath.startsWith('%') && !normaliseKey(keyPath)) {
    out.push({
      construct: 'expression',
      message: `unknown registry hive in "${keyPath}"`,
      hint: 'start the key with HKEY_LOCAL_MACHINE (HKLM), HKEY_CURRENT_USER (HKCU), HKEY_CLASSES_ROOT (HKCR), HKEY_USERS (HKU) or HKEY_CURRENT_CONFIG (HKCC)',
    });
  }
  const op = prop(ex, 'Operator');
  if (!registryOperator(op)) {
    out.push({
      construct: 'operator',
      message: op?.trim() ? `unknown registry condition operator "${op.trim()}"` : 'the registry condition has no operator',
      hint: `use one of exists, notExists, ${COMPARISON_NAMES.join(', ')}`,
    });
  }
  const type = (prop(ex, 'Type') ?? '').trim();
  if (type && !VALUE_TYPES.includes(type.toUpperCase() as RegistryValueType)) {
    out.push({ construct: 'expression', message: `unknown registry value type "${type}"`, hint: `use one of ${VALUE_TYPES.join(', ')}` });
  }
  return out;
}

function dataText(data: string | number | string[]): string {
  return Array.isArray(data) ? data.join('\0') : String(data);
}

export function evaluateRegistry(ex: ConditionExpression, ctx: ConditionContext): ExpressionResult {
  const errors = checkRegistry(ex);
  if (errors.length) return { value: false, observed: errors[0].message, errors };
  const raw = prop(ex, 'KeyPath')!.trim();
  const note = unsetNote(unsetReferences(raw, ctx.variable));
  const key = normaliseKey(ctx.expand(raw));
  if (!key) {
    const problem: ExpressionProblem = {
      construct: 'expression',
      message: `unknown registry hive in "${ctx.expand(raw)}"${note}`,
      hint: 'the expanded KeyPath must start with a hive such as HKEY_LOCAL_MACHINE',
    };
    return { value: false, observed: problem.message, errors: [problem] };
  }
  const op = registryOperator(prop(ex, 'Operator'))!;
  const name = (prop(ex, 'Value') ?? '').trim();
  const type = (prop(ex, 'Type') ?? '').trim().toUpperCase();
  const { entry, exists: keyExists } = findKey(ctx.inventory, key);
  const where = name ? `${key}\\${name}` : key;
  const valueEntry = entry?.values
    ? Object.entries(entry.values).find(([n]) => n.toLowerCase() === name.toLowerCase() || (!name && n === '(Default)'))?.[1]
    : undefined;
  if (op === 'exists' || op === 'notExists') {
    let found: boolean;
    let observed: string;
    if (!name) {
      // No value name: the corpus tests a key this way (KeyPath …\$DEST$SOFTWARE, Type REG_SZ, no Value) — Type is moot.
      found = keyExists;
      observed = `key ${key} ${found ? 'exists' : `does not exist${note}`}`;
    } else if (!valueEntry) {
      found = false;
      observed = `${keyExists ? `value ${where}` : `key ${key}`} does not exist${note}`;
    } else {
      found = !type || valueEntry.type === type;
      observed = found ? `value ${where} exists (${valueEntry.type})` : `value ${where} is ${valueEntry.type}, not ${type}`;
    }
    return { value: op === 'exists' ? found : !found, observed };
  }
  if (!valueEntry) return { value: false, observed: `${keyExists ? `value ${where}` : `key ${key}`} does not exist${note}` };
  const data = (prop(ex, 'Data') ?? '').trim();
  const actual = dataText(valueEntry.data);
  const a = typeof valueEntry.data === 'number' ? BigInt(Math.trunc(valueEntry.data)) : parseInteger(actual);
  const b = parseInteger(data);
  const numeric = a !== undefined && b !== undefined;
  const c = numeric ? (a < b ? -1 : a > b ? 1 : 0) : compareText(actual, data);
  const shown = Array.isArray(valueEntry.data) ? JSON.stringify(valueEntry.data) : quote(actual);
  return { value: holds(op!, c), observed: `${where} is ${shown} (${valueEntry.type})${numeric ? ', compared as numbers' : ''}` };
}
