/**
 * Content Status of one content object (a package of any type): its state on each distribution
 * point, with Distribute Content, Redistribute and Remove Content (content.write), and the copy's
 * progress while the site distributes (the status is read again every second until nothing moves).
 */
import { useCallback, useEffect, useId, useState } from 'react';
import { api, ApiError, messageOf } from '../../../api/client';
import { DataTable, type Column } from '../../../components/DataTable';
import { ConfirmDialog, Dialog } from '../../../components/Dialog';
import { CheckboxField } from '../../../components/Field';
import { formatBytes, formatDate } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Progress } from '../../../components/Progress';
import { Toolbar, ToolbarButton } from '../../../components/Toolbar';
import type { DistributionPoint, DistributionState, DistributionStatus } from './types';
import './library.css';

interface Row {
  dpName: string;
  status?: DistributionStatus;
}

const STATE_NAMES: Record<DistributionState, string> = {
  pending: 'Waiting',
  'in-progress': 'In progress',
  success: 'Success',
  error: 'Error',
  removing: 'Removing',
};

const MOVING: DistributionState[] = ['pending', 'in-progress', 'removing'];

export function stateName(s: DistributionStatus | undefined): string {
  if (!s) return 'Not distributed';
  if (s.state === 'success' && s.sourceVersion < s.currentSourceVersion)
    return `Success (version ${s.sourceVersion}, not the current ${s.currentSourceVersion})`;
  return STATE_NAMES[s.state] ?? s.state;
}

const COLUMNS: Column<Row>[] = [
  { key: 'dpName', header: 'Distribution Point', width: '14em' },
  { key: 'state', header: 'Status', width: '12em', value: (r) => stateName(r.status) },
  { key: 'version', header: 'Version', align: 'right', width: '6em', value: (r) => r.status?.sourceVersion ?? '' },
  {
    key: 'copied',
    header: 'Copied',
    width: '12em',
    value: (r) => r.status?.copiedBytes ?? 0,
    render: (r) => (r.status ? `${formatBytes(r.status.copiedBytes)}${r.status.copyBytes !== null ? ` of ${formatBytes(r.status.copyBytes)}` : ''}` : ''),
  },
  { key: 'message', header: 'Message', value: (r) => r.status?.message ?? '' },
  { key: 'updatedAt', header: 'Last Update', width: '13em', value: (r) => r.status?.updatedAt ?? '', render: (r) => formatDate(r.status?.updatedAt) },
];

