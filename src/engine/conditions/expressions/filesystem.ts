/**
 * File and Folder conditions (conditions-wql §6.1–§6.2): existence, file version and last-modified
 * time compared with an operator. Paths are %VAR%-expanded first [D]; an unset variable is named
 * in the trace (§6.2). Paths compare case-insensitively with `/` read as `\`; a folder also exists
 * when the inventory lists something inside it [I]. DateTime is DMTF in UTC, compared to the
 * second (the editor picks whole seconds) [I].
 */
import type { InventoryFile, MachineInventory } from '../../inventory.js';
import type { ConditionExpression } from '../../../sequence/model/task-sequence.js';
import {
  COMPARISON_NAMES,
  comparisonOperator,
  compareVersions,
  holds,
  parseVersion,
  prop,
  unsetNote,
  unsetReferences,
  type ComparisonOperator,
} from '../compare.js';
import type { ConditionContext, ExpressionProblem, ExpressionResult } from '../types.js';
import { parseDmtf, parseTimestamp } from '../wql/values.js';

/** `C:/X//y\` → `c:\x\y`; keeps a leading `\\` (UNC); drops `\\?\`. */
export function normalisePath(path: string): string {
  let s = path.trim().replace(/\//g, '\\');
  s = s.replace(/^\\\\\?\\/, '');
  const unc = s.startsWith('\\\\');
  s = s.replace(/\\{2,}/g, '\\').replace(/\\+$/, '');
  if (unc) s = `\\${s.startsWith('\\') ? s : `\\${s}`}`;
  return s.toLowerCase();
}

export function findPath(inventory: MachineInventory, path: string): { entry?: InventoryFile; implicitFolder: boolean } {
  const want = normalisePath(path);
  if (!want) return { implicitFolder: false };
  let implicitFolder = false;
  for (const f of inventory.files ?? []) {
    const p = normalisePath(f.path);
    if (p === want) return { entry: f, implicitFolder: false };
    if (p.startsWith(`${want}\\`)) implicitFolder = true;
  }
  return { implicitFolder };
}

const OPERATOR_HINT = `use one of ${COMPARISON_NAMES.join(', ')}`;

function checkTests(ex: ConditionExpression, withVersion: boolean): ExpressionProblem[] {
  const out: ExpressionProblem[] = [];
  if (!(prop(ex, 'Path') ?? '').trim())
    out.push({ construct: 'expression', message: 'the condition has no Path', hint: 'set Path to the file or folder to test' });
  const version = (prop(ex, 'Version') ?? '').trim();
  if (withVersion && version) {
    if (!parseVersion(version))
      out.push({
        construct: 'expression',
        message: `Version "${version}" is not a dotted version such as 10.0.19041.1`,
        hint: 'write the version as numbers separated by dots',
      });
    const op = prop(ex, 'VersionOperator');
    if (op !== undefined && op.trim() && !comparisonOperator(op))
      out.push({ construct: 'operator', message: `unknown VersionOperator "${op.trim()}"`, hint: OPERATOR_HINT });
  }
  const dt = (prop(ex, 'DateTime') ?? '').trim();
  if (dt) {
    if (parseDmtf(dt) === undefined)
      out.push({ construct: 'expression', message: `DateTime "${dt}" is not a DMTF timestamp`, hint: 'write it as yyyymmddHHMMSS.000000+000 (UTC)' });
    const op = prop(ex, 'DateTimeOperator');
    if (op !== undefined && op.trim() && !comparisonOperator(op))
      out.push({ construct: 'operator', message: `unknown DateTimeOperator "${op.trim()}"`, hint: OPERATOR_HINT });
  }
  return out;
}

export const checkFile = (ex: ConditionExpression): ExpressionProblem[] => checkTests(ex, true);
export const checkFolder = (ex: ConditionExpression): ExpressionProblem[] => checkTests(ex, false);

const opOf = (ex: ConditionExpression, name: string): ComparisonOperator => comparisonOperator(prop(ex, name) || 'equals') ?? 'equals';

function timeTest(ex: ConditionExpression, entry: InventoryFile | undefined, what: string): { value: boolean; observed: string } | undefined {
  const dt = (prop(ex, 'DateTime') ?? '').trim();
  if (!dt) return undefined;
  const op = opOf(ex, 'DateTimeOperator');
  const modified = entry?.modifiedUtc ? parseTimestamp(entry.modifiedUtc) : undefined;
  if (modified === undefined) return { value: false, observed: `${what}: modification time unknown` };
  const want = parseDmtf(dt)! / 1_000_000n;
  const have = modified / 1_000_000n;
  return { value: holds(op, have < want ? -1 : have > want ? 1 : 0), observed: `${what} was modified ${entry!.modifiedUtc} (UTC), tested ${op} ${dt}` };
}

export function evaluateFile(ex: ConditionExpression, ctx: ConditionContext): ExpressionResult {
  return evaluatePath(ex, ctx, 'file');
}

export function evaluateFolder(ex: ConditionExpression, ctx: ConditionContext): ExpressionResult {
  return evaluatePath(ex, ctx, 'folder');
}

function evaluatePath(ex: ConditionExpression, ctx: ConditionContext, kind: 'file' | 'folder'): ExpressionResult {
  const errors = kind === 'file' ? checkFile(ex) : checkFolder(ex);
  if (errors.length) return { value: false, observed: errors[0].message, errors };
  const raw = prop(ex, 'Path')!.trim();
  const path = ctx.expand(raw).trim();
  const note = unsetNote(unsetReferences(raw, ctx.variable));
  const { entry, implicitFolder } = findPath(ctx.inventory, path);
  const isDir = entry ? entry.kind === 'dir' : implicitFolder;
  const exists = kind === 'file' ? entry?.kind === 'file' : isDir;
  const what = `${kind} ${path}`;
  if (!exists) {
    const other = kind === 'file' && isDir ? ' (it is a folder)' : kind === 'folder' && entry?.kind === 'file' ? ' (it is a file)' : '';
    return { value: false, observed: `${what} does not exist${other}${note}` };
  }
  const seen: string[] = [];
  let value = true;
  const version = (prop(ex, 'Version') ?? '').trim();
  if (kind === 'file' && version) {
    const op = opOf(ex, 'VersionOperator');
    const have = entry?.version ? parseVersion(entry.version) : undefined;
    if (!have) {
      value = false;
      seen.push(`${what} has no ${entry?.version ? 'numeric ' : ''}version information${entry?.version ? ` ("${entry.version}")` : ''}`);
    } else {
      const ok = holds(op, compareVersions(have, parseVersion(version)!));
      value &&= ok;
      seen.push(`${what} has version ${entry!.version}, tested ${op} ${version}`);
    }
  }
  const t = timeTest(ex, entry, what);
  if (t) {
    value &&= t.value;
    seen.push(t.observed);
  }
  return { value, observed: seen.length ? seen.join('; ') : `${what} exists` };
}
