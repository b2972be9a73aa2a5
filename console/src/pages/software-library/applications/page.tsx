/**
 * Software Library › Application Management › Applications:
 *   /software-library/applications        the list
 *   /software-library/applications/16777  one application: its deployment types, Retire /
 *     Reinstate (application.write), whether a task sequence can install it, its content status
 */
import { useState } from 'react';
import { api, messageOf } from '../../../api/client';
import type { PageProps } from '../../../app/pages';
import { Link, navigate, useTitle } from '../../../app/router';
import { DataTable, type Column } from '../../../components/DataTable';
import { ConfirmDialog } from '../../../components/Dialog';
import { formatDate } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Progress } from '../../../components/Progress';
import { Toolbar, ToolbarButton } from '../../../components/Toolbar';
import { useLoad, yesNo } from '../content/common';
import { ContentStatus } from '../content/ContentStatus';
import type { Application, DeploymentType } from '../content/types';

const TECHNOLOGY: Record<string, string> = {
  msi: 'Windows Installer (*.msi file)',
  script: 'Script Installer',
  appv: 'Microsoft Application Virtualization',
  appx: 'Windows app package',
  macos: 'Mac OS X',
  'web-application': 'Web Application',
};

const COLUMNS: Column<Application>[] = [
  { key: 'name', header: 'Name', width: '26%' },
  { key: 'publisher', header: 'Manufacturer', width: '11em' },
  { key: 'softwareVersion', header: 'Version', width: '8em' },
  { key: 'deploymentTypes', header: 'Deployment Types', align: 'right', width: '9em', value: (r) => r.deploymentTypes.length },
  { key: 'status', header: 'Status', width: '7em', value: (r) => (r.retired ? 'Retired' : 'Active') },
  { key: 'ts', header: 'Task sequence install', width: '11em', value: (r) => yesNo(r.allowTaskSequenceInstall) },
  { key: 'updatedAt', header: 'Date Modified', width: '13em', render: (r) => formatDate(r.updatedAt) },
];

const DT_COLUMNS: Column<DeploymentType>[] = [
  { key: 'name', header: 'Name', width: '18%' },
  { key: 'technology', header: 'Technology', width: '14em', value: (r) => TECHNOLOGY[r.technology] ?? r.technology },
  { key: 'installCommand', header: 'Installation program' },
  { key: 'detection', header: 'Detection method', value: (r) => `${r.detectionMethod.kind}: ${r.detectionMethod.value}` },
  { key: 'runAs', header: 'Installation behavior', width: '10em', value: (r) => (r.runAs === 'user' ? 'Install for user' : 'Install for system') },
  { key: 'codes', header: 'Return codes', width: '12em', value: (r) => `success ${r.successCodes.join(', ')}; restart ${r.restartCodes.join(', ')}` },
];

export default function ApplicationsPage({ rest, base }: PageProps) {
  if (rest.length === 0) return <ApplicationList base={base} />;
  return <ApplicationDetail base={base} id={rest[0]!} />;
}

function ApplicationList({ base }: { base: string }) {
  useTitle('Applications');
  const { data, error, reload } = useLoad(() => api.get<Application[]>('/applications'), []);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const selected = data?.find((r) => String(r.ciId) === selectedId);
  const open = (r: Application) => navigate(`${base}/${r.ciId}`);
  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title">Applications</h1>
      <Toolbar label="Applications commands">
        <ToolbarButton icon="✎" label="Open" disabled={!selected} onClick={() => selected && open(selected)} />
        <ToolbarButton icon="⟳" label="Refresh" onClick={() => void reload()} />
      </Toolbar>
      {error ? <Notice kind="error">The applications could not be read: {error}</Notice> : null}
      <DataTable
        label="Applications"
        columns={COLUMNS}
        rows={data ?? []}
        rowKey={(r) => String(r.ciId)}
        selectedKey={selectedId}
        onSelect={(r) => setSelectedId(r ? String(r.ciId) : null)}
        onOpen={open}
        searchLabel="Search applications"
        initialSort={{ key: 'name', direction: 'ascending' }}
        emptyText={data ? 'There are no applications.' : 'Loading…'}
      />
      {selected ? (
        <section className="details" aria-label={`Deployment types of ${selected.name}`}>
          <h2>{selected.name}</h2>
          <DataTable
            label={`Deployment types of ${selected.name}`}
            columns={DT_COLUMNS}
            rows={selected.deploymentTypes}
            rowKey={(d) => d.name}
            searchLabel="Search deployment types"
          />
        </section>
      ) : null}
    </section>
  );
}

