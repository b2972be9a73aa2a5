/**
 * The Device Collections node: the collections (built-in first), Create Device Collection (name,
 * comment, limiting collection), Evaluate (Update Membership), Delete, Refresh; open one with Enter
 * or a double-click.
 */
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, messageOf } from '../../../api/client';
import { navigate, useTitle } from '../../../app/router';
import { DataTable, type Column } from '../../../components/DataTable';
import { ConfirmDialog, Dialog } from '../../../components/Dialog';
import { Field } from '../../../components/Field';
import { formatDate } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Progress } from '../../../components/Progress';
import { Toolbar, ToolbarButton } from '../../../components/Toolbar';
import { WizardFrame } from '../../../components/WizardFrame';
import type { Collection, Evaluated, Rule } from '../common/types';
import { evaluatedText } from './RulesPanel';

const COLUMNS: Column<Collection>[] = [
  { key: 'name', header: 'Name', width: '24%' },
  { key: 'collectionId', header: 'Collection ID', width: '9em' },
  { key: 'limitingCollectionName', header: 'Limiting Collection', value: (c) => c.limitingCollectionName ?? '' },
  { key: 'memberCount', header: 'Member Count', align: 'right', width: '8em' },
  { key: 'ruleCount', header: 'Rules', align: 'right', width: '5em' },
  { key: 'evaluatedAt', header: 'Last Membership Update', width: '13em', render: (c) => formatDate(c.evaluatedAt), value: (c) => c.evaluatedAt ?? '' },
];

