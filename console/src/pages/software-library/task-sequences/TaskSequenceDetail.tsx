/**
 * One task sequence: its properties and its revision history (newest first). The editor and the
 * revision diff/revert come from later pages; this view links to them when they exist.
 */
import { useEffect, useMemo, useState } from 'react';
import { api, download, messageOf } from '../../../api/client';
import type { RevisionInfo, TaskSequenceDetail as Detail } from '../../../api/types';
import { Link, navigate, useTitle } from '../../../app/router';
import { DataTable, type Column } from '../../../components/DataTable';
import { formatBytes, formatDate } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Progress } from '../../../components/Progress';
import { Toolbar, ToolbarButton } from '../../../components/Toolbar';
import { TreeView } from '../../../components/TreeView';
import { itemAt, itemsOf, toTree } from './sequence-tree';

const REVISION_COLUMNS: Column<RevisionInfo>[] = [
  { key: 'revision', header: 'Revision', align: 'right', width: '7.5em' },
  { key: 'createdAt', header: 'Date', width: '13em', render: (r) => formatDate(r.createdAt), value: (r) => r.createdAt },
  { key: 'author', header: 'Author', width: '12em' },
  { key: 'message', header: 'Comment' },
  { key: 'stepCount', header: 'Steps', align: 'right', width: '5em' },
  { key: 'sizeBytes', header: 'Size', align: 'right', width: '7em', render: (r) => formatBytes(r.sizeBytes) },
];

export function TaskSequenceDetail({ base, id }: { base: string; id: string }) {
  const [info, setInfo] = useState<Detail | undefined>();
  const [stepId, setStepId] = useState<string | null>(null);
  const [revisions, setRevisions] = useState<RevisionInfo[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [selected, setSelected] = useState<number | null>(null);
  const [notice, setNotice] = useState<string | undefined>();
  useTitle(info ? info.name : id);

  useEffect(() => {
    let live = true;
    Promise.all([api.get<Detail>(`/task-sequences/${encodeURIComponent(id)}`), api.get<RevisionInfo[]>(`/task-sequences/${encodeURIComponent(id)}/revisions`)])
      .then(([i, r]) => {
        if (!live) return;
        setInfo(i);
        setRevisions(r);
      })
      .catch((e: unknown) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [id]);

  const items = useMemo(() => itemsOf(info?.sequence), [info]);
  const tree = useMemo(() => toTree(items), [items]);
  const step = stepId ? itemAt(items, stepId) : undefined;

  const exportRevision = async (revision: number) => {
    try {
      const name = await download(`/task-sequences/${encodeURIComponent(id)}/export`, { format: 'xml', revision });
      setNotice(`Exported revision ${revision} as ${name}.`);
    } catch (e) {
      setNotice(`The export failed: ${messageOf(e)}`);
    }
  };

  return (
    <section className="page" aria-labelledby="page-title">
      <p className="breadcrumb">
        <Link to={base}>Task Sequences</Link> › {info?.name ?? id}
      </p>
      <h1 id="page-title">{info ? info.name : id}</h1>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {!info && !error ? <Progress label="Loading the task sequence" /> : null}
      {info ? (
        <>
          <Toolbar label="Task sequence commands">
            <ToolbarButton icon="⇩" label="Export Revision" disabled={selected === null} onClick={() => selected !== null && void exportRevision(selected)} />
            <ToolbarButton icon="✎" label="Edit" permission="task-sequence.write" onClick={() => navigate(`${base}/${encodeURIComponent(id)}/edit`)} />
            <ToolbarButton icon="☰" label="Revision History" onClick={() => navigate(`${base}/${encodeURIComponent(id)}/history`)} />
            <ToolbarButton icon="➤" label="Deploy" permission="deployment.write" onClick={() => navigate(`${base}/${encodeURIComponent(id)}/deploy`)} />
          </Toolbar>
          {notice ? <Notice kind="info">{notice}</Notice> : null}
          <dl className="properties">
            <dt>Package ID</dt>
            <dd>{info.id}</dd>
            <dt>Description</dt>
            <dd>{info.description || '—'}</dd>
            <dt>Boot image</dt>
            <dd>{info.bootImageId ?? 'none'}</dd>
            <dt>Current revision</dt>
            <dd>{info.currentRevision}</dd>
            <dt>Deployments</dt>
            <dd>{info.deploymentCount}</dd>
          </dl>
          <h2>Steps (revision {info.revision.revision})</h2>
          <div className="split">
            {tree.length ? (
              <TreeView label="Task sequence steps" items={tree} selectedId={stepId} onSelect={setStepId} />
            ) : (
              <p>This task sequence has no steps.</p>
            )}
            <section className="details" aria-label="Selected step">
              {step ? (
                <dl>
                  <dt>Name</dt>
                  <dd>{step.name ?? '—'}</dd>
                  <dt>Kind</dt>
                  <dd>{step.kind === 'group' ? 'Group' : step.kind === 'step' ? 'Step' : 'Kept as written'}</dd>
                  {step.type ? (
                    <>
                      <dt>Type</dt>
                      <dd>{step.type}</dd>
                    </>
                  ) : null}
                  <dt>Description</dt>
                  <dd>{step.description || '—'}</dd>
                  <dt>Disabled</dt>
                  <dd>{step.disable ? 'Yes' : 'No'}</dd>
                  <dt>Continue on error</dt>
                  <dd>{step.continueOnError ? 'Yes' : 'No'}</dd>
                </dl>
              ) : (
                <p>Select a step to see it.</p>
              )}
            </section>
          </div>
          <h2 id="revisions-title">Revision History</h2>
          <DataTable
            label="Revision History"
            columns={REVISION_COLUMNS}
            rows={revisions ?? []}
            rowKey={(r) => String(r.revision)}
            selectedKey={selected === null ? null : String(selected)}
            onSelect={(r) => setSelected(r?.revision ?? null)}
            initialSort={{ key: 'revision', direction: 'descending' }}
            searchLabel="Search revisions"
          />
        </>
      ) : null}
    </section>
  );
}
