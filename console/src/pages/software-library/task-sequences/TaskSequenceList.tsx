/**
 * The Task Sequences node: the ribbon (Import Task Sequence, Export, Delete, Refresh), the list
 * with search, and the details pane of the selected task sequence. The site has no folders for
 * task sequences (docs/console.md), so the node shows one list.
 */
import { useCallback, useEffect, useState } from 'react';
import { api, download, messageOf } from '../../../api/client';
import type { TaskSequenceInfo } from '../../../api/types';
import { navigate, useSearchParams, useTitle } from '../../../app/router';
import { DataTable, type Column } from '../../../components/DataTable';
import { ConfirmDialog } from '../../../components/Dialog';
import { formatDate } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Toolbar, ToolbarButton } from '../../../components/Toolbar';
import { ExportDialog } from './ExportDialog';
import { FolderTree, MoveDialog, useFolders } from './folders';
import './folders.css';
import { ImportDialog } from './ImportDialog';

const COLUMNS: Column<TaskSequenceInfo>[] = [
  { key: 'name', header: 'Name', width: '28%' },
  { key: 'id', header: 'Package ID', width: '9em' },
  { key: 'description', header: 'Description' },
  { key: 'currentRevision', header: 'Revision', align: 'right', width: '6em' },
  { key: 'deploymentCount', header: 'Deployments', align: 'right', width: '7em' },
  {
    key: 'disabled',
    header: 'Enabled',
    width: '6em',
    value: (r) => (r.properties.disabled ? 'No' : 'Yes'),
  },
  { key: 'updatedAt', header: 'Date Modified', width: '13em', render: (r) => formatDate(r.updatedAt) },
];

