/**
 * The editor's tree of groups and steps, after the ARIA tree pattern: one item in the tab order
 * (the selected one); ↑/↓ through the visible items, → opens a group or goes to its first child, ←
 * closes it or goes to its parent, Home/End. The editor's own keys come through `onItemKeys`
 * (Alt+arrows move, Ctrl+C/Ctrl+V copy and paste, Delete). Items can be dragged: onto the upper or
 * lower part of an item to go before or after it, onto the middle of a group to go into it.
 *
 * Built for 5,000-step sequences: rows are memoised per node and read their own selection, marker
 * and open state from a small store, so a selection or a move draws only the rows that changed.
 */
import { memo, useCallback, useEffect, useMemo, useRef, useSyncExternalStore, type DragEvent, type KeyboardEvent, type ReactNode } from 'react';
import type { Node, Place } from './model';

export interface Marker {
  /** Short text after the label (e.g. "skipped", "2 errors"). */
  text: string;
  className: string;
  /** The whole reason, for the title and the screen reader. */
  detail: string;
}

/** A tiny external store: each row subscribes to its own slice. */
export class TreeStore {
  selected: string | null = null;
  expanded = new Set<string>();
  markers = new Map<string, Marker[]>();
  dropTarget: { uid: string; where: 'before' | 'after' | 'into' } | null = null;
  private listeners = new Set<() => void>();
  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  emit() {
    for (const l of this.listeners) l();
  }
  select(uid: string | null) {
    if (this.selected === uid) return;
    this.selected = uid;
    this.emit();
  }
  setExpanded(uid: string, open: boolean) {
    const next = new Set(this.expanded);
    if (open) next.add(uid);
    else next.delete(uid);
    this.expanded = next;
    this.emit();
  }
  setMarkers(markers: Map<string, Marker[]>) {
    this.markers = markers;
    this.emit();
  }
  setDrop(target: TreeStore['dropTarget']) {
    const a = this.dropTarget;
    if (a?.uid === target?.uid && a?.where === target?.where) return;
    this.dropTarget = target;
    this.emit();
  }
}

export interface EditorTreeProps {
  label: string;
  items: Node[];
  store: TreeStore;
  onSelect: (uid: string) => void;
  /** Editor keys on an item; return true when handled. */
  onItemKeys: (e: KeyboardEvent, uid: string) => boolean;
  /** A drop: move `uid` to `place`; absent when the role may not change the sequence. */
  onDrop?: (uid: string, place: Place) => void;
}

interface Visible {
  uid: string;
  parent: string | null;
  node: Node;
}

function visibleOf(items: Node[], expanded: Set<string>): Visible[] {
  const out: Visible[] = [];
  const walk = (list: Node[], parent: string | null) => {
    for (const n of list) {
      out.push({ uid: n.uid, parent, node: n });
      if (n.children?.length && expanded.has(n.uid)) walk(n.children, n.uid);
    }
  };
  walk(items, null);
  return out;
}

const DRAG_TYPE = 'application/x-openosd-item';

