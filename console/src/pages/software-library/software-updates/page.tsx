/**
 * Software Library › Software Updates: the updates the site knows (title, article, classification,
 * products, superseded, expired), Import Software Updates (application.write), the selected
 * update's details and, when it has a deployment package, that package's content status.
 */
import { useState } from 'react';
import { api } from '../../../api/client';
import type { PageProps } from '../../../app/pages';
import { useTitle } from '../../../app/router';
import { DataTable, type Column } from '../../../components/DataTable';
import { formatBytes, formatDate } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Toolbar, ToolbarButton } from '../../../components/Toolbar';
import '../content/library.css';
import { useLoad, yesNo } from '../content/common';
import { ContentStatus } from '../content/ContentStatus';
import type { SoftwareUpdate } from '../content/types';
import { ImportUpdatesDialog } from './ImportUpdatesDialog';

const COLUMNS: Column<SoftwareUpdate>[] = [
  { key: 'title', header: 'Title', width: '34%' },
  { key: 'articleId', header: 'Article ID', width: '8em' },
  { key: 'classification', header: 'Classification', width: '10em' },
  { key: 'products', header: 'Product', width: '10em', value: (r) => r.products.join(', ') },
  { key: 'severity', header: 'Severity', width: '7em' },
  { key: 'superseded', header: 'Superseded', width: '7em', value: (r) => yesNo(r.superseded) },
  { key: 'expired', header: 'Expired', width: '6em', value: (r) => yesNo(r.expired) },
  { key: 'packageId', header: 'Deployment package', width: '10em', value: (r) => r.packageId ?? '' },
];

export default function SoftwareUpdatesPage(_props: PageProps) {
  useTitle('Software Updates');
  const { data, error, reload } = useLoad(() => api.get<SoftwareUpdate[]>('/software-updates'), []);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [importing, setImporting] = useState(false);
  const [notice, setNotice] = useState<string | undefined>();
  const selected = data?.find((u) => u.updateId === selectedId);
  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title">Software Updates</h1>
      <Toolbar label="Software Updates commands">
        <ToolbarButton icon="⇪" label="Import Software Updates" permission="application.write" onClick={() => setImporting(true)} />
        <ToolbarButton icon="⟳" label="Refresh" onClick={() => void reload()} />
      </Toolbar>
      {notice ? (
        <Notice kind="success" onDismiss={() => setNotice(undefined)}>
          {notice}
        </Notice>
      ) : null}
      {error ? <Notice kind="error">The software updates could not be read: {error}</Notice> : null}
      <DataTable
        label="Software Updates"
        columns={COLUMNS}
        rows={data ?? []}
        rowKey={(r) => r.updateId}
        selectedKey={selectedId}
        onSelect={(r) => setSelectedId(r?.updateId ?? null)}
        searchLabel="Search software updates"
        initialSort={{ key: 'title', direction: 'ascending' }}
        emptyText={data ? 'There are no software updates. Import their metadata.' : 'Loading…'}
      />
      {selected ? (
        <section className="details" aria-label={`Details of ${selected.title}`}>
          <h2>{selected.title}</h2>
          <dl>
            <dt>Update ID</dt>
            <dd>{selected.updateId}</dd>
            <dt>Bulletin ID</dt>
            <dd>{selected.bulletinId || '—'}</dd>
            <dt>Applies to</dt>
            <dd>
              {[
                selected.applicability.minOsBuild ? `build ${selected.applicability.minOsBuild} or later` : '',
                selected.applicability.maxOsBuild ? `build ${selected.applicability.maxOsBuild} or earlier` : '',
                selected.applicability.architectures.join(', '),
              ]
                .filter(Boolean)
                .join('; ') || 'every computer'}
            </dd>
            <dt>Supersedes</dt>
            <dd>{selected.supersedes.join(', ') || 'none'}</dd>
            <dt>Restart required</dt>
            <dd>{yesNo(selected.restartRequired)}</dd>
            <dt>Files</dt>
            <dd>{selected.files.map((f) => `${f.name} (${formatBytes(f.size)})`).join(', ') || 'none'}</dd>
            <dt>Date imported</dt>
            <dd>{formatDate(selected.createdAt)}</dd>
          </dl>
          {selected.packageId ? <ContentStatus packageId={selected.packageId} objectName={`${selected.title}'s deployment package`} /> : null}
        </section>
      ) : null}
      <ImportUpdatesDialog
        open={importing}
        onClose={() => setImporting(false)}
        onImported={(updates) => {
          setImporting(false);
          setNotice(`Imported ${updates.length} software update(s).`);
          void reload();
        }}
      />
    </section>
  );
}
