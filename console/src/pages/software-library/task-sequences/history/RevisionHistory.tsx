/**
 * A task sequence's revision history (/software-library/task-sequences/PS100004/history): every
 * revision (newest first); Compare two revisions — the site's semantic diff in an administrator's
 * words (a step added, moved, renamed, an option or a condition changed, a secret set or cleared);
 * Revert to a revision (task-sequence.write: a new revision equal to it, with a comment); Export a
 * revision as task sequence XML, the SmsTaskSequencePackage wrapper, a console-export zip or JSON.
 */
import { useCallback, useEffect, useId, useState } from 'react';
import { api, ApiError, download, messageOf } from '../../../../api/client';
import type { RevisionInfo, TaskSequenceInfo } from '../../../../api/types';
import { Link, useTitle } from '../../../../app/router';
import { DataTable, type Column } from '../../../../components/DataTable';
import { Dialog } from '../../../../components/Dialog';
import { Field } from '../../../../components/Field';
import { formatBytes, formatDate } from '../../../../components/format';
import { Notice } from '../../../../components/Notice';
import { Progress } from '../../../../components/Progress';
import { Toolbar, ToolbarButton } from '../../../../components/Toolbar';
import '../../content/library.css';

/** GET /task-sequences/:id/diff */
export interface RevisionDiff {
  id: string;
  from: number;
  to: number;
  changes: Array<{ kind: string; itemKind?: 'group' | 'step'; pathA?: string; pathB?: string; field?: string; message: string }>;
  secretChanges: Array<{ address: string; change: 'set' | 'changed' | 'cleared'; message: string }>;
  text: string;
}

export const EXPORT_FORMATS = [
  { value: 'xml', label: 'Task sequence XML (<sequence>)' },
  { value: 'wrapper', label: 'SmsTaskSequencePackage XML (with the properties)' },
  { value: 'zip', label: 'Console export (.zip)' },
  { value: 'json', label: 'OpenOSD JSON' },
] as const;

const KIND_NAMES: Record<string, string> = {
  added: 'Added',
  removed: 'Removed',
  moved: 'Moved',
  renamed: 'Renamed',
  'option-changed': 'Option changed',
  'property-changed': 'Property changed',
  'action-changed': 'Command line changed',
  'condition-changed': 'Condition changed',
  'sequence-changed': 'Task sequence changed',
};

const COLUMNS: Column<RevisionInfo>[] = [
  { key: 'revision', header: 'Revision', align: 'right', width: '6em' },
  { key: 'createdAt', header: 'Date', width: '13em', render: (r) => formatDate(r.createdAt), value: (r) => r.createdAt },
  { key: 'author', header: 'Author', width: '12em' },
  { key: 'message', header: 'Comment' },
  { key: 'stepCount', header: 'Steps', align: 'right', width: '5em' },
  { key: 'sizeBytes', header: 'Size', align: 'right', width: '7em', render: (r) => formatBytes(r.sizeBytes) },
];

