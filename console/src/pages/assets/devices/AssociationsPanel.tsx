/**
 * A device's computer associations (osd-features §3.4): where it is the source (its user state goes
 * to another computer) or the destination (it receives another's). Create one with the other
 * computer found by name or Resource ID, and the user accounts to capture and restore.
 */
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, messageOf } from '../../../api/client';
import { DataTable, type Column } from '../../../components/DataTable';
import { ConfirmDialog, Dialog } from '../../../components/Dialog';
import { Field } from '../../../components/Field';
import { formatDate } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Toolbar, ToolbarButton } from '../../../components/Toolbar';
import { USER_ACCOUNT_NAMES, type Association, type Device, type DevicePage, type UserAccounts } from '../common/types';

const COLUMNS: Column<Association>[] = [
  { key: 'sourceName', header: 'Source Computer', value: (a) => `${a.sourceName} (${a.sourceResourceId})` },
  { key: 'destinationName', header: 'Destination Computer', value: (a) => `${a.destinationName} (${a.destinationResourceId})` },
  { key: 'userAccounts', header: 'User Accounts', value: (a) => USER_ACCOUNT_NAMES[a.userAccounts as UserAccounts] ?? a.userAccounts },
  { key: 'createdAt', header: 'Created', width: '13em', render: (a) => formatDate(a.createdAt) },
];

/** A computer by Resource ID or exact name (case-insensitive). */
async function findComputer(text: string): Promise<Device | string> {
  const t = text.trim();
  if (!t) return 'Enter the computer name or its Resource ID.';
  const page = await api.get<DevicePage>('/devices', { search: t, limit: 20 });
  const exact = page.devices.filter((d) => String(d.resourceId) === t || d.name.toLowerCase() === t.toLowerCase());
  if (exact.length === 1) return exact[0]!;
  if (exact.length > 1) return `${exact.length} computers are named ${t}: enter the Resource ID of the one you mean.`;
  return `No computer is named ${t} or has this Resource ID.`;
}

export function AssociationsPanel({ device }: { device: Device }) {
  const [rows, setRows] = useState<Association[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [selected, setSelected] = useState<number | null>(null);
  const [dialog, setDialog] = useState<'create' | 'delete' | null>(null);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);

  const load = useCallback(async () => {
    try {
      setRows(await api.get<Association[]>('/computer-associations', { resourceId: device.resourceId }));
      setError(undefined);
    } catch (e) {
      setError(messageOf(e));
    }
  }, [device.resourceId]);
  useEffect(() => {
    void load();
  }, [load]);

  const current = rows?.find((a) => a.id === selected);

  const remove = async () => {
    if (!current) return;
    setDialog(null);
    try {
      await api.delete(`/computer-associations/${current.id}`);
      setNotice({ kind: 'success', text: `Deleted the computer association ${current.sourceName} → ${current.destinationName}.` });
      setSelected(null);
      await load();
    } catch (e) {
      setNotice({ kind: 'error', text: messageOf(e) });
    }
  };

  return (
    <div>
      <Toolbar label="Computer association commands">
        <ToolbarButton icon="+" label="Create Computer Association" permission="device.write" onClick={() => setDialog('create')} />
        <ToolbarButton icon="✕" label="Delete Association" permission="device.write" disabled={!current} onClick={() => setDialog('delete')} />
      </Toolbar>
      {notice ? (
        <Notice kind={notice.kind} onDismiss={() => setNotice(null)}>
          {notice.text}
        </Notice>
      ) : null}
      {error ? <Notice kind="error">The computer associations could not be read: {error}</Notice> : null}
      <DataTable
        label="Computer associations"
        columns={COLUMNS}
        rows={rows ?? []}
        rowKey={(a) => String(a.id)}
        selectedKey={selected === null ? null : String(selected)}
        onSelect={(a) => setSelected(a?.id ?? null)}
        emptyText={rows ? 'This computer has no computer association.' : 'Loading…'}
      />
      {dialog === 'create' ? (
        <CreateAssociationDialog
          device={device}
          onClose={(created) => {
            setDialog(null);
            if (created) {
              setNotice({ kind: 'success', text: `Created the computer association ${created.sourceName} → ${created.destinationName}.` });
              setSelected(created.id);
              void load();
            }
          }}
        />
      ) : null}
      <ConfirmDialog
        title="Delete Computer Association"
        open={dialog === 'delete' && !!current}
        message={current ? `Delete the computer association ${current.sourceName} → ${current.destinationName}?` : ''}
        confirmLabel="Delete"
        onConfirm={() => void remove()}
        onCancel={() => setDialog(null)}
      />
    </div>
  );
}

