/**
 * The Task Sequence Editor (Software Library › Task Sequences › Edit): the tree of groups and steps
 * on the left, the selected item's Properties and Options on the right, lint findings on their
 * steps, Save as a new revision with a comment (a stale base is explained and the edits kept), and
 * the Simulate panel whose outcomes appear on the tree. Everything is done through the admin API.
 */
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore, type KeyboardEvent } from 'react';
import { api, ApiError, messageOf } from '../../../../api/client';
import { Link, useTitle } from '../../../../app/router';
import { useCan } from '../../../../app/session';
import { ConfirmDialog, Dialog } from '../../../../components/Dialog';
import { CheckboxField, Field } from '../../../../components/Field';
import { Notice } from '../../../../components/Notice';
import { Progress } from '../../../../components/Progress';
import { Toolbar, ToolbarButton } from '../../../../components/Toolbar';
import type { LintFinding, SaveResult, Simulation, StepTypeInfo, TaskSequenceDetail } from './api-types';
import { ConditionEditor } from './ConditionEditor';
import { conditionProblems } from './conditions';
import { EditorTree, TreeStore, type Marker } from './EditorTree';
import {
  cloneNode,
  countNodes,
  differences,
  fromDocument,
  indexNodes,
  insertNode,
  moveNode,
  newUid,
  placeFor,
  removeNode,
  siteAddresses,
  toDocument,
  updateNode,
  type Direction,
  type EditorDocument,
  type ItemData,
  type Json,
  type Located,
  type Node,
  type Place,
} from './model';
import { descriptionError, formProblems, nameError, PropertiesTab } from './PropertiesTab';
import { SimulatePanel } from './SimulatePanel';
import './editor.css';

interface Base {
  id: string;
  name: string;
  revision: number;
}

interface Conflict {
  currentRevision: number;
  author: string;
  savedAt: string;
  message: string;
}

const OUTCOME_TEXT: Record<string, string> = { run: 'run', skipped: 'skipped', disabled: 'disabled', failed: 'failed', 'not-reached': 'not reached' };

function successCodesError(data: ItemData): string | undefined {
  if (data.kind !== 'step' || data.successCodeList === undefined) return undefined;
  const list = data.successCodeList.trim();
  if (list === '') return 'Success codes: give at least one exit code, e.g. 0 3010';
  return list.split(/\s+/).every((t) => /^-?\d+$/.test(t) && Number(t) >= -2147483648 && Number(t) <= 4294967295)
    ? undefined
    : 'Success codes are whole numbers separated by spaces, e.g. 0 3010';
}

/**
 * Every rule the items changed in this session break, with the item (Save is refused while there
 * are any). Items not touched are not judged: a file from elsewhere saves as it came (lint says
 * what it thinks of them).
 */
function problemsOf(items: Node[], types: Map<string, StepTypeInfo>, touched: ReadonlySet<string>): Array<{ uid: string; name: string; rule: string }> {
  const out: Array<{ uid: string; name: string; rule: string }> = [];
  const walk = (list: Node[]) => {
    for (const n of list) {
      const d = n.data;
      if (d.kind !== 'raw' && touched.has(n.uid)) {
        const rules = [
          nameError(d),
          descriptionError(d),
          successCodesError(d),
          ...formProblems(d, d.type ? types.get(d.type) : undefined),
          ...conditionProblems(d.condition?.operands ?? []),
        ];
        for (const r of rules) if (r) out.push({ uid: n.uid, name: d.name || '(no name)', rule: r });
      }
      if (n.children) walk(n.children);
    }
  };
  walk(items);
  return out;
}

/** Every group open (as the editor shows a sequence it opens). */
function expandAll(store: TreeStore, items: Node[]): void {
  const groups = new Set<string>();
  const walk = (list: Node[]) => {
    for (const n of list) {
      if (n.children) {
        groups.add(n.uid);
        walk(n.children);
      }
    }
  };
  walk(items);
  store.expanded = groups;
  store.emit();
}

