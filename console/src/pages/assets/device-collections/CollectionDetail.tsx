/**
 * One collection: its properties, Update Membership (evaluate, with progress), Clear Required PXE
 * Deployments, Delete; tabs Members (paged by the site), Membership Rules, Collection Variables.
 */
import { useCallback, useEffect, useState } from 'react';
import { api, messageOf } from '../../../api/client';
import { Link, navigate, useTitle } from '../../../app/router';
import { DataTable, type Column, type PageRequest } from '../../../components/DataTable';
import { ConfirmDialog } from '../../../components/Dialog';
import { formatDate } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Progress } from '../../../components/Progress';
import { Toolbar, ToolbarButton } from '../../../components/Toolbar';
import { Tabs } from '../common/Tabs';
import type { Collection, Evaluated, Member, MemberPage } from '../common/types';
import { VariablesPanel } from '../common/VariablesPanel';
import { EditCollectionDialog } from './EditCollectionDialog';
import { evaluatedText, RulesPanel } from './RulesPanel';

const MEMBER_COLUMNS: Column<Member>[] = [
  { key: 'name', header: 'Name', sortable: false, render: (m) => <Link to={`/assets/devices/${m.resourceId}`}>{m.name}</Link>, value: (m) => m.name },
  { key: 'resourceId', header: 'Resource ID', align: 'right', width: '8em', sortable: false },
  { key: 'macAddresses', header: 'MAC Address', sortable: false, value: (m) => m.macAddresses.join(', ') },
  { key: 'smbiosGuid', header: 'SMBIOS GUID', sortable: false, value: (m) => m.smbiosGuid ?? '' },
  { key: 'client', header: 'Client', width: '5em', sortable: false, value: (m) => (m.client ? 'Yes' : 'No') },
];

