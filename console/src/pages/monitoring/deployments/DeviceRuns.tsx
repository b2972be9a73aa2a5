/**
 * A device's runs of one deployment, newest first (GET /devices/:id/runs?deploymentId=): each
 * with its result, times, download and restarts; one opens its step timeline.
 */
import { useEffect, useState } from 'react';
import { api, messageOf } from '../../../api/client';
import { Link, navigate, useTitle } from '../../../app/router';
import { DataTable, type Column } from '../../../components/DataTable';
import { formatBytes, formatDate } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Progress } from '../../../components/Progress';
import { seconds } from './RunView';
import { RESULT_LABELS, type DeviceHistory, type RunSummary } from './types';

const COLUMNS: Column<RunSummary>[] = [
  { key: 'startedAt', header: 'Started', width: '13em', render: (r) => formatDate(r.startedAt) },
  { key: 'result', header: 'Result', width: '10em', value: (r) => RESULT_LABELS[r.result] },
  { key: 'durationSeconds', header: 'Duration', width: '8em', align: 'right', render: (r) => seconds(r.durationSeconds) },
  { key: 'bytesDownloaded', header: 'Downloaded', width: '8em', align: 'right', render: (r) => formatBytes(r.bytesDownloaded) },
  { key: 'restarts', header: 'Restarts', width: '6em', align: 'right' },
  { key: 'lastMessage', header: 'Last status message', value: (r) => r.lastMessage?.description ?? '' },
];

export function DeviceRuns({ back, deploymentId, resourceId }: { back: string; deploymentId: string; resourceId: string }) {
  const [history, setHistory] = useState<DeviceHistory | undefined>();
  const [error, setError] = useState<string | undefined>();
  useTitle(history ? `${history.name}: runs` : 'Runs');

  useEffect(() => {
    const abort = new AbortController();
    api
      .get<DeviceHistory>(`/devices/${encodeURIComponent(resourceId)}/runs`, { deploymentId, limit: 100 }, abort.signal)
      .then(setHistory)
      .catch((e: unknown) => !abort.signal.aborted && setError(messageOf(e)));
    return () => abort.abort();
  }, [deploymentId, resourceId]);

  const open = (r: RunSummary) => navigate(`${back}/devices/${encodeURIComponent(resourceId)}/runs/${encodeURIComponent(r.runId)}`);
  return (
    <section className="page" aria-labelledby="page-title">
      <p className="breadcrumb">
        <Link to="/monitoring/deployments">Deployments</Link> › <Link to={back}>{deploymentId}</Link> › {history?.name ?? resourceId}
      </p>
      <h1 id="page-title">{history ? `${history.name}: runs of ${deploymentId}` : 'Runs'}</h1>
      {error ? <Notice kind="error">The device's runs could not be read: {error}</Notice> : null}
      {!history && !error ? <Progress label="Reading the device's runs" /> : null}
      {history ? (
        <DataTable
          label="Runs"
          columns={COLUMNS}
          rows={history.runs}
          rowKey={(r) => r.runId}
          onOpen={open}
          initialSort={{ key: 'startedAt', direction: 'descending' }}
          emptyText="This device has not run the deployment."
        />
      ) : null}
    </section>
  );
}
