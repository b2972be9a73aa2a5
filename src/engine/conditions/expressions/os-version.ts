/**
 * MDT's OS version condition, `SMS_TaskSequence_OSConditionExpression` (task-sequence-format §6):
 * Architecture (X86/X64/ARM64), Version, Operator, answered from Win32_OperatingSystem. Versions
 * compare component-wise over the components the condition gives (`10.0` equals 10.0.19045);
 * the fourth component is the service pack. A two-digit minor written like the ConfigMgr platform
 * list (`6.10` = 6.1, `10.00` = 10.0) is read that way [I: format not in the corpus].
 */
import type { CimValue, MachineInventory } from '../../inventory.js';
import type { ConditionExpression } from '../../../sequence/model/task-sequence.js';
import { COMPARISON_NAMES, comparisonOperator, compareVersions, holds, parseVersion, prop } from '../compare.js';
import type { ConditionContext, ExpressionProblem, ExpressionResult } from '../types.js';
import { firstInstance, instanceValue } from './inventory-lookup.js';

const ARCHES: Record<string, string> = { x86: 'x86', i386: 'x86', x64: 'x64', amd64: 'x64', x86_64: 'x64', arm64: 'arm64', arm: 'arm', ia64: 'ia64' };

export function checkOsVersion(ex: ConditionExpression): ExpressionProblem[] {
  const out: ExpressionProblem[] = [];
  const op = (prop(ex, 'Operator') ?? '').trim();
  if (!comparisonOperator(op))
    out.push({
      construct: 'operator',
      message: op ? `unknown OS condition operator "${op}"` : 'the OS condition has no operator',
      hint: `use one of ${COMPARISON_NAMES.join(', ')}`,
    });
  const version = (prop(ex, 'Version') ?? '').trim();
  if (!parseVersion(version))
    out.push({
      construct: 'expression',
      message: `OS version "${version}" is not a dotted version`,
      hint: 'write it as major.minor.build[.servicepack], e.g. 10.0.19045',
    });
  const arch = (prop(ex, 'Architecture') ?? '').trim();
  if (arch && !ARCHES[arch.toLowerCase()]) out.push({ construct: 'expression', message: `unknown architecture "${arch}"`, hint: 'use X86, X64 or ARM64' });
  return out;
}

function conditionVersion(text: string): bigint[] {
  return text
    .trim()
    .split('.')
    .map((p, i) => (i === 1 && p.length === 2 && p.endsWith('0') ? BigInt(p) / 10n : BigInt(p)));
}

function machineArch(inv: MachineInventory, os: Record<string, CimValue>): string | undefined {
  const text = String(instanceValue(os, 'OSArchitecture') ?? '');
  if (/arm\s*64/i.test(text)) return 'arm64';
  if (/64/.test(text)) return 'x64';
  if (/32/.test(text)) return 'x86';
  const cpu = firstInstance(inv, 'root\\cimv2', 'Win32_Processor');
  const a = cpu ? Number(instanceValue(cpu, 'Architecture')) : NaN;
  return ({ 0: 'x86', 5: 'arm', 6: 'ia64', 9: 'x64', 12: 'arm64' } as Record<number, string>)[a];
}

export function evaluateOsVersion(ex: ConditionExpression, ctx: ConditionContext): ExpressionResult {
  const errors = checkOsVersion(ex);
  if (errors.length) return { value: false, observed: errors[0].message, errors };
  const os = firstInstance(ctx.inventory, 'root\\cimv2', 'Win32_OperatingSystem');
  if (!os) return { value: false, observed: 'no Win32_OperatingSystem instance on this machine' };
  const have = parseVersion(String(instanceValue(os, 'Version') ?? ''));
  if (!have) return { value: false, observed: `Win32_OperatingSystem.Version is ${JSON.stringify(instanceValue(os, 'Version') ?? null)}` };
  const sp = BigInt(Number(instanceValue(os, 'ServicePackMajorVersion') ?? 0) || 0);
  const machine = [...have.slice(0, 3), ...Array(Math.max(0, 3 - have.length)).fill(0n), sp];
  const want = conditionVersion(prop(ex, 'Version')!);
  const op = comparisonOperator(prop(ex, 'Operator'))!;
  const versionOk = holds(op, compareVersions(machine.slice(0, want.length), want));
  const archWanted = (prop(ex, 'Architecture') ?? '').trim();
  const arch = machineArch(ctx.inventory, os);
  const archOk = !archWanted || ARCHES[archWanted.toLowerCase()] === arch;
  return {
    value: versionOk && archOk,
    observed: `the OS is ${have.join('.')} SP${sp} ${arch ?? 'unknown architecture'}${archOk ? '' : ` (not ${archWanted})`}`,
  };
}
