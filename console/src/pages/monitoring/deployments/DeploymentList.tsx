/**
 * Monitoring › Deployments: every task sequence deployment with its status counts (Success, In
 * Progress, Error, Requirements Not Met, Unknown) and compliance, read again every few seconds
 * while the page is open. View Status (Enter, double-click) opens one deployment.
 */
import { useCallback, useEffect, useState } from 'react';
import { api, messageOf } from '../../../api/client';
import { navigate, useTitle } from '../../../app/router';
import { DataTable, type Column } from '../../../components/DataTable';
import { formatDate } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Toolbar, ToolbarButton } from '../../../components/Toolbar';
import type { DeploymentInfo } from '../../software-library/task-sequences/deploy/deploy-model';
import { AVAILABILITY_LABELS } from '../../software-library/task-sequences/deploy/deploy-model';
import type { Counts } from './types';

export interface DeploymentRow extends DeploymentInfo {
  counts?: Counts;
}

const REFRESH_MS = 5000;

export function compliance(c: Counts | undefined): string {
  if (!c) return '';
  return c.total ? `${Math.round((c.success / c.total) * 100)}%` : '—';
}

const COLUMNS: Column<DeploymentRow>[] = [
  { key: 'taskSequenceName', header: 'Software', width: '18%' },
  { key: 'collectionName', header: 'Collection', width: '14%' },
  { key: 'id', header: 'Deployment ID', width: '8em' },
  { key: 'purpose', header: 'Purpose', width: '6em', value: (r) => (r.purpose === 'required' ? 'Required' : 'Available') },
  { key: 'availability', header: 'Available to', value: (r) => AVAILABILITY_LABELS[r.settings.availability] },
  { key: 'success', header: 'Success', align: 'right', width: '5.5em', value: (r) => r.counts?.success },
  { key: 'in-progress', header: 'In Progress', align: 'right', width: '6.5em', value: (r) => r.counts?.['in-progress'] },
  { key: 'error', header: 'Error', align: 'right', width: '5em', value: (r) => r.counts?.error },
  { key: 'requirements-not-met', header: 'Requirements Not Met', align: 'right', width: '8em', value: (r) => r.counts?.['requirements-not-met'] },
  { key: 'unknown', header: 'Unknown', align: 'right', width: '6em', value: (r) => r.counts?.unknown },
  { key: 'compliance', header: 'Compliance', align: 'right', width: '7em', value: (r) => compliance(r.counts) },
  { key: 'createdAt', header: 'Date Created', width: '12em', render: (r) => formatDate(r.createdAt) },
];

export function DeploymentList({ base }: { base: string }) {
  useTitle('Deployments');
  const [rows, setRows] = useState<DeploymentRow[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [selectedId, setSelectedId] = useState<string | null>(null);

  const load = useCallback(async (signal?: AbortSignal) => {
    try {
      // Every deployment's counts in one answer (not one status request per deployment).
      const [list, counts] = await Promise.all([
        api.get<DeploymentInfo[]>('/deployments', undefined, signal),
        api.get<Array<{ deploymentId: string; counts: Counts }>>('/deployment-status', undefined, signal),
      ]);
      const byId = new Map(counts.map((x) => [x.deploymentId, x.counts]));
      const withCounts = list.map((d) => ({ ...d, counts: byId.get(d.id) }));
      setRows(withCounts);
      setError(undefined);
    } catch (e) {
      if (!signal?.aborted) setError(messageOf(e));
    }
  }, []);

  useEffect(() => {
    const abort = new AbortController();
    void load(abort.signal);
    const t = window.setInterval(() => void load(abort.signal), REFRESH_MS);
    return () => {
      abort.abort();
      window.clearInterval(t);
    };
  }, [load]);

  const selected = rows?.find((r) => r.id === selectedId);
  const open = (r: DeploymentRow) => navigate(`${base}/${encodeURIComponent(r.id)}`);

  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title">Deployments</h1>
      <Toolbar label="Deployments commands">
        <ToolbarButton icon="☰" label="View Status" disabled={!selected} onClick={() => selected && open(selected)} />
        <ToolbarButton icon="⟳" label="Refresh" onClick={() => void load()} />
      </Toolbar>
      {error ? <Notice kind="error">The deployments could not be read: {error}</Notice> : null}
      <DataTable
        label="Deployments"
        columns={COLUMNS}
        rows={rows ?? []}
        rowKey={(r) => r.id}
        selectedKey={selectedId}
        onSelect={(r) => setSelectedId(r?.id ?? null)}
        onOpen={open}
        searchLabel="Search deployments"
        initialSort={{ key: 'createdAt', direction: 'descending' }}
        emptyText={rows ? 'There are no deployments. Deploy a task sequence from Software Library › Task Sequences.' : 'Loading…'}
      />
    </section>
  );
}
