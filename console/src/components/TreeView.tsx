/**
 * A tree as the console's task sequence editor and folders show it, after the ARIA tree pattern:
 * one item in the tab order (the selected one), ↑/↓ through the visible items, → opens an item or
 * goes to its first child, ← closes it or goes to its parent, Home/End, Enter activates, a letter
 * jumps to the next item starting with it. `onItemKeyDown` lets a page add its own keys (move a step
 * with Ctrl+↑, Delete, copy and paste) before the tree's own; calling `preventDefault` stops them.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

export interface TreeItem {
  id: string;
  label: string;
  children?: TreeItem[];
  /** Shown before the label (decorative: an icon). */
  icon?: ReactNode;
  /** Shown greyed (a disabled step), still selectable. */
  dimmed?: boolean;
}

export interface TreeViewProps {
  /** The tree's accessible name. */
  label: string;
  items: TreeItem[];
  selectedId?: string | null;
  onSelect?: (id: string) => void;
  /** Enter or double-click. */
  onActivate?: (id: string) => void;
  /** Controlled expansion (ids of open items); without it the tree keeps its own: every group open until closed. */
  expanded?: ReadonlySet<string>;
  onExpandedChange?: (expanded: Set<string>) => void;
  /** What an item shows after its label (a lint marker, a simulation result). */
  renderExtra?: (item: TreeItem) => ReactNode;
  onItemKeyDown?: (e: KeyboardEvent, item: TreeItem) => void;
  className?: string;
}

interface Visible {
  item: TreeItem;
  level: number;
  parent?: string;
}

function allGroups(items: TreeItem[], out = new Set<string>()): Set<string> {
  for (const i of items) {
    if (i.children?.length) {
      out.add(i.id);
      allGroups(i.children, out);
    }
  }
  return out;
}

