/**
 * Installed software conditions (conditions-wql §6.4): `ThisVersion` ⇔ the MSI with ProductCode is
 * installed; `AnyVersion` ⇔ some product with UpgradeCode is installed [D]. GUIDs compare
 * case-insensitively with or without braces [I]. Version and ProductName are informational.
 */
import type { InventoryMsiProduct } from '../../inventory.js';
import type { ConditionExpression } from '../../../sequence/model/task-sequence.js';
import { prop } from '../compare.js';
import type { ConditionContext, ExpressionProblem, ExpressionResult } from '../types.js';

export const guidKey = (g: string | undefined): string =>
  (g ?? '')
    .trim()
    .replace(/^\{|\}$/g, '')
    .toUpperCase();

function operatorOf(ex: ConditionExpression): 'AnyVersion' | 'ThisVersion' | undefined {
  const t = (prop(ex, 'Operator') ?? '').trim().toLowerCase();
  return t === 'anyversion' ? 'AnyVersion' : t === 'thisversion' ? 'ThisVersion' : undefined;
}

export function checkSoftware(ex: ConditionExpression): ExpressionProblem[] {
  const op = operatorOf(ex);
  const raw = (prop(ex, 'Operator') ?? '').trim();
  if (!op)
    return [
      {
        construct: 'operator',
        message: raw ? `unknown software condition operator "${raw}"` : 'the software condition has no operator',
        hint: 'use AnyVersion (with UpgradeCode) or ThisVersion (with ProductCode)',
      },
    ];
  const code = op === 'AnyVersion' ? prop(ex, 'UpgradeCode') || prop(ex, 'ProductCode') : prop(ex, 'ProductCode');
  if (!guidKey(code))
    return [
      {
        construct: 'expression',
        message: `the software condition has no ${op === 'AnyVersion' ? 'UpgradeCode' : 'ProductCode'}`,
        hint: 'set the MSI product or upgrade code',
      },
    ];
  return [];
}

const label = (p: InventoryMsiProduct): string => `${p.name} ${p.version} {${guidKey(p.productCode)}}`;

export function evaluateSoftware(ex: ConditionExpression, ctx: ConditionContext): ExpressionResult {
  const errors = checkSoftware(ex);
  if (errors.length) return { value: false, observed: errors[0].message, errors };
  const products = ctx.inventory.msiProducts ?? [];
  if (operatorOf(ex) === 'ThisVersion') {
    const code = guidKey(prop(ex, 'ProductCode'));
    const p = products.find((x) => guidKey(x.productCode) === code);
    return { value: !!p, observed: p ? `installed: ${label(p)}` : `no installed MSI product has ProductCode {${code}}` };
  }
  // AnyVersion without an UpgradeCode falls back to the ProductCode's family [I].
  const upgrade = guidKey(prop(ex, 'UpgradeCode'));
  const matches = upgrade
    ? products.filter((x) => guidKey(x.upgradeCode) === upgrade)
    : products.filter((x) => guidKey(x.productCode) === guidKey(prop(ex, 'ProductCode')));
  const which = upgrade ? `UpgradeCode {${upgrade}}` : `ProductCode {${guidKey(prop(ex, 'ProductCode'))}}`;
  return { value: matches.length > 0, observed: matches.length ? `installed: ${matches.map(label).join(', ')}` : `no installed MSI product has ${which}` };
}
