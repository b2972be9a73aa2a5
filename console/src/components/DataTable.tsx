/**
 * A list of objects as the console's result pane shows them: columns, sorting by a column header,
 * a search box, paging, a selected row (arrow keys, Home/End, Enter or double-click opens it).
 *
 * Two sources:
 * - `rows`: the objects are already here (a short list); sorting, searching and paging happen in
 *   the browser, and only one page is drawn.
 * - `source`: the site pages the objects (100,000 devices): one page is fetched at a time with its
 *   search and sort, `cursor` for the next page, `total` when the site knows it. Nothing loads all.
 */
import { useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { messageOf } from '../api/client';

export interface Column<T> {
  key: string;
  header: string;
  /** The cell (default: the row's field `key` as text). */
  render?: (row: T) => ReactNode;
  /** What sorting and searching compare (default: the row's field `key`). */
  value?: (row: T) => string | number | boolean | null | undefined;
  sortable?: boolean;
  /** CSS width, e.g. '12em'. */
  width?: string;
  align?: 'left' | 'right';
}

export type SortDirection = 'ascending' | 'descending';

export interface PageRequest {
  search: string;
  sort?: { key: string; direction: SortDirection };
  limit: number;
  /** The cursor the previous page gave (undefined: the first page). */
  cursor?: string;
  /** The offset of the page's first row (for sources that page by offset). */
  offset: number;
  signal: AbortSignal;
}

export interface PageAnswer<T> {
  rows: T[];
  /** All rows matching the search, when the site counts them. */
  total?: number;
  /** The cursor of the next page; absent on the last page. */
  nextCursor?: string;
}

export interface DataTableProps<T> {
  /** The table's accessible name (the node's name: "Task Sequences"). */
  label: string;
  columns: Column<T>[];
  rowKey: (row: T) => string;
  rows?: T[];
  /** Keep it stable (useCallback): a new function fetches the page again, as `reloadKey` does. */
  source?: (request: PageRequest) => Promise<PageAnswer<T>>;
  /** Changing it fetches again (after an import or a delete). */
  reloadKey?: unknown;
  pageSize?: number;
  searchLabel?: string;
  /** Which fields the search compares, for `rows` (default: every column's value). */
  searchText?: (row: T) => string;
  selectedKey?: string | null;
  onSelect?: (row: T | null) => void;
  onOpen?: (row: T) => void;
  emptyText?: string;
  initialSort?: { key: string; direction: SortDirection };
  /** Shown beside the search box (filters). */
  filters?: ReactNode;
}

function fieldValue<T>(row: T, c: Column<T>): string | number | boolean | null | undefined {
  if (c.value) return c.value(row);
  const v = (row as Record<string, unknown>)[c.key];
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : v == null ? v : String(v);
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: 'base' });
}