export function TreeView(props: TreeViewProps) {
  const { label, items, selectedId, onSelect, onActivate, renderExtra, onItemKeyDown, className } = props;
  // Uncontrolled, the tree remembers what was closed: every group is open until closed, including
  // groups that appear later (loaded, added, pasted).
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const groups = useMemo(() => allGroups(items), [items]);
  const ownExpanded = useMemo(() => new Set([...groups].filter((id) => !collapsed.has(id))), [groups, collapsed]);
  const expanded = props.expanded ?? ownExpanded;
  const setExpanded = useCallback(
    (next: Set<string>) => {
      if (props.onExpandedChange) props.onExpandedChange(next);
      if (!props.expanded) setCollapsed(new Set([...groups].filter((id) => !next.has(id))));
    },
    [props, groups],
  );
  const [focusId, setFocusId] = useState<string | null>(null);
  const refs = useRef(new Map<string, HTMLLIElement>());

  const visible = useMemo(() => {
    const out: Visible[] = [];
    const walk = (list: TreeItem[], level: number, parent?: string) => {
      for (const item of list) {
        out.push({ item, level, parent });
        if (item.children?.length && expanded.has(item.id)) walk(item.children, level + 1, item.id);
      }
    };
    walk(items, 1);
    return out;
  }, [items, expanded]);

  // The tab stop: the focused item, else the selected one, else the first.
  const tabStop = visible.find((v) => v.item.id === focusId)?.item.id ?? visible.find((v) => v.item.id === selectedId)?.item.id ?? visible[0]?.item.id;

  const focus = (id: string) => {
    setFocusId(id);
    refs.current.get(id)?.focus();
    onSelect?.(id);
  };

  // A selection made from outside (a new step added) is scrolled to.
  useEffect(() => {
    if (selectedId) refs.current.get(selectedId)?.scrollIntoView({ block: 'nearest' });
  }, [selectedId]);

  const toggle = (id: string, open?: boolean) => {
    const next = new Set(expanded);
    if (open ?? !next.has(id)) next.add(id);
    else next.delete(id);
    setExpanded(next);
  };

  const onKeyDown = (e: KeyboardEvent, v: Visible) => {
    onItemKeyDown?.(e, v.item);
    if (e.defaultPrevented) return;
    const i = visible.findIndex((x) => x.item.id === v.item.id);
    const hasChildren = !!v.item.children?.length;
    const open = hasChildren && expanded.has(v.item.id);
    let handled = true;
    switch (e.key) {
      case 'ArrowDown':
        if (i + 1 < visible.length) focus(visible[i + 1]!.item.id);
        break;
      case 'ArrowUp':
        if (i > 0) focus(visible[i - 1]!.item.id);
        break;
      case 'ArrowRight':
        if (hasChildren && !open) toggle(v.item.id, true);
        else if (open) focus(v.item.children![0]!.id);
        break;
      case 'ArrowLeft':
        if (open) toggle(v.item.id, false);
        else if (v.parent) focus(v.parent);
        break;
      case 'Home':
        if (visible[0]) focus(visible[0].item.id);
        break;
      case 'End':
        if (visible.length) focus(visible[visible.length - 1]!.item.id);
        break;
      case 'Enter':
        onActivate?.(v.item.id);
        break;
      case ' ':
        onSelect?.(v.item.id);
        break;
      default:
        handled = false;
        if (e.key.length === 1 && /\S/.test(e.key) && !e.ctrlKey && !e.metaKey && !e.altKey) {
          const ch = e.key.toLowerCase();
          const order = [...visible.slice(i + 1), ...visible.slice(0, i + 1)];
          const hit = order.find((x) => x.item.label.toLowerCase().startsWith(ch));
          if (hit) {
            focus(hit.item.id);
            handled = true;
          }
        }
    }
    if (handled) {
      e.preventDefault();
      e.stopPropagation();
    }
  };

  const renderItems = (list: TreeItem[], level: number, parent?: string): ReactNode =>
    list.map((item, index) => {
      const hasChildren = !!item.children?.length;
      const open = hasChildren && expanded.has(item.id);
      const selected = item.id === selectedId;
      const v: Visible = { item, level, parent };
      return (
        <li
          key={item.id}
          role="treeitem"
          aria-level={level}
          aria-setsize={list.length}
          aria-posinset={index + 1}
          aria-expanded={hasChildren ? open : undefined}
          aria-selected={selected}
          tabIndex={item.id === tabStop ? 0 : -1}
          ref={(el) => {
            if (el) refs.current.set(item.id, el);
            else refs.current.delete(item.id);
          }}
          onKeyDown={(e) => {
            if (e.target === e.currentTarget) onKeyDown(e, v);
          }}
          onFocus={(e) => {
            if (e.target === e.currentTarget) setFocusId(item.id);
          }}
          className={`tree-item${selected ? ' selected' : ''}${item.dimmed ? ' dimmed' : ''}`}
        >
          <div
            className="tree-row"
            style={{ paddingLeft: `${(level - 1) * 18 + 4}px` }}
            onClick={(e) => {
              e.stopPropagation();
              focus(item.id);
            }}
            onDoubleClick={(e) => {
              e.stopPropagation();
              onActivate?.(item.id);
            }}
          >
            <span
              className="tree-toggle"
              aria-hidden="true"
              onClick={(e) => {
                if (!hasChildren) return;
                e.stopPropagation();
                toggle(item.id);
              }}
            >
              {hasChildren ? (open ? '▾' : '▸') : ''}
            </span>
            {item.icon ? (
              <span className="tree-icon" aria-hidden="true">
                {item.icon}
              </span>
            ) : null}
            <span className="tree-label">{item.label}</span>
            {renderExtra ? renderExtra(item) : null}
          </div>
          {open ? <ul role="group">{renderItems(item.children!, level + 1, item.id)}</ul> : null}
        </li>
      );
    });

  return (
    <ul role="tree" aria-label={label} className={`tree${className ? ` ${className}` : ''}`}>
      {renderItems(items, 1)}
    </ul>
  );
}