export function TaskSequenceList({ base }: { base: string }) {
  useTitle('Task Sequences');
  const [rows, setRows] = useState<TaskSequenceInfo[] | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [dialog, setDialog] = useState<'import' | 'export' | 'delete' | 'move' | null>(null);
  // The folder shown (osd-features §1.3): in the address, so Back and a reload keep it.
  const folder = useSearchParams().get('folder') ?? '';
  const setFolder = (f: string) => navigate(f ? `${base}?folder=${encodeURIComponent(f)}` : base);
  const folders = useFolders();
  const [notice, setNotice] = useState<{ kind: 'success' | 'error' | 'warning'; text: string } | null>(null);
  const [deleting, setDeleting] = useState(false);

  const load = useCallback(async () => {
    try {
      setRows(await api.get<TaskSequenceInfo[]>(`/task-sequences?folder=${encodeURIComponent(folder)}`));
      setLoadError(undefined);
    } catch (e) {
      setLoadError(messageOf(e));
    }
  }, [folder]);

  useEffect(() => {
    void load();
  }, [load]);

  const selected = rows?.find((r) => r.id === selectedId);
  const open = (r: TaskSequenceInfo) => navigate(`${base}/${encodeURIComponent(r.id)}`);

  const remove = async () => {
    if (!selected) return;
    setDeleting(true);
    try {
      await api.delete(`/task-sequences/${encodeURIComponent(selected.id)}`);
      setNotice({ kind: 'success', text: `Deleted the task sequence "${selected.name}" (${selected.id}).` });
      setSelectedId(null);
      await Promise.all([load(), folders.reload()]);
    } catch (e) {
      setNotice({ kind: 'error', text: `The task sequence "${selected.name}" was not deleted: ${messageOf(e)}` });
    } finally {
      setDeleting(false);
      setDialog(null);
    }
  };

  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title">Task Sequences</h1>
      <Toolbar label="Task Sequences commands">
        <ToolbarButton
          icon="✚"
          label="Create Task Sequence"
          permission="task-sequence.write"
          onClick={() => navigate(`${base}/new${folder ? `?folder=${encodeURIComponent(folder)}` : ''}`)}
        />
        <ToolbarButton icon="⇪" label="Import Task Sequence" permission="task-sequence.write" onClick={() => setDialog('import')} />
        <ToolbarButton icon="⇩" label="Export" disabled={!selected} onClick={() => setDialog('export')} />
        <ToolbarButton icon="✎" label="Open" disabled={!selected} onClick={() => selected && open(selected)} />
        <ToolbarButton
          icon="➤"
          label="Deploy"
          permission="deployment.write"
          disabled={!selected}
          onClick={() => selected && navigate(`${base}/${encodeURIComponent(selected.id)}/deploy`)}
        />
        <ToolbarButton icon="➜" label="Move" permission="task-sequence.write" disabled={!selected} onClick={() => setDialog('move')} />
        <ToolbarButton icon="✕" label="Delete" permission="task-sequence.write" disabled={!selected} onClick={() => setDialog('delete')} />
        <ToolbarButton icon="⟳" label="Refresh" onClick={() => void Promise.all([load(), folders.reload()])} />
      </Toolbar>
      {notice ? (
        <Notice kind={notice.kind} onDismiss={() => setNotice(null)}>
          {notice.text}
        </Notice>
      ) : null}
      {loadError ? <Notice kind="error">The task sequences could not be read: {loadError}</Notice> : null}
      {folders.error ? <Notice kind="error">The folders could not be read: {folders.error}</Notice> : null}
      <div className="ts-layout">
        <FolderTree
          folders={folders.folders}
          folder={folder}
          onFolder={(f) => {
            setSelectedId(null);
            setFolder(f);
          }}
        />
        <div>
          <DataTable
            columns={COLUMNS}
            rows={rows ?? []}
            rowKey={(r) => r.id}
            selectedKey={selectedId}
            onSelect={(r) => setSelectedId(r?.id ?? null)}
            onOpen={open}
            searchLabel="Search task sequences"
            initialSort={{ key: 'name', direction: 'ascending' }}
            label={folder ? `Task Sequences in ${folder}` : 'Task Sequences'}
            emptyText={
              rows
                ? folder
                  ? 'There are no task sequences in this folder.'
                  : 'There are no task sequences. Import one, or create one with the Create Task Sequence Wizard.'
                : 'Loading…'
            }
          />
        </div>
      </div>
      {selected ? (
        <section className="details" aria-label={`Details of ${selected.name}`}>
          <h2>{selected.name}</h2>
          <dl>
            <dt>Package ID</dt>
            <dd>{selected.id}</dd>
            <dt>Description</dt>
            <dd>{selected.description || '—'}</dd>
            <dt>Boot image</dt>
            <dd>{selected.bootImageId ?? 'none (not an operating system deployment task sequence)'}</dd>
            <dt>Revision</dt>
            <dd>{selected.currentRevision}</dd>
            <dt>Maximum allowed run time</dt>
            <dd>{selected.properties.maxRunTimeMinutes ? `${selected.properties.maxRunTimeMinutes} minutes` : 'not limited'}</dd>
            <dt>High-impact</dt>
            <dd>{selected.properties.highImpact ? 'Yes' : 'No'}</dd>
            <dt>Created</dt>
            <dd>{formatDate(selected.createdAt)}</dd>
          </dl>
        </section>
      ) : null}
      <ImportDialog
        open={dialog === 'import'}
        folder={folder}
        onClose={() => setDialog(null)}
        onImported={(result) => {
          setDialog(null);
          setSelectedId(result.taskSequence.id);
          const warn = result.warnings.length ? ` Warnings: ${result.warnings.join('; ')}` : '';
          setNotice({
            kind: result.warnings.length ? 'warning' : 'success',
            text: `Imported "${result.taskSequence.name}" as ${result.taskSequence.id} (${result.revision.stepCount} steps).${warn}`,
          });
          void Promise.all([load(), folders.reload()]);
        }}
      />
      {selected ? (
        <ExportDialog
          open={dialog === 'export'}
          taskSequence={selected}
          onClose={() => setDialog(null)}
          onExport={async (format) => {
            const name = await download(`/task-sequences/${encodeURIComponent(selected.id)}/export`, { format });
            setNotice({ kind: 'success', text: `Exported "${selected.name}" as ${name}.` });
            setDialog(null);
          }}
        />
      ) : null}
      {selected ? (
        <MoveDialog
          open={dialog === 'move'}
          taskSequence={selected}
          folders={folders.folders}
          onClose={() => setDialog(null)}
          onMoved={(to) => {
            setDialog(null);
            setNotice({ kind: 'success', text: `Moved "${selected.name}" to ${to ? `the folder ${to}` : 'the top of Task Sequences'}.` });
            setSelectedId(null);
            void Promise.all([load(), folders.reload()]);
          }}
        />
      ) : null}
      <ConfirmDialog
        title="Delete Task Sequence"
        open={dialog === 'delete' && !!selected}
        message={
          selected
            ? `Delete the task sequence "${selected.name}" (${selected.id}) and all ${selected.currentRevision} of its revisions? This cannot be undone.`
            : ''
        }
        confirmLabel="Delete"
        busy={deleting}
        onConfirm={() => void remove()}
        onCancel={() => setDialog(null)}
      />
    </section>
  );
}