export function DataTable<T>(props: DataTableProps<T>) {
  const { label, columns, rowKey, rows, source, reloadKey, pageSize = 50, selectedKey, onSelect, onOpen, emptyText, initialSort, filters, searchText } = props;
  const [search, setSearch] = useState('');
  const [appliedSearch, setAppliedSearch] = useState('');
  const [sort, setSort] = useState(initialSort);
  const [page, setPage] = useState(0);
  const [remote, setRemote] = useState<{ rows: T[]; total?: number; nextCursor?: string } | null>(null);
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [focusIndex, setFocusIndex] = useState(0);
  const bodyRef = useRef<HTMLTableSectionElement>(null);
  const captionId = useId();
  const searchId = useId();

  // The search applies after a pause in typing (a page of the site per keystroke is too many).
  useEffect(() => {
    const t = window.setTimeout(() => setAppliedSearch(search.trim()), source ? 250 : 0);
    return () => window.clearTimeout(t);
  }, [search, source]);

  useEffect(() => {
    setPage(0);
    setCursors([undefined]);
  }, [appliedSearch, sort?.key, sort?.direction, reloadKey]);

  // Local rows: search, sort, then the page.
  const local = useMemo(() => {
    if (!rows) return undefined;
    const needle = appliedSearch.toLowerCase();
    const text = searchText ?? ((r: T) => columns.map((c) => String(fieldValue(r, c) ?? '')).join('\u0000'));
    let list = needle ? rows.filter((r) => text(r).toLowerCase().includes(needle)) : rows.slice();
    if (sort) {
      const c = columns.find((x) => x.key === sort.key);
      if (c) {
        const sign = sort.direction === 'ascending' ? 1 : -1;
        list = list.sort((a, b) => sign * compare(fieldValue(a, c), fieldValue(b, c)));
      }
    }
    return list;
  }, [rows, appliedSearch, sort, columns, searchText]);

  // Remote rows: one page.
  const cursor = cursors[page];
  const sortKey = sort?.key;
  const sortDirection = sort?.direction;
  useEffect(() => {
    if (!source) return;
    const abort = new AbortController();
    setLoading(true);
    setError(undefined);
    const sortBy = sortKey && sortDirection ? { key: sortKey, direction: sortDirection } : undefined;
    source({ search: appliedSearch, sort: sortBy, limit: pageSize, cursor, offset: page * pageSize, signal: abort.signal })
      .then((answer) => {
        if (abort.signal.aborted) return;
        setRemote(answer);
        setLoading(false);
      })
      .catch((e: unknown) => {
        if (abort.signal.aborted) return;
        setError(messageOf(e));
        setLoading(false);
      });
    return () => abort.abort();
  }, [source, appliedSearch, sortKey, sortDirection, cursor, page, pageSize, reloadKey]);

  const shown: T[] = local ? local.slice(page * pageSize, (page + 1) * pageSize) : (remote?.rows ?? []);
  const total = local ? local.length : remote?.total;
  const hasNext = local
    ? (page + 1) * pageSize < local.length
    : remote?.nextCursor !== undefined || (remote?.total !== undefined && (page + 1) * pageSize < remote.total);
  const first = shown.length ? page * pageSize + 1 : 0;
  const last = page * pageSize + shown.length;

  const next = () => {
    if (!hasNext) return;
    if (source && remote?.nextCursor !== undefined) setCursors((c) => [...c.slice(0, page + 1), remote.nextCursor]);
    setPage((p) => p + 1);
  };

  const toggleSort = (c: Column<T>) => {
    setSort((s) =>
      s?.key === c.key ? { key: c.key, direction: s.direction === 'ascending' ? 'descending' : 'ascending' } : { key: c.key, direction: 'ascending' },
    );
  };

  const focusRow = useCallback((i: number) => {
    setFocusIndex(i);
    const tr = bodyRef.current?.querySelectorAll<HTMLTableRowElement>('tr[data-row]')[i];
    tr?.focus();
  }, []);

  useEffect(() => {
    if (focusIndex >= shown.length) setFocusIndex(Math.max(0, shown.length - 1));
  }, [shown.length, focusIndex]);

  const onRowKey = (e: KeyboardEvent, i: number, row: T) => {
    let to = -1;
    if (e.key === 'ArrowDown') to = Math.min(shown.length - 1, i + 1);
    else if (e.key === 'ArrowUp') to = Math.max(0, i - 1);
    else if (e.key === 'Home') to = 0;
    else if (e.key === 'End') to = shown.length - 1;
    else if (e.key === 'PageDown' && hasNext) {
      e.preventDefault();
      next();
      return;
    } else if (e.key === 'PageUp' && page > 0) {
      e.preventDefault();
      setPage((p) => p - 1);
      return;
    } else if (e.key === 'Enter') {
      e.preventDefault();
      onOpen?.(row);
      return;
    } else if (e.key === ' ') {
      e.preventDefault();
      onSelect?.(row);
      return;
    }
    if (to < 0) return;
    e.preventDefault();
    focusRow(to);
    onSelect?.(shown[to]!);
  };

  return (
    <div className="data-table">
      <div className="data-table-bar">
        <label htmlFor={searchId} className="visually-hidden">
          {props.searchLabel ?? `Search ${label}`}
        </label>
        <input
          id={searchId}
          type="search"
          className="search"
          placeholder={props.searchLabel ?? 'Search'}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') setAppliedSearch(search.trim());
            if (e.key === 'ArrowDown' && shown.length) {
              e.preventDefault();
              focusRow(0);
              onSelect?.(shown[0]!);
            }
          }}
        />
        {filters}
        <span className="count" aria-live="polite">
          {loading ? 'Loading…' : total !== undefined ? `${total.toLocaleString()} item${total === 1 ? '' : 's'}` : `${first}–${last}`}
        </span>
      </div>
      {error ? (
        <div className="notice error" role="alert">
          {error}
        </div>
      ) : null}
      <div className="table-scroll">
        <table role="grid" aria-labelledby={captionId} aria-rowcount={total !== undefined ? total + 1 : -1} aria-busy={loading || undefined}>
          <caption id={captionId} className="visually-hidden">
            {label}
          </caption>
          <thead>
            <tr aria-rowindex={1}>
              {columns.map((c) => {
                const sorted = sort?.key === c.key ? sort.direction : undefined;
                return (
                  <th
                    key={c.key}
                    scope="col"
                    aria-sort={sorted ?? (c.sortable === false ? undefined : 'none')}
                    style={c.width ? { width: c.width } : undefined}
                  >
                    {c.sortable === false ? (
                      c.header
                    ) : (
                      <button type="button" className="sort" onClick={() => toggleSort(c)}>
                        {c.header}
                        <span aria-hidden="true" className="sort-mark">
                          {sorted === 'ascending' ? ' ▲' : sorted === 'descending' ? ' ▼' : ''}
                        </span>
                      </button>
                    )}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody ref={bodyRef}>
            {shown.map((row, i) => {
              const key = rowKey(row);
              const selected = selectedKey === key;
              return (
                <tr
                  key={key}
                  data-row
                  aria-rowindex={page * pageSize + i + 2}
                  aria-selected={selected}
                  tabIndex={i === Math.min(focusIndex, shown.length - 1) ? 0 : -1}
                  className={selected ? 'selected' : undefined}
                  onClick={() => {
                    setFocusIndex(i);
                    onSelect?.(row);
                  }}
                  onDoubleClick={() => onOpen?.(row)}
                  onKeyDown={(e) => onRowKey(e, i, row)}
                >
                  {columns.map((c) => (
                    <td key={c.key} className={c.align === 'right' ? 'num' : undefined}>
                      {c.render ? c.render(row) : String(fieldValue(row, c) ?? '')}
                    </td>
                  ))}
                </tr>
              );
            })}
            {!loading && shown.length === 0 ? (
              <tr>
                <td colSpan={columns.length} className="empty">
                  {appliedSearch ? `No items match "${appliedSearch}".` : (emptyText ?? 'There are no items to show in this view.')}
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {page > 0 || hasNext ? (
        <nav className="pager" aria-label={`Pages of ${label}`}>
          <button type="button" onClick={() => setPage((p) => Math.max(0, p - 1))} disabled={page === 0}>
            Previous page
          </button>
          <span>
            {first.toLocaleString()}–{last.toLocaleString()}
            {total !== undefined ? ` of ${total.toLocaleString()}` : ''}
          </span>
          <button type="button" onClick={next} disabled={!hasNext}>
            Next page
          </button>
        </nav>
      ) : null}
    </div>
  );
}
