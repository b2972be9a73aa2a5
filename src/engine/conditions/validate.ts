/**
 * Checks a condition without a machine, for lint and for the simulator's up-front refusal:
 * `validateCondition` returns what can never be evaluated (WQL syntax, WMI constants of the wrong
 * type for a catalogued class, unknown expression types and operators, unparsed XML, missing
 * properties); `conditionWarnings` returns what may be wrong (conditions-wql §8: unknown class or
 * property, array comparisons, an empty operator followed by siblings).
 */
import { describeConditionNode } from '../../sequence/condition/describe.js';
import type { Condition, ConditionNode } from '../../sequence/model/task-sequence.js';
import { prop } from './compare.js';
import { isIgnorableRaw, LOGICAL_OPERATORS, rawProblem, unknownOperatorProblem, unknownTypeProblem } from './evaluate.js';
import { expressionKind } from './expressions/kinds.js';
import type { ConditionError, ExpressionProblem } from './types.js';
import { checkWqlAgainstCatalog, normaliseNamespace, type WqlOptions } from './wql/evaluate.js';
import { tryParseWql } from './wql/parser.js';

function walk(condition: Condition | undefined, visit: (node: ConditionNode, path: number[], siblings: ConditionNode[]) => void): void {
  const go = (nodes: ConditionNode[], path: number[]): void => {
    nodes.forEach((n, i) => {
      visit(n, [...path, i], nodes);
      if (n.kind === 'operator') go(n.operands, [...path, i]);
    });
  };
  if (condition) go(condition.operands, []);
}

const textOf = (n: ConditionNode): string => describeConditionNode(n);

export function validateCondition(condition: Condition | undefined, options: WqlOptions = {}): ConditionError[] {
  const out: ConditionError[] = [];
  const add = (n: ConditionNode, path: number[], problems: ExpressionProblem[]): void => {
    for (const p of problems) out.push({ ...p, text: textOf(n), path, severity: 'error' });
  };
  walk(condition, (n, path) => {
    if (n.kind === 'raw') {
      if (!isIgnorableRaw(n)) add(n, path, [rawProblem(n)]);
    } else if (n.kind === 'operator') {
      if (!LOGICAL_OPERATORS.includes(n.operator.trim().toLowerCase())) add(n, path, [unknownOperatorProblem(n)]);
    } else {
      const kind = expressionKind(n.type);
      if (!kind) add(n, path, [unknownTypeProblem(n)]);
      else add(n, path, kind.check(n));
      if (kind?.kind === 'WMI' && options.arrayMode === 'error') {
        // Array comparisons are only certain errors when the caller pins arrayMode "error" (§2.4).
        const parsed = tryParseWql(prop(n, 'Query') ?? '');
        const ns = normaliseNamespace(prop(n, 'Namespace') ?? '');
        if (parsed.ok && typeof ns === 'string') {
          const r = checkWqlAgainstCatalog(ns, parsed.query, { ...options, unknownProperty: 'warn' });
          if (r.error && !out.some((e) => e.path.join() === path.join())) {
            out.push({
              construct: 'WQL query',
              text: textOf(n),
              path,
              severity: 'error',
              message: r.error.describe(),
              code: r.error.code,
              codeName: r.error.codeName,
              column: r.error.column,
              hint: r.error.hint,
              rule: 'WQL_ARRAY_COMPARISON',
            });
          }
        }
      }
    }
  });
  return out;
}

export interface WarningOptions extends WqlOptions {
  /** Whether a name is a task sequence variable the sequence defines; enables WQL_VAR_IN_QUERY (§1). */
  isVariable?(name: string): boolean;
}

export function conditionWarnings(condition: Condition | undefined, options: WarningOptions = {}): ConditionError[] {
  const out: ConditionError[] = [];
  const warn = (n: ConditionNode, path: number[], rule: string, message: string, hint?: string): void => {
    out.push({ construct: n.kind === 'operator' ? 'logical operator' : 'WQL query', text: textOf(n), path, severity: 'warning', rule, message, hint });
  };
  walk(condition, (n, path, siblings) => {
    if (n.kind === 'operator') {
      const kids = n.operands.filter((k) => !(k.kind === 'raw' && isIgnorableRaw(k)));
      const others = siblings.filter((s) => s !== n && !(s.kind === 'raw' && isIgnorableRaw(s)));
      const t = n.operator.trim().toLowerCase();
      if (!kids.length && others.length && LOGICAL_OPERATORS.includes(t)) {
        // The corpus HP BIOS step (conditions-wql §3): evaluated literally, the step can never run.
        warn(
          n,
          path,
          'COND_EMPTY_OPERATOR_WITH_SIBLINGS',
          `an empty ${t} (${t === 'and' ? 'true' : 'false'} when read literally, engine-semantics §4) is followed by ${others.length} sibling operand(s) that were probably meant to be inside it`,
          `move the sibling operands into the ${t} operator`,
        );
      }
      return;
    }
    if (n.kind !== 'expression' || expressionKind(n.type)?.kind !== 'WMI') return;
    const query = prop(n, 'Query') ?? '';
    // Queries are not %VAR%-expanded (§1); `%Name%` naming a real variable was probably meant to be.
    for (const m of query.matchAll(/%([A-Za-z_][A-Za-z0-9_-]*)%/g)) {
      if (options.isVariable?.(m[1])) {
        warn(
          n,
          path,
          'WQL_VAR_IN_QUERY',
          `the query contains %${m[1]}%, which is not expanded in WMI conditions: it is a LIKE pattern here`,
          'use a variable condition, or write the value into the query',
        );
      }
    }
    const parsed = tryParseWql(query);
    const ns = normaliseNamespace(prop(n, 'Namespace') ?? '');
    if (!parsed.ok || typeof ns !== 'string') return;
    const r = checkWqlAgainstCatalog(ns, parsed.query, { arrayMode: 'any', unknownProperty: 'warn', unknownClass: options.unknownClass });
    if (!r.catalogued) {
      warn(
        n,
        path,
        'WQL_UNKNOWN_CLASS',
        `${parsed.query.className} is not in the built-in class catalog (${ns})`,
        'fine for vendor classes; check the spelling otherwise',
      );
      return;
    }
    for (const w of r.warnings) {
      if (/has no property/.test(w)) warn(n, path, 'WQL_UNKNOWN_PROPERTY', w);
      else warn(n, path, 'WQL_ARRAY_COMPARISON', w, 'detect laptops with Win32_Battery or Win32_ComputerSystem.PCSystemType = 2 instead');
    }
  });
  return out;
}
