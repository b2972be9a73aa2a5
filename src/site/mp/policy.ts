/**
 * A device's policy (docs/management-point.md § Policy, osd-features §3.2, §3.3, §4.2, §5.1),
 * computed when asked: its collection membership is re-evaluated first (device-membership.ts), then
 * the enabled deployments to the collections it is a member of — for a device registered on first
 * contact, the collections holding its architecture's unknown-computer object — each with whether it
 * may run in this environment now (`offered`) and why (`reason`); its variables (collection variables
 * by priority, then device variables; an unknown computer gets collection variables only), secret
 * values in clear for this device only; and the boot image it would boot (§5.1).
 */
import type { Queryable } from '../db/database.js';
import type { Site } from '../site.js';
import { UNKNOWN_X64_RESOURCE_ID, UNKNOWN_X86_RESOURCE_ID } from '../seed.js';
import { variablesForDevice } from '../collections/variables.js';
import type { DeploymentSettings } from '../deployments/input.js';
import type { MpDevice } from './credentials.js';
import { evaluateDeviceMembership } from './device-membership.js';
import { lastRunsOf, runsRecorded, type LastRun } from './last-run.js';
import { clearsOf } from './required-clears.js';
import { chooseBootImage, noBootImageReason, type BootImageCandidate } from './boot-image-choice.js';
import { unknownObjectFor, type Environment } from './registration.js';

export interface PolicyDeployment {
  deploymentId: string;
  taskSequenceId: string;
  name: string;
  description: string;
  /** The revision the deployment pins, not the task sequence's current one. */
  revision: number;
  purpose: 'available' | 'required';
  availability: DeploymentSettings['availability'];
  availableAt: string;
  expiresAt: string | null;
  schedules: DeploymentSettings['schedules'];
  rerun: DeploymentSettings['rerun'];
  contentOption: DeploymentSettings['contentOption'];
  preDownload: boolean;
  showProgress: boolean;
  collectionId: string;
  offered: boolean;
  reason: string;
  lastRun: { runId: string; result: LastRun['result']; endedAt: string | null } | null;
}

export interface PolicyVariable {
  name: string;
  value: string;
  secret: boolean;
  source: string;
}

export interface DevicePolicy {
  device: { resourceId: number; name: string; unknown: boolean };
  environment: Environment;
  deployments: PolicyDeployment[];
  variables: PolicyVariable[];
  bootImage: { packageId: string; architecture: string; deploymentId: string; rule: string } | null;
  notes: string[];
}

const MEDIA_PXE = new Set(['media-pxe', 'media-pxe-hidden', 'clients-media-pxe']);
const CLIENTS = new Set(['clients', 'clients-media-pxe']);

const AVAILABILITY_WORDS: Record<DeploymentSettings['availability'], string> = {
  clients: 'available to clients only',
  'clients-media-pxe': 'available to clients, media and PXE',
  'media-pxe': 'available to media and PXE',
  'media-pxe-hidden': 'available to media and PXE (hidden)',
};

export interface DeviceFacts {
  unknown: boolean;
  architecture: string | null;
  firmware: string | null;
}

export async function deviceFacts(db: Queryable, resourceId: number): Promise<DeviceFacts> {
  const { rows } = await db.query<DeviceFacts>('SELECT unknown, architecture, firmware FROM devices WHERE resource_id = $1', [resourceId]);
  return rows[0] ?? { unknown: false, architecture: null, firmware: null };
}

/**
 * The ResourceID whose collection membership decides the device's deployments and collection
 * variables: the device itself, or for a device registered on first contact its unknown-computer
 * object (none for arm64).
 */
export function policyTarget(device: { resourceId: number }, facts: DeviceFacts): number | null {
  if (!facts.unknown) return device.resourceId;
  const object = unknownObjectFor(facts.architecture);
  return object === 'x86' ? UNKNOWN_X86_RESOURCE_ID : object === 'x64' ? UNKNOWN_X64_RESOURCE_ID : null;
}

export interface DeploymentRow {
  deployment_id: string;
  task_sequence_id: string;
  revision: number;
  collection_id: string;
  purpose: 'available' | 'required';
  settings: DeploymentSettings;
  name: string;
  description: string;
  boot_image_id: string | null;
  boot_architecture: string | null;
  ts_disabled: boolean;
}

