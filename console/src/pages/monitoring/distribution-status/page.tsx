/**
 * Monitoring › Distribution Status (osd-features §3.5): Content Status — each package with the
 * number of distribution points where it is Installed (success), In Progress, Failed (error) or
 * Unknown (not targeted there) — and Distribution Point Status, the same counts per distribution
 * point. Selecting a package or a distribution point lists its content locations with their state,
 * a copy in progress with its progress bar. Read again every few seconds while a copy runs.
 * Distribute, redistribute and remove are the content's own commands (Software Library).
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, messageOf } from '../../../api/client';
import type { PageProps } from '../../../app/pages';
import { useTitle } from '../../../app/router';
import { DataTable, type Column } from '../../../components/DataTable';
import { formatBytes, formatDate } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Progress } from '../../../components/Progress';

interface ContentSummary {
  packageId: string;
  name: string;
  success: number;
  inProgress: number;
  error: number;
  unknown: number;
}

interface LocationStatus {
  packageId: string;
  dpName: string;
  sourceVersion: number;
  currentSourceVersion: number;
  state: 'pending' | 'in-progress' | 'success' | 'error' | 'removing';
  message: string;
  updatedAt: string;
  sizeBytes: number | null;
  copiedBytes: number;
  copyBytes: number | null;
}

interface DistributionPoint {
  name: string;
  description: string;
  pxeEnabled: boolean;
}

interface DpSummary {
  name: string;
  description: string;
  installed: number;
  inProgress: number;
  failed: number;
  locations: LocationStatus[];
}

const STATE_LABELS: Record<LocationStatus['state'], string> = {
  pending: 'Waiting to distribute',
  'in-progress': 'In Progress',
  success: 'Installed',
  error: 'Failed',
  removing: 'Removing',
};

const REFRESH_MS = 3000;

const stateOf = (l: LocationStatus) =>
  l.state === 'success' && l.sourceVersion < l.currentSourceVersion ? 'Installed (an older version: updating)' : STATE_LABELS[l.state];
const busy = (l: LocationStatus) => l.state === 'pending' || l.state === 'in-progress' || l.state === 'removing' || l.sourceVersion < l.currentSourceVersion;

const CONTENT_COLUMNS: Column<ContentSummary>[] = [
  { key: 'name', header: 'Software', width: '30%' },
  { key: 'packageId', header: 'Package ID', width: '9em' },
  { key: 'targeted', header: 'Targeted', align: 'right', width: '6em', value: (r) => r.success + r.inProgress + r.error },
  { key: 'success', header: 'Installed', align: 'right', width: '6em' },
  { key: 'inProgress', header: 'In Progress', align: 'right', width: '7em' },
  { key: 'error', header: 'Failed', align: 'right', width: '5em' },
  { key: 'unknown', header: 'Unknown', align: 'right', width: '6em' },
];

const DP_COLUMNS: Column<DpSummary>[] = [
  { key: 'name', header: 'Distribution point', width: '30%' },
  { key: 'description', header: 'Description' },
  { key: 'installed', header: 'Installed', align: 'right', width: '6em' },
  { key: 'inProgress', header: 'In Progress', align: 'right', width: '7em' },
  { key: 'failed', header: 'Failed', align: 'right', width: '5em' },
];

function locationColumns(first: 'dp' | 'package', names: Map<string, string>): Column<LocationStatus>[] {
  return [
    first === 'dp'
      ? { key: 'dpName', header: 'Distribution point', width: '16em' }
      : { key: 'packageId', header: 'Software', width: '18em', value: (l) => `${names.get(l.packageId) ?? l.packageId} (${l.packageId})` },
    { key: 'state', header: 'Status', width: '14em', value: stateOf },
    {
      key: 'progress',
      header: 'Progress',
      width: '16em',
      sortable: false,
      render: (l) =>
        l.state === 'in-progress' && l.copyBytes ? (
          <Progress
            label={`Copying to ${l.dpName}`}
            value={l.copiedBytes / l.copyBytes}
            detail={`${formatBytes(l.copiedBytes)} of ${formatBytes(l.copyBytes)}`}
          />
        ) : l.sizeBytes !== null ? (
          formatBytes(l.sizeBytes)
        ) : (
          ''
        ),
    },
    { key: 'sourceVersion', header: 'Version', align: 'right', width: '5em' },
    { key: 'message', header: 'Message' },
    { key: 'updatedAt', header: 'Updated', width: '12em', render: (l) => formatDate(l.updatedAt) },
  ];
}

export default function DistributionStatusPage(_props: PageProps) {
  useTitle('Distribution Status');
  const [content, setContent] = useState<ContentSummary[] | undefined>();
  const [dps, setDps] = useState<DpSummary[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [view, setView] = useState<'content' | 'dp'>('content');
  const [selectedPackage, setSelectedPackage] = useState<string | null>(null);
  const [selectedDp, setSelectedDp] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  const load = useCallback(async (signal: AbortSignal) => {
    const [summary, points] = await Promise.all([
      api.get<ContentSummary[]>('/distribution-status', undefined, signal),
      api.get<DistributionPoint[]>('/distribution-points', undefined, signal),
    ]);
    const perDp = await Promise.all(
      points.map(async (dp) => {
        const locations = await api.get<LocationStatus[]>(`/distribution-points/${encodeURIComponent(dp.name)}/content`, undefined, signal);
        return {
          name: dp.name,
          description: dp.description,
          installed: locations.filter((l) => l.state === 'success' && l.sourceVersion === l.currentSourceVersion).length,
          inProgress: locations.filter(busy).length,
          failed: locations.filter((l) => l.state === 'error').length,
          locations,
        };
      }),
    );
    return { summary, perDp };
  }, []);

  useEffect(() => {
    const abort = new AbortController();
    load(abort.signal)
      .then(({ summary, perDp }) => {
        setContent(summary);
        setDps(perDp);
        setError(undefined);
      })
      .catch((e: unknown) => !abort.signal.aborted && setError(messageOf(e)));
    return () => abort.abort();
  }, [load, tick]);

  const copying = dps?.some((d) => d.inProgress > 0) ?? false;
  useEffect(() => {
    if (!copying) return;
    const t = window.setTimeout(() => setTick((n) => n + 1), REFRESH_MS);
    return () => window.clearTimeout(t);
  }, [copying, tick]);

  const names = useMemo(() => new Map((content ?? []).map((c) => [c.packageId, c.name])), [content]);
  const allLocations = useMemo(() => (dps ?? []).flatMap((d) => d.locations), [dps]);
  const pkg = content?.find((c) => c.packageId === selectedPackage);
  const dp = dps?.find((d) => d.name === selectedDp);

  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title">Distribution Status</h1>
      <div className="toolbar" role="toolbar" aria-label="Distribution Status commands">
        <button type="button" className="tool" aria-pressed={view === 'content'} onClick={() => setView('content')}>
          Content Status
        </button>
        <button type="button" className="tool" aria-pressed={view === 'dp'} onClick={() => setView('dp')}>
          Distribution Point Status
        </button>
        <button type="button" className="tool" onClick={() => setTick((n) => n + 1)}>
          Refresh
        </button>
      </div>
      {error ? <Notice kind="error">The distribution status could not be read: {error}</Notice> : null}
      {!content && !error ? <Progress label="Reading the distribution status" /> : null}
      {copying ? <p className="hint">Content is being copied to a distribution point: this page reads the status again every few seconds.</p> : null}
      {content && dps && view === 'content' ? (
        <>
          <h2>Content Status</h2>
          <DataTable
            label="Content Status"
            columns={CONTENT_COLUMNS}
            rows={content}
            rowKey={(r) => r.packageId}
            selectedKey={selectedPackage}
            onSelect={(r) => setSelectedPackage(r?.packageId ?? null)}
            searchLabel="Search content"
            initialSort={{ key: 'name', direction: 'ascending' }}
            emptyText="The site has no content yet."
          />
          {pkg ? (
            <section className="details" aria-label={`Content locations of ${pkg.name}`}>
              <h2>
                {pkg.name} ({pkg.packageId}): content locations
              </h2>
              <DataTable
                label={`Content locations of ${pkg.name}`}
                columns={locationColumns('dp', names)}
                rows={allLocations.filter((l) => l.packageId === pkg.packageId)}
                rowKey={(l) => l.dpName}
                emptyText="This content is not distributed to any distribution point."
              />
            </section>
          ) : null}
        </>
      ) : null}
      {dps && view === 'dp' ? (
        <>
          <h2>Distribution Point Status</h2>
          <DataTable
            label="Distribution Point Status"
            columns={DP_COLUMNS}
            rows={dps}
            rowKey={(r) => r.name}
            selectedKey={selectedDp}
            onSelect={(r) => setSelectedDp(r?.name ?? null)}
            searchLabel="Search distribution points"
            emptyText="The site has no distribution point."
          />
          {dp ? (
            <section className="details" aria-label={`Content on ${dp.name}`}>
              <h2>Content on {dp.name}</h2>
              <DataTable
                label={`Content on ${dp.name}`}
                columns={locationColumns('package', names)}
                rows={dp.locations}
                rowKey={(l) => l.packageId}
                emptyText="No content is distributed to this distribution point."
              />
            </section>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