export function ContentStatus({ packageId, objectName }: { packageId: string | null; objectName: string }) {
  const titleId = useId();
  const [dps, setDps] = useState<DistributionPoint[] | undefined>();
  const [statuses, setStatuses] = useState<DistributionStatus[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [selected, setSelected] = useState<string | null>(null);
  const [dialog, setDialog] = useState<'distribute' | 'remove' | null>(null);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);

  const load = useCallback(async () => {
    if (!packageId) return;
    try {
      const [d, s] = await Promise.all([
        api.get<DistributionPoint[]>('/distribution-points'),
        api.get<DistributionStatus[]>(`/packages/${encodeURIComponent(packageId)}/distribution`),
      ]);
      setDps(d);
      setStatuses(s);
      setError(undefined);
    } catch (e) {
      setError(messageOf(e));
    }
  }, [packageId]);

  useEffect(() => {
    void load();
  }, [load]);

  const moving = statuses.some((s) => MOVING.includes(s.state));
  useEffect(() => {
    if (!moving) return;
    const t = window.setTimeout(() => void load(), 1000);
    return () => window.clearTimeout(t);
  }, [moving, statuses, load]);

  if (!packageId) return <p>This object has no content to distribute.</p>;

  const byDp = new Map(statuses.map((s) => [s.dpName, s]));
  const names = new Set([...(dps ?? []).map((d) => d.name), ...statuses.map((s) => s.dpName)]);
  const rows: Row[] = [...names].sort().map((dpName) => ({ dpName, status: byDp.get(dpName) }));
  const row = rows.find((r) => r.dpName === selected);
  const notYet = rows.filter((r) => !r.status);
  const inFlight = statuses.filter((s) => s.state === 'in-progress' || s.state === 'pending');

  const distribute = async () => {
    if (chosen.size === 0) {
      setFieldError('Select at least one distribution point.');
      return;
    }
    setBusy(true);
    setFieldError(undefined);
    try {
      await api.post('/distributions', { packageIds: [packageId], distributionPoints: [...chosen] });
      setNotice({ kind: 'success', text: `Distributing "${objectName}" to ${[...chosen].join(', ')}.` });
      setDialog(null);
      setChosen(new Set());
      await load();
    } catch (e) {
      setFieldError(e instanceof ApiError ? e.readable : messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const redistribute = async () => {
    if (!row) return;
    try {
      await api.post(`/packages/${encodeURIComponent(packageId)}/redistribute`, { distributionPoint: row.dpName });
      setNotice({ kind: 'success', text: `Redistributing "${objectName}" to ${row.dpName}.` });
      await load();
    } catch (e) {
      setNotice({ kind: 'error', text: `"${objectName}" was not redistributed to ${row.dpName}: ${messageOf(e)}` });
    }
  };

  const remove = async () => {
    if (!row) return;
    setBusy(true);
    try {
      await api.post(`/packages/${encodeURIComponent(packageId)}/remove-content`, { distributionPoints: [row.dpName] });
      setNotice({ kind: 'success', text: `Removing "${objectName}" from ${row.dpName}.` });
      await load();
    } catch (e) {
      setNotice({ kind: 'error', text: `"${objectName}" was not removed from ${row.dpName}: ${messageOf(e)}` });
    } finally {
      setBusy(false);
      setDialog(null);
    }
  };

  return (
    <section className="content-status" aria-labelledby={titleId}>
      <h2 id={titleId}>Content Status</h2>
      <Toolbar label="Content status commands">
        <ToolbarButton
          icon="⇉"
          label="Distribute Content"
          permission="content.write"
          disabled={notYet.length === 0}
          onClick={() => {
            setChosen(new Set(notYet.length === 1 ? [notYet[0]!.dpName] : []));
            setFieldError(undefined);
            setDialog('distribute');
          }}
        />
        <ToolbarButton icon="↻" label="Redistribute" permission="content.write" disabled={!row?.status} onClick={() => void redistribute()} />
        <ToolbarButton icon="✕" label="Remove Content" permission="content.write" disabled={!row?.status} onClick={() => setDialog('remove')} />
        <ToolbarButton icon="⟳" label="Refresh Status" onClick={() => void load()} />
      </Toolbar>
      {notice ? (
        <Notice kind={notice.kind} onDismiss={() => setNotice(null)}>
          {notice.text}
        </Notice>
      ) : null}
      {error ? <Notice kind="error">The content status could not be read: {error}</Notice> : null}
      {inFlight.map((s) => (
        <Progress
          key={s.dpName}
          label={`Distributing to ${s.dpName}`}
          value={s.copyBytes ? s.copiedBytes / s.copyBytes : undefined}
          detail={s.copyBytes ? `${formatBytes(s.copiedBytes)} of ${formatBytes(s.copyBytes)}` : s.message}
        />
      ))}
      <DataTable
        label={`Content status of ${objectName}`}
        columns={COLUMNS}
        rows={rows}
        rowKey={(r) => r.dpName}
        selectedKey={selected}
        onSelect={(r) => setSelected(r?.dpName ?? null)}
        searchLabel="Search distribution points"
        emptyText={dps ? 'The site has no distribution points.' : 'Loading…'}
      />
      <Dialog
        title="Distribute Content"
        open={dialog === 'distribute'}
        onClose={() => setDialog(null)}
        footer={
          <>
            <button type="button" className="primary" onClick={() => void distribute()} disabled={busy}>
              Distribute
            </button>
            <button type="button" onClick={() => setDialog(null)}>
              Cancel
            </button>
          </>
        }
      >
        <p>
          Distribute "{objectName}" ({packageId}) to these distribution points:
        </p>
        <fieldset>
          <legend>Distribution points</legend>
          {notYet.map((r) => (
            <CheckboxField
              key={r.dpName}
              label={r.dpName}
              checked={chosen.has(r.dpName)}
              onChange={(on) =>
                setChosen((c) => {
                  const n = new Set(c);
                  if (on) n.add(r.dpName);
                  else n.delete(r.dpName);
                  return n;
                })
              }
            />
          ))}
        </fieldset>
        {fieldError ? (
          <div className="notice error" role="alert">
            {fieldError}
          </div>
        ) : null}
      </Dialog>
      <ConfirmDialog
        title="Remove Content"
        open={dialog === 'remove' && !!row}
        message={row ? `Remove the content of "${objectName}" (${packageId}) from ${row.dpName}? Computers can no longer download it from there.` : ''}
        confirmLabel="Remove"
        busy={busy}
        onConfirm={() => void remove()}
        onCancel={() => setDialog(null)}
      />
    </section>
  );
}