/** Enabled deployments to the collections `target` is a member of (stored membership), by deployment id. */
export async function deploymentsFor(db: Queryable, target: number, deploymentId?: string): Promise<DeploymentRow[]> {
  const { rows } = await db.query<DeploymentRow>(
    `SELECT d.deployment_id, d.task_sequence_id, d.revision, d.collection_id, d.purpose, d.settings, t.name, t.description, t.boot_image_id,
            b.properties->>'architecture' AS boot_architecture, COALESCE((t.properties->>'disabled')::boolean, false) AS ts_disabled
       FROM deployments d
       JOIN collection_members m ON m.collection_id = d.collection_id AND m.resource_id = $1
       JOIN task_sequences t ON t.package_id = d.task_sequence_id
       LEFT JOIN packages b ON b.package_id = t.boot_image_id
      WHERE d.enabled${deploymentId !== undefined ? ' AND d.deployment_id = $2' : ''}
      ORDER BY d.deployment_id`,
    deploymentId !== undefined ? [target, deploymentId] : [target],
  );
  return rows;
}

/**
 * The deployment if it is in the device's policy (targets it, enabled), else undefined: a device
 * sees only its own deployments. Reads the membership as stored (the policy request re-evaluates it).
 */
export async function deploymentOfDevice(
  db: Queryable,
  device: MpDevice,
  deploymentId: string,
): Promise<{ deploymentId: string; taskSequenceId: string; revision: number } | undefined> {
  const target = policyTarget(device, await deviceFacts(db, device.resourceId));
  if (target === null) return undefined;
  const row = (await deploymentsFor(db, target, deploymentId.toUpperCase()))[0];
  return row ? { deploymentId: row.deployment_id, taskSequenceId: row.task_sequence_id, revision: row.revision } : undefined;
}

/** Whether a deployment is offered in this environment now, and why (also the PXE answer's, src/site/boot/pxe-decision.ts). */
export function offer(
  d: DeploymentRow,
  environment: Environment,
  now: Date,
  lastRun: LastRun | null,
  cleared: Date | null,
): { offered: boolean; reason: string } {
  const s = d.settings;
  const purpose = d.purpose === 'required' ? 'Required' : 'Available';
  const where = AVAILABILITY_WORDS[s.availability] ?? s.availability;
  // §4.6 "Disable this task sequence on computers where it is deployed".
  if (d.ts_disabled) return { offered: false, reason: `${purpose}, ${where}: the task sequence is disabled on computers where it is deployed` };
  if (environment === 'winpe' && !MEDIA_PXE.has(s.availability))
    return { offered: false, reason: `${purpose}, ${where}: not offered to media and PXE (WinPE)` };
  if (environment === 'os' && !CLIENTS.has(s.availability)) return { offered: false, reason: `${purpose}, ${where}: not offered to clients (the full OS)` };
  if (new Date(s.availableAt).getTime() > now.getTime()) return { offered: false, reason: `${purpose}, ${where}: not available until ${s.availableAt}` };
  if (s.expiresAt && new Date(s.expiresAt).getTime() <= now.getTime()) return { offered: false, reason: `${purpose}, ${where}: expired at ${s.expiresAt}` };
  const ran = lastRun ? `${lastRun.result === 'in-progress' ? 'started' : lastRun.result} ${lastRun.endedAt ?? lastRun.startedAt}` : '';
  if (d.purpose === 'required' && lastRun) {
    if (environment === 'winpe') {
      // §4.2, §5.1: a Required PXE deployment runs once per device until cleared.
      // A run that started before the administrator's clear no longer counts.
      if (!cleared || new Date(lastRun.startedAt).getTime() >= cleared.getTime())
        return { offered: false, reason: `already ran (${ran}); clear required PXE deployments to run it again` };
      return { offered: true, reason: `${purpose}, ${where}; already ran (${ran}) but was cleared at ${cleared.toISOString()}` };
    }
    // The full OS: the rerun behaviour decides (§4.2).
    switch (s.rerun) {
      case 'never':
        return { offered: false, reason: `already ran (${ran}) and the deployment never reruns` };
      case 'if-failed':
        if (lastRun.result !== 'failed') return { offered: false, reason: `already ran (${ran}); it reruns only if the previous attempt failed` };
        break;
      case 'if-succeeded':
        if (lastRun.result !== 'succeeded') return { offered: false, reason: `already ran (${ran}); it reruns only if the previous attempt succeeded` };
        break;
      default:
        break;
    }
  }
  const hidden = s.availability === 'media-pxe-hidden' ? '; hidden: starts when SMSTSPreferredAdvertID names it' : '';
  return { offered: true, reason: `${purpose}, ${where}${hidden}` };
}