function CreateAssociationDialog({ device, onClose }: { device: Device; onClose: (created?: Association) => void }) {
  const [role, setRole] = useState<'destination' | 'source'>('destination');
  const [other, setOther] = useState('');
  const [userAccounts, setUserAccounts] = useState<UserAccounts>('capture-restore-specified');
  const [accounts, setAccounts] = useState('');
  const [errors, setErrors] = useState<{ other?: string; accounts?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);

  const create = async () => {
    setBusy(true);
    setErrors({});
    try {
      const found = await findComputer(other);
      if (typeof found === 'string') {
        setErrors({ other: found });
        return;
      }
      const [source, destination] = role === 'destination' ? [found.resourceId, device.resourceId] : [device.resourceId, found.resourceId];
      const list = accounts
        .split(/[\n,;]/)
        .map((s) => s.trim())
        .filter(Boolean);
      const created = await api.post<Association>('/computer-associations', {
        sourceResourceId: source,
        destinationResourceId: destination,
        userAccounts,
        ...(list.length ? { accounts: list } : {}),
      });
      onClose(created);
    } catch (e) {
      const field = e instanceof ApiError ? e.field : undefined;
      if (field?.startsWith('accounts') || field === 'userAccounts') setErrors({ accounts: messageOf(e) });
      else if (field === 'sourceResourceId' || field === 'destinationResourceId') setErrors({ other: messageOf(e) });
      else setErrors({ form: messageOf(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title="Create Computer Association"
      open
      onClose={() => onClose()}
      footer={
        <>
          <button type="submit" form="create-association" className="primary" disabled={busy}>
            OK
          </button>
          <button type="button" onClick={() => onClose()}>
            Cancel
          </button>
        </>
      }
    >
      <form
        id="create-association"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <fieldset className="radio-group">
          <legend>{device.name} is the</legend>
          <label>
            <input type="radio" name="association-role" checked={role === 'destination'} onChange={() => setRole('destination')} /> destination: it receives the
            user state
          </label>
          <label>
            <input type="radio" name="association-role" checked={role === 'source'} onChange={() => setRole('source')} /> source: its user state is captured
          </label>
        </fieldset>
        <Field label={role === 'destination' ? 'Source computer' : 'Destination computer'} required error={errors.other} hint="Its name or Resource ID.">
          {(p) => <input {...p} type="text" value={other} data-autofocus onChange={(e) => setOther(e.target.value)} />}
        </Field>
        <Field label="User accounts">
          {(p) => (
            <select {...p} value={userAccounts} onChange={(e) => setUserAccounts(e.target.value as UserAccounts)}>
              {(Object.keys(USER_ACCOUNT_NAMES) as UserAccounts[]).map((k) => (
                <option key={k} value={k}>
                  {USER_ACCOUNT_NAMES[k]}
                </option>
              ))}
            </select>
          )}
        </Field>
        {userAccounts !== 'capture-restore-all' ? (
          <Field label="Accounts to restore" error={errors.accounts} hint="DOMAIN\user, one per line (or separated by commas).">
            {(p) => <textarea {...p} rows={2} value={accounts} onChange={(e) => setAccounts(e.target.value)} />}
          </Field>
        ) : null}
      </form>
      {errors.form ? <Notice kind="error">{errors.form}</Notice> : null}
    </Dialog>
  );
}