export function EditorTree({ label, items, store, onSelect, onItemKeys, onDrop }: EditorTreeProps) {
  const expanded = useSyncExternalStore(store.subscribe, () => store.expanded);
  const selected = useSyncExternalStore(store.subscribe, () => store.selected);
  const visible = useMemo(() => visibleOf(items, expanded), [items, expanded]);
  const ref = useRef<HTMLUListElement>(null);
  const dragging = useRef<string | null>(null);

  // Row props stay the same object from render to render (the rows are memoised): the handlers
  // read the latest props through a ref.
  const latest = useRef({ onSelect, onDrop, items, visible });
  latest.current = { onSelect, onDrop, items, visible };

  const focusItem = useCallback((uid: string) => {
    latest.current.onSelect(uid);
    requestAnimationFrame(() => ref.current?.querySelector<HTMLElement>(`[data-uid="${uid}"]`)?.focus());
  }, []);

  // A selection made by the editor (an added or moved step) keeps the focus on it when the tree had it.
  useEffect(() => {
    if (!selected) return;
    const el = ref.current?.querySelector<HTMLElement>(`[data-uid="${selected}"]`);
    if (!el) return;
    if (ref.current?.contains(document.activeElement) && document.activeElement !== el) el.focus();
    el.scrollIntoView({ block: 'nearest' });
  }, [selected, items]);

  const onKeyDown = (e: KeyboardEvent<HTMLUListElement>) => {
    const li = (e.target as HTMLElement).closest<HTMLElement>('[role="treeitem"]');
    if (!li || e.target !== li) return;
    const uid = li.dataset.uid!;
    if (onItemKeys(e, uid)) {
      e.preventDefault();
      return;
    }
    const i = visible.findIndex((v) => v.uid === uid);
    const v = visible[i];
    if (!v) return;
    const hasChildren = !!v.node.children?.length;
    const open = hasChildren && expanded.has(uid);
    let handled = true;
    switch (e.key) {
      case 'ArrowDown':
        if (i + 1 < visible.length) focusItem(visible[i + 1]!.uid);
        break;
      case 'ArrowUp':
        if (i > 0) focusItem(visible[i - 1]!.uid);
        break;
      case 'ArrowRight':
        if (hasChildren && !open) store.setExpanded(uid, true);
        else if (open) focusItem(v.node.children![0]!.uid);
        break;
      case 'ArrowLeft':
        if (open) store.setExpanded(uid, false);
        else if (v.parent) focusItem(v.parent);
        break;
      case 'Home':
        if (visible[0]) focusItem(visible[0].uid);
        break;
      case 'End':
        if (visible.length) focusItem(visible[visible.length - 1]!.uid);
        break;
      case ' ':
      case 'Enter':
        onSelect(uid);
        break;
      default:
        handled = false;
    }
    if (handled) e.preventDefault();
  };

  const canDrop = !!onDrop;
  const drag = useMemo<DragHandlers | undefined>(() => {
    if (!canDrop) return undefined;
    const dropPlace = (e: DragEvent, uid: string): TreeStore['dropTarget'] => {
      const row = (e.currentTarget as HTMLElement).getBoundingClientRect();
      const y = (e.clientY - row.top) / Math.max(row.height, 1);
      const node = latest.current.visible.find((v) => v.uid === uid)?.node;
      if (node?.children && y > 0.25 && y < 0.75) return { uid, where: 'into' };
      return { uid, where: y < 0.5 ? 'before' : 'after' };
    };
    return {
      start: (e, uid) => {
        dragging.current = uid;
        e.dataTransfer.setData(DRAG_TYPE, uid);
        e.dataTransfer.setData('text/plain', uid);
        e.dataTransfer.effectAllowed = 'move';
      },
      over: (e, uid) => {
        if (!dragging.current || dragging.current === uid) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'move';
        store.setDrop(dropPlace(e, uid));
      },
      drop: (e, uid) => {
        e.preventDefault();
        const from = dragging.current ?? e.dataTransfer.getData(DRAG_TYPE);
        const target = dropPlace(e, uid);
        dragging.current = null;
        store.setDrop(null);
        const { onDrop: drop, items: list } = latest.current;
        if (!drop || !from || !target || from === uid) return;
        const index = new Map<string, { parent: string | null; index: number; node: Node }>();
        const walk = (nodes: Node[], parent: string | null) =>
          nodes.forEach((n, i) => {
            index.set(n.uid, { parent, index: i, node: n });
            if (n.children) walk(n.children, n.uid);
          });
        walk(list, null);
        const at = index.get(uid)!;
        if (target.where === 'into') drop(from, { parent: uid, index: at.node.children?.length ?? 0 });
        else drop(from, { parent: at.parent, index: target.where === 'before' ? at.index : at.index + 1 });
      },
      end: () => {
        dragging.current = null;
        store.setDrop(null);
      },
    };
  }, [canDrop, store]);

  return (
    <ul role="tree" aria-label={label} className="ts-tree" ref={ref} onKeyDown={onKeyDown}>
      {items.map((n, i) => (
        <TreeRow key={n.uid} node={n} level={1} pos={i + 1} size={items.length} store={store} onSelect={focusItem} drag={drag} />
      ))}
    </ul>
  );
}

