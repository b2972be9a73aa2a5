/**
 * Computer conditions, used only by Set Dynamic Variables rules (conditions-wql §6.7): true when
 * any non-empty key matches the machine — AssetTag vs _SMSTSAssetTag, SerialNumber vs
 * _SMSTSSerialNumber, UUID vs _SMSTSUUID, MACAddress vs any of _SMSTSMacAddresses [D "any match"].
 * When those variables are not set (yet) the same facts are read from the inventory (§5.1) [I].
 * All keys empty ⇒ false [I].
 */
import type { ConditionExpression } from '../../../sequence/model/task-sequence.js';
import { prop, quote } from '../compare.js';
import type { ConditionContext, ExpressionResult } from '../types.js';
import { classInstances, firstInstance, instanceValue } from './inventory-lookup.js';
import { guidKey } from './software.js';

const macKey = (m: string): string => m.replace(/[\s:.-]/g, '').toUpperCase();
const textKey = (s: string): string => s.trim().toUpperCase();

function fromInventory(ctx: ConditionContext, cls: string, property: string): string | undefined {
  const inst = firstInstance(ctx.inventory, 'root\\cimv2', cls);
  const v = inst && instanceValue(inst, property);
  return typeof v === 'string' && v.trim() ? v : undefined;
}

/** _SMSTSMacAddresses as a list (`a,b` or `…001`, `…002` array variables), else the IP-enabled adapters. */
function machineMacs(ctx: ConditionContext): string[] {
  const out: string[] = [];
  const whole = ctx.variable('_SMSTSMacAddresses');
  if (whole) out.push(...whole.split(/[,;\s]+/).filter(Boolean));
  for (let i = 1; i < 1000; i++) {
    const v = ctx.variable(`_SMSTSMacAddresses${String(i).padStart(3, '0')}`);
    if (v === undefined) break;
    out.push(v);
  }
  if (out.length) return out;
  for (const inst of classInstances(ctx.inventory, 'root\\cimv2', 'Win32_NetworkAdapterConfiguration')) {
    const mac = instanceValue(inst, 'MACAddress');
    if (instanceValue(inst, 'IPEnabled') !== false && typeof mac === 'string' && mac) out.push(mac);
  }
  return out;
}

export function evaluateComputer(ex: ConditionExpression, ctx: ConditionContext): ExpressionResult {
  const tests: Array<{ key: string; want: string; have: string[]; norm: (s: string) => string }> = [];
  const add = (key: string, have: () => string[], norm: (s: string) => string): void => {
    const want = (prop(ex, key) ?? '').trim();
    if (want) tests.push({ key, want, have: have(), norm });
  };
  const one = (variable: string, cls: string, property: string) => (): string[] => {
    const v = ctx.variable(variable) ?? fromInventory(ctx, cls, property);
    return v === undefined ? [] : [v];
  };
  add('AssetTag', one('_SMSTSAssetTag', 'Win32_SystemEnclosure', 'SMBIOSAssetTag'), textKey);
  add('SerialNumber', one('_SMSTSSerialNumber', 'Win32_BIOS', 'SerialNumber'), textKey);
  add('UUID', one('_SMSTSUUID', 'Win32_ComputerSystemProduct', 'UUID'), guidKey);
  add('MACAddress', () => machineMacs(ctx), macKey);
  if (!tests.length) return { value: false, observed: 'the rule names no computer (AssetTag, MACAddress, SerialNumber and UUID are empty)' };
  const hit = tests.find((t) => t.have.some((h) => t.norm(h) === t.norm(t.want)));
  if (hit) return { value: true, observed: `${hit.key} ${quote(hit.want)} matches this computer` };
  const seen = tests.map((t) => `${t.key} ${quote(t.want)} vs ${t.have.length ? t.have.map(quote).join(', ') : 'unknown'}`);
  return { value: false, observed: `no key matches: ${seen.join('; ')}` };
}