export function CollectionList({ base }: { base: string }) {
  useTitle('Device Collections');
  const [rows, setRows] = useState<Collection[] | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [dialog, setDialog] = useState<'create' | 'delete' | null>(null);
  const [evaluating, setEvaluating] = useState(false);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);

  const load = useCallback(async () => {
    try {
      setRows(await api.get<Collection[]>('/collections'));
      setLoadError(undefined);
    } catch (e) {
      setLoadError(messageOf(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const selected = rows?.find((c) => c.collectionId === selectedId);
  const open = (c: Collection) => navigate(`${base}/${encodeURIComponent(c.collectionId)}`);
  const names = new Map((rows ?? []).map((c) => [c.collectionId, c.name]));

  const evaluate = async () => {
    if (!selected) return;
    setEvaluating(true);
    try {
      const r = await api.post<Evaluated>(`/collections/${encodeURIComponent(selected.collectionId)}/evaluate`);
      setNotice({ kind: 'success', text: `Updated membership: ${evaluatedText(r.evaluated, names)}.` });
      await load();
    } catch (e) {
      setNotice({ kind: 'error', text: `The membership of ${selected.name} was not updated: ${messageOf(e)}` });
    }
    setEvaluating(false);
  };

  const remove = async () => {
    if (!selected) return;
    setDialog(null);
    try {
      await api.delete(`/collections/${encodeURIComponent(selected.collectionId)}`);
      setNotice({ kind: 'success', text: `Deleted the collection ${selected.name} (${selected.collectionId}).` });
      setSelectedId(null);
      await load();
    } catch (e) {
      setNotice({ kind: 'error', text: `The collection ${selected.name} was not deleted: ${messageOf(e)}` });
    }
  };

  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title">Device Collections</h1>
      <Toolbar label="Device Collections commands">
        <ToolbarButton icon="+" label="Create Device Collection" permission="collection.write" onClick={() => setDialog('create')} />
        <ToolbarButton icon="✎" label="Properties" disabled={!selected} onClick={() => selected && open(selected)} />
        <ToolbarButton icon="↻" label="Update Membership" permission="collection.write" disabled={!selected || evaluating} onClick={() => void evaluate()} />
        <ToolbarButton icon="✕" label="Delete" permission="collection.write" disabled={!selected || selected.builtIn} onClick={() => setDialog('delete')} />
        <ToolbarButton icon="⟳" label="Refresh" onClick={() => void load()} />
      </Toolbar>
      {evaluating ? (
        <Progress label="Updating membership" detail={selected ? `Evaluating ${selected.name} and the collections that depend on it` : undefined} />
      ) : null}
      {notice ? (
        <Notice kind={notice.kind} onDismiss={() => setNotice(null)}>
          {notice.text}
        </Notice>
      ) : null}
      {loadError ? <Notice kind="error">The collections could not be read: {loadError}</Notice> : null}
      <DataTable
        label="Device Collections"
        columns={COLUMNS}
        rows={rows ?? []}
        rowKey={(c) => c.collectionId}
        selectedKey={selectedId}
        onSelect={(c) => setSelectedId(c?.collectionId ?? null)}
        onOpen={open}
        searchLabel="Search device collections"
        emptyText={rows ? 'There are no collections.' : 'Loading…'}
      />
      <CreateCollectionDialog
        open={dialog === 'create'}
        collections={rows ?? []}
        onClose={(created) => {
          setDialog(null);
          if (created) {
            setNotice({ kind: 'success', text: `Created the collection ${created.name} (${created.collectionId}).` });
            void load();
            navigate(`${base}/${encodeURIComponent(created.collectionId)}`);
          }
        }}
      />
      <ConfirmDialog
        title="Delete Collection"
        open={dialog === 'delete' && !!selected}
        message={selected ? `Delete the collection ${selected.name} (${selected.collectionId}) with its rules and collection variables?` : ''}
        confirmLabel="Delete"
        onConfirm={() => void remove()}
        onCancel={() => setDialog(null)}
      />
    </section>
  );
}

function CreateCollectionDialog({ open, collections, onClose }: { open: boolean; collections: Collection[]; onClose: (created?: Collection) => void }) {
  const [generation, setGeneration] = useState(0);
  const [name, setName] = useState('');
  const [comment, setComment] = useState('');
  const [limiting, setLimiting] = useState('SMS00001');
  const [siteErrors, setSiteErrors] = useState<{ name?: string; comment?: string; limiting?: string }>({});

  useEffect(() => {
    if (!open) {
      setName('');
      setComment('');
      setLimiting('SMS00001');
      setSiteErrors({});
      setGeneration((g) => g + 1);
    }
  }, [open]);

  const nameError = !name.trim() ? 'Enter the collection name.' : name.trim().length > 256 ? 'A collection name has at most 256 characters.' : undefined;
  const fieldOf = (e: unknown) => (e instanceof ApiError ? e.field : undefined);

  return (
    <Dialog title="Create Device Collection Wizard" open={open} onClose={() => onClose()} wide>
      <WizardFrame<{ collection: Collection; rules: Rule[] }>
        key={generation}
        title="Create Device Collection Wizard"
        runLabel="Creating the collection"
        pages={[
          {
            id: 'general',
            title: 'General',
            valid: !nameError && !!limiting,
            content: ({ showErrors }) => (
              <>
                <Field label="Name" required error={siteErrors.name ?? (showErrors ? nameError : undefined)}>
                  {(p) => (
                    <input
                      {...p}
                      type="text"
                      value={name}
                      maxLength={300}
                      onChange={(e) => (setName(e.target.value), setSiteErrors((s) => ({ ...s, name: undefined })))}
                    />
                  )}
                </Field>
                <Field label="Comment" error={siteErrors.comment}>
                  {(p) => <textarea {...p} rows={2} value={comment} maxLength={4000} onChange={(e) => setComment(e.target.value)} />}
                </Field>
                <Field label="Limiting collection" required error={siteErrors.limiting} hint="Members can only come from this collection.">
                  {(p) => (
                    <select {...p} value={limiting} onChange={(e) => (setLimiting(e.target.value), setSiteErrors((s) => ({ ...s, limiting: undefined })))}>
                      {collections.map((c) => (
                        <option key={c.collectionId} value={c.collectionId}>
                          {c.name} ({c.collectionId})
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
                <p>Add membership rules and collection variables on the collection&apos;s page once it is created.</p>
              </>
            ),
          },
        ]}
        summary={
          <dl>
            <dt>Name</dt>
            <dd>{name.trim()}</dd>
            <dt>Comment</dt>
            <dd>{comment.trim() || '—'}</dd>
            <dt>Limiting collection</dt>
            <dd>{collections.find((c) => c.collectionId === limiting)?.name ?? limiting}</dd>
          </dl>
        }
        run={async (report) => {
          setSiteErrors({});
          report({ detail: `Creating ${name.trim()}` });
          try {
            return await api.post<{ collection: Collection; rules: Rule[] }>('/collections', {
              name: name.trim(),
              ...(comment.trim() ? { comment: comment.trim() } : {}),
              limitingCollectionId: limiting,
            });
          } catch (e) {
            const f = fieldOf(e);
            if (f === 'name') setSiteErrors({ name: messageOf(e) });
            else if (f === 'comment') setSiteErrors({ comment: messageOf(e) });
            else if (f === 'limitingCollectionId') setSiteErrors({ limiting: messageOf(e) });
            throw e;
          }
        }}
        pageOfError={(e) => (['name', 'comment', 'limitingCollectionId'].includes(fieldOf(e) ?? '') ? 'general' : undefined)}
        completion={(r) => (
          <p>
            Created {r.collection.name} ({r.collection.collectionId}), limited to {r.collection.limitingCollectionName ?? 'no collection'}:{' '}
            {r.collection.memberCount} members.
          </p>
        )}
        onClose={(r) => onClose(r?.collection)}
      />
    </Dialog>
  );
}