function ApplicationDetail({ base, id }: { base: string; id: string }) {
  const { data, error, reload } = useLoad(() => api.get<Application>(`/applications/${encodeURIComponent(id)}`), [id]);
  useTitle(data?.name ?? id);
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error' | 'warning'; text: string } | null>(null);

  const change = async (retire: boolean) => {
    if (!data) return;
    setBusy(true);
    try {
      const r = await api.post<{ warnings?: string[] } | undefined>(`/applications/${data.ciId}/${retire ? 'retire' : 'reinstate'}`);
      const warnings = r && Array.isArray(r.warnings) ? r.warnings : [];
      setNotice({
        kind: warnings.length ? 'warning' : 'success',
        text: `${retire ? 'Retired' : 'Reinstated'} "${data.name}".${warnings.length ? ` ${warnings.join(' ')}` : ''}`,
      });
      await reload();
    } catch (e) {
      setNotice({ kind: 'error', text: `"${data.name}" was not ${retire ? 'retired' : 'reinstated'}: ${messageOf(e)}` });
    } finally {
      setBusy(false);
      setConfirm(false);
    }
  };

  return (
    <section className="page" aria-labelledby="page-title">
      <p className="breadcrumb">
        <Link to={base}>Applications</Link> › {data?.name ?? id}
      </p>
      <h1 id="page-title">{data?.name ?? id}</h1>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {!data && !error ? <Progress label="Loading the application" /> : null}
      {data ? (
        <>
          <Toolbar label="Application commands">
            {data.retired ? (
              <ToolbarButton icon="↺" label="Reinstate" permission="application.write" disabled={busy} onClick={() => void change(false)} />
            ) : (
              <ToolbarButton icon="⊘" label="Retire" permission="application.write" disabled={busy} onClick={() => setConfirm(true)} />
            )}
            <ToolbarButton icon="⟳" label="Refresh" onClick={() => void reload()} />
          </Toolbar>
          {notice ? (
            <Notice kind={notice.kind} onDismiss={() => setNotice(null)}>
              {notice.text}
            </Notice>
          ) : null}
          <dl className="properties">
            <dt>Name</dt>
            <dd>{data.name}</dd>
            <dt>Manufacturer</dt>
            <dd>{data.publisher || '—'}</dd>
            <dt>Software version</dt>
            <dd>{data.softwareVersion || '—'}</dd>
            <dt>Description</dt>
            <dd>{data.description || '—'}</dd>
            <dt>Status</dt>
            <dd>{data.retired ? 'Retired' : 'Active'}</dd>
            <dt>Allow this application to be installed from the Install Application task sequence action</dt>
            <dd>{yesNo(data.allowTaskSequenceInstall)}</dd>
            <dt>A task sequence can install it</dt>
            <dd>{data.taskSequenceReady.ok ? 'Yes' : `No: ${data.taskSequenceReady.problems.join('; ')}`}</dd>
            <dt>Dependencies</dt>
            <dd>{data.dependencies.map((d) => d.name).join(', ') || 'none'}</dd>
            <dt>Supersedes</dt>
            <dd>{data.supersedes.join(', ') || 'none'}</dd>
            <dt>Content package</dt>
            <dd>{data.packageId ?? 'none'}</dd>
          </dl>
          <h2>Deployment Types</h2>
          <DataTable
            label={`Deployment types of ${data.name}`}
            columns={DT_COLUMNS}
            rows={data.deploymentTypes}
            rowKey={(d) => d.name}
            searchLabel="Search deployment types"
          />
          <ContentStatus packageId={data.packageId} objectName={data.name} />
          <ConfirmDialog
            title="Retire Application"
            open={confirm}
            message={`Retire "${data.name}"? It is no longer offered to new computers; task sequences that install it fail to start until it is reinstated.`}
            confirmLabel="Retire"
            busy={busy}
            onConfirm={() => void change(true)}
            onCancel={() => setConfirm(false)}
          />
        </>
      ) : null}
    </section>
  );
}
