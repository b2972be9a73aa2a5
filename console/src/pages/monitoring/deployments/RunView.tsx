/**
 * One run of a device: its steps drawn as a timeline (GET /devices/:id/runs/:runId/timeline) —
 * each step a bar from its start to its end, coloured by its outcome, the restarts between them,
 * the content downloads, the step it failed at — then the status messages in ConfigMgr's words and
 * the logs its computer uploaded (opened in the log viewer). While the run is in progress the page
 * reads it again every few seconds.
 */
import { useEffect, useState } from 'react';
import { api, messageOf } from '../../../api/client';
import { Link, useTitle } from '../../../app/router';
import { DataTable, type Column } from '../../../components/DataTable';
import { formatBytes, formatDate } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Progress } from '../../../components/Progress';
import { RESULT_LABELS, type RunDetail, type RunMessage, type RunTimeline, type TimelineBar } from './types';

const OUTCOME_LABELS: Record<string, string> = {
  succeeded: 'Succeeded',
  failed: 'Failed',
  skipped: 'Skipped',
  'restart-requested': 'Restarted the computer',
  started: 'Running',
  disabled: 'Disabled',
  refused: 'Refused',
};

export function seconds(s: number | null | undefined): string {
  if (s === null || s === undefined) return '—';
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 90) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 90 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

const MESSAGE_COLUMNS: Column<RunMessage>[] = [
  { key: 'time', header: 'Date/Time', width: '13em', render: (m) => formatDate(m.time) },
  { key: 'messageId', header: 'Message ID', width: '7em', align: 'right' },
  { key: 'step', header: 'Step', width: '16em', value: (m) => m.step?.name ?? '' },
  { key: 'exitCodeHex', header: 'Exit code', width: '7em' },
  { key: 'description', header: 'Description', render: (m) => <span className="pre-wrap">{m.description}</span> },
];

export function RunView({ back, backLabel, resourceId, runId }: { back: string; backLabel: string; resourceId: string; runId: string }) {
  const [timeline, setTimeline] = useState<RunTimeline | undefined>();
  const [run, setRun] = useState<RunDetail | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [tick, setTick] = useState(0);
  useTitle(timeline ? `${timeline.deviceName}: ${timeline.taskSequenceName}` : 'Run');

  useEffect(() => {
    const abort = new AbortController();
    const base = `/devices/${encodeURIComponent(resourceId)}/runs/${encodeURIComponent(runId)}`;
    Promise.all([api.get<RunTimeline>(`${base}/timeline`, undefined, abort.signal), api.get<RunDetail>(base, undefined, abort.signal)])
      .then(([t, r]) => {
        setTimeline(t);
        setRun(r);
        setError(undefined);
      })
      .catch((e: unknown) => !abort.signal.aborted && setError(messageOf(e)));
    return () => abort.abort();
  }, [resourceId, runId, tick]);

  const running = timeline?.result === 'in-progress';
  useEffect(() => {
    if (!running) return;
    const t = window.setTimeout(() => setTick((n) => n + 1), 3000);
    return () => window.clearTimeout(t);
  }, [running, tick]);

  const logBase = `${back}/devices/${encodeURIComponent(resourceId)}/runs/${encodeURIComponent(runId)}/logs`;
  return (
    <section className="page" aria-labelledby="page-title">
      <p className="breadcrumb">
        <Link to="/monitoring/deployments">Deployments</Link> › <Link to={back}>{backLabel}</Link> › {timeline?.deviceName ?? resourceId}
      </p>
      <h1 id="page-title">{timeline ? `${timeline.deviceName}: step history` : 'Step history'}</h1>
      {error ? <Notice kind="error">The run could not be read: {error}</Notice> : null}
      {!timeline && !error ? <Progress label="Reading the run" /> : null}
      {timeline && run ? (
        <>
          <dl className="properties">
            <dt>Task sequence</dt>
            <dd>{timeline.taskSequenceName}</dd>
            <dt>Deployment</dt>
            <dd>{timeline.deploymentId}</dd>
            <dt>Result</dt>
            <dd className={`result-${timeline.result}`}>{RESULT_LABELS[timeline.result]}</dd>
            <dt>Started</dt>
            <dd>{formatDate(timeline.startedAt)}</dd>
            <dt>Ended</dt>
            <dd>{timeline.endedAt ? formatDate(timeline.endedAt) : 'not yet'}</dd>
            <dt>Duration</dt>
            <dd>{seconds(timeline.durationSeconds)}</dd>
            <dt>Downloaded</dt>
            <dd>
              {formatBytes(run.bytesDownloaded)}
              {run.downloadSeconds ? ` in ${seconds(run.downloadSeconds)}` : ''}
            </dd>
            <dt>Restarts</dt>
            <dd>{timeline.restarts.length}</dd>
            <dt>Steps</dt>
            <dd>
              {run.stepCounts.run} run, {run.stepCounts.skipped} skipped, {run.stepCounts.failed} failed
              {run.stepCounts.predicted ? `, ${run.stepCounts.predicted} only predicted` : ''}
            </dd>
          </dl>
          {timeline.failedAt ? (
            <Notice kind="error">
              The task sequence failed at <strong>{timeline.failedAt}</strong>.
            </Notice>
          ) : null}
          <h2>Timeline</h2>
          <Timeline timeline={timeline} />
          <h2>Logs</h2>
          {run.logs.length ? (
            <ul className="log-links">
              {run.logs.map((name) => (
                <li key={name}>
                  <Link to={`${logBase}/${encodeURIComponent(name)}`}>Open {name}</Link>
                </li>
              ))}
            </ul>
          ) : (
            <p>{running ? 'The computer uploads its logs when the task sequence ends.' : 'The computer uploaded no log for this run.'}</p>
          )}
          <h2>Status messages</h2>
          <DataTable
            label="Status messages"
            columns={MESSAGE_COLUMNS}
            rows={run.messages}
            rowKey={(m) => m.id}
            searchLabel="Search status messages"
            initialSort={{ key: 'time', direction: 'ascending' }}
            pageSize={100}
          />
        </>
      ) : null}
    </section>
  );
}

