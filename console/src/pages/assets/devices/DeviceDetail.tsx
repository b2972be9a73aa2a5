/**
 * One device's properties (Assets and Compliance › Devices › a device): General (identity and
 * inventory properties), Variables, Computer Associations, Collections (what it is a member of) and
 * Deployments (its task sequence runs, each linked to Monitoring).
 */
import { useCallback, useEffect, useState } from 'react';
import { api, messageOf } from '../../../api/client';
import { Link, navigate, useTitle } from '../../../app/router';
import { ConfirmDialog } from '../../../components/Dialog';
import { formatDate } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Toolbar, ToolbarButton } from '../../../components/Toolbar';
import { Tabs } from '../common/Tabs';
import type { DeviceDetail as Detail, DeviceRuns } from '../common/types';
import { VariablesPanel } from '../common/VariablesPanel';
import { AssociationsPanel } from './AssociationsPanel';

export function DeviceDetail({ base, resourceId }: { base: string; resourceId: string }) {
  const [device, setDevice] = useState<Detail | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [tab, setTab] = useState('general');
  const [confirm, setConfirm] = useState<'delete' | 'clear' | null>(null);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  useTitle(device ? `${device.name} Properties` : 'Device');

  const load = useCallback(async () => {
    try {
      setDevice(await api.get<Detail>(`/devices/${encodeURIComponent(resourceId)}`));
      setError(undefined);
    } catch (e) {
      setError(messageOf(e));
    }
  }, [resourceId]);
  useEffect(() => {
    void load();
  }, [load]);

  const act = async () => {
    if (!device) return;
    const what = confirm;
    setConfirm(null);
    try {
      if (what === 'delete') {
        await api.delete(`/devices/${device.resourceId}`);
        navigate(base);
        return;
      }
      const r = await api.post<{ cleared: unknown[] }>(`/devices/${device.resourceId}/clear-required`);
      setNotice({
        kind: 'success',
        text: r.cleared.length ? `Cleared ${r.cleared.length} Required PXE deployments.` : 'There was no Required PXE deployment to clear.',
      });
    } catch (e) {
      setNotice({ kind: 'error', text: messageOf(e) });
    }
  };

  if (error)
    return (
      <section className="page" aria-labelledby="page-title">
        <h1 id="page-title">Device {resourceId}</h1>
        <Notice kind="error">The device could not be read: {error}</Notice>
        <Link to={base}>Back to Devices</Link>
      </section>
    );

  return (
    <section className="page" aria-labelledby="page-title">
      <p>
        <Link to={base}>Devices</Link> ›
      </p>
      <h1 id="page-title">{device ? `${device.name} Properties` : 'Loading…'}</h1>
      {device ? (
        <>
          <Toolbar label="Device commands">
            <ToolbarButton icon="↺" label="Clear Required PXE Deployments" permission="device.write" onClick={() => setConfirm('clear')} />
            <ToolbarButton icon="✕" label="Delete" permission="device.write" onClick={() => setConfirm('delete')} />
            <ToolbarButton icon="⟳" label="Refresh" onClick={() => void load()} />
          </Toolbar>
          {notice ? (
            <Notice kind={notice.kind} onDismiss={() => setNotice(null)}>
              {notice.text}
            </Notice>
          ) : null}
          <Tabs
            label={`${device.name} properties`}
            selected={tab}
            onSelect={setTab}
            tabs={[
              { id: 'general', label: 'General', content: () => <General device={device} /> },
              {
                id: 'variables',
                label: 'Variables',
                content: () => <VariablesPanel path={`/devices/${device.resourceId}`} permission="device.write" label="Device variables" />,
              },
              { id: 'associations', label: 'Computer Associations', content: () => <AssociationsPanel device={device} /> },
              {
                id: 'collections',
                label: 'Collections',
                content: () =>
                  device.collections.length ? (
                    <ul aria-label="Collections this device is a member of">
                      {device.collections.map((c) => (
                        <li key={c.collectionId}>
                          <Link to={`/assets/device-collections/${encodeURIComponent(c.collectionId)}`}>
                            {c.name} ({c.collectionId})
                          </Link>
                        </li>
                      ))}
                    </ul>
                  ) : (
                    <p>This device is not a member of any collection.</p>
                  ),
              },
              { id: 'deployments', label: 'Deployments', content: () => <Runs resourceId={device.resourceId} /> },
            ]}
          />
          <ConfirmDialog
            title={confirm === 'delete' ? 'Delete Device' : 'Clear Required PXE Deployments'}
            open={confirm !== null}
            message={
              confirm === 'delete'
                ? `Delete the device ${device.name} (${device.resourceId}) with its collection memberships, variables and computer associations?`
                : `Clear the Required PXE deployments of ${device.name}? A Required deployment that already ran is run again at its next network boot.`
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

function General({ device }: { device: Detail }) {
  const props = Object.entries(device.properties).sort(([a], [b]) => a.localeCompare(b));
  return (
    <>
      <dl>
        <dt>Name</dt>
        <dd>{device.name}</dd>
        <dt>Resource ID</dt>
        <dd>{device.resourceId}</dd>
        <dt>MAC addresses</dt>
        <dd>{device.macAddresses.join(', ') || '—'}</dd>
        <dt>SMBIOS GUID</dt>
        <dd>{device.smbiosGuid ?? '—'}</dd>
        <dt>Client</dt>
        <dd>{device.client ? 'Yes' : 'No'}</dd>
        <dt>Unknown computer</dt>
        <dd>{device.unknownComputer ?? 'No'}</dd>
        <dt>Site system</dt>
        <dd>{device.isSiteSystem ? 'Yes' : 'No'}</dd>
        <dt>Created</dt>
        <dd>{formatDate(device.createdAt)}</dd>
        <dt>Modified</dt>
        <dd>{formatDate(device.updatedAt)}</dd>
      </dl>
      <h2>Properties</h2>
      {props.length ? (
        <table className="plain" aria-label="Inventory properties">
          <thead>
            <tr>
              <th scope="col">Property</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {props.map(([k, v]) => (
              <tr key={k}>
                <td>{k}</td>
                <td>{v === null ? '' : String(v)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>The site has no inventory properties for this device.</p>
      )}
    </>
  );
}

const RESULT_NAMES: Record<string, string> = { 'in-progress': 'In Progress', succeeded: 'Success', failed: 'Error', refused: 'Requirements Not Met' };

function Runs({ resourceId }: { resourceId: number }) {
  const [runs, setRuns] = useState<DeviceRuns['runs'] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    api
      .get<DeviceRuns>(`/devices/${resourceId}/runs`, { limit: 20 })
      .then((r) => setRuns(r.runs))
      .catch((e: unknown) => setError(messageOf(e)));
  }, [resourceId]);
  if (error) return <Notice kind="error">The deployments could not be read: {error}</Notice>;
  if (!runs) return <p>Loading…</p>;
  if (!runs.length) return <p>No task sequence has run on this device.</p>;
  return (
    <table className="plain" aria-label="Task sequence runs of this device">
      <thead>
        <tr>
          <th scope="col">Task sequence</th>
          <th scope="col">Deployment</th>
          <th scope="col">Status</th>
          <th scope="col">Started</th>
          <th scope="col">Ended</th>
          <th scope="col">Monitoring</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.runId}>
            <td>
              {r.taskSequenceName} ({r.taskSequenceId})
            </td>
            <td>{r.deploymentId}</td>
            <td>{RESULT_NAMES[r.result] ?? r.result}</td>
            <td>{formatDate(r.startedAt)}</td>
            <td>{formatDate(r.endedAt)}</td>
            <td>
              <Link to={`/monitoring/deployments/${encodeURIComponent(r.deploymentId)}/devices/${resourceId}/runs/${encodeURIComponent(r.runId)}`}>
                Step history of this run
              </Link>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
