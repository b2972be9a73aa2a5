/**
 * How long a deployment will take on one device (issue 12 item 3; `osd deploy estimate`), from what
 * the site knows and says how it knows it:
 *
 * - content: the bytes of the deployment's content manifest for this device (its architecture,
 *   model and firmware as the site recorded them), the boot image aside (the computer runs it);
 * - throughput: measured by earlier runs' downloads — this device's first, else the site's recent
 *   runs — else a default of 12.5 MB/s (100 Mbit/s) [I], said in the answer;
 * - restarts: the enabled steps of the deployed revision whose definition restarts the computer
 *   (the catalog's `restarts` flag), each at 90 s [I]; a conditional one may not happen;
 * - the other steps: the median of earlier successful runs of this deployment, less their
 *   download and restart time; none yet: not counted, said in the answer.
 */
import type { Queryable } from '../db/database.js';
import { stepTypeOf } from '../../sequence/catalog/index.js';
import type { Group } from '../../sequence/model/task-sequence.js';
import { pathText, walkItems } from '../../sequence/model/walk.js';
import { deploymentContentManifest, type MachineAttributes } from '../deployments/content-manifest.js';
import { getDeployment } from '../deployments/deployments.js';
import { getDevice } from '../devices/devices.js';
import { bodyToSequence, readRevisionRow } from '../task-sequences/model.js';

/** Throughput without a measurement: 100 Mbit/s [I]. */
export const DEFAULT_THROUGHPUT_BYTES_PER_SECOND = 12.5 * 1000 * 1000;
/** One restart of the computer (firmware, boot image or OS start, the engine resuming) [I]. */
export const DEFAULT_RESTART_SECONDS = 90;
/** How many recent runs the site-wide throughput and the step time are measured over. */
const RECENT_RUNS = 200;

export interface RestartingStep {
  path: string;
  type: string;
  /** The step or a group above it has a condition: the restart may not happen. */
  conditional: boolean;
}

export interface DurationEstimate {
  deploymentId: string;
  resourceId: number;
  deviceName: string;
  content: { bytes: number; packages: number };
  throughput: { bytesPerSecond: number; source: 'device' | 'site' | 'default'; runs: number; basis: string };
  downloadSeconds: number;
  restarts: { count: number; conditional: number; secondsEach: number; seconds: number; steps: RestartingStep[] };
  steps: { seconds: number | null; runs: number; basis: string };
  totalSeconds: number;
  notes: string[];
}

interface ThroughputRow {
  bytes: string | number | null;
  seconds: number | null;
  runs: string | number;
}

async function measuredThroughput(db: Queryable, resourceId: number): Promise<DurationEstimate['throughput']> {
  const device = await db.query<ThroughputRow>(
    `SELECT SUM(bytes_downloaded) AS bytes, SUM(download_seconds) AS seconds, COUNT(*) AS runs FROM runs
     WHERE resource_id = $1 AND download_seconds > 0 AND bytes_downloaded > 0`,
    [resourceId],
  );
  const d = device.rows[0];
  if (d && Number(d.runs) > 0 && Number(d.seconds) > 0) {
    const runs = Number(d.runs);
    return {
      bytesPerSecond: Number(d.bytes) / Number(d.seconds),
      source: 'device',
      runs,
      basis: `measured by this device's downloads in ${runs} earlier run${runs === 1 ? '' : 's'}`,
    };
  }
  const site = await db.query<ThroughputRow>(
    `SELECT SUM(bytes_downloaded) AS bytes, SUM(download_seconds) AS seconds, COUNT(*) AS runs FROM (
       SELECT bytes_downloaded, download_seconds FROM runs WHERE download_seconds > 0 AND bytes_downloaded > 0 ORDER BY started_at DESC LIMIT $1) recent`,
    [RECENT_RUNS],
  );
  const s = site.rows[0];
  if (s && Number(s.runs) > 0 && Number(s.seconds) > 0) {
    const runs = Number(s.runs);
    return {
      bytesPerSecond: Number(s.bytes) / Number(s.seconds),
      source: 'site',
      runs,
      basis: `this device has downloaded nothing yet: measured by the downloads of ${runs} recent run${runs === 1 ? '' : 's'} on the site`,
    };
  }
  return {
    bytesPerSecond: DEFAULT_THROUGHPUT_BYTES_PER_SECOND,
    source: 'default',
    runs: 0,
    basis: 'no run has downloaded content yet: a default of 12.5 MB/s (100 Mbit/s)',
  };
}