export async function computePolicy(site: Site, device: MpDevice, environment: Environment, now: Date = new Date()): Promise<DevicePolicy> {
  const facts = await site.db.transaction(async (tx) => {
    await evaluateDeviceMembership(tx, device.resourceId);
    await tx.query('UPDATE devices SET last_contact_at = now() WHERE resource_id = $1', [device.resourceId]);
    return deviceFacts(tx, device.resourceId);
  });
  const notes: string[] = [];
  const target = policyTarget(device, facts);
  if (facts.unknown) {
    const object = unknownObjectFor(facts.architecture);
    notes.push(
      object
        ? `unknown computer: deployments to collections holding the ${object} Unknown Computer; collection variables only`
        : `unknown computer of architecture ${facts.architecture ?? 'unknown'}: no unknown-computer object, so no deployments`,
    );
  }
  if (!(await runsRecorded(site.db))) notes.push('runs are not recorded on this site yet: no deployment counts as already ran');
  const rows = target === null ? [] : await deploymentsFor(site.db, target);
  const lastRuns = rows.length ? await lastRunsOf(site.db, device.resourceId) : new Map<string, LastRun>();
  const clears = rows.some((d) => d.purpose === 'required' && lastRuns.has(d.deployment_id))
    ? await clearsOf(site.db, device.resourceId)
    : new Map<string, Date>();
  const deployments: PolicyDeployment[] = [];
  const bootCandidates: BootImageCandidate[] = [];
  for (const d of rows) {
    const lastRun = lastRuns.get(d.deployment_id) ?? null;
    const cleared = clears.get(d.deployment_id) ?? null;
    const o = offer(d, environment, now, lastRun, cleared);
    const s = d.settings;
    deployments.push({
      deploymentId: d.deployment_id,
      taskSequenceId: d.task_sequence_id,
      name: d.name,
      description: d.description,
      revision: d.revision,
      purpose: d.purpose,
      availability: s.availability,
      availableAt: s.availableAt,
      expiresAt: s.expiresAt,
      schedules: s.schedules,
      rerun: s.rerun,
      contentOption: s.contentOption,
      preDownload: s.preDownload,
      showProgress: s.showProgress,
      collectionId: d.collection_id,
      offered: o.offered,
      reason: o.reason,
      lastRun: lastRun ? { runId: lastRun.runId, result: lastRun.result, endedAt: lastRun.endedAt } : null,
    });
    if (o.offered && d.boot_image_id)
      bootCandidates.push({ deploymentId: d.deployment_id, packageId: d.boot_image_id, architecture: d.boot_architecture ?? 'x64' });
  }
  const machine = { architecture: facts.architecture, firmware: facts.firmware };
  const boot = chooseBootImage(bootCandidates, machine);
  if (!boot && deployments.some((d) => d.offered)) notes.push(`no boot image: ${noBootImageReason(bootCandidates, machine)}`);
  if (!deployments.length) notes.push('no task sequence is deployed to this computer');
  const variables =
    target === null
      ? []
      : (await variablesForDevice(site, target, { unknownComputer: facts.unknown })).map((v) => ({
          name: v.name,
          value: v.value,
          secret: v.masked,
          source: v.source.kind === 'device' ? 'device' : `collection ${v.source.collectionId} (priority ${v.source.priority})`,
        }));
  return {
    device: { resourceId: device.resourceId, name: device.name, unknown: facts.unknown },
    environment,
    deployments,
    variables,
    bootImage: boot,
    notes,
  };
}
