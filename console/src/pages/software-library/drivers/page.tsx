/**
 * Software Library › Operating Systems › Drivers: the driver catalog. Search by name, class,
 * provider, platform or hardware ID; filter by category and platform; Enable / Disable and Import
 * Driver (content.write); the selected driver's details (its categories, hardware IDs, the driver
 * packages and boot images that hold it).
 */
import { useId, useMemo, useState } from 'react';
import { api, messageOf } from '../../../api/client';
import type { PageProps } from '../../../app/pages';
import { useTitle } from '../../../app/router';
import { DataTable, type Column } from '../../../components/DataTable';
import { formatDate } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Toolbar, ToolbarButton } from '../../../components/Toolbar';
import '../content/library.css';
import { useLoad, yesNo } from '../content/common';
import type { Driver, DriverCategory } from '../content/types';
import { CategorizeDialog } from './CategorizeDialog';
import { ImportDriverDialog } from './ImportDriverDialog';

const COLUMNS: Column<Driver>[] = [
  { key: 'name', header: 'Name', width: '26%' },
  { key: 'class', header: 'Driver Class', width: '8em' },
  { key: 'provider', header: 'Manufacturer', width: '11em' },
  { key: 'version', header: 'Version', width: '9em' },
  { key: 'platforms', header: 'Platforms', width: '8em', value: (r) => r.platforms.join(', ') },
  { key: 'categories', header: 'Categories', width: '10em', value: (r) => r.categories.join(', ') },
  { key: 'enabled', header: 'Enabled', width: '6em', value: (r) => yesNo(r.enabled) },
  { key: 'infFile', header: 'INF File', width: '10em' },
];

export default function DriversPage(_props: PageProps) {
  useTitle('Drivers');
  const { data, error, reload } = useLoad(() => api.get<Driver[]>('/drivers'), []);
  const categories = useLoad(() => api.get<DriverCategory[]>('/driver-categories'), []);
  const [category, setCategory] = useState('');
  const [platform, setPlatform] = useState('');
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [importing, setImporting] = useState(false);
  const [categorizing, setCategorizing] = useState(false);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const categoryId = useId();
  const platformId = useId();

  const rows = useMemo(
    () => (data ?? []).filter((d) => (!category || d.categories.includes(category)) && (!platform || d.platforms.includes(platform))),
    [data, category, platform],
  );
  const selected = data?.find((d) => String(d.ciId) === selectedId);

  const setEnabled = async (on: boolean) => {
    if (!selected) return;
    try {
      await api.patch(`/drivers/${selected.ciId}`, { enabled: on });
      setNotice({ kind: 'success', text: `${on ? 'Enabled' : 'Disabled'} the driver "${selected.name}".` });
      await reload();
    } catch (e) {
      setNotice({ kind: 'error', text: `The driver "${selected.name}" was not changed: ${messageOf(e)}` });
    }
  };

  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title">Drivers</h1>
      <Toolbar label="Drivers commands">
        <ToolbarButton icon="⇪" label="Import Driver" permission="content.write" onClick={() => setImporting(true)} />
        <ToolbarButton icon="✓" label="Enable" permission="content.write" disabled={!selected || selected.enabled} onClick={() => void setEnabled(true)} />
        <ToolbarButton icon="⊘" label="Disable" permission="content.write" disabled={!selected || !selected.enabled} onClick={() => void setEnabled(false)} />
        <ToolbarButton icon="▦" label="Categorize" permission="content.write" disabled={!selected} onClick={() => setCategorizing(true)} />
        <ToolbarButton
          icon="⟳"
          label="Refresh"
          onClick={() => {
            void reload();
            void categories.reload();
          }}
        />
      </Toolbar>
      {notice ? (
        <Notice kind={notice.kind} onDismiss={() => setNotice(null)}>
          {notice.text}
        </Notice>
      ) : null}
      {error ? <Notice kind="error">The drivers could not be read: {error}</Notice> : null}
      <DataTable
        label="Drivers"
        columns={COLUMNS}
        rows={rows}
        rowKey={(r) => String(r.ciId)}
        selectedKey={selectedId}
        onSelect={(r) => setSelectedId(r ? String(r.ciId) : null)}
        searchLabel="Search drivers by name, class, manufacturer, platform or hardware ID"
        searchText={(d) => [d.name, d.class, d.provider, d.platforms.join(' '), d.hardwareIds.join(' '), d.infFile, d.categories.join(' ')].join('\u0000')}
        initialSort={{ key: 'name', direction: 'ascending' }}
        emptyText={data ? 'There are no drivers in the catalog. Import drivers from a folder on the site server.' : 'Loading…'}
        filters={
          <>
            <label htmlFor={categoryId}>Category</label>
            <select id={categoryId} value={category} onChange={(e) => setCategory(e.target.value)}>
              <option value="">All categories</option>
              {(categories.data ?? []).map((c) => (
                <option key={c.name} value={c.name}>
                  {c.name} ({c.driverCount})
                </option>
              ))}
            </select>
            <label htmlFor={platformId}>Platform</label>
            <select id={platformId} value={platform} onChange={(e) => setPlatform(e.target.value)}>
              <option value="">All platforms</option>
              <option value="x86">x86</option>
              <option value="x64">x64</option>
              <option value="arm64">arm64</option>
            </select>
          </>
        }
      />
      {selected ? (
        <section className="details" aria-label={`Details of ${selected.name}`}>
          <h2>{selected.name}</h2>
          <dl>
            <dt>Driver class</dt>
            <dd>{selected.class}</dd>
            <dt>Manufacturer</dt>
            <dd>{selected.provider}</dd>
            <dt>Version and date</dt>
            <dd>
              {selected.version}, {selected.date}
            </dd>
            <dt>Signed</dt>
            <dd>{yesNo(selected.signed)}</dd>
            <dt>Applicable platforms</dt>
            <dd>{selected.platforms.join(', ')}</dd>
            <dt>Hardware IDs</dt>
            <dd>{selected.hardwareIds.join(', ') || '—'}</dd>
            <dt>Categories</dt>
            <dd>{selected.categories.join(', ') || 'none'}</dd>
            <dt>Driver packages</dt>
            <dd>{selected.driverPackages.join(', ') || 'none'}</dd>
            <dt>Boot images</dt>
            <dd>{selected.bootImages.join(', ') || 'none'}</dd>
            <dt>Date Created</dt>
            <dd>{formatDate(selected.createdAt)}</dd>
          </dl>
        </section>
      ) : null}
      {selected ? (
        <CategorizeDialog
          driver={selected}
          open={categorizing}
          onClose={() => setCategorizing(false)}
          onSaved={() => {
            setCategorizing(false);
            setNotice({ kind: 'success', text: `Changed the categories of "${selected.name}".` });
            void reload();
            void categories.reload();
          }}
        />
      ) : null}
      <ImportDriverDialog
        open={importing}
        onClose={() => setImporting(false)}
        onImported={(drivers) => {
          setImporting(false);
          setNotice({ kind: 'success', text: `Imported ${drivers.length} driver(s).` });
          void reload();
          void categories.reload();
        }}
      />
    </section>
  );
}
