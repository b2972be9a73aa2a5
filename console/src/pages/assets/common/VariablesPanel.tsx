/**
 * The Variables tab of a device and the Collection Variables tab of a collection (osd-features
 * §3.3): Name, Value and "Do not display this value in the Configuration Manager console". A masked
 * value never comes back from the site, so it is shown as asterisks, and editing it leaves it as
 * it is unless a new value is typed. The site's rules (name 1–256 letters, digits, _ and -, starting
 * with a letter; values up to 4,000 characters) come back at the field they are about.
 */
import { useCallback, useEffect, useId, useState } from 'react';
import { api, ApiError, messageOf } from '../../../api/client';
import type { Permission } from '../../../api/types';
import { DataTable, type Column } from '../../../components/DataTable';
import { ConfirmDialog, Dialog } from '../../../components/Dialog';
import { CheckboxField, Field } from '../../../components/Field';
import { Notice } from '../../../components/Notice';
import { Toolbar, ToolbarButton } from '../../../components/Toolbar';
import type { Variable } from './types';

const MASK = '********';

const COLUMNS: Column<Variable>[] = [
  { key: 'name', header: 'Name', width: '35%' },
  {
    key: 'value',
    header: 'Value',
    render: (v) => (v.masked ? <span aria-label="hidden value">{MASK}</span> : v.value),
    value: (v) => (v.masked ? '' : v.value),
  },
  { key: 'masked', header: 'Hidden', width: '7em', value: (v) => (v.masked ? 'Yes' : 'No') },
];

export function VariablesPanel({ path, permission, label }: { path: string; permission: Permission; label: string }) {
  const [rows, setRows] = useState<Variable[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [selected, setSelected] = useState<string | null>(null);
  const [editing, setEditing] = useState<{ existing?: Variable } | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);

  const load = useCallback(async () => {
    try {
      setRows(await api.get<Variable[]>(`${path}/variables`));
      setError(undefined);
    } catch (e) {
      setError(messageOf(e));
    }
  }, [path]);
  useEffect(() => {
    void load();
  }, [load]);

  const current = rows?.find((r) => r.name === selected);

  const remove = async () => {
    if (!current) return;
    try {
      await api.delete(`${path}/variables/${encodeURIComponent(current.name)}`);
      setNotice({ kind: 'success', text: `Deleted the variable ${current.name}.` });
      setSelected(null);
      await load();
    } catch (e) {
      setNotice({ kind: 'error', text: `The variable ${current.name} was not deleted: ${messageOf(e)}` });
    }
    setDeleting(false);
  };

  return (
    <div className="variables">
      <Toolbar label={`${label} commands`}>
        <ToolbarButton icon="+" label="New Variable" permission={permission} onClick={() => setEditing({})} />
        <ToolbarButton
          icon="✎"
          label="Edit Variable"
          permission={permission}
          disabled={!current}
          onClick={() => current && setEditing({ existing: current })}
        />
        <ToolbarButton icon="✕" label="Delete Variable" permission={permission} disabled={!current} onClick={() => setDeleting(true)} />
      </Toolbar>
      {notice ? (
        <Notice kind={notice.kind} onDismiss={() => setNotice(null)}>
          {notice.text}
        </Notice>
      ) : null}
      {error ? <Notice kind="error">The variables could not be read: {error}</Notice> : null}
      <DataTable
        label={label}
        columns={COLUMNS}
        rows={rows ?? []}
        rowKey={(v) => v.name}
        selectedKey={selected}
        onSelect={(v) => setSelected(v?.name ?? null)}
        onOpen={(v) => setEditing({ existing: v })}
        searchLabel={`Search ${label.toLowerCase()}`}
        initialSort={{ key: 'name', direction: 'ascending' }}
        emptyText={rows ? 'There are no variables.' : 'Loading…'}
      />
      {editing ? (
        <VariableDialog
          path={path}
          existing={editing.existing}
          onClose={(saved) => {
            setEditing(null);
            if (saved) {
              setSelected(saved.name);
              setNotice({ kind: 'success', text: `Saved the variable ${saved.name}.` });
              void load();
            }
          }}
        />
      ) : null}
      <ConfirmDialog
        title="Delete Variable"
        open={deleting && !!current}
        message={current ? `Delete the variable ${current.name}?` : ''}
        confirmLabel="Delete"
        onConfirm={() => void remove()}
        onCancel={() => setDeleting(false)}
      />
    </div>
  );
}

/** The name rule of §3.3, checked before the site is asked (the site checks again). */
function nameProblem(name: string): string | undefined {
  if (!name) return 'Enter a name.';
  if (name.length > 256) return 'A variable name has at most 256 characters.';
  if (name.startsWith('_')) return 'Names that start with _ are read-only built-in variables.';
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name)) return 'A variable name starts with a letter and holds only letters, digits, _ and -.';
  return undefined;
}

function VariableDialog({ path, existing, onClose }: { path: string; existing?: Variable; onClose: (saved?: Variable) => void }) {
  const [name, setName] = useState(existing?.name ?? '');
  const [value, setValue] = useState(existing && !existing.masked ? (existing.value ?? '') : '');
  const [masked, setMasked] = useState(existing?.masked ?? false);
  const [errors, setErrors] = useState<{ name?: string; value?: string; other?: string }>({});
  const [busy, setBusy] = useState(false);
  const [tried, setTried] = useState(false);
  const formId = useId();

  const localName = existing ? undefined : nameProblem(name.trim());
  const keepsMasked = !!existing?.masked && value === '' && masked;
  const localValue = value.length > 4000 ? 'A value has at most 4,000 characters.' : undefined;

  const save = async () => {
    setTried(true);
    if (localName || localValue) return;
    setBusy(true);
    setErrors({});
    try {
      const body = keepsMasked ? { masked } : { value, masked };
      const saved = await api.put<Variable>(`${path}/variables/${encodeURIComponent(existing?.name ?? name.trim())}`, body);
      onClose(saved);
    } catch (e) {
      const field = e instanceof ApiError ? e.field : undefined;
      if (field === 'name') setErrors({ name: messageOf(e) });
      else if (field === 'value' || field === 'masked') setErrors({ value: messageOf(e) });
      else setErrors({ other: messageOf(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={existing ? `Edit Variable ${existing.name}` : 'New Variable'}
      open
      onClose={() => onClose()}
      footer={
        <>
          <button type="submit" form={formId} className="primary" disabled={busy}>
            OK
          </button>
          <button type="button" onClick={() => onClose()}>
            Cancel
          </button>
        </>
      }
    >
      <form
        id={formId}
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <Field label="Name" required error={errors.name ?? (tried ? localName : undefined)}>
          {(p) => (
            <input
              {...p}
              type="text"
              value={name}
              readOnly={!!existing}
              data-autofocus={!existing || undefined}
              maxLength={300}
              onChange={(e) => setName(e.target.value)}
            />
          )}
        </Field>
        <Field
          label="Value"
          error={errors.value ?? (tried ? localValue : undefined)}
          hint={existing?.masked ? 'The value is hidden. Leave it empty to keep it, or type a new one.' : undefined}
        >
          {(p) => (
            <input
              {...p}
              type={masked ? 'password' : 'text'}
              value={value}
              data-autofocus={!!existing || undefined}
              autoComplete="off"
              onChange={(e) => setValue(e.target.value)}
            />
          )}
        </Field>
        <CheckboxField label="Do not display this value in the Configuration Manager console" checked={masked} onChange={setMasked} />
      </form>
      {errors.other ? <Notice kind="error">{errors.other}</Notice> : null}
    </Dialog>
  );
}