export function TaskSequenceEditor({ base: nodeBase, id }: { base: string; id: string }) {
  const canWrite = useCan('task-sequence.write');
  const store = useRef(new TreeStore()).current;
  const [doc, setDoc] = useState<EditorDocument | null>(null);
  const [base, setBase] = useState<Base | null>(null);
  const [types, setTypes] = useState<Map<string, StepTypeInfo>>(new Map());
  const [loadError, setLoadError] = useState<string | null>(null);
  const [dirty, setDirty] = useState(false);
  const actionDirty = useRef(new Set<string>());
  const touched = useRef(new Set<string>());
  const [findings, setFindings] = useState<LintFinding[]>([]);
  const [lintError, setLintError] = useState<string | null>(null);
  const [simulation, setSimulation] = useState<Simulation | null>(null);
  const [simulateOpen, setSimulateOpen] = useState(false);
  const [tab, setTab] = useState<'properties' | 'options'>('properties');
  const [clipboard, setClipboard] = useState<Node | null>(null);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error' | 'info' | 'warning'; text: string } | null>(null);
  const [addOpen, setAddOpen] = useState(false);
  const [saveOpen, setSaveOpen] = useState(false);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [confirmOverwrite, setConfirmOverwrite] = useState(false);
  const [confirmRemove, setConfirmRemove] = useState<string | null>(null);
  const [myCopy, setMyCopy] = useState<{ doc: EditorDocument; fromRevision: number; touched: Set<string>; actions: Set<string>; differences: string[] } | null>(
    null,
  );
  const [busy, setBusy] = useState(false);
  const selected = useSyncExternalStore(store.subscribe, () => store.selected);
  useTitle(base ? `Task Sequence Editor - ${base.name}` : 'Task Sequence Editor');

  const load = useCallback(async () => {
    const detail = await api.get<TaskSequenceDetail>(`/task-sequences/${encodeURIComponent(id)}`);
    const next = fromDocument(detail.sequence);
    setDoc(next);
    setBase({ id: detail.id, name: detail.name, revision: detail.currentRevision });
    setDirty(false);
    actionDirty.current.clear();
    setSimulation(null);
    expandAll(store, next.items);
    store.select(next.items[0]?.uid ?? null);
    return next;
  }, [id, store]);

  useEffect(() => {
    Promise.all([load(), api.get<StepTypeInfo[]>('/step-types')])
      .then(([, t]) => setTypes(new Map(t.map((x) => [x.type, x]))))
      .catch((e) => setLoadError(messageOf(e)));
  }, [load]);

  const index = useMemo(() => (doc ? indexNodes(doc.items) : new Map<string, Located>()), [doc]);
  const addresses = useMemo(() => (doc ? siteAddresses(doc.items) : { byPath: new Map<string, string>(), byIndex: [] as string[] }), [doc]);

  // Lint the sequence as edited (debounced): findings go on their steps.
  useEffect(() => {
    if (!doc) return;
    const t = setTimeout(() => {
      api
        .post<{ findings: LintFinding[] }>('/task-sequences/lint', { sequence: toDocument(doc) })
        .then((r) => {
          setFindings(r.findings);
          setLintError(null);
        })
        .catch((e) => setLintError(messageOf(e)));
    }, 500);
    return () => clearTimeout(t);
  }, [doc]);

  const findingsByUid = useMemo(() => {
    const m = new Map<string, LintFinding[]>();
    for (const f of findings) {
      const uid = addresses.byPath.get(f.path);
      if (!uid) continue;
      m.set(uid, [...(m.get(uid) ?? []), f]);
    }
    return m;
  }, [findings, addresses]);

  // The tree's markers: lint counts and the simulation's outcome with its reason.
  useEffect(() => {
    const m = new Map<string, Marker[]>();
    for (const [uid, list] of findingsByUid) {
      const errors = list.filter((f) => f.severity === 'error').length;
      const warnings = list.filter((f) => f.severity === 'warning').length;
      if (!errors && !warnings) continue;
      const text = errors ? `${errors} error${errors > 1 ? 's' : ''}` : `${warnings} warning${warnings > 1 ? 's' : ''}`;
      m.set(uid, [{ text, className: errors ? 'lint-error' : 'lint-warning', detail: list.map((f) => `${f.severity}: ${f.message}`).join('; ') }]);
    }
    if (simulation) {
      for (const s of simulation.steps) {
        const uid = addresses.byIndex[s.index];
        if (!uid) continue;
        const text = OUTCOME_TEXT[s.outcome] ?? s.outcome;
        m.set(uid, [...(m.get(uid) ?? []), { text, className: `sim-${s.outcome}`, detail: `${text}${s.reason ? `: ${s.reason}` : ''}` }]);
      }
    }
    store.setMarkers(m);
  }, [findingsByUid, simulation, addresses, store]);

  const change = useCallback(
    (items: Node[], select?: string | null) => {
      setDoc((d) => (d ? { ...d, items } : d));
      setDirty(true);
      setSimulation(null);
      if (select !== undefined) store.select(select);
    },
    [store],
  );

  const selectedNode: Node | undefined = selected ? index.get(selected)?.node : undefined;

  const updateSelected = (data: ItemData, propertiesChanged?: boolean) => {
    if (!doc || !selected) return;
    if (propertiesChanged) actionDirty.current.add(selected);
    touched.current.add(selected);
    change(updateNode(doc.items, selected, () => data));
  };

  const move = (uid: string, direction: Direction) => {
    if (!doc) return;
    const place = placeFor(doc.items, uid, direction);
    const next = place ? moveNode(doc.items, uid, place) : null;
    if (!next) return;
    if (place?.parent) store.setExpanded(place.parent, true);
    change(next, uid);
  };

  const moveTo = (uid: string, place: Place) => {
    if (!doc) return;
    const next = moveNode(doc.items, uid, place);
    if (!next) return;
    if (place.parent) store.setExpanded(place.parent, true);
    change(next, uid);
  };

  /** Where a new or pasted item goes: after the selected item, at the same level (the top when nothing is selected). */
  const insertPlace = (): Place => {
    const at = selected ? index.get(selected) : undefined;
    if (!at || !doc) return { parent: null, index: doc?.items.length ?? 0 };
    return { parent: at.parent?.uid ?? null, index: at.index + 1 };
  };

  const insert = (node: Node) => {
    if (!doc) return;
    touched.current.add(node.uid);
    change(insertNode(doc.items, node, insertPlace()), node.uid);
    if (node.children) store.setExpanded(node.uid, true);
  };

  const remove = (uid: string) => {
    if (!doc) return;
    const at = index.get(uid);
    if (!at) return;
    const next = at.siblings[at.index + 1] ?? at.siblings[at.index - 1] ?? at.parent;
    change(removeNode(doc.items, uid), next?.uid ?? null);
    setConfirmRemove(null);
  };

  const askRemove = (uid: string) => {
    const node = index.get(uid)?.node;
    if (node?.children?.length) setConfirmRemove(uid);
    else remove(uid);
  };

  const copy = (uid: string) => {
    const node = index.get(uid)?.node;
    if (!node) return;
    setClipboard(cloneNode(node));
    setNotice({ kind: 'info', text: `Copied "${node.data.name ?? ''}". Paste puts a copy after the selected item.` });
  };

  const paste = () => {
    if (!clipboard) return;
    insert(cloneNode(clipboard));
  };

  const onItemKeys = (e: KeyboardEvent, uid: string): boolean => {
    const ctrl = e.ctrlKey || e.metaKey;
    if (ctrl && !e.altKey && (e.key === 'c' || e.key === 'C')) {
      copy(uid);
      return true;
    }
    if (!canWrite) return false;
    if (e.altKey && !ctrl) {
      const dir: Record<string, Direction> = { ArrowUp: 'up', ArrowDown: 'down', ArrowRight: 'in', ArrowLeft: 'out' };
      const d = dir[e.key];
      if (d) {
        move(uid, d);
        return true;
      }
    }
    if (ctrl && !e.altKey && (e.key === 'v' || e.key === 'V')) {
      paste();
      return true;
    }
    if (e.key === 'Delete' && !ctrl && !e.altKey) {
      askRemove(uid);
      return true;
    }
    return false;
  };

  /** The document with the command lines of steps whose properties changed rebuilt by the site. */
  const documentNow = useCallback(async (): Promise<Json> => {
    if (!doc) throw new Error('nothing loaded');
    let items = doc.items;
    const uids = [...actionDirty.current].filter((u) => index.get(u)?.node.data.kind === 'step');
    if (uids.length) {
      const steps = uids.map((u) => {
        const d = index.get(u)!.node.data;
        return {
          ...(d.type ? { type: d.type } : {}),
          ...(d.action !== undefined ? { action: d.action } : {}),
          variables: (d.variables ?? []).map(({ name, property, hidden, value }) => ({
            name,
            ...(property ? { property } : {}),
            ...(hidden ? { hidden } : {}),
            value,
          })),
        };
      });
      const { actions } = await api.post<{ actions: Array<string | null> }>('/step-types/actions', { steps });
      uids.forEach((u, i) => {
        const a = actions[i];
        if (a !== null && a !== undefined) items = updateNode(items, u, (d) => ({ ...d, action: a }));
      });
      actionDirty.current.clear();
      setDoc((d) => (d ? { ...d, items } : d));
    }
    return toDocument({ ...doc, items });
  }, [doc, index]);

  // touched.current only grows with edits, and every edit changes doc.
  const problems = useMemo(() => (doc ? problemsOf(doc.items, types, touched.current) : []), [doc, types]);

  const startSave = () => {
    if (problems.length) {
      const p = problems[0]!;
      store.select(p.uid);
      setNotice({
        kind: 'error',
        text: `Fix ${problems.length === 1 ? 'this problem' : `these ${problems.length} problems`} before saving: ${problems
          .slice(0, 3)
          .map((x) => `${x.name}: ${x.rule}`)
          .join('; ')}${problems.length > 3 ? '; …' : ''}`,
      });
      return;
    }
    setSaveOpen(true);
  };

  const save = async (message: string, baseRevision: number) => {
    if (!base) return;
    setBusy(true);
    try {
      const sequence = await documentNow();
      const r = await api.put<SaveResult>(`/task-sequences/${encodeURIComponent(base.id)}`, { baseRevision, message, sequence });
      setBase({ ...base, revision: r.revision.revision });
      setDirty(false);
      setSaveOpen(false);
      setConflict(null);
      setConfirmOverwrite(false);
      setMyCopy(null);
      setNotice({
        kind: 'success',
        text: `Saved as revision ${r.revision.revision}${message ? ` ("${message}")` : ''}.${r.warnings.length ? ` ${r.warnings.join(' ')}` : ''}`,
      });
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && typeof e.body?.currentRevision === 'number') {
        setSaveOpen(false);
        setConflict({
          currentRevision: e.body.currentRevision,
          author: String(e.body.currentAuthor ?? 'someone'),
          savedAt: String(e.body.currentSavedAt ?? ''),
          message,
        });
      } else {
        setNotice({ kind: 'error', text: `The task sequence was not saved: ${messageOf(e)}` });
      }
    } finally {
      setBusy(false);
    }
  };

  const loadLatestKeepingMine = async () => {
    if (!doc || !base) return;
    const mine = { doc, fromRevision: base.revision, touched: new Set(touched.current), actions: new Set(actionDirty.current) };
    const revision = conflict?.currentRevision;
    setConflict(null);
    try {
      const latest = await load();
      setMyCopy({ ...mine, differences: differences(mine.doc.items, latest.items, `revision ${revision ?? 'latest'}`) });
      setNotice({
        kind: 'warning',
        text: `Revision ${conflict?.currentRevision ?? ''} is open. Your edits are kept: download them, or go back to them to save them over this revision.`,
      });
    } catch (e) {
      setNotice({ kind: 'error', text: messageOf(e) });
    }
  };

  const backToMine = () => {
    if (!myCopy) return;
    setDoc(myCopy.doc);
    touched.current = myCopy.touched;
    actionDirty.current = myCopy.actions;
    expandAll(store, myCopy.doc.items);
    setDirty(true);
    setMyCopy(null);
    store.select(myCopy.doc.items[0]?.uid ?? null);
    setNotice({ kind: 'info', text: `Your edits are open again, now based on revision ${base?.revision}. Saving replaces what that revision changed.` });
  };

  const downloadMine = () => {
    if (!myCopy) return;
    const blob = new Blob([JSON.stringify(toDocument(myCopy.doc), null, 2) + '\n'], { type: 'application/json' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `${base?.id ?? 'task-sequence'}-my-edits-of-revision-${myCopy.fromRevision}.json`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  if (loadError) {
    return (
      <section className="page" aria-labelledby="page-title">
        <h1 id="page-title">Task Sequence Editor</h1>
        <Notice kind="error">{loadError}</Notice>
        <Link to={nodeBase}>Back to Task Sequences</Link>
      </section>
    );
  }
  if (!doc || !base) {
    return (
      <section className="page" aria-labelledby="page-title">
        <h1 id="page-title">Task Sequence Editor</h1>
        <Progress label="Opening the task sequence" />
      </section>
    );
  }

  const counts = countNodes(doc.items);
  const data = selectedNode?.data;
  const selectedFindings = selected ? (findingsByUid.get(selected) ?? []) : [];
  const selectedSim = simulation && selected ? simulation.steps.find((s) => addresses.byIndex[s.index] === selected) : undefined;

  return (
    <section className="page ts-editor" aria-labelledby="page-title">
      <h1 id="page-title">
        Task Sequence Editor: {base.name}{' '}
        <span className="ts-rev">
          (revision {base.revision}
          {dirty ? ', changed' : ''})
        </span>
      </h1>
      <Toolbar label="Editor commands">
        <ToolbarButton label="Add" icon="＋" permission="task-sequence.write" onClick={() => setAddOpen(true)} />
        <ToolbarButton label="Remove" icon="✕" permission="task-sequence.write" disabled={!selected} onClick={() => selected && askRemove(selected)} />
        <ToolbarButton label="Move Up" icon="↑" permission="task-sequence.write" disabled={!selected} onClick={() => selected && move(selected, 'up')} />
        <ToolbarButton label="Move Down" icon="↓" permission="task-sequence.write" disabled={!selected} onClick={() => selected && move(selected, 'down')} />
        <ToolbarButton label="Copy" permission="task-sequence.write" disabled={!selected} onClick={() => selected && copy(selected)} />
        <ToolbarButton label="Paste" permission="task-sequence.write" disabled={!clipboard} onClick={paste} />
        <ToolbarButton label="Save" permission="task-sequence.write" disabled={busy} onClick={startSave} />
        <ToolbarButton label="Simulate" icon="▶" onClick={() => setSimulateOpen(true)} />
      </Toolbar>
      <p className="ts-summary">
        <Link to={`${nodeBase}/${encodeURIComponent(base.id)}`}>Properties and revision history</Link> · {counts.groups} groups, {counts.steps} steps
        {lintError
          ? ` · lint not available: ${lintError}`
          : ` · lint: ${findings.filter((f) => f.severity === 'error').length} errors, ${findings.filter((f) => f.severity === 'warning').length} warnings`}
        {canWrite ? ' · Keys: Alt+↑/↓ move, Alt+→ into the group above, Alt+← out of the group, Ctrl+C / Ctrl+V copy and paste, Delete remove' : ''}
      </p>
      {notice ? (
        <Notice kind={notice.kind} onDismiss={() => setNotice(null)}>
          {notice.text}
        </Notice>
      ) : null}
      {myCopy ? (
        <Notice kind="warning">
          Your edits of revision {myCopy.fromRevision} are kept.{' '}
          <button type="button" className="link" onClick={downloadMine}>
            Download My Edits
          </button>{' '}
          <button type="button" className="link" onClick={backToMine}>
            Back to My Edits
          </button>
          <details className="ts-differences">
            <summary>What differs ({myCopy.differences.length})</summary>
            <ul>
              {myCopy.differences.map((d, i) => (
                <li key={i}>{d}</li>
              ))}
            </ul>
          </details>
        </Notice>
      ) : null}
      <div className="ts-editor-body">
        <div className="ts-tree-pane">
          <EditorTree
            label="Groups and steps"
            items={doc.items}
            store={store}
            onSelect={(uid) => store.select(uid)}
            onItemKeys={onItemKeys}
            onDrop={canWrite ? moveTo : undefined}
          />
        </div>
        <div className="ts-details">
          {data ? (
            <>
              {selectedFindings.length ? (
                <div className="ts-findings" role="group" aria-label="Lint findings of this item">
                  <ul>
                    {selectedFindings.map((f, i) => (
                      <li key={i} className={`finding ${f.severity}`}>
                        <strong>{f.severity === 'error' ? 'Error' : f.severity === 'warning' ? 'Warning' : 'Information'}:</strong> {f.message}{' '}
                        <span className="hint">{f.hint}</span>
                      </li>
                    ))}
                  </ul>
                </div>
              ) : null}
              {selectedSim ? (
                <p className={`sim-detail sim-${selectedSim.outcome}`} role="status">
                  Simulation: {OUTCOME_TEXT[selectedSim.outcome]}
                  {selectedSim.reason ? ` — ${selectedSim.reason}` : ''}
                </p>
              ) : null}
              <div role="tablist" aria-label="Item settings" className="tabs">
                {(['properties', 'options'] as const).map((t) => (
                  <button
                    key={t}
                    type="button"
                    role="tab"
                    id={`tab-${t}`}
                    aria-selected={tab === t}
                    aria-controls={`panel-${t}`}
                    tabIndex={tab === t ? 0 : -1}
                    onClick={() => setTab(t)}
                    onKeyDown={(e) => {
                      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
                        const next = t === 'properties' ? 'options' : 'properties';
                        setTab(next);
                        document.getElementById(`tab-${next}`)?.focus();
                      }
                    }}
                  >
                    {t === 'properties' ? 'Properties' : 'Options'}
                  </button>
                ))}
              </div>
              <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tab-panel">
                {tab === 'properties' ? (
                  <PropertiesTab
                    key={selected}
                    data={data}
                    stepType={data.type ? types.get(data.type) : undefined}
                    readOnly={!canWrite}
                    onChange={updateSelected}
                  />
                ) : (
                  <OptionsTab key={selected} data={data} readOnly={!canWrite} onChange={updateSelected} />
                )}
              </div>
            </>
          ) : (
            <p>Select a group or step.</p>
          )}
        </div>
      </div>
      {simulateOpen ? <SimulatePanel documentNow={documentNow} onResult={setSimulation} onClose={() => setSimulateOpen(false)} /> : null}

      <AddDialog
        open={addOpen}
        types={types}
        onClose={() => setAddOpen(false)}
        onAdd={(what) => {
          setAddOpen(false);
          if (what === 'group') insert({ uid: newUid(), data: { kind: 'group', name: 'New Group', description: '' }, children: [] });
          else {
            const t = types.get(what);
            if (t) insert({ uid: newUid(), data: structuredClone(t.template) as ItemData });
          }
        }}
      />
      <SaveDialog open={saveOpen} busy={busy} revision={base.revision} onClose={() => setSaveOpen(false)} onSave={(m) => void save(m, base.revision)} />
      <Dialog
        title="Someone else saved this task sequence"
        open={conflict !== null && !confirmOverwrite}
        onClose={() => setConflict(null)}
        footer={
          <>
            <button type="button" className="primary" onClick={() => void loadLatestKeepingMine()}>
              Open Revision {conflict?.currentRevision} and Keep My Edits
            </button>
            <button type="button" onClick={() => setConfirmOverwrite(true)}>
              Save Over Revision {conflict?.currentRevision}
            </button>
            <button type="button" onClick={() => setConflict(null)}>
              Cancel
            </button>
          </>
        }
      >
        <p>
          You opened revision {base.revision}. Since then {conflict?.author} saved revision {conflict?.currentRevision}
          {conflict?.savedAt ? ` at ${new Date(conflict.savedAt).toLocaleString()}` : ''}, so your save was not made.
        </p>
        <p>
          Your edits are still here. Open the latest revision (your edits are kept to download or to go back to), or save yours over it, replacing what that
          revision changed.
        </p>
      </Dialog>
      <ConfirmDialog
        title="Save over the latest revision?"
        open={confirmOverwrite && conflict !== null}
        message={`Your task sequence becomes revision ${(conflict?.currentRevision ?? 0) + 1}; what ${conflict?.author ?? 'the other author'} changed in revision ${conflict?.currentRevision} is replaced by your version.`}
        confirmLabel="Save Over It"
        busy={busy}
        onConfirm={() => conflict && void save(conflict.message, conflict.currentRevision)}
        onCancel={() => setConfirmOverwrite(false)}
      />
      <ConfirmDialog
        title="Remove the group?"
        open={confirmRemove !== null}
        message={`Remove "${confirmRemove ? (index.get(confirmRemove)?.node.data.name ?? '') : ''}" and everything in it?`}
        confirmLabel="Remove"
        onConfirm={() => confirmRemove && remove(confirmRemove)}
        onCancel={() => setConfirmRemove(null)}
      />
    </section>
  );
}

function OptionsTab({ data, readOnly, onChange }: { data: ItemData; readOnly: boolean; onChange: (d: ItemData) => void }) {
  if (data.kind === 'raw') return <p>XML kept as written has no options.</p>;
  const isStep = data.kind === 'step';
  const setFlag = (key: 'disable' | 'continueOnError', value: boolean) => {
    const next = { ...data };
    // ConfigMgr leaves false flags out; a file that wrote them keeps writing them.
    if (value || data[key] !== undefined) next[key] = value;
    onChange(next);
  };
  return (
    <div className="options">
      <CheckboxField
        label={isStep ? 'Disable this step' : 'Disable this group'}
        checked={data.disable === true}
        disabled={readOnly}
        onChange={(c) => setFlag('disable', c)}
      />
      <CheckboxField label="Continue on error" checked={data.continueOnError === true} disabled={readOnly} onChange={(c) => setFlag('continueOnError', c)} />
      {isStep ? (
        <Field label="Success codes" hint="Exit codes that mean success, separated by spaces" error={successCodesError(data)}>
          {(p) => (
            <input
              {...p}
              value={data.successCodeList ?? '0 3010'}
              readOnly={readOnly}
              onChange={(e) => onChange({ ...data, successCodeList: e.target.value })}
            />
          )}
        </Field>
      ) : null}
      <fieldset className="conditions">
        <legend>Conditions</legend>
        <ConditionEditor
          condition={data.condition}
          readOnly={readOnly}
          onChange={(c) => {
            const next = { ...data };
            if (c) next.condition = c;
            else delete next.condition;
            onChange(next);
          }}
        />
      </fieldset>
    </div>
  );
}

function AddDialog({ open, types, onClose, onAdd }: { open: boolean; types: Map<string, StepTypeInfo>; onClose: () => void; onAdd: (what: string) => void }) {
  const [choice, setChoice] = useState('group');
  const byCategory = useMemo(() => {
    const m = new Map<string, StepTypeInfo[]>();
    for (const t of types.values()) m.set(t.category, [...(m.get(t.category) ?? []), t]);
    return m;
  }, [types]);
  return (
    <Dialog
      title="Add to the task sequence"
      open={open}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="primary" onClick={() => onAdd(choice)}>
            Add
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </>
      }
    >
      <Field label="Group or step type" hint="It is added after the selected item.">
        {(p) => (
          <select {...p} size={14} value={choice} onChange={(e) => setChoice(e.target.value)} onDoubleClick={() => onAdd(choice)}>
            <option value="group">New Group</option>
            {[...byCategory].map(([category, list]) => (
              <optgroup key={category} label={category}>
                {list.map((t) => (
                  <option key={t.type} value={t.type}>
                    {t.displayName}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        )}
      </Field>
    </Dialog>
  );
}

function SaveDialog({
  open,
  busy,
  revision,
  onClose,
  onSave,
}: {
  open: boolean;
  busy: boolean;
  revision: number;
  onClose: () => void;
  onSave: (message: string) => void;
}) {
  const [message, setMessage] = useState('');
  const error = message.length > 1000 ? `The comment is ${message.length} characters; at most 1,000` : undefined;
  return (
    <Dialog
      title="Save as a new revision"
      open={open}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="primary" disabled={busy || !!error} onClick={() => onSave(message)}>
            {busy ? 'Saving…' : 'Save'}
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </>
      }
    >
      <p>
        The changes are saved as revision {revision + 1}; revision {revision} stays in the history.
      </p>
      <Field label="Revision comment" error={error}>
        {(p) => <textarea {...p} rows={3} value={message} onChange={(e) => setMessage(e.target.value)} />}
      </Field>
    </Dialog>
  );
}