interface DragHandlers {
  start: (e: DragEvent, uid: string) => void;
  over: (e: DragEvent, uid: string) => void;
  drop: (e: DragEvent, uid: string) => void;
  end: () => void;
}

interface RowProps {
  node: Node;
  level: number;
  pos: number;
  size: number;
  store: TreeStore;
  onSelect: (uid: string) => void;
  drag: DragHandlers | undefined;
}

function labelOf(node: Node): string {
  if (node.data.kind === 'raw') return 'XML kept as written';
  return node.data.name || '(no name)';
}

const TreeRow = memo(function TreeRow({ node, level, pos, size, store, onSelect, drag }: RowProps) {
  const uid = node.uid;
  const selected = useSyncExternalStore(store.subscribe, () => store.selected === uid);
  const open = useSyncExternalStore(store.subscribe, () => store.expanded.has(uid));
  const markers = useSyncExternalStore(store.subscribe, () => store.markers.get(uid));
  const drop = useSyncExternalStore(store.subscribe, () => (store.dropTarget?.uid === uid ? store.dropTarget.where : null));
  const hasChildren = !!node.children?.length;
  const isGroup = node.data.kind === 'group';
  const disabled = node.data.disable === true;
  const label = labelOf(node);
  let children: ReactNode = null;
  if (hasChildren && open) {
    children = (
      <ul role="group">
        {node.children!.map((c, i) => (
          <TreeRow key={c.uid} node={c} level={level + 1} pos={i + 1} size={node.children!.length} store={store} onSelect={onSelect} drag={drag} />
        ))}
      </ul>
    );
  }
  return (
    <li
      role="treeitem"
      data-uid={uid}
      data-label={label}
      aria-level={level}
      aria-posinset={pos}
      aria-setsize={size}
      aria-expanded={hasChildren ? open : undefined}
      aria-selected={selected}
      tabIndex={selected ? 0 : -1}
      className={`ts-item${selected ? ' selected' : ''}${disabled ? ' dimmed' : ''}${drop ? ` drop-${drop}` : ''}`}
    >
      <div
        className="ts-row"
        style={{ paddingLeft: `${(level - 1) * 18 + 4}px` }}
        draggable={drag ? true : undefined}
        onDragStart={drag ? (e) => drag.start(e, uid) : undefined}
        onDragOver={drag ? (e) => drag.over(e, uid) : undefined}
        onDrop={drag ? (e) => drag.drop(e, uid) : undefined}
        onDragEnd={drag?.end}
        onClick={(e) => {
          e.stopPropagation();
          onSelect(uid);
        }}
      >
        <span
          className="ts-toggle"
          aria-hidden="true"
          onClick={(e) => {
            if (!hasChildren) return;
            e.stopPropagation();
            store.setExpanded(uid, !open);
          }}
        >
          {hasChildren ? (open ? '▾' : '▸') : ''}
        </span>
        <span className={`ts-icon ${isGroup ? 'group' : node.data.kind}`} aria-hidden="true">
          {isGroup ? '▣' : node.data.kind === 'step' ? '▪' : '·'}
        </span>
        <span className="ts-label">{label}</span>
        {disabled ? <span className="ts-tag">(disabled)</span> : null}
        {markers?.map((m, i) => (
          <span key={i} className={`ts-marker ${m.className}`} title={m.detail} aria-hidden="true">
            {m.text}
          </span>
        ))}
        {markers?.length ? <span className="visually-hidden">, {markers.map((m) => m.detail).join('; ')}</span> : null}
      </div>
      {children}
    </li>
  );
});
