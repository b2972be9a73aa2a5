/**
 * Software Library › Application Management › Packages:
 *   /software-library/packages           the list (PackageType 0), Create Package (content.write)
 *   /software-library/packages/PS100001  one package: its properties and programs, Properties
 *     (edit, content.write), Update Distribution Points, its content status
 */
import { useState } from 'react';
import { api, messageOf } from '../../../api/client';
import type { PageProps } from '../../../app/pages';
import { Link, navigate, useTitle } from '../../../app/router';
import { DataTable, type Column } from '../../../components/DataTable';
import { formatBytes, formatDate } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Progress } from '../../../components/Progress';
import { Toolbar, ToolbarButton } from '../../../components/Toolbar';
import '../content/library.css';
import { PackageProperties, useLoad, yesNo } from '../content/common';
import { ContentStatus } from '../content/ContentStatus';
import type { PackageInfo, Program } from '../content/types';
import { PackageDialog } from './PackageDialog';

const COLUMNS: Column<PackageInfo>[] = [
  { key: 'name', header: 'Name', width: '30%' },
  { key: 'packageId', header: 'Package ID', width: '9em' },
  { key: 'manufacturer', header: 'Manufacturer', width: '10em' },
  { key: 'version', header: 'Version', width: '7em' },
  { key: 'programs', header: 'Programs', align: 'right', width: '6em', value: (r) => ((r.properties.programs as Program[] | undefined) ?? []).length },
  { key: 'contentSize', header: 'Size', align: 'right', width: '8em', render: (r) => (r.contentSize !== null ? formatBytes(r.contentSize) : 'no content') },
  { key: 'updatedAt', header: 'Date Modified', width: '13em', render: (r) => formatDate(r.updatedAt) },
];

const PROGRAM_COLUMNS: Column<Program>[] = [
  { key: 'name', header: 'Name', width: '20%' },
  { key: 'commandLine', header: 'Command Line' },
  {
    key: 'allowTaskSequenceInstall',
    header: 'Install from a task sequence without being deployed',
    width: '16em',
    value: (r) => yesNo(r.allowTaskSequenceInstall),
  },
];

export default function PackagesPage({ rest, base }: PageProps) {
  if (rest.length === 0) return <PackageList base={base} />;
  return <PackageDetail base={base} id={rest[0]!} />;
}

function PackageList({ base }: { base: string }) {
  useTitle('Packages');
  const { data, error, reload } = useLoad(() => api.get<PackageInfo[]>('/packages', { type: 0 }), []);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | undefined>();
  const selected = data?.find((r) => r.packageId === selectedId);
  const open = (r: PackageInfo) => navigate(`${base}/${encodeURIComponent(r.packageId)}`);
  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title">Packages</h1>
      <Toolbar label="Packages commands">
        <ToolbarButton icon="+" label="Create Package" permission="content.write" onClick={() => setCreating(true)} />
        <ToolbarButton icon="✎" label="Open" disabled={!selected} onClick={() => selected && open(selected)} />
        <ToolbarButton icon="⟳" label="Refresh" onClick={() => void reload()} />
      </Toolbar>
      {notice ? (
        <Notice kind="success" onDismiss={() => setNotice(undefined)}>
          {notice}
        </Notice>
      ) : null}
      {error ? <Notice kind="error">The packages could not be read: {error}</Notice> : null}
      <DataTable
        label="Packages"
        columns={COLUMNS}
        rows={data ?? []}
        rowKey={(r) => r.packageId}
        selectedKey={selectedId}
        onSelect={(r) => setSelectedId(r?.packageId ?? null)}
        onOpen={open}
        searchLabel="Search packages"
        initialSort={{ key: 'name', direction: 'ascending' }}
        emptyText={data ? 'There are no packages.' : 'Loading…'}
      />
      {selected ? (
        <section className="details" aria-label={`Programs of ${selected.name}`}>
          <h2>{selected.name}</h2>
          <DataTable
            label={`Programs of ${selected.name}`}
            columns={PROGRAM_COLUMNS}
            rows={(selected.properties.programs as Program[] | undefined) ?? []}
            rowKey={(p) => p.name}
            searchLabel="Search programs"
            emptyText="This package has no programs."
          />
        </section>
      ) : null}
      <PackageDialog
        open={creating}
        onClose={() => setCreating(false)}
        onSaved={(pkg) => {
          setCreating(false);
          setSelectedId(pkg.packageId);
          setNotice(`Created the package "${pkg.name}" (${pkg.packageId}).`);
          void reload();
        }}
      />
    </section>
  );
}

function PackageDetail({ base, id }: { base: string; id: string }) {
  const { data, error, reload } = useLoad(() => api.get<PackageInfo>(`/packages/${encodeURIComponent(id)}`), [id]);
  useTitle(data?.name ?? id);
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const editable = data && data.packageType === 0 && !data.builtIn;

  const updateContent = async () => {
    if (!data) return;
    setBusy(true);
    try {
      const r = await api.post<{ package: PackageInfo; changed: boolean }>(`/packages/${encodeURIComponent(id)}/update-content`);
      setNotice({
        kind: 'success',
        text: r.changed
          ? `The source changed: "${data.name}" is now source version ${r.package.sourceVersion}, and distribution points get it.`
          : `The source of "${data.name}" has not changed.`,
      });
      await reload();
    } catch (e) {
      setNotice({ kind: 'error', text: `The distribution points were not updated: ${messageOf(e)}` });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="page" aria-labelledby="page-title">
      <p className="breadcrumb">
        <Link to={base}>Packages</Link> › {data?.name ?? id}
      </p>
      <h1 id="page-title">{data?.name ?? id}</h1>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {!data && !error ? <Progress label="Loading the package" /> : null}
      {data ? (
        <>
          <Toolbar label="Package commands">
            {editable ? <ToolbarButton icon="✎" label="Properties" permission="content.write" onClick={() => setEditing(true)} /> : null}
            <ToolbarButton
              icon="⇅"
              label="Update Distribution Points"
              permission="content.write"
              disabled={busy || !data.sourcePath}
              onClick={() => void updateContent()}
            />
            <ToolbarButton icon="⟳" label="Refresh" onClick={() => void reload()} />
          </Toolbar>
          {notice ? (
            <Notice kind={notice.kind} onDismiss={() => setNotice(null)}>
              {notice.text}
            </Notice>
          ) : null}
          <PackageProperties pkg={data}>
            <dt>Manufacturer</dt>
            <dd>{data.manufacturer || '—'}</dd>
            <dt>Language</dt>
            <dd>{data.language || '—'}</dd>
            <dt>Type</dt>
            <dd>{data.builtIn ? `${data.typeName} (created during setup)` : data.typeName}</dd>
          </PackageProperties>
          <h2>Programs</h2>
          <DataTable
            label={`Programs of ${data.name}`}
            columns={PROGRAM_COLUMNS}
            rows={(data.properties.programs as Program[] | undefined) ?? []}
            rowKey={(p) => p.name}
            searchLabel="Search programs"
            emptyText="This package has no programs."
          />
          <ContentStatus packageId={data.contentId ? data.packageId : null} objectName={data.name} />
          <PackageDialog
            open={editing}
            pkg={data}
            onClose={() => setEditing(false)}
            onSaved={(pkg) => {
              setEditing(false);
              setNotice({ kind: 'success', text: `Saved the package "${pkg.name}".` });
              void reload();
            }}
          />
        </>
      ) : null}
    </section>
  );
}