/** The steps as bars on one time axis, with restarts and downloads placed where they happened. */
function Timeline({ timeline }: { timeline: RunTimeline }) {
  const start = Date.parse(timeline.startedAt);
  const ends = [
    timeline.endedAt ? Date.parse(timeline.endedAt) : Date.now(),
    ...timeline.bars.map((b) => (b.endedAt ? Date.parse(b.endedAt) : 0)),
    ...timeline.restarts.map((r) => (r.backAt ? Date.parse(r.backAt) : 0)),
  ];
  const span = Math.max(1, Math.max(...ends) - start);
  const pct = (iso: string) => `${(((Date.parse(iso) - start) / span) * 100).toFixed(2)}%`;
  const width = (a: string, b: string) => `max(2px, ${(((Date.parse(b) - Date.parse(a)) / span) * 100).toFixed(2)}%)`;
  const placed = timeline.downloads.filter((d) => d.startedAt && d.endedAt);
  const totals = timeline.downloads.filter((d) => !(d.startedAt && d.endedAt));

  const barOf = (b: TimelineBar) => {
    if (!b.startedAt) return null;
    if (!b.endedAt || b.durationSeconds === null)
      return <span className={`tl-mark outcome-${b.outcome}`} style={{ left: pct(b.startedAt) }} aria-hidden="true" />;
    return (
      <span
        className={`tl-bar outcome-${b.outcome}${b.kind === 'group' ? ' group' : ''}`}
        style={{ left: pct(b.startedAt), width: width(b.startedAt, b.endedAt) }}
        aria-hidden="true"
      />
    );
  };

  return (
    <div className="timeline">
      <table className="plain timeline-table">
        <caption className="visually-hidden">Step timeline of the run: each step with its outcome, its start after the run began and how long it took</caption>
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">Outcome</th>
            <th scope="col" className="num">
              Start
            </th>
            <th scope="col" className="num">
              Duration
            </th>
            <th scope="col" className="tl-axis">
              Timeline (0 – {seconds(span / 1000)})
            </th>
          </tr>
        </thead>
        <tbody>
          {placed.map((d) => (
            <tr key={`dl-${d.reportedAt}`} className="tl-download">
              <th scope="row">Download content</th>
              <td>{formatBytes(d.bytes)}</td>
              <td className="num">+{seconds((Date.parse(d.startedAt!) - start) / 1000)}</td>
              <td className="num">{seconds(d.seconds)}</td>
              <td className="tl-cell">
                <span className="tl-bar outcome-download" style={{ left: pct(d.startedAt!), width: width(d.startedAt!, d.endedAt!) }} aria-hidden="true" />
              </td>
            </tr>
          ))}
          {timeline.bars.map((b, i) => {
            const failed = b.outcome === 'failed';
            const restart = timeline.restarts.find((r) => r.path === b.path && b.outcome === 'restart-requested');
            return (
              <tr key={`${b.path}-${i}`} className={`${b.kind === 'group' ? 'tl-group' : ''}${failed ? ' tl-failed' : ''}`}>
                <th scope="row" title={b.path} style={{ paddingLeft: `${0.4 + (b.path.split(' / ').length - 1) * 1}em` }}>
                  {b.kind === 'group' ? '▸ ' : ''}
                  {b.name}
                </th>
                <td>
                  {OUTCOME_LABELS[b.outcome] ?? b.outcome}
                  {failed && b.exitCodeHex ? ` (${b.exitCodeHex})` : ''}
                  {failed && /ignored execution failure/.test(b.description) ? <span className="hint"> — ignored (continue on error)</span> : null}
                  {b.reason ? <span className="hint"> — {b.reason}</span> : null}
                  {restart ? <span className="hint"> — back after {seconds(restart.downSeconds)}</span> : null}
                  {b.predicted ? <span className="hint"> (predicted)</span> : null}
                </td>
                <td className="num">{b.startedAt ? `+${seconds((Date.parse(b.startedAt) - start) / 1000)}` : '—'}</td>
                <td className="num">{seconds(b.durationSeconds)}</td>
                <td className="tl-cell">
                  {barOf(b)}
                  {restart?.backAt ? (
                    <span className="tl-restart" style={{ left: pct(restart.at), width: width(restart.at, restart.backAt) }} aria-hidden="true" />
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <ul className="chart-legend">
        <li>
          <span className="swatch outcome-succeeded" aria-hidden="true" />
          Succeeded
        </li>
        <li>
          <span className="swatch outcome-failed" aria-hidden="true" />
          Failed
        </li>
        <li>
          <span className="swatch outcome-restart-requested" aria-hidden="true" />
          Restart
        </li>
        <li>
          <span className="swatch outcome-download" aria-hidden="true" />
          Download
        </li>
        <li>
          <span className="swatch outcome-skipped" aria-hidden="true" />
          Skipped (a mark)
        </li>
      </ul>
      {totals.map((d) => (
        <p key={`dt-${d.reportedAt}`} className="hint">
          {d.description || `${formatBytes(d.bytes)} downloaded in ${seconds(d.seconds)} while the steps ran.`}
        </p>
      ))}
    </div>
  );
}
