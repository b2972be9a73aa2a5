/**
 * A collection's Membership Rules: direct (one device), query (the WQL query editor), include and
 * exclude (another collection's members). Adding or deleting a rule re-evaluates the collection and
 * the collections that depend on it (the site answers what it evaluated).
 */
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, messageOf } from '../../../api/client';
import { DataTable, type Column } from '../../../components/DataTable';
import { ConfirmDialog, Dialog } from '../../../components/Dialog';
import { Field } from '../../../components/Field';
import { Notice } from '../../../components/Notice';
import { Progress } from '../../../components/Progress';
import { Toolbar, ToolbarButton } from '../../../components/Toolbar';
import type { Collection, DevicePage, Evaluated, Rule, RuleKind } from '../common/types';
import { WqlEditor, type QueryProblem } from './WqlEditor';

const KIND_NAMES: Record<RuleKind, string> = { direct: 'Direct', query: 'Query', include: 'Include Collections', exclude: 'Exclude Collections' };

const COLUMNS: Column<Rule>[] = [
  { key: 'name', header: 'Rule Name', width: '22%' },
  { key: 'kind', header: 'Type', width: '11em', value: (r) => KIND_NAMES[r.kind] },
  {
    key: 'detail',
    header: 'Rule',
    value: (r) => (r.kind === 'query' ? (r.query ?? '') : r.kind === 'direct' ? `Resource ID ${r.resourceId}` : `Collection ${r.collectionId}`),
  },
];

export function evaluatedText(e: Evaluated['evaluated'], collections: Map<string, string>): string {
  return e
    .map((x) => `${collections.get(x.collectionId) ?? x.collectionId}: ${x.memberCount.toLocaleString()} member${x.memberCount === 1 ? '' : 's'}`)
    .join('; ');
}