/** The steps of a revision that restart the computer, enabled ones only. */
export function restartingSteps(sequence: Parameters<typeof walkItems>[0]): RestartingStep[] {
  const conditionalGroup = new Map<Group, boolean>();
  const out: RestartingStep[] = [];
  for (const v of walkItems(sequence)) {
    const conditional = v.item.condition !== undefined || (v.parent ? (conditionalGroup.get(v.parent) ?? false) : false);
    if (v.item.kind === 'group') {
      conditionalGroup.set(v.item, conditional);
      continue;
    }
    if (v.underDisabled) continue;
    const def = stepTypeOf(v.item.type);
    if (def?.restarts) out.push({ path: pathText(v.path), type: def.displayName, conditional });
  }
  return out;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export async function estimateDuration(db: Queryable, deploymentId: string, resourceId: number): Promise<DurationEstimate> {
  const device = await getDevice(db, resourceId);
  const deployment = await getDeployment(db, deploymentId);
  const facts = await db.query<{ architecture: string | null; firmware: 'uefi' | 'bios' | null }>(
    'SELECT architecture, firmware FROM devices WHERE resource_id = $1',
    [resourceId],
  );
  const props = device.properties;
  const machine: MachineAttributes = {
    architecture: facts.rows[0]?.architecture ?? (typeof props.architecture === 'string' ? props.architecture : undefined),
    model: typeof props.model === 'string' ? props.model : undefined,
    language: typeof props.language === 'string' ? props.language : undefined,
    firmware: facts.rows[0]?.firmware ?? undefined,
  };
  const manifest = await deploymentContentManifest(db, deployment.id, machine);
  const notes: string[] = [];
  if (manifest.totals.withoutContent.length) notes.push(`packages without content yet (not counted): ${manifest.totals.withoutContent.join(', ')}`);
  // The boot image is what the computer is running: it is not downloaded (docs/management-point.md).
  const downloaded = manifest.packages.filter((p) => p.referencedAs !== 'boot image');
  const bytes = downloaded.reduce((n, p) => n + p.sizeBytes, 0);
  const throughput = await measuredThroughput(db, resourceId);
  const downloadSeconds = bytes / throughput.bytesPerSecond;

  const revision = await readRevisionRow(db, deployment.taskSequenceId, deployment.revision);
  const restarting = restartingSteps(bodyToSequence(revision.body));
  const conditional = restarting.filter((s) => s.conditional).length;
  const restartSeconds = restarting.length * DEFAULT_RESTART_SECONDS;
  if (conditional) notes.push(`${conditional} of the restarts depend on a condition; counted as if they happen`);

  const earlier = await db.query<{ seconds: number; download_seconds: number; restarts: number }>(
    `SELECT EXTRACT(EPOCH FROM (ended_at - started_at))::float8 AS seconds, download_seconds, restarts FROM runs
     WHERE deployment_id = $1 AND result = 'succeeded' AND ended_at IS NOT NULL ORDER BY started_at DESC LIMIT $2`,
    [deployment.id, RECENT_RUNS],
  );
  const stepTimes = earlier.rows.map((r) => Math.max(0, r.seconds - r.download_seconds - r.restarts * DEFAULT_RESTART_SECONDS));
  const steps: DurationEstimate['steps'] = stepTimes.length
    ? {
        seconds: median(stepTimes),
        runs: stepTimes.length,
        basis: `the median of ${stepTimes.length} earlier successful run${stepTimes.length === 1 ? '' : 's'} of this deployment, less their download and restarts`,
      }
    : { seconds: null, runs: 0, basis: 'no earlier successful run of this deployment: the time of the steps themselves is not counted' };
  if (steps.seconds === null) notes.push(steps.basis);
  return {
    deploymentId: deployment.id,
    resourceId: device.resourceId,
    deviceName: device.name,
    content: { bytes, packages: downloaded.length },
    throughput,
    downloadSeconds,
    restarts: { count: restarting.length, conditional, secondsEach: DEFAULT_RESTART_SECONDS, seconds: restartSeconds, steps: restarting },
    steps,
    totalSeconds: downloadSeconds + restartSeconds + (steps.seconds ?? 0),
    notes,
  };
}