export function RevisionHistory({ base, id }: { base: string; id: string }) {
  const [info, setInfo] = useState<TaskSequenceInfo | undefined>();
  const [revisions, setRevisions] = useState<RevisionInfo[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [selected, setSelected] = useState<number | null>(null);
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);
  const [diff, setDiff] = useState<RevisionDiff | undefined>();
  const [diffError, setDiffError] = useState<string | undefined>();
  const [comparing, setComparing] = useState(false);
  const [dialog, setDialog] = useState<'revert' | 'export' | null>(null);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  useTitle(info ? `${info.name} revision history` : id);
  const fromId = useId();
  const toId = useId();

  const load = useCallback(async () => {
    try {
      const [i, r] = await Promise.all([
        api.get<TaskSequenceInfo>(`/task-sequences/${encodeURIComponent(id)}`),
        api.get<RevisionInfo[]>(`/task-sequences/${encodeURIComponent(id)}/revisions`),
      ]);
      setInfo(i);
      setRevisions(r);
      setError(undefined);
      return r;
    } catch (e) {
      setError(messageOf(e));
      return undefined;
    }
  }, [id]);

  useEffect(() => {
    void load().then((r) => {
      if (!r || r.length === 0) return;
      setTo(r[0]!.revision);
      setFrom(r.length > 1 ? r[1]!.revision : r[0]!.revision);
    });
  }, [load]);

  const compare = async () => {
    if (from === null || to === null) return;
    setComparing(true);
    setDiffError(undefined);
    try {
      setDiff(await api.get<RevisionDiff>(`/task-sequences/${encodeURIComponent(id)}/diff`, { from, to }));
    } catch (e) {
      setDiff(undefined);
      setDiffError(messageOf(e));
    } finally {
      setComparing(false);
    }
  };

  const options = (revisions ?? []).map((r) => (
    <option key={r.revision} value={r.revision}>
      {`Revision ${r.revision}${r.message ? ` — ${r.message}` : ''}`}
    </option>
  ));

  return (
    <section className="page" aria-labelledby="page-title">
      <p className="breadcrumb">
        <Link to={base}>Task Sequences</Link> › <Link to={`${base}/${encodeURIComponent(id)}`}>{info?.name ?? id}</Link> › Revision History
      </p>
      <h1 id="page-title">Revision History: {info?.name ?? id}</h1>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {!revisions && !error ? <Progress label="Loading the revision history" /> : null}
      {revisions && info ? (
        <>
          <Toolbar label="Revision history commands">
            <ToolbarButton
              icon="↺"
              label="Revert"
              permission="task-sequence.write"
              disabled={selected === null || selected === info.currentRevision}
              onClick={() => setDialog('revert')}
            />
            <ToolbarButton icon="⇩" label="Export Revision" disabled={selected === null} onClick={() => setDialog('export')} />
            <ToolbarButton icon="⟳" label="Refresh" onClick={() => void load()} />
          </Toolbar>
          {notice ? (
            <Notice kind={notice.kind} onDismiss={() => setNotice(null)}>
              {notice.text}
            </Notice>
          ) : null}
          <p>The current revision is {info.currentRevision}. Select a revision to revert to it or export it.</p>
          <DataTable
            label="Revision History"
            columns={COLUMNS}
            rows={revisions}
            rowKey={(r) => String(r.revision)}
            selectedKey={selected === null ? null : String(selected)}
            onSelect={(r) => setSelected(r?.revision ?? null)}
            initialSort={{ key: 'revision', direction: 'descending' }}
            searchLabel="Search revisions"
          />
          <section aria-labelledby={`${fromId}-title`}>
            <h2 id={`${fromId}-title`}>Compare Revisions</h2>
            <div className="compare-bar">
              <label htmlFor={fromId}>Compare revision</label>
              <select id={fromId} value={from ?? ''} onChange={(e) => setFrom(Number(e.target.value))}>
                {options}
              </select>
              <label htmlFor={toId}>with revision</label>
              <select id={toId} value={to ?? ''} onChange={(e) => setTo(Number(e.target.value))}>
                {options}
              </select>
              <button type="button" onClick={() => void compare()} disabled={comparing || from === null || to === null}>
                Compare
              </button>
            </div>
            {comparing ? <Progress label="Comparing the revisions" /> : null}
            {diffError ? <Notice kind="error">The revisions could not be compared: {diffError}</Notice> : null}
            {diff ? <DiffView diff={diff} /> : null}
          </section>
          <RevertDialog
            open={dialog === 'revert' && selected !== null}
            id={id}
            revision={selected ?? 0}
            currentRevision={info.currentRevision}
            onClose={() => setDialog(null)}
            onReverted={async (newRevision) => {
              setDialog(null);
              setNotice({ kind: 'success', text: `Reverted to revision ${selected}: it is now revision ${newRevision}.` });
              const r = await load();
              if (r?.length) {
                setTo(r[0]!.revision);
                setFrom(selected);
              }
            }}
          />
          <ExportRevisionDialog
            open={dialog === 'export' && selected !== null}
            revision={selected ?? 0}
            name={info.name}
            onClose={() => setDialog(null)}
            onExport={async (format) => {
              const file = await download(`/task-sequences/${encodeURIComponent(id)}/export`, { format, revision: selected ?? undefined });
              setDialog(null);
              setNotice({ kind: 'success', text: `Exported revision ${selected} as ${file}.` });
            }}
          />
        </>
      ) : null}
    </section>
  );
}