export function RulesPanel({ collection, onChanged }: { collection: Collection; onChanged: () => void }) {
  const [rows, setRows] = useState<Rule[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [selected, setSelected] = useState<number | null>(null);
  const [dialog, setDialog] = useState<RuleKind | 'delete' | null>(null);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [names, setNames] = useState(new Map<string, string>());
  const path = `/collections/${encodeURIComponent(collection.collectionId)}`;

  const load = useCallback(async () => {
    try {
      setRows(await api.get<Rule[]>(`${path}/rules`));
      setError(undefined);
    } catch (e) {
      setError(messageOf(e));
    }
  }, [path]);
  useEffect(() => {
    void load();
    api
      .get<Collection[]>('/collections')
      .then((c) => setNames(new Map(c.map((x) => [x.collectionId, x.name]))))
      .catch(() => undefined);
  }, [load]);

  const current = rows?.find((r) => r.ruleId === selected);
  const done = (verb: string, r: Rule, evaluated: Evaluated['evaluated']) => {
    setNotice({ kind: 'success', text: `${verb} the rule "${r.name}". Evaluated ${evaluatedText(evaluated, names)}.` });
    void load();
    onChanged();
  };

  const remove = async () => {
    if (!current) return;
    setDialog(null);
    setBusy(true);
    try {
      const r = await api.delete<{ rule: Rule; evaluated: Evaluated['evaluated'] }>(`${path}/rules/${current.ruleId}`);
      setSelected(null);
      done('Deleted', r.rule, r.evaluated);
    } catch (e) {
      setNotice({ kind: 'error', text: `The rule "${current.name}" was not deleted: ${messageOf(e)}` });
    }
    setBusy(false);
  };

  const builtIn = collection.builtIn;
  return (
    <div>
      {!builtIn ? (
        <Toolbar label="Membership rule commands">
          <ToolbarButton icon="+" label="Add Direct Rule" permission="collection.write" onClick={() => setDialog('direct')} />
          <ToolbarButton icon="+" label="Add Query Rule" permission="collection.write" onClick={() => setDialog('query')} />
          <ToolbarButton icon="+" label="Include Collections" permission="collection.write" onClick={() => setDialog('include')} />
          <ToolbarButton icon="+" label="Exclude Collections" permission="collection.write" onClick={() => setDialog('exclude')} />
          <ToolbarButton icon="✕" label="Delete Rule" permission="collection.write" disabled={!current} onClick={() => setDialog('delete')} />
        </Toolbar>
      ) : (
        <p>The membership of a built-in collection is kept by the site; it takes no rules.</p>
      )}
      {busy ? <Progress label="Evaluating the collection" /> : null}
      {notice ? (
        <Notice kind={notice.kind} onDismiss={() => setNotice(null)}>
          {notice.text}
        </Notice>
      ) : null}
      {error ? <Notice kind="error">The membership rules could not be read: {error}</Notice> : null}
      <DataTable
        label="Membership rules"
        columns={COLUMNS}
        rows={rows ?? []}
        rowKey={(r) => String(r.ruleId)}
        selectedKey={selected === null ? null : String(selected)}
        onSelect={(r) => setSelected(r?.ruleId ?? null)}
        emptyText={rows ? 'This collection has no membership rules.' : 'Loading…'}
      />
      {dialog && dialog !== 'delete' ? (
        <RuleDialog
          kind={dialog}
          collection={collection}
          collections={names}
          onClose={(added) => {
            setDialog(null);
            if (added) done('Added', added.rule, added.evaluated);
          }}
        />
      ) : null}
      <ConfirmDialog
        title="Delete Membership Rule"
        open={dialog === 'delete' && !!current}
        message={current ? `Delete the membership rule "${current.name}"? The collection is evaluated again.` : ''}
        confirmLabel="Delete"
        onConfirm={() => void remove()}
        onCancel={() => setDialog(null)}
      />
    </div>
  );
}

/** The site's refusal of a query as the editor shows it: `column N: the rule (expected X)` plus the column. */
function queryProblemOf(e: ApiError): QueryProblem {
  const column = typeof e.body?.column === 'number' ? e.body.column : null;
  const expected = typeof e.body?.expected === 'string' ? e.body.expected : null;
  let rule = e.readable.replace(/^column \d+: /, '');
  if (expected) rule = rule.replace(` (expected ${expected})`, '');
  return { rule, column, length: null, expected, hint: e.hint ?? null };
}

function RuleDialog({
  kind,
  collection,
  collections,
  onClose,
}: {
  kind: RuleKind;
  collection: Collection;
  collections: Map<string, string>;
  onClose: (added?: { rule: Rule; evaluated: Evaluated['evaluated'] }) => void;
}) {
  const [name, setName] = useState('');
  const [query, setQuery] = useState('select * from SMS_R_System where ');
  const [device, setDevice] = useState('');
  const [other, setOther] = useState('');
  const [errors, setErrors] = useState<{ name?: string; target?: string; form?: string }>({});
  const [queryError, setQueryError] = useState<QueryProblem | undefined>();
  const [busy, setBusy] = useState(false);
  const path = `/collections/${encodeURIComponent(collection.collectionId)}/rules`;
  const title =
    kind === 'direct'
      ? 'Create Direct Membership Rule'
      : kind === 'query'
        ? 'Query Rule Properties'
        : kind === 'include'
          ? 'Include Collections'
          : 'Exclude Collections';
  const choices = [...collections.entries()].filter(([id]) => id !== collection.collectionId);

  const add = async () => {
    setErrors({});
    setQueryError(undefined);
    let body: Record<string, unknown>;
    if (kind === 'query') {
      if (!query.trim()) return setQueryError({ rule: 'Enter the query statement.', column: null, length: null, expected: null, hint: null });
      body = { kind, query };
    } else if (kind === 'direct') {
      const t = device.trim();
      if (!t) return setErrors({ target: 'Enter the name or Resource ID of the device.' });
      setBusy(true);
      const page = await api.get<DevicePage>('/devices', { search: t, limit: 20 }).catch(() => undefined);
      setBusy(false);
      const matches = page?.devices.filter((d) => String(d.resourceId) === t || d.name.toLowerCase() === t.toLowerCase()) ?? [];
      if (matches.length !== 1)
        return setErrors({
          target: matches.length ? `${matches.length} devices are named ${t}: enter the Resource ID.` : `No device is named ${t} or has this Resource ID.`,
        });
      body = { kind, resourceId: matches[0]!.resourceId };
    } else {
      if (!other) return setErrors({ target: 'Choose the collection.' });
      body = { kind, collectionId: other };
    }
    if (name.trim()) body.name = name.trim();
    setBusy(true);
    try {
      onClose(await api.post<{ rule: Rule; evaluated: Evaluated['evaluated'] }>(path, body));
    } catch (e) {
      const field = e instanceof ApiError ? e.field : undefined;
      if (e instanceof ApiError && field === 'query') setQueryError(queryProblemOf(e));
      else if (field === 'name') setErrors({ name: messageOf(e) });
      else if (field === 'resourceId' || field === 'collectionId') setErrors({ target: messageOf(e) });
      else setErrors({ form: messageOf(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={title}
      open
      wide={kind === 'query'}
      onClose={() => onClose()}
      footer={
        <>
          <button type="button" className="primary" onClick={() => void add()} disabled={busy}>
            OK
          </button>
          <button type="button" onClick={() => onClose()}>
            Cancel
          </button>
        </>
      }
    >
      <Field label="Rule name" error={errors.name} hint={kind === 'query' ? 'Empty: Query' : 'Empty: the name of the device or collection'}>
        {(p) => <input {...p} type="text" value={name} maxLength={256} onChange={(e) => setName(e.target.value)} />}
      </Field>
      {kind === 'query' ? (
        <WqlEditor
          value={query}
          onChange={(v) => {
            setQuery(v);
            setQueryError(undefined);
          }}
          siteError={queryError}
        />
      ) : kind === 'direct' ? (
        <Field label="Device" required error={errors.target} hint="Its name or Resource ID.">
          {(p) => <input {...p} type="text" value={device} onChange={(e) => setDevice(e.target.value)} />}
        </Field>
      ) : (
        <Field label={kind === 'include' ? 'Collection to include' : 'Collection to exclude'} required error={errors.target}>
          {(p) => (
            <select {...p} value={other} onChange={(e) => setOther(e.target.value)}>
              <option value="">(choose a collection)</option>
              {choices.map(([id, n]) => (
                <option key={id} value={id}>
                  {n} ({id})
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      {busy ? <Progress label="Adding the rule and evaluating the collection" /> : null}
      {errors.form ? <Notice kind="error">{errors.form}</Notice> : null}
    </Dialog>
  );
}
