/**
 * A deployment's status (Monitoring › Deployments › View Status, osd-features §4.7): the counts
 * per category as tabs (Success, In Progress, Error, Requirements Not Met, Unknown), the chart of
 * its progress over time, and the devices of the chosen category with their last status message.
 * A device opens its step history (its latest run of this deployment). Read again every few
 * seconds while the page is open.
 */
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { api, messageOf } from '../../../api/client';
import { Link, navigate, useTitle } from '../../../app/router';
import { DataTable, type Column } from '../../../components/DataTable';
import { formatDate } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Progress } from '../../../components/Progress';
import { AVAILABILITY_LABELS, CONTENT_OPTION_LABELS, type DeploymentInfo } from '../../software-library/task-sequences/deploy/deploy-model';
import { compliance } from './DeploymentList';
import { CATEGORY_COLORS, StatusChart } from './StatusChart';
import { CATEGORIES, CATEGORY_LABELS, type Category, type DeploymentStatus, type DeviceStatus, type StatusHistory } from './types';

const REFRESH_MS = 3000;

const deviceColumns = (hrefOf: (d: DeviceStatus) => string): Column<DeviceStatus>[] => [
  { key: 'name', header: 'Device', width: '14em', render: (d) => <Link to={hrefOf(d)}>{d.name}</Link> },
  { key: 'resourceId', header: 'Resource ID', width: '8em', align: 'right' },
  { key: 'startedAt', header: 'Started', width: '12em', render: (d) => formatDate(d.startedAt) },
  { key: 'endedAt', header: 'Ended', width: '12em', render: (d) => formatDate(d.endedAt) },
  { key: 'lastMessage', header: 'Last status message', value: (d) => d.lastMessage?.description ?? '' },
];

export function DeploymentStatusView({ base, id }: { base: string; id: string }) {
  useTitle(`Deployment ${id}`);
  const [deployment, setDeployment] = useState<DeploymentInfo | undefined>();
  const [status, setStatus] = useState<DeploymentStatus | undefined>();
  const [history, setHistory] = useState<StatusHistory | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [category, setCategory] = useState<Category | null>(null);
  const [tick, setTick] = useState(0);
  const tabs = useRef<Array<HTMLButtonElement | null>>([]);

  useEffect(() => {
    const abort = new AbortController();
    const path = `/deployments/${encodeURIComponent(id)}`;
    Promise.all([
      api.get<DeploymentInfo>(path, undefined, abort.signal),
      api.get<DeploymentStatus>(`${path}/status`, undefined, abort.signal),
      api.get<StatusHistory>(`${path}/status/history`, undefined, abort.signal),
    ])
      .then(([d, s, h]) => {
        setDeployment(d);
        setStatus(s);
        setHistory(h);
        setError(undefined);
      })
      .catch((e: unknown) => !abort.signal.aborted && setError(messageOf(e)));
    const t = window.setTimeout(() => setTick((n) => n + 1), REFRESH_MS);
    return () => {
      abort.abort();
      window.clearTimeout(t);
    };
  }, [id, tick]);

  // The first category with devices is shown until the admin picks one.
  const shownCategory: Category = category ?? CATEGORIES.find((c) => (status?.counts[c] ?? 0) > 0) ?? 'success';
  const devices = status?.devices.filter((d) => d.category === shownCategory) ?? [];

  const hrefOf = (d: DeviceStatus) =>
    d.runId
      ? `${base}/${encodeURIComponent(id)}/devices/${d.resourceId}/runs/${encodeURIComponent(d.runId)}`
      : `${base}/${encodeURIComponent(id)}/devices/${d.resourceId}`;
  const openDevice = (d: DeviceStatus) => navigate(hrefOf(d));

  const onTabKey = (e: KeyboardEvent, i: number) => {
    let to = -1;
    if (e.key === 'ArrowRight') to = (i + 1) % CATEGORIES.length;
    else if (e.key === 'ArrowLeft') to = (i - 1 + CATEGORIES.length) % CATEGORIES.length;
    else if (e.key === 'Home') to = 0;
    else if (e.key === 'End') to = CATEGORIES.length - 1;
    if (to < 0) return;
    e.preventDefault();
    setCategory(CATEGORIES[to]!);
    tabs.current[to]?.focus();
  };

  return (
    <section className="page" aria-labelledby="page-title">
      <p className="breadcrumb">
        <Link to={base}>Deployments</Link> › {id}
      </p>
      <h1 id="page-title">{deployment ? `${deployment.taskSequenceName} to ${deployment.collectionName}` : `Deployment ${id}`}</h1>
      {error ? <Notice kind="error">The deployment's status could not be read: {error}</Notice> : null}
      {!status && !error ? <Progress label="Reading the deployment's status" /> : null}
      {deployment && status ? (
        <>
          <dl className="properties">
            <dt>Deployment ID</dt>
            <dd>{deployment.id}</dd>
            <dt>Purpose</dt>
            <dd>{deployment.purpose === 'required' ? 'Required' : 'Available'}</dd>
            <dt>Made available to</dt>
            <dd>{AVAILABILITY_LABELS[deployment.settings.availability]}</dd>
            <dt>Deployment options</dt>
            <dd>{CONTENT_OPTION_LABELS[deployment.settings.contentOption]}</dd>
            <dt>Revision</dt>
            <dd>
              {deployment.revision}
              {deployment.followLatest ? ' (follows the current revision)' : ' (pinned)'}
            </dd>
            <dt>Compliance</dt>
            <dd>
              {compliance(status.counts)} of {status.counts.total} device{status.counts.total === 1 ? '' : 's'}
            </dd>
            {deployment.highRisk ? (
              <>
                <dt>High risk</dt>
                <dd>{deployment.settings.highRiskReasons.length ? `acknowledged: ${deployment.settings.highRiskReasons.join('; ')}` : 'yes'}</dd>
              </>
            ) : null}
          </dl>
          <h2>Progress over time</h2>
          {history ? <StatusChart history={history} /> : null}
          <h2 id="status-devices">Devices</h2>
          <div className="status-tabs" role="tablist" aria-labelledby="status-devices">
            {CATEGORIES.map((c, i) => (
              <button
                key={c}
                ref={(el) => {
                  tabs.current[i] = el;
                }}
                type="button"
                role="tab"
                id={`tab-${c}`}
                aria-selected={c === shownCategory}
                aria-controls="status-panel"
                tabIndex={c === shownCategory ? 0 : -1}
                onClick={() => setCategory(c)}
                onKeyDown={(e) => onTabKey(e, i)}
              >
                <span className="swatch" style={{ background: CATEGORY_COLORS[c] }} aria-hidden="true" />
                {CATEGORY_LABELS[c]} ({status.counts[c]})
              </button>
            ))}
          </div>
          <div role="tabpanel" id="status-panel" aria-labelledby={`tab-${shownCategory}`}>
            <DataTable
              label={`${CATEGORY_LABELS[shownCategory]} devices`}
              columns={deviceColumns(hrefOf)}
              rows={devices}
              rowKey={(d) => String(d.resourceId)}
              onOpen={openDevice}
              searchLabel="Search devices"
              emptyText={`No device is in ${CATEGORY_LABELS[shownCategory]}.`}
            />
            {devices.length ? <p className="hint">Open a device (Enter or double-click) to see its step history and its logs.</p> : null}
            {status.truncated ? <p className="hint">Only the first devices of each category are listed.</p> : null}
          </div>
        </>
      ) : null}
    </section>
  );
}
