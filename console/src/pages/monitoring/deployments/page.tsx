/**
 * Monitoring › Deployments. The node's paths:
 *   /monitoring/deployments                                     every deployment with its status counts
 *   /monitoring/deployments/PS120000                            one deployment: counts, chart over time, devices per category
 *   /monitoring/deployments/PS120000/devices/16777220           a device's runs of it
 *   /monitoring/deployments/PS120000/devices/16777220/runs/RUN  a run's step timeline, status messages and logs
 *   …/runs/RUN/logs/smsts.log                                   a log in the CMTrace-like viewer
 */
import type { PageProps } from '../../../app/pages';
import { DeploymentList } from './DeploymentList';
import { DeploymentStatusView } from './DeploymentStatusView';
import { DeviceRuns } from './DeviceRuns';
import { LogViewer } from './LogViewer';
import { RunView } from './RunView';
import './monitoring.css';

export default function DeploymentsPage({ rest, base }: PageProps) {
  const [id, devices, resourceId, runs, runId, logs, name] = rest;
  if (!id) return <DeploymentList base={base} />;
  const deployment = `${base}/${encodeURIComponent(id)}`;
  if (devices === 'devices' && resourceId) {
    if (runs === 'runs' && runId) {
      const run = `${deployment}/devices/${encodeURIComponent(resourceId)}/runs/${encodeURIComponent(runId)}`;
      if (logs === 'logs' && name) return <LogViewer back={run} backLabel="Step history" resourceId={resourceId} runId={runId} name={name} />;
      return <RunView back={deployment} backLabel={id} resourceId={resourceId} runId={runId} />;
    }
    return <DeviceRuns back={deployment} deploymentId={id} resourceId={resourceId} />;
  }
  return <DeploymentStatusView base={base} id={id} />;
}