export function CollectionDetail({ base, collectionId }: { base: string; collectionId: string }) {
  const [collection, setCollection] = useState<Collection | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [tab, setTab] = useState('members');
  const [reload, setReload] = useState(0);
  const [busy, setBusy] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<'delete' | 'clear' | null>(null);
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const path = `/collections/${encodeURIComponent(collectionId)}`;
  useTitle(collection ? `${collection.name} Properties` : 'Device Collection');

  const load = useCallback(async () => {
    try {
      setCollection(await api.get<Collection>(path));
      setError(undefined);
    } catch (e) {
      setError(messageOf(e));
    }
  }, [path]);
  useEffect(() => {
    void load();
  }, [load, reload]);

  const source = useCallback(
    async (r: PageRequest) => {
      const page = await api.get<MemberPage>(`${path}/members`, { search: r.search || undefined, limit: r.limit, cursor: r.cursor }, r.signal);
      return { rows: page.members, total: r.search ? (page.matching ?? undefined) : page.total, nextCursor: page.nextCursor ?? undefined };
    },
    [path],
  );

  const evaluate = async () => {
    setBusy('Updating membership');
    try {
      const all = await api.get<Collection[]>('/collections');
      const r = await api.post<Evaluated>(`${path}/evaluate`);
      setNotice({ kind: 'success', text: `Updated membership: ${evaluatedText(r.evaluated, new Map(all.map((c) => [c.collectionId, c.name])))}.` });
      setReload((n) => n + 1);
    } catch (e) {
      setNotice({ kind: 'error', text: `The membership was not updated: ${messageOf(e)}` });
    }
    setBusy(null);
  };

  const act = async () => {
    const what = confirm;
    setConfirm(null);
    try {
      if (what === 'delete') {
        await api.delete(path);
        navigate(base);
        return;
      }
      setBusy('Clearing Required PXE deployments');
      const r = await api.post<{ cleared: unknown[] }>(`${path}/clear-required`);
      setNotice({
        kind: 'success',
        text: r.cleared.length
          ? `Cleared ${r.cleared.length} Required PXE deployments of the collection's members.`
          : 'No member had a Required PXE deployment to clear.',
      });
    } catch (e) {
      setNotice({ kind: 'error', text: messageOf(e) });
    }
    setBusy(null);
  };

  if (error)
    return (
      <section className="page" aria-labelledby="page-title">
        <h1 id="page-title">Collection {collectionId}</h1>
        <Notice kind="error">The collection could not be read: {error}</Notice>
        <Link to={base}>Back to Device Collections</Link>
      </section>
    );

  return (
    <section className="page" aria-labelledby="page-title">
      <p>
        <Link to={base}>Device Collections</Link> ›
      </p>
      <h1 id="page-title">{collection ? `${collection.name} Properties` : 'Loading…'}</h1>
      {collection ? (
        <>
          <Toolbar label="Collection commands">
            <ToolbarButton icon="✎" label="Edit Properties" permission="collection.write" onClick={() => setEditing(true)} />
            <ToolbarButton icon="↻" label="Update Membership" permission="collection.write" disabled={!!busy} onClick={() => void evaluate()} />
            <ToolbarButton icon="↺" label="Clear Required PXE Deployments" permission="device.write" disabled={!!busy} onClick={() => setConfirm('clear')} />
            <ToolbarButton icon="✕" label="Delete" permission="collection.write" disabled={collection.builtIn || !!busy} onClick={() => setConfirm('delete')} />
            <ToolbarButton icon="⟳" label="Refresh" onClick={() => setReload((n) => n + 1)} />
          </Toolbar>
          {busy ? <Progress label={busy} detail={`${collection.name} and the collections that depend on it`} /> : null}
          {notice ? (
            <Notice kind={notice.kind} onDismiss={() => setNotice(null)}>
              {notice.text}
            </Notice>
          ) : null}
          <dl>
            <dt>Collection ID</dt>
            <dd>{collection.collectionId}</dd>
            <dt>Comment</dt>
            <dd>{collection.comment || '—'}</dd>
            <dt>Limiting collection</dt>
            <dd>{collection.limitingCollectionName ? `${collection.limitingCollectionName} (${collection.limitingCollectionId})` : '—'}</dd>
            <dt>Member count</dt>
            <dd>{collection.memberCount.toLocaleString()}</dd>
            <dt>Last membership update</dt>
            <dd>{formatDate(collection.evaluatedAt) || 'never'}</dd>
            <dt>Collection variable priority</dt>
            <dd>{collection.variablePriority}</dd>
          </dl>
          <Tabs
            label={`${collection.name} properties`}
            selected={tab}
            onSelect={setTab}
            tabs={[
              {
                id: 'members',
                label: 'Members',
                content: () => (
                  <DataTable
                    label="Members"
                    columns={MEMBER_COLUMNS}
                    source={source}
                    reloadKey={reload}
                    rowKey={(m) => String(m.resourceId)}
                    onOpen={(m) => navigate(`/assets/devices/${m.resourceId}`)}
                    searchLabel="Search members by name"
                    emptyText="The collection has no members (as of its last membership update)."
                  />
                ),
              },
              { id: 'rules', label: 'Membership Rules', content: () => <RulesPanel collection={collection} onChanged={() => setReload((n) => n + 1)} /> },
              {
                id: 'variables',
                label: 'Collection Variables',
                content: () => <VariablesPanel path={path} permission="collection.write" label="Collection variables" />,
              },
            ]}
          />
          {editing ? (
            <EditCollectionDialog
              collection={collection}
              onClose={(saved) => {
                setEditing(false);
                if (saved) {
                  setCollection(saved);
                  setNotice({ kind: 'success', text: `Saved the properties of ${saved.name}.` });
                }
              }}
            />
          ) : null}
          <ConfirmDialog
            title={confirm === 'delete' ? 'Delete Collection' : 'Clear Required PXE Deployments'}
            open={confirm !== null}
            message={
              confirm === 'delete'
                ? `Delete the collection ${collection.name} (${collection.collectionId}) with its rules and collection variables?`
                : `Clear the Required PXE deployments of every member of ${collection.name}? A Required deployment that already ran is run again at the member's next network boot.`
            }
            confirmLabel={confirm === 'delete' ? 'Delete' : 'Clear'}
            onConfirm={() => void act()}
            onCancel={() => setConfirm(null)}
          />
        </>
      ) : null}
    </section>
  );
}