/** The site's changes between two revisions, one line each, in its words. */
export function DiffView({ diff }: { diff: RevisionDiff }) {
  const none = diff.changes.length === 0 && diff.secretChanges.length === 0;
  return (
    <section className="revision-diff" aria-label={`Changes from revision ${diff.from} to revision ${diff.to}`}>
      <h3>
        Changes from revision {diff.from} to revision {diff.to}
      </h3>
      {none ? <p>The two revisions are the same.</p> : null}
      <ul className="diff-list">
        {diff.changes.map((c, i) => (
          <li key={i} className={`diff-${c.kind}`}>
            <span className="diff-kind">{KIND_NAMES[c.kind] ?? c.kind}</span> {c.message}
          </li>
        ))}
        {diff.secretChanges.map((c, i) => (
          <li key={`s${i}`} className="diff-secret">
            <span className="diff-kind">Secret {c.change}</span> {c.message}
          </li>
        ))}
      </ul>
    </section>
  );
}

function RevertDialog({
  open,
  id,
  revision,
  currentRevision,
  onClose,
  onReverted,
}: {
  open: boolean;
  id: string;
  revision: number;
  currentRevision: number;
  onClose: () => void;
  onReverted: (newRevision: number) => void | Promise<void>;
}) {
  const [message, setMessage] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (open) {
      setMessage(`Reverted to revision ${revision}`);
      setError(undefined);
    }
  }, [open, revision]);
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await api.post<{ revision: { revision: number } }>(`/task-sequences/${encodeURIComponent(id)}/revert`, {
        revision,
        baseRevision: currentRevision,
        ...(message.trim() ? { message: message.trim() } : {}),
      });
      await onReverted(r.revision.revision);
    } catch (e) {
      setError(
        e instanceof ApiError && e.field === 'baseRevision'
          ? `Someone saved a newer revision: ${e.readable}. Close this, refresh the history to see it, then revert again.`
          : messageOf(e),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      title="Revert Task Sequence"
      open={open}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="primary" onClick={() => void run()} disabled={busy}>
            Revert
          </button>
          <button type="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
        </>
      }
    >
      <p>
        Revert to revision {revision}? Revision {currentRevision + 1} is saved with the steps of revision {revision}; revision {currentRevision} stays in the
        history.
      </p>
      <Field label="Revision comment" error={error}>
        {(p) => <input {...p} type="text" value={message} maxLength={1000} onChange={(e) => setMessage(e.target.value)} />}
      </Field>
    </Dialog>
  );
}

function ExportRevisionDialog({
  open,
  revision,
  name,
  onClose,
  onExport,
}: {
  open: boolean;
  revision: number;
  name: string;
  onClose: () => void;
  onExport: (format: string) => Promise<void>;
}) {
  const [format, setFormat] = useState<string>('xml');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const groupId = useId();
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onExport(format);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      title="Export Revision"
      open={open}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="primary" onClick={() => void run()} disabled={busy}>
            Export
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </>
      }
    >
      <p>
        Export revision {revision} of "{name}". Secret values (passwords, product keys) are exported empty.
      </p>
      <fieldset aria-describedby={error ? `${groupId}-error` : undefined}>
        <legend>File format</legend>
        {EXPORT_FORMATS.map((f) => (
          <label key={f.value} className="radio">
            <input type="radio" name={`${groupId}-format`} value={f.value} checked={format === f.value} onChange={() => setFormat(f.value)} />
            {f.label}
          </label>
        ))}
      </fieldset>
      {error ? (
        <div id={`${groupId}-error`} className="notice error" role="alert">
          {error}
        </div>
      ) : null}
    </Dialog>
  );
}
