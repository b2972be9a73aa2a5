/**
 * Software Library › Operating Systems › Driver Packages:
 *   /software-library/driver-packages           the list
 *   /software-library/driver-packages/PS100007  one driver package: its drivers and content status
 */
import { useState } from 'react';
import { api } from '../../../api/client';
import type { PageProps } from '../../../app/pages';
import { Link, navigate, useTitle } from '../../../app/router';
import { DataTable, type Column } from '../../../components/DataTable';
import { formatBytes, formatDate } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Progress } from '../../../components/Progress';
import { Toolbar, ToolbarButton } from '../../../components/Toolbar';
import { PackageProperties, useLoad, yesNo } from '../content/common';
import { ContentStatus } from '../content/ContentStatus';
import type { DriverPackage } from '../content/types';

const COLUMNS: Column<DriverPackage>[] = [
  { key: 'name', header: 'Name', width: '28%' },
  { key: 'packageId', header: 'Package ID', width: '9em' },
  { key: 'manufacturer', header: 'Manufacturer', width: '10em' },
  { key: 'model', header: 'Model', width: '12em', value: (r) => String(r.properties.model ?? '') },
  { key: 'drivers', header: 'Drivers', align: 'right', width: '6em', value: (r) => r.drivers.length },
  { key: 'contentSize', header: 'Size', align: 'right', width: '8em', render: (r) => (r.contentSize !== null ? formatBytes(r.contentSize) : '') },
  { key: 'updatedAt', header: 'Date Modified', width: '13em', render: (r) => formatDate(r.updatedAt) },
];

const MEMBER_COLUMNS: Column<DriverPackage['drivers'][number]>[] = [
  { key: 'name', header: 'Name' },
  { key: 'ciId', header: 'Driver ID', align: 'right', width: '7em' },
  { key: 'enabled', header: 'Enabled', width: '6em', value: (r) => yesNo(r.enabled) },
];

export default function DriverPackagesPage({ rest, base }: PageProps) {
  if (rest.length === 0) return <DriverPackageList base={base} />;
  return <DriverPackageDetail base={base} id={rest[0]!} />;
}

function DriverPackageList({ base }: { base: string }) {
  useTitle('Driver Packages');
  const { data, error, reload } = useLoad(() => api.get<DriverPackage[]>('/driver-packages'), []);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const selected = data?.find((r) => r.packageId === selectedId);
  const open = (r: DriverPackage) => navigate(`${base}/${encodeURIComponent(r.packageId)}`);
  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title">Driver Packages</h1>
      <Toolbar label="Driver Packages commands">
        <ToolbarButton icon="✎" label="Open" disabled={!selected} onClick={() => selected && open(selected)} />
        <ToolbarButton icon="⟳" label="Refresh" onClick={() => void reload()} />
      </Toolbar>
      {error ? <Notice kind="error">The driver packages could not be read: {error}</Notice> : null}
      <DataTable
        label="Driver Packages"
        columns={COLUMNS}
        rows={data ?? []}
        rowKey={(r) => r.packageId}
        selectedKey={selectedId}
        onSelect={(r) => setSelectedId(r?.packageId ?? null)}
        onOpen={open}
        searchLabel="Search driver packages"
        initialSort={{ key: 'name', direction: 'ascending' }}
        emptyText={data ? 'There are no driver packages.' : 'Loading…'}
      />
      {selected ? (
        <section className="details" aria-label={`Drivers in ${selected.name}`}>
          <h2>{selected.name}</h2>
          <DataTable
            label={`Drivers in ${selected.name}`}
            columns={MEMBER_COLUMNS}
            rows={selected.drivers}
            rowKey={(d) => String(d.ciId)}
            searchLabel="Search members"
          />
        </section>
      ) : null}
    </section>
  );
}

function DriverPackageDetail({ base, id }: { base: string; id: string }) {
  const { data, error } = useLoad(() => api.get<DriverPackage>(`/driver-packages/${encodeURIComponent(id)}`), [id]);
  useTitle(data?.name ?? id);
  return (
    <section className="page" aria-labelledby="page-title">
      <p className="breadcrumb">
        <Link to={base}>Driver Packages</Link> › {data?.name ?? id}
      </p>
      <h1 id="page-title">{data?.name ?? id}</h1>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {!data && !error ? <Progress label="Loading the driver package" /> : null}
      {data ? (
        <>
          <PackageProperties pkg={data}>
            <dt>Manufacturer</dt>
            <dd>{data.manufacturer || '—'}</dd>
            <dt>Model</dt>
            <dd>{String(data.properties.model ?? '') || '—'}</dd>
          </PackageProperties>
          <h2>Drivers</h2>
          <DataTable
            label={`Drivers in ${data.name}`}
            columns={MEMBER_COLUMNS}
            rows={data.drivers}
            rowKey={(d) => String(d.ciId)}
            searchLabel="Search members"
            emptyText="This driver package has no drivers."
          />
          <ContentStatus packageId={data.packageId} objectName={data.name} />
        </>
      ) : null}
    </section>
  );
}
