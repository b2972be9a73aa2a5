/**
 * A log of a run (smsts.log) read like CMTrace: the columns Log Text, Component, Date/Time and
 * Thread; errors red, warnings yellow; the selected line's whole text below; a filter (severity,
 * component, text that lines must contain) and Find (next/previous line containing a word, which
 * moves the selection there). Virtualised: only the lines in view are drawn, so a log of a hundred
 * thousand lines scrolls as a short one.
 */
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { messageOf, requestRaw } from '../../../api/client';
import { Link, useTitle } from '../../../app/router';
import { formatBytes } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Progress } from '../../../components/Progress';
import { parseLog, type LogLine, type Severity } from './cmtrace';

const ROW = 22;
const OVERSCAN = 10;
const SEVERITY_LABELS: Record<Severity, string> = { verbose: 'Verbose', info: 'Information', warning: 'Warning', error: 'Error' };

type SeverityFilter = 'all' | 'warning' | 'error';

export function LogViewer({ back, backLabel, resourceId, runId, name }: { back: string; backLabel: string; resourceId: string; runId: string; name: string }) {
  useTitle(name);
  const [lines, setLines] = useState<LogLine[] | undefined>();
  const [size, setSize] = useState(0);
  const [loadError, setLoadError] = useState<string | undefined>();
  const [progress, setProgress] = useState<{ value?: number; detail?: string }>({});

  useEffect(() => {
    const abort = new AbortController();
    (async () => {
      const res = await requestRaw('GET', `/devices/${encodeURIComponent(resourceId)}/runs/${encodeURIComponent(runId)}/logs/${encodeURIComponent(name)}`, {
        signal: abort.signal,
      });
      const total = Number(res.headers.get('content-length') ?? 0);
      // Read as it arrives, so a long log shows its progress.
      const reader = res.body?.getReader();
      let text = '';
      if (reader) {
        const decoder = new TextDecoder();
        let got = 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          got += value.byteLength;
          text += decoder.decode(value, { stream: true });
          setProgress({ value: total ? got / total : undefined, detail: `${formatBytes(got)} read` });
        }
        text += decoder.decode();
      } else text = await res.text();
      if (abort.signal.aborted) return;
      setSize(new TextEncoder().encode(text).byteLength);
      setLines(parseLog(text));
    })().catch((e: unknown) => {
      if (!abort.signal.aborted) setLoadError(messageOf(e));
    });
    return () => abort.abort();
  }, [resourceId, runId, name]);

  return (
    <section className="page" aria-labelledby="page-title">
      <p className="breadcrumb">
        <Link to="/monitoring/deployments">Deployments</Link> › <Link to={back}>{backLabel}</Link> › {name}
      </p>
      <h1 id="page-title">{name}</h1>
      {loadError ? <Notice kind="error">The log could not be read: {loadError}</Notice> : null}
      {!lines && !loadError ? <Progress label={`Reading ${name}`} value={progress.value} detail={progress.detail} /> : null}
      {lines ? <LogTable lines={lines} size={size} name={name} /> : null}
    </section>
  );
}

function timeOf(l: LogLine): string {
  if (!l.instant) return `${l.date} ${l.time}`.trim();
  return `${l.instant.toLocaleString(undefined, { hour12: false })}.${String(l.instant.getMilliseconds()).padStart(3, '0')}`;
}

