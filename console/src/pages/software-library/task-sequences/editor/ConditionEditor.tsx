/**
 * The conditions of a group or step, built as a tree: the top level is AND-ed (as ConfigMgr's
 * `<condition>`); If statements (All / Any / None) hold their own conditions; each condition kind
 * has its fields, validated as they are typed. Keyboard: every control is a native one in order.
 */
import { useState } from 'react';
import { Field } from '../../../../components/Field';
import {
  choiceValue,
  describeNode,
  EXPRESSION_KINDS,
  expressionErrors,
  fieldShown,
  IF_STATEMENTS,
  kindOfType,
  newExpression,
  setValue,
  valuesOf,
} from './conditions';
import type { Condition, ConditionNode } from './model';

export interface ConditionEditorProps {
  condition: Condition | undefined;
  readOnly: boolean;
  onChange: (condition: Condition | undefined) => void;
}

type Path = number[];

function updateAt(list: ConditionNode[], path: Path, change: (n: ConditionNode | undefined) => ConditionNode | undefined): ConditionNode[] {
  const [i, ...rest] = path;
  if (i === undefined) return list;
  const out = [...list];
  if (rest.length === 0) {
    const next = change(out[i]);
    if (next === undefined) out.splice(i, 1);
    else out[i] = next;
    return out;
  }
  const node = out[i];
  if (node?.kind !== 'operator') return list;
  out[i] = { ...node, operands: updateAt(node.operands, rest, change) };
  return out;
}

export function ConditionEditor({ condition, readOnly, onChange }: ConditionEditorProps) {
  const operands = condition?.operands ?? [];
  const set = (next: ConditionNode[]) =>
    onChange(next.length || (condition && Object.keys(condition).length > 1) ? { ...(condition ?? {}), operands: next } : undefined);
  const change = (path: Path, fn: (n: ConditionNode | undefined) => ConditionNode | undefined) => set(updateAt(operands, path, fn));
  const add = (path: Path, node: ConditionNode) => {
    if (path.length === 0) set([...operands, node]);
    else change(path, (n) => (n?.kind === 'operator' ? { ...n, operands: [...n.operands, node] } : n));
  };
  return (
    <div className="cond-editor">
      <p className="cond-root">{operands.length ? 'Runs when all of these are true:' : 'No conditions: it always runs (when it is reached).'}</p>
      <ConditionList operands={operands} path={[]} readOnly={readOnly} change={change} add={add} />
    </div>
  );
}

interface ListProps {
  operands: ConditionNode[];
  path: Path;
  readOnly: boolean;
  change: (path: Path, fn: (n: ConditionNode | undefined) => ConditionNode | undefined) => void;
  add: (path: Path, node: ConditionNode) => void;
}

function ConditionList({ operands, path, readOnly, change, add }: ListProps) {
  return (
    <>
      <ul className="cond-list">
        {operands.map((node, i) => (
          <li key={i}>
            <ConditionNodeEditor node={node} path={[...path, i]} readOnly={readOnly} change={change} add={add} />
          </li>
        ))}
      </ul>
      {readOnly ? null : <AddCondition where={path.length ? 'to this If statement' : ''} onAdd={(n) => add(path, n)} />}
    </>
  );
}

function AddCondition({ where, onAdd }: { where: string; onAdd: (node: ConditionNode) => void }) {
  const [kind, setKind] = useState('variable');
  return (
    <div className="cond-add">
      <Field label={`Condition to add${where ? ` ${where}` : ''}`}>
        {(p) => (
          <select {...p} value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="if">If statement</option>
            {EXPRESSION_KINDS.map((k) => (
              <option key={k.id} value={k.id}>
                {k.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <button
        type="button"
        onClick={() => {
          if (kind === 'if') onAdd({ kind: 'operator', operator: 'and', operands: [] });
          else onAdd(newExpression(EXPRESSION_KINDS.find((k) => k.id === kind)!));
        }}
      >
        Add Condition{where ? ` ${where}` : ''}
      </button>
    </div>
  );
}

function ConditionNodeEditor({ node, path, readOnly, change, add }: { node: ConditionNode } & Omit<ListProps, 'operands'>) {
  const title = describeNode(node);
  const remove = readOnly ? null : (
    <button type="button" className="link" onClick={() => change(path, () => undefined)} aria-label={`Remove condition: ${title}`}>
      Remove
    </button>
  );
  if (node.kind === 'raw') {
    return (
      <div className="cond-node" role="group" aria-label={title}>
        <span>{title}</span> {remove}
      </div>
    );
  }
  if (node.kind === 'operator') {
    const op = node.operator.toLowerCase();
    return (
      <fieldset className="cond-node cond-if">
        <legend>If statement</legend>
        <Field label="Run when">
          {(p) => (
            <select
              {...p}
              value={op}
              disabled={readOnly}
              onChange={(e) => change(path, (n) => (n?.kind === 'operator' ? { ...n, operator: e.target.value } : n))}
            >
              {IF_STATEMENTS.map(([v, l]) => (
                <option key={v} value={v}>
                  {l}
                </option>
              ))}
            </select>
          )}
        </Field>
        {node.operands.length === 0 ? (
          <p className="hint">{op === 'or' ? 'Empty: never true. Add a condition.' : 'Empty: always true. Add a condition.'}</p>
        ) : null}
        <ConditionList operands={node.operands} path={path} readOnly={readOnly} change={change} add={add} />
        {remove}
      </fieldset>
    );
  }
  const kind = kindOfType(node.type);
  if (!kind) {
    return (
      <div className="cond-node" role="group" aria-label={title}>
        <span>{title}</span> {remove}
      </div>
    );
  }
  const values = valuesOf(node.properties);
  const errors = expressionErrors(kind, values);
  return (
    <fieldset className="cond-node">
      <legend>{kind.label}</legend>
      {kind.fields
        .filter((f) => fieldShown(f, values))
        .map((f) => (
          <Field key={f.name} label={f.label} error={errors[f.name]} hint={f.hint} required={f.required}>
            {(p) =>
              f.kind === 'choice' ? (
                <select
                  {...p}
                  value={choiceValue(f, values[f.name])}
                  disabled={readOnly}
                  onChange={(e) => change(path, (n) => (n?.kind === 'expression' ? setValue(n, kind, f.name, e.target.value) : n))}
                >
                  {f.choices!.map(([v, l]) => (
                    <option key={v} value={v}>
                      {l}
                    </option>
                  ))}
                </select>
              ) : f.kind === 'textarea' ? (
                <textarea
                  {...p}
                  rows={3}
                  value={values[f.name] ?? ''}
                  readOnly={readOnly}
                  onChange={(e) => change(path, (n) => (n?.kind === 'expression' ? setValue(n, kind, f.name, e.target.value) : n))}
                />
              ) : (
                <input
                  {...p}
                  value={values[f.name] ?? ''}
                  readOnly={readOnly}
                  onChange={(e) => change(path, (n) => (n?.kind === 'expression' ? setValue(n, kind, f.name, e.target.value) : n))}
                />
              )
            }
          </Field>
        ))}
      {remove}
    </fieldset>
  );
}