function LogTable({ lines, size, name }: { lines: LogLine[]; size: number; name: string }) {
  const [severity, setSeverity] = useState<SeverityFilter>('all');
  const [component, setComponent] = useState('');
  const [contains, setContains] = useState('');
  const [find, setFind] = useState('');
  const [findNote, setFindNote] = useState('');
  const [selected, setSelected] = useState<number | null>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(480);
  const body = useRef<HTMLDivElement>(null);
  const ids = { severity: useId(), component: useId(), contains: useId(), find: useId(), detail: useId() };

  const components = useMemo(() => [...new Set(lines.map((l) => l.component).filter(Boolean))].sort(), [lines]);
  const counts = useMemo(
    () => ({ error: lines.filter((l) => l.severity === 'error').length, warning: lines.filter((l) => l.severity === 'warning').length }),
    [lines],
  );

  const shown = useMemo(() => {
    const needle = contains.trim().toLowerCase();
    return lines.filter(
      (l) =>
        (severity === 'all' || l.severity === 'error' || (severity === 'warning' && l.severity === 'warning')) &&
        (!component || l.component === component) &&
        (!needle || l.message.toLowerCase().includes(needle) || l.component.toLowerCase().includes(needle)),
    );
  }, [lines, severity, component, contains]);

  useEffect(() => {
    const el = body.current;
    if (!el) return;
    const measure = () => setHeight(el.clientHeight || 480);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const selectedIndex = selected === null ? -1 : shown.findIndex((l) => l.n === selected);
  const current = selectedIndex >= 0 ? shown[selectedIndex] : undefined;

  const reveal = (i: number) => {
    const el = body.current;
    if (!el) return;
    const top = i * ROW;
    // The header row (one ROW high, sticky) covers the top of the view.
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + 2 * ROW > el.scrollTop + el.clientHeight) el.scrollTop = top + 2 * ROW - el.clientHeight;
  };
  const select = (i: number) => {
    const l = shown[Math.max(0, Math.min(shown.length - 1, i))];
    if (!l) return;
    setSelected(l.n);
    reveal(shown.indexOf(l));
  };

  const findNext = (direction: 1 | -1) => {
    const needle = find.trim().toLowerCase();
    if (!needle || shown.length === 0) return;
    const start = selectedIndex < 0 ? (direction === 1 ? -1 : shown.length) : selectedIndex;
    for (let k = 1; k <= shown.length; k++) {
      const i = (start + direction * k + shown.length * 2) % shown.length;
      const l = shown[i]!;
      if (l.message.toLowerCase().includes(needle)) {
        select(i);
        const total = shown.filter((x) => x.message.toLowerCase().includes(needle)).length;
        setFindNote(`"${find.trim()}" found on line ${l.n} (${total} line${total === 1 ? '' : 's'} contain it).`);
        return;
      }
    }
    setFindNote(`"${find.trim()}" was not found.`);
  };

  const onKey = (e: KeyboardEvent) => {
    const page = Math.max(1, Math.floor(height / ROW) - 1);
    const at = selectedIndex < 0 ? 0 : selectedIndex;
    let to: number | undefined;
    if (e.key === 'ArrowDown') to = selectedIndex < 0 ? 0 : at + 1;
    else if (e.key === 'ArrowUp') to = at - 1;
    else if (e.key === 'PageDown') to = at + page;
    else if (e.key === 'PageUp') to = at - page;
    else if (e.key === 'Home') to = 0;
    else if (e.key === 'End') to = shown.length - 1;
    if (to === undefined) return;
    e.preventDefault();
    select(to);
  };

  const first = Math.max(0, Math.floor(scrollTop / ROW) - OVERSCAN);
  const last = Math.min(shown.length, Math.ceil((scrollTop + height) / ROW) + OVERSCAN);
  const needle = find.trim().toLowerCase();

  return (
    <div className="log-viewer">
      <div className="log-filters" role="search" aria-label={`Filter ${name}`}>
        <div className="field">
          <label htmlFor={ids.severity}>Show</label>
          <select id={ids.severity} value={severity} onChange={(e) => setSeverity(e.target.value as SeverityFilter)}>
            <option value="all">All lines</option>
            <option value="warning">Errors and warnings</option>
            <option value="error">Errors only</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.component}>Component</label>
          <select id={ids.component} value={component} onChange={(e) => setComponent(e.target.value)}>
            <option value="">All components</option>
            {components.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.contains}>Lines containing</label>
          <input id={ids.contains} type="search" value={contains} onChange={(e) => setContains(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={ids.find}>Find</label>
          <input
            id={ids.find}
            type="search"
            value={find}
            onChange={(e) => {
              setFind(e.target.value);
              setFindNote('');
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                findNext(e.shiftKey ? -1 : 1);
              }
            }}
          />
        </div>
        <div className="buttons">
          <button type="button" onClick={() => findNext(1)} disabled={!find.trim()}>
            Find Next
          </button>
          <button type="button" onClick={() => findNext(-1)} disabled={!find.trim()}>
            Find Previous
          </button>
        </div>
      </div>
      <p className="log-count" aria-live="polite">
        {shown.length === lines.length
          ? `${lines.length.toLocaleString()} lines`
          : `${shown.length.toLocaleString()} of ${lines.length.toLocaleString()} lines`}{' '}
        · {counts.error} error{counts.error === 1 ? '' : 's'} · {counts.warning} warning{counts.warning === 1 ? '' : 's'} · {formatBytes(size)}
        {findNote ? ` · ${findNote}` : ''}
      </p>
      <div
        ref={body}
        className="log-grid"
        role="grid"
        tabIndex={0}
        aria-label={`${name} lines (arrow keys move the selection)`}
        aria-rowcount={shown.length + 1}
        aria-colcount={4}
        aria-readonly="true"
        aria-activedescendant={current ? `log-line-${current.n}` : undefined}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
        onKeyDown={onKey}
      >
        <div className="log-row log-head" role="row" aria-rowindex={1}>
          <span role="columnheader">Log Text</span>
          <span role="columnheader">Component</span>
          <span role="columnheader">Date/Time</span>
          <span role="columnheader">Thread</span>
        </div>
        <div className="log-rows" role="rowgroup" style={{ height: shown.length * ROW }}>
          {shown.slice(first, last).map((l, k) => {
            const i = first + k;
            const hit = needle && l.message.toLowerCase().includes(needle);
            return (
              <div
                key={l.n}
                id={`log-line-${l.n}`}
                role="row"
                aria-rowindex={i + 2}
                aria-selected={l.n === selected}
                className={`log-row sev-${l.severity}${l.n === selected ? ' selected' : ''}${hit ? ' hit' : ''}`}
                style={{ top: i * ROW }}
                onClick={() => setSelected(l.n)}
              >
                <span role="gridcell" className="log-text" title={l.message}>
                  {l.message.split('\n')[0]}
                </span>
                <span role="gridcell">{l.component}</span>
                <span role="gridcell">{timeOf(l)}</span>
                <span role="gridcell">{l.thread}</span>
              </div>
            );
          })}
        </div>
      </div>
      {shown.length === 0 ? <p className="empty">No lines match the filter.</p> : null}
      <section className="log-detail" aria-labelledby={ids.detail}>
        <h2 id={ids.detail}>{current ? `Line ${current.n}` : 'Selected line'}</h2>
        {current ? (
          <>
            <pre className="log-message">{current.message}</pre>
            <p>
              {SEVERITY_LABELS[current.severity]} · {current.component || 'no component'} · {current.date} {current.time}
              {current.thread ? ` · thread ${current.thread}` : ''}
              {current.file ? ` · ${current.file}` : ''}
            </p>
          </>
        ) : (
          <p>Select a line to read all of it.</p>
        )}
      </section>
    </div>
  );
}
